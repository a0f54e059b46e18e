//! `cargo xtask bench [--only a,b] [--hours 1,24] [--minutes 1,10,30] [--repeats N] [--against REV]`:
//! measures every budget of DESIGN.md section 6 and prints each figure beside
//! its target with a pass/miss mark, in one table; a full run also writes it to
//! BENCHMARKS.md. With `--against REV` the native engine figures are also
//! measured for the commit REV (built in a worktree under the target
//! directory), the two in turn on the same scenario files, and each row says
//! by how much this tree is faster or slower. The measuring is done by:
//!
//! - `scalelab-bench` (engine/src/bin/scalelab-bench.rs): native events/s
//!   (wall and CPU time), memory over simulated hours (counting allocator);
//! - tests/e2e/bench.mjs: the same scenarios in headless Chromium;
//! - tests/e2e/bench-page.mjs: the real page (frames, particles, charts, first
//!   paint, memory during fast-forward);
//! - tests/e2e/bench-size.mjs: the site's size raw, gzip and brotli;
//! - twiggy on a copy of the wasm built with its name section;
//! - xtask/peer/mmc_simpy.py: the M/M/c peer model in SimPy, in a venv under
//!   target/bench-venv.

use crate::{install, output, run, setup, step, target_dir, tools_bin, Result};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Figures `--only` can name (`charts` is measured with `frames`).
pub const FIGURES: &[&str] = &[
    "engine",
    "fanout",
    "peer",
    "size",
    "paint",
    "throttled",
    "frames",
    "design300",
    "particles",
    "report",
    "compare",
    "memory",
];

const MM1: &str = "engine/scenarios/bench-mm1.json";
/// Lesson 13's design, run for this many simulated seconds (its warm-up is 10 s).
const LESSON13: &str = "lessons/13-millions-of-users.json";
const LESSON13_DURATION_S: f64 = 15.0;
const MEMORY_DESIGN: &str = "engine/scenarios/bench-memory.json";
const MMC: &str = "engine/scenarios/bench-mmc.json";
const SIMPY: &str = "simpy==4.1.2";

#[derive(Debug, PartialEq)]
pub struct Options {
    pub only: Vec<String>,
    pub hours: Vec<f64>,
    pub minutes: Vec<f64>,
    pub repeats: usize,
    /// A commit to compare the native engine with, side by side.
    pub against: Option<String>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            only: Vec::new(),
            hours: vec![1.0, 24.0],
            minutes: vec![1.0, 10.0, 30.0],
            repeats: 3,
            against: None,
        };
        let mut it = args.iter();
        let list = |v: &str| -> Result<Vec<f64>> {
            let xs: Vec<f64> = v
                .split(',')
                .map(|x| x.trim().parse::<f64>().map_err(|_| format!("not a number: {x:?}")))
                .collect::<Result<_>>()?;
            if xs.len() < 2 || xs.iter().any(|x| !x.is_finite() || *x <= 0.0) || xs.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("{v:?}: give at least two increasing positive numbers, e.g. 1,24"));
            }
            Ok(xs)
        };
        while let Some(a) = it.next() {
            let (key, inline) = match a.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{key} needs a value"));
            match key {
                "--only" => {
                    for f in value()?.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                        let f = if f == "charts" { "frames" } else { f };
                        if !FIGURES.contains(&f) {
                            return Err(format!("--only: no figure {f:?}; figures: {}, charts", FIGURES.join(", ")));
                        }
                        o.only.push(f.to_string());
                    }
                }
                "--hours" => o.hours = list(&value()?)?,
                "--minutes" => o.minutes = list(&value()?)?,
                "--repeats" => {
                    o.repeats =
                        value()?.parse().ok().filter(|n| *n >= 1).ok_or("--repeats: a whole number, at least 1")?
                }
                "--against" => o.against = Some(value()?),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(o)
    }

    fn wants(&self, figure: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|f| f == figure)
    }

    /// Every figure is measured (the memory rows name the hours and minutes used).
    fn full(&self) -> bool {
        self.only.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mark {
    Pass,
    Miss,
    /// No target: shown for information.
    Info,
    /// Not measured (the value says why).
    Failed,
}

impl Mark {
    fn of(ok: bool) -> Mark {
        if ok {
            Mark::Pass
        } else {
            Mark::Miss
        }
    }
    fn text(self) -> &'static str {
        match self {
            Mark::Pass => "✅ pass",
            Mark::Miss => "❌ miss",
            Mark::Info => "",
            Mark::Failed => "⚠️ not measured",
        }
    }
}

struct Row {
    figure: String,
    value: String,
    target: String,
    mark: Mark,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    /// Extra sections (markdown) after the table: sizes, contributors.
    sections: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn row(&mut self, figure: &str, value: String, target: &str, mark: Mark) {
        self.rows.push(Row { figure: figure.into(), value, target: target.into(), mark });
    }

    /// Runs one figure's measurement; a failure becomes a "not measured" row
    /// and the bench goes on with the other figures.
    fn measure(&mut self, name: &str, f: impl FnOnce(&mut Report) -> Result) {
        if let Err(e) = f(self) {
            let e = e.replace('|', "/").replace('\n', " ");
            self.row(name, format!("could not measure: {e}"), "", Mark::Failed);
            self.failures.push(format!("{name}: {e}"));
        }
    }

    fn table(&self) -> String {
        let mut t = String::from("| figure | measured | target | |\n|---|---|---|---|\n");
        for r in &self.rows {
            let _ = writeln!(t, "| {} | {} | {} | {} |", r.figure, r.value, r.target, r.mark.text());
        }
        t
    }
}

