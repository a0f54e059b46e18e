//! `cargo xtask <command>`: one command each to set up, serve, build, test and
//! benchmark Scale Lab on a fresh machine. Every tool is installed only when it
//! is missing or not at the pinned version, so a warm machine pays nothing.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::Instant;

mod bench;
mod csp;
#[cfg(test)]
mod layers;
mod pins;
use pins::*;

const USAGE: &str = "usage: cargo xtask <command>
  setup [--test]  install what is missing (with --test: also Chromium and the npm test packages)
  serve           set up, then build and serve the playground at http://127.0.0.1:8080/
  build           set up, then build the release site into dist/
  dist [--base /scale-lab/] [--out DIR]
                  set up, then build a static site to host at that path (default /, into dist/;
                  DIR is emptied first)
  test            set up, then run every test: engine, app, release build, end-to-end in Chromium
  bench [--only engine,peer,size,paint,frames,particles,memory] [--hours 1,24] [--minutes 1,10,30] [--repeats 3]
        [--against REV]
                  set up, then measure every performance budget (engine events/s natively and in
                  Chromium, frames, particles, charts, site size, first paint, memory, a SimPy peer)
                  and print each beside its target; a full run writes BENCHMARKS.md. --against REV
                  also runs the native engine as built at commit REV, in turn with this tree";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = repo_root();
    prepare_path(&root);
    let started = Instant::now();
    let outcome = match args.first().map(String::as_str) {
        Some("setup") => setup(&root, args.iter().any(|a| a == "--test")),
        Some("serve") => serve(&root),
        Some("build") => setup(&root, false).and_then(|_| build_site(&root)),
        Some("dist") => match DistArgs::parse(&args[1..]) {
            Ok(d) => setup(&root, false).and_then(|_| dist(&root, &d)),
            Err(e) => {
                eprintln!("xtask dist: {e}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("test") => test(&root),
        Some("bench") => bench::bench(&root, &args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    print_summary(started);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    // xtask/ sits in the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

fn tools_bin(root: &Path) -> PathBuf {
    root.join(".tools").join("node_modules").join(".bin")
}

/// Where `cargo install` puts binaries: $CARGO_HOME/bin, else ~/.cargo/bin.
fn cargo_bin() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin"))
}

/// The one place that handles PATH: puts our npm tools folder (wasm-opt) and
/// cargo's bin folder (trunk, wasm-bindgen) in front of PATH, once, so that
/// every child process (trunk in particular) finds the pinned tools.
fn prepare_path(root: &Path) {
    let mut dirs = vec![tools_bin(root)];
    dirs.extend(cargo_bin());
    if let Some(path) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&path));
    }
    let joined = env::join_paths(dirs).expect("PATH entries are valid");
    // SAFETY: called at start-up, before any thread is spawned.
    unsafe { env::set_var("PATH", joined) };
}

/// Runs a command to completion, inheriting the terminal; fails with `what` on error.
fn run(what: &str, cmd: &mut Command) -> Result {
    println!("xtask: $ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("{what}: could not start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: `{}` exited with {status}", describe(cmd)))
    }
}

/// Runs a command and returns its standard output, or `None` if it cannot run
/// or fails (used to probe versions).
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Every step and install so far: (name, seconds, passed), for the summary.
/// (Global, not per thread: `test` builds the site on a second thread.)
static RECORD: Mutex<Vec<(String, f64, bool)>> = Mutex::new(Vec::new());
/// Tests counted so far, from the test runners' own result lines.
static TESTS: Mutex<TestCount> = Mutex::new(TestCount { passed: 0, failed: 0 });

/// Tests that ran: passed and failed (ignored and skipped tests did not run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TestCount {
    passed: u64,
    failed: u64,
}

