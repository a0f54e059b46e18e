//! The scenario format's JSON Schema (`public/schema/scenario.json`, served
//! by the site at `/public/schema/scenario.json`) against the parser:
//!
//! - every shipped scenario (the engine's, the lessons, the lesson
//!   solutions, the examples, the blueprints: the folders are walked, so a new file is
//!   covered) follows the schema;
//! - the schema describes the current format version, its kinds, faults and
//!   metrics, and each kind's fields are the ones the parser reads;
//! - on a sample of the fuzz corpus (mutated shipped scenarios and
//!   scenario-shaped random documents, from `fuzz`), every document the
//!   parser accepts is accepted by the schema, and every document the parser
//!   refuses is refused by the schema too, unless all of its problems are of
//!   the kinds a schema cannot check (wiring and references between parts of
//!   the document, limits that relate two fields): those are counted by kind
//!   and printed (`-- --nocapture`). `SCALELAB_SCHEMA_CASES=N` checks N
//!   documents of each generator.

use super::fuzz::{apply, arb_mutation, arb_scenario_shaped, shipped};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use scalelab_engine::{Issue, NodeKind, Scenario};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema_path() -> PathBuf {
    root().join("public/schema/scenario.json")
}

/// The schema as JSON.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(schema_path()).expect("public/schema/scenario.json");
        serde_json::from_str(&text).expect("the schema is JSON")
    })
}

/// The schema compiled by a draft-07 validator.
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new() -> Validator {
        let url = "file:///scale-lab/public/schema/scenario.json";
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(url, schema().clone()).unwrap();
        let index = compiler.compile(url, &mut schemas).unwrap_or_else(|e| panic!("the schema does not compile: {e}"));
        Validator { schemas, index }
    }

    /// `Err` with the validator's words when `doc` does not follow the schema.
    fn check(&self, doc: &Value) -> Result<(), String> {
        self.schemas.validate(doc, self.index).map_err(|e| format!("{e:#}"))
    }
}

/// The shipped scenario files: every `.json` in the folders the project
/// keeps scenarios in.
fn shipped_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["engine/scenarios", "lessons", "lessons/solutions", "examples", "blueprints"] {
        let dir = root().join(dir);
        let mut here: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

#[test]
fn every_shipped_scenario_follows_the_schema() {
    let validator = Validator::new();
    let files = shipped_files();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let doc: Value = serde_json::from_str(&text).unwrap();
        if let Err(e) = validator.check(&doc) {
            panic!("{} does not follow the schema:\n{e}", f.display());
        }
        // A document that names the schema by a relative path names this one.
        if let Some(Value::String(at)) = doc.get("$schema") {
            if !at.contains("://") {
                let target = f.parent().unwrap().join(at);
                assert_eq!(
                    target.canonicalize().ok(),
                    schema_path().canonicalize().ok(),
                    "{}: \"$schema\": \"{at}\" is not public/schema/scenario.json",
                    f.display()
                );
            }
        }
    }
    eprintln!("{} shipped scenarios follow the schema", files.len());
    assert!(files.len() >= 24, "only {} shipped scenarios found", files.len());
    // The engine's own scenarios point editors at the schema.
    for f in files.iter().filter(|f| f.starts_with(root().join("engine/scenarios"))) {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert!(doc.get("$schema").is_some(), "{} has no \"$schema\"", f.display());
    }
}

/// `"$schema"` is the editors' business: the parser takes a string there and
/// reads the scenario as if it were absent, and refuses anything else.
#[test]
fn the_schema_field_is_accepted_and_ignored() {
    let plain = json!({"version": 2, "nodes": [{"id": "c", "kind": "cache"}], "links": []});
    let mut pointed = plain.clone();
    pointed["$schema"] = json!("../public/schema/scenario.json");
    assert_eq!(Scenario::from_json(&pointed.to_string()).unwrap(), Scenario::from_json(&plain.to_string()).unwrap());
    let written = Scenario::from_json(&pointed.to_string()).unwrap().to_json_pretty();
    assert!(!written.contains("$schema"), "{written}");
    pointed["$schema"] = json!(3);
    let issues = Scenario::from_json(&pointed.to_string()).unwrap_err().issues();
    assert!(issues.iter().any(|i| i.path == "$schema" && i.message.contains("string")), "{issues:?}");
    assert!(Validator::new().check(&pointed).is_err());
}

