//! Nonsense parameters and runaway runs (issue 8): each is refused with a
//! message naming its field, or bounded; the engine never panics, never
//! reports NaN, never grows without bound.
//!
//! - Zero, negative and out-of-range values, 1e400, 10^15 users, a million
//!   nodes, cycles of calls, a node linked to itself: refused by field.
//! - The edit API refuses the same nonsense and leaves the run untouched.
//! - More than `MAX_IN_FLIGHT` requests alive: new ones end at once with
//!   cause `overflow`, so an unbounded queue flooded far past its capacity
//!   holds at most the cap.
//! - A long timeout behind one stuck request does not pile up deadline entries.
//! - Memory is flat from 2 to 20 simulated minutes at 10,000 requests/s.

use scalelab_engine::limits::MAX_IN_FLIGHT;
use scalelab_engine::scenario::NodeSpec;
use scalelab_engine::{Cause, Edit, EditError, Issue, LinkRole, NodeKind, Scenario, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

fn base() -> Value {
    json!({
        "version": 2, "seed": 3, "duration_s": 60, "warmup_s": 1,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "app", "kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 4}},
            {"id": "db", "kind": "database", "workers": 4, "service": {"dist": "exponential", "mean_ms": 2}},
            {"id": "cache", "kind": "cache"},
            {"id": "router", "kind": "shard_router"},
            {"id": "q", "kind": "queue"},
            {"id": "pool", "kind": "workers"}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 1},
            {"from": "lb", "to": "app"},
            {"from": "app", "to": "db"},
            {"from": "app", "to": "cache"},
            {"from": "app", "to": "q"},
            {"from": "q", "to": "pool"}
        ]
    })
}

fn issues(doc: &Value) -> Vec<Issue> {
    issues_of_text(&doc.to_string())
}

fn issues_of_text(text: &str) -> Vec<Issue> {
    match Scenario::from_json(text) {
        Ok(_) => panic!("accepted: {}", &text[..text.len().min(300)]),
        Err(e) => e.issues(),
    }
}

/// `doc` is refused with an issue at `path` whose message contains `words`.
#[track_caller]
fn refused_at(doc: &Value, path: &str, words: &str) {
    let found = issues(doc);
    assert!(
        found.iter().any(|i| i.path == path && i.message.contains(words)),
        "expected {path}: ...{words}...; got {found:#?}"
    );
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    edit(&mut v);
    v
}

#[test]
fn the_base_design_is_valid() {
    Scenario::from_json(&base().to_string()).unwrap();
}

#[test]
fn zero_negative_and_out_of_range_values_are_refused_by_field() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(|v| v["nodes"][2]["workers"] = json!(0)), "nodes[2].workers", "at least 1"),
        (with(|v| v["nodes"][2]["workers"] = json!(-3)), "nodes[2].workers", "at least 1"),
        (with(|v| v["nodes"][2]["service"]["mean_ms"] = json!(0)), "nodes[2].service.mean_ms", "more than 0"),
        (with(|v| v["nodes"][2]["service"]["mean_ms"] = json!(-1)), "nodes[2].service.mean_ms", "at least 0"),
        (with(|v| v["nodes"][2]["service"]["mean_ms"] = json!(1e308)), "nodes[2].service.mean_ms", "at most"),
        (with(|v| v["nodes"][0]["rps"] = json!(-1)), "nodes[0].rps", "at least 0"),
        (with(|v| v["links"][0]["latency_ms"] = json!(-0.5)), "links[0].latency_ms", "at least 0"),
        (with(|v| v["duration_s"] = json!(-5)), "duration_s", "at least 0"),
        (with(|v| v["duration_s"] = json!(0)), "duration_s", "more than 0"),
        (with(|v| v["nodes"][2]["timeout_ms"] = json!(-1)), "nodes[2].timeout_ms", "at least 0"),
        (with(|v| v["nodes"][2]["queue_limit"] = json!(-1)), "nodes[2].queue_limit", "at least 0"),
        (with(|v| v["nodes"][4]["capacity"] = json!(0)), "nodes[4].capacity", "at least 1"),
        // About 70 bytes an item: a bigger cache could fill gigabytes.
        (with(|v| v["nodes"][4]["capacity"] = json!(10_000_001)), "nodes[4].capacity", "at most 10000000"),
        (with(|v| v["nodes"][4]["ttl_s"] = json!(0)), "nodes[4].ttl_s", "more than 0"),
        (
            with(|v| v["nodes"][1]["health_check"] = json!({"interval_s": 0})),
            "nodes[1].health_check.interval_s",
            "at least",
        ),
        (with(|v| v["nodes"][3]["failover_s"] = json!(-1)), "nodes[3].failover_s", "at least 0"),
        (with(|v| v["nodes"][6]["capacity"] = json!(100_000_000u64)), "nodes[6].capacity", "at most 10000000"),
        (with(|v| v["nodes"][0]["mix"] = json!({"read": 0, "write": 0})), "nodes[0].mix", "at least one share"),
        (with(|v| v["nodes"][0]["mix"] = json!({"read": -1})), "nodes[0].mix.read", "at least 0"),
        (with(|v| v["nodes"][2]["autoscale"] = json!({"min": 5, "max": 2})), "nodes[2].autoscale", "min"),
        (with(|v| v["seed"] = json!(-1)), "seed", "at least 0"),
    ];
    for (doc, path, words) in cases {
        refused_at(&doc, path, words);
    }
}

