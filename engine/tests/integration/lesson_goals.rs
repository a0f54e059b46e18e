//! Every lesson's goal, judged by the engine: no preset meets its goal by
//! itself (each runs untouched for five simulated minutes first), and the
//! change or drill each lesson teaches (a bigger machine, a bigger cache,
//! failing a node to watch the design cope or to see it fail, a solution to
//! the final challenge) then meets it. Where a drill should go wrong, it does,
//! saying why. The browser tests make the same changes through the page;
//! these runs say what they should see.

use scalelab_engine::goal::{DrillState, GoalStatus};
use scalelab_engine::{Edit, Fault, Scenario, Simulation};
use serde_json::{json, Value};
use std::path::PathBuf;

const S: u64 = 1_000_000_000;

fn lessons_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons"))
}

/// Lesson `n`'s scenario as JSON (0: the solution to lesson 13 in `lessons/solutions/`).
pub fn lesson_json(n: u32) -> Value {
    if n == 0 {
        return solution_json(13);
    }
    let prefix = format!("{n:02}-");
    let entry = std::fs::read_dir(lessons_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with(&prefix) && name.ends_with(".json")
        })
        .unwrap_or_else(|| panic!("lesson {n} is missing"));
    serde_json::from_str(&std::fs::read_to_string(entry).unwrap()).unwrap()
}

