//! Runs and the wall clock: the frame loop and page clock, the page's end of
//! the live run, and the engine's worker, where every run goes on off the
//! page's thread (the live run, the resilience report, lesson trials, A/B
//! comparisons). No views.

pub mod frame_loop;
pub mod live_run;
#[cfg(not(target_arch = "wasm32"))]
pub mod loopback;
pub mod worker;
