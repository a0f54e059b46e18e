//! Plain building materials with no idea of a web system: simulated time, seeded random streams,
//! "did you mean", the accepted ranges, a latency histogram, shared sorts.
//!
//! Imports nothing from the crate outside this folder.

pub mod histogram;
pub mod limits;
pub mod order;
pub mod prefetch;
pub mod rng;
pub mod suggest;
pub mod time;
pub mod ziggurat;
