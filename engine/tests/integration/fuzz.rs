//! Fuzzing the scenario reader: arbitrary text, arbitrary JSON, scenario-shaped
//! JSON, and structure-aware mutations of every shipped scenario (the
//! examples, the lessons, the lesson solution, and their version-1 copies).
//!
//! Properties: reading never panics; a refusal lists at least one problem,
//! each with a message, and a refused mutation is reported at a field (a
//! changed value at that field, its parent, or a message that names it); an
//! accepted document builds a simulation that runs a short stretch under an
//! event budget without panicking, every number of its report and snapshot
//! finite, and `generated = ok + failed + in_flight`.
//!
//! The case counts fit CI (the whole file runs in well under a minute in
//! release); `SCALELAB_FUZZ_CASES=N` runs N cases of each property instead
//! (N = 100000 takes a while). Seeded, so a failure reproduces; set
//! `SCALELAB_FUZZ_SEED` to explore other cases, `SCALELAB_FUZZ_RUN_S` to run
//! accepted scenarios longer (1.5 simulated seconds by default).

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{RngSeed, TestCaseError};
use scalelab_engine::{Scenario, Simulation};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn cases(default: u32) -> u32 {
    std::env::var("SCALELAB_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn config(default_cases: u32) -> ProptestConfig {
    let seed = std::env::var("SCALELAB_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5ca1_ab1e);
    ProptestConfig {
        cases: cases(default_cases),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

/// Every shipped scenario document, parsed as JSON.
pub(crate) fn shipped() -> &'static [(String, Value)] {
    static DOCS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("scenarios"),
            root.join("../lessons"),
            root.join("../lessons/solutions"),
            root.join("tests/fixtures/v1/scenarios"),
            root.join("tests/fixtures/v1/lessons"),
        ];
        let mut docs = Vec::new();
        for dir in dirs {
            let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for f in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
                let text = std::fs::read_to_string(&f).unwrap();
                let value: Value = serde_json::from_str(&text).unwrap();
                Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                docs.push((f.display().to_string(), value));
            }
        }
        assert!(docs.len() >= 30, "{} shipped documents", docs.len());
        docs
    })
}

/// Field names of the format (and near misses), so that generated objects
/// hit the parser's branches.
const KEYS: &[&str] = &[
    "version",
    "seed",
    "duration_s",
    "warmup_s",
    "name",
    "nodes",
    "links",
    "faults",
    "alerts",
    "data_centers",
    "goal",
    "id",
    "kind",
    "x",
    "y",
    "dc",
    "rps",
    "dau",
    "requests_per_user_per_day",
    "peak_factor",
    "arrivals",
    "mix",
    "read",
    "write",
    "static",
    "job",
    "population",
    "keys",
    "count",
    "zipf",
    "celebrity_share",
    "profile",
    "shape",
    "from",
    "to",
    "start_s",
    "end_s",
    "at_s",
    "multiplier",
    "period_s",
    "trough",
    "regions",
    "region",
    "share",
    "mobile_share",
    "algorithm",
    "health_check",
    "interval_s",
    "threshold",
    "pair",
    "rate_rps",
    "burst",
    "window_s",
    "per",
    "failover_s",
    "size",
    "workers",
    "service",
    "dist",
    "mean_ms",
    "cv",
    "queue_limit",
    "timeout_ms",
    "client_timeout_ms",
    "retry",
    "calls",
    "attempt_timeout_ms",
    "max_attempts",
    "backoff",
    "backoff_ms",
    "backoff_cap_ms",
    "constant",
    "exponential",
    "jitter",
    "full",
    "equal",
    "budget",
    "tokens",
    "refill",
    "breaker",
    "min_calls",
    "trial_calls",
    "pool",
    "waiting",
    "sessions",
    "autoscale",
    "min",
    "max",
    "target",
    "boot_s",
    "cooldown_s",
    "capacity",
    "policy",
    "ttl_s",
    "invalidate_on_write",
    "coalesce",
    "early_refresh",
    "replication_lag_ms",
    "routing",
    "weights",
    "resolve_ms",
    "fallback_to_origin",
    "object_kb",
    "vnodes",
    "partitions",
    "discipline",
    "lifo_above",
    "max_wait_ms",
    "drop_abandoned",
    "contention",
    "slope",
    "knee",
    "max_factor",
    "latency_ms",
    "node",
    "fault",
    "factor",
    "with",
    "metric",
    "above",
    "below",
    "for_s",
    "hold_s",
    "checks",
    "drills",
    "fail",
    "errors_below",
    "within_s",
    "while_down",
    "errors_above",
    "lost_writes_below",
    "sessions_lost_below",
    "alert",
    "slow",
    "goodput_back_above",
    "wrkers",
    "Kind",
    "",
];

