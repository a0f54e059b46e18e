//! Stepping runs against the wall clock: the frame loop and page clock, the
//! live run's time budget, the background runs (lesson trials, A/B pairs),
//! the engine's worker for jobs that run off the page's thread, and the
//! functions exported to JavaScript. No views.

pub mod bindings;
pub mod compare_run;
pub mod frame_loop;
pub mod runner;
pub mod worker;
