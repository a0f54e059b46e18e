//! The queueing formulas the engine is checked against live in the engine
//! (`scalelab_engine::theory`, where the inspector uses them too).

pub use scalelab_engine::theory::*;