/// A format change without a schema change fails here: the schema's
/// `version` is the engine's, and its names are the engine's.
#[test]
fn the_schema_describes_the_current_format() {
    let s = schema();
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    let current = scalelab_engine::scenario::FORMAT_VERSION;
    assert_eq!(
        s["properties"]["version"]["const"],
        json!(current),
        "the schema describes another format version than the engine's ({current}): update public/schema/scenario.json"
    );
    assert!(s["title"].as_str().unwrap().contains(&format!("version {current}")), "{}", s["title"]);
    let defs = &s["definitions"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
    };
    let names = |list: &[&str]| -> Vec<String> { list.iter().map(|x| x.to_string()).collect() };
    assert_eq!(strings(&defs["node"]["properties"]["kind"]["enum"]), names(&NodeKind::NAMES));
    assert_eq!(strings(&defs["check"]["properties"]["kind"]["enum"]), names(&NodeKind::NAMES));
    assert_eq!(strings(&defs["fault"]["properties"]["fault"]["enum"]), names(scalelab_engine::fault::FAULTS));
    assert_eq!(
        strings(&defs["alert"]["properties"]["metric"]["enum"]),
        names(scalelab_engine::scenario::ALERT_METRICS)
    );
    assert_eq!(strings(&defs["check"]["properties"]["metric"]["enum"]), names(scalelab_engine::goal::GOAL_METRICS));
    assert_eq!(strings(&defs["service"]["properties"]["dist"]["enum"]), names(scalelab_engine::scenario::DISTS));
    assert_eq!(
        strings(&defs["call_policy"]["properties"]["backoff"]["enum"]),
        names(scalelab_engine::scenario::BACKOFFS)
    );
    assert_eq!(
        strings(&defs["call_policy"]["properties"]["jitter"]["enum"]),
        names(scalelab_engine::scenario::JITTERS)
    );
    let regions: Vec<String> = scalelab_engine::geo::Region::ALL.iter().map(|r| r.name().to_string()).collect();
    assert_eq!(strings(&defs["data_center"]["properties"]["region"]["anyOf"][0]["enum"]), regions);
    // Every field of the format says what it is.
    let mut missing = Vec::new();
    for (name, def) in defs.as_object().unwrap() {
        assert!(def.get("description").is_some(), "definitions.{name} has no description");
        if let Some(props) = def.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                if p.get("description").is_none() {
                    missing.push(format!("{name}.{k}"));
                }
            }
        }
    }
    for (k, p) in s["properties"].as_object().unwrap() {
        if p.get("description").is_none() {
            missing.push(k.clone());
        }
    }
    assert!(missing.is_empty(), "fields without a description: {missing:?}");
}

/// The fields the parser reads on a node of `kind`: those it lists when it
/// meets a field it does not know (with and without `dau`, which users read
/// only when it is there).
fn parser_fields(kind: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for extra in [json!({}), json!({"dau": 1000})] {
        let mut node = json!({"id": "n", "kind": kind, "zzzzzzzzzzzzzzzz": 1});
        for (k, v) in extra.as_object().unwrap() {
            node[k] = v.clone();
        }
        let doc = json!({"version": 2, "nodes": [node], "links": []});
        let issues = Scenario::from_json(&doc.to_string()).unwrap_err().issues();
        let issue = issues
            .iter()
            .find(|i| i.path == "nodes[0].zzzzzzzzzzzzzzzz")
            .unwrap_or_else(|| panic!("{kind}: {issues:?}"));
        let list = issue.message.split("expected one of: ").nth(1).unwrap_or_else(|| panic!("{issue}"));
        out.extend(list.split(", ").map(str::to_string));
    }
    out
}

#[test]
fn each_kinds_fields_are_the_ones_the_parser_reads() {
    let defs = &schema()["definitions"];
    for kind in NodeKind::NAMES {
        let def = &defs[kind];
        assert_eq!(def["additionalProperties"], json!(false), "{kind}");
        let in_schema: BTreeSet<String> = def["properties"].as_object().unwrap().keys().cloned().collect();
        let read = parser_fields(kind);
        let unread: Vec<&String> = in_schema.difference(&read).collect();
        assert!(unread.is_empty(), "{kind}: the parser does not read {unread:?}");
        // What the parser reads but the schema leaves out, it reads only to
        // refuse (a worker pool's queue order and contention).
        for field in read.difference(&in_schema) {
            let mut node = json!({"id": "n", "kind": kind});
            node[field] = Value::Null;
            let doc = json!({"version": 2, "nodes": [node], "links": []});
            let refused = Scenario::from_json(&doc.to_string()).err().map(|e| e.issues()).unwrap_or_default();
            assert!(
                refused.iter().any(|i| i.path == format!("nodes[0].{field}")),
                "{kind}.{field}: the parser takes it, the schema leaves it out"
            );
        }
        // Each default the schema states is one the parser takes.
        for (field, p) in def["properties"].as_object().unwrap() {
            let Some(default) = p.get("default") else { continue };
            let mut node = json!({"id": "n", "kind": kind});
            if kind == "users" && ["requests_per_user_per_day", "peak_factor"].contains(&field.as_str()) {
                node["dau"] = json!(1000); // these apply only with dau
            }
            node[field] = default.clone();
            let doc = json!({"version": 2, "nodes": [node], "links": []});
            if let Err(e) = Scenario::from_json(&doc.to_string()) {
                panic!("{kind}.{field}: the schema's default {default} is refused: {e}");
            }
        }
    }
}

