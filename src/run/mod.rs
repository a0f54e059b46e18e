//! Stepping runs against the wall clock: the frame loop and page clock, the
//! live run's time budget, the engine's worker for the runs that go on off
//! the page's thread (the resilience report, lesson trials, A/B comparisons),
//! and the functions exported to JavaScript. No views.

pub mod bindings;
pub mod frame_loop;
pub mod live_run;
pub mod worker;
