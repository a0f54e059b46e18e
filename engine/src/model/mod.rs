//! What a user writes: the scenario and its parts (the kind table, goals, faults), reading it from
//! JSON with a message per problem, older formats, whole-design checks, and what a design costs and
//! where it has single points of failure.
//!
//! Never imports run-time code (`metrics`, `components`, `kernel`, `analysis`).

pub mod cost;
pub mod error;
pub mod fault;
pub mod fields;
pub mod goal;
pub mod kinds;
pub mod migrate;
pub mod parse;
pub mod scenario;
pub mod spof;
pub mod validate;