impl TestCount {
    /// Reads one line of output of `cargo test` (`test result: ok. 12 passed;
    /// 0 failed; 1 ignored; ...`) or of `node --test` (its closing `# pass 12`
    /// and `# fail 0`, `# cancelled 0` lines; a cancelled test counts as failed).
    fn read_line(&mut self, line: &str) {
        let line = line.trim();
        let number = |s: &str| s.trim().split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse::<u64>().ok());
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let part = part.trim().trim_start_matches("ok.").trim_start_matches("FAILED.").trim();
                if let Some(n) = part.strip_suffix(" passed").and_then(number) {
                    self.passed += n;
                } else if let Some(n) = part.strip_suffix(" failed").and_then(number) {
                    self.failed += n;
                }
            }
        } else if let Some(n) = line.strip_prefix("# pass ").and_then(number) {
            self.passed += n;
        } else if let Some(n) = line.strip_prefix("# fail ").and_then(number) {
            self.failed += n;
        } else if let Some(n) = line.strip_prefix("# cancelled ").and_then(number) {
            self.failed += n;
        }
    }
}

/// Runs a test command to completion, passing its output through and counting
/// the tests its result lines report (see [`TestCount::read_line`]).
fn run_tests(what: &str, cmd: &mut Command) -> Result {
    use std::io::{BufRead, Write};
    println!("xtask: $ {}", describe(cmd));
    let mut child =
        cmd.stdout(Stdio::piped()).spawn().map_err(|e| format!("{what}: could not start {}: {e}", describe(cmd)))?;
    let mut count = TestCount::default();
    if let Some(out) = child.stdout.take() {
        let stdout = std::io::stdout();
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            count.read_line(&line);
            let mut lock = stdout.lock();
            let _ = writeln!(lock, "{line}");
        }
    }
    let status = child.wait().map_err(|e| format!("{what}: {e}"))?;
    {
        let mut t = TESTS.lock().unwrap_or_else(|e| e.into_inner());
        t.passed += count.passed;
        t.failed += count.failed;
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: `{}` exited with {status} ({} failed)", describe(cmd), count.failed))
    }
}

fn record(name: &str, secs: f64, ok: bool) {
    RECORD.lock().unwrap_or_else(|e| e.into_inner()).push((name.to_string(), secs, ok));
}

/// Times a step, prints its duration and records it for the summary; an error
/// is prefixed with the step's name.
fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\nxtask: ── {name}");
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    record(name, secs, out.is_ok());
    let out = out.map_err(|e| format!("[{name}] {e}"))?;
    println!("xtask: ── {name}: done in {secs:.1} s");
    Ok(out)
}

/// Prints every recorded step with its time, and the total; after tests, one
/// line more with the tests run, passed and failed and the time of each stage.
fn print_summary(started: Instant) {
    let rows = RECORD.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if rows.is_empty() {
        return;
    }
    let total = started.elapsed().as_secs_f64();
    println!("\nxtask: summary");
    for (name, secs, ok) in &rows {
        println!("xtask:   {:<6} {secs:>7.1} s  {name}", if *ok { "ok" } else { "FAILED" });
    }
    println!("xtask:   total  {total:>7.1} s");
    let tests = *TESTS.lock().unwrap_or_else(|e| e.into_inner());
    if tests != TestCount::default() {
        println!("{}", one_line_summary(tests, &rows, total));
    }
}

/// `xtask: 514 tests run, 514 passed, 0 failed · set-up 3 s · … · total 680 s`:
/// each stage by its name up to the parenthesis; a stage that ran beside the
/// native tests is marked `*`, since its time overlaps theirs.
fn one_line_summary(tests: TestCount, rows: &[(String, f64, bool)], total: f64) -> String {
    let mut line =
        format!("xtask: {} tests run, {} passed, {} failed", tests.passed + tests.failed, tests.passed, tests.failed);
    let mut overlapped = false;
    for (name, secs, ok) in rows {
        let short = name.split(" (").next().unwrap_or(name);
        let beside = name.contains("beside the native tests");
        overlapped |= beside;
        line.push_str(&format!(
            " · {short}{} {secs:.0} s{}",
            if beside { "*" } else { "" },
            if *ok { "" } else { " FAILED" }
        ));
    }
    line.push_str(&format!(" · total {total:.0} s"));
    if overlapped {
        line.push_str(" (* beside the native tests)");
    }
    line
}

