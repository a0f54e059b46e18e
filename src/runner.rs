//! Turns wall-clock time into simulated time for the live page.
//!
//! Each animation frame advances the simulation by the wall time since the last
//! frame times the speed, under an event budget so one frame never freezes the
//! page. When the budget runs out the simulation falls behind real time, and the
//! page says so instead of pretending.

use scalelab_engine::time::Nanos;
use scalelab_engine::Simulation;

/// Longest wall-clock gap a frame makes up for (a background tab comes back
/// without trying to replay minutes at once).
const MAX_FRAME_GAP_MS: f64 = 100.0;

pub struct Runner {
    pub sim: Simulation,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Most events one frame may process.
    pub events_per_frame: u64,
    /// The last frame ran out of budget before reaching its target time.
    pub behind: bool,
}

impl Runner {
    pub fn new(sim: Simulation) -> Runner {
        Runner { sim, speed: 1.0, events_per_frame: 400_000, behind: false }
    }

    /// Advances by `wall_ms` of real time; returns the events processed.
    pub fn advance(&mut self, wall_ms: f64) -> u64 {
        let wall_ms = wall_ms.clamp(0.0, MAX_FRAME_GAP_MS);
        let step: Nanos = (wall_ms * 1e6 * self.speed) as Nanos;
        let target = self.sim.now().saturating_add(step);
        let progress = self.sim.run_until(target, self.events_per_frame);
        self.behind = !progress.reached;
        progress.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::Scenario;

    fn runner() -> Runner {
        Runner::new(Simulation::new(Scenario::from_json(crate::builtin::STARTER_SCENARIO).unwrap()))
    }

    #[test]
    fn advances_by_wall_time_times_speed() {
        let mut r = runner();
        r.advance(16.0);
        assert_eq!(r.sim.now(), 16_000_000);
        r.speed = 10.0;
        r.advance(16.0);
        assert_eq!(r.sim.now(), 176_000_000);
        assert!(!r.behind);
    }

    #[test]
    fn a_long_pause_is_not_replayed_and_a_small_budget_falls_behind() {
        let mut r = runner();
        r.advance(60_000.0);
        assert_eq!(r.sim.now(), 100_000_000);
        r.events_per_frame = 10;
        r.advance(50.0);
        assert!(r.behind);
        assert!(r.sim.now() < 150_000_000);
    }
}
