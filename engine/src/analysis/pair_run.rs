//! Two paired simulations run in lockstep for the A/B comparison.
//!
//! Both advance towards one shared target time; the target moves on only
//! when both have reached it, so a slice whose event budget runs out leaves
//! the slower one to catch up first. The numbers are read only while both
//! stand at the same simulated time ([`PairRun::reading`]), and a fault "in
//! both" is applied at one instant that both have reached.
//!
//! The comparison panel runs this in a worker of its own
//! ([`crate::analysis::compare_session`]): it only steps the two runs and
//! reads them, so the same designs give the same reading anywhere.

use crate::analysis::compare::{differences, Difference, Figures, Pairing};
use crate::base::time::Nanos;
use crate::kernel::edit::{edited, Edit};
use crate::kernel::sim::Simulation;
use crate::model::fault::Fault;
use crate::model::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Simulated nanoseconds per event-budget slice are not fixed; this is the
/// most events one call into one simulation may run (the caller checks the
/// clock between calls).
pub const CHUNK_EVENTS: u64 = 20_000;

pub struct PairRun {
    pub a: Simulation,
    pub b: Simulation,
    /// Where both are heading now.
    target: Nanos,
    /// Faults asked for while the two stood apart: applied to both as soon as
    /// they stand together again.
    pending: Vec<Edit>,
    /// Faults applied to both: when, and what.
    pub applied: Vec<(Nanos, Edit)>,
    /// The last frame ran out of time before both reached the target.
    pub behind: bool,
}

impl PairRun {
    /// The two designs of a pairing (B with A's traffic), ready to run.
    pub fn new(p: &Pairing) -> PairRun {
        PairRun::of(p.a.clone(), p.b.clone())
    }

    /// Two designs already paired (as [`Pairing`] made them), ready to run.
    pub fn of(a: Scenario, b: Scenario) -> PairRun {
        let mut a = Simulation::new(a);
        let mut b = Simulation::new(b);
        // Nobody watches these requests move.
        a.set_sample_every(0);
        b.set_sample_every(0);
        PairRun { a, b, target: 0, pending: Vec::new(), applied: Vec::new(), behind: false }
    }

    /// Both stand at the same simulated time.
    pub fn together(&self) -> bool {
        self.a.now() == self.b.now()
    }

    /// The simulated time both have reached.
    pub fn now(&self) -> Nanos {
        self.a.now().min(self.b.now())
    }

    pub fn end(&self) -> Nanos {
        self.a.end().min(self.b.end())
    }

    pub fn finished(&self) -> bool {
        self.a.now() >= self.a.end() && self.b.now() >= self.b.end()
    }

    /// Moves the shared target `sim_ns` further on, if both have reached the
    /// current one (otherwise the slower one catches up first).
    pub fn extend(&mut self, sim_ns: Nanos) {
        if self.reached() {
            self.target = self.target.max(self.now()).saturating_add(sim_ns).min(self.end());
        }
    }

    fn reached(&self) -> bool {
        let t = self.target.min(self.end());
        self.a.now() >= t && self.b.now() >= t
    }

    /// Runs events towards the target, the one further behind first, in
    /// calls of at most `chunk` events, while `more()` allows. Returns the
    /// events run; `behind` says whether the target was missed.
    pub fn advance(&mut self, chunk: u64, mut more: impl FnMut() -> bool) -> u64 {
        let mut events = 0;
        while !self.reached() {
            if !more() {
                self.behind = true;
                return events;
            }
            let sim = if self.a.now() <= self.b.now() && self.a.now() < self.target.min(self.a.end()) {
                &mut self.a
            } else {
                &mut self.b
            };
            events += sim.run_until(self.target, chunk).events;
        }
        self.behind = false;
        self.apply_pending();
        events
    }