/// Runs an install command, timed and recorded as "install <what>".
fn install(what: &str, cmd: &mut Command) -> Result {
    let start = Instant::now();
    let out = run(&format!("installing {what}"), cmd);
    let secs = start.elapsed().as_secs_f64();
    record(&format!("install {what}"), secs, out.is_ok());
    out?;
    println!("xtask: {what}: installed in {secs:.0} s");
    Ok(())
}

// ---- set-up ----

fn setup(root: &Path, for_tests: bool) -> Result {
    step("set-up", || {
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
        let bindgen = locked_version(&lock, "wasm-bindgen")?;
        let trunk_toml =
            std::fs::read_to_string(root.join("Trunk.toml")).map_err(|e| format!("reading Trunk.toml: {e}"))?;
        check_trunk_pin(&trunk_toml, &bindgen)?;

        ensure_wasm_target()?;
        ensure_cargo_tool(
            "trunk",
            |v| v.starts_with(&format!("trunk {TRUNK_SERIES}")),
            Command::new("cargo").args(["install", "trunk", "--version", TRUNK_REQUIREMENT, "--locked"]),
        )?;
        // Not --locked: the registry lacks one of the CLI's locked transitive versions.
        ensure_cargo_tool(
            "wasm-bindgen",
            |v| v.trim() == format!("wasm-bindgen {bindgen}"),
            Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &bindgen]),
        )?;
        ensure_wasm_opt(root)?;
        if for_tests {
            ensure_chromium()?;
            ensure_npm_test_packages(root)?;
        }
        Ok(())
    })
}