/// Why a schema cannot see a problem the parser reports, or `None` when it
/// is about one field (or one object) and the schema should see it too.
fn beyond_a_schema(issue: &Issue) -> Option<&'static str> {
    let (path, m) = (issue.path.as_str(), issue.message.as_str());
    let at_item = |list: &str| {
        path.strip_prefix(list)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|i| i.chars().all(|c| c.is_ascii_digit()))
    };
    let field_level = m.starts_with("must be an object") || m.starts_with("missing") || m.starts_with("unknown field");
    if (at_item("links") || at_item("nodes")) && !field_level {
        // A link that may not be, a loop, a repeat, a replica's primary,
        // users with two entries: the wiring (validate_graph, wiring_problems).
        return Some("wiring");
    }
    let references = [
        "no node has id",
        "no data center has id",
        "no alert rule is named",
        "ids must be unique",
        "is also a node's id",
        "a partition is between data centers",
        "only a cache can be flushed",
    ];
    if references.iter().any(|r| m.contains(r)) {
        return Some("references between parts");
    }
    let related = [
        "must be less than duration_s",
        "must be at most the scenario's duration_s",
        "must be at least backoff_ms",
        "must not exceed the maximum",
        "the ramp must not end before it starts",
        "at its peak this profile asks for",
        "at most 10000000 can be simulated",
        "must be less than \"errors_below\"",
    ];
    if related.iter().any(|r| m.contains(r)) {
        return Some("limits relating two fields");
    }
    None
}

/// Counts of one comparison run.
#[derive(Default)]
struct Tally {
    accepted: usize,
    refused_by_both: usize,
    /// Refused by the parser only, by the kinds of its problems.
    beyond: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn beyond_total(&self) -> usize {
        self.beyond.values().sum()
    }
}

/// Compares the parser and the schema on `doc` (an older version is read
/// by the schema as the parser reads it: migrated first).
fn compare(validator: &Validator, doc: &Value, tally: &mut Tally) {
    let parsed = Scenario::from_json(&doc.to_string());
    let migrated = scalelab_engine::migrate::migrate(doc);
    let by_schema = validator.check(&migrated);
    match (parsed, by_schema) {
        (Ok(_), Ok(())) => tally.accepted += 1,
        (Ok(_), Err(e)) => panic!("the parser accepts what the schema refuses:\n{doc:#}\n{e}"),
        (Err(_), Err(_)) => tally.refused_by_both += 1,
        (Err(e), Ok(())) => {
            let issues = e.issues();
            let kinds: Vec<Option<&'static str>> = issues.iter().map(beyond_a_schema).collect();
            if let Some(i) = kinds.iter().position(Option::is_none) {
                panic!(
                    "the schema accepts a document the parser refuses for a reason about one field ({}):\n{doc:#}\nall: {issues:?}",
                    issues[i]
                );
            }
            // Counted by the first problem's kind.
            *tally.beyond.entry(kinds[0].unwrap()).or_default() += 1;
        }
    }
}

