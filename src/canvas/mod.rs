//! The moving dots drawn on the diagram's canvas: pure geometry and sampling,
//! one `draw`. Knows nothing of the editor or the page.

pub mod particles;
pub mod raster;
pub mod sampling;
