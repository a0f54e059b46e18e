//! A circuit breaker on a web server's calls (`calls.breaker`): it opens
//! within its window once its database fails, sends nothing while open,
//! lets exactly its trial calls through when half-open, and closes once
//! the database is back; the wire shows its state only when there is one.

use crate::support::*;
use scalelab_engine::blocks::breaker::State;
use scalelab_engine::scenario::{BreakerSpec, CallPolicy, NodeSpec};
use scalelab_engine::{Cause, Edit, Hop, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// 200 reads/s → web → database, which fails at 30 s and recovers at
/// 60 s. The web server times each call out at 50 ms, sends it once, and
/// (with `breaker`) guards the database wire with it.
fn guarded(seed: u64, breaker: Option<Value>) -> Value {
    let mut calls = json!({"attempt_timeout_ms": 50, "max_attempts": 1});
    if let Some(b) = breaker {
        calls["breaker"] = b;
    }
    json!({
        "version": 2, "seed": seed, "duration_s": 90, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200, "mix": {"read": 1.0}},
            {"id": "web", "kind": "web_server", "waiting": "async", "workers": 16, "service": exp_ms(1.0),
             "calls": calls},
            {"id": "db", "kind": "database", "workers": 16, "service": exp_ms(2.0)}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 1}, {"from": "web", "to": "db", "latency_ms": 1}],
        "faults": [{"at_s": 30, "node": "db", "fault": "fail"}, {"at_s": 60, "node": "db", "fault": "recover"}]
    })
}

fn s10_breaker() -> Value {
    json!({"window_s": 10, "min_calls": 20, "threshold": 0.5, "cooldown_s": 5, "trial_calls": 3})
}

/// Runs `doc` to its end, keeping every hop (drained each 100 ms, before
/// the log fills) and the web → database wire's breaker as the live
/// snapshot saw it at each whole second.
fn run_keeping_hops(doc: &Value) -> (Simulation, Vec<Hop>, Vec<Option<scalelab_engine::BreakerView>>) {
    let mut sim = Simulation::new(scenario(doc));
    sim.set_sample_every(1);
    let (mut hops, mut chunk, mut views) = (Vec::new(), Vec::new(), Vec::new());
    let mut t = 0;
    while !sim.run_until(t, u64::MAX).finished {
        sim.drain_hops(&mut chunk);
        hops.append(&mut chunk);
        if t % S == 0 {
            let snap = sim.live_snapshot();
            let to_web = snap.links.iter().find(|l| l.from == "users").unwrap();
            assert!(to_web.breaker.is_none(), "the users have no breaker: {to_web:?}");
            views.push(snap.links.iter().find(|l| l.from == "web").unwrap().breaker);
        }
        t += S / 10;
    }
    sim.drain_hops(&mut chunk);
    hops.append(&mut chunk);
    (sim, hops, views)
}