#[test]
fn numbers_beyond_f64_are_refused_naming_the_field() {
    // JSON has no NaN or infinity; 1e400 is valid JSON but overflows an f64.
    for number in ["1e400", "-1e400"] {
        let text = base().to_string().replace("\"rps\":200", &format!("\"rps\":{number}"));
        let found = issues_of_text(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("out of range") && found[0].message.contains("\"rps\""), "{found:?}");
    }
    // Tiny numbers underflow to 0, which is then checked like any 0.
    let text = base().to_string().replace("\"mean_ms\":4", "\"mean_ms\":1e-400");
    assert!(issues_of_text(&text).iter().any(|i| i.path == "nodes[2].service.mean_ms"));
}

#[test]
fn ten_to_the_fifteen_users_are_refused_naming_the_field() {
    refused_at(
        &with(|v| v["nodes"][0] = json!({"id": "users", "kind": "users", "dau": 1e15})),
        "nodes[0].dau",
        "at most",
    );
    refused_at(&with(|v| v["nodes"][0]["rps"] = json!(1e15)), "nodes[0].rps", "at most");
    // Within the range one by one, too many together.
    refused_at(
        &with(|v| {
            v["nodes"][0] = json!({"id": "users", "kind": "users", "dau": 1e9, "requests_per_user_per_day": 1e6})
        }),
        "nodes[0].dau",
        "requests/s at peak",
    );
    refused_at(
        &with(|v| {
            v["nodes"][0]["rps"] = json!(100_000);
            v["nodes"][0]["profile"] = json!({"shape": "spike", "multiplier": 1000});
        }),
        "nodes[0].profile",
        "at its peak",
    );
    refused_at(&with(|v| v["nodes"][0]["population"] = json!(1e15)), "nodes[0].population", "at most");
}