fn ensure_wasm_target() -> Result {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("xtask: {WASM_TARGET}: already installed");
        return Ok(());
    }
    println!("xtask: {WASM_TARGET}: installing");
    install(WASM_TARGET, Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Installs a cargo-installed tool unless `name --version` already satisfies `is_pinned`.
fn ensure_cargo_tool(name: &str, is_pinned: impl Fn(&str) -> bool, install_cmd: &mut Command) -> Result {
    let current = output(Command::new(name).arg("--version"));
    if let Some(v) = current.as_deref().filter(|v| is_pinned(v)) {
        println!("xtask: {name}: already installed ({})", v.trim());
        return Ok(());
    }
    match current {
        Some(v) => println!("xtask: {name}: found {}, installing the pinned version", v.trim()),
        None => println!("xtask: {name}: installing"),
    }
    install(name, install_cmd)
}

fn ensure_wasm_opt(root: &Path) -> Result {
    let wasm_opt = tools_bin(root).join("wasm-opt");
    if let Some(v) = output(Command::new(&wasm_opt).arg("--version")).filter(|v| v.contains(WASM_OPT_VERSION)) {
        println!("xtask: wasm-opt: already installed ({})", v.trim());
        return Ok(());
    }
    println!("xtask: wasm-opt: installing npm {BINARYEN_PACKAGE}");
    let tools = root.join(".tools");
    std::fs::create_dir_all(&tools).map_err(|e| format!("creating {}: {e}", tools.display()))?;
    install(
        "wasm-opt",
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--save-exact", "--prefix"])
            .arg(&tools)
            .arg(BINARYEN_PACKAGE),
    )?;
    let v = output(Command::new(&wasm_opt).arg("--version")).unwrap_or_default();
    if !v.contains(WASM_OPT_VERSION) {
        return Err(format!("{} reports {:?} after the install, not {WASM_OPT_VERSION}", wasm_opt.display(), v.trim()));
    }
    Ok(())
}

fn ensure_chromium() -> Result {
    for name in ["chromium", "chromium-browser"] {
        if let Some(v) = output(Command::new(name).arg("--version")) {
            println!("xtask: chromium: already installed ({})", v.trim());
            return Ok(());
        }
    }
    println!("xtask: chromium: installing Debian's package");
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user { Command::new("apt-get") } else { Command::new("sudo") };
        if !root_user {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    install("apt-get update", &mut apt(&["update"]))?;
    install("chromium", &mut apt(&["install", "-y", "chromium"]))
}

/// `npm ci` in tests/e2e unless node_modules already matches package-lock.json.
fn ensure_npm_test_packages(root: &Path) -> Result {
    let e2e = root.join("tests").join("e2e");
    let lock = std::fs::read_to_string(e2e.join("package-lock.json"))
        .map_err(|e| format!("reading tests/e2e/package-lock.json: {e}"))?;
    let installed = std::fs::read_to_string(e2e.join("node_modules").join(".package-lock.json")).unwrap_or_default();
    if npm_install_is_current(&lock, &installed) {
        println!("xtask: npm test packages: already installed (match tests/e2e/package-lock.json)");
        return Ok(());
    }
    let why = if installed.is_empty() { "installing" } else { "stale, reinstalling" };
    println!("xtask: npm test packages: {why} from tests/e2e/package-lock.json");
    install("npm test packages", Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&e2e))
}

// ---- build, serve ----

/// Cargo's target folder for the browser build: a folder of its own, so that
/// the site can be built while native tests hold the main target folder's lock.
fn site_target_dir(root: &Path) -> PathBuf {
    target_dir(root).join("site")
}

/// `trunk` with `args`, run in the repository with the site's target folder.
fn trunk(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("trunk");
    cmd.args(args).current_dir(root).env("CARGO_TARGET_DIR", site_target_dir(root));
    cmd
}

fn build_site(root: &Path) -> Result {
    build_site_at(root, "/", &root.join("dist"), None)
}

/// `dist` options: the path the site is served under and the output folder.
#[derive(Debug, PartialEq)]
struct DistArgs {
    base: String,
    out: Option<PathBuf>,
}

impl DistArgs {
    fn parse(args: &[String]) -> Result<DistArgs> {
        let mut d = DistArgs { base: "/".into(), out: None };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (key, inline) = match a.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{key} needs a value"));
            match key {
                "--base" => d.base = normalise_base(&value()?)?,
                "--out" => d.out = Some(PathBuf::from(value()?)),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(d)
    }
}

/// `scale-lab` or `/scale-lab` to `/scale-lab/`; a full URL keeps its scheme
/// and host. Paths with spaces, queries or fragments are refused.
fn normalise_base(base: &str) -> Result<String> {
    let b = base.trim();
    if b.is_empty() || b.contains(['?', '#', ' ', '"', '\'', '<', '>']) {
        return Err(format!("--base {base:?}: give a path such as /scale-lab/"));
    }
    let mut out = if b.contains("://") || b.starts_with('/') { b.to_string() } else { format!("/{b}") };
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

/// Builds the release site for `base` into the output folder, then prints
/// where it is and how large.
fn dist(root: &Path, d: &DistArgs) -> Result {
    let out = match &d.out {
        Some(o) if o.is_absolute() => o.clone(),
        Some(o) => env::current_dir().map_err(|e| e.to_string())?.join(o),
        None => root.join("dist"),
    };
    check_out_dir(root, &out)?;
    build_site_at(root, &d.base, &out, None)?;
    let (files, bytes) = folder_size(&out);
    println!(
        "\nxtask: the site is in {} ({files} files, {:.1} MB): copy that folder's contents to the server so that it answers at {}",
        out.display(),
        bytes as f64 / 1e6,
        d.base
    );
    print_headers(&out)
}

/// The headers the server should send (README, "Server headers"): the policy
/// is the one written into this build's page, plus what only a header can say.
fn print_headers(out: &Path) -> Result {
    let index = out.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let policy =
        csp::policy_in(&html).ok_or_else(|| format!("{} carries no Content-Security-Policy", index.display()))?;
    println!(
        "xtask: headers for this build (see the README's \"Server headers\"):\n  \
         index.html: Content-Security-Policy: {policy}\n  \
         *.wasm: Content-Type: application/wasm\n  \
         hashed files (NAME-<hash>.js/.wasm/.css/.svg): Cache-Control: public, max-age=31536000, immutable\n  \
         index.html, scalelab-worker.js, scalelab-worker_bg.wasm, scalelab-worker_loader.js and public/: Cache-Control: no-cache"
    );
    Ok(())
}

/// Trunk empties the output folder: refuse one that holds the repository or
/// anything other than an earlier build.
fn check_out_dir(root: &Path, out: &Path) -> Result {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, target) = (abs(root), abs(out));
    if root.starts_with(&target) {
        return Err(format!("--out {}: that folder holds the repository, and the build empties it", out.display()));
    }
    if target.is_file() {
        return Err(format!("--out {}: that is a file", out.display()));
    }
    let earlier_build = target.join("index.html").is_file();
    let empty = std::fs::read_dir(&target).map(|mut d| d.next().is_none()).unwrap_or(true);
    if !empty && !earlier_build {
        return Err(format!(
            "--out {}: the folder is not empty and holds no earlier build; the build would empty it",
            out.display()
        ));
    }
    Ok(())
}

fn folder_size(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                let (f, b) = folder_size(&p);
                files += f;
                bytes += b;
            } else if let Ok(m) = e.metadata() {
                files += 1;
                bytes += m.len();
            }
        }
    }
    (files, bytes)
}

