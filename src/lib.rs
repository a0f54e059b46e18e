//! Scale Lab in the browser: a thin Leptos UI over `scalelab-engine`.
//!
//! The UI holds no simulation logic. It owns one [`scalelab_engine::Simulation`]
//! outside the reactive graph, steps it from an animation frame loop, and
//! publishes a few snapshots a second to signals that the page reads.

pub mod animation;
pub mod app;
pub mod bindings;
pub mod breakdown_panel;
pub mod builtin;
pub mod charts;
pub mod compare_panel;
pub mod compare_run;
pub mod compare_view;
pub mod crash;
pub mod dashboard;
pub mod drawer;
pub mod editor;
pub mod embed;
pub mod envelope_panel;
pub mod format;
pub mod frame_loop;
pub mod fuzz;
pub mod input;
pub mod keeping;
pub mod layout;
pub mod lesson_panel;
pub mod lessons;
pub mod markdown;
pub mod menu;
pub mod page;
pub mod particles;
pub mod progress;
pub mod resilience_panel;
pub mod runner;
pub mod storage;
pub mod trace_panel;
pub mod trial;

/// Mounts the app on `<body>`, then starts fuzzing if the address asks
/// for it (`?fuzz=SEED`, see [`fuzz`]).
pub fn mount() {
    // The loading notice in index.html gave the first paint; the app replaces it.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    leptos::mount::mount_to_body(app::App);
    fuzz::start_if_asked();
}
