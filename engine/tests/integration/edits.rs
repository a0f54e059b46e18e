//! Editing and breaking a running simulation: nothing is lost, everything is
//! counted, and refused edits change nothing.

use proptest::prelude::*;
use scalelab_engine::scenario::{Link, Node};
use scalelab_engine::{Cause, Edit, EditError, Fault, Health, Scenario, Simulation};
use serde_json::json;

const S: u64 = 1_000_000_000;

fn starter() -> Simulation {
    simulation(&starter_doc())
}

/// The starter's document, for the variants below to change.
fn starter_doc() -> serde_json::Value {
    json!({
        "version": 1, "seed": 3, "duration_s": 3600, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1500, "mix": {"read": 0.8, "static": 0.2}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {"id": "web-1", "kind": "web_server", "workers": 8, "service": {"dist": "exponential", "mean_ms": 3}},
            {"id": "db", "kind": "database", "workers": 8, "service": {"dist": "exponential", "mean_ms": 2}}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 5},
            {"from": "lb", "to": "web-1", "latency_ms": 0.5},
            {"from": "web-1", "to": "db", "latency_ms": 0.5}
        ]
    })
}

fn simulation(doc: &serde_json::Value) -> Simulation {
    Simulation::new(Scenario::from_json(&doc.to_string()).unwrap())
}

/// The starter with a cache that coalesces misses (and refreshes early) in
/// front of a slow database, few keys and writes: readers wait for each
/// other's reads at the web server, where crashes, timeouts and flushes
/// find them.
fn starter_with_cache() -> Simulation {
    let doc = json!({
        "version": 1, "seed": 5, "duration_s": 3600, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1500, "mix": {"read": 0.8, "write": 0.1, "static": 0.1},
             "keys": {"count": 5, "zipf": 1.0}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {"id": "web-1", "kind": "web_server", "workers": 8, "service": {"dist": "exponential", "mean_ms": 3}},
            {"id": "cache", "kind": "cache", "ttl_s": 0.05, "coalesce": true, "early_refresh": 1},
            {"id": "db", "kind": "database", "workers": 8, "service": {"dist": "exponential", "mean_ms": 20}}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 5},
            {"from": "lb", "to": "web-1", "latency_ms": 0.5},
            {"from": "web-1", "to": "cache", "latency_ms": 0.5},
            {"from": "web-1", "to": "db", "latency_ms": 0.5}
        ]
    });
    simulation(&doc)
}

/// The starter with thread-mode web servers calling a slow database
/// through a pool of two connections: calls wait for one, so crashes,
/// timeouts, pool edits and removals find waiters.
fn starter_with_pool() -> Simulation {
    let mut doc = starter_doc();
    doc["seed"] = json!(7);
    doc["nodes"][2]["calls"] =
        json!({"pool": {"size": 2, "max_wait_ms": 40}, "attempt_timeout_ms": 30, "max_attempts": 2});
    doc["nodes"][3]["service"]["mean_ms"] = json!(5);
    simulation(&doc)
}

fn node(v: serde_json::Value) -> Node {
    // A node goes through the same parser as files: wrap it in a scenario.
    let doc = json!({"version": 1, "nodes": [v], "links": []});
    Scenario::from_json(&doc.to_string()).unwrap().nodes.remove(0)
}

fn link(from: &str, to: &str, latency_ms: f64) -> Link {
    Link { from: from.into(), to: to.into(), latency_ms }
}

fn web(id: &str) -> Node {
    node(json!({"id": id, "kind": "web_server", "workers": 8, "service": {"dist": "exponential", "mean_ms": 3}}))
}

/// Conservation over the whole run, checked against a scan of the arena.
fn assert_conserved(sim: &Simulation) {
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    assert_eq!(q.in_flight, sim.count_open_window_requests());
}