#[test]
fn a_breaker_opens_when_its_database_fails_sends_only_its_trials_and_closes_when_it_is_back() {
    for seed in 1..=5 {
        let (sim, hops, views) = run_keeping_hops(&guarded(seed, Some(s10_breaker())));
        // The calls sent down the database wire (requests, not answers).
        let calls: Vec<u64> =
            hops.iter().filter(|h| !h.response && h.from == 1 && h.to == 2).map(|h| h.start).collect();
        assert!(calls.len() > 5000, "seed {seed}: {} calls", calls.len());
        let sent_in = |from: u64, to: u64| calls.iter().filter(|&&t| t >= from && t <= to).count();
        // The breaker's moves, from the event log.
        let moves: Vec<(u64, String)> = sim
            .log()
            .entries()
            .filter(|e| e.text.starts_with("web → db: circuit"))
            .map(|e| (e.t, e.text["web → db: circuit ".len()..].to_string()))
            .collect();
        let (opened, first_words) = &moves[0];
        assert!(*opened > 30 * S && *opened < 40 * S, "seed {seed}: opened at {opened} ns, {first_words}");
        assert!(first_words.starts_with("opened (") && first_words.ends_with("calls failed in 10 s)"), "{first_words}");
        let closes: Vec<u64> = moves.iter().filter(|(_, w)| w.starts_with("closed")).map(|(t, _)| *t).collect();
        assert_eq!(closes.len(), 1, "seed {seed}: closed once: {moves:?}");
        let closed = closes[0];
        assert_eq!(moves.last().unwrap().0, closed, "seed {seed}: nothing after it closed: {moves:?}");
        // Closed within a cooldown plus the trials' round trips of the
        // database coming back.
        assert!(closed > 60 * S && closed < 65 * S + S / 2, "seed {seed}: closed at {closed} ns");
        let mut half_open_phases = 0;
        for pair in moves.windows(2) {
            let ((t0, w0), (t1, w1)) = (&pair[0], &pair[1]);
            if w0.starts_with("opened") {
                // Open: nothing goes down the wire until the cooldown is over.
                assert!(w1.starts_with("half-open"), "seed {seed}: {moves:?}");
                assert!(*t1 >= t0 + 5 * S, "seed {seed}: a whole cooldown open");
                assert_eq!(sent_in(t0 + 1, t1 - 1), 0, "seed {seed}: no call while open ({t0}..{t1})");
            } else {
                // Half-open: at most the 3 trials, all 3 in the phase that closes it.
                half_open_phases += 1;
                let trials = sent_in(*t0, *t1);
                assert!((1..=3).contains(&trials), "seed {seed}: {trials} trials in {t0}..{t1}");
                if w1.starts_with("closed") {
                    assert_eq!(trials, 3, "seed {seed}: the closing phase");
                } else {
                    assert!(w1.starts_with("opened again"), "seed {seed}: {moves:?}");
                }
            }
        }
        assert!(half_open_phases >= 5, "seed {seed}: it tried about every 5 s while the database was down");
        // Errors back to 0 from the second after it closed.
        let from = closed / S + 1;
        let late: u64 = sim.series().iter().filter(|p| p.t_s > from).map(|p| p.failed.iter().sum::<u64>()).sum();
        assert_eq!(late, 0, "seed {seed}: no failure after {from} s");
        let before: u64 = sim.series().iter().filter(|p| p.t_s <= 30).map(|p| p.failed.iter().sum::<u64>()).sum();
        assert_eq!(before, 0, "seed {seed}: nothing failed before the database did");
        let report = sim.report();
        let refused = report.requests.failed.get(Cause::CircuitOpen);
        assert!(refused > 4000, "seed {seed}: most requests of the outage failed fast: {:?}", report.requests);
        let web = &report.nodes.get("web").unwrap().summary;
        assert_eq!(web.circuit_open, refused, "seed {seed}: one refused call per refused request");
        // The wire's state, read each second: closed at first, open in
        // the outage, closed at the end.
        assert_eq!(views[10].unwrap().state, State::Closed, "seed {seed}");
        assert_eq!(views[10].unwrap().failure_share, 0.0);
        let during = views[45].unwrap();
        assert!(during.state != State::Closed && during.failure_share >= 0.5, "seed {seed}: {during:?}");
        assert_eq!(views[80].unwrap().state, State::Closed, "seed {seed}");
    }
}

#[test]
fn without_a_breaker_the_wire_shows_none_and_every_call_goes_to_the_dead_database() {
    let (sim, hops, views) = run_keeping_hops(&guarded(1, None));
    assert!(views.iter().all(Option::is_none), "no breaker, nothing on the wire");
    let during = hops.iter().filter(|h| !h.response && h.from == 1 && h.start > 31 * S && h.start < 59 * S).count();
    assert!(during > 5000, "{during} calls to the dead database");
    let r = sim.report();
    assert_eq!(r.requests.failed.get(Cause::CircuitOpen), 0);
    assert!(r.nodes.get("web").unwrap().summary.circuit_open == 0);
    assert!(!sim.log().entries().any(|e| e.text.contains("circuit")));
}

