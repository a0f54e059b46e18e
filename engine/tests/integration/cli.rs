//! The `scalelab` command line, run as a user runs it.

use std::process::{Command, Output};

fn scalelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalelab")).args(args).output().expect("the CLI starts")
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/design-example.json").to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn run_prints_the_report_with_the_fixed_keys() {
    let out = scalelab(&["run", &example(), "--duration", "120"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["sim_time_s", "events", "wall_ms", "requests", "latency_ms", "nodes"] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r["sim_time_s"], 120.0);
    for key in ["generated", "ok", "in_flight"] {
        assert!(r["requests"][key].is_u64(), "requests.{key}");
    }
    assert!(r["requests"]["failed"]["rejected"].is_u64() && r["requests"]["failed"]["timeout"].is_u64());
    for key in ["mean", "p50", "p90", "p95", "p99", "p999", "max"] {
        assert!(r["latency_ms"][key].as_f64().unwrap() > 0.0, "latency_ms.{key}");
    }
    for key in ["arrivals", "throughput_rps", "utilization", "mean_queue_len", "mean_wait_ms", "mean_response_ms", "rejected"] {
        assert!(r["nodes"]["app"].get(key).is_some(), "nodes.app.{key}");
    }
    // 800/s into 4 workers of 4 ms: utilisation 0.8.
    let u = r["nodes"]["app"]["utilization"].as_f64().unwrap();
    assert!((u - 0.8).abs() < 0.02, "utilisation {u}");
}

#[test]
fn seed_and_duration_override_the_file() {
    let a = scalelab(&["run", &example(), "--duration", "90", "--seed", "1"]);
    let b = scalelab(&["run", &example(), "--duration", "90", "--seed", "2"]);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&a.stdout).unwrap(), serde_json::from_slice(&b.stdout).unwrap());
    assert_eq!(a["sim_time_s"], 90.0);
    assert_eq!(a["seed"], 1);
    assert_ne!(a["requests"]["generated"], b["requests"]["generated"]);
    // An override is checked like a field of the file.
    let bad = scalelab(&["run", &example(), "--duration", "90", "--seed", "1", "--duration", "-4"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("duration_s"), "{}", stderr(&bad));
}

#[test]
fn validate_accepts_good_and_names_the_field_of_bad() {
    let ok = scalelab(&["validate", &example()]);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("valid scenario"));

    let dir = std::env::temp_dir().join(format!("scalelab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(example()).unwrap().replace("\"workers\": 4", "\"workers\": 0");
    std::fs::write(&bad, text).unwrap();
    for cmd in ["validate", "run"] {
        let out = scalelab(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(stderr(&out).contains("nodes[2].workers: must be at least 1"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "not json at all").unwrap();
    let out = scalelab(&["run", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
}

#[test]
fn bad_command_lines_exit_2_without_panicking() {
    for args in [vec!["run"], vec!["frobnicate", "x"], vec!["run", "/no/such/file.json"], vec!["run", &example(), "--seed"], vec!["run", &example(), "--seed", "abc"], vec!["run", &example(), "--fast"]] {
        let args: Vec<&str> = args.iter().map(|s| &**s).collect();
        let out = scalelab(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
        assert!(!stderr(&out).is_empty());
    }
}
