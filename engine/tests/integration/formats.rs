//! Scenario format versions: older documents open (migrated), are written
//! back in the current format, and a newer version is refused by name.
//!
//! `tests/fixtures/v1/` keeps every scenario that shipped in version 1 as it
//! was; each must read as exactly the same scenario as its version-2 rewrite.
//! (Files added since version 2 have no version-1 past.)

use scalelab_engine::scenario::FORMAT_VERSION;
use scalelab_engine::Scenario;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// (version-1 fixture, shipped version-2 file) pairs.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let fixtures = root().join("tests/fixtures/v1");
    let shipped = [
        ("scenarios", root().join("scenarios")),
        ("lessons", root().join("../lessons")),
        ("solutions", root().join("../lessons/solutions")),
    ];
    let mut out = Vec::new();
    for (name, dir) in shipped {
        for v1 in json_files(&fixtures.join(name)) {
            let v2 = dir.join(v1.file_name().unwrap());
            assert!(v2.exists(), "the version-1 fixture {} has its shipped file {}", v1.display(), v2.display());
            out.push((v1, v2));
        }
    }
    assert!(out.len() >= 18, "{} pairs", out.len());
    out
}

fn read(path: &Path) -> (String, Scenario) {
    let text = std::fs::read_to_string(path).unwrap();
    let s = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, s)
}

#[test]
fn every_version_1_file_reads_as_its_version_2_rewrite() {
    for (v1, v2) in pairs() {
        let (old_text, old) = read(&v1);
        let (new_text, new) = read(&v2);
        let old_version = serde_json::from_str::<Value>(&old_text).unwrap()["version"].clone();
        assert_eq!(old_version, json!(1), "{}", v1.display());
        assert_eq!(
            serde_json::from_str::<Value>(&new_text).unwrap()["version"],
            json!(FORMAT_VERSION),
            "{}",
            v2.display()
        );
        assert_eq!(old, new, "{} and {}", v1.display(), v2.display());
        assert_eq!(old.version, FORMAT_VERSION);
        // Saved again, a migrated document is written in the current format.
        assert_eq!(old.to_json_pretty(), new.to_json_pretty());
        assert_eq!(Scenario::from_json(&old.to_json_pretty()).unwrap(), old);
    }
}

#[test]
fn version_1_alert_metrics_are_renamed_and_version_2_uses_only_the_new_names() {
    let doc = |version: u32, queue: &str, throughput: &str| {
        json!({
            "version": version,
            "nodes": [{"id": "u", "kind": "users"}, {"id": "app", "kind": "web_server"}],
            "links": [{"from": "u", "to": "app"}],
            "alerts": [
                {"name": "busy", "metric": queue, "node": "app", "above": 10},
                {"name": "quiet", "metric": throughput, "below": 1}
            ]
        })
        .to_string()
    };
    let old = Scenario::from_json(&doc(1, "queue", "throughput")).unwrap();
    let new = Scenario::from_json(&doc(2, "backlog", "throughput_rps")).unwrap();
    assert_eq!(old, new);
    let metrics: Vec<&str> = old.alerts.as_ref().unwrap().iter().map(|a| a.metric.as_str()).collect();
    assert_eq!(metrics, ["backlog", "throughput_rps"]);
    let issues = Scenario::from_json(&doc(2, "queue", "throughput")).unwrap_err().issues();
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["alerts[0].metric", "alerts[1].metric"], "{issues:?}");
    assert!(
        issues[0].message.contains("\"backlog\"") && issues[1].message.contains("did you mean \"throughput_rps\""),
        "{issues:?}"
    );
}

#[test]
fn a_newer_or_malformed_version_is_refused_naming_version() {
    let doc = |version: Value| json!({"version": version, "nodes": [], "links": []}).to_string();
    for (version, words) in [
        (json!(3), "format version 3, newer than this Scale Lab understands (up to 2)"),
        (json!(1_000_000), "newer"),
        (json!(0), "at least 1"),
        (json!(-2), "at least 1"),
        (json!(1.5), "whole number"),
        (json!("2"), "whole number"),
        (json!(null), "whole number"),
    ] {
        let issues = Scenario::from_json(&doc(version.clone())).unwrap_err().issues();
        assert!(issues.iter().any(|i| i.path == "version" && i.message.contains(words)), "{version}: {issues:?}");
    }
    let issues = Scenario::from_json(r#"{"nodes": [], "links": []}"#).unwrap_err().issues();
    assert!(issues.iter().any(|i| i.path == "version" && i.message.contains("\"version\": 2")), "{issues:?}");
}

#[test]
fn every_shipped_scenario_is_in_the_current_format() {
    for dir in ["scenarios", "../lessons", "../lessons/solutions"] {
        for file in json_files(&root().join(dir)) {
            let (text, _) = read(&file);
            let version = serde_json::from_str::<Value>(&text).unwrap()["version"].clone();
            assert_eq!(version, json!(FORMAT_VERSION), "{}", file.display());
        }
    }
}
