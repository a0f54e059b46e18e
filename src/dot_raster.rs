//! The animation's dots drawn into an RGBA pixel buffer in Rust, handed to the
//! canvas with one `putImageData` a frame.
//!
//! Why pixels and not canvas paths: the browser fills a path of 10,000 small
//! circles in about 40 ms without a GPU (headless Chromium, measured), squares
//! in 14 ms, while stamping a precomputed antialiased disc into a buffer and
//! copying the buffer takes about 2 ms. The cost now follows the canvas size,
//! and the calls into the browser stay two per frame whatever the number of
//! dots.
//!
//! Pure: the page copies [`Raster::rows`] into an `ImageData`; the tests read
//! the pixels directly.

/// A transparent RGBA buffer (not premultiplied, as `ImageData` wants) with
/// dots stamped into it.
#[derive(Debug, Default)]
pub struct Raster {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
    /// Coverage (0–255) of a disc of radius `mask_radius`, `mask_size` square,
    /// centred on the middle of its centre pixel.
    mask: Vec<u8>,
    mask_size: usize,
    mask_radius: f64,
    /// Rows drawn into since the last clear: `first..end` (empty when first >= end).
    dirty: (usize, usize),
    /// Rows that changed since the last frame (cleared or drawn), the ones
    /// the page must copy to the canvas.
    changed: (usize, usize),
}

impl Raster {
    pub fn new() -> Raster {
        Raster::default()
    }

    /// Starts a frame of `width` × `height` device pixels with dots of
    /// `radius` pixels: clears what the previous frame drew (everything when
    /// the size changed).
    pub fn start(&mut self, width: usize, height: usize, radius: f64) {
        if width != self.width || height != self.height {
            self.width = width;
            self.height = height;
            self.pixels.clear();
            self.pixels.resize(width * height * 4, 0);
            self.changed = (0, height);
        } else {
            let (a, b) = self.dirty;
            if a < b {
                self.pixels[a * width * 4..b * width * 4].fill(0);
            }
            self.changed = (a, b);
        }
        self.dirty = (height, 0);
        if radius != self.mask_radius {
            self.build_mask(radius);
        }
    }

    fn build_mask(&mut self, radius: f64) {
        let r = if radius.is_finite() { radius.clamp(0.5, 64.0) } else { 0.5 };
        let half = r.ceil() as usize + 1;
        let size = 2 * half + 1;
        // Coverage by 4 × 4 samples per pixel: smooth edges without a square look.
        const S: usize = 4;
        self.mask = (0..size * size)
            .map(|i| {
                let (px, py) = ((i % size) as f64 - half as f64, (i / size) as f64 - half as f64);
                let mut inside = 0;
                for sy in 0..S {
                    for sx in 0..S {
                        let x = px - 0.5 + (sx as f64 + 0.5) / S as f64;
                        let y = py - 0.5 + (sy as f64 + 0.5) / S as f64;
                        if x * x + y * y <= r * r {
                            inside += 1;
                        }
                    }
                }
                (inside * 255 / (S * S)) as u8
            })
            .collect();
        self.mask_size = size;
        self.mask_radius = radius;
    }

