//! Golden outputs: every shipped scenario, lesson, example and blueprint, and scripted runs with
//! live edits and faults, give exactly the bytes they gave before.
//!
//! A guard for changes that must not change a number (moving code,
//! restructuring the kernel): each case hashes the JSON report, the live
//! window read each simulated second, the sampled hops and a few traces, and
//! compares the hash with `engine/tests/golden_outputs.txt`.
//!
//! A change that is meant to change the numbers rewrites the file with
//! `SCALELAB_BLESS=1 cargo test --release -p scalelab-engine golden` and says
//! why in its commit. To see what changed, not just that something did,
//! `SCALELAB_GOLDEN_DUMP=DIR` also writes each case's outputs to
//! `DIR/NAME.txt`, each piece labelled on a line of its own (the report
//! spans several): dump before and after, and compare the folders.

use scalelab_engine::edit::{Edit, Fault};
use scalelab_engine::time::secs_to_ns;
use scalelab_engine::{Hop, Scenario, Simulation};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden_outputs.txt");

/// Simulated seconds after the warm-up that each case runs (the shipped
/// lessons run for an hour; their code paths are all taken much sooner).
const AFTER_WARMUP_S: f64 = 20.0;

/// FNV-1a, 64 bits: small, stable across platforms and releases.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A change made at a simulated second.
type Step = (f64, Edit);

fn fault(at: f64, id: &str, fault: Fault) -> Step {
    (at, Edit::Fault { id: id.to_string(), fault })
}

fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s.duration_s = s.duration_s.min(s.warmup_s + AFTER_WARMUP_S);
    s
}

/// What a case gives: hashed, and kept whole when dumping.
struct Output {
    hash: Fnv,
    dump: Option<String>,
}

impl Output {
    /// One piece of output (`what` labels it in the dump only).
    fn write(&mut self, what: &str, text: &str) {
        self.hash.write(text.as_bytes());
        if let Some(dump) = &mut self.dump {
            let _ = writeln!(dump, "{what}: {text}");
        }
    }
}

/// Runs `scenario` with `steps`, a second at a time, and hashes what it gives
/// (writing it to `dump`, a file, as well, when given).
fn fingerprint(scenario: Scenario, steps: &[Step], dump: Option<PathBuf>) -> String {
    let mut out = Output { hash: Fnv::new(), dump: dump.as_ref().map(|_| String::new()) };
    let mut sim = Simulation::new(scenario);
    sim.set_sample_every(4);
    let mut hops: Vec<Hop> = Vec::new();
    let mut second = 0.0;
    while sim.now() < sim.end() {
        second += 1.0;
        for (_, edit) in steps.iter().filter(|(at, _)| *at == second) {
            sim.apply(edit.clone()).unwrap_or_else(|e| panic!("at {second} s, {edit:?}: {e}"));
        }
        sim.run_until(secs_to_ns(second).min(sim.end()), u64::MAX);
        out.write(&format!("snapshot at {second} s"), &serde_json::to_string(&sim.live_snapshot()).unwrap());
        hops.clear();
        sim.drain_hops(&mut hops);
        for hop in &hops {
            out.write("hop", &format!("{hop:?}"));
        }
    }
    let mut traced = String::new();
    for number in [1, 2, 3, 100, 1000] {
        traced.push_str(&serde_json::to_string(&sim.trace(number)).unwrap());
    }
    out.write("traces", &traced);
    out.write("report", &sim.report().to_json_pretty());
    if let (Some(path), Some(text)) = (dump, out.dump) {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    format!("{:016x}", out.hash.0)
}

fn lesson(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons").join(format!("{slug}.json"))
}

/// Every case: (name, scenario, scripted changes).
fn cases() -> Vec<(String, Scenario, Vec<Step>)> {
    let mut cases = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [root.join("../lessons"), root.join("../examples"), root.join("../blueprints"), root.join("scenarios")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        for path in files {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            cases.push((name, load(&path), Vec::new()));
        }
    }

    // Live changes: faults, a slow server, a cut between data centers, and a
    // server added, wired and taken away again while it runs.
    cases.push((
        "04-load-balancer, web-1 fails and recovers, web-2 slows".into(),
        load(&lesson("04-load-balancer")),
        vec![
            fault(12.0, "web-1", Fault::Fail),
            fault(15.0, "web-2", Fault::Slow { factor: 3.0 }),
            fault(20.0, "web-1", Fault::Recover),
        ],
    ));
    cases.push((
        "05-database-replication, the primary fails".into(),
        load(&lesson("05-database-replication")),
        vec![fault(12.0, "primary", Fault::Fail)],
    ));
    cases.push((
        "09-data-centers, east fails; then a partition".into(),
        load(&lesson("09-data-centers")),
        vec![
            fault(12.0, "east", Fault::Fail),
            fault(16.0, "east", Fault::Recover),
            (18.0, Edit::Partition { a: "east".into(), b: "eu".into(), cut: true }),
            (22.0, Edit::Partition { a: "east".into(), b: "eu".into(), cut: false }),
        ],
    ));
    let s13 = load(&lesson("13-millions-of-users"));
    let mut extra = s13.nodes.iter().find(|n| n.id == "web-east").unwrap().clone();
    extra.id = "web-extra".into();
    let wires: Vec<Edit> = s13
        .links
        .iter()
        .filter_map(|l| {
            let mut l = l.clone();
            if l.to == "web-east" {
                l.to = "web-extra".into();
            } else if l.from == "web-east" {
                l.from = "web-extra".into();
            } else {
                return None;
            }
            Some(Edit::AddLink { link: l })
        })
        .collect();
    let mut steps = vec![(12.0, Edit::AddNode { node: extra })];
    steps.extend(wires.into_iter().map(|w| (12.0, w)));
    steps.push(fault(14.0, "shard-1", Fault::Fail));
    steps.push(fault(15.0, "cache-east", Fault::Flush));
    steps.push((18.0, Edit::RemoveNode { id: "web-extra".into() }));
    cases.push(("13-millions-of-users, a server added and removed, a shard fails, a cache flushed".into(), s13, steps));
    cases
}

#[test]
fn reports_and_live_figures_are_byte_for_byte_what_they_were() {
    let dump_dir = std::env::var_os("SCALELAB_GOLDEN_DUMP").map(PathBuf::from);
    if let Some(dir) = &dump_dir {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    let got: Vec<(String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases()
            .into_iter()
            .map(|(name, scenario, steps)| {
                let dump = dump_dir.as_ref().map(|dir| dir.join(format!("{name}.txt")));
                scope.spawn(move || (name, fingerprint(scenario, &steps, dump)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let text: String = got.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect();
    if std::env::var_os("SCALELAB_BLESS").is_some() {
        std::fs::write(GOLDEN, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    let changed: Vec<String> = got
        .iter()
        .filter(|(name, hash)| !want.lines().any(|l| l == format!("{hash}  {name}")))
        .map(|(name, _)| name.clone())
        .collect();
    assert!(
        changed.is_empty() && want.lines().count() == got.len(),
        "these cases no longer give the bytes they gave: {changed:?} (and {} cases recorded, {} run). \
         If the change is meant to change the numbers, run \
         `SCALELAB_BLESS=1 cargo test --release -p scalelab-engine golden` and say why in the commit.",
        want.lines().count(),
        got.len()
    );
}
