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

pub mod alerts;
pub mod autoscale;
pub mod breakdown;
pub mod cache_store;
pub mod compare;
pub mod components;
pub mod confidence;
pub mod cost;
pub mod dns;
pub mod edit;
pub mod envelope;
pub mod error;
pub mod event;
pub mod geo;
pub mod goal;
pub mod histogram;
pub mod hops;
pub mod keys;
pub mod kind;
pub mod limits;
pub mod log;
pub mod migrate;
pub mod parse;
pub mod pricing;
pub mod profile;
pub mod recent;
pub mod replication;
pub mod report;
pub mod request;
pub mod resilience;
pub mod rng;
pub mod scenario;
pub mod series;
pub mod sharding;
pub mod sim;
pub mod snapshot;
pub mod spof;
pub mod stats;
pub mod theory;
pub mod time;
pub mod trace;
pub mod validate;
pub mod ziggurat;

pub use edit::{diff, edited, Edit, EditError, Fault};
pub use error::{Issue, ScenarioError};
pub use hops::Hop;
pub use kind::{LinkRole, NodeKind};
pub use log::{LogEntry, Severity};
pub use report::Report;
pub use request::{Cause, Kind};
pub use scenario::Scenario;
pub use series::{NodePoint, SecondPoint};
pub use sim::{Health, MemoryUse, Outcomes, Progress, Simulation};
pub use snapshot::{LinkLive, NodeLive, RegionLive, Snapshot};
pub use spof::single_points_of_failure;
pub use stats::NodeSummary;
pub use validate::{check_link, warnings};
