//! Every lesson's goal, judged by the engine: the preset designs that the
//! lessons say fall short do not meet their goals, and the change each lesson
//! teaches (a bigger machine, more workers, failing a node to watch the design
//! cope, a solution to the final challenge) meets it. The browser tests make
//! the same changes through the page; these runs say what they should see.

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
        let text = std::fs::read_to_string(lessons_dir().join("solutions/13-one-solution.json")).unwrap();
        return serde_json::from_str(&text).unwrap();
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

fn node_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == id).unwrap_or_else(|| panic!("no node {id}"))
}

/// What a learner does in one run.
pub struct Plan {
    pub lesson: u32,
    /// Changes to the design before it starts (what the learner edits).
    pub change: fn(&mut Value),
    /// Faults injected at these simulated seconds.
    pub faults: Vec<(u64, &'static str)>,
    /// Stop at this simulated second if the goal is not met by then.
    pub limit_s: u64,
}

/// Runs a plan; returns the goal's status when it was met or at the limit, and the second.
pub fn run(plan: &Plan) -> (GoalStatus, u64) {
    let mut doc = lesson_json(plan.lesson);
    (plan.change)(&mut doc);
    let scenario = Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("lesson {}: {e}", plan.lesson));
    let mut sim = Simulation::new(scenario);
    for t in 1..=plan.limit_s {
        sim.run_until(t * S, u64::MAX);
        for (at, id) in &plan.faults {
            if *at == t {
                sim.apply(Edit::Fault { id: id.to_string(), fault: Fault::Fail }).unwrap();
            }
        }
        let status = sim.goal_status().expect("every lesson has a goal");
        if status.met() {
            return (status.clone(), t);
        }
    }
    (sim.goal_status().unwrap().clone(), plan.limit_s)
}

fn unchanged(_: &mut Value) {}

fn describe(n: u32, what: &str, (status, t): &(GoalStatus, u64)) -> String {
    let checks: Vec<String> =
        status.checks.iter().map(|c| format!("{}: {} {}", c.label, c.value_text, if c.passing { "ok" } else { "NO" })).collect();
    let drills: Vec<String> = status.drills.iter().map(|d| format!("{} [{:?}] {}", d.label, d.state, d.detail)).collect();
    format!("lesson {n} {what} at {t} s: met {:?}, held {} of {} s\n  {}\n  {}", status.met_at_s, status.held_s, status.hold_s, checks.join("\n  "), drills.join("\n  "))
}

/// (lesson, what, plan, should meet the goal)
fn cases() -> Vec<(&'static str, Plan, bool)> {
    vec![
        ("1 as given", Plan { lesson: 1, change: unchanged, faults: vec![], limit_s: 90 }, true),
        ("2 as given", Plan { lesson: 2, change: unchanged, faults: vec![], limit_s: 90 }, true),
        ("3 as given", Plan { lesson: 3, change: unchanged, faults: vec![], limit_s: 90 }, false),
        (
            "3 with a bigger web server",
            Plan { lesson: 3, change: |d| node_mut(d, "web")["size"] = json!("2xlarge"), faults: vec![], limit_s: 90 },
            true,
        ),
        ("4 as given, without the drill", Plan { lesson: 4, change: unchanged, faults: vec![], limit_s: 70 }, false),
        ("4 failing web-1", Plan { lesson: 4, change: unchanged, faults: vec![(45, "web-1")], limit_s: 70 }, true),
        (
            "4 failing web-1 without health checks",
            Plan {
                lesson: 4,
                change: |d| node_mut(d, "lb")["health_check"] = Value::Null,
                faults: vec![(45, "web-1")],
                limit_s: 70,
            },
            false,
        ),
        ("5 failing the primary", Plan { lesson: 5, change: unchanged, faults: vec![(45, "primary")], limit_s: 75 }, true),
        ("6 as given", Plan { lesson: 6, change: unchanged, faults: vec![], limit_s: 70 }, true),
        ("7 as given", Plan { lesson: 7, change: unchanged, faults: vec![], limit_s: 70 }, true),
        ("8 as given, without the drill", Plan { lesson: 8, change: unchanged, faults: vec![], limit_s: 60 }, false),
        ("8 failing web-a", Plan { lesson: 8, change: unchanged, faults: vec![(45, "web-a")], limit_s: 150 }, true),
        (
            "8 failing web-a with local sessions",
            Plan {
                lesson: 8,
                change: |d| {
                    for id in ["web-a", "web-b"] {
                        node_mut(d, id)["sessions"] = json!("local");
                    }
                    node_mut(d, "lb")["algorithm"] = json!("sticky");
                },
                faults: vec![(45, "web-a")],
                limit_s: 150,
            },
            false,
        ),
        ("9 outage of east as given", Plan { lesson: 9, change: unchanged, faults: vec![(45, "east")], limit_s: 240 }, false),
        (
            "9 outage of east with Europe's session store and replica grown",
            Plan {
                lesson: 9,
                change: |d| {
                    node_mut(d, "sessions-eu")["partitions"] = json!(8);
                    node_mut(d, "replica-eu")["size"] = json!("16xlarge");
                },
                faults: vec![(45, "east")],
                limit_s: 240,
            },
            true,
        ),
        ("10 as given", Plan { lesson: 10, change: unchanged, faults: vec![], limit_s: 60 }, false),
        (
            "10 with bigger photo workers",
            Plan { lesson: 10, change: |d| node_mut(d, "photo-workers")["size"] = json!("16xlarge"), faults: vec![], limit_s: 60 },
            true,
        ),
        ("11 as given", Plan { lesson: 11, change: unchanged, faults: vec![], limit_s: 150 }, true),
        ("12 as given", Plan { lesson: 12, change: unchanged, faults: vec![], limit_s: 60 }, true),
        ("13 as given", Plan { lesson: 13, change: unchanged, faults: vec![], limit_s: 80 }, false),
        ("13 solved", Plan { lesson: 0, change: unchanged, faults: vec![], limit_s: 90 }, true),
    ]
}

