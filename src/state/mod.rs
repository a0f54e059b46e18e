//! The context types the panels share: signals and plain data, no views.
//! Imports only from `base`.

pub mod drawer;
pub mod layout;
pub mod live;
pub mod tools;

pub use drawer::{Drawer, Tab};
pub use layout::Layout;
pub use live::Live;
pub use tools::{OpenTool, Tool};
