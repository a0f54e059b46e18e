//! The context types the panels share: signals and plain data, no views.
//! Imports only from `base`.

pub mod layout;