/// The breaker's setting read back as written, skipped when absent, and
/// refused field by field.
#[test]
fn a_breaker_setting_is_read_back_and_refused_by_field() {
    let s = scenario(&guarded(1, Some(json!({"cooldown_s": 2.5}))));
    let NodeSpec::WebServer(w) = &s.nodes[1].spec else { panic!() };
    assert_eq!(w.calls.unwrap().breaker, Some(BreakerSpec { cooldown_s: 2.5, ..BreakerSpec::DEFAULT }));
    let back = serde_json::to_value(&s).unwrap();
    assert_eq!(back["nodes"][1]["calls"]["breaker"]["trial_calls"], 3);
    let plain = serde_json::to_value(scenario(&guarded(1, None))).unwrap();
    assert!(plain["nodes"][1]["calls"].get("breaker").is_none(), "skipped when unused");
    for (b, path, words) in [
        (json!({"window_s": 0}), "nodes[1].calls.breaker.window_s", "at least 1"),
        (json!({"window_s": 601}), "nodes[1].calls.breaker.window_s", "at most 600"),
        (json!({"window_s": 2.5}), "nodes[1].calls.breaker.window_s", "whole"),
        (json!({"min_calls": 0}), "nodes[1].calls.breaker.min_calls", "at least 1"),
        (json!({"threshold": 0}), "nodes[1].calls.breaker.threshold", "at least 0.01"),
        (json!({"threshold": 1.5}), "nodes[1].calls.breaker.threshold", "at most 1"),
        (json!({"cooldown_s": 0}), "nodes[1].calls.breaker.cooldown_s", "at least 0.001"),
        (json!({"cooldown_s": 4000}), "nodes[1].calls.breaker.cooldown_s", "at most 3600"),
        (json!({"trial_calls": 0}), "nodes[1].calls.breaker.trial_calls", "at least 1"),
        (json!({"trials": 3}), "nodes[1].calls.breaker.trials", "trial_calls"),
        (json!(true), "nodes[1].calls.breaker", "must be an object"),
    ] {
        let doc = guarded(1, Some(b.clone()));
        let e = scalelab_engine::Scenario::from_json(&doc.to_string()).expect_err(&format!("{b} is refused"));
        let issue = e.issues().into_iter().find(|i| i.path == path).unwrap_or_else(|| panic!("{path}: {e}"));
        assert!(issue.message.contains(words), "{path}: {}", issue.message);
    }
}

/// Live edits: a breaker added while the database is down opens; a longer
/// cooldown keeps it open longer; removing it sends every call again; a
/// crash of the web server closes its breakers (a fresh process).
#[test]
fn a_breaker_follows_live_edits_and_a_crash_of_its_caller() {
    let mut sim = Simulation::new(scenario(&guarded(3, None)));
    let with = |breaker: Option<BreakerSpec>, sim: &Simulation| {
        let mut node = sim.scenario().nodes[1].clone();
        let NodeSpec::WebServer(w) = &mut node.spec else { panic!() };
        w.calls = Some(CallPolicy { breaker, ..w.calls.unwrap() });
        Edit::UpdateNode { node }
    };
    let state = |sim: &Simulation| {
        let snap = sim.live_snapshot();
        snap.links.iter().find(|l| l.from == "web").unwrap().breaker.map(|b| b.state)
    };
    sim.run_until(32 * S, u64::MAX);
    assert_eq!(state(&sim), None);
    sim.apply(with(Some(BreakerSpec::DEFAULT), &sim)).unwrap();
    assert_eq!(state(&sim), Some(State::Closed));
    sim.run_until(33 * S, u64::MAX);
    assert_eq!(state(&sim), Some(State::Open), "20 failed calls open it within a second");
    // A cooldown of 20 s, counted from when it opened: still open at 45 s.
    sim.apply(with(Some(BreakerSpec { cooldown_s: 20.0, ..BreakerSpec::DEFAULT }), &sim)).unwrap();
    let refused = sim.report().requests.failed.get(Cause::CircuitOpen);
    sim.run_until(45 * S, u64::MAX);
    assert_eq!(state(&sim), Some(State::Open));
    let refused_45 = sim.report().requests.failed.get(Cause::CircuitOpen);
    assert!(refused_45 > refused + 2000, "{refused} → {refused_45}");
    // A crash of the web server: back up, its breaker starts closed.
    sim.apply(Edit::Fault { id: "web".into(), fault: scalelab_engine::Fault::Fail }).unwrap();
    sim.apply(Edit::Fault { id: "web".into(), fault: scalelab_engine::Fault::Recover }).unwrap();
    assert_eq!(state(&sim), Some(State::Closed), "a restarted process knows nothing of the database");
    sim.run_until(46 * S, u64::MAX);
    assert_eq!(state(&sim), Some(State::Open), "and learns again");
    // Removed: every call goes to the database again.
    sim.apply(with(None, &sim)).unwrap();
    assert_eq!(state(&sim), None);
    let refused = sim.report().requests.failed.get(Cause::CircuitOpen);
    let down = sim.report().requests.failed.get(Cause::NodeDown);
    sim.run_until(50 * S, u64::MAX);
    let r = sim.report();
    assert_eq!(r.requests.failed.get(Cause::CircuitOpen), refused);
    assert!(r.requests.failed.get(Cause::NodeDown) > down + 700, "{:?}", r.requests);
    sim.run_to_end();
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
}