#[test]
fn each_lesson_goal_is_met_by_the_change_it_teaches_and_not_without_it() {
    let cases = cases();
    let results = crate::support::replicate(cases.len(), |i| run(&cases[cases.len() - 1 - i as usize].1));
    let mut wrong = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let (what, plan, expect) = &cases[cases.len() - 1 - i];
        let text = describe(plan.lesson, what, r);
        eprintln!("{text}");
        if r.0.met() != *expect {
            wrong.push(text);
            continue;
        }
        // Where the learner performed a drill that should go wrong, it is the drill that fails, saying why.
        let drill = |state: DrillState, why: &str| r.0.drills.iter().any(|d| d.state == state && d.detail.contains(why));
        let reason_ok = match *what {
            "4 failing web-1 without health checks" => drill(DrillState::Failed, "errors still at"),
            "8 failing web-a with local sessions" => drill(DrillState::Failed, "sessions lost"),
            "9 outage of east as given" => drill(DrillState::Failed, "errors still at"),
            "4 as given, without the drill" | "8 as given, without the drill" => r.0.checks_met && drill(DrillState::NotTried, "not tried yet"),
            _ => true,
        };
        if !reason_ok {
            wrong.push(format!("{text}\n  (not for the expected reason)"));
        }
    }
    assert!(wrong.is_empty(), "goals judged wrongly:\n{}", wrong.join("\n"));
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
    assert!(e.contains("a drill either fails something"), "{e}");
    let e = err(json!({"hold_s": 0, "checks": []}));
    assert!(e.contains("goal.hold_s"), "{e}");
    let e = err(json!({"checks": [{"metric": "utilization", "kind": "databse", "below": 0.5}]}));
    assert!(e.contains("goal.checks[0].kind") && e.contains("did you mean \"database\""), "{e}");
}

#[test]
fn a_goal_survives_saving_and_opening_and_every_lesson_has_one() {
    for n in 1..=13 {
        let s = Scenario::from_json(&lesson_json(n).to_string()).unwrap();
        let goal = s.goal.clone().unwrap_or_else(|| panic!("lesson {n} has no goal"));
        assert!(!goal.checks.is_empty(), "lesson {n}");
        assert!(goal.checks.iter().any(|c| c.metric == scalelab_engine::goal::GoalMetric::TrafficRps), "lesson {n}: the traffic is part of the goal");
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
    node_mut(&mut doc, "web")["size"] = json!("large");
    node_mut(&mut doc, "web").as_object_mut().unwrap().remove("workers");
    let bigger = Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
    sim.sync_to(&bigger).unwrap();
    let status = sim.goal_status().unwrap();
    assert_eq!((status.held_s, status.checks[1].value_text.as_str()), (0, "measuring…"));
    sim.run_until(70 * S, u64::MAX);
    // The goal now judges the new design: the bigger server is over budget.
    let status = sim.goal_status().unwrap();
    assert_eq!((status.checks[3].value_text.as_str(), status.checks[3].passing, status.held_s), ("$325/month", false, 0));
    assert!(status.checks[1].passing && status.checks[1].value_text != "measuring…");
}
