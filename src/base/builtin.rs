//! The scenario the first page runs: users behind a load balancer, two web
//! servers, one database. Kept as JSON so it goes through the same parser and
//! checks as any file a user loads. The web servers have the palette's queue
//! and timeout (500 requests, 3 s); the database's 1 s timeout is shorter, so
//! a slow database fails a request before its web server gives up on it.

// In the engine's scenarios, so its golden-output test runs it too.
pub const STARTER_SCENARIO: &str = include_str!("../../engine/scenarios/starter.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_scenario_is_valid_and_runs() {
        let s = scalelab_engine::Scenario::from_json(STARTER_SCENARIO).expect("valid");
        let mut sim = scalelab_engine::Simulation::new(s);
        sim.run_until(5_000_000_000, u64::MAX);
        let snap = sim.live_snapshot();
        assert!(snap.ok_rps > 200.0, "{snap:?}");
    }
}
