//! The panels around the diagram: the dashboard and its charts, the lesson, gallery,
//! trace, resilience, estimate and comparison panels. They read the page's
//! state from context (`state`) and the editor; none imports the shell.

pub mod breakdown_panel;
pub mod charts;
pub mod compare_panel;
pub mod compare_view;
pub mod dashboard;
pub mod envelope_panel;
pub mod gallery_panel;
pub mod lesson_panel;
pub mod resilience_panel;
pub mod trace_panel;