#[test]
fn a_million_nodes_are_refused_before_anything_is_built() {
    let node = r#"{"id":"n","kind":"cache"}"#;
    let nodes = vec![node; 1_000_000].join(",");
    let text = format!(r#"{{"version":2,"nodes":[{nodes}],"links":[]}}"#);
    let found = issues_of_text(&text);
    assert!(found.len() == 1 && found[0].message.contains("larger than 1024 KB"), "{found:?}");
    // Under the size limit, the node count limit.
    let small: Vec<Value> = (0..501).map(|i| json!({"id": format!("n{i}"), "kind": "cache"})).collect();
    refused_at(&json!({"version": 2, "nodes": small, "links": []}), "nodes", "at most 500");
    let links: Vec<Value> = (0..2001).map(|_| json!({"from": "users", "to": "lb"})).collect();
    refused_at(&with(|v| v["links"] = json!(links)), "links", "at most 2000");
}

#[test]
fn a_node_linked_to_itself_is_refused_for_every_kind() {
    for node in base()["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        let doc = with(|v| v["links"].as_array_mut().unwrap().push(json!({"from": id, "to": id})));
        refused_at(&doc, "links[6]", "linked to itself");
    }
}

#[test]
fn cycles_of_calls_are_refused_with_the_reason() {
    let add = |links: &[(&str, &str)]| {
        with(|v| {
            for (from, to) in links {
                v["links"].as_array_mut().unwrap().push(json!({"from": from, "to": to}));
            }
            v["nodes"].as_array_mut().unwrap().extend([
                json!({"id": "lb2", "kind": "load_balancer"}),
                json!({"id": "app2", "kind": "web_server"}),
                json!({"id": "router2", "kind": "shard_router"}),
                json!({"id": "db2", "kind": "database"}),
            ]);
        })
    };
    refused_at(&add(&[("lb", "lb2"), ("lb2", "lb")]), "links[6]", "not to another load balancer");
    refused_at(&add(&[("app", "lb")]), "links[6]", "a web server calls");
    refused_at(&add(&[("app", "app2"), ("app2", "app")]), "links[6]", "a web server calls");
    refused_at(
        &add(&[("router", "router2"), ("router2", "router")]),
        "links[6]",
        "web servers send their reads and writes to a shard router",
    );
    refused_at(&add(&[("db", "db2"), ("db2", "db")]), "nodes[3]", "is a replica and has its own replica");
    refused_at(&add(&[("q", "app")]), "links[6]", "only to workers");
    refused_at(&add(&[("pool", "q")]), "links[6]", "call nothing");
}

/// Whatever the wiring, no request can loop: the kinds that may call each
/// other form a chain with no cycle (a database's link to another database is
/// replication, one level deep, not a call), and the longest chain fits the
/// path frames a request carries.
#[test]
fn the_allowed_links_between_kinds_have_no_cycle_and_fit_a_request_path() {
    let kinds: Vec<Value> = NodeKind::NAMES.iter().map(|k| json!({"id": k, "kind": k})).collect();
    let s = Scenario::from_json(&json!({"version": 2, "nodes": kinds, "links": []}).to_string()).unwrap();
    let specs: Vec<&NodeSpec> = s.nodes.iter().map(|n| &n.spec).collect();
    let calls = |a: usize, b: usize| matches!(scalelab_engine::check_link(specs[a], specs[b]), Ok(role) if role != LinkRole::Replicate);
    // Longest chain of calls from each kind, by depth-first search; a cycle
    // would make a kind reachable from itself.
    fn longest(from: usize, n: usize, calls: &dyn Fn(usize, usize) -> bool, on_path: &mut Vec<bool>) -> usize {
        assert!(!on_path[from], "a cycle of calls through kind {from}");
        on_path[from] = true;
        let deepest = (0..n).filter(|&to| calls(from, to)).map(|to| longest(to, n, calls, on_path)).max().unwrap_or(0);
        on_path[from] = false;
        1 + deepest
    }
    let n = specs.len();
    let deepest = (0..n).map(|k| longest(k, n, &calls, &mut vec![false; n])).max().unwrap();
    assert!(deepest < scalelab_engine::request::MAX_DEPTH, "{deepest} nodes deep");
}

#[test]
fn edits_with_nonsense_values_are_refused_and_the_run_is_untouched() {
    let scenario = Scenario::from_json(&base().to_string()).unwrap();
    let mut sim = Simulation::new(scenario.clone());
    let mut twin = Simulation::new(scenario.clone());
    sim.run_until(2 * S, u64::MAX);
    twin.run_until(2 * S, u64::MAX);
    let app = |edit: fn(&mut scalelab_engine::scenario::Node)| {
        let mut node = scenario.nodes[2].clone();
        edit(&mut node);
        Edit::UpdateNode { node }
    };
    let cases: Vec<(Edit, &str)> = vec![
        (app(|n| n.spec.station_mut().unwrap().workers = 0), "nodes[2].workers"),
        (app(|n| n.spec.station_mut().unwrap().service.mean_ms = f64::NAN), "nodes[2].service.mean_ms"),
        (app(|n| n.spec.station_mut().unwrap().service.mean_ms = f64::INFINITY), "nodes[2].service.mean_ms"),
        (app(|n| n.spec.station_mut().unwrap().service.mean_ms = -1.0), "nodes[2].service.mean_ms"),
        (app(|n| n.spec.station_mut().unwrap().timeout_ms = Some(-5.0)), "nodes[2].timeout_ms"),
        (app(|n| n.x = Some(f64::NAN)), "nodes[2].x"),
        (
            Edit::UpdateLink {
                link: scalelab_engine::scenario::Link { from: "users".into(), to: "lb".into(), latency_ms: -1.0 },
            },
            "links[0].latency_ms",
        ),
        (
            Edit::AddLink {
                link: scalelab_engine::scenario::Link { from: "app".into(), to: "app".into(), latency_ms: 0.0 },
            },
            "links[6]",
        ),
        (
            Edit::AddLink {
                link: scalelab_engine::scenario::Link { from: "lb".into(), to: "lb".into(), latency_ms: 0.0 },
            },
            "links[6]",
        ),
        (Edit::AddNode { node: scenario.nodes[2].clone() }, "nodes[8].id"),
    ];
    for (edit, path) in cases {
        match sim.apply(edit.clone()) {
            Err(EditError::Invalid(found)) => {
                assert!(found.iter().any(|i| i.path == path && !i.message.is_empty()), "{edit:?}: {found:?}")
            }
            other => panic!("{edit:?} gave {other:?}"),
        }
    }
    for rps in [f64::NAN, f64::INFINITY, -1.0, 1e15] {
        match sim.set_rps("users", rps) {
            Err(EditError::Invalid(found)) => {
                assert!(found.iter().any(|i| i.path == "nodes[0].rps"), "{rps}: {found:?}")
            }
            other => panic!("rps {rps} gave {other:?}"),
        }
    }
    assert_eq!(sim.scenario(), &scenario);
    sim.run_to_end();
    twin.run_to_end();
    assert_eq!(sim.report().to_json_pretty(), twin.report().to_json_pretty(), "a refused edit changed the run");
}

/// Users at a million requests/s into one worker with an unbounded queue:
/// without the cap every request would wait for ever and memory would grow
/// by a million slots a second.
#[test]
fn an_unbounded_queue_flooded_far_past_capacity_overflows_at_the_cap() {
    let doc = json!({
        "version": 2, "seed": 9, "duration_s": 3, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1_000_000},
            {"id": "app", "kind": "web_server", "workers": 1, "service": {"dist": "constant", "mean_ms": 10}, "queue_limit": null}
        ],
        "links": [{"from": "users", "to": "app"}]
    });
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap());
    let mut high = sim.memory();
    while !sim.run_until(sim.now() + S / 4, u64::MAX).finished {
        let m = sim.memory();
        high.live_requests = high.live_requests.max(m.live_requests);
        high.pending_events = high.pending_events.max(m.pending_events);
        high.station_entries = high.station_entries.max(m.station_entries);
        high.give_up_entries = high.give_up_entries.max(m.give_up_entries);
    }
    let m = sim.memory();
    let r = sim.report();
    let q = &r.requests;
    let overflow = q.failed.get(Cause::Overflow);
    eprintln!(
        "flooded: {} generated, {overflow} overflowed, {} ok, {} in flight; memory {m:?}, high {high:?}",
        q.generated, q.ok, q.in_flight
    );
    assert!(q.generated > 2_900_000);
    assert!(overflow > 2_000_000, "{overflow} overflowed");
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    assert_eq!(q.in_flight, sim.count_open_window_requests());
    assert!(m.arena_slots <= MAX_IN_FLIGHT && high.live_requests <= MAX_IN_FLIGHT, "{m:?}");
    assert!(high.station_entries <= MAX_IN_FLIGHT && high.pending_events <= MAX_IN_FLIGHT + 100, "{high:?}");
    assert!(high.give_up_entries <= MAX_IN_FLIGHT, "{high:?}");
    // An overflowed request costs its arrival event only.
    assert!(sim.events() < q.generated + 2 * (MAX_IN_FLIGHT as u64) + 1000, "{} events", sim.events());
    let report: Value = serde_json::from_str(&r.to_json_pretty()).unwrap();
    assert_eq!(report["requests"]["failed"]["overflow"], json!(overflow));
    let log: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.contains(&format!("the simulation's cap of {MAX_IN_FLIGHT} was reached"))), "{log:?}");
    // The page is told too, for as long as it lasts.
    assert!(sim.take_snapshot().in_flight_cap_reached);
}