/// Builds the release site for `base` into `out`; with `quiet`, trunk's
/// output goes to that log instead of the terminal (a build beside others).
fn build_site_at(root: &Path, base: &str, out: &Path, quiet: Option<&Quiet>) -> Result {
    let beside = if quiet.is_some() { ", beside the native tests" } else { "" };
    step(&format!("release build of the site for {base} (trunk{beside})"), || {
        std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
        let mut cmd = trunk(root, &["build", "--release", "--offline", "--public-url", base, "--dist"]);
        cmd.arg(out);
        match quiet {
            Some(q) => q.run("trunk build", &mut cmd)?,
            None => run("trunk build", &mut cmd)?,
        }
        csp::apply(&out.join("index.html"), base)
    })
}

/// Where a step's command writes its output when it runs beside another.
struct Quiet {
    file: std::fs::File,
}

impl Quiet {
    fn to(path: &Path) -> Result<Quiet> {
        let file = std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(Quiet { file })
    }

    fn run(&self, what: &str, cmd: &mut Command) -> Result {
        let (out, err) = match (self.file.try_clone(), self.file.try_clone()) {
            (Ok(o), Ok(e)) => (o, e),
            _ => return Err(format!("{what}: cannot write its log")),
        };
        let status = cmd
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| format!("{what}: could not start {}: {e}", describe(cmd)))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{what}: `{}` exited with {status}", describe(cmd)))
        }
    }
}

/// Prints the last `lines` lines of a log file.
fn print_tail(path: &Path, lines: usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    eprintln!("\nxtask: the last lines of {}:", path.display());
    for line in &all[all.len().saturating_sub(lines)..] {
        eprintln!("{line}");
    }
}

/// The native tests (engine in release, app and xtask), then the CLI the
/// end-to-end tests compare the browser with.
fn native_tests(root: &Path) -> Result<PathBuf> {
    step("formatting (cargo fmt --check, rustfmt.toml)", || {
        if output(Command::new("cargo").args(["fmt", "--version"])).is_none() {
            println!("xtask: rustfmt: installing");
            install("rustfmt", Command::new("rustup").args(["component", "add", "rustfmt"]))?;
        }
        run("cargo fmt --check", Command::new("cargo").args(["fmt", "--all", "--check"]).current_dir(root))
            .map_err(|e| format!("{e}: the code is not formatted; `cargo fmt --all` formats it"))
    })?;
    step("engine tests (native, release: the statistical tests need the speed)", || {
        run_tests(
            "engine tests",
            Command::new("cargo").args(["test", "--release", "-p", "scalelab-engine"]).current_dir(root),
        )
    })?;
    step("app and xtask tests (native)", || {
        run_tests(
            "app tests",
            Command::new("cargo").args(["test", "-p", "scalelab-web", "-p", "xtask"]).current_dir(root),
        )
    })?;
    build_cli(root)
}

