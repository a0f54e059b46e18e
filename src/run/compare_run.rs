//! Two paired simulations run in lockstep for the A/B comparison.
//!
//! Both advance towards one shared target time; the target moves on only
//! when both have reached it, so a frame whose event budget runs out leaves
//! the slower one to catch up first. The numbers on screen are read only
//! while both stand at the same simulated time, and a fault "in both" is
//! applied at one instant that both have reached. Nothing here decides what
//! a request does: it only calls the engine's stepping and edit API.

use scalelab_engine::compare::{Figures, Pairing};
use scalelab_engine::time::Nanos;
use scalelab_engine::{edited, Edit, Simulation};

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
    pub fn new(p: &Pairing) -> PairRun {
        let mut a = Simulation::new(p.a.clone());
        let mut b = Simulation::new(p.b.clone());
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
        for (side, sim) in [("A", &self.a), ("B", &self.b)] {
            edited(sim.scenario(), &edit).map_err(|e| format!("design {side} refuses it: {e}"))?;
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::compare::pair;
    use scalelab_engine::{Fault, Scenario};

    fn lesson(n: u32) -> Scenario {
        crate::lessons::scenario(n).unwrap().clone()
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
        let a = scalelab_engine::goal::at_this_traffic(&lesson(2), &lesson(3));
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
        assert_eq!(p.a.health("db"), Some(scalelab_engine::Health::Down));
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
        for n in 2..=crate::lessons::COUNT as u32 {
            let this = lesson(n);
            let before = scalelab_engine::goal::at_this_traffic(&lesson(n - 1), &this);
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