#[test]
fn a_server_added_behind_the_balancer_starts_taking_requests() {
    let mut sim = starter();
    sim.run_until(10 * S, u64::MAX);
    sim.apply(Edit::AddNode { node: web("web-2") }).unwrap();
    sim.apply(Edit::AddLink { link: link("lb", "web-2", 0.5) }).unwrap();
    sim.apply(Edit::AddLink { link: link("web-2", "db", 0.5) }).unwrap();
    let before = sim.take_snapshot();
    assert!(before.nodes.iter().any(|n| n.id == "web-2"));
    sim.run_until(20 * S, u64::MAX);
    let after = sim.take_snapshot();
    let share = |id: &str| after.nodes.iter().find(|n| n.id == id).unwrap().summary.throughput_rps;
    // Least connections over two equal servers: about half each.
    let (a, b) = (share("web-1"), share("web-2"));
    assert!(b > 0.4 * (a + b) && b < 0.6 * (a + b), "web-1 {a}/s, web-2 {b}/s");
    assert_eq!(sim.scenario().nodes.len(), 5);
    assert_eq!(sim.scenario().links.len(), 5);
    assert_conserved(&sim);
}

/// The API can carry numbers no file can hold. An infinite timeout is
/// stored as a file would read it (no timeout), and that is what runs: it
/// once ran as a deadline that overflowed, timing every request out at once
/// (and panicked in a debug build).
#[test]
fn an_infinite_timeout_runs_as_the_document_says_no_timeout() {
    let mut sim = starter();
    sim.run_until(2 * S, u64::MAX);
    let mut db = sim.scenario().nodes[3].clone();
    db.spec.station_mut().unwrap().timeout_ms = Some(f64::INFINITY);
    sim.apply(Edit::UpdateNode { node: db }).unwrap();
    assert_eq!(sim.scenario().nodes[3].spec.station().unwrap().timeout_ms, None);
    let before = sim_timeouts(&sim);
    sim.run_until(6 * S, u64::MAX);
    assert_eq!(sim_timeouts(&sim), before, "no request timed out at the database");
    assert!(sim.totals().ok > 4_000, "requests are still answered: {:?}", sim.totals());
    assert_conserved(&sim);
}

fn sim_timeouts(sim: &Simulation) -> u64 {
    sim.totals().failed[Cause::Timeout as usize]
}

#[test]
fn removing_a_busy_server_fails_its_requests_with_a_cause_and_loses_none() {
    let mut sim = starter();
    sim.apply(Edit::AddNode { node: web("web-2") }).unwrap();
    sim.apply(Edit::AddLink { link: link("lb", "web-2", 0.5) }).unwrap();
    sim.apply(Edit::AddLink { link: link("web-2", "db", 0.5) }).unwrap();
    sim.run_until(10 * S + 1234, u64::MAX);
    let down_before = sim.totals().failed[Cause::NodeDown as usize];
    assert_eq!(down_before, 0);
    sim.apply(Edit::RemoveNode { id: "web-2".into() }).unwrap();
    assert!(sim.scenario().node_index("web-2").is_none());
    assert!(sim.scenario().links.iter().all(|l| l.from != "web-2" && l.to != "web-2"));
    sim.run_until(11 * S, u64::MAX);
    let lost = sim.totals().failed[Cause::NodeDown as usize];
    sim.take_snapshot();
    sim.run_until(20 * S, u64::MAX);
    // The requests it held (queued, in service, waiting on the database) failed
    // with node_down; after that the balancer sends everything to web-1.
    assert!(lost > 0, "in-flight requests at the removed server end with node_down");
    let snap = sim.take_snapshot();
    assert_eq!(snap.failed_rps, 0.0, "no more failures once the server is gone");
    assert!(snap.nodes.iter().all(|n| n.id != "web-2"));
    assert_conserved(&sim);
    assert!(sim.report().nodes.get("web-2").is_none());
}