    /// Stamps a disc of colour `rgb` centred on (`cx`, `cy`) (canvas
    /// coordinates: pixel `i` spans `i..i + 1`, its middle is `i + 0.5`, as a
    /// canvas path sees it). The disc is centred on the middle of the pixel
    /// that holds (`cx`, `cy`), so it is off by half a pixel at most, like a
    /// path's antialiasing. Where dots overlap, the more opaque one shows.
    /// Anything outside the buffer (or not a number) is clipped.
    pub fn dot(&mut self, cx: f64, cy: f64, rgb: [u8; 3]) {
        if !(cx.is_finite() && cy.is_finite()) || self.width == 0 {
            return;
        }
        let half = (self.mask_size / 2) as i64;
        // The mask is centred on the middle of its centre pixel, so that pixel
        // is the one holding the centre: floor, not round. (Rounding drew every
        // dot half a pixel right of and below its wire on average, up to a
        // whole pixel: a dot on a node's edge then covered pixels inside the
        // node's box, where a click selects the node.)
        let (x0, y0) = (cx.floor() as i64 - half, cy.floor() as i64 - half);
        let size = self.mask_size as i64;
        let (w, h) = (self.width as i64, self.height as i64);
        let (ya, yb) = (y0.max(0), (y0 + size).min(h));
        let (xa, xb) = (x0.max(0), (x0 + size).min(w));
        if ya >= yb || xa >= xb {
            return;
        }
        for y in ya..yb {
            let mask_row = ((y - y0) * size) as usize;
            let row = (y * w) as usize;
            for x in xa..xb {
                let a = self.mask[mask_row + (x - x0) as usize];
                let o = (row + x as usize) * 4;
                if a > self.pixels[o + 3] {
                    self.pixels[o..o + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], a]);
                }
            }
        }
        self.dirty = (self.dirty.0.min(ya as usize), self.dirty.1.max(yb as usize));
    }

    /// The rows to copy to the canvas this frame, as (first row, RGBA bytes of
    /// whole rows): those drawn now and those the previous frame drew.
    pub fn rows(&self) -> (usize, &[u8]) {
        let first = self.changed.0.min(self.dirty.0);
        let end = self.changed.1.max(self.dirty.1).min(self.height);
        if first >= end {
            return (0, &[]);
        }
        (first, &self.pixels[first * self.width * 4..end * self.width * 4])
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// The RGBA value of pixel (`x`, `y`).
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 4] {
        let o = (y * self.width + x) * 4;
        [self.pixels[o], self.pixels[o + 1], self.pixels[o + 2], self.pixels[o + 3]]
    }
}