/// Strings the format uses as values, plus odd ones.
const WORDS: &[&str] = &[
    "users",
    "load_balancer",
    "web_server",
    "cache",
    "database",
    "queue",
    "workers",
    "shard_router",
    "nosql",
    "dns",
    "cdn",
    "rate_limiter",
    "poisson",
    "round_robin",
    "least_connections",
    "random",
    "sticky",
    "two_choices",
    "exponential",
    "constant",
    "lognormal",
    "lru",
    "lfu",
    "fifo",
    "thread",
    "async",
    "none",
    "local",
    "shared",
    "modulo",
    "consistent_hash",
    "token_bucket",
    "sliding_window",
    "global",
    "user",
    "single",
    "weighted",
    "nearest",
    "steady",
    "ramp",
    "spike",
    "daily",
    "fail",
    "recover",
    "slow",
    "flush",
    "partition",
    "heal",
    "errors",
    "goodput_share",
    "attempts_per_request",
    "lifo",
    "adaptive_lifo",
    "us-east",
    "eu",
    "asia",
    "small",
    "large",
    "16xlarge",
    "huge",
    "error_rate",
    "p99_ms",
    "backlog",
    "queue",
    "throughput",
    "throughput_rps",
    "utilization",
    "traffic_rps",
    "hit_ratio",
    "app",
    "lb",
    "db",
    "web-1",
    "web",
    "east",
    "",
    " ",
    "é",
    "a\u{0}b",
    "\u{1F600}",
    "NaN",
    "Infinity",
    "-0",
    "1e400",
];

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(0),
            json!(-0.0),
            json!(-1),
            json!(1),
            json!(2),
            json!(0.5),
            json!(1e308),
            json!(-1e308),
            json!(1e15),
            json!(1e9),
            json!(1e-300),
            json!(f64::MIN_POSITIVE),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(4_294_967_296u64),
            json!(65_536),
            json!(100_000_000),
            json!(3.5),
        ]),
        any::<f64>().prop_filter("JSON numbers are finite", |x| x.is_finite()).prop_map(|x| json!(x)),
        any::<i64>().prop_map(|x| json!(x)),
        (0u32..3000).prop_map(|x| json!(x)),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => (1usize..300).prop_map(|n| "x".repeat(n)),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => "\\PC{0,8}"]
}

/// Any JSON value, with the format's names and awkward numbers over-represented.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => arb_number(),
        3 => arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(arb_key(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A document shaped like a scenario: nodes of real kinds, links between
/// them by position, and now and then a field with any value.
pub(crate) fn arb_scenario_shaped() -> impl Strategy<Value = Value> {
    let field = || prop::option::weighted(0.25, (prop::sample::select(KEYS), arb_json()));
    let node = (prop::sample::select(&scalelab_engine::NodeKind::NAMES[..]), field());
    let link = (0usize..6, 0usize..6, prop::option::weighted(0.3, arb_number()));
    (
        prop::sample::select(vec![json!(2), json!(2), json!(2), json!(1), json!(3), json!(2.0), json!("2")]),
        prop::collection::vec(node, 1..6),
        prop::collection::vec(link, 0..4),
        field(),
    )
        .prop_map(|(version, nodes, links, top)| {
            let n = nodes.len();
            let nodes: Vec<Value> = nodes
                .into_iter()
                .enumerate()
                .map(|(i, (kind, field))| {
                    let mut node = json!({"id": format!("n{i}"), "kind": kind});
                    if let Some((k, v)) = field {
                        node[k] = v;
                    }
                    node
                })
                .collect();
            let links: Vec<Value> = links
                .into_iter()
                .map(|(from, to, latency)| {
                    let mut l = json!({"from": format!("n{}", from % n), "to": format!("n{}", to % n)});
                    if let Some(x) = latency {
                        l["latency_ms"] = x;
                    }
                    l
                })
                .collect();
            let mut doc = json!({"version": version, "duration_s": 2, "nodes": nodes, "links": links});
            if let Some((k, v)) = top {
                doc[k] = v;
            }
            doc
        })
}

/// A step into a JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    At(usize),
}

/// The path as the parser writes it: `nodes[2].service.mean_ms`.
fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::At(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn paths(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(Seg::Key(k.clone()));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Seg::At(i));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, s| match s {
        Seg::Key(k) => v.get(k.as_str()),
        Seg::At(i) => v.get(*i),
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::At(i) => v.get_mut(*i),
    })
}