#[test]
fn a_failed_server_fails_requests_until_it_recovers_and_the_log_says_so() {
    let mut sim = starter();
    sim.run_until(5 * S, u64::MAX);
    sim.take_snapshot();
    sim.apply(Edit::Fault { id: "web-1".into(), fault: Fault::Fail }).unwrap();
    assert_eq!(sim.health("web-1"), Some(Health::Down));
    // Answers already on their way back still arrive: skip the first moment.
    sim.run_until(5 * S + 100_000_000, u64::MAX);
    sim.take_snapshot();
    sim.run_until(10 * S, u64::MAX);
    let down = sim.take_snapshot();
    assert_eq!(down.ok_rps, 0.0);
    assert!(down.failed_rps > 1000.0, "{}", down.failed_rps);
    assert!(down.failed_by_cause.iter().any(|(c, n)| *c == "node_down" && *n > 0));
    sim.apply(Edit::Fault { id: "web-1".into(), fault: Fault::Recover }).unwrap();
    sim.run_until(15 * S, u64::MAX);
    let back = sim.take_snapshot();
    assert!(back.ok_rps > 1300.0 && back.failed_rps < 50.0, "{back:?}");
    let log: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t == "web-1 failed"), "{log:?}");
    assert!(log.iter().any(|t| t == "web-1 recovered"), "{log:?}");
    assert!(log.iter().any(|t| t.starts_with("web-1: failing requests")), "{log:?}");
    assert_conserved(&sim);
}

#[test]
fn a_database_crash_fails_the_requests_waiting_on_it_and_frees_the_web_workers() {
    let mut sim = starter();
    sim.run_until(5 * S + 777, u64::MAX);
    sim.apply(Edit::Fault { id: "db".into(), fault: Fault::Fail }).unwrap();
    sim.run_until(6 * S, u64::MAX);
    // Static requests do not need the database and still succeed; reads fail.
    let snap = sim.take_snapshot();
    assert!(snap.ok_rps > 0.0 && snap.failed_rps > 0.0);
    let web = snap.nodes.iter().find(|n| n.id == "web-1").unwrap();
    assert!(web.busy < web.workers, "web workers are not stuck waiting on a dead database");
    assert_conserved(&sim);
}

#[test]
fn slowing_a_server_down_lengthens_its_service() {
    let mut sim = starter();
    sim.run_until(20 * S, u64::MAX);
    let normal = sim.take_snapshot().nodes.iter().find(|n| n.id == "db").unwrap().summary.mean_response_ms;
    sim.apply(Edit::Fault { id: "db".into(), fault: Fault::Slow { factor: 2.0 } }).unwrap();
    assert_eq!(sim.health("db"), Some(Health::Degraded { factor: 2.0 }));
    sim.run_until(25 * S, u64::MAX);
    sim.take_snapshot(); // let the queue settle
    sim.run_until(45 * S, u64::MAX);
    let slow = sim.take_snapshot().nodes.iter().find(|n| n.id == "db").unwrap().summary.mean_response_ms;
    // Service doubles (2 -> 4 ms) and utilisation rises, so response more than doubles.
    assert!(slow > 2.0 * normal, "{normal} -> {slow}");
}

#[test]
fn parameter_edits_take_effect_and_a_shorter_timeout_applies_at_once() {
    let mut sim = starter();
    sim.run_until(5 * S, u64::MAX);
    // One worker at 3 ms for ~1200 reads/s: overloaded, the queue grows.
    let mut w = web("web-1");
    if let scalelab_engine::scenario::NodeSpec::WebServer(spec) = &mut w.spec {
        spec.station.workers = 1;
    }
    sim.apply(Edit::UpdateNode { node: w.clone() }).unwrap();
    sim.run_until(8 * S, u64::MAX);
    assert!(sim.take_snapshot().nodes.iter().find(|n| n.id == "web-1").unwrap().waiting > 100);
    if let scalelab_engine::scenario::NodeSpec::WebServer(spec) = &mut w.spec {
        spec.station.timeout_ms = Some(50.0);
    }
    sim.apply(Edit::UpdateNode { node: w }).unwrap();
    sim.run_until(8 * S + 100_000_000, u64::MAX);
    let snap = sim.take_snapshot();
    // Every request already waiting longer than 50 ms times out at once.
    assert!(snap.failed_by_cause.iter().any(|(c, n)| *c == "timeout" && *n > 1000), "{snap:?}");
    assert!(snap.nodes.iter().find(|n| n.id == "web-1").unwrap().waiting < 100);
    assert_conserved(&sim);
}

