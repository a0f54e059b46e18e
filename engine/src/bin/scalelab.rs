//! `scalelab`: run or check a scenario from the command line.
//!
//! ```text
//! scalelab run FILE [--seed N] [--duration S]   print the JSON report
//! scalelab validate FILE                        check a scenario, list every problem
//! scalelab resilience FILE [--seed N]           print the resilience report (JSON)
//! scalelab compare A B [--seed N]               run A and B side by side on the same requests,
//!                                               print the pairing's notes and the reading (JSON)
//! scalelab lesson PATH [--seed N] [--for S] [--expect met|not-met]
//!                                               check a lesson (or a folder of them) and
//!                                               print its goal's verdict for the preset
//! scalelab session FILE                         send a JSON array of messages to the engine's
//!                                               worker session, print each reply (a JSON line)
//! ```
//! Exit codes: 0 success, 1 invalid scenario (or a lesson whose verdict is
//! not the expected one), 2 bad command line or unreadable file.

use scalelab_engine::compare::pair;
use scalelab_engine::pair_run::{PairRun, CHUNK_EVENTS};
use scalelab_engine::resilience::{ResilienceOptions, ResilienceRun};
use scalelab_engine::{Scenario, ScenarioError, Simulation};
use std::process::ExitCode;
use std::time::Instant;

/// `println!` for what the CLI prints: a reader that stops reading (`| head`)
/// ends the output, not the program with a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[path = "scalelab/lesson.rs"]
mod lesson;

/// The longest a lesson's preset is run for (`--for`), in simulated seconds.
const MAX_LESSON_RUN_S: u64 = 86_400;

const USAGE: &str = "usage:
  scalelab run FILE [--seed N] [--duration SECONDS]   run a scenario, print the JSON report
  scalelab validate FILE                              check a scenario and list every problem
  scalelab resilience FILE [--seed N]                 fail each node and data center in turn, print the
                                                      resilience report as JSON (the page's Resilience panel)
  scalelab compare A B [--seed N]                     run design B beside design A on the very same requests (B takes
                                                      A's seed, users, run length and scheduled faults), print what
                                                      the pairing changed and the comparison at the end as JSON
                                                      (the page's Compare dialog)
  scalelab lesson PATH [--seed N] [--for SECONDS] [--expect met|not-met]
                                                      check a lesson (FILE.json beside its FILE.md, or a
                                                      folder of them), run its preset alone and print
                                                      its goal's verdict (see lessons/WRITING.md)
  scalelab session FILE                               send the messages in FILE (a JSON array of what the page sends
                                                      the engine's worker: {\"job\": \"live\", ...}, {\"job\": \"step\"}, ...)
                                                      to a session, as the worker does, and print every reply as a JSON
                                                      line; its clock does not move, so a live run moves only by steps";

struct Args {
    command: String,
    file: String,
    /// `compare`: design B.
    other: Option<String>,
    seed: Option<u64>,
    duration: Option<f64>,
    /// `lesson`: simulated seconds to run the preset for at most.
    for_s: Option<u64>,
    /// `lesson`: the verdict the preset must reach (`Some(true)`: met).
    expect: Option<bool>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = args.next().ok_or("missing command")?;
    if !["run", "validate", "resilience", "lesson", "compare", "session"].contains(&command.as_str()) {
        return Err(format!("unknown command \"{command}\""));
    }
    let (mut file, mut other) = (None, None);
    let (mut seed, mut duration, mut for_s, mut expect) = (None, None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--for" if command == "lesson" => {
                let v = args.next().ok_or("--for needs a value")?;
                match v.parse::<u64>() {
                    Ok(s) if (1..=MAX_LESSON_RUN_S).contains(&s) => for_s = Some(s),
                    _ => {
                        return Err(format!(
                            "--for must be a whole number of seconds from 1 to {MAX_LESSON_RUN_S}, not \"{v}\""
                        ))
                    }
                }
            }
            "--expect" if command == "lesson" => {
                let v = args.next().ok_or("--expect needs a value")?;
                expect = Some(match v.as_str() {
                    "met" => true,
                    "not-met" => false,
                    _ => return Err(format!("--expect must be \"met\" or \"not-met\", not \"{v}\"")),
                });
            }
            "--seed" if ["run", "resilience", "lesson", "compare"].contains(&command.as_str()) => {
                let v = args.next().ok_or("--seed needs a value")?;
                seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed must be a whole number from 0 to {}, not \"{v}\"", u64::MAX))?,
                );
            }
            "--duration" if command == "run" => {
                let v = args.next().ok_or("--duration needs a value")?;
                let d: f64 = v.parse().map_err(|_| format!("--duration must be a number of seconds, not \"{v}\""))?;
                duration = Some(d);
            }
            other if other.starts_with("--") => return Err(format!("unknown option \"{other}\"")),
            arg if file.is_none() => file = Some(arg.to_string()),
            arg if command == "compare" && other.is_none() => other = Some(arg.to_string()),
            arg => return Err(format!("unexpected argument \"{arg}\"")),
        }
    }
    if command == "compare" && other.is_none() {
        return Err("compare needs two files, A and B".into());
    }
    Ok(Args { command, file: file.ok_or("missing FILE")?, other, seed, duration, for_s, expect })
}

