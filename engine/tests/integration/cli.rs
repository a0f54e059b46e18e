//! The `scalelab` command line, run as a user runs it: the built binary, real
//! files, exit codes, stdout and stderr. Exit codes: 0 success, 1 invalid
//! scenario, 2 bad command line or unreadable file; never a panic.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn scalelab(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelab")).args(args).output().expect("the CLI starts");
    let err = stderr(&out);
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{args:?} panicked: {err}");
    out
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/design-example.json").to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", stdout(o)))
}

/// A scratch directory for files written by one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scalelab-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn resilience_prints_the_report_the_panel_shows() {
    // The starter's shape: users, a balancer, two web servers, one database.
    let dir = scratch("resilience");
    let file = dir.join("small.json");
    std::fs::write(
        &file,
        r#"{"version": 1, "seed": 3, "duration_s": 100,
        "nodes": [{"id": "users", "kind": "users", "rps": 300}, {"id": "lb", "kind": "load_balancer"},
            {"id": "web-1", "kind": "web_server"}, {"id": "web-2", "kind": "web_server"}, {"id": "db", "kind": "database"}],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"},
            {"from": "web-1", "to": "db"}, {"from": "web-2", "to": "db"}]}"#,
    )
    .unwrap();
    let r = json_of(&scalelab(&["resilience", file.to_str().unwrap()]));
    assert_eq!(r["baseline"]["failed"], Value::Null);
    assert_eq!(r["baseline"]["error_rate"].as_f64(), Some(0.0));
    let trials = r["trials"].as_array().unwrap();
    let failed: Vec<&str> = trials.iter().map(|t| t["failed"].as_str().unwrap()).collect();
    // Single points of failure first, the users never fail.
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert_eq!(&failed[..2], ["db", "lb"], "{r}");
    assert!(trials[..2].iter().all(|t| t["single_point_of_failure"] == true && t["error_rate"].as_f64() == Some(1.0)));
    // The seed moves the numbers; the same seed gives the same report.
    let again = json_of(&scalelab(&["resilience", file.to_str().unwrap()]));
    assert_eq!(r, again);
    let other = json_of(&scalelab(&["resilience", file.to_str().unwrap(), "--seed", "4"]));
    assert_ne!(r["baseline"]["p99_ms"], other["baseline"]["p99_ms"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn compare_prints_the_pairing_and_the_reading_at_the_end() {
    // Lesson 3's design (one web server, a larger database) and a copy with a
    // second web server's worth of workers, 60 s: the same users and seed, so
    // the pairing changes nothing.
    let dir = scratch("compare");
    let lesson: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/../lessons/03-vertical-scaling.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap(),
    )
    .unwrap();
    let mut a = lesson.clone();
    a["duration_s"] = 60.into();
    let mut b = a.clone();
    for node in b["nodes"].as_array_mut().unwrap() {
        if node["kind"] == "web_server" {
            node.as_object_mut().unwrap().remove("size");
            node["workers"] = 64.into();
        }
    }
    let (fa, fb) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::write(&fa, a.to_string()).unwrap();
    std::fs::write(&fb, b.to_string()).unwrap();
    let r = json_of(&scalelab(&["compare", fa.to_str().unwrap(), fb.to_str().unwrap()]));
    assert_eq!(r["notes"], Value::Array(vec![]), "{}", r["notes"]);
    let reading = &r["reading"];
    assert_eq!(reading["finished"], true);
    assert_eq!(reading["a"]["now_s"].as_f64(), Some(60.0));
    assert_eq!(reading["a"]["generated"], reading["b"]["generated"], "the very same requests");
    assert!(reading["a"]["generated"].as_u64().unwrap() > 1000);
    assert_eq!(reading["diffs"].as_array().unwrap().len(), 8, "one row per metric");
    // The same command, the same numbers; A's seed moves both.
    assert_eq!(r, json_of(&scalelab(&["compare", fa.to_str().unwrap(), fb.to_str().unwrap()])));
    let other = json_of(&scalelab(&["compare", fa.to_str().unwrap(), fb.to_str().unwrap(), "--seed", "99"]));
    assert_ne!(other["reading"]["a"]["latency_mean_ms"], reading["a"]["latency_mean_ms"]);
    // Designs that cannot be paired are refused in words.
    let mut lone = a.clone();
    lone["nodes"].as_array_mut().unwrap().retain(|n| n["kind"] != "users");
    lone["links"].as_array_mut().unwrap().retain(|l| l["from"] != "users");
    let fl = dir.join("lone.json");
    std::fs::write(&fl, lone.to_string()).unwrap();
    let out = scalelab(&["compare", fl.to_str().unwrap(), fb.to_str().unwrap()]);
    assert!(out.status.code() == Some(1) && stderr(&out).contains("scalelab: "), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn session_prints_every_reply_to_the_messages_the_page_would_send() {
    let dir = scratch("session");
    let lesson =
        std::fs::read_to_string(format!("{}/../lessons/03-vertical-scaling.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut messages = vec![
        serde_json::json!({"job": "live", "scenario": lesson, "version": 7, "playing": false, "speed": 1}),
        serde_json::json!({"job": "fault", "id": "users", "fault": {"fault": "fail"}}),
    ];
    messages.extend(std::iter::repeat_n(serde_json::json!({"job": "step"}), 20));
    let file = dir.join("session.json");
    std::fs::write(&file, Value::Array(messages.clone()).to_string()).unwrap();
    let out = scalelab(&["session", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let replies: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // A reading on starting, the refusal in words, and a reading per step.
    assert_eq!(replies.len(), 22);
    assert_eq!(replies[1]["reply"], "refused");
    assert!(replies[1]["message"].as_str().unwrap().contains("users cannot fail"));
    let last = &replies[21]["reading"];
    assert_eq!((last["version"].as_u64(), last["published"]["snapshot"]["now_s"].as_f64()), (Some(7), Some(2.0)));
    assert!(last["published"]["snapshot"]["sent_rps"].as_f64().unwrap() > 0.0);
    // The same messages, the same replies.
    assert_eq!(stdout(&out), stdout(&scalelab(&["session", file.to_str().unwrap()])));
    // What is not a list of messages is refused in words, exit code 1.
    std::fs::write(&file, "{\"job\": \"step\"}").unwrap();
    let out = scalelab(&["session", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a JSON array of messages"), "{}", stderr(&out));
    std::fs::write(&file, "[{\"job\": \"step\"}, {\"job\": \"dance\"}]").unwrap();
    let out = scalelab(&["session", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("message 2"), "{}", stderr(&out));
    assert!(stdout(&out).contains("start the live run first"), "{}", stdout(&out));
    let out = scalelab(&["session", dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_reader_that_stops_reading_ends_the_output_without_a_panic() {
    use std::process::Stdio;
    // As `scalelab run FILE | head -c 0` does: the reader is gone before the
    // report (written after the run) is printed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalelab"))
        .args(["run", &example()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked") && err.is_empty(), "{err}");
    assert!(out.status.success(), "{:?}", out.status);
}

#[test]
fn run_prints_the_report_with_the_fixed_keys() {
    // The design's example as written: 600 s, warm-up 60 s, 800/s into four
    // workers of 4 ms behind a random balancer.
    let r = json_of(&scalelab(&["run", &example()]));
    assert_eq!(r["sim_time_s"].as_f64(), Some(600.0));
    assert!(r["wall_ms"].as_f64().unwrap() > 0.0, "the CLI measures the wall time");
    let q = &r["requests"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let failed = q["failed"].as_object().expect("requests.failed is a map of causes");
    assert!(failed.contains_key("rejected") && failed.contains_key("timeout"), "{failed:?}");
    let failed_sum: u64 = failed.values().map(n).sum();
    assert_eq!(n(&q["generated"]), n(&q["ok"]) + failed_sum + n(&q["in_flight"]));
    // 540 s at 800/s: 432,000 requests, Poisson SD 657.
    assert!((n(&q["generated"]) as f64 - 432_000.0).abs() < 5.0 * 657.0, "{q}");
    // At least an arrival and a service completion per request.
    assert!(n(&r["events"]) >= 2 * n(&q["generated"]), "{} events", r["events"]);
    let l = &r["latency_ms"];
    let keys = ["mean", "p50", "p90", "p95", "p99", "p999", "max"];
    let values: Vec<f64> = keys.iter().map(|k| l[*k].as_f64().unwrap_or_else(|| panic!("latency_ms.{k}"))).collect();
    assert!(values[0] > 4.0, "mean latency {} is below the 4 ms service time", values[0]);
    assert!(values[1..].windows(2).all(|w| w[0] <= w[1]), "quantiles out of order: {l}");
    let app = &r["nodes"]["app"];
    for key in
        ["arrivals", "throughput_rps", "utilization", "mean_queue_len", "mean_wait_ms", "mean_response_ms", "rejected"]
    {
        assert!(app[key].is_number(), "nodes.app.{key} missing or not a number: {app}");
    }
    // 800/s x 4 ms over 4 workers: utilisation 0.8. One run's SE here is about
    // 0.2% (M/M/4 at rho 0.8, 540 s window), so 0.01 absolute is > 5 SE.
    let u = app["utilization"].as_f64().unwrap();
    assert!((u - 0.8).abs() < 0.01, "utilisation {u}");
    assert_eq!(app["rejected"].as_u64(), Some(0));
}

#[test]
fn seed_and_duration_override_the_file() {
    let a = json_of(&scalelab(&["run", &example(), "--duration", "90", "--seed", "1"]));
    let again = json_of(&scalelab(&["run", &example(), "--seed", "1", "--duration", "90"]));
    let b = json_of(&scalelab(&["run", &example(), "--duration", "90", "--seed", "2"]));
    assert_eq!(a["sim_time_s"].as_f64(), Some(90.0));
    assert_eq!(a["seed"].as_u64(), Some(1));
    assert_eq!(b["seed"].as_u64(), Some(2));
    // Same seed: the same run, whatever the flag order (wall_ms aside).
    let strip = |mut v: Value| {
        v["wall_ms"] = Value::Null;
        v
    };
    assert_eq!(strip(a.clone()), strip(again));
    assert_ne!(a["requests"]["generated"], b["requests"]["generated"]);
}

#[test]
fn overrides_are_checked_like_fields_of_the_file() {
    let bad = scalelab(&["run", &example(), "--duration", "-4"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("duration_s"), "{}", stderr(&bad));
    // The file's 60 s warm-up does not fit in 30 s.
    let short = scalelab(&["run", &example(), "--duration", "30"]);
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("warmup_s"), "{}", stderr(&short));
    let nan = scalelab(&["run", &example(), "--duration", "NaN"]);
    assert_eq!(nan.status.code(), Some(1), "{}", stderr(&nan));
    assert!(stderr(&nan).contains("duration_s"), "{}", stderr(&nan));
}

#[test]
fn validate_accepts_good_and_names_the_field_of_bad() {
    let ok = scalelab(&["validate", &example()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("valid scenario"), "{}", stdout(&ok));

    let dir = scratch("validate");
    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(example()).unwrap().replace("\"workers\": 4", "\"workers\": 0");
    assert!(text.contains("\"workers\": 0"));
    std::fs::write(&bad, text).unwrap();
    for cmd in ["validate", "run"] {
        let out = scalelab(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(stderr(&out).contains("nodes[2].workers: must be at least 1"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{cmd} printed a report for an invalid scenario");
    }
    // Several problems: all named.
    let many = dir.join("many.json");
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("\"workers\": 4", "\"workers\": 0")
        .replace("\"mean_ms\": 4.0", "\"mean_ms\": -1")
        .replace("\"algorithm\": \"random\"", "\"algorithm\": \"randm\"");
    std::fs::write(&many, text).unwrap();
    let out = scalelab(&["validate", many.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    for path in ["nodes[2].workers", "nodes[2].service.mean_ms", "nodes[1].algorithm"] {
        assert!(stderr(&out).contains(path), "{path} not named: {}", stderr(&out));
    }
    assert!(stderr(&out).contains("did you mean \"random\""), "{}", stderr(&out));

    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\n  \"version\": 1,\n  oops\n}").unwrap();
    let out = scalelab(&["run", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_cli_refuses_documents_over_the_size_limit_like_the_library() {
    // The library refuses documents over 1 MB (limits::MAX_DOCUMENT_BYTES)
    // before parsing them; the CLI reads the same scenario files and must
    // refuse them too, with the same message, instead of running them.
    let dir = scratch("size");
    let big = dir.join("big.json");
    let text = std::fs::read_to_string(example()).unwrap();
    let padded = format!("{text}{}", " ".repeat(1_100_000));
    assert!(scalelab_engine::Scenario::from_json(&padded).is_err(), "the library refuses it");
    std::fs::write(&big, padded).unwrap();
    for cmd in ["validate", "run"] {
        let out = scalelab(&[cmd, big.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{cmd} accepted a document over 1 MB: {}",
            stdout(&out).lines().next().unwrap_or("")
        );
        assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_command_lines_exit_2_without_panicking() {
    let example = example();
    let cases: &[&[&str]] = &[
        &[],
        &["run"],
        &["frobnicate", "x"],
        &["run", "/no/such/file.json"],
        &["validate", "/no/such/file.json"],
        &["run", &example, "--seed"],
        &["run", &example, "--seed", "abc"],
        &["run", &example, "--seed", "-1"],
        &["run", &example, "--duration", "ten"],
        &["run", &example, "--fast"],
        &["run", &example, &example],
        &["validate", &example, "--seed", "3"],
        &["compare", &example],
        &["compare", &example, &example, &example],
        &["compare", &example, "/no/such/file.json"],
    ];
    for args in cases {
        let out = scalelab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}: no message");
        assert!(stdout(&out).is_empty(), "{args:?}: printed something on stdout");
    }
    // A directory is not a readable scenario file either.
    let out = scalelab(&["run", env!("CARGO_MANIFEST_DIR")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A copy of lesson 14 (its scenario and note) in a scratch folder, with
/// the scenario changed by `change`.
fn lesson_copy(test: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let lessons = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons"));
    let dir = scratch(test);
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(lessons.join("14-timeouts-and-retries.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("$schema");
    change(&mut doc);
    std::fs::write(dir.join("my-lesson.json"), doc.to_string()).unwrap();
    std::fs::copy(lessons.join("14-timeouts-and-retries.md"), dir.join("my-lesson.md")).unwrap();
    dir
}

#[test]
fn lesson_prints_the_goals_verdict_for_the_preset_and_checks_the_expected_one() {
    // The preset as shipped: web-3 fails one request in five, so the goodput
    // check fails and the goal is not met.
    let dir = lesson_copy("lesson-preset", |_| {});
    let path = dir.to_string_lossy().to_string();
    let out = scalelab(&["lesson", &path, "--for", "90", "--expect", "not-met"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("my-lesson.json: a valid lesson, \"14. Timeouts and retries\""), "{said}");
    assert!(said.contains("the preset alone does not meet its goal in 90 s"), "{said}");
    let goodput = said.lines().find(|l| l.contains("goodput")).unwrap_or_else(|| panic!("{said}"));
    assert!(goodput.trim_start().starts_with('✗'), "{said}");
    // Expecting it met is a failure, said in words.
    let out = scalelab(&["lesson", &path, "--for", "90", "--expect", "met"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expected the goal met by the preset, but it was not met"), "{}", stderr(&out));

    // With the change the lesson teaches (its solution's retries), the
    // preset meets the goal: 60 s held after the first windows.
    let solved = lesson_copy("lesson-solved", |doc| {
        let users = doc["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == "users").unwrap();
        users["retry"] =
            serde_json::json!({"attempt_timeout_ms": 500, "max_attempts": 3, "budget": {"tokens": 10, "refill": 0.1}});
    });
    let file = solved.join("my-lesson.json").to_string_lossy().to_string();
    let out = scalelab(&["lesson", &file, "--expect", "met"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let said = stdout(&out);
    let at: u64 = said
        .split("meets its goal at t = ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!((60..=120).contains(&at), "{said}");
    assert!(said.lines().filter(|l| l.trim_start().starts_with('✓')).count() == 4, "{said}");
}

#[test]
fn lesson_says_what_is_missing_from_a_lesson_in_words() {
    // No note beside the scenario: a warning (a solution has none), and the verdict.
    let dir = lesson_copy("lesson-no-note", |_| {});
    std::fs::remove_file(dir.join("my-lesson.md")).unwrap();
    let out = scalelab(&["lesson", &dir.to_string_lossy(), "--for", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("warning: no note") && stdout(&out).contains("my-lesson.md"), "{}", stdout(&out));
    assert!(stdout(&out).contains("does not meet its goal in 20 s"), "{}", stdout(&out));
    // No goal.
    let dir = lesson_copy("lesson-no-goal", |doc| {
        doc.as_object_mut().unwrap().remove("goal");
    });
    let out = scalelab(&["lesson", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no \"goal\""), "{}", stderr(&out));
    // A note without a title line.
    let dir = lesson_copy("lesson-no-title", |_| {});
    std::fs::write(dir.join("my-lesson.md"), "Some text.\n").unwrap();
    let out = scalelab(&["lesson", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the first line must be the title"), "{}", stderr(&out));
    // An empty folder, and bad options.
    let empty = scratch("lesson-empty");
    let out = scalelab(&["lesson", &empty.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no lesson here"), "{}", stderr(&out));
    for (opt, value, says) in [("--for", "0", "--for must be a whole number"), ("--expect", "done", "--expect must be")]
    {
        let out = scalelab(&["lesson", &empty.to_string_lossy(), opt, value]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
}
