//! Functions the page exports to JavaScript, for the end-to-end tests and the
//! browser benchmark: they run the very same engine the page runs.

use scalelab_engine::{Scenario, Simulation};
use wasm_bindgen::prelude::*;

/// Runs a scenario to its end and returns the report as pretty JSON (the same
/// text the native CLI prints, except `wall_ms`, which stays 0 here).
#[wasm_bindgen]
pub fn run_scenario_report(json: &str) -> Result<String, String> {
    let scenario = Scenario::from_json(json).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(scenario);
    sim.run_to_end();
    Ok(sim.report().to_json_pretty())
}

/// Runs a scenario to its end and returns the number of events processed; the
/// caller times the call.
#[wasm_bindgen]
pub fn run_scenario_events(json: &str) -> Result<f64, String> {
    let scenario = Scenario::from_json(json).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(scenario);
    sim.run_to_end();
    Ok(sim.events() as f64)
}