fn load(args: &Args) -> Result<Scenario, ExitCode> {
    load_file(&args.file, args)
}

/// `file` checked as the library checks it, with the command line's overrides.
fn load_file(file: &str, args: &Args) -> Result<Scenario, ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("scalelab: cannot read {file}: {e}");
        ExitCode::from(2)
    })?;
    // Overrides are applied to the JSON before checking, so they are validated
    // (and named in messages) exactly like fields written in the file.
    // Size limit and syntax are checked exactly as the library checks them.
    let mut value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) if text.len() <= scalelab_engine::limits::MAX_DOCUMENT_BYTES => v,
        _ => {
            let err: ScenarioError = Scenario::from_json(&text).expect_err("too large or not JSON");
            eprintln!("scalelab: {file}: {err}");
            return Err(ExitCode::from(1));
        }
    };
    if let Some(obj) = value.as_object_mut() {
        if let Some(seed) = args.seed {
            obj.insert("seed".into(), seed.into());
        }
        if let Some(d) = args.duration {
            obj.insert(
                "duration_s".into(),
                serde_json::Number::from_f64(d).map(Into::into).unwrap_or(serde_json::Value::Null),
            );
        }
    }
    scalelab_engine::parse::parse_value(&value).map_err(|err| {
        eprintln!("scalelab: {file}: {err}");
        ExitCode::from(1)
    })
}

/// `scalelab session FILE`: the messages of FILE through a worker's session,
/// each reply printed as one line, then ticks until the session is idle.
fn session(file: &str) -> ExitCode {
    use scalelab_engine::compare_session::Next;
    use scalelab_engine::job::{Job, Session};
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("scalelab: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let messages: Vec<serde_json::Value> = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("scalelab: {file}: not a JSON array of messages ({e})");
            return ExitCode::from(1);
        }
    };
    let mut session = Session::default();
    let mut print = |reply: scalelab_engine::job::Reply| out!("{}", reply.to_json());
    for (i, message) in messages.iter().enumerate() {
        let job = match Job::from_json(&message.to_string()) {
            Ok(job) => job,
            Err(e) => {
                eprintln!("scalelab: {file}: message {}: {e}", i + 1);
                return ExitCode::from(1);
            }
        };
        let mut next = session.receive(job, &mut print);
        // As the worker does: tick while the session asks at once. The clock
        // stands still, so nothing plays: a live run moves only by steps.
        while next == Next::Now {
            next = session.tick(0.0, &mut || true, &mut print);
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scalelab: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.command == "lesson" {
        return lesson::check(&args);
    }
    if args.command == "session" {
        return session(&args.file);
    }
    let scenario = match load(&args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match args.command.as_str() {
        "validate" => {
            for w in scalelab_engine::warnings(&scenario) {
                out!("warning: {w}");
            }
            out!(
                "{}: valid scenario (format version {}, {} nodes, {} links)",
                args.file,
                scenario.version,
                scenario.nodes.len(),
                scenario.links.len()
            );
        }
        "compare" => {
            let b = match load_file(args.other.as_deref().unwrap_or_default(), &args) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let pairing = match pair(&scenario, &b) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("scalelab: cannot compare: {e}");
                    return ExitCode::from(1);
                }
            };
            let mut run = PairRun::new(&pairing);
            while !run.finished() {
                run.extend(u64::MAX);
                run.advance(CHUNK_EVENTS, || true);
            }
            let reading = run.reading().expect("both stand at the end together");
            let printed = serde_json::json!({ "notes": pairing.notes, "reading": reading });
            out!("{}", serde_json::to_string_pretty(&printed).expect("a reading always serialises"));
        }
        "resilience" => {
            let mut run = ResilienceRun::new(&scenario, ResilienceOptions::default());
            while !run.step(u64::MAX) {}
            let report = run.report().expect("a finished run has its baseline");
            out!("{}", serde_json::to_string_pretty(&report).expect("a report always serialises"));
        }
        _ => {
            let started = Instant::now();
            let mut sim = Simulation::new(scenario);
            sim.run_to_end();
            let mut report = sim.report();
            report.wall_ms = started.elapsed().as_secs_f64() * 1e3;
            out!("{}", report.to_json_pretty());
        }
    }
    ExitCode::SUCCESS
}