fn schema_cases(default: usize) -> usize {
    std::env::var("SCALELAB_SCHEMA_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[test]
fn the_schema_and_the_parser_agree_on_the_fuzz_corpus() {
    let validator = Validator::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let n = schema_cases(3000);
    let mut mutated = Tally::default();
    for _ in 0..n {
        let i = any::<Index>().new_tree(&mut runner).unwrap().current();
        let mutations = prop::collection::vec(arb_mutation(), 1..=3).new_tree(&mut runner).unwrap().current();
        let mut v = shipped()[i.index(shipped().len())].1.clone();
        for m in &mutations {
            apply(&mut v, m);
        }
        compare(&validator, &v, &mut mutated);
    }
    let mut shaped = Tally::default();
    for _ in 0..n {
        let doc = arb_scenario_shaped().new_tree(&mut runner).unwrap().current();
        compare(&validator, &doc, &mut shaped);
    }
    for (what, t) in [("mutated shipped scenarios", &mutated), ("scenario-shaped documents", &shaped)] {
        eprintln!(
            "{what}: {n} checked; {} accepted by both, {} refused by both, {} refused by the parser only ({:?})",
            t.accepted,
            t.refused_by_both,
            t.beyond_total(),
            t.beyond
        );
    }
    // The sample reaches both answers, and the schema catches most refusals.
    for t in [&mutated, &shaped] {
        assert!(t.accepted >= n / 20 && t.refused_by_both >= n / 5, "too one-sided a sample");
        assert!(t.beyond_total() * 4 < t.refused_by_both, "the schema misses too many refusals");
    }
}

/// A document with `value` at `field` of an object of the definition
/// `def` (`""`: the scenario itself), the rest as simple as can be.
fn placed(def: &str, field: &str, value: &Value) -> Value {
    let mut doc = json!({"version": 2, "nodes": [{"id": "n", "kind": "web_server"}], "links": []});
    let set = |o: &mut Value| o[field] = value.clone();
    match def {
        "" => set(&mut doc),
        kind if NodeKind::NAMES.contains(&kind) => {
            let mut node = json!({"id": "n", "kind": kind});
            if kind == "users" && ["requests_per_user_per_day", "peak_factor"].contains(&field) {
                node["dau"] = json!(1000); // these apply only with dau
            }
            set(&mut node);
            doc["nodes"][0] = node;
        }
        "service" => {
            doc["nodes"][0]["service"] = json!({"dist": "lognormal", "mean_ms": 1});
            set(&mut doc["nodes"][0]["service"]);
        }
        "contention" | "autoscale_web" => {
            let at = if def == "contention" { "contention" } else { "autoscale" };
            doc["nodes"][0][at] = json!({});
            set(&mut doc["nodes"][0][at]);
        }
        "autoscale_workers" => {
            doc["nodes"][0] = json!({"id": "n", "kind": "workers", "autoscale": {}});
            set(&mut doc["nodes"][0]["autoscale"]);
        }
        "health_check" => {
            doc["nodes"][0] = json!({"id": "n", "kind": "load_balancer", "health_check": {}});
            set(&mut doc["nodes"][0]["health_check"]);
        }
        "pool" => {
            doc["nodes"][0] = json!({"id": "n", "kind": "web_server", "calls": {"pool": {}}});
            set(&mut doc["nodes"][0]["calls"]["pool"]);
        }
        "mix" | "keys" | "call_policy" | "retry_budget" | "breaker" | "region_share" => {
            let (at, start) = match def {
                "mix" => ("mix", json!({"read": 1})),
                "keys" => ("keys", json!({})),
                "call_policy" => ("retry", json!({"backoff": "exponential"})),
                "retry_budget" => ("retry", json!({"budget": {}})),
                "breaker" => ("retry", json!({"breaker": {}})),
                _ => ("regions", json!([{"region": "eu", "share": 1}])),
            };
            doc["nodes"][0] = json!({"id": "n", "kind": "users"});
            doc["nodes"][0][at] = start;
            let target = match def {
                "retry_budget" => &mut doc["nodes"][0]["retry"]["budget"],
                "breaker" => &mut doc["nodes"][0]["retry"]["breaker"],
                "region_share" => &mut doc["nodes"][0]["regions"][0],
                _ => &mut doc["nodes"][0][at],
            };
            set(target);
        }
        "link" => {
            doc["nodes"] = json!([{"id": "u", "kind": "users"}, {"id": "n", "kind": "web_server"}]);
            doc["links"] = json!([{"from": "u", "to": "n"}]);
            set(&mut doc["links"][0]);
        }
        "fault" => {
            let fault = match field {
                "factor" => "slow",
                "share" => "errors",
                "duration_s" => "spike",
                _ => "fail",
            };
            doc["duration_s"] = json!(2_592_000);
            doc["faults"] = json!([{"at_s": 1, "node": "n", "fault": fault}]);
            set(&mut doc["faults"][0]);
        }
        "alert" => {
            doc["alerts"] = json!([{"name": "a", "metric": "p99_ms", "above": 1}]);
            if field == "below" {
                doc["alerts"][0].as_object_mut().unwrap().remove("above");
            }
            set(&mut doc["alerts"][0]);
        }
        "check" => {
            doc["goal"] = json!({"checks": [{"metric": "p99_ms", "below": 1}]});
            if field == "above" {
                doc["goal"]["checks"][0].as_object_mut().unwrap().remove("below");
            }
            set(&mut doc["goal"]["checks"][0]);
        }
        "goal" => {
            doc["goal"] = json!({"checks": []});
            set(&mut doc["goal"]);
        }
        "failure_drill" | "outage_drill" | "error_band" => {
            let mut drill = json!({"fail": "n", "within_s": 10});
            if def != "failure_drill" {
                drill["while_down"] = json!({"errors_above": 0.1});
            }
            doc["goal"] = json!({"checks": [], "drills": [drill]});
            let d = &mut doc["goal"]["drills"][0];
            set(if def == "error_band" { &mut d["while_down"] } else { d });
        }
        "slowdown_drill" => {
            let drill = json!({"slow": "n", "factor": 4, "for_s": 10, "goodput_back_above": 0.9, "within_s": 20});
            doc["goal"] = json!({"checks": [], "drills": [drill]});
            set(&mut doc["goal"]["drills"][0]);
        }
        other => panic!("no place for a {other} in a test document: add one to `placed`"),
    }
    doc
}

/// Values just inside and just outside each bound of a number's schema,
/// and each value of an enum.
fn probes(p: &Value) -> Vec<Value> {
    let types = match &p["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut out: Vec<Value> = p.get("enum").and_then(Value::as_array).cloned().unwrap_or_default();
    let whole = types.contains(&"integer");
    if !whole && !types.contains(&"number") {
        return out;
    }
    let step = |x: f64| if whole { 1.0 } else { 1e-6 * x.abs().max(1.0) };
    let number = |x: f64| {
        if whole && x.abs() < 9e15 {
            json!(x as i64)
        } else if whole && x >= 1.8e19 {
            json!(u64::MAX)
        } else {
            json!(x)
        }
    };
    for (key, below) in [("minimum", true), ("exclusiveMinimum", true), ("maximum", false), ("exclusiveMaximum", false)]
    {
        let Some(bound) = p.get(key).and_then(Value::as_f64) else { continue };
        let inward = if below { step(bound) } else { -step(bound) };
        if key.starts_with("exclusive") {
            out.extend([number(bound), number(bound + inward)]);
        } else if bound >= 1.8e19 {
            out.extend([number(bound), json!(bound * 2.0)]);
        } else {
            out.extend([number(bound), number(bound - inward)]);
        }
    }
    out
}

/// Every range and enum the schema states is the parser's: at each bound
/// and just beyond it, and for each value of each enum, the schema and the
/// parser agree (but for the checks a schema cannot make, as above).
#[test]
fn the_schema_and_the_parser_agree_at_every_bound() {
    let validator = Validator::new();
    let s = schema();
    let mut objects: Vec<(String, &Value)> = vec![(String::new(), s)];
    for (name, def) in s["definitions"].as_object().unwrap() {
        objects.push((name.clone(), def));
        // A profile's shapes are objects of their own.
        for branch in def.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            if name == "profile" {
                objects.push((name.clone(), &branch["then"]));
            }
        }
    }
    let mut tally = Tally::default();
    let mut checked = 0;
    for (def, object) in objects {
        let Some(props) = object.get("properties").and_then(Value::as_object) else { continue };
        let shape = object["properties"]["shape"]["const"].as_str();
        for (field, p) in props {
            if ["version", "kind", "shape"].contains(&field.as_str()) {
                continue;
            }
            for value in probes(p) {
                let mut doc = match (def.as_str(), shape) {
                    ("profile", Some(shape)) => {
                        let mut d = placed("users", "profile", &json!({"shape": shape}));
                        d["duration_s"] = json!(2_592_000);
                        d["nodes"][0]["profile"][field] = value.clone();
                        d
                    }
                    ("profile", None) => continue,
                    _ => placed(&def, field, &value),
                };
                if def.is_empty() && field == "warmup_s" {
                    doc["duration_s"] = json!(2_592_000);
                }
                compare(&validator, &doc, &mut tally);
                checked += 1;
            }
        }
    }
    eprintln!(
        "bounds and enums: {checked} documents; {} accepted by both, {} refused by both, {} by the parser only ({:?})",
        tally.accepted,
        tally.refused_by_both,
        tally.beyond_total(),
        tally.beyond
    );
    assert!(checked >= 300 && tally.accepted >= checked / 3 && tally.refused_by_both >= checked / 4);
}
