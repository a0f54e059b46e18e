//! Bad documents: each is refused, and every problem names its field.

use scalelab_engine::{Scenario, ScenarioError};
use serde_json::{json, Value};

fn good() -> Value {
    json!({
        "version": 1, "seed": 7, "duration_s": 60, "warmup_s": 5,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 100},
            {"id": "lb", "kind": "load_balancer", "algorithm": "random"},
            {"id": "app", "kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 4.0}},
            {"id": "db", "kind": "database", "workers": 2, "service": {"dist": "constant", "mean_ms": 1.0}}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 1},
            {"from": "lb", "to": "app"},
            {"from": "app", "to": "db"}
        ]
    })
}

fn with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = good();
    edit(&mut v);
    v.to_string()
}

fn issues(text: &str) -> Vec<String> {
    match Scenario::from_json(text) {
        Ok(_) => vec![],
        Err(e) => e.issues().iter().map(|i| i.to_string()).collect(),
    }
}

#[test]
fn the_base_document_is_valid() {
    assert_eq!(issues(&good().to_string()), Vec::<String>::new());
}

#[test]
fn each_bad_document_names_its_field() {
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("zero workers", with(|v| v["nodes"][2]["workers"] = json!(0)), "nodes[2].workers", "at least 1"),
        ("fractional workers", with(|v| v["nodes"][2]["workers"] = json!(2.5)), "nodes[2].workers", "whole number"),
        (
            "missing version",
            with(|v| {
                v.as_object_mut().unwrap().remove("version");
            }),
            "version",
            "missing",
        ),
        ("future version", with(|v| v["version"] = json!(99)), "version", "newer"),
        (
            "unknown kind",
            with(|v| v["nodes"][1]["kind"] = json!("load_balancr")),
            "nodes[1].kind",
            "did you mean \"load_balancer\"",
        ),
        ("unknown field", with(|v| v["nodes"][2]["wrkers"] = json!(3)), "nodes[2].wrkers", "did you mean \"workers\""),
        (
            "unknown algorithm",
            with(|v| v["nodes"][1]["algorithm"] = json!("round-robin")),
            "nodes[1].algorithm",
            "round_robin",
        ),
        ("link to unknown id", with(|v| v["links"][1]["to"] = json!("ap")), "links[1].to", "did you mean \"app\""),
        (
            "users straight to database",
            with(|v| v["links"][0]["to"] = json!("db")),
            "links[0]",
            "web server in between",
        ),
        (
            "database calling a server",
            with(|v| v["links"].as_array_mut().unwrap().push(json!({"from": "db", "to": "app"}))),
            "links[3]",
            "does not call",
        ),
        (
            "self link",
            with(|v| v["links"].as_array_mut().unwrap().push(json!({"from": "app", "to": "app"}))),
            "links[3]",
            "itself",
        ),
        (
            "duplicate link",
            with(|v| v["links"].as_array_mut().unwrap().push(json!({"from": "lb", "to": "app"}))),
            "links[3]",
            "repeats links[1]",
        ),
        (
            "duplicate id",
            with(|v| v["nodes"].as_array_mut().unwrap().push(json!({"id": "app", "kind": "web_server"}))),
            "nodes[4].id",
            "already the id of nodes[2]",
        ),
        ("negative latency", with(|v| v["links"][0]["latency_ms"] = json!(-1)), "links[0].latency_ms", "at least 0"),
        ("huge latency", with(|v| v["links"][0]["latency_ms"] = json!(1e9)), "links[0].latency_ms", "at most"),
        (
            "zero mean service",
            with(|v| v["nodes"][2]["service"]["mean_ms"] = json!(0)),
            "nodes[2].service.mean_ms",
            "more than 0",
        ),
        ("cv on exponential", with(|v| v["nodes"][2]["service"]["cv"] = json!(2)), "nodes[2].service.cv", "lognormal"),
        ("warm-up past the end", with(|v| v["warmup_s"] = json!(60)), "warmup_s", "less than duration_s"),
        ("zero duration", with(|v| v["duration_s"] = json!(0)), "duration_s", "more than 0"),
        ("mix all zero", with(|v| v["nodes"][0]["mix"] = json!({"read": 0})), "nodes[0].mix", "at least one share"),
        (
            "unknown mix kind",
            with(|v| v["nodes"][0]["mix"] = json!({"read": 1, "reads": 1})),
            "nodes[0].mix.reads",
            "did you mean \"read\"",
        ),
        (
            "negative queue limit",
            with(|v| v["nodes"][2]["queue_limit"] = json!(-1)),
            "nodes[2].queue_limit",
            "at least 0",
        ),
        (
            "fractional queue limit",
            with(|v| v["nodes"][2]["queue_limit"] = json!(2.5)),
            "nodes[2].queue_limit",
            "whole number",
        ),
        (
            "zero timeout",
            with(|v| v["nodes"][2]["timeout_ms"] = json!(0)),
            "nodes[2].timeout_ms",
            "null for no timeout",
        ),
        (
            "timeout as text",
            with(|v| v["nodes"][2]["timeout_ms"] = json!("soon")),
            "nodes[2].timeout_ms",
            "number of milliseconds",
        ),
        (
            "users who give up at once",
            with(|v| v["nodes"][0]["client_timeout_ms"] = json!(0)),
            "nodes[0].client_timeout_ms",
            "null for users who never give up",
        ),
        (
            "negative client timeout",
            with(|v| v["nodes"][0]["client_timeout_ms"] = json!(-1)),
            "nodes[0].client_timeout_ms",
            "at least 0",
        ),
        (
            "client timeout over an hour",
            with(|v| v["nodes"][0]["client_timeout_ms"] = json!(4e6)),
            "nodes[0].client_timeout_ms",
            "at most",
        ),
        (
            "client timeout as text",
            with(|v| v["nodes"][0]["client_timeout_ms"] = json!("30 s")),
            "nodes[0].client_timeout_ms",
            "number of milliseconds",
        ),
        (
            "client timeout misspelt",
            with(|v| v["nodes"][0]["client_timout_ms"] = json!(5000)),
            "nodes[0].client_timout_ms",
            "did you mean \"client_timeout_ms\"",
        ),
        ("rps beyond the limit", with(|v| v["nodes"][0]["rps"] = json!(1e15)), "nodes[0].rps", "at most"),
        ("negative rps", with(|v| v["nodes"][0]["rps"] = json!(-5)), "nodes[0].rps", "at least 0"),
        (
            "users linked to two nodes",
            with(|v| v["links"].as_array_mut().unwrap().push(json!({"from": "users", "to": "app"}))),
            "nodes[0]",
            "link them to one",
        ),
        ("nodes not a list", with(|v| v["nodes"] = json!({})), "nodes", "must be a list"),
        ("node not an object", with(|v| v["nodes"][1] = json!(3)), "nodes[1]", "must be an object"),
        (
            "bad id characters",
            with(|v| v["nodes"].as_array_mut().unwrap().push(json!({"id": "<db>", "kind": "database"}))),
            "nodes[4].id",
            "only letters",
        ),
        (
            "link from unknown id",
            with(|v| v["links"][2]["from"] = json!("apq")),
            "links[2].from",
            "did you mean \"app\"",
        ),
        (
            "unknown dist",
            with(|v| v["nodes"][2]["service"]["dist"] = json!("lognorm")),
            "nodes[2].service.dist",
            "did you mean \"lognormal\"",
        ),
        (
            "missing mean_ms",
            with(|v| v["nodes"][2]["service"] = json!({"dist": "constant"})),
            "nodes[2].service.mean_ms",
            "missing",
        ),
        ("cv on constant", with(|v| v["nodes"][3]["service"]["cv"] = json!(0.5)), "nodes[3].service.cv", "lognormal"),
        (
            "cv too large",
            with(|v| v["nodes"][2]["service"] = json!({"dist": "lognormal", "mean_ms": 1, "cv": 21})),
            "nodes[2].service.cv",
            "at most 20",
        ),
        ("too many workers", with(|v| v["nodes"][2]["workers"] = json!(100_001)), "nodes[2].workers", "at most 100000"),
        (
            "queue limit as text",
            with(|v| v["nodes"][2]["queue_limit"] = json!("5")),
            "nodes[2].queue_limit",
            "whole number",
        ),
        ("negative warm-up", with(|v| v["warmup_s"] = json!(-1)), "warmup_s", "at least 0"),
        ("unknown top-level field", with(|v| v["duraton_s"] = json!(10)), "duraton_s", "did you mean \"duration_s\""),
        (
            "unknown arrivals",
            with(|v| v["nodes"][0]["arrivals"] = json!("uniform")),
            "nodes[0].arrivals",
            "\"poisson\"",
        ),
        ("zero population", with(|v| v["nodes"][0]["population"] = json!(0)), "nodes[0].population", "at least 1"),
        (
            "missing id",
            with(|v| {
                v["nodes"][3].as_object_mut().unwrap().remove("id");
            }),
            "nodes[3].id",
            "missing",
        ),
        (
            "missing nodes",
            with(|v| {
                v.as_object_mut().unwrap().remove("nodes");
            }),
            "nodes",
            "missing",
        ),
        (
            "balancer behind a balancer",
            with(|v| {
                v["nodes"].as_array_mut().unwrap().push(json!({"id": "lb2", "kind": "load_balancer"}));
                v["links"].as_array_mut().unwrap().push(json!({"from": "lb", "to": "lb2"}));
            }),
            "links[3]",
            "not to another load balancer",
        ),
        (
            "web server to two databases",
            with(|v| {
                v["nodes"].as_array_mut().unwrap().push(json!({"id": "db2", "kind": "database"}));
                v["links"].as_array_mut().unwrap().push(json!({"from": "app", "to": "db2"}));
            }),
            "nodes[2]",
            "which do not replicate each other",
        ),
        ("a name too long", with(|v| v["name"] = json!("n".repeat(201))), "name", "at most 200"),
        ("seed negative", with(|v| v["seed"] = json!(-1)), "seed", "at least 0"),
        ("not an object", "[1, 2]".to_string(), "", "must be an object"),
        ("syntax error", "{\"version\": 1,\n \"nodes\": [}".to_string(), "", "line 2"),
        ("over a megabyte", format!("{{\"name\": \"{}\"}}", "x".repeat(1_100_000)), "", "larger than"),
    ];
    assert!(cases.len() >= 20);
    for (name, doc, path, fragment) in cases {
        // The issue is at exactly this path (not merely somewhere), and it is
        // the only one: a single mistake must not drag in spurious complaints.
        let found = issue_list(&doc);
        assert!(
            found.iter().any(|i| i.path == path && i.message.contains(fragment)),
            "{name}: expected an issue at `{path}` containing {fragment:?}, got {found:#?}"
        );
        assert_eq!(found.len(), 1, "{name}: one mistake, one issue; got {found:#?}");
    }
}