    /// Fails (or recovers, slows...) the node or data center `edit` names in
    /// both designs at the same simulated time: now if both stand together,
    /// else as soon as they do. Checked against both first, so a refusal
    /// changes neither.
    pub fn in_both(&mut self, edit: Edit) -> Result<(), String> {
        refusal(self.a.scenario(), self.b.scenario(), &edit)?;
        self.pending.push(edit);
        if self.together() {
            self.apply_pending();
        }
        Ok(())
    }

    fn apply_pending(&mut self) {
        if !self.together() {
            return;
        }
        for edit in std::mem::take(&mut self.pending) {
            // Both accepted it when asked, and faults do not change the
            // document, so neither refuses it now; if one did, neither
            // is recorded as having had it.
            let (ra, rb) = (self.a.apply(edit.clone()), self.b.apply(edit.clone()));
            if ra.is_ok() && rb.is_ok() {
                self.applied.push((self.a.now(), edit));
            }
        }
    }

    /// Faults waiting for the two to stand together.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Both designs' figures, when both stand at the same time.
    pub fn figures(&self) -> Option<(Figures, Figures)> {
        self.together().then(|| (Figures::of(&self.a), Figures::of(&self.b)))
    }

    /// Everything the comparison shows, when both stand at the same time.
    pub fn reading(&self) -> Option<PairReading> {
        let (a, b) = self.figures()?;
        let seconds = |s: &Simulation| -> Vec<SecondView> {
            s.series()
                .iter()
                .map(|p| SecondView {
                    t_s: p.t_s as f64,
                    p99_ms: (p.ok > 0).then_some(p.latency_p99_ms),
                    failed: p.failed.iter().sum::<u64>(),
                })
                .collect()
        };
        let applied = self
            .applied
            .iter()
            .filter_map(|(t, e)| match e {
                Edit::Fault { id, fault } => Some(AppliedFault { t_s: *t as f64 / 1e9, id: id.clone(), fault: *fault }),
                _ => None,
            })
            .collect();
        Some(PairReading {
            diffs: differences(&a, &b),
            a,
            b,
            end_s: self.end() as f64 / 1e9,
            finished: self.finished(),
            behind: self.behind,
            applied,
            series: [seconds(&self.a), seconds(&self.b)],
        })
    }
}

/// Why `edit` cannot be made in both designs, naming the side that refuses
/// it; checked before either changes, so a refusal changes neither.
pub fn refusal(a: &Scenario, b: &Scenario, edit: &Edit) -> Result<(), String> {
    for (side, s) in [("A", a), ("B", b)] {
        edited(s, edit).map_err(|e| format!("design {side} refuses it: {e}"))?;
    }
    Ok(())
}

/// One simulated second of one design, for the charts: its end, the p99 of
/// the requests that succeeded in it (none: no success), and the requests
/// that failed in it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecondView {
    pub t_s: f64,
    pub p99_ms: Option<f64>,
    pub failed: u64,
}

/// A fault applied to both designs at one simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedFault {
    pub t_s: f64,
    pub id: String,
    pub fault: Fault,
}