/// A web server with an hour-long timeout whose oldest request is stuck on a
/// database that takes 100 s per read: every later request finishes in a
/// millisecond, but its deadline entry sits behind the stuck one. They are
/// dropped once they outnumber the live requests.
#[test]
fn deadline_entries_do_not_pile_up_behind_a_stuck_request() {
    let doc = json!({
        "version": 2, "seed": 4, "duration_s": 60, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 10_000, "mix": {"read": 0.0001, "static": 0.9999}},
            {"id": "app", "kind": "web_server", "workers": 1000, "service": {"dist": "constant", "mean_ms": 1},
             "timeout_ms": 3_600_000},
            {"id": "db", "kind": "database", "workers": 1, "service": {"dist": "constant", "mean_ms": 100_000}}
        ],
        "links": [{"from": "users", "to": "app"}, {"from": "app", "to": "db"}]
    });
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap());
    let mut most = 0;
    while !sim.run_until(sim.now() + S, u64::MAX).finished {
        let m = sim.memory();
        most = most.max(m.station_entries);
        // Deadline entries, plus the waiting places (one per live request at most).
        assert!(m.station_entries <= 2 * m.live_requests.max(1024) + 1 + m.live_requests, "{m:?}");
    }
    eprintln!("stuck front: {:?}, most station entries {most}", sim.memory());
    assert!(sim.totals().generated > 590_000);
}