fn issue_list(text: &str) -> Vec<scalelab_engine::Issue> {
    match Scenario::from_json(text) {
        Ok(_) => vec![],
        Err(e) => e.issues(),
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let doc = with(|v| {
        v["nodes"][2]["workers"] = json!(0);
        v["links"][0]["latency_ms"] = json!(-3);
        v["nodes"][3]["service"]["dist"] = json!("poisson");
    });
    let found = issues(&doc);
    for path in ["nodes[2].workers", "links[0].latency_ms", "nodes[3].service.dist"] {
        assert!(found.iter().any(|i| i.starts_with(path)), "{path} missing from {found:#?}");
    }
    let err = Scenario::from_json(&doc).unwrap_err();
    assert!(matches!(err, ScenarioError::Invalid(ref v) if v.len() == 3), "{err}");
    assert!(err.to_string().contains("3 problems"));
}

#[test]
fn json_numbers_beyond_f64_are_refused_not_infinite() {
    // 1e400 overflows f64; serde_json refuses it as a syntax error rather than
    // handing us infinity, so the message points at the spot.
    let doc = good().to_string().replace("\"rps\":100", "\"rps\":1e400");
    let found = issues(&doc);
    assert!(!found.is_empty() && found[0].contains("line 1"), "{found:?}");
}

#[test]
fn unfinished_designs_run_with_warnings_and_fail_their_requests_with_no_route() {
    // While a design is being built, users may be linked to nothing and a load
    // balancer may have no servers: valid, warned about, and honest about it.
    let doc = with(|v| {
        v["links"].as_array_mut().unwrap().remove(1); // lb -> app
    });
    let s = Scenario::from_json(&doc).expect("runs");
    let w = scalelab_engine::warnings(&s);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].to_string().starts_with("nodes[1]: load balancer \"lb\" has no servers"), "{}", w[0]);
    let mut sim = scalelab_engine::Simulation::new(s);
    sim.run_to_end();
    let r = sim.report();
    assert!(r.requests.generated > 1000);
    assert_eq!(r.requests.failed.get(scalelab_engine::Cause::NoRoute), r.requests.generated - r.requests.in_flight);
    assert_eq!(r.requests.ok, 0);
}