/// Both designs at one simulated time: what the comparison panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairReading {
    pub a: Figures,
    pub b: Figures,
    pub diffs: Vec<Difference>,
    /// Simulated seconds the shorter of the two runs lasts.
    pub end_s: f64,
    pub finished: bool,
    /// The last slice ran out of time before both reached the target.
    pub behind: bool,
    /// Faults applied to both, in order.
    pub applied: Vec<AppliedFault>,
    /// Each design's seconds, A's then B's.
    pub series: [Vec<SecondView>; 2],
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::compare::pair;
    use crate::kernel::sim::Health;
    use crate::model::goal::at_this_traffic;

    /// Lesson `n`'s design, as the lessons folder has it.
    pub(crate) fn lesson(n: u32) -> Scenario {
        let dir = format!("{}/../lessons", env!("CARGO_MANIFEST_DIR"));
        let prefix = format!("{n:02}-");
        let path = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(&prefix) && name.ends_with(".json")
            })
            .unwrap_or_else(|| panic!("no lesson {n} in {dir}"));
        Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The lessons there are.
    fn lesson_count() -> u32 {
        let dir = format!("{}/../lessons", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
            .count() as u32
    }

    fn run(p: &mut PairRun, sim_s: u64, chunk: u64) {
        let goal = p.now() + sim_s * 1_000_000_000;
        while p.now() < goal {
            p.extend(100_000_000);
            // A small budget: several frames per target, the two apart between them.
            let mut calls = 0;
            p.advance(chunk, || {
                calls += 1;
                calls <= 3
            });
        }
    }

    #[test]
    fn both_move_in_lockstep_on_the_same_requests() {
        let a = at_this_traffic(&lesson(2), &lesson(3));
        let mut p = PairRun::new(&pair(&a, &lesson(3)).unwrap());
        run(&mut p, 15, 2_000);
        assert!(p.together());
        let (fa, fb) = p.figures().unwrap();
        assert_eq!(fa.now_s, fb.now_s);
        assert_eq!(fa.generated, fb.generated);
        assert!(fa.generated > 1000);
    }

    #[test]
    fn a_fault_in_both_lands_at_the_same_time_and_a_refused_one_in_neither() {
        let s = lesson(4);
        let mut p = PairRun::new(&pair(&s, &s).unwrap());
        run(&mut p, 12, 3_000);
        // Leave them apart: a budget that stops mid-target.
        p.extend(500_000_000);
        let mut calls = 0;
        p.advance(500, || {
            calls += 1;
            calls <= 1
        });
        assert!(!p.together() && p.behind);
        p.in_both(Edit::Fault { id: "db".into(), fault: Fault::Fail }).unwrap();
        assert_eq!(p.pending(), 1);
        assert!(p.applied.is_empty());
        p.advance(CHUNK_EVENTS, || true);
        assert!(p.together() && !p.behind);
        assert_eq!(p.pending(), 0);
        assert_eq!(p.applied.len(), 1);
        assert_eq!(p.applied[0].0, p.now());
        assert_eq!(p.a.health("db"), p.b.health("db"));
        assert_eq!(p.a.health("db"), Some(Health::Down));
        // Users cannot fail: refused, in neither.
        let err = p.in_both(Edit::Fault { id: "users".into(), fault: Fault::Fail }).unwrap_err();
        assert!(err.contains("design A refuses it"), "{err}");
        assert_eq!(p.pending(), 0);
        assert_eq!(p.applied.len(), 1);
        run(&mut p, 3, CHUNK_EVENTS);
        let (fa, fb) = p.figures().unwrap();
        assert_eq!(fa, fb, "the same design, the same fault at the same time: the same run");
    }

    #[test]
    fn every_lesson_pairs_with_its_previous_step() {
        // What the lesson panel's "Compare with the previous step" runs: the
        // paired designs pass the same check as a file, then run a little.
        for n in 2..=lesson_count() {
            let this = lesson(n);
            let before = at_this_traffic(&lesson(n - 1), &this);
            let p = pair(&before, &this).unwrap();
            for s in [&p.a, &p.b] {
                Scenario::from_json(&s.to_json_pretty()).unwrap_or_else(|e| panic!("lesson {n}: {e}"));
            }
            let mut run = PairRun::new(&p);
            run.extend(200_000_000);
            run.advance(CHUNK_EVENTS, || true);
            // Still in the warm-up: the totals since the start.
            let (a, b) = (run.a.totals().generated, run.b.totals().generated);
            assert!(a > 0 && a == b, "lesson {n}: {a} vs {b}");
        }
    }

    #[test]
    fn the_run_stops_at_the_end() {
        let mut s = lesson(1);
        s.duration_s = 2.0;
        s.warmup_s = 0.0;
        let mut p = PairRun::new(&pair(&s, &s).unwrap());
        for _ in 0..100 {
            p.extend(1_000_000_000);
            p.advance(CHUNK_EVENTS, || true);
        }
        assert!(p.finished());
        assert_eq!(p.now(), 2_000_000_000);
    }
}