/// 10,000 requests/s through a balancer, two web servers, a cache and a
/// database with a replica, with timeouts: what the run holds after 20
/// simulated minutes is what it held after 2.
#[test]
fn memory_is_flat_from_two_to_twenty_minutes_at_ten_thousand_requests_a_second() {
    let doc = json!({
        "version": 2, "seed": 21, "duration_s": 1200, "warmup_s": 10,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 10_000, "mix": {"read": 0.8, "write": 0.1, "static": 0.1}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {"id": "web-1", "kind": "web_server", "workers": 16, "service": {"dist": "exponential", "mean_ms": 1}, "timeout_ms": 2000},
            {"id": "web-2", "kind": "web_server", "workers": 16, "service": {"dist": "exponential", "mean_ms": 1}, "timeout_ms": 2000},
            {"id": "cache", "kind": "cache", "capacity": 20_000},
            {"id": "db", "kind": "database", "workers": 16, "service": {"dist": "exponential", "mean_ms": 2}},
            {"id": "replica", "kind": "database", "workers": 16, "service": {"dist": "exponential", "mean_ms": 2}}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 10},
            {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"},
            {"from": "web-1", "to": "cache"}, {"from": "web-2", "to": "cache"},
            {"from": "web-1", "to": "db"}, {"from": "web-2", "to": "db"},
            {"from": "web-1", "to": "replica"}, {"from": "web-2", "to": "replica"},
            {"from": "db", "to": "replica"}
        ]
    });
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap());
    sim.run_until(120 * S, u64::MAX);
    let at_2 = sim.memory();
    sim.run_to_end();
    let at_20 = sim.memory();
    eprintln!("at 2 min {at_2:?}\nat 20 min {at_20:?}");
    assert!(sim.totals().generated > 11_900_000);
    // High-water marks: the arena's slots grow by one only when more requests
    // are alive than ever before (a rarer and rarer random peak); the event
    // list's room doubles when it grows at all.
    assert!(
        at_20.arena_slots <= at_2.arena_slots + at_2.arena_slots / 4,
        "arena {} -> {}",
        at_2.arena_slots,
        at_20.arena_slots
    );
    assert!(at_20.event_capacity <= at_2.event_capacity, "events {} -> {}", at_2.event_capacity, at_20.event_capacity);
    assert!(at_20.station_entries <= 4 * at_2.arena_slots, "{at_20:?}");
    assert!(at_20.give_up_entries <= at_20.arena_slots, "{at_20:?}");
    assert!(sim.series().len() <= scalelab_engine::series::SERIES_CAPACITY);
    assert!(sim.log().len() <= scalelab_engine::log::LOG_CAPACITY);
}