#[test]
fn syntax_errors_give_line_and_column() {
    // The bracket on line 3, column 13 closes nothing that is open.
    let text = "{\n  \"version\": 1,\n  \"nodes\": [}\n";
    match Scenario::from_json(text) {
        Err(ScenarioError::Syntax { line, column, .. }) => assert_eq!((line, column), (3, 13)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let found = issues(text);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("line 3, column 13"), "{found:?}");
    // 1e400 is not infinity: JSON numbers beyond f64 are refused where they stand.
    let doc = "{\"version\": 1,\n \"duration_s\": 1e400}";
    match Scenario::from_json(doc) {
        Err(ScenarioError::Syntax { line: 2, .. }) => {}
        other => panic!("expected a syntax error on line 2, got {other:?}"),
    }
}

#[test]
fn field_problems_and_graph_problems_are_reported_together() {
    // One mistake in a field (workers 0) and one in the wiring (a link to an
    // id that does not exist): the user must see both at once, not fix the
    // first only to be told about the second.
    let doc = with(|v| {
        v["nodes"][2]["workers"] = json!(0);
        v["links"][1]["to"] = json!("ap");
    });
    let found = issue_list(&doc);
    for path in ["nodes[2].workers", "links[1].to"] {
        assert!(found.iter().any(|i| i.path == path), "{path} missing from {found:#?}");
    }
}