/// `#rrggbb` to its three bytes (black for anything else).
pub fn rgb(css: &str) -> [u8; 3] {
    let hex = css.strip_prefix('#').filter(|h| h.len() == 6);
    let byte = |i: usize| hex.and_then(|h| u8::from_str_radix(&h[i..i + 2], 16).ok()).unwrap_or(0);
    [byte(0), byte(2), byte(4)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dot_is_solid_in_the_middle_soft_at_the_edge_and_empty_outside() {
        let mut r = Raster::new();
        r.start(40, 30, 3.0);
        r.dot(20.0, 10.0, [200, 10, 20]);
        assert_eq!(r.pixel(20, 10), [200, 10, 20, 255]);
        assert_eq!(r.pixel(22, 10)[3], 255);
        let edge = r.pixel(23, 10)[3];
        assert!(edge > 0 && edge < 255, "antialiased edge: {edge}");
        assert_eq!(r.pixel(25, 10)[3], 0);
        assert_eq!(r.pixel(20, 14)[3], 0);
        // Symmetric.
        assert_eq!(r.pixel(17, 10), r.pixel(23, 10));
        assert_eq!(r.pixel(20, 7), r.pixel(20, 13));
    }

    #[test]
    fn a_dot_is_centred_on_the_pixel_that_holds_its_centre() {
        // A dot on a node box's left edge at x = 425.68 (canvas pixels) must
        // be drawn around pixel 425 (425..426), the one the edge crosses, not
        // 426, which lies wholly inside the box.
        let mut r = Raster::new();
        r.start(40, 30, 3.0);
        r.dot(25.68, 10.9, [1, 2, 3]);
        assert_eq!(r.pixel(25, 10), [1, 2, 3, 255]);
        // Symmetric about pixel (25, 10) in both directions.
        for d in 1..=4 {
            assert_eq!(r.pixel(25 - d, 10), r.pixel(25 + d, 10), "x offset {d}");
            assert_eq!(r.pixel(25, 10 - d), r.pixel(25, 10 + d), "y offset {d}");
        }
        // Its middle (25.5, 10.5) is within half a pixel of (25.68, 10.9).
        let mut s = Raster::new();
        s.start(40, 30, 3.0);
        s.dot(25.0, 10.0, [1, 2, 3]);
        s.dot(25.99, 10.99, [4, 5, 6]);
        assert_eq!(s.pixel(25, 10), [1, 2, 3, 255], "both land on pixel (25, 10), the first stays");
        assert_eq!(s.pixel(26, 10)[3], 255);
        assert_eq!(s.pixel(28, 10)[3], s.pixel(22, 10)[3]);
    }

    #[test]
    fn every_row_holding_a_dot_is_copied_every_frame() {
        // So a canvas emptied behind the raster's back (a resize, a clear, a
        // new element) shows every dot again after one frame, never stale ones
        // for longer than that.
        let mut r = Raster::new();
        let positions = [(5.0, 3.0), (30.0, 27.5), (12.0, 14.0), (12.0, 14.0), (39.0, 0.0)];
        r.start(40, 30, 2.0);
        for (i, &(x, y)) in positions.iter().enumerate() {
            r.start(40, 30, 2.0);
            r.dot(x, y, [1, 1, 1]);
            r.dot(positions[(i + 2) % positions.len()].0, 20.0, [1, 1, 1]);
            let (first, bytes) = r.rows();
            let end = first + bytes.len() / (40 * 4);
            for row in 0..30 {
                if (0..40).any(|x| r.pixel(x, row)[3] > 0) {
                    assert!((first..end).contains(&row), "frame {i}: row {row} drawn but not copied ({first}..{end})");
                }
            }
        }
    }

    #[test]
    fn the_next_frame_clears_what_the_last_one_drew_and_copies_only_those_rows() {
        let mut r = Raster::new();
        r.start(40, 30, 2.0);
        assert_eq!(r.rows().1.len(), 40 * 30 * 4, "a new size copies everything once");
        r.start(40, 30, 2.0);
        assert_eq!(r.rows().1.len(), 0, "nothing drawn, nothing to copy");
        r.dot(10.0, 5.0, [1, 2, 3]);
        let (first, bytes) = r.rows();
        assert!(first <= 2 && bytes.len() % (40 * 4) == 0);
        r.start(40, 30, 2.0);
        assert_eq!(r.pixel(10, 5), [0, 0, 0, 0]);
        // The cleared rows are still copied once, so the canvas loses the dot.
        assert!(r.rows().0 <= 5 && !r.rows().1.is_empty());
        r.start(40, 30, 2.0);
        assert!(r.rows().1.is_empty());
    }

    #[test]
    fn dots_at_or_past_the_border_and_nonsense_positions_are_clipped() {
        let mut r = Raster::new();
        r.start(10, 10, 3.0);
        r.dot(0.0, 0.0, [9, 9, 9]);
        r.dot(9.0, 9.0, [9, 9, 9]);
        r.dot(-50.0, 3.0, [9, 9, 9]);
        r.dot(f64::NAN, 3.0, [9, 9, 9]);
        r.dot(3.0, f64::INFINITY, [9, 9, 9]);
        assert_eq!(r.pixel(0, 0)[3], 255);
        assert_eq!(r.pixel(9, 9)[3], 255);
        assert_eq!(r.pixel(5, 5)[3], 0);
        r.start(0, 0, 3.0);
        r.dot(0.0, 0.0, [9, 9, 9]);
        assert!(r.rows().1.is_empty());
    }

    #[test]
    fn where_dots_overlap_the_more_opaque_shows() {
        let mut r = Raster::new();
        r.start(20, 20, 3.0);
        r.dot(10.0, 10.0, [255, 0, 0]);
        r.dot(13.0, 10.0, [0, 0, 255]);
        assert_eq!(r.pixel(10, 10), [255, 0, 0, 255], "the first dot's solid centre stays");
        assert_eq!(r.pixel(13, 10), [0, 0, 255, 255]);
    }

    #[test]
    fn css_colours_to_bytes() {
        assert_eq!(rgb("#2f6fde"), [0x2f, 0x6f, 0xde]);
        assert_eq!(rgb("red"), [0, 0, 0]);
    }
}