/// One change to a document.
#[derive(Clone, Debug)]
pub(crate) enum Mutation {
    /// Replace the value at a path (chosen by index among all paths).
    Replace(Index, Value),
    /// Delete the field or list item at a path.
    Delete(Index),
    /// Add a field to an object (chosen among the objects).
    AddField(Index, String, Value),
    /// Append a copy of a node (a duplicate id).
    DuplicateNode(Index),
    /// Link a node to itself.
    SelfLink(Index),
    /// Add the reverse of a link (a cycle of two).
    ReverseLink(Index),
    /// Link any two nodes.
    LinkAny(Index, Index),
    /// Scale a number (chosen among the numbers) towards an extreme that
    /// may still be in range: the run then meets values at its limits.
    Extreme(Index, f64),
}

pub(crate) fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<Index>(), arb_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        2 => (any::<Index>(), arb_key(), arb_json()).prop_map(|(i, k, v)| Mutation::AddField(i, k, v)),
        1 => any::<Index>().prop_map(Mutation::DuplicateNode),
        1 => any::<Index>().prop_map(Mutation::SelfLink),
        1 => any::<Index>().prop_map(Mutation::ReverseLink),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::LinkAny(a, b)),
        4 => (any::<Index>(), prop::sample::select(vec![0.0, 1e-9, 1e-3, 0.5, 2.0, 10.0, 1e3, 1e6, 1e9])).prop_map(|(i, f)| Mutation::Extreme(i, f)),
    ]
}

