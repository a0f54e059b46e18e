//! Scale Lab in the browser: a thin Leptos UI over `scalelab-engine`.
//!
//! The UI holds no simulation logic. It owns one [`scalelab_engine::Simulation`]
//! outside the reactive graph, steps it from an animation frame loop, and
//! publishes a few snapshots a second to signals that the page reads.
//!
//! The modules are layers, one folder each, from the bottom up: `base`,
//! `state`, `lessons`, `run`, `canvas`, `editor`, `keeping`, `panels`,
//! `shell`. A module imports only from its own folder or the folders below
//! it (ARCHITECTURE.md; the test `layers` in xtask keeps it so).

pub mod base;
pub mod canvas;
pub mod editor;
pub mod keeping;
pub mod lessons;
pub mod panels;
pub mod run;
pub mod shell;
pub mod state;

/// Mounts the app on `<body>`, then starts fuzzing if the address asks
/// for it (`?fuzz=SEED`, see [`shell::fuzz`]).
pub fn mount() {
    // The loading notice in index.html gave the first paint; the app replaces it.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    leptos::mount::mount_to_body(shell::app::App);
    shell::fuzz::start_if_asked();
}