/// The solution to lesson `n` in `lessons/solutions/`.
pub fn solution_json(n: u32) -> Value {
    let text = std::fs::read_to_string(lessons_dir().join(format!("solutions/{n}-one-solution.json")))
        .unwrap_or_else(|e| panic!("solution {n}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn node_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == id).unwrap_or_else(|| panic!("no node {id}"))
}

/// A new machine size, as the inspector sets it: the workers follow the size.
fn resize(doc: &mut Value, id: &str, size: &str) {
    let node = node_mut(doc, id);
    node["size"] = json!(size);
    node.as_object_mut().unwrap().remove("workers");
}

/// Something the learner does while the design runs, as the page does it.
pub enum Act {
    Fail(&'static str),
    Recover(&'static str),
    Slow(&'static str, f64),
    /// A latency spike: ×factor for so many seconds.
    Spike(&'static str, f64, f64),
    /// An edit of the running design (a field in the inspector, a file opened):
    /// the edited document is synced into the run, which goes on.
    Change(fn(&mut Value)),
}

/// What a learner does in one run.
pub struct Plan {
    pub lesson: u32,
    /// Changes to the design before it starts.
    pub change: fn(&mut Value),
    /// What the learner does, at these simulated seconds.
    pub acts: Vec<(u64, Act)>,
    /// Stop at this simulated second if the goal is not met by then.
    pub limit_s: u64,
}

/// How a run went.
pub struct Outcome {
    /// The goal's status when it was met, or at the limit.
    pub status: GoalStatus,
    /// The second it was met at, or the limit.
    pub t_s: u64,
    /// The goal's status just before the learner's first act (none if the
    /// goal was met before it, or there is no act).
    pub before_acting: Option<GoalStatus>,
}

/// Runs a plan, second by second.
pub fn run(plan: &Plan) -> Outcome {
    let mut doc = lesson_json(plan.lesson);
    (plan.change)(&mut doc);
    let scenario = Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("lesson {}: {e}", plan.lesson));
    let mut sim = Simulation::new(scenario);
    let first_act = plan.acts.iter().map(|(t, _)| *t).min();
    let mut before_acting = None;
    for t in 1..=plan.limit_s {
        sim.run_until(t * S, u64::MAX);
        if Some(t) == first_act {
            before_acting = sim.goal_status().cloned();
        }
        for (at, act) in &plan.acts {
            if *at != t {
                continue;
            }
            let fault = |id: &str, fault: Fault| Edit::Fault { id: id.to_string(), fault };
            let done = match act {
                Act::Fail(id) => sim.apply(fault(id, Fault::Fail)),
                Act::Recover(id) => sim.apply(fault(id, Fault::Recover)),
                Act::Slow(id, factor) => sim.apply(fault(id, Fault::Slow { factor: *factor })),
                Act::Spike(id, factor, duration_s) => {
                    sim.apply(fault(id, Fault::Spike { factor: *factor, duration_s: *duration_s }))
                }
                Act::Change(edit) => {
                    let mut doc = serde_json::to_value(sim.scenario()).unwrap();
                    edit(&mut doc);
                    let changed =
                        Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("lesson {}: {e}", plan.lesson));
                    sim.sync_to(&changed)
                }
            };
            done.unwrap_or_else(|e| panic!("lesson {} at {t} s: {e:?}", plan.lesson));
        }
        let status = sim.goal_status().expect("every lesson has a goal");
        if status.met() {
            return Outcome { status: status.clone(), t_s: t, before_acting };
        }
    }
    Outcome { status: sim.goal_status().unwrap().clone(), t_s: plan.limit_s, before_acting }
}

fn unchanged(_: &mut Value) {}

fn describe(n: u32, what: &str, status: &GoalStatus, t_s: u64) -> String {
    let checks: Vec<String> = status
        .checks
        .iter()
        .map(|c| format!("{}: {} {}", c.label, c.value_text, if c.passing { "ok" } else { "NO" }))
        .collect();
    let drills: Vec<String> =
        status.drills.iter().map(|d| format!("{} [{:?}] {}", d.label, d.state, d.detail)).collect();
    format!(
        "lesson {n} {what} at {t_s} s: met {:?}, held {} of {} s\n  {}\n  {}",
        status.met_at_s,
        status.held_s,
        status.hold_s,
        checks.join("\n  "),
        drills.join("\n  ")
    )
}

/// Simulated seconds every preset runs untouched before the learner acts.
const ALONE_S: u64 = 300;

/// Why a preset left alone misses its goal.
#[derive(Clone, Copy, Debug)]
enum Missing {
    /// Its checks are met; a drill waits for the learner.
    Drill,
    /// This check (by the start of its label) fails: the design falls short.
    Check(&'static str),
}

/// The change or drill lesson `n` teaches, at seconds counted from when the
/// learner starts (after [`ALONE_S`]); the goal must be met within `limit_s`
/// of that; and why the preset alone does not meet it.
fn intended(n: u32) -> (Vec<(u64, Act)>, u64, Missing) {
    use Act::*;
    match n {
        // See the single point of failure: every request fails until it is back.
        1 => (vec![(0, Fail("server")), (10, Recover("server"))], 60, Missing::Drill),
        // The data tier fails alone: static files still load.
        2 => (vec![(0, Fail("db")), (10, Recover("db"))], 60, Missing::Drill),
        3 => (vec![(0, Change(|d| resize(d, "web", "2xlarge")))], 100, Missing::Check("errors")),
        4 => (vec![(0, Fail("web-1"))], 40, Missing::Drill),
        5 => (vec![(0, Fail("primary"))], 45, Missing::Drill),
        6 => (
            vec![(0, Change(|d| node_mut(d, "cache")["capacity"] = json!(200_000)))],
            80,
            Missing::Check("hit ratio of cache"),
        ),
        7 => (
            vec![(0, Change(|d| node_mut(d, "cdn")["capacity"] = json!(100_000)))],
            80,
            Missing::Check("hit ratio of cdn"),
        ),
        8 => (vec![(0, Fail("web-a"))], 120, Missing::Drill),
        9 => (
            vec![
                (
                    0,
                    Change(|d| {
                        node_mut(d, "sessions-eu")["partitions"] = json!(8);
                        resize(d, "replica-eu", "16xlarge");
                    }),
                ),
                (45, Fail("east")),
            ],
            260,
            Missing::Drill,
        ),
        10 => (vec![(0, Change(|d| resize(d, "photo-workers", "16xlarge")))], 240, Missing::Check("backlog of queue")),
        // A game day: the learner plays the bad deployment, the alert fires.
        11 => (vec![(0, Slow("photo-workers", 5.0))], 80, Missing::Drill),
        // One shard down hurts only its own users.
        12 => (vec![(0, Fail("shard-2")), (10, Recover("shard-2"))], 60, Missing::Drill),
        13 => (vec![(0, Change(|d| *d = lesson_json(0)))], 120, Missing::Check("no single point of failure")),
        // A few retries with a timeout and a budget hide web-3's errors.
        14 => (vec![(0, Change(|d| *d = solution_json(14)))], 100, Missing::Check("goodput above")),
        // With a retry budget the design comes back after the spike.
        15 => (vec![(0, Change(|d| *d = solution_json(15))), (30, Spike("db", 4.0, 10.0))], 120, Missing::Drill),
        // A rate limiter at what the database can serve.
        // (The queue built up meanwhile drains first, in about a minute.)
        16 => (vec![(0, Change(|d| *d = solution_json(16)))], 180, Missing::Check("goodput above")),
        _ => unreachable!("sixteen lessons"),
    }
}

/// (what, plan, should meet the goal, why the preset alone misses it)
fn cases() -> Vec<(String, Plan, bool, Option<Missing>)> {
    let mut out = Vec::new();
    // The heaviest runs first, so that the slowest starts at once.
    for n in [13, 10, 9, 11, 12, 8, 7, 6, 16, 15, 14, 5, 4, 3, 2, 1] {
        let (acts, limit_s, missing) = intended(n);
        let acts = acts.into_iter().map(|(t, a)| (ALONE_S + t, a)).collect();
        out.push((
            format!("{n}: alone for {ALONE_S} s, then the intended change"),
            Plan { lesson: n, change: unchanged, acts, limit_s: ALONE_S + limit_s },
            true,
            Some(missing),
        ));
        if n == 9 {
            out.push((
                "9 outage of east as given".into(),
                Plan { lesson: 9, change: unchanged, acts: vec![(45, Act::Fail("east"))], limit_s: 240 },
                false,
                None,
            ));
        }
    }
    // Without a budget (or with backoff alone, which spaces the same four
    // attempts out), the spike tips the design into a retry storm that
    // outlives it.
    for (what, change) in [
        ("15 spike with immediate retries as given", unchanged as fn(&mut Value)),
        ("15 spike with exponential backoff and jitter, no budget", add_backoff),
    ] {
        out.push((
            what.into(),
            Plan { lesson: 15, change, acts: vec![(60, Act::Spike("db", 4.0, 10.0))], limit_s: 200 },
            false,
            None,
        ));
    }
    out.push((
        "8 failing web-a with local sessions".into(),
        Plan {
            lesson: 8,
            change: |d| {
                for id in ["web-a", "web-b"] {
                    node_mut(d, id)["sessions"] = json!("local");
                }
                node_mut(d, "lb")["algorithm"] = json!("sticky");
            },
            acts: vec![(45, Act::Fail("web-a"))],
            limit_s: 150,
        },
        false,
        None,
    ));
    out.push((
        "4 failing web-1 without health checks".into(),
        Plan {
            lesson: 4,
            change: |d| node_mut(d, "lb")["health_check"] = Value::Null,
            acts: vec![(45, Act::Fail("web-1"))],
            limit_s: 70,
        },
        false,
        None,
    ));
    out
}

#[test]
fn each_lesson_goal_is_met_by_the_change_it_teaches_and_not_without_it() {
    let cases = cases();
    let results = crate::support::replicate(cases.len(), |i| run(&cases[i as usize].1));
    let mut wrong = Vec::new();
    for ((what, plan, expect, missing), r) in cases.iter().zip(&results) {
        let text = describe(plan.lesson, what, &r.status, r.t_s);
        eprintln!("{text}");
        if r.status.met() != *expect {
            wrong.push(text);
            continue;
        }
        // Left alone, the preset did not meet its goal, and for the reason the lesson gives.
        if let Some(missing) = missing {
            let Some(alone) = &r.before_acting else {
                wrong.push(format!("{text}\n  (met before the learner did anything)"));
                continue;
            };
            let reason_ok = match missing {
                Missing::Drill => alone.checks_met && alone.drills.iter().any(|d| d.state == DrillState::NotTried),
                Missing::Check(label) => alone.checks.iter().any(|c| c.label.starts_with(label) && !c.passing),
            };
            if alone.met() || !reason_ok {
                wrong.push(format!(
                    "{}\n  (alone, not for the expected reason: {missing:?})",
                    describe(plan.lesson, "alone", alone, ALONE_S)
                ));
            }
        }
        // Where the learner performed a drill that should go wrong, it is the drill that fails, saying why.
        let drill =
            |state: DrillState, why: &str| r.status.drills.iter().any(|d| d.state == state && d.detail.contains(why));
        let reason_ok = match what.as_str() {
            "4 failing web-1 without health checks" => drill(DrillState::Failed, "errors still at"),
            "8 failing web-a with local sessions" => drill(DrillState::Failed, "sessions lost"),
            "9 outage of east as given" => drill(DrillState::Failed, "errors still at"),
            w if w.starts_with("15 spike") => drill(DrillState::Failed, "goodput still at 0%"),
            _ => true,
        };
        if !reason_ok {
            wrong.push(format!("{text}\n  (not for the expected reason)"));
        }
    }
    assert!(wrong.is_empty(), "goals judged wrongly:\n{}", wrong.join("\n"));
}

/// Lesson 15 with `change` made before it starts, seed `seed`: the database
/// slowed ×4 for 10 s at 60 s, `late` (if any) made at 200 s while the design
/// runs; the goodput share and attempts per request of its tenth minute.
fn lesson_15_last_minute(seed: u64, change: fn(&mut Value), late: Option<fn(&mut Value)>) -> (f64, f64) {
    let mut doc = lesson_json(15);
    change(&mut doc);
    doc["seed"] = json!(seed);
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap());
    sim.run_until(60 * S, u64::MAX);
    let spike = Fault::Spike { factor: 4.0, duration_s: 10.0 };
    sim.apply(Edit::Fault { id: "db".into(), fault: spike }).unwrap();
    sim.run_until(200 * S, u64::MAX);
    if let Some(edit) = late {
        let mut doc = serde_json::to_value(sim.scenario()).unwrap();
        edit(&mut doc);
        sim.sync_to(&Scenario::from_json(&doc.to_string()).unwrap()).unwrap();
    }
    sim.run_until(540 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(600 * S, u64::MAX);
    let last = sim.take_snapshot();
    (last.ok_rps / last.sent_rps, last.attempts_per_request.unwrap_or(f64::NAN))
}

fn add_budget(d: &mut Value) {
    node_mut(d, "users")["retry"]["budget"] = json!({"tokens": 10, "refill": 0.1});
}

fn add_backoff(d: &mut Value) {
    let retry = &mut node_mut(d, "users")["retry"];
    retry["backoff"] = json!("exponential");
    retry["backoff_ms"] = json!(50);
    retry["backoff_cap_ms"] = json!(2000);
    retry["jitter"] = json!("full");
}

#[test]
fn lesson_15_retry_storm_outlives_its_trigger_unless_retries_have_a_budget() {
    // Ten seconds of a slow database, then nine minutes at full speed: as
    // given (and with backoff alone, which spaces out the same four
    // attempts) the last minute is still collapsed, four attempts a request;
    // with a retry budget, from the start or ticked during the storm, it is
    // served. Three seeds each.
    type Variant = (&'static str, fn(&mut Value), Option<fn(&mut Value)>, bool);
    let variants: [Variant; 4] = [
        ("as given", unchanged, None, false),
        ("backoff alone", add_backoff, None, false),
        ("a budget", add_budget, None, true),
        ("a budget ticked during the storm", unchanged, Some(add_budget), true),
    ];
    let runs = crate::support::replicate(variants.len() * 3, |i| {
        let (_, change, late, _) = variants[(i / 3) as usize];
        lesson_15_last_minute(1 + i % 3, change, late)
    });
    let mut wrong = Vec::new();
    for (i, (share, attempts)) in runs.iter().enumerate() {
        let (what, _, _, recovers) = variants[i / 3];
        let seed = 1 + i % 3;
        eprintln!("lesson 15, {what}, seed {seed}: last minute goodput {share:.4}, {attempts:.3} attempts per request");
        let ok = if recovers { *share > 0.95 && *attempts < 1.05 } else { *share < 0.05 && *attempts > 3.9 };
        if !ok {
            wrong.push(format!("{what}, seed {seed}: goodput {share:.4}, attempts {attempts:.3}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn with_goal(goal: Value) -> Result<Scenario, scalelab_engine::ScenarioError> {
    let mut doc = lesson_json(4);
    doc["goal"] = goal;
    Scenario::from_json(&doc.to_string())
}

#[test]
fn a_goal_is_read_with_every_mistake_named_by_its_field() {
    let err = |goal: Value| with_goal(goal).unwrap_err().to_string();
    let e = err(json!({"checks": [{"metric": "p99ms", "below": 1}]}));
    assert!(e.contains("goal.checks[0].metric") && e.contains("did you mean \"p99_ms\""), "{e}");
    let e = err(json!({"checks": [{"metric": "p99_ms", "below": 1, "above": 0}]}));
    assert!(e.contains("goal.checks[0]") && e.contains("exactly one bound"), "{e}");
    let e = err(json!({"checks": [{"metric": "hit_ratio", "above": 0.5}]}));
    assert!(e.contains("measured at a node"), "{e}");
    let e = err(json!({"checks": [], "drills": [{"fail": "web-9", "within_s": 10}]}));
    assert!(e.contains("goal.drills[0].fail") && e.contains("did you mean \"web-1\""), "{e}");
    let e = err(json!({"checks": [], "drills": [{"alert": "high error rat"}]}));
    assert!(e.contains("goal.drills[0].alert") && e.contains("did you mean"), "{e}");
    let e = err(json!({"checks": [], "drills": [{"within_s": 10}]}));
    assert!(e.contains("a drill fails something") && e.contains("slows a node down"), "{e}");
    let e = err(json!({"hold_s": 0, "checks": []}));
    assert!(e.contains("goal.hold_s"), "{e}");
    let e = err(json!({"checks": [{"metric": "utilization", "kind": "databse", "below": 0.5}]}));
    assert!(e.contains("goal.checks[0].kind") && e.contains("did you mean \"database\""), "{e}");
    // Outage drills: an error band while the target is down, then the recovery.
    let drill = |d: Value| err(json!({"checks": [], "drills": [d]}));
    let e = drill(json!({"fail": "web-1", "while_down": {}, "within_s": 10}));
    assert!(e.contains("goal.drills[0].while_down") && e.contains("\"errors_above\", \"errors_below\" or both"), "{e}");
    let e = drill(json!({"fail": "web-1", "while_down": {"errors_above": 0.9, "errors_below": 0.5}, "within_s": 10}));
    assert!(e.contains("goal.drills[0].while_down") && e.contains("must be less than"), "{e}");
    let e = drill(json!({"fail": "web-1", "while_down": {"errors_abve": 0.9}, "within_s": 10}));
    assert!(e.contains("goal.drills[0].while_down.errors_abve") && e.contains("did you mean \"errors_above\""), "{e}");
    let e = drill(json!({"fail": "web-1", "while_down": {"errors_above": 1.5}, "within_s": 10}));
    assert!(e.contains("goal.drills[0].while_down.errors_above"), "{e}");
    let e = drill(json!({"fail": "web-1", "whiledown": {"errors_above": 0.9}, "within_s": 10}));
    assert!(e.contains("goal.drills[0].whiledown") && e.contains("did you mean \"while_down\""), "{e}");
    let e =
        drill(json!({"fail": "web-1", "while_down": {"errors_above": 0.9}, "within_s": 10, "lost_writes_below": 5}));
    assert!(e.contains("goal.drills[0].lost_writes_below") && e.contains("an outage drill recovers it"), "{e}");
    let e = drill(json!({"fail": "web-1", "while_down": {"errors_above": 0.9}}));
    assert!(e.contains("goal.drills[0].within_s") && e.contains("required"), "{e}");
    let e = err(json!({"checks": [{"metric": "goodput_shar", "above": 0.9}]}));
    assert!(e.contains("goal.checks[0].metric") && e.contains("did you mean \"goodput_share\""), "{e}");
    // Slowdown drills: a latency spike, then the goodput must come back.
    let slow = |fields: Value| {
        let mut d = json!({"slow": "web-1", "factor": 4, "for_s": 10, "goodput_back_above": 0.9, "within_s": 60});
        for (k, v) in fields.as_object().unwrap() {
            if v.is_null() {
                d.as_object_mut().unwrap().remove(k);
            } else {
                d[k] = v.clone();
            }
        }
        drill(d)
    };
    let e = slow(json!({"slow": "web-9"}));
    assert!(e.contains("goal.drills[0].slow") && e.contains("did you mean \"web-1\""), "{e}");
    let e = slow(json!({"factor": 1}));
    assert!(e.contains("goal.drills[0].factor"), "{e}");
    let e = slow(json!({"goodput_back_above": 1.5}));
    assert!(e.contains("goal.drills[0].goodput_back_above"), "{e}");
    let e = slow(json!({"goodput_back_above": null}));
    assert!(e.contains("goal.drills[0].goodput_back_above") && e.contains("required"), "{e}");
    let e = slow(json!({"for_s": 0}));
    assert!(e.contains("goal.drills[0].for_s"), "{e}");
    let e = slow(json!({"within_s": null}));
    assert!(e.contains("goal.drills[0].within_s") && e.contains("required"), "{e}");
    let e = slow(json!({"factr": 4}));
    assert!(e.contains("goal.drills[0].factr") && e.contains("did you mean \"factor\""), "{e}");
    let e = drill(json!({"fail": "web-1", "within_s": 10, "slwo": "web-1"}));
    assert!(e.contains("goal.drills[0].slwo") && e.contains("did you mean \"slow\""), "{e}");
    let ok = with_goal(json!({"checks": [], "drills": [{"slow": "web-1", "factor": 2.5, "for_s": 10, "goodput_back_above": 0.9, "within_s": 60}]})).unwrap();
    assert_eq!(
        ok.goal.as_ref().unwrap().drills[0].label(),
        "Slow web-1 ×2.5 for 10 s: goodput back above 90% within 60 s"
    );
    assert_eq!(Scenario::from_json(&ok.to_json_pretty()).unwrap().goal, ok.goal, "saved and opened again");
    let ok = with_goal(
        json!({"checks": [], "drills": [{"fail": "web-1", "while_down": {"errors_below": 0.6}, "within_s": 10}]}),
    )
    .unwrap();
    let d = &ok.goal.as_ref().unwrap().drills[0];
    assert_eq!(
        d.label(),
        "Fail web-1: errors under 60% while it is down; recover it: errors back under 1% within 10 s"
    );
    assert_eq!(Scenario::from_json(&ok.to_json_pretty()).unwrap().goal, ok.goal, "saved and opened again");
}

#[test]
fn a_goal_survives_saving_and_opening_and_every_lesson_has_one() {
    for n in 1..=16 {
        let s = Scenario::from_json(&lesson_json(n).to_string()).unwrap();
        let goal = s.goal.clone().unwrap_or_else(|| panic!("lesson {n} has no goal"));
        assert!(!goal.checks.is_empty(), "lesson {n}");
        assert!(
            goal.checks.iter().any(|c| c.metric == scalelab_engine::goal::GoalMetric::TrafficRps),
            "lesson {n}: the traffic is part of the goal"
        );
        let again = Scenario::from_json(&s.to_json_pretty()).unwrap();
        assert_eq!(again.goal, s.goal, "lesson {n}");
    }
}

#[test]
fn the_before_design_carries_this_steps_traffic_and_goal() {
    let prev = Scenario::from_json(&lesson_json(3).to_string()).unwrap();
    let this = Scenario::from_json(&lesson_json(4).to_string()).unwrap();
    let before = scalelab_engine::goal::at_this_traffic(&prev, &this);
    assert_eq!(before.goal.as_ref().unwrap().checks, this.goal.as_ref().unwrap().checks);
    assert!(before.goal.as_ref().unwrap().drills.is_empty(), "lesson 3 has no web-1 to fail");
    let users = |s: &Scenario| s.nodes.iter().find(|n| n.id == "users").unwrap().spec.clone();
    assert_eq!(users(&before), users(&this));
    assert_eq!(before.nodes.len(), prev.nodes.len(), "the rest is the previous design");
    // It runs, and the previous design falls short at this traffic.
    let mut sim = Simulation::new(Scenario::from_json(&before.to_json_pretty()).unwrap());
    sim.run_until(30 * S, u64::MAX);
    let status = sim.goal_status().unwrap();
    assert!(status.checks.iter().any(|c| !c.passing), "{status:?}");
}

#[test]
fn moving_a_box_keeps_the_goal_but_changing_the_design_starts_it_over() {
    let mut sim = Simulation::new(Scenario::from_json(&lesson_json(2).to_string()).unwrap());
    sim.run_until(40 * S, u64::MAX);
    let held = sim.goal_status().unwrap().held_s;
    assert!(held >= 10, "{held}");
    let mut node = sim.scenario().nodes.iter().find(|n| n.id == "web").unwrap().clone();
    node.x = Some(999.0);
    sim.apply(Edit::UpdateNode { node: node.clone() }).unwrap();
    sim.run_until(50 * S, u64::MAX);
    assert_eq!(sim.goal_status().unwrap().held_s, held + 10, "a move changes nothing");
    let mut doc = serde_json::to_value(sim.scenario()).unwrap();
    resize(&mut doc, "web", "large");
    let bigger = Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
    sim.sync_to(&bigger).unwrap();
    let status = sim.goal_status().unwrap();
    assert_eq!((status.held_s, status.checks[1].value_text.as_str()), (0, "measuring…"));
    sim.run_until(70 * S, u64::MAX);
    // The goal now judges the new design: the bigger server is over budget.
    let status = sim.goal_status().unwrap();
    assert_eq!(
        (status.checks[3].value_text.as_str(), status.checks[3].passing, status.held_s),
        ("$325/month", false, 0)
    );
    assert!(status.checks[1].passing && status.checks[1].value_text != "measuring…");
}
