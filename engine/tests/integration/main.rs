//! The engine's integration tests, in one binary (one link step, shared helpers).
//! Run them in release mode: `cargo test --release -p scalelab-engine`.

mod cli;
mod edits;
mod invalid;
mod invariants;
mod queueing;
mod support;
