//! The page itself: the app that sets up every context and lays out the
//! toolbar, diagram, drawer and dashboard; the drawer and menus; the
//! animation glue; embedding in a host page; the fuzzer. Nothing imports it.

pub mod animation;
pub mod app;
pub mod drawer;
pub mod embed;
pub mod fuzz;
pub mod menu;
