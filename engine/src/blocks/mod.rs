//! Mechanisms a component is made of, each usable alone: key popularity, traffic profiles, a
//! cache's store, consistent hashing, autoscaling control, alert rules, regions and prices,
//! replication logs, DNS resolvers, rate limits, retry backoff and budgets, circuit breakers, connection pools, a balancer's rotation, the future-event list and the request arena.
//!
//! Imports only `base` and this folder: a block knows nothing of scenarios or of the simulation.

pub mod alerts;
pub mod autoscale;
pub mod breaker;
pub mod cache_store;
pub mod dns;
pub mod event;
pub mod geo;
pub mod keys;
pub mod limiter;
pub mod pool;
pub mod pricing;
pub mod profile;
pub mod replication;
pub mod request;
pub mod retry;
pub mod rotation;
pub mod sharding;
