//! `scalelab lesson PATH`: checks a lesson as a teacher writes one (a
//! scenario with a goal, `NAME.json`, beside its note, `NAME.md`), runs its
//! preset alone, second by second, until the goal is met or the time is up,
//! and prints the verdict with every check's last value and every drill's
//! state. PATH is one lesson's `.json` or a folder: every `.json` directly in
//! it is a lesson. A missing note is a warning (a solution has none), a note
//! without its title line an error. `lessons/WRITING.md` is the guide.

use super::{load_file, Args};
use scalelab_engine::goal::{DrillState, GoalStatus};
use scalelab_engine::{Scenario, Simulation};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A preset runs for at most this long unless `--for` says otherwise (long
/// enough for a goal held a few minutes), and never past its duration.
const DEFAULT_RUN_S: u64 = 600;

pub fn check(args: &Args) -> ExitCode {
    let files = match lesson_files(Path::new(&args.file)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("scalelab: {e}");
            return ExitCode::from(2);
        }
    };
    // Every lesson is checked; the exit code is the worst of theirs.
    let worst = files.iter().map(|f| one(f, args)).max().unwrap_or(0);
    ExitCode::from(worst)
}

/// The lessons at `path`: the file itself, or each `.json` in the folder.
fn lesson_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let read = std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> =
        read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no lesson here (a lesson is a NAME.json scenario beside its NAME.md note)",
            path.display()
        ));
    }
    Ok(files)
}

/// Checks and runs one lesson; its exit code (0 fine, 1 invalid or not the
/// expected verdict, 2 unreadable).
fn one(file: &Path, args: &Args) -> u8 {
    let name = file.display().to_string();
    let Some(scenario) = load_file(&name, args).ok() else {
        return if file.exists() { 1 } else { 2 };
    };
    let Some(goal) = scenario.goal.clone() else {
        eprintln!(
            "scalelab: {name}: no \"goal\": a lesson needs one, the checks (and drills) that say the learner got there"
        );
        return 1;
    };
    let note = match check_note(file, &scenario) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("scalelab: {e}");
            return 1;
        }
    };
    out!("{name}: a valid lesson, \"{}\"", note.title);
    for w in scalelab_engine::warnings(&scenario).iter().map(ToString::to_string).chain(note.warnings) {
        out!("  warning: {w}");
    }

    let duration_s = (scenario.duration_s.ceil() as u64).max(1);
    let limit_s = args.for_s.unwrap_or(DEFAULT_RUN_S).min(duration_s);
    let mut sim = Simulation::new(scenario);
    let mut ran_s = 0;
    for t in 1..=limit_s {
        // Just past the second, so the goal has judged the second that ends at t.
        let progress = sim.run_until(t * 1_000_000_000 + 1, u64::MAX);
        ran_s = t;
        if progress.finished || sim.goal_status().is_some_and(GoalStatus::met) {
            break;
        }
    }
    let Some(status) = sim.goal_status() else {
        eprintln!("scalelab: {name}: the goal was not evaluated");
        return 1;
    };
    let met = status.met();
    match status.met_at_s {
        Some(at) if met => out!("  the preset meets its goal at t = {at} s, left alone"),
        _ => out!(
            "  the preset alone does not meet its goal in {ran_s} s (the checks held {} of {} s)",
            status.held_s,
            goal.hold_s
        ),
    }
    for c in &status.checks {
        out!("    {} {}: {}", if c.passing { "✓" } else { "✗" }, c.label, c.value_text);
    }
    for d in &status.drills {
        let state = match d.state {
            DrillState::NotTried => "not tried (a drill waits for the learner)",
            DrillState::Running => "under way",
            DrillState::Passed => "passed",
            DrillState::Failed => "failed",
        };
        let detail = if d.detail.is_empty() { String::new() } else { format!(": {}", d.detail) };
        out!("    drill {}: {state}{detail}", d.label);
    }
    match args.expect {
        Some(want) if want != met => {
            let say = |m: bool| if m { "met" } else { "not met" };
            eprintln!("scalelab: {name}: expected the goal {} by the preset, but it was {}", say(want), say(met));
            1
        }
        _ => 0,
    }
}

/// A lesson's note, as the page shows one: a `# N. Title` line, then the
/// text, `## Try this` and `## Goal`.
struct Note {
    title: String,
    warnings: Vec<String>,
}

/// A note that is missing is only a warning, so a solution (a lesson's
/// design with the change made, which has no note of its own) can be run
/// for its verdict too; a note that is there must have its title.
fn check_note(file: &Path, scenario: &Scenario) -> Result<Note, String> {
    let path = file.with_extension("md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        let title = scenario.name.clone().unwrap_or_else(|| "untitled".to_string());
        let warning = format!("no note {}: write the lesson's text there (a solution needs none)", path.display());
        return Ok(Note { title, warnings: vec![warning] });
    };
    let title = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("{}: the first line must be the title, \"# Title\"", path.display()))?
        .to_string();
    let mut warnings = Vec::new();
    for heading in ["## Try this", "## Goal"] {
        if !text.lines().any(|l| l.trim_end() == heading) {
            warnings.push(format!("{}: no \"{heading}\" section", path.display()));
        }
    }
    if let Some(name) = scenario.name.as_deref().filter(|n| *n != title) {
        warnings.push(format!("the scenario's name \"{name}\" is not the note's title \"{title}\""));
    }
    Ok(Note { title, warnings })
}