#[test]
fn refused_edits_change_nothing_and_say_why() {
    let mut sim = starter();
    sim.run_until(S, u64::MAX);
    let before = sim.scenario().clone();
    let cases: Vec<(Edit, &str)> = vec![
        (Edit::AddLink { link: link("users", "db", 1.0) }, "web server in between"),
        (Edit::AddLink { link: link("db", "lb", 1.0) }, "does not call"),
        (Edit::AddLink { link: link("lb", "lb", 1.0) }, "itself"),
        (Edit::AddLink { link: link("lb", "web-1", 1.0) }, "repeats"),
        (Edit::AddLink { link: link("lb", "nowhere", 1.0) }, "no node has id"),
        (Edit::AddNode { node: web("db") }, "already the id"),
        (Edit::RemoveNode { id: "ghost".into() }, "no node \"ghost\""),
        (Edit::RemoveLink { from: "users".into(), to: "db".into() }, "no link"),
        (Edit::UpdateNode { node: node(json!({"id": "db", "kind": "web_server"})) }, "cannot change kind"),
        (Edit::Fault { id: "users".into(), fault: Fault::Fail }, "users cannot fail"),
        (Edit::Fault { id: "db".into(), fault: Fault::Slow { factor: f64::NAN } }, "slow-down factor"),
        (Edit::Fault { id: "db".into(), fault: Fault::Slow { factor: 0.5 } }, "slow-down factor"),
    ];
    for (edit, why) in cases {
        let err: EditError = sim.apply(edit.clone()).expect_err(&format!("{edit:?} should be refused"));
        assert!(err.to_string().contains(why), "{edit:?}: {err}");
        assert_eq!(sim.scenario(), &before);
    }
    assert!(sim.set_rps("users", f64::INFINITY).is_err());
    assert!(sim.set_rps("users", -1.0).is_err());
    assert!(sim.set_rps("db", 10.0).is_err());
    assert_eq!(sim.scenario(), &before);
}

#[test]
fn a_refused_fault_names_the_kind_as_the_palette_does() {
    let doc = json!({"version": 2, "nodes": [
        {"id": "users", "kind": "users", "rps": 10},
        {"id": "dns", "kind": "dns"},
        {"id": "web", "kind": "web_server"},
        {"id": "kv", "kind": "nosql"}
    ], "links": [{"from": "users", "to": "dns"}, {"from": "dns", "to": "web"}, {"from": "web", "to": "kv"}]});
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap());
    let why = |sim: &mut Simulation, id: &str, fault: Fault| {
        sim.apply(Edit::Fault { id: id.into(), fault }).unwrap_err().to_string()
    };
    assert!(why(&mut sim, "dns", Fault::Slow { factor: 2.0 }).contains("a DNS adds no processing time"));
    assert!(why(&mut sim, "kv", Fault::Flush).contains("\"kv\" is a NoSQL store"));
}

#[test]
fn the_same_edits_at_the_same_times_give_the_same_run() {
    let run = || {
        let mut sim = starter();
        sim.run_until(3 * S, u64::MAX);
        sim.apply(Edit::AddNode { node: web("web-2") }).unwrap();
        sim.apply(Edit::AddLink { link: link("lb", "web-2", 0.5) }).unwrap();
        sim.run_until(6 * S, u64::MAX);
        sim.apply(Edit::Fault { id: "web-1".into(), fault: Fault::Fail }).unwrap();
        sim.run_until(9 * S, u64::MAX);
        sim.report().to_json_pretty()
    };
    assert_eq!(run(), run());
}