fn serve(root: &Path) -> Result {
    setup(root, false)?;
    println!("\nxtask: serving the playground at http://127.0.0.1:8080/ (Ctrl+C to stop)\n");
    run(
        "trunk serve",
        &mut trunk(root, &["serve", "--release", "--offline", "--address", "127.0.0.1", "--port", "8080"]),
    )
}

/// Cargo's target folder: $CARGO_TARGET_DIR if set (relative to the repository), else target/.
fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

fn build_cli(root: &Path) -> Result<PathBuf> {
    step("release build of the scalelab CLI", || {
        run(
            "cargo build",
            Command::new("cargo").args(["build", "--release", "-p", "scalelab-engine"]).current_dir(root),
        )?;
        Ok(target_dir(root).join("release").join("scalelab"))
    })
}

// ---- test ----

/// Test files of the end-to-end suite run at once.
const E2E_WORKERS: usize = 2;

/// The sub-path the hosting tests serve the site under.
const SUBPATH_BASE: &str = "/scale-lab/";

fn test(root: &Path) -> Result {
    let started = Instant::now();
    setup(root, true)?;
    let sub_dist = target_dir(root).join("dist-scale-lab");
    check_out_dir(root, &sub_dist)?;
    // The browser build runs beside the native tests. It has a target folder
    // of its own, so neither waits for the other's lock, and both have long
    // stretches on one core (fat LTO, wasm-opt) that leave the other idle:
    // side by side they take about the time of the longer one.
    let log = target_dir(root).join("site-build.log");
    let (site, cli) = std::thread::scope(|s| {
        let site = s.spawn(|| {
            let quiet = Quiet::to(&log)?;
            println!("xtask: the site builds beside the native tests; its output goes to {}", log.display());
            build_site_at(root, "/", &root.join("dist"), Some(&quiet))?;
            // The same site for a sub-path, for the hosting tests (trunk
            // reuses the wasm it just built; it re-links and re-optimises).
            build_site_at(root, SUBPATH_BASE, &sub_dist, Some(&quiet))
        });
        let native = native_tests(root);
        let site = site.join().unwrap_or_else(|_| Err("the site build panicked".into()));
        (site, native)
    });
    if let Err(e) = &site {
        print_tail(&log, 60);
        // The native tests' failure, if any, is the one to read first.
        cli.as_ref().map_err(|n| format!("{n}; and {e}"))?;
    }
    let cli = cli?;
    site?;
    step("end-to-end tests (headless Chromium, two files at a time)", || {
        let e2e = root.join("tests").join("e2e");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&e2e)
            .map_err(|e| format!("reading {}: {e}", e2e.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".test.js"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err("no end-to-end test files in tests/e2e".into());
        }
        run_tests(
            "end-to-end tests",
            Command::new("node")
                .arg("--test")
                // Two files at a time, each with its own server and browser:
                // the suite takes about half as long, and every test must hold
                // on a busy machine anyway.
                .arg(format!("--test-concurrency={E2E_WORKERS}"))
                .args(&files)
                .env("SCALELAB_DIST", root.join("dist"))
                .env("SCALELAB_SUBPATH_DIST", &sub_dist)
                .env("SCALELAB_SUBPATH_BASE", SUBPATH_BASE)
                .env("SCALELAB_CLI", &cli)
                .current_dir(&e2e),
        )
    })?;
    println!("\nxtask: all tests passed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

// ---- bench: see bench.rs ----

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn test_counts_come_from_the_runners_result_lines() {
        let mut c = TestCount::default();
        for line in [
            "test result: ok. 141 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 370.76s",
            "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "running 3 tests",
            "test a ... ok",
            "# tests 40",
            "# pass 37",
            "# fail 2",
            "# cancelled 1",
            "# skipped 0",
            "ok 3 - 12 passed",
        ] {
            c.read_line(line);
        }
        assert_eq!(c, TestCount { passed: 141 + 3 + 37, failed: 1 + 2 + 1 });
        let rows = vec![
            ("set-up".to_string(), 0.4, true),
            ("release build of the site for / (trunk, beside the native tests)".to_string(), 236.6, true),
            ("end-to-end tests (headless Chromium, two files at a time)".to_string(), 301.2, false),
        ];
        assert_eq!(
            one_line_summary(c, &rows, 612.3),
            "xtask: 185 tests run, 181 passed, 4 failed · set-up 0 s · release build of the site for /* 237 s \
             · end-to-end tests 301 s FAILED · total 612 s (* beside the native tests)"
        );
    }

    /// The Pages workflow publishes what the tests tested: its commands are
    /// CI's and the README's, and its dist options parse.
    #[test]
    fn the_pages_workflow_runs_the_tested_commands() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
        let workflow = read(".github/workflows/pages.yml");
        let commands: Vec<&str> = workflow
            .lines()
            .map(|l| l.trim().trim_start_matches("run: "))
            .filter(|l| l.starts_with("cargo "))
            .collect();
        assert_eq!(commands, ["cargo xtask test", "cargo xtask dist --base \"$base\" --out site"]);
        assert!(read(".ci/run").lines().any(|l| l == "cargo xtask test"));
        let readme = read("README.md");
        assert!(readme.starts_with("# Scale Lab") && readme.contains("cargo xtask test "));
        assert!(readme.contains(".github/workflows/pages.yml"), "the README says how the hosted page is made");
        for base in ["/", "/scale-lab/"] {
            let d = DistArgs::parse(&args(&["--base", base, "--out", "site"])).unwrap();
            assert_eq!((d.base.as_str(), d.out.as_deref()), (base, Some(Path::new("site"))));
        }
    }

    #[test]
    fn dist_options_read_the_base_and_the_output_folder() {
        assert_eq!(DistArgs::parse(&[]).unwrap(), DistArgs { base: "/".into(), out: None });
        let d = DistArgs::parse(&args(&["--base", "scale-lab", "--out=site"])).unwrap();
        assert_eq!(d, DistArgs { base: "/scale-lab/".into(), out: Some(PathBuf::from("site")) });
        assert_eq!(DistArgs::parse(&args(&["--base=/a/b"])).unwrap().base, "/a/b/");
        assert_eq!(normalise_base("https://cdn.example/lab").unwrap(), "https://cdn.example/lab/");
        assert!(DistArgs::parse(&args(&["--base"])).is_err());
        assert!(DistArgs::parse(&args(&["--bsae", "/x/"])).is_err());
        assert!(normalise_base("/a b/").is_err());
        assert!(normalise_base("/x/?y").is_err());
    }

    #[test]
    fn the_output_folder_may_not_hold_the_repository_or_other_files() {
        let root = repo_root();
        assert!(check_out_dir(&root, &root).is_err());
        assert!(check_out_dir(&root, root.parent().unwrap()).is_err());
        assert!(check_out_dir(&root, &root.join("xtask")).is_err(), "a folder with other files");
        let fresh = env::temp_dir().join(format!("scalelab-dist-check-{}", std::process::id()));
        assert!(check_out_dir(&root, &fresh).is_ok(), "a folder that does not exist yet");
        std::fs::create_dir_all(&fresh).unwrap();
        std::fs::write(fresh.join("index.html"), "x").unwrap();
        assert!(check_out_dir(&root, &fresh).is_ok(), "an earlier build");
        std::fs::remove_dir_all(&fresh).unwrap();
    }
}
