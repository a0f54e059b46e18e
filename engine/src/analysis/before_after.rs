//! A lesson's before/after table: the previous step's design at this step's
//! traffic and this step's design, each run through the warm-up and two of
//! the goal's measurement windows; the numbers in the table are the engine's
//! goal checks at the end, nothing else. Stepped in slices (the page runs it
//! as a job in its engine worker, `analysis::job`).

use crate::base::time::Nanos;
use crate::kernel::sim::Simulation;
use crate::model::goal::{self, CheckStatus};
use crate::model::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Simulated seconds a trial runs after its warm-up: two goal windows, and one
/// second more so the last window's end has been evaluated.
pub const MEASURE_S: u64 = 2 * goal::WINDOW_S as u64 + 1;

pub struct Trial {
    sim: Simulation,
    until: Nanos,
}

impl Trial {
    pub fn new(scenario: Scenario) -> Trial {
        let until_s =
            (scenario.warmup_s.ceil().max(0.0) as u64 + MEASURE_S).min(scenario.duration_s.floor().max(1.0) as u64);
        let mut sim = Simulation::new(scenario);
        // Nobody watches these requests move, nor reads where their time went.
        sim.set_sample_every(0);
        sim.set_breakdown(false);
        Trial { sim, until: until_s * 1_000_000_000 }
    }

    /// Runs at most `max_events` more events; returns how many ran.
    pub fn step(&mut self, max_events: u64) -> u64 {
        if self.done() {
            return 0;
        }
        let p = self.sim.run_until(self.until, max_events);
        if p.finished {
            // The run ended early (a short scenario): nothing more to do.
            self.until = self.sim.now();
        }
        p.events
    }

    pub fn done(&self) -> bool {
        self.sim.now() >= self.until
    }

    /// How far along, 0 to 1 (by simulated time).
    pub fn fraction(&self) -> f64 {
        if self.until == 0 {
            1.0
        } else {
            (self.sim.now() as f64 / self.until as f64).clamp(0.0, 1.0)
        }
    }

    /// The goal's checks as the engine measured them (empty without a goal).
    pub fn checks(&self) -> Vec<CheckStatus> {
        self.sim.goal_status().map(|g| g.checks.clone()).unwrap_or_default()
    }
}

/// The table before anything is measured: one row per check of `current`'s
/// goal, labelled as the trials will label it, without values. Made without
/// a simulation, for the page to show while the trials run elsewhere.
pub fn pending_rows(current: &Scenario) -> Vec<Row> {
    let checks = current.goal.as_ref().map_or(&[][..], |g| &g.checks[..]);
    checks.iter().map(|c| Row { label: c.label(), before: None, after: None }).collect()
}

/// The previous step's design and this step's, both at this step's traffic.
pub struct BeforeAfter {
    pub before: Trial,
    pub after: Trial,
}

/// One row of the table: a check, and how each design fared (`None`: not
/// measured yet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub label: String,
    pub before: Option<CheckStatus>,
    pub after: Option<CheckStatus>,
}

impl BeforeAfter {
    pub fn new(previous: &Scenario, current: &Scenario) -> BeforeAfter {
        BeforeAfter { before: Trial::new(goal::at_this_traffic(previous, current)), after: Trial::new(current.clone()) }
    }

    /// Runs at most `max_events` events, sharing them so both trials move
    /// along together. Returns how many ran.
    pub fn step(&mut self, max_events: u64) -> u64 {
        let (b, a) = (self.before.done(), self.after.done());
        match (b, a) {
            (true, true) => 0,
            (false, true) => self.before.step(max_events),
            (true, false) => self.after.step(max_events),
            (false, false) => {
                // The one further behind goes first.
                if self.before.fraction() <= self.after.fraction() {
                    self.before.step(max_events)
                } else {
                    self.after.step(max_events)
                }
            }
        }
    }

    pub fn done(&self) -> bool {
        self.before.done() && self.after.done()
    }

    pub fn fraction(&self) -> f64 {
        (self.before.fraction() + self.after.fraction()) / 2.0
    }

    /// The table: one row per check of this step's goal. Values appear only
    /// when both trials are done.
    pub fn rows(&self) -> Vec<Row> {
        let after = self.after.checks();
        let before = self.before.checks();
        let done = self.done();
        after
            .iter()
            .enumerate()
            .map(|(i, a)| Row {
                label: a.label.clone(),
                before: done.then(|| before.iter().find(|b| b.label == a.label).or(before.get(i)).cloned()).flatten(),
                after: done.then(|| a.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lesson's design, as shipped in `lessons/`.
    fn lesson(name: &str) -> Scenario {
        let path = format!("{}/../lessons/{name}.json", env!("CARGO_MANIFEST_DIR"));
        Scenario::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn lesson_3s_before_and_after_are_measured_by_the_engine() {
        let prev = lesson("02-web-and-data-tiers");
        let this = lesson("03-vertical-scaling");
        let mut ba = BeforeAfter::new(&prev, &this);
        let rows = ba.rows();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.before.is_none() && r.after.is_none()), "nothing before the run");
        assert_eq!(pending_rows(&this), rows, "the pending table is the trials' own, labels included");
        let mut slices = 0;
        while !ba.done() {
            let ran = ba.step(20_000);
            assert!(ran > 0 || ba.done());
            slices += 1;
            assert!(slices < 100_000);
        }
        assert!(slices > 2, "small slices");
        assert_eq!(ba.fraction(), 1.0);
        let rows = ba.rows();
        assert_eq!(rows.len(), this.goal.as_ref().unwrap().checks.len());
        for r in &rows {
            let (b, a) = (r.before.as_ref().unwrap(), r.after.as_ref().unwrap());
            assert_eq!(b.label, r.label);
            assert!(a.value.is_some() || !a.value_text.is_empty(), "{r:?}");
        }
        // Lesson 2's design at lesson 3's traffic is overloaded: some check fails.
        assert!(rows.iter().any(|r| !r.before.as_ref().unwrap().passing), "{rows:?}");
    }

    #[test]
    fn a_short_scenario_ends_the_trial() {
        let mut s = lesson("01-single-server");
        s.duration_s = 5.0;
        let mut t = Trial::new(s);
        while !t.done() {
            t.step(10_000);
        }
        assert_eq!(t.fraction(), 1.0);
    }
}