pub fn bench(root: &Path, args: &[String]) -> Result {
    let opts = Options::parse(args)?;
    let started = Instant::now();
    let load_before = load_average();
    let browser =
        ["engine", "paint", "throttled", "frames", "design300", "particles", "report", "compare", "memory", "size"]
            .iter()
            .any(|f| opts.wants(f));
    setup(root, browser)?;
    let bench_bin = step("release build of the engine (scalelab, scalelab-bench)", || {
        run(
            "cargo build",
            Command::new("cargo").args(["build", "--release", "-p", "scalelab-engine"]).current_dir(root),
        )?;
        Ok(target_dir(root).join("release").join("scalelab-bench"))
    })?;
    if browser {
        crate::build_site(root)?;
    }
    let dist = root.join("dist");
    let mut rep = Report::default();

    if opts.wants("engine") {
        step("engine events/s, native and in headless Chromium", || {
            engine(root, &bench_bin, &opts, &mut rep);
            Ok(())
        })?;
        if let Some(rev) = &opts.against {
            let old = step(&format!("release build of the engine at {rev}"), || build_at(root, rev))?;
            step(&format!("engine events/s, native, this tree beside {rev}"), || {
                engine_against(root, &bench_bin, &old, rev, &opts, &mut rep);
                Ok(())
            })?;
        }
    }
    if opts.wants("fanout") {
        step("engine events/s with 300 web servers beside 4, per balancer algorithm", || {
            fanout(root, &bench_bin, &opts, &mut rep);
            Ok(())
        })?;
    }
    if opts.wants("peer") {
        step("M/M/c beside a SimPy model", || {
            rep.measure("M/M/c peer (SimPy)", |rep| peer(root, &bench_bin, rep));
            Ok(())
        })?;
    }
    if opts.wants("size") {
        step("site size and the wasm's largest contributors", || {
            rep.measure("site size", |rep| size(root, &dist, rep));
            rep.measure("wasm contributors", |rep| contributors(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("paint") {
        step("first paint (page)", || {
            rep.measure("first paint", |rep| paint(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("throttled") {
        step("first load on a throttled phone-like connection (page)", || {
            rep.measure("throttled first load", |rep| throttled(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("frames") {
        step("frames at about 100,000 requests/s, 1x (page)", || {
            rep.measure("frames at 100k req/s", |rep| frames(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("design300") {
        step("frames of a 300-node design at 1x (page)", || {
            rep.measure("frames of a 300-node design", |rep| design300(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("particles") {
        step("frames with 10,000 particles (page)", || {
            rep.measure("10,000 particles", |rep| particles(root, rep));
            Ok(())
        })?;
    }
    if opts.wants("report") {
        step("frames while the resilience report runs (page)", || {
            // Lesson 13's report is the long one (the issue's "minutes").
            for lesson in [5, 13] {
                rep.measure("frames during the report", |rep| report(root, rep, lesson));
            }
            Ok(())
        })?;
    }
    if opts.wants("compare") {
        step("frames while an A/B comparison runs (page)", || {
            rep.measure("frames during a comparison", |rep| compare(root, rep));
            Ok(())
        })?;
    }
    // Last, as it takes longest: the native run over simulated hours goes on
    // beside the page's fast-forward (one core each on a 2-core machine).
    if opts.wants("memory") {
        step("memory: native over simulated hours, beside the page in fast-forward", || {
            rep.measure("memory", |rep| memory(root, &bench_bin, &opts, rep));
            Ok(())
        })?;
    }

    let machine = machine_description(&load_before);
    let table = rep.table();
    println!("\n{table}");
    for s in &rep.sections {
        println!("{s}");
    }
    println!("machine: {machine}");
    let doc = document(&machine, &load_before, &table, &rep.sections, started.elapsed().as_secs_f64());
    let bench_dir = target_dir(root).join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| format!("creating {}: {e}", bench_dir.display()))?;
    std::fs::write(bench_dir.join("last.md"), &doc).map_err(|e| format!("writing target/bench/last.md: {e}"))?;
    if opts.full() {
        std::fs::write(root.join("BENCHMARKS.md"), &doc).map_err(|e| format!("writing BENCHMARKS.md: {e}"))?;
        println!("xtask: wrote BENCHMARKS.md");
    } else {
        println!(
            "xtask: a partial run: BENCHMARKS.md left as it was; this table is in {}",
            bench_dir.join("last.md").display()
        );
    }
    if rep.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("not measured: {}", rep.failures.join("; ")))
    }
}

// ---- running the measuring programs ----

/// Runs a command and returns the JSON objects it printed, one a line (its
/// other lines are passed through).
fn json_lines(what: &str, cmd: &mut Command) -> Result<Vec<Value>> {
    println!("xtask: $ {}", crate::describe(cmd));
    let out = cmd.stderr(Stdio::inherit()).output().map_err(|e| format!("{what}: could not start: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut values = Vec::new();
    for line in text.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) if v.is_object() => values.push(v),
            _ => println!("{line}"),
        }
    }
    if !out.status.success() {
        return Err(format!("{what} exited with {}", out.status));
    }
    Ok(values)
}

fn num(v: &Value, path: &str) -> Result<f64> {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur.get(key).ok_or_else(|| format!("no {path} in {}", short(v)))?;
    }
    cur.as_f64().ok_or_else(|| format!("{path} is not a number in {}", short(v)))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        format!("{}…", &s[..s.char_indices().take_while(|(i, _)| *i < 200).last().map_or(0, |(i, c)| i + c.len_utf8())])
    } else {
        s
    }
}

fn node(root: &Path, script: &str) -> Command {
    let mut c = Command::new("node");
    c.arg(script).current_dir(root.join("tests").join("e2e")).env("SCALELAB_DIST", root.join("dist"));
    c
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn ms(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.1}")
    }
}

fn kb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1024.0)
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1048576.0)
}

// ---- engine events/s ----

/// The engine's native models: name, scenario file, duration (`None`: the
/// file's), target events/s.
const ENGINE_MODELS: [(&str, &str, Option<f64>, f64); 2] = [
    ("M/M/1, utilisation 0.9", MM1, None, 20e6),
    ("lesson 13, the full architecture", LESSON13, Some(LESSON13_DURATION_S), 10e6),
];

/// One native run of `bench_bin` on `file`: (events/s by wall time, by CPU
/// time, events).
fn native_run(root: &Path, bench_bin: &Path, file: &str, duration: Option<f64>, name: &str) -> Result<(f64, f64, f64)> {
    let mut cmd = Command::new(bench_bin);
    cmd.arg("run").arg(root.join(file));
    if let Some(d) = duration {
        cmd.args(["--duration", &d.to_string()]);
    }
    let out = json_lines(name, &mut cmd)?;
    let v = out.first().ok_or("no result")?;
    let events = num(v, "events")?;
    Ok((events / num(v, "wall_s")?, events / num(v, "cpu_s")?, events))
}

/// Builds `scalelab-bench` as it was at commit `rev`, in a worktree under the
/// target directory (its own target directory, kept between runs).
fn build_at(root: &Path, rev: &str) -> Result<PathBuf> {
    let base = target_dir(root).join("bench-against");
    let tree = base.join("tree");
    if tree.exists() {
        let _ = Command::new("git").args(["worktree", "remove", "--force"]).arg(&tree).current_dir(root).status();
        let _ = std::fs::remove_dir_all(&tree);
    }
    run(
        "git worktree",
        Command::new("git").args(["worktree", "add", "--detach"]).arg(&tree).arg(rev).current_dir(root),
    )?;
    let built = run(
        "cargo build (the older commit)",
        Command::new("cargo")
            .args(["build", "--release", "-p", "scalelab-engine", "--bin", "scalelab-bench"])
            .env("CARGO_TARGET_DIR", base.join("target"))
            .current_dir(&tree),
    );
    let _ = Command::new("git").args(["worktree", "remove", "--force"]).arg(&tree).current_dir(root).status();
    built?;
    Ok(base.join("target").join("release").join("scalelab-bench"))
}

/// Native events/s of this tree and of commit `rev`, run in turn (ABBA, so a
/// drift in the machine's speed falls on both), each pair giving a ratio.
fn engine_against(root: &Path, new: &Path, old: &Path, rev: &str, opts: &Options, rep: &mut Report) {
    for (name, file, duration, _) in ENGINE_MODELS {
        let pairs = (|| -> Result<Vec<(f64, f64)>> {
            let mut pairs = Vec::new();
            for i in 0..2 * opts.repeats {
                let (a, b) = if i % 2 == 0 {
                    let a = native_run(root, new, file, duration, name)?;
                    (a, native_run(root, old, file, duration, name)?)
                } else {
                    let b = native_run(root, old, file, duration, name)?;
                    (native_run(root, new, file, duration, name)?, b)
                };
                if a.2 != b.2 {
                    return Err(format!("the two builds ran {} and {} events: not the same simulation", a.2, b.2));
                }
                pairs.push((a.1, b.1));
            }
            Ok(pairs)
        })();
        let figure = format!("engine, native: {name}, this tree beside {rev}");
        match pairs {
            Ok(pairs) => {
                let mut ratios: Vec<f64> = pairs.iter().map(|(a, b)| a / b).collect();
                let mut news: Vec<f64> = pairs.iter().map(|p| p.0).collect();
                let mut olds: Vec<f64> = pairs.iter().map(|p| p.1).collect();
                let (ratio, new_rate, old_rate) = (median(&mut ratios), median(&mut news), median(&mut olds));
                println!(
                    "xtask: native {name}: {:.2} M events/s here, {:.2} M at {rev} (by CPU time): x{ratio:.3}",
                    new_rate / 1e6,
                    old_rate / 1e6
                );
                rep.row(
                    &figure,
                    format!(
                        "{:.2} M events/s here, {:.2} M at {rev}: {:+.1}% (by CPU time, median of {} pairs run in turn)",
                        new_rate / 1e6,
                        old_rate / 1e6,
                        (ratio - 1.0) * 100.0,
                        pairs.len()
                    ),
                    "within 3%",
                    Mark::of(ratio >= 0.97),
                );
            }
            Err(e) => {
                rep.row(&figure, format!("could not measure: {e}"), "", Mark::Failed);
                rep.failures.push(format!("native {name} beside {rev}: {e}"));
            }
        }
    }
}

fn engine(root: &Path, bench_bin: &Path, opts: &Options, rep: &mut Report) {
    let models = ENGINE_MODELS;
    // (events/s by wall time, by CPU time, events) of each native run.
    let native_runs = |file: &str, duration: Option<f64>, name: &str| -> Result<Vec<(f64, f64, f64)>> {
        (0..opts.repeats).map(|_| native_run(root, bench_bin, file, duration, name)).collect()
    };
    // Half the native runs before the browser's and half after, so that a
    // change in the machine's load during the bench falls on both sides.
    let before: Vec<Result<Vec<(f64, f64, f64)>>> =
        models.iter().map(|(name, file, d, _)| native_runs(file, *d, name)).collect();
    let browser = (|| -> Result<Vec<f64>> {
        let mut cmd = node(root, "bench.mjs");
        cmd.env("BENCH_REPEATS", opts.repeats.to_string());
        for (_, file, duration, _) in models {
            let mut arg = root.join(file).to_string_lossy().into_owned();
            if let Some(d) = duration {
                arg = format!("{arg}@{d}");
            }
            cmd.arg(arg);
        }
        let out = json_lines("browser engine benchmark", &mut cmd)?;
        out.iter().map(|v| num(v, "events_per_s")).collect()
    })();
    let mut native = Vec::new();
    for (i, (name, file, duration, target)) in models.iter().enumerate() {
        let after = native_runs(file, *duration, name);
        let all = match (&before[i], after) {
            (Ok(b), Ok(a)) => Ok(b.iter().chain(a.iter()).cloned().collect::<Vec<_>>()),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e),
        };
        match all {
            Ok(runs) => {
                let mut wall: Vec<f64> = runs.iter().map(|r| r.0).collect();
                let mut cpu: Vec<f64> = runs.iter().map(|r| r.1).collect();
                let (wall, cpu, events) = (median(&mut wall), median(&mut cpu), runs[0].2);
                println!("xtask: native {name}: {:.2} M events/s (CPU time: {:.2})", wall / 1e6, cpu / 1e6);
                rep.row(
                    &format!("engine, native: {name}"),
                    format!(
                        "{:.2} M events/s (by CPU time {:.2} M; {:.1} M events, median of {} runs, half before and half after the browser's)",
                        wall / 1e6,
                        cpu / 1e6,
                        events / 1e6,
                        runs.len()
                    ),
                    &format!("≥ {:.0} M events/s", target / 1e6),
                    Mark::of(wall >= *target),
                );
                native.push(Some(wall));
            }
            Err(e) => {
                rep.row(&format!("engine, native: {name}"), format!("could not measure: {e}"), "", Mark::Failed);
                rep.failures.push(format!("native {name}: {e}"));
                native.push(None);
            }
        }
    }
    for (i, (name, ..)) in models.iter().enumerate() {
        let figure = format!("engine, headless Chromium (release wasm): {name}");
        match (&browser, native[i]) {
            (Ok(b), Some(n)) if b.len() == models.len() => {
                let ratio = b[i] / n;
                rep.row(
                    &figure,
                    format!("{:.2} M events/s = {:.0}% of native", b[i] / 1e6, 100.0 * ratio),
                    "≥ 60% of native",
                    Mark::of(ratio >= 0.6),
                );
            }
            (Ok(b), None) if b.len() == models.len() => {
                rep.row(
                    &figure,
                    format!("{:.2} M events/s (no native figure to compare)", b[i] / 1e6),
                    "≥ 60% of native",
                    Mark::Failed,
                );
            }
            (Ok(b), _) => {
                rep.row(
                    &figure,
                    format!("could not measure: {} results for {} models", b.len(), models.len()),
                    "",
                    Mark::Failed,
                );
                rep.failures.push(format!("browser {name}: wrong number of results"));
            }
            (Err(e), _) => {
                rep.row(&figure, format!("could not measure: {e}"), "", Mark::Failed);
                rep.failures.push(format!("browser {name}: {e}"));
            }
        }
    }
}

// ---- fan-out: the cost of an event with many servers behind one balancer ----

/// Requests/s each web server gets in the fan-out designs (8 workers, 8 ms:
/// two thirds busy), whatever their number.
const FANOUT_RPS_PER_SERVER: f64 = 667.0;
/// The two sizes compared; DESIGN.md: a 300-server tier within 1.5× of a
/// 4-server tier in events/s.
const FANOUT_SIZES: [usize; 2] = [4, 300];
const FANOUT_ALGORITHMS: [&str; 5] = ["round_robin", "least_connections", "random", "sticky", "two_choices"];

/// Users → one balancer → `servers` web servers, each with the same load,
/// run for about 2.4 million requests whatever the size.
fn fanout_design(servers: usize, algorithm: &str) -> Value {
    let mut nodes = vec![
        serde_json::json!({"id": "users", "kind": "users", "rps": FANOUT_RPS_PER_SERVER * servers as f64}),
        serde_json::json!({"id": "lb", "kind": "load_balancer", "algorithm": algorithm}),
    ];
    let mut links = vec![serde_json::json!({"from": "users", "to": "lb", "latency_ms": 10})];
    for i in 1..=servers {
        let id = format!("web-{i}");
        nodes.push(serde_json::json!({"id": id, "kind": "web_server", "workers": 8,
            "service": {"dist": "exponential", "mean_ms": 8}}));
        links.push(serde_json::json!({"from": "lb", "to": id, "latency_ms": 0.2}));
    }
    let duration_s = (3600.0 / servers as f64).ceil();
    serde_json::json!({
        "version": 2,
        "name": format!("Benchmark: {servers} web servers behind one balancer ({algorithm})"),
        "seed": 1,
        "duration_s": duration_s,
        "warmup_s": 0,
        "nodes": nodes,
        "links": links,
    })
}

/// Native events/s (by CPU time) of the 4- and the 300-server designs, run in
/// turn (ABBA) for each algorithm; the ratio is the fan-out's cost.
fn fanout(root: &Path, bench_bin: &Path, opts: &Options, rep: &mut Report) {
    let dir = target_dir(root).join("bench").join("fanout");
    for algorithm in FANOUT_ALGORITHMS {
        let figure = format!("fan-out: 300 web servers beside 4, {}", algorithm.replace('_', " "));
        let result = (|| -> Result<(f64, f64, f64, usize)> {
            std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            let files: Vec<PathBuf> = FANOUT_SIZES
                .iter()
                .map(|&n| {
                    let file = dir.join(format!("{n}-{algorithm}.json"));
                    let text = serde_json::to_string_pretty(&fanout_design(n, algorithm)).map_err(|e| e.to_string())?;
                    std::fs::write(&file, text).map_err(|e| format!("writing {}: {e}", file.display()))?;
                    Ok(file)
                })
                .collect::<Result<_>>()?;
            let run = |f: &PathBuf| native_run(root, bench_bin, &f.to_string_lossy(), None, &figure);
            let (mut small, mut large, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..2 * opts.repeats {
                let (a, b) = if i % 2 == 0 {
                    let a = run(&files[0])?;
                    (a, run(&files[1])?)
                } else {
                    let b = run(&files[1])?;
                    (run(&files[0])?, b)
                };
                small.push(a.1);
                large.push(b.1);
                ratios.push(a.1 / b.1);
            }
            Ok((median(&mut small), median(&mut large), median(&mut ratios), ratios.len()))
        })();
        match result {
            Ok((small, large, ratio, pairs)) => rep.row(
                &figure,
                format!(
                    "{:.2} M events/s with 300, {:.2} M with 4: {ratio:.2}× slower (by CPU time, median of {pairs} pairs run in turn)",
                    large / 1e6,
                    small / 1e6
                ),
                "≤ 1.5×",
                Mark::of(ratio <= 1.5),
            ),
            Err(e) => {
                rep.row(&figure, format!("could not measure: {e}"), "", Mark::Failed);
                rep.failures.push(format!("{figure}: {e}"));
            }
        }
    }
}

// ---- M/M/c against SimPy ----

/// Python with SimPy, in a venv under target/ (created and filled when missing).
fn simpy_python(root: &Path) -> Result<PathBuf> {
    let venv = target_dir(root).join("bench-venv");
    let python = venv.join("bin").join("python");
    let want = SIMPY.trim_start_matches("simpy==");
    let have = output(Command::new(&python).args(["-c", "import simpy; print(simpy.__version__)"]));
    if have.as_deref().map(str::trim) == Some(want) {
        println!("xtask: SimPy {want}: already installed in {}", venv.display());
        return Ok(python);
    }
    if !python.exists() {
        if output(Command::new("python3").args(["-c", "import ensurepip, venv"])).is_none() {
            // Debian ships venv's pip bootstrap separately.
            apt_install("python3-venv")?;
        }
        install("bench venv", Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    install(
        SIMPY,
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", SIMPY]),
    )?;
    Ok(python)
}

fn apt_install(package: &str) -> Result {
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = Command::new(if root_user { "apt-get" } else { "sudo" });
        if !root_user {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    install("apt-get update", &mut apt(&["update"]))?;
    install(package, &mut apt(&["install", "-y", package]))
}

fn peer(root: &Path, bench_bin: &Path, rep: &mut Report) -> Result {
    let python = simpy_python(root)?;
    // The engine's model: 4 workers, exponential 1 ms service, 3,600 arrivals/s
    // (utilisation 0.9) for 277.78 s: 1,000,000 customers.
    let e = json_lines("engine M/M/4", Command::new(bench_bin).arg("run").arg(root.join(MMC)))?;
    let e = e.first().ok_or("no engine result")?;
    let s = json_lines(
        "SimPy M/M/4",
        Command::new(&python).arg(root.join("xtask").join("peer").join("mmc_simpy.py")).args([
            "--servers",
            "4",
            "--utilisation",
            "0.9",
            "--mean-ms",
            "1",
            "--customers",
            "1000000",
        ]),
    )?;
    let s = s.first().ok_or("no SimPy result")?;
    let (e_events, e_wall, e_customers) = (num(e, "events")?, num(e, "wall_s")?, num(e, "nodes.app.arrivals")?);
    let (s_model, s_kernel, s_wall, s_customers) =
        (num(s, "model_events")?, num(s, "kernel_events")?, num(s, "wall_s")?, num(s, "customers")?);
    let e_rate = e_customers / e_wall;
    let s_rate = s_customers / s_wall;
    let simpy = s.get("simulator").and_then(Value::as_str).unwrap_or("SimPy");
    rep.row(
        "M/M/4 at utilisation 0.9, 1,000,000 customers: speed",
        format!(
            "engine {:.0} k customers/s ({:.2} M events/s, {:.1} events per customer; {:.2} s); {simpy} {:.0} k customers/s \
             ({:.2} M model events/s counting arrival, service start and departure; {:.2} M scheduler events/s; {:.1} s): \
             engine {:.0}× faster by wall time ({:.0}× by CPU time)",
            e_rate / 1e3,
            e_events / e_wall / 1e6,
            e_events / e_customers,
            e_wall,
            s_rate / 1e3,
            s_model / s_wall / 1e6,
            s_kernel / s_wall / 1e6,
            s_wall,
            e_rate / s_rate,
            (e_customers / num(e, "cpu_s")?) / (s_customers / num(s, "cpu_s")?)
        ),
        "",
        Mark::Info,
    );
    let (e_wait, s_wait, theory) =
        (num(e, "nodes.app.mean_wait_ms")?, num(s, "mean_wait_ms")?, num(s, "erlang_c_wait_ms")?);
    rep.row(
        "M/M/4: mean wait in queue",
        format!(
            "engine {e_wait:.3} ms ({:+.1}%), SimPy {s_wait:.3} ms ({:+.1}%), Erlang C {theory:.3} ms",
            100.0 * (e_wait / theory - 1.0),
            100.0 * (s_wait / theory - 1.0)
        ),
        "",
        Mark::Info,
    );
    Ok(())
}

// ---- size ----

fn size(root: &Path, dist: &Path, rep: &mut Report) -> Result {
    let out = json_lines("site size", node(root, "bench-size.mjs").arg(dist))?;
    let v = out.first().ok_or("no result")?;
    let (raw, gz, br) = (num(v, "total.raw")?, num(v, "total.gzip")?, num(v, "total.brotli")?);
    let (lraw, lgz, lbr) = (num(v, "first_load.raw")?, num(v, "first_load.gzip")?, num(v, "first_load.brotli")?);
    rep.row(
        "site size, gzip (level 9)",
        format!("{} for the whole site ({} raw); the first load {} ({} raw)", kb(gz), kb(raw), kb(lgz), kb(lraw)),
        "≤ 350 KB",
        Mark::of(gz <= 350.0 * 1024.0),
    );
    rep.row(
        "site size, brotli (quality 11)",
        format!("{} for the whole site; the first load {}", kb(br), kb(lbr)),
        "≤ 250 KB",
        Mark::of(br <= 250.0 * 1024.0),
    );
    let mut s =
        String::from("### The site's files\n\n| file | raw | gzip | brotli | first load |\n|---|---:|---:|---:|---|\n");
    for f in v.get("files").and_then(Value::as_array).into_iter().flatten() {
        let name = f.get("file").and_then(Value::as_str).unwrap_or("?");
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} |",
            kb(num(f, "raw")?),
            kb(num(f, "gzip")?),
            kb(num(f, "brotli")?),
            if f.get("first_load").and_then(Value::as_bool) == Some(true) { "yes" } else { "" }
        );
    }
    let _ = writeln!(s, "| **total** | {} | {} | {} | |", kb(raw), kb(gz), kb(br));
    rep.sections.push(s);
    Ok(())
}

/// The release wasm again, through wasm-bindgen and wasm-opt as trunk runs
/// them (-Oz) but keeping the name section (`--debuginfo`), then twiggy.
fn contributors(root: &Path, rep: &mut Report) -> Result {
    ensure_twiggy()?;
    let target = target_dir(root);
    let input =
        crate::site_target_dir(root).join("wasm32-unknown-unknown").join("wasm-release").join("scalelab-web.wasm");
    if !input.is_file() {
        return Err(format!("{} is missing (the site build makes it)", input.display()));
    }
    let dir = target.join("bench").join("wasm-names");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    run("wasm-bindgen", Command::new("wasm-bindgen").args(["--target", "web", "--out-dir"]).arg(&dir).arg(&input))?;
    let bound = dir.join("scalelab-web_bg.wasm");
    let named = dir.join("named.wasm");
    run(
        "wasm-opt",
        Command::new(tools_bin(root).join("wasm-opt")).args(["-Oz", "--debuginfo"]).arg(&bound).arg("-o").arg(&named),
    )?;
    let top = output(Command::new("twiggy").args(["top", "-n", "1000000", "-f", "json"]).arg(&named))
        .ok_or("twiggy top failed")?;
    let items: Vec<Value> = serde_json::from_str(&top).map_err(|e| format!("twiggy's JSON: {e}"))?;
    let shipped = std::fs::read_dir(root.join("dist"))
        .map_err(|e| e.to_string())?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
        .and_then(|e| e.metadata().ok())
        .map_or(0, |m| m.len());
    let named_len = std::fs::metadata(&named).map(|m| m.len()).unwrap_or(0);
    let mut crates: Vec<(String, f64)> = Vec::new();
    for it in items.iter().filter(|i| crate_of(i.get("name").and_then(Value::as_str).unwrap_or("")) != NAME_SECTION) {
        let name = it.get("name").and_then(Value::as_str).unwrap_or("");
        let size = it.get("shallow_size").and_then(Value::as_f64).unwrap_or(0.0);
        let c = crate_of(name);
        match crates.iter_mut().find(|(n, _)| *n == c) {
            Some((_, s)) => *s += size,
            None => crates.push((c, size)),
        }
    }
    crates.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Shares of the module without its name section (what is shipped).
    let items: Vec<&Value> = items
        .iter()
        .filter(|i| crate_of(i.get("name").and_then(Value::as_str).unwrap_or("")) != NAME_SECTION)
        .collect();
    let total: f64 = items.iter().filter_map(|i| i.get("shallow_size").and_then(Value::as_f64)).sum();
    let mut s = format!(
        "### The wasm module's largest contributors\n\ntwiggy on the release wasm rebuilt with its name section \
         (wasm-bindgen, then `wasm-opt -Oz --debuginfo`): {} with names; the shipped module is {}. \
         Sizes are twiggy's shallow sizes, shares of the module without its name section ({}).\n\n\
         By crate (the first path of each function's name; `other`: tables, imports, shims, unnamed code):\n\n\
         | crate | bytes | share |\n|---|---:|---:|\n",
        kb(named_len as f64),
        kb(shipped as f64),
        kb(total)
    );
    for (c, size) in crates.iter().filter(|(c, _)| c != NAME_SECTION).take(12) {
        let _ = writeln!(s, "| {c} | {} | {:.1}% |", kb(*size), 100.0 * size / total);
    }
    s.push_str("\nLargest items:\n\n| item | bytes | share |\n|---|---:|---:|\n");
    for it in items.iter().take(15) {
        let name = it.get("name").and_then(Value::as_str).unwrap_or("?");
        let name: String = name.chars().take(110).collect::<String>().replace('|', "\\|");
        let size = it.get("shallow_size").and_then(Value::as_f64).unwrap_or(0.0);
        let _ = writeln!(s, "| `{name}` | {} | {:.1}% |", kb(size), 100.0 * size / total);
    }
    let top3: Vec<String> = crates
        .iter()
        .filter(|(c, _)| c != NAME_SECTION)
        .take(3)
        .map(|(c, size)| format!("{c} {}", kb(*size)))
        .collect();
    rep.row("wasm module's largest contributors (twiggy, by crate)", top3.join(", "), "", Mark::Info);
    rep.sections.push(s);
    Ok(())
}

const NAME_SECTION: &str = "name section";

/// The crate a twiggy item belongs to, from its demangled name.
fn crate_of(name: &str) -> String {
    if name.ends_with("\" subsection") {
        return NAME_SECTION.into();
    }
    if name.starts_with("data segment") {
        return "data segments".into();
    }
    // `<T as core::fmt::Debug>::fmt` belongs to T's crate; `core::...` to core.
    let trimmed = name.trim_start_matches(['<', '&', '*', ' ']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let first = trimmed.split("::").next().unwrap_or("");
    if trimmed.contains("::") && !first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        first.to_string()
    } else {
        "other".into()
    }
}

fn ensure_twiggy() -> Result {
    if let Some(v) = output(Command::new("twiggy").arg("--version")) {
        println!("xtask: twiggy: already installed ({})", v.trim());
        return Ok(());
    }
    install("twiggy", Command::new("cargo").args(["install", "twiggy", "--version", "0.8.0", "--locked"]))
}

// ---- the page ----

fn page(root: &Path, figures: &[&str], envs: &[(&str, String)]) -> Result<Vec<Value>> {
    let mut cmd = node(root, "bench-page.mjs");
    cmd.args(figures).env("BENCH_DESIGN", root.join(LESSON13));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    json_lines("page benchmark", &mut cmd)
}

fn paint(root: &Path, rep: &mut Report) -> Result {
    let out = page(root, &["paint"], &[])?;
    let v = out.first().ok_or("no result")?;
    let (fcp, interactive) = (num(v, "fcp_ms")?, num(v, "interactive_ms")?);
    rep.row(
        "first contentful paint (localhost, fresh browser context, median of 5)",
        format!("{} ms", ms(fcp)),
        "< 300 ms",
        Mark::of(fcp < 300.0),
    );
    rep.row(
        "diagram interactive (its nodes in the DOM, the next frame, not before first paint)",
        format!("{} ms", ms(interactive)),
        "",
        Mark::Info,
    );
    rep.row(
        "bytes transferred until the diagram is interactive",
        format!(
            "{} from a host that gzips (level 9); {} uncompressed (median of {})",
            kb(num(v, "gzip_bytes")?),
            kb(num(v, "bytes")?),
            v.pointer("/runs/bytes").and_then(Value::as_array).map_or(0, Vec::len)
        ),
        "≤ 350 KB gzip (proposed, plan §2)",
        Mark::of(num(v, "gzip_bytes")? <= 350.0 * 1024.0),
    );
    Ok(())
}

/// The issue's target for a phone: the diagram within 2.5 s (Web Vitals'
/// "good" largest paint) on Lighthouse's mobile throttling, from a host
/// that gzips.
fn throttled(root: &Path, rep: &mut Report) -> Result {
    let out = page(root, &["throttled"], &[])?;
    let v = out.first().ok_or("no result")?;
    let interactive = num(v, "interactive_ms")?;
    rep.row(
        "first load, throttled like a phone (1.6 Mbps, 150 ms round trips, CPU 4× slower; files gzipped)",
        format!(
            "the diagram interactive after {:.2} s, first paint {:.2} s; {} transferred (median of {})",
            interactive / 1000.0,
            num(v, "fcp_ms")? / 1000.0,
            kb(num(v, "bytes")?),
            v.pointer("/runs/interactive").and_then(Value::as_array).map_or(0, Vec::len)
        ),
        "diagram ≤ 2.5 s",
        Mark::of(interactive <= 2500.0),
    );
    Ok(())
}

fn page_errors(v: &Value) -> String {
    match v.get("errors").and_then(Value::as_array) {
        Some(e) if !e.is_empty() => {
            format!("; page errors: {}", e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
        }
        _ => String::new(),
    }
}

/// The frame-time target: one frame of a 60 Hz display. requestAnimationFrame
/// fires on vsyncs, so intervals come in multiples of 16.67 ms (Chromium's
/// 0.1 ms timestamps and scheduling jitter put a frame on time anywhere from
/// about 16.5 to 16.9 ms); a missed vsync makes 33.3. "Under 16.7 ms" therefore
/// means the interval is a single vsync: below one and a half.
const ONE_FRAME_MS: f64 = 1.5 * 1000.0 / 60.0;

fn frames(root: &Path, rep: &mut Report) -> Result {
    let out = page(root, &["frames"], &[])?;
    let v = out.first().ok_or("no result")?;
    let traffic = v.get("traffic").and_then(Value::as_str).unwrap_or("?").to_string();
    let secs = num(v, "seconds")?;
    let p95 = num(v, "p95_ms")?;
    rep.row(
        &format!("frame time, lesson 13 at 1x ({traffic}), animation and charts on, {secs:.0} s"),
        format!(
            "p50 {} / p95 {} / p99 {} ms (max {} ms){}",
            ms(num(v, "p50_ms")?),
            ms(p95),
            ms(num(v, "p99_ms")?),
            ms(num(v, "max_ms")?),
            page_errors(v)
        ),
        "p95 one 60 Hz vsync (16.7 ms; an interval < 25 ms)",
        Mark::of(p95 <= ONE_FRAME_MS),
    );
    let longest = v
        .get("longest_tasks_ms")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).map(|x| format!("{x:.0} ms")).collect::<Vec<_>>())
        .map_or_else(
            || ", longest not observable".into(),
            |l| if l.is_empty() { String::new() } else { format!(", longest {}", l.join(", ")) },
        );
    rep.row(
        "dropped frames (missed vsyncs in intervals > 25 ms) and long tasks",
        format!(
            "{:.0} dropped of {:.0} expected ({:.0} fps); {} long tasks (> 50 ms){longest}; {} dots on screen",
            num(v, "dropped")?,
            num(v, "expected_frames")?,
            num(v, "fps")?,
            v.get("long_tasks").and_then(Value::as_f64).map_or("?".into(), |n| format!("{n:.0}")),
            num(v, "dots.mean").map_or("?".into(), |d| format!("{d:.0}"))
        ),
        "",
        Mark::Info,
    );
    let ratio = num(v, "realtime_ratio")?;
    rep.row(
        "simulation kept up with real time (simulated s / wall s)",
        format!(
            "{ratio:.2} ({:.1} simulated s in {:.1} s; \"slower than real time\" shown on {:.0}% of frames)",
            num(v, "sim_s")?,
            num(v, "wall_s")?,
            100.0 * num(v, "behind_frames")? / num(v, "frames")?.max(1.0)
        ),
        "1.00 at 1x",
        Mark::of(ratio >= 0.97),
    );
    match (v.get("chart_p50_ms").and_then(Value::as_f64), v.get("chart_p95_ms").and_then(Value::as_f64)) {
        (Some(p50), Some(p95)) => rep.row(
            "chart redraw (performance.measure around each redraw, same run)",
            format!("p50 {} / p95 {} ms ({:.0} redraws)", ms(p50), ms(p95), num(v, "chart_redraws")?),
            "< 2 ms",
            Mark::of(p95 < 2.0),
        ),
        _ => rep.row(
            "chart redraw",
            "no redraw measured (charts folded away, or the page built without the ?perf marks)".into(),
            "< 2 ms",
            Mark::Failed,
        ),
    }
    Ok(())
}

/// DESIGN.md: "a 300-node design runs at 1x at 60 fps". Users, one
/// least-connections balancer and 298 web servers (8 workers, 8 ms) at
/// 20,000 requests/s, placed in a grid of 30 rows.
fn design300_json() -> Value {
    const SERVERS: usize = 298;
    let mut nodes = vec![
        serde_json::json!({"id": "users", "kind": "users", "rps": 20000, "x": 0, "y": 0}),
        serde_json::json!({"id": "lb", "kind": "load_balancer", "algorithm": "least_connections", "x": 200, "y": 0}),
    ];
    let mut links = vec![serde_json::json!({"from": "users", "to": "lb", "latency_ms": 10})];
    for i in 0..SERVERS {
        let id = format!("web-{}", i + 1);
        nodes.push(serde_json::json!({"id": id, "kind": "web_server", "workers": 8,
            "service": {"dist": "exponential", "mean_ms": 8}, "x": 400 + (i / 30) * 180, "y": (i % 30) * 90}));
        links.push(serde_json::json!({"from": "lb", "to": id, "latency_ms": 0.2}));
    }
    serde_json::json!({"version": 2, "name": "Benchmark: 300 nodes", "seed": 1, "duration_s": 3600, "warmup_s": 0,
        "nodes": nodes, "links": links})
}

fn design300(root: &Path, rep: &mut Report) -> Result {
    let dir = target_dir(root).join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let file = dir.join("design-300.json");
    let text = serde_json::to_string(&design300_json()).map_err(|e| e.to_string())?;
    std::fs::write(&file, text).map_err(|e| format!("writing {}: {e}", file.display()))?;
    let out = page(root, &["frames"], &[("BENCH_DESIGN", file.to_string_lossy().into_owned())])?;
    let v = out.first().ok_or("no result")?;
    let p95 = num(v, "p95_ms")?;
    rep.row(
        &format!("frame time, a 300-node design at 1x (298 web servers, 20,000 req/s), {:.0} s", num(v, "seconds")?),
        format!(
            "p50 {} / p95 {} / p99 {} ms; {:.0} fps, {} long tasks (> 50 ms); kept up {:.2}{}",
            ms(num(v, "p50_ms")?),
            ms(p95),
            ms(num(v, "p99_ms")?),
            num(v, "fps")?,
            v.get("long_tasks").and_then(Value::as_f64).map_or("?".into(), |n| format!("{n:.0}")),
            num(v, "realtime_ratio")?,
            page_errors(v)
        ),
        "p95 one 60 Hz vsync (16.7 ms; an interval < 25 ms)",
        Mark::of(p95 <= ONE_FRAME_MS),
    );
    Ok(())
}

fn particles(root: &Path, rep: &mut Report) -> Result {
    let out = page(root, &["particles"], &[])?;
    let v = out.first().ok_or("no result")?;
    let p95 = num(v, "p95_ms")?;
    let (dmin, dmean, dmax) = (num(v, "dots.min")?, num(v, "dots.mean")?, num(v, "dots.max")?);
    let enough = dmean >= 9000.0;
    rep.row(
        &format!("frame time with 10,000 particles (lesson 13 at {}x, ?dots=10000)", num(v, "speed")?),
        format!(
            "p50 {} / p95 {} / p99 {} ms, {:.0} fps, {:.0} dropped; dots on screen {dmean:.0} on average ({dmin:.0} to {dmax:.0}), recorded from {:.1} s after the change of speed{}{}",
            ms(num(v, "p50_ms")?),
            ms(p95),
            ms(num(v, "p99_ms")?),
            num(v, "fps")?,
            num(v, "dropped")?,
            num(v, "settled_s")?,
            if enough { "" } else { " (fewer than 9,000: the figure is not of 10,000)" },
            page_errors(v)
        ),
        "60 fps (p95 one vsync, 16.7 ms; < 25 ms)",
        if enough { Mark::of(p95 <= ONE_FRAME_MS) } else { Mark::Failed },
    );
    Ok(())
}

/// The live page (lesson 9 at 1x) while the A/B comparison of lesson 9 with
/// its previous step runs as fast as it can (asked for 100x) in its worker:
/// how far it gets in wall time, and the page's frames meanwhile.
fn compare(root: &Path, rep: &mut Report) -> Result {
    let out = page(root, &["compare"], &[])?;
    let v = out.first().ok_or("no result")?;
    let p95 = num(v, "p95_ms")?;
    let secs = num(v, "seconds")?;
    rep.row(
        "frame time while an A/B comparison runs (lesson 9 and its previous step, asked for 100x)",
        format!(
            "p50 {} / p95 {} / p99 {} ms (max {} ms), {:.0} dropped; the comparison covered {:.1} simulated s in {:.0} s ({:.2} per wall second){}",
            ms(num(v, "p50_ms")?),
            ms(p95),
            ms(num(v, "p99_ms")?),
            ms(num(v, "max_ms")?),
            num(v, "dropped")?,
            num(v, "compared_s")?,
            secs,
            num(v, "compared_s")? / secs,
            page_errors(v)
        ),
        "p95 one 60 Hz vsync (16.7 ms; an interval < 25 ms)",
        Mark::of(p95 <= ONE_FRAME_MS),
    );
    Ok(())
}

/// The live page (lesson `lesson` at 1x) while its resilience report is worked
/// on in the engine's worker: a wall-clock figure, which a busy machine makes
/// worse, so a figure here and not a test's assertion.
fn report(root: &Path, rep: &mut Report, lesson: u32) -> Result {
    let out = page(root, &["report"], &[("BENCH_REPORT_LESSON", lesson.to_string())])?;
    let v = out.first().ok_or("no result")?;
    let p95 = num(v, "p95_ms")?;
    rep.row(
        &format!("frame time while the resilience report runs (lesson {lesson} at 1x, {} trials)", num(v, "trials")?),
        format!(
            "p50 {} / p95 {} / p99 {} ms (max {} ms), {:.0} dropped; the report took {:.1} s{}",
            ms(num(v, "p50_ms")?),
            ms(p95),
            ms(num(v, "p99_ms")?),
            ms(num(v, "max_ms")?),
            num(v, "dropped")?,
            num(v, "wall_s")?,
            page_errors(v)
        ),
        "p95 one 60 Hz vsync (16.7 ms; an interval < 25 ms)",
        Mark::of(p95 <= ONE_FRAME_MS),
    );
    Ok(())
}

fn memory(root: &Path, bench_bin: &Path, opts: &Options, rep: &mut Report) -> Result {
    let hours = opts.hours.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let minutes = opts.minutes.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    println!("xtask: $ {} memory {MEMORY_DESIGN} --hours {hours} (in the background)", bench_bin.display());
    let native = Command::new(bench_bin)
        .arg("memory")
        .arg(root.join(MEMORY_DESIGN))
        .args(["--hours", &hours])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting scalelab-bench memory: {e}"))?;
    let page_result = page(root, &["memory"], &[("BENCH_MEMORY_MIN", minutes.clone())]);
    let native_out = native.wait_with_output().map_err(|e| format!("scalelab-bench memory: {e}"))?;
    let mut failed = Vec::new();

    // Native.
    let lines: Vec<Value> =
        String::from_utf8_lossy(&native_out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if native_out.status.success() && lines.len() >= 2 {
        let (a, b) = (&lines[0], lines.last().expect("two lines"));
        let (ha, hb) = (num(a, "heap_live_bytes")?, num(b, "heap_live_bytes")?);
        let flat = hb <= ha * 1.05 + 65536.0;
        rep.row(
            &format!(
                "memory, native, {} at 10,000 requests/s (users → web → database), after {} h and {} h simulated",
                "engine/scenarios/bench-memory.json",
                num(a, "sim_hours")?,
                num(b, "sim_hours")?
            ),
            format!(
                "live heap {} → {}, peak {}; RSS {} → {}; request slots {:.0} → {:.0}; {:.0} M requests, {:.0} s wall ({:.0} s CPU)",
                mb(ha),
                mb(hb),
                mb(num(b, "heap_peak_bytes")?),
                mb(num(a, "rss_bytes")?),
                mb(num(b, "rss_bytes")?),
                num(a, "arena_slots")?,
                num(b, "arena_slots")?,
                num(b, "requests")? / 1e6,
                num(b, "wall_s")?,
                num(b, "cpu_s")?
            ),
            "flat (last ≤ first + 5%)",
            Mark::of(flat),
        );
    } else {
        failed.push(format!("native memory run: {} ({} readings)", native_out.status, lines.len()));
    }

    // Page.
    match page_result {
        Ok(out) => {
            let v = out.first().ok_or("no page memory result")?;
            let r = v.get("readings").and_then(Value::as_array).cloned().unwrap_or_default();
            if r.len() >= 2 {
                let (a, b) = (&r[0], &r[r.len() - 1]);
                let (wa, wb) = (num(a, "wasm_bytes")?, num(b, "wasm_bytes")?);
                let js = |x: &Value| x.get("js_heap_bytes").and_then(Value::as_f64).map_or("?".into(), mb);
                let at = |f: &dyn Fn(&Value) -> String| r.iter().map(f).collect::<Vec<_>>().join(" → ");
                let wall = at(&|x| num(x, "wall_min").map_or("?".into(), |m| format!("{m}")));
                rep.row(
                    &format!("memory, page, lesson 13 (its duration set to 30 days) in fast-forward (100x), after {wall} min"),
                    format!(
                        "wasm memory {}; JS heap {} (after gc()){}",
                        at(&|x| num(x, "wasm_bytes").map_or("?".into(), mb)),
                        at(&js),
                        page_errors(v)
                    ),
                    "flat (wasm memory: last ≤ first + 5%)",
                    Mark::of(wb <= wa * 1.05),
                );
                // No slowdown: simulated seconds per wall minute in each
                // interval between readings; the last against the fastest
                // before it (the native memory run shares the machine during
                // the first minutes, so an early interval may be the slowest).
                let mut rates = Vec::new();
                for w in r.windows(2) {
                    let (x, y) = (&w[0], &w[1]);
                    let rate = (num(y, "sim_s")? - num(x, "sim_s")?) / (num(y, "wall_min")? - num(x, "wall_min")?);
                    rates.push((rate, format!("{rate:.0} ({}–{} min)", num(x, "wall_min")?, num(y, "wall_min")?)));
                }
                let last = rates.last().map_or(0.0, |r| r.0);
                let before = &rates[..rates.len() - 1];
                let fastest_before =
                    if before.is_empty() { last } else { before.iter().map(|r| r.0).fold(f64::MIN, f64::max) };
                rep.row(
                    "speed of the same fast-forward over time (simulated s per wall minute)",
                    format!(
                        "{}; the last {:+.0}% against the fastest before it; simulated {}",
                        rates.iter().map(|r| r.1.as_str()).collect::<Vec<_>>().join(", "),
                        (last / fastest_before - 1.0) * 100.0,
                        at(&|x| num(x, "sim_s").map_or("?".into(), |s| format!("{s:.0} s")))
                    ),
                    "no slowdown (last ≥ 90% of the fastest before)",
                    Mark::of(last >= fastest_before * 0.9),
                );
            } else {
                failed.push(format!("page memory: {} readings", r.len()));
            }
        }
        Err(e) => failed.push(format!("page memory: {e}")),
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

// ---- the document ----

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine_description(load_before: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map_or(String::new(), |k| format!(", {:.1} GB RAM", k / 1048576.0));
    let v = |c: &str, a: &str| output(Command::new(c).arg(a)).map(|s| s.trim().to_string()).unwrap_or_default();
    format!(
        "{cpu}, {cores} cores{mem}; {}; {}; node {}; load average at the start {load_before}, at the end {}",
        v("rustc", "--version"),
        v("chromium", "--version"),
        v("node", "--version"),
        load_average()
    )
}

fn document(machine: &str, load_before: &str, table: &str, sections: &[String], secs: f64) -> String {
    let date = output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let busy =
        load_before.split_whitespace().next().and_then(|l| l.parse::<f64>().ok()).is_some_and(|l| l > 0.5 * cores);
    let warning = if busy {
        "**The machine was busy when this was measured** (see the load average below): wall-clock figures \
         (events/s, frames, paint) are pessimistic and noisy; the CPU-time figures are less affected. \
         Re-measure on a quiet machine.\n\n"
    } else {
        ""
    };
    format!(
        "# Benchmarks\n\n\
Written by `cargo xtask bench` on {} in {:.0} s. Targets are DESIGN.md's budgets (section 6).\n\n\
{warning}Machine: {machine}\n\n\
{table}\n\
{}\n\
{HOW}",
        date.trim(),
        secs,
        sections.join("\n")
    )
}

const HOW: &str = "## How to run\n\n\
```\n\
cargo xtask bench                              # every figure (about 35 minutes), writes this file\n\
cargo xtask bench --only size,frames           # some figures: engine, fanout, peer, size, paint, throttled, frames (with charts), design300, particles, report, compare, memory\n\
cargo xtask bench --only memory --hours 1,2 --minutes 0.5,1   # a shorter memory run\n\
cargo xtask bench --repeats 5                  # runs per engine figure (default 3; natively that many before and after the browser's)\n\
cargo xtask bench --only engine --against main~3   # the native engine beside an older commit's, in turn, with the change\n\
```\n\n\
A run with `--only` prints the table and writes it to target/bench/last.md, leaving this file alone; a run of every figure (with any `--hours`, `--minutes`, `--repeats`; the rows say which were used) rewrites this file. \
The bench installs what it needs: the site's tools and Chromium (`cargo xtask setup --test`), twiggy (`cargo install`), \
SimPy in a venv under target/bench-venv (pip).\n\n\
## What each figure means\n\n\
- **engine, native**: `scalelab-bench run` (engine/src/bin/scalelab-bench.rs, release build) builds the simulation \
and runs it to its end; events processed ÷ wall time of that, median of the runs (half of them before the browser's runs, half after, so that a change in the machine's load falls on both). \"By CPU time\" divides by the \
CPU time the thread really had (/proc/self/schedstat), which a busy machine does not inflate. M/M/1 is \
engine/scenarios/bench-mm1.json; lesson 13 is lessons/13-millions-of-users.json unchanged, its duration set to 15 s \
(10 s of it warm-up, about 100,000 requests/s).\n\
- **fan-out**: users → one load balancer → 4 or 300 web servers (8 workers, 8 ms exponential, 667 requests/s on \
each server whatever their number, about 2.4 million requests per run), written by the bench into target/bench/fanout/ \
for each algorithm; `scalelab-bench run` on the two in turn, events/s by CPU time, the ratio of each pair, median. \
DESIGN.md asks that the cost of an event not grow with fan-out: 300 servers within 1.5× of 4.\n\
- **engine, headless Chromium**: the same two runs through the page's `run_scenario_events` binding in the release \
site (tests/e2e/bench.mjs), timed inside the page around the one call, the live page paused; the ratio is to the \
native wall-time figure.\n\
- **frame time**: tests/e2e/bench-page.mjs opens the page with lesson 13 in a share link (`#s=` with raw DEFLATE + \
base64url of the JSON, as src/keeping/storage.rs makes them), at 1x with the animation on, waits 3 s, then records every \
`requestAnimationFrame` timestamp for 20 s; frame time = interval between frames (p50/p95/p99). Dropped frames = \
missed vsyncs (an interval of n × 16.7 ms counts n − 1) over intervals longer than 1.5 × 16.7 ms. Long tasks come \
from a `PerformanceObserver` of type `longtask` (tasks over 50 ms).\n\
- **kept up with real time**: the page's clock (`t = … s`) at the end minus at the start of those 20 s, over the \
wall seconds; the clock is refreshed 4 times a second, so ±0.3 s. \"Slower than real time\" is the page's own notice.\n\
- **chart redraw**: with `?perf` in the address, src/panels/charts.rs wraps each chart redraw in `performance.mark`/`measure` \
(`scalelab-chart-redraw`); the measures taken during the frame-time run, p50/p95.\n\
- **300-node design**: the frame-time run above on a design the bench writes into target/bench/design-300.json \
(users, one least-connections balancer, 298 web servers of 8 workers and 8 ms, 20,000 requests/s, in a grid); \
DESIGN.md: a 300-node design runs at 1x at 60 fps.\n\
- **10,000 particles**: `?dots=10000` makes the animation aim for 10,000 dots instead of about 2,000 \
(src/shell/animation.rs); lesson 13 at 0.1x so the frame holds little engine work and mostly the dots; the dots on screen \
are read from the page's sampling line each frame of the 10 s recorded (mean, min, max; the animation ignores new hops past twice its budget); \
the page loads at 1x, and the recording starts 3 s after the change to 0.1x and once the line reads 9,000 dots (the row says when).\n\
- **frames during the report**: lesson 5 (`?lesson=5`), then lesson 13, at 1x, the resilience report run from its panel; every \
`requestAnimationFrame` interval from the click on Run until the table is shown; the report is worked on in the engine's worker \
(worker/, src/run/worker.rs), beside the live run on the page's thread. \"Took\" is that wall time.\n\
- **frames during a comparison**: lesson 9 (`?lesson=9`) at 1x; the comparison with its previous step started from the \
Compare dialog and set to 100x, faster than it can run, so it runs flat out in its own worker \
(engine/src/analysis/compare_session.rs); every `requestAnimationFrame` interval for 15 s after its first reading, and the \
simulated seconds its clock (`compare-time`) moved meanwhile.\n\
- **site size**: every file of dist/ (tests/e2e/bench-size.mjs, node's zlib: gzip level 9, brotli quality 11); \
\"first load\" leaves out public/, which holds the embedding example.\n\
- **wasm contributors**: the release wasm from cargo (before wasm-bindgen) run through wasm-bindgen and \
`wasm-opt -Oz --debuginfo` as trunk does but keeping function names, then `twiggy top`; sizes grouped by the crate \
that starts each function's name.\n\
- **first paint**: a fresh browser context (empty cache) opens `/`; first-contentful-paint from the Paint Timing API; \
interactive = the frame after the diagram's first node is in the DOM (a MutationObserver), and not before first paint; median of 5. \
Bytes until interactive: the encoded size of every response (headers included) whose last byte came before that moment, from the \
DevTools protocol's network events (`Network.loadingFinished`), as python's server sends them (uncompressed) and, in one more load, \
from the throttled figure's gzip server (not throttled).\n\
- **throttled first load**: tests/e2e/bench-page.mjs serves dist/ from a local server that gzips every file \
(level 9, as hosts do), opens `/` in a fresh context with a 412×823 viewport, the DevTools protocol's network \
throttling (1.6 Mbps down, 750 kbps up, 150 ms latency) and CPU throttling (4× slower) of Lighthouse's mobile preset; \
interactive as for first paint; bytes as for first paint (responses finished before interactive); median of 3 \
(`BENCH_THROTTLED_RUNS`). The issue's target: the diagram within 2.5 s.\n\
- **memory, native**: `scalelab-bench memory` with a counting global allocator (bytes live and peak), the request \
arena's slots (its high-water mark) and RSS from /proc/self/status, at each simulated hour asked. It runs beside the \
page's fast-forward (one core each), so its wall time is of a shared machine.\n\
- **memory, page**: lesson 13, its duration set to 30 days so that it is still running at the end, at 100x (the engine \
runs as fast as its per-frame budget lets it) for 30 minutes; at 1, 10 and 30 minutes the wasm linear memory (`memory.buffer.byteLength` of the exports trunk hands over in its \
`TrunkApplicationStarted` event) and `performance.memory.usedJSHeapSize` after `gc()` (Chromium started with \
`--enable-precise-memory-info --js-flags=--expose-gc`), and the page's clock, whose progress per wall minute in each \
interval is the speed row: the last interval must keep 90% of the fastest before it.\n\
- **M/M/c peer**: the same M/M/4 model (utilisation 0.9, exponential 1 ms service, 1,000,000 customers) in the engine \
(engine/scenarios/bench-mmc.json) and in SimPy (xtask/peer/mmc_simpy.py, only `env.run()` timed). Customers per second \
compare the two fairly; the engine's events per customer are its own (arrival, hops, service, response), SimPy's \
\"model events\" count arrival, service start and departure, and its scheduler events are what its kernel processed. \
Mean waits are beside the Erlang C value.\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bench_options() {
        let d = Options::parse(&[]).unwrap();
        assert!(d.full() && d.wants("memory") && d.repeats == 3);
        let o = Options::parse(&args(&["--only", "size,charts", "--repeats=5"])).unwrap();
        assert_eq!(o.only, vec!["size", "frames"]);
        assert!(o.wants("frames") && !o.wants("engine") && !o.full());
        assert_eq!(Options::parse(&args(&["--hours", "1,2"])).unwrap().hours, vec![1.0, 2.0]);
        assert!(Options::parse(&args(&["--only", "sizes"])).is_err());
        assert!(Options::parse(&args(&["--only", "fanout"])).unwrap().wants("fanout"));
        assert!(Options::parse(&args(&["--hours", "24,1"])).is_err());
        assert!(Options::parse(&args(&["--minutes", "1"])).is_err());
        assert!(Options::parse(&args(&["--repeats", "0"])).is_err());
        assert_eq!(Options::parse(&args(&["--against", "ec03bf5"])).unwrap().against.as_deref(), Some("ec03bf5"));
        assert_eq!(d.against, None);
        assert!(Options::parse(&args(&["--against"])).is_err());
    }

    #[test]
    fn fanout_designs_load_every_server_alike() {
        for n in FANOUT_SIZES {
            let d = fanout_design(n, "random");
            let nodes = d["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), n + 2);
            assert_eq!(d["links"].as_array().unwrap().len(), n + 1);
            let rps = nodes[0]["rps"].as_f64().unwrap();
            assert!((rps / n as f64 - FANOUT_RPS_PER_SERVER).abs() < 1e-9);
            // About the same number of requests whatever the size.
            let requests = rps * d["duration_s"].as_f64().unwrap();
            assert!((requests / 2_401_200.0 - 1.0).abs() < 0.01, "{n}: {requests}");
        }
    }

    #[test]
    fn the_300_node_design_has_300_nodes_each_wired() {
        let d = design300_json();
        let nodes = d["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 300);
        let links = d["links"].as_array().unwrap();
        assert_eq!(links.len(), 299);
        let mut places: Vec<(i64, i64)> =
            nodes.iter().map(|n| (n["x"].as_i64().unwrap(), n["y"].as_i64().unwrap())).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 300, "no two nodes on one spot");
    }

    #[test]
    fn crates_of_function_names() {
        assert_eq!(crate_of("scalelab_engine::sim::Simulation::step::h0123"), "scalelab_engine");
        assert_eq!(crate_of("<leptos::View as core::fmt::Debug>::fmt"), "leptos");
        assert_eq!(crate_of("data[0]"), "other");
        assert_eq!(crate_of("\"function names\" subsection"), NAME_SECTION);
        assert_eq!(crate_of("data segment \".rodata.101\""), "data segments");
        assert_eq!(crate_of("dlmalloc"), "other");
    }
}
