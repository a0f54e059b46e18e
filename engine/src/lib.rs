//! # scalelab-engine
//!
//! The simulation core of Scale Lab: a deterministic, per-request discrete-event
//! simulator of web architectures (users, load balancers, web servers, databases).
//! Pure Rust with no web dependency: it runs natively (tests, CLI, benchmarks) and
//! in the browser (wasm32) with bit-identical results for the same seed.
//!
//! ```
//! use scalelab_engine::{Scenario, Simulation};
//!
//! let scenario = Scenario::from_json(r#"{
//!   "version": 2, "seed": 7, "duration_s": 20, "warmup_s": 2,
//!   "nodes": [
//!     {"id": "users", "kind": "users", "rps": 100},
//!     {"id": "app", "kind": "web_server", "workers": 2,
//!      "service": {"dist": "exponential", "mean_ms": 5}}
//!   ],
//!   "links": [{"from": "users", "to": "app"}]
//! }"#).unwrap();
//! let mut sim = Simulation::new(scenario);
//! sim.run_to_end();
//! let report = sim.report();
//! let r = &report.requests;
//! assert_eq!(r.generated, r.ok + r.failed.total() + r.in_flight);
//! assert!(report.nodes.get("app").unwrap().summary.utilization > 0.1);
//! ```

// Layers, lowest first: base, blocks, model, metrics, components, kernel,
// analysis. A module imports only from its own folder or the folders below
// it (the test `layers` in the xtask crate keeps it so).
pub mod analysis;
pub mod base;
pub mod blocks;
pub mod components;
pub mod kernel;
pub mod metrics;
pub mod model;

// The paths the CLI, the web app and the tests have always used.
pub use analysis::{before_after, compare, compare_session, envelope, job, live_session, pair_run, resilience, theory};
pub use base::{histogram, limits, order, rng, suggest, time, ziggurat};
pub use blocks::{
    alerts, autoscale, breaker, cache_store, dns, event, geo, keys, pool, pricing, profile, replication, request,
    retry, sharding,
};
pub use kernel::{breakdown, edit, publish, recent, report, sim, snapshot, trace};
pub use metrics::{confidence, hops, log, series, stats};
pub use model::{cost, error, fault, fields, goal, kinds, migrate, parse, scenario, spof, validate};

pub use edit::{diff, edited, sync_check, Edit, EditError, Fault};
pub use error::{Issue, ScenarioError};
pub use hops::{Hop, Share};
pub use kinds::{LinkRole, NodeKind};
pub use log::{LogEntry, Severity};
pub use report::Report;
pub use request::{Cause, Kind};
pub use scenario::Scenario;
pub use series::{NodePoint, SecondPoint};
pub use sim::{AttemptOutcomes, Health, MemoryUse, Outcomes, Progress, Simulation};
pub use snapshot::{BreakerView, LinkLive, NodeLive, RegionLive, Snapshot};
pub use spof::single_points_of_failure;
pub use stats::NodeSummary;
pub use validate::{check_link, warnings};