/// Applies `m` to `doc`; returns the path of a replaced value.
pub(crate) fn apply(doc: &mut Value, m: &Mutation) -> Option<Vec<Seg>> {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let ids: Vec<Value> =
        doc["nodes"].as_array().map(|n| n.iter().map(|n| n["id"].clone()).collect()).unwrap_or_default();
    let push_link = |doc: &mut Value, link: Value| {
        if let Some(links) = doc.get_mut("links").and_then(Value::as_array_mut) {
            links.push(link);
        }
    };
    match m {
        Mutation::Replace(i, v) if !all.is_empty() => {
            let path = all[i.index(all.len())].clone();
            *get_mut(doc, &path)? = v.clone();
            return Some(path);
        }
        Mutation::Delete(i) if !all.is_empty() => {
            let path = &all[i.index(all.len())];
            let (last, parent) = path.split_last()?;
            match (get_mut(doc, parent)?, last) {
                (Value::Object(o), Seg::Key(k)) => {
                    o.remove(k);
                }
                (Value::Array(a), Seg::At(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        Mutation::AddField(i, k, v) => {
            let mut objects: Vec<Vec<Seg>> = vec![vec![]];
            objects.extend(all.iter().filter(|p| get(doc, p).is_some_and(|v| v.is_object())).cloned());
            let path = objects[i.index(objects.len())].clone();
            if let Some(Value::Object(o)) = get_mut(doc, &path) {
                o.insert(k.clone(), v.clone());
            }
        }
        Mutation::DuplicateNode(i) if !ids.is_empty() => {
            let copy = doc["nodes"][i.index(ids.len())].clone();
            doc["nodes"].as_array_mut()?.push(copy);
        }
        Mutation::SelfLink(i) if !ids.is_empty() => {
            let id = ids[i.index(ids.len())].clone();
            push_link(doc, json!({"from": id, "to": id}));
        }
        Mutation::ReverseLink(i) => {
            let links = doc["links"].as_array().cloned().unwrap_or_default();
            if !links.is_empty() {
                let l = &links[i.index(links.len())];
                push_link(doc, json!({"from": l["to"], "to": l["from"]}));
            }
        }
        Mutation::Extreme(i, factor) => {
            let numbers: Vec<&Vec<Seg>> = all.iter().filter(|p| get(doc, p).is_some_and(|v| v.is_number())).collect();
            if !numbers.is_empty() {
                let path = numbers[i.index(numbers.len())].clone();
                let x = get_mut(doc, &path)?;
                let scaled = x.as_f64().unwrap_or(0.0) * factor;
                // Whole numbers stay whole where they were (counts, ids of versions).
                *x = if x.is_u64() && scaled.fract() == 0.0 && scaled < 1e18 {
                    json!(scaled as u64)
                } else {
                    json!(scaled)
                };
                return Some(path);
            }
        }
        Mutation::LinkAny(a, b) if !ids.is_empty() => {
            let link = json!({"from": ids[a.index(ids.len())], "to": ids[b.index(ids.len())]});
            push_link(doc, link);
        }
        _ => {}
    }
    None
}

/// Fields whose value names another part of the document: changing one can
/// break the references to it, reported where the reference is.
fn is_reference(key: &str) -> bool {
    matches!(key, "id" | "from" | "to" | "node" | "dc" | "fail" | "with" | "alert" | "name" | "kind")
}

/// Reads `text` (and the same document as a value): no panic, the same
/// answer both ways, every problem with a message.
fn read(text: &str) -> Result<Scenario, Vec<scalelab_engine::Issue>> {
    let result = Scenario::from_json(text).map_err(|e| e.issues());
    if let Err(issues) = &result {
        assert!(!issues.is_empty(), "refused without a reason");
        assert!(issues.iter().all(|i| !i.message.is_empty()), "{issues:?}");
    }
    result
}

/// No NaN or infinity anywhere in `thing`: its `Debug` text has no `NaN` or
/// `inf` outside quoted strings (JSON would hide them as `null`).
fn all_finite(thing: &impl std::fmt::Debug, what: &str) -> Result<(), TestCaseError> {
    let text = format!("{thing:?}");
    let (mut in_string, mut escaped) = (false, false);
    let mut outside = String::with_capacity(text.len());
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
            outside.push('_');
        } else {
            outside.push(c);
        }
    }
    let bad = outside.split(|c: char| !(c.is_alphanumeric() || c == '_')).find(|w| *w == "NaN" || *w == "inf");
    prop_assert!(bad.is_none(), "{what} has {bad:?}: {text}");
    Ok(())
}

/// An accepted scenario runs a short stretch without panicking, and its
/// numbers are finite and balance.
fn run_briefly(s: Scenario) -> Result<(), TestCaseError> {
    run_on(Simulation::new(s))
}

/// Runs `sim` on a short stretch (see [`run_briefly`]) and checks its numbers.
fn run_on(mut sim: Simulation) -> Result<(), TestCaseError> {
    // SCALELAB_FUZZ_RUN_S runs longer stretches (more events per case).
    let run_s: f64 = std::env::var("SCALELAB_FUZZ_RUN_S").ok().and_then(|s| s.parse().ok()).unwrap_or(1.5);
    let until = sim.end().min((run_s * 1e9) as u64);
    let slices = (run_s * 3.0).ceil().max(4.0) as u32;
    for _ in 0..slices {
        if sim.run_until(until, 25_000).reached {
            break;
        }
    }
    let report = sim.report();
    let q = &report.requests;
    prop_assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    prop_assert_eq!(q.in_flight, sim.count_open_window_requests());
    all_finite(&report, "report")?;
    all_finite(&sim.take_snapshot(), "snapshot")?;
    all_finite(&sim.headline(), "headline")?;
    Ok(())
}

proptest! {
    #![proptest_config(config(20_000))]

    /// Any text at all: read without a panic, refused with a reason.
    #[test]
    fn any_text_is_read_without_panic(text in "\\PC{0,200}") {
        let _ = read(&text);
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// Shipped documents cut short, or with a character inserted or removed
    /// (mostly syntax errors, some valid JSON of another shape).
    #[test]
    fn damaged_shipped_text_is_read_without_panic(
        doc in any::<Index>(),
        at in any::<Index>(),
        how in 0u8..3,
        c in prop::sample::select(vec!['"', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '9', '.', ' ', 'x', '\\']),
    ) {
        let (_, v) = &shipped()[doc.index(shipped().len())];
        let mut text = v.to_string();
        let mut i = at.index(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        match how {
            0 => text.truncate(i),
            1 => text.insert(i, c),
            _ => {
                if i < text.len() {
                    text.remove(i);
                }
            }
        }
        if let Ok(s) = read(&text) {
            run_briefly(s)?;
        }
    }

    /// Any JSON value: read without a panic; text and value give the same answer.
    #[test]
    fn any_json_is_read_without_panic(v in arb_json()) {
        let from_text = read(&v.to_string());
        let from_value = scalelab_engine::parse::parse_value(&v).map_err(|e| e.issues());
        prop_assert_eq!(from_text.is_ok(), from_value.is_ok());
        if let Ok(s) = from_text {
            run_briefly(s)?;
        }
    }
}

proptest! {
    #![proptest_config(config(8000))]

    /// Scenario-shaped documents with arbitrary fields: accepted ones run.
    #[test]
    fn scenario_shaped_json_is_read_and_run_without_panic(doc in arb_scenario_shaped()) {
        match read(&doc.to_string()) {
            Ok(s) => run_briefly(s)?,
            Err(issues) => prop_assert!(issues.iter().any(|i| !i.path.is_empty()), "no field named: {:?}", issues),
        }
    }
}

proptest! {
    #![proptest_config(config(8000))]

    /// Every shipped scenario, changed one to three times: never a panic; a
    /// refusal names a field, and a single changed value is reported at that
    /// field, its parent, or in a message naming it; an accepted one runs.
    #[test]
    fn mutated_shipped_scenarios_are_refused_by_field_or_run(
        doc in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..=3),
    ) {
        let (name, original) = &shipped()[doc.index(shipped().len())];
        let mut v = original.clone();
        let replaced: Vec<Option<Vec<Seg>>> = mutations.iter().map(|m| apply(&mut v, m)).collect();
        match read(&v.to_string()) {
            Ok(s) => run_briefly(s)?,
            Err(issues) => {
                prop_assert!(issues.iter().any(|i| !i.path.is_empty()), "{name}: no field named: {issues:?}");
                if let [Some(path)] = replaced.as_slice() {
                    let field = display(path);
                    let parent = display(&path[..path.len() - 1]);
                    let key = match path.last() {
                        Some(Seg::Key(k)) => k.clone(),
                        _ => String::new(),
                    };
                    let named = issues.iter().any(|i| {
                        !i.path.is_empty()
                            && (i.path.starts_with(&parent)
                                || field.starts_with(&i.path)
                                || (!key.is_empty() && i.message.contains(key.as_str())))
                    });
                    // A changed id (or kind) breaks what refers to it, and
                    // that is where the problem is reported.
                    let reference = path.iter().any(|s| matches!(s, Seg::Key(k) if is_reference(k)));
                    prop_assert!(named || reference, "{name}: {field} changed, problems reported at {issues:?}");
                }
            }
        }
    }
}

/// The generators reach deep: a good share of mutated and scenario-shaped
/// documents are accepted (and run), the rest refused for many reasons.
#[test]
fn the_fuzzers_reach_past_the_first_check() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut accepted, mut paths) = (0, std::collections::BTreeSet::new());
    for _ in 0..300 {
        let i = any::<Index>().new_tree(&mut runner).unwrap().current();
        let m = arb_mutation().new_tree(&mut runner).unwrap().current();
        let mut v = shipped()[i.index(shipped().len())].1.clone();
        apply(&mut v, &m);
        match Scenario::from_json(&v.to_string()) {
            Ok(_) => accepted += 1,
            Err(e) => paths.extend(e.issues().into_iter().map(|i| i.path)),
        }
    }
    let mut shaped = 0;
    for _ in 0..300 {
        let doc = arb_scenario_shaped().new_tree(&mut runner).unwrap().current();
        shaped += usize::from(Scenario::from_json(&doc.to_string()).is_ok());
    }
    eprintln!(
        "mutations: {accepted}/300 accepted, {} distinct problem paths; scenario-shaped: {shaped}/300 accepted",
        paths.len()
    );
    assert!(accepted >= 15 && paths.len() >= 100 && shaped >= 10);
}

// Bugs the fuzzers found, each kept as a regression test.

/// An unknown field named "" was reported with an empty path (at the root,
/// indistinguishable from a problem with the whole document).
#[test]
fn an_unknown_field_with_an_empty_name_is_reported_at_a_path() {
    for (doc, path) in [
        (json!({"version": 2, "nodes": [], "links": [], "": 1}), "\"\""),
        (json!({"version": 2, "nodes": [{"id": "a", "kind": "cache", "": 1}], "links": []}), "nodes[0].\"\""),
    ] {
        let issues = Scenario::from_json(&doc.to_string()).unwrap_err().issues();
        assert!(issues.iter().any(|i| i.path == path && i.message.contains("unknown field")), "{issues:?}");
    }
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            -1.0,
            1e-300,
            1e308,
            1e15,
            0.5,
            2.0
        ]),
        any::<f64>(),
    ]
}

