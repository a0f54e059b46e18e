//! Helpers that know nothing of the app: number formatting, the address's
//! options, how the user last acted (pointer or key), the starter design.
//! Nothing here imports from another folder of the crate.

pub mod builtin;
pub mod format;
pub mod input;
pub mod page;