#[derive(Clone, Debug)]
enum Action {
    AddWeb,
    RemoveWeb(usize),
    Fail(usize),
    Recover(usize),
    Slow(usize),
    Errors(usize, f64),
    Spike(usize, f64),
    Rps(f64),
    Workers(usize, u32),
    Timeout(usize, Option<f64>),
    Unlink(usize),
    Flush(usize),
    /// A web server's pool: a new size, or none.
    Pool(usize, Option<u32>),
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::AddWeb),
        (0usize..6).prop_map(Action::RemoveWeb),
        (0usize..6).prop_map(Action::Fail),
        (0usize..6).prop_map(Action::Recover),
        (0usize..6).prop_map(Action::Slow),
        (0usize..6, 0.01f64..=1.0).prop_map(|(i, p)| Action::Errors(i, p)),
        (0usize..6, 0.05f64..2.0).prop_map(|(i, s)| Action::Spike(i, s)),
        (10.0f64..4000.0).prop_map(Action::Rps),
        (0usize..6, 1u32..6).prop_map(|(i, w)| Action::Workers(i, w)),
        (0usize..6, proptest::option::of(1.0f64..30.0)).prop_map(|(i, t)| Action::Timeout(i, t)),
        (0usize..6).prop_map(Action::Unlink),
        (0usize..6).prop_map(Action::Flush),
        (0usize..6, proptest::option::of(1u32..6)).prop_map(|(i, n)| Action::Pool(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any sequence of edits and faults at any times: no panic, and every
    /// request is accounted for.
    #[test]
    fn random_edits_and_faults_lose_no_request(actions in proptest::collection::vec((1u64..400, arb_action()), 1..25), design in 0u8..3) {
        let mut sim = match design {
            0 => starter(),
            1 => starter_with_cache(),
            _ => starter_with_pool(),
        };
        let mut next_web = 2;
        let ids = |sim: &Simulation| -> Vec<String> {
            sim.scenario().nodes.iter().map(|n| n.id.clone()).filter(|id| id != "users").collect()
        };
        for (gap_ms, action) in actions {
            sim.run_until(sim.now() + gap_ms * 1_000_000, u64::MAX);
            let known = ids(&sim);
            let pick = |i: usize| known.get(i % known.len().max(1)).cloned().unwrap_or_default();
            // Refusals are fine (an id may be gone); panics and lost requests are not.
            let _ = match action {
                Action::AddWeb => {
                    let id = format!("web-{next_web}");
                    next_web += 1;
                    let _ = sim.apply(Edit::AddNode { node: web(&id) });
                    let _ = sim.apply(Edit::AddLink { link: link("lb", &id, 0.3) });
                    sim.apply(Edit::AddLink { link: link(&id, "db", 0.3) })
                }
                Action::RemoveWeb(i) => sim.apply(Edit::RemoveNode { id: pick(i) }),
                Action::Fail(i) => sim.apply(Edit::Fault { id: pick(i), fault: Fault::Fail }),
                Action::Recover(i) => sim.apply(Edit::Fault { id: pick(i), fault: Fault::Recover }),
                Action::Flush(i) => sim.apply(Edit::Fault { id: pick(i), fault: Fault::Flush }),
                Action::Slow(i) => sim.apply(Edit::Fault { id: pick(i), fault: Fault::Slow { factor: 3.0 } }),
                Action::Errors(i, share) => sim.apply(Edit::Fault { id: pick(i), fault: Fault::Errors { share } }),
                Action::Spike(i, duration_s) => {
                    sim.apply(Edit::Fault { id: pick(i), fault: Fault::Spike { factor: 4.0, duration_s } })
                }
                Action::Rps(r) => sim.set_rps("users", r),
                Action::Workers(i, w) => {
                    let id = pick(i);
                    match sim.scenario().nodes.iter().find(|n| n.id == id).cloned() {
                        Some(mut n) => {
                            if let Some(s) = n.spec.station_mut() {
                                s.workers = w;
                            }
                            sim.apply(Edit::UpdateNode { node: n })
                        }
                        None => Ok(()),
                    }
                }
                Action::Timeout(i, t) => {
                    let id = pick(i);
                    match sim.scenario().nodes.iter().find(|n| n.id == id).cloned() {
                        Some(mut n) => {
                            if let Some(s) = n.spec.station_mut() {
                                s.timeout_ms = t;
                                s.queue_limit = Some(20);
                            }
                            sim.apply(Edit::UpdateNode { node: n })
                        }
                        None => Ok(()),
                    }
                }
                Action::Pool(i, size) => {
                    let id = pick(i);
                    match sim.scenario().nodes.iter().find(|n| n.id == id).cloned() {
                        Some(mut n) => {
                            if let scalelab_engine::kinds::NodeSpec::WebServer(w) = &mut n.spec {
                                let calls = w.calls.unwrap_or(scalelab_engine::scenario::CallPolicy::SINGLE);
                                let pool = size.map(|size| scalelab_engine::scenario::PoolSpec { size, max_wait_ms: None });
                                w.calls = Some(scalelab_engine::scenario::CallPolicy { pool, ..calls });
                            }
                            sim.apply(Edit::UpdateNode { node: n })
                        }
                        None => Ok(()),
                    }
                }
                Action::Unlink(i) => {
                    let l = sim.scenario().links.get(i % sim.scenario().links.len().max(1)).cloned();
                    match l {
                        Some(l) => sim.apply(Edit::RemoveLink { from: l.from, to: l.to }),
                        None => Ok(()),
                    }
                }
            };
            let r = sim.report();
            prop_assert_eq!(r.requests.generated, r.requests.ok + r.requests.failed.total() + r.requests.in_flight);
            prop_assert_eq!(r.requests.in_flight, sim.count_open_window_requests());
            // The engine's scenario always stays a valid document.
            prop_assert!(Scenario::from_json(&sim.scenario().to_json_pretty()).is_ok());
        }
        sim.run_until(sim.now() + 3 * S, u64::MAX);
        let r = sim.report();
        prop_assert_eq!(r.requests.generated, r.requests.ok + r.requests.failed.total() + r.requests.in_flight);
        prop_assert_eq!(r.requests.in_flight, sim.count_open_window_requests());
        // With no new requests, everything under way ends (no reader is
        // left waiting for a read that never comes back), within
        // ten minutes (a slowed node may have a long queue to drain).
        if sim.set_rps("users", 0.0).is_ok() {
            sim.run_until(sim.now() + 600 * S, u64::MAX);
            prop_assert_eq!(sim.live_requests(), 0);
        }
    }
}

#[test]
fn undo_by_diff_brings_the_running_simulation_back_to_any_earlier_design() {
    let mut sim = starter();
    let v0 = sim.scenario().clone();
    sim.run_until(2 * S, u64::MAX);
    sim.apply(Edit::AddNode { node: web("web-2") }).unwrap();
    sim.apply(Edit::AddLink { link: link("lb", "web-2", 0.5) }).unwrap();
    sim.apply(Edit::AddLink { link: link("web-2", "db", 0.5) }).unwrap();
    let v1 = sim.scenario().clone();
    sim.run_until(4 * S, u64::MAX);
    sim.apply(Edit::RemoveNode { id: "web-1".into() }).unwrap();
    sim.apply(Edit::UpdateLink { link: link("users", "lb", 40.0) }).unwrap();
    let v2 = sim.scenario().clone();
    sim.run_until(6 * S, u64::MAX);
    // Undo twice, redo twice: each time the engine runs exactly that design.
    for target in [&v1, &v0, &v1, &v2] {
        sim.sync_to(target).unwrap();
        assert_eq!(sim.scenario(), target);
        sim.run_until(sim.now() + S, u64::MAX);
        let snap = sim.take_snapshot();
        let mut live: Vec<&str> = snap.nodes.iter().map(|n| n.id.as_str()).collect();
        let mut want: Vec<&str> = target.nodes.iter().map(|n| n.id.as_str()).collect();
        live.sort();
        want.sort();
        assert_eq!(live, want);
        assert_eq!(snap.links.len(), target.links.len());
    }
    assert_conserved(&sim);
    // A kind change is a remove and an add.
    let mut v3 = v2.clone();
    let i = v3.node_index("web-2").unwrap();
    v3.nodes[i] = node(json!({"id": "web-2", "kind": "database"}));
    v3.links.retain(|l| l.from != "web-2" && l.to != "web-2");
    sim.sync_to(&v3).unwrap();
    assert_eq!(sim.scenario(), &v3);
}

#[test]
fn link_flow_is_reported_per_link() {
    let mut sim = starter();
    sim.run_until(10 * S, u64::MAX);
    let snap = sim.take_snapshot();
    let flow = |from: &str, to: &str| snap.links.iter().find(|l| l.from == from && l.to == to).unwrap().rps;
    assert!((flow("users", "lb") - 1500.0).abs() < 60.0, "{}", flow("users", "lb"));
    assert!((flow("lb", "web-1") - 1500.0).abs() < 60.0);
    // Only reads (80%) call the database.
    assert!((flow("web-1", "db") - 1200.0).abs() < 60.0, "{}", flow("web-1", "db"));
}

#[test]
fn daily_users_become_a_peak_request_rate() {
    // 10 million daily users, 432 requests each a day, peak twice the average:
    // 10e6 * 432 * 2 / 86400 = 100,000 requests/s.
    let doc = json!({"version": 1, "nodes": [{"id": "u", "kind": "users", "dau": 1e7}], "links": []});
    let s = Scenario::from_json(&doc.to_string()).unwrap();
    let scalelab_engine::scenario::NodeSpec::Users(u) = &s.nodes[0].spec else { panic!() };
    assert!((u.rps() - 100_000.0).abs() < 1e-6);
    assert_eq!(u.population, 10_000_000);
    // It round-trips as dau, not as rps.
    let text = s.to_json_pretty();
    assert!(text.contains("\"dau\"") && !text.contains("\"rps\""), "{text}");
    assert_eq!(Scenario::from_json(&text).unwrap(), s);
    // Both at once is refused; so is a peak beyond what can be simulated.
    let both = json!({"version": 1, "nodes": [{"id": "u", "kind": "users", "dau": 10, "rps": 5}], "links": []});
    let err = Scenario::from_json(&both.to_string()).unwrap_err().to_string();
    assert!(err.contains("nodes[0].rps: give either rps or dau"), "{err}");
    let huge =
        json!({"version": 1, "nodes": [{"id": "u", "kind": "users", "dau": 1e9, "peak_factor": 50}], "links": []});
    let err = Scenario::from_json(&huge.to_string()).unwrap_err().to_string();
    assert!(err.contains("nodes[0].dau") && err.contains("requests/s at peak"), "{err}");
}

/// A design with a scheduled fault: web-2 dies at 20 s, web-1 at 40 s.
fn with_scheduled_faults() -> Scenario {
    let mut doc = serde_json::to_value(starter().scenario()).unwrap();
    doc["nodes"].as_array_mut().unwrap().push(serde_json::to_value(web("web-2")).unwrap());
    doc["links"]
        .as_array_mut()
        .unwrap()
        .extend([json!({"from": "lb", "to": "web-2"}), json!({"from": "web-2", "to": "db"})]);
    doc["faults"] = json!([
        {"at_s": 20, "node": "web-2", "fault": "fail"},
        {"at_s": 40, "node": "web-1", "fault": "slow", "factor": 2}
    ]);
    Scenario::from_json(&doc.to_string()).unwrap()
}

/// Undo after opening a design with scheduled faults syncs the run to a
/// design without the node a fault names: the node goes, its fault leaves
/// the design, and when its time comes the run says it was skipped. The
/// other fault still happens, to the node it named (the run keeps what it
/// scheduled, not positions in the design's changing list).
#[test]
fn removing_a_node_that_a_scheduled_fault_names_is_allowed_and_the_fault_is_skipped() {
    let scenario = with_scheduled_faults();
    let mut sim = Simulation::new(scenario.clone());
    sim.run_until(10 * S, u64::MAX);
    let mut without = scenario.clone();
    without.nodes.retain(|n| n.id != "web-2");
    without.links.retain(|l| l.from != "web-2" && l.to != "web-2");
    without.faults.retain(|f| f.node != "web-2");
    sim.sync_to(&without).unwrap();
    assert_eq!(sim.scenario().faults.len(), 1);
    sim.run_until(30 * S, u64::MAX);
    assert_eq!(sim.health("web-1"), Some(Health::Up), "web-2's fault did not land on web-1");
    sim.run_until(45 * S, u64::MAX);
    let said: Vec<&str> = sim.log().entries().map(|e| e.text.as_str()).collect();
    assert!(said.iter().any(|t| t.starts_with("scheduled fault skipped")), "{said:?}");
    assert_eq!(sim.health("web-1"), Some(Health::Degraded { factor: 2.0 }));
    assert_conserved(&sim);

    // Removing the node by an edit, as Delete does, drops its fault too.
    let mut sim = Simulation::new(scenario);
    sim.run_until(10 * S, u64::MAX);
    sim.apply(Edit::RemoveNode { id: "web-2".into() }).unwrap();
    assert!(sim.scenario().faults.iter().all(|f| f.node != "web-2"));
    sim.run_until(45 * S, u64::MAX);
    assert_eq!(sim.health("web-1"), Some(Health::Degraded { factor: 2.0 }));
    assert_conserved(&sim);
}