proptest! {
    #![proptest_config(config(300))]

    /// The edit API with nonsense numbers (NaN and infinities included, which
    /// no file can hold): refused with a message naming the node's field and
    /// the run untouched, or accepted and run with finite numbers.
    #[test]
    fn edits_with_any_numbers_are_refused_by_field_or_run(
        doc in any::<Index>(),
        node in any::<Index>(),
        field in 0u8..6,
        x in any_f64(),
    ) {
        let (_, v) = &shipped()[doc.index(shipped().len())];
        let scenario = Scenario::from_json(&v.to_string()).unwrap();
        let mut sim = Simulation::new(scenario.clone());
        sim.run_until(200_000_000, 20_000);
        let i = node.index(scenario.nodes.len());
        let mut n = scenario.nodes[i].clone();
        let users = matches!(n.spec, scalelab_engine::scenario::NodeSpec::Users(_));
        if let (5, scalelab_engine::scenario::NodeSpec::WebServer(w)) = (field, &mut n.spec) {
            // A web server's calls: timed out at x, tried twice.
            w.calls = Some(scalelab_engine::scenario::CallPolicy::attempts(2, Some(x)));
        }
        match (field, n.spec.station_mut()) {
            (0, Some(st)) => st.service.mean_ms = x,
            (1, Some(st)) => st.timeout_ms = Some(x),
            (1, None) => {
                if let scalelab_engine::scenario::NodeSpec::Users(u) = &mut n.spec {
                    u.client_timeout_ms = Some(x);
                }
            }
            (2, Some(st)) => st.workers = x as u32,
            (3, Some(st)) => st.service.cv = Some(x),
            (4, _) => n.x = Some(x),
            (5, None) if users => {
                if let scalelab_engine::scenario::NodeSpec::Users(u) = &mut n.spec {
                    u.retry = Some(scalelab_engine::scenario::CallPolicy::attempts(2, Some(x)));
                }
            }
            _ => n.y = Some(x),
        }
        let edit = scalelab_engine::Edit::UpdateNode { node: n };
        match sim.apply(edit.clone()) {
            Ok(()) => run_on(sim)?,
            Err(scalelab_engine::EditError::Invalid(issues)) => {
                let prefix = format!("nodes[{i}]");
                prop_assert!(issues.iter().any(|is| is.path.starts_with(&prefix)), "{:?}: {:?}", edit, issues);
                prop_assert_eq!(sim.scenario(), &scenario);
            }
            Err(other) => prop_assert!(false, "{edit:?}: {other}"),
        }
    }

    /// The back-of-the-envelope estimate with any numbers: an estimate with
    /// finite figures, or a refusal naming the field.
    #[test]
    fn the_envelope_estimate_takes_any_numbers(xs in prop::collection::vec(any_f64(), 7)) {
        use scalelab_engine::envelope::{estimate, EnvelopeInput};
        let input = EnvelopeInput {
            daily_users: xs[0],
            requests_per_user_per_day: xs[1],
            peak_factor: xs[2],
            write_share: xs[3],
            bytes_per_write: xs[4],
            bytes_per_response: xs[5],
            retention_years: xs[6],
        };
        match estimate(&input) {
            Ok(e) => all_finite(&e, "estimate")?,
            Err(e) => prop_assert!(!e.field.is_empty() && !e.message.is_empty()),
        }
    }
}
