//! The dots as pixels: a canvas-sized RGBA buffer that Rust stamps each dot
//! into, put on the `<canvas>` with one `putImageData` a frame.
//!
//! Each dot is a precomputed anti-aliased disc ([`Stamps`]): coverage masks
//! of the current radius in canvas pixels, one per quarter-pixel offset of
//! the centre in x and in y (16 masks), so dots move in quarter pixels
//! instead of jumping a whole pixel. A pixel's coverage is the analytic
//! `clamp(r + 0.5 - d, 0, 1)` of its centre's distance `d` to the dot's
//! centre. The colour is the palette's, in the page's theme.
//!
//! `putImageData` replaces pixels (no blending), and `ImageData` holds
//! colours *not* premultiplied by alpha. So the buffer is transparent (all
//! zero) where there is no dot, letting the diagram under the canvas show
//! through, and a dot stamped over another is composited here, source-over
//! in straight alpha, as `fill` would have drawn it.
//!
//! **Dirty rectangle.** Each frame clears only the rectangle the last frame's
//! dots touched, stamps the new dots, and returns the rectangle to put: the
//! union of the last frame's and this frame's (the canvas must lose the old
//! dots too), or `None` when neither frame drew anything. Pure: no web-sys,
//! tested natively; `Particles::draw` is the one caller that touches the page.

use crate::canvas::particles::{Colour, COLOURS};

/// Offsets of a dot's centre within a pixel, per axis (quarter pixels).
const PHASES: usize = 4;

/// A rectangle of canvas pixels, `[x0, x1) × [y0, y1)`, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Rect {
    fn union(self, o: Rect) -> Rect {
        Rect { x0: self.x0.min(o.x0), y0: self.y0.min(o.y0), x1: self.x1.max(o.x1), y1: self.y1.max(o.y1) }
    }

    pub fn width(self) -> usize {
        self.x1 - self.x0
    }

    pub fn height(self) -> usize {
        self.y1 - self.y0
    }
}

fn union(a: Option<Rect>, b: Option<Rect>) -> Option<Rect> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, b) => a.or(b),
    }
}

/// One pixel from its four bytes in memory order (R, G, B, A: `ImageData`'s).
#[inline]
pub fn pack([r, g, b, a]: [u8; 4]) -> u32 {
    u32::from_ne_bytes([r, g, b, a])
}

/// The four bytes of a pixel in memory order (R, G, B, A).
#[inline]
pub fn unpack(p: u32) -> [u8; 4] {
    p.to_ne_bytes()
}

/// `#rrggbb` as bytes (black for anything else: the palettes are constants,
/// checked by a test).
pub fn rgb(hex: &str) -> [u8; 3] {
    let h = hex.strip_prefix('#').unwrap_or(hex);
    let byte = |i: usize| h.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok()).unwrap_or(0);
    if h.len() != 6 {
        return [0, 0, 0];
    }
    [byte(0), byte(2), byte(4)]
}

/// Source-over of a straight-alpha colour `(c, a)` onto the straight-alpha
/// pixel `dst`.
#[inline]
fn over(c: [u8; 3], a: u8, dst: u32) -> u32 {
    let d = unpack(dst);
    let da = d[3] as u32;
    if a == 255 || da == 0 {
        return pack([c[0], c[1], c[2], a]);
    }
    let sa = a as u32;
    // Both in 0..=255²: out_a² = sa·255 + da·(255 - sa).
    let out = sa * 255 + da * (255 - sa);
    let ch = |s: u8, d: u8| ((s as u32 * sa * 255 + d as u32 * da * (255 - sa) + out / 2) / out) as u8;
    pack([ch(c[0], d[0]), ch(c[1], d[1]), ch(c[2], d[2]), ((out + 127) / 255) as u8])
}

/// Coverage masks of one disc radius, and the palette they are drawn in.
#[derive(Debug, Default)]
pub struct Stamps {
    /// Radius in canvas pixels the masks were made for.
    radius: f64,
    dark: bool,
    /// Side of each square mask, in pixels.
    side: usize,
    /// Pixels from a mask's top-left corner to the pixel holding the centre.
    half: usize,
    /// `PHASES²` masks of `side²` coverages (0..=255), index `fy * PHASES + fx`.
    masks: Vec<u8>,
    colours: [[u8; 3]; COLOURS],
}

impl Stamps {
    /// Makes the masks again if the radius or the theme changed.
    pub fn prepare(&mut self, radius: f64, dark: bool) {
        let radius = if radius.is_finite() { radius.clamp(0.5, 64.0) } else { 0.5 };
        if !self.masks.is_empty() && self.radius == radius && self.dark == dark {
            return;
        }
        self.radius = radius;
        self.dark = dark;
        self.colours = std::array::from_fn(|i| rgb(Colour::ALL[i].css(dark)));
        // The centre lies in [half, half + 3/4] of the mask; pixels whose centre
        // is within radius + 0.5 of it get some coverage.
        let half = (radius + 1.0).ceil() as usize;
        let side = 2 * half + 1;
        self.half = half;
        self.side = side;
        self.masks.clear();
        self.masks.reserve(PHASES * PHASES * side * side);
        for fy in 0..PHASES {
            for fx in 0..PHASES {
                let cx = half as f64 + fx as f64 / PHASES as f64;
                let cy = half as f64 + fy as f64 / PHASES as f64;
                for j in 0..side {
                    for i in 0..side {
                        let d = ((i as f64 + 0.5 - cx).powi(2) + (j as f64 + 0.5 - cy).powi(2)).sqrt();
                        let cover = (radius + 0.5 - d).clamp(0.0, 1.0);
                        self.masks.push((cover * 255.0 + 0.5) as u8);
                    }
                }
            }
        }
    }

    /// The radius the masks are for.
    pub fn radius(&self) -> f64 {
        self.radius
    }
}

/// The canvas's pixels, the dots' masks, and which pixels are not blank.
#[derive(Debug, Default)]
pub struct Raster {
    width: usize,
    height: usize,
    pixels: Vec<u32>,
    stamps: Stamps,
    /// Pixels touched since [`Raster::begin`].
    drawn: Option<Rect>,
    /// Pixels the last frame left non-blank (in the buffer and on the canvas).
    last: Option<Rect>,
}

impl Raster {
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row after row, `width` a row.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// The pixels as `ImageData` bytes (R, G, B, A per pixel).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: u32 has no padding and a stricter alignment than u8; the
        // slice covers exactly the vector's initialised elements and borrows it.
        unsafe { std::slice::from_raw_parts(self.pixels.as_ptr().cast::<u8>(), self.pixels.len() * 4) }
    }

    /// Starts a frame on a canvas of `width × height` pixels, with dots of
    /// `radius` canvas pixels in the light or dark palette: clears what the
    /// last frame drew (a new size starts from a blank buffer, as resizing a
    /// canvas blanks it).
    pub fn begin(&mut self, width: usize, height: usize, radius: f64, dark: bool) {
        if width != self.width || height != self.height {
            self.pixels = Vec::new();
            // A canvas too large to hold (memory refused) draws no dots
            // rather than aborting the page.
            let n = width.checked_mul(height).filter(|&n| self.pixels.try_reserve_exact(n).is_ok());
            let (width, height) = if n.is_some() { (width, height) } else { (0, 0) };
            self.pixels.resize(width * height, 0);
            self.width = width;
            self.height = height;
            self.last = None;
        } else if let Some(r) = union(self.last, self.drawn) {
            // (What a frame begun and never finished drew is cleared too.)
            for y in r.y0..r.y1 {
                self.pixels[y * width + r.x0..y * width + r.x1].fill(0);
            }
        }
        self.drawn = None;
        self.stamps.prepare(radius, dark);
    }

    /// Stamps one dot centred at `(cx, cy)` canvas pixels, clipped to the
    /// canvas (a dot wholly outside, or at a non-finite place, draws nothing).
    pub fn stamp(&mut self, cx: f64, cy: f64, colour: Colour) {
        let s = &self.stamps;
        // Beyond radius + 0.5 of every pixel centre, nothing shows. Written so
        // that NaN is refused too; keeps the casts below in range.
        let reach = s.radius + 0.5;
        if !(cx > -reach && cy > -reach && cx < self.width as f64 + reach && cy < self.height as f64 + reach) {
            return;
        }
        // The centre to the nearest quarter pixel.
        let (qx, qy) = ((cx * PHASES as f64).round() as i64, (cy * PHASES as f64).round() as i64);
        let p = PHASES as i64;
        let (fx, fy) = (qx.rem_euclid(p) as usize, qy.rem_euclid(p) as usize);
        let (left, top) = (qx.div_euclid(p) - s.half as i64, qy.div_euclid(p) - s.half as i64);
        // The mask's part inside the canvas, in mask coordinates.
        let i0 = (-left).max(0) as usize;
        let j0 = (-top).max(0) as usize;
        let i1 = (self.width as i64 - left).clamp(0, s.side as i64) as usize;
        let j1 = (self.height as i64 - top).clamp(0, s.side as i64) as usize;
        if i0 >= i1 || j0 >= j1 {
            return;
        }
        let mask = &s.masks[(fy * PHASES + fx) * s.side * s.side..][..s.side * s.side];
        let c = s.colours[colour as usize];
        let x0 = (left + i0 as i64) as usize;
        let y0 = (top + j0 as i64) as usize;
        let n = i1 - i0;
        for j in j0..j1 {
            let at = (y0 + j - j0) * self.width + x0;
            let row = &mut self.pixels[at..at + n];
            for (px, &a) in row.iter_mut().zip(&mask[j * s.side + i0..j * s.side + i1]) {
                if a != 0 {
                    *px = over(c, a, *px);
                }
            }
        }
        let r = Rect { x0, y0, x1: x0 + n, y1: y0 + (j1 - j0) };
        self.drawn = union(self.drawn, Some(r));
    }

    /// Ends the frame: the rectangle to put on the canvas (where the last
    /// frame or this one drew), or `None` if both were blank.
    pub fn finish(&mut self) -> Option<Rect> {
        let put = union(self.last, self.drawn);
        self.last = self.drawn.take();
        put
    }

    /// Pixels this frame has touched so far.
    pub fn drawn(&self) -> Option<Rect> {
        self.drawn
    }

    /// The radius the dots are stamped with.
    pub fn radius(&self) -> f64 {
        self.stamps.radius()
    }

    /// The pixel at `(x, y)`.
    pub fn at(&self, x: usize, y: usize) -> [u8; 4] {
        unpack(self.pixels[y * self.width + x])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::particles::{DARK, LIGHT};

    fn raster(w: usize, h: usize, r: f64) -> Raster {
        let mut ras = Raster::default();
        ras.begin(w, h, r, false);
        ras
    }

    /// Sum of alpha over the buffer, in whole pixels.
    fn area(ras: &Raster) -> f64 {
        ras.pixels().iter().map(|&p| unpack(p)[3] as f64 / 255.0).sum()
    }

    fn blank(ras: &Raster) -> bool {
        ras.pixels().iter().all(|&p| p == 0)
    }

    #[test]
    fn the_palettes_parse() {
        assert_eq!(rgb("#2f6fde"), [0x2f, 0x6f, 0xde]);
        assert_eq!(rgb("nonsense"), [0, 0, 0]);
        for hex in LIGHT.iter().chain(DARK.iter()) {
            let c = rgb(hex);
            assert_eq!(format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]), *hex);
        }
    }

    #[test]
    fn a_dot_is_a_round_anti_aliased_disc_in_its_colour() {
        let mut ras = raster(40, 40, 3.0);
        ras.stamp(20.5, 20.5, Colour::Read);
        let [r, g, b] = rgb(LIGHT[0]);
        // The centre and the pixels within the radius are opaque, in the colour.
        assert_eq!(ras.at(20, 20), [r, g, b, 255]);
        assert_eq!(ras.at(22, 20), [r, g, b, 255]);
        assert_eq!(ras.at(20, 18), [r, g, b, 255]);
        // On the rim (distance 3 = r): half covered. Beyond r + 0.5: nothing.
        assert_eq!(ras.at(23, 20), [r, g, b, 128]);
        assert_eq!(ras.at(20, 17), [r, g, b, 128]);
        assert_eq!(ras.at(24, 20), [0; 4]);
        assert_eq!(ras.at(23, 23), [0; 4], "the square's corner is not drawn: d = 4.2");
        // Round: the same in all four directions, and the area of the disc.
        for (dx, dy) in [(1i32, 2i32), (2, 2), (3, 1)] {
            let a = |x: i32, y: i32| ras.at((20 + x) as usize, (20 + y) as usize)[3];
            let v = a(dx, dy);
            assert!(v > 0);
            assert_eq!([a(-dx, dy), a(dx, -dy), a(-dx, -dy), a(dy, dx)], [v; 4], "({dx}, {dy})");
        }
        let want = std::f64::consts::PI * 9.0;
        assert!((area(&ras) - want).abs() < 0.03 * want, "area {} vs {want}", area(&ras));
        assert_eq!(ras.drawn(), Some(Rect { x0: 16, y0: 16, x1: 25, y1: 25 }));
    }

    #[test]
    fn a_dot_moves_in_quarter_pixels() {
        let mut ras = raster(40, 40, 3.0);
        ras.stamp(20.5, 20.5, Colour::Read);
        let left = |ras: &Raster| ras.at(17, 20)[3];
        let right = |ras: &Raster| ras.at(23, 20)[3];
        assert_eq!(left(&ras), right(&ras));
        ras.begin(40, 40, 3.0, false);
        assert!(blank(&ras));
        ras.stamp(20.75, 20.5, Colour::Read);
        assert!(right(&ras) > left(&ras), "a quarter pixel to the right shows");
        let want = std::f64::consts::PI * 9.0;
        assert!((area(&ras) - want).abs() < 0.03 * want);
    }

    #[test]
    fn the_dark_palette_and_a_larger_radius_remake_the_masks() {
        let mut ras = Raster::default();
        ras.begin(60, 60, 6.0, true);
        ras.stamp(30.5, 30.5, Colour::Failed);
        let [r, g, b] = rgb(DARK[4]);
        assert_eq!(ras.at(30, 30), [r, g, b, 255]);
        assert_eq!(ras.at(36, 30), [r, g, b, 128]);
        let want = std::f64::consts::PI * 36.0;
        assert!((area(&ras) - want).abs() < 0.02 * want);
        assert_eq!(ras.radius(), 6.0);
    }

    #[test]
    fn dots_at_the_edges_are_clipped_and_dots_outside_are_culled() {
        let mut ras = raster(30, 20, 3.0);
        // Centre on the top-left corner: a quarter of the disc.
        ras.stamp(0.0, 0.0, Colour::Job);
        let quarter = area(&ras);
        let want = std::f64::consts::PI * 9.0 / 4.0;
        assert!((quarter - want).abs() < 0.1 * want, "{quarter} vs {want}");
        assert_eq!(ras.drawn(), Some(Rect { x0: 0, y0: 0, x1: 5, y1: 5 }));
        // Bottom-right corner: likewise, and nothing written past the buffer.
        ras.stamp(30.0, 20.0, Colour::Job);
        assert!((area(&ras) - 2.0 * quarter).abs() < 0.05);
        assert_eq!(ras.drawn(), Some(Rect { x0: 0, y0: 0, x1: 30, y1: 20 }));
        // Outside, or nowhere: nothing at all.
        let mut ras = raster(30, 20, 3.0);
        for (x, y) in [(-4.0, 5.0), (34.0, 5.0), (5.0, -4.0), (5.0, 24.0), (f64::NAN, 5.0), (5.0, f64::INFINITY)] {
            ras.stamp(x, y, Colour::Read);
        }
        ras.stamp(-1e300, 1e300, Colour::Read);
        assert!(blank(&ras));
        assert_eq!(ras.drawn(), None);
        assert_eq!(ras.finish(), None);
        // Just inside by half a pixel: the rim shows.
        ras.begin(30, 20, 3.0, false);
        ras.stamp(-2.5, 10.5, Colour::Read);
        assert_eq!(ras.at(0, 10)[3], 128);
        assert_eq!(ras.at(1, 10)[3], 0);
        assert_eq!(ras.drawn(), Some(Rect { x0: 0, y0: 6, x1: 2, y1: 15 }));
    }

    #[test]
    fn overlapping_dots_blend_and_the_rest_stays_transparent() {
        let mut ras = raster(40, 40, 3.0);
        ras.stamp(20.5, 20.5, Colour::Read);
        let rim = ras.at(23, 20);
        ras.stamp(26.5, 20.5, Colour::Write);
        // The later dot's centre is its own colour; the first dot's rim, where the
        // second dot's rim lies too, is more opaque than either alone and a
        // mix of the two colours.
        let [wr, wg, wb] = rgb(LIGHT[1]);
        assert_eq!(ras.at(26, 20), [wr, wg, wb, 255]);
        let mixed = ras.at(23, 20);
        assert_eq!(rim[3], 128);
        assert_eq!(mixed[3], 192, "128 over 128: 1 - (1 - 128/255)², of 255");
        let read = rgb(LIGHT[0]);
        for k in 0..3 {
            let (lo, hi) = (read[k].min(ras.at(26, 20)[k]), read[k].max(ras.at(26, 20)[k]));
            assert!((lo..=hi).contains(&mixed[k]) && mixed[k] != read[k], "{mixed:?}");
        }
        // An opaque pixel stays opaque under a rim drawn over it, tinted.
        let before = ras.at(20, 20);
        ras.stamp(17.5, 20.5, Colour::Static);
        assert_eq!(ras.at(20, 20)[3], 255);
        assert_ne!(ras.at(20, 20), before);
        // Everything away from the dots is fully transparent (0, 0, 0, 0).
        assert_eq!(ras.at(5, 5), [0; 4]);
        assert_eq!(ras.at(20, 30), [0; 4]);
    }

    #[test]
    fn each_frame_clears_what_the_last_drew_and_puts_both() {
        let mut ras = raster(100, 100, 3.0);
        ras.stamp(10.5, 10.5, Colour::Read);
        let first = ras.finish().unwrap();
        assert_eq!(first, Rect { x0: 6, y0: 6, x1: 15, y1: 15 });

        // The dot moved: the old place is blank in the buffer, and the put
        // covers both places so the canvas loses the old dot.
        ras.begin(100, 100, 3.0, false);
        assert!(blank(&ras));
        ras.stamp(60.5, 80.5, Colour::Read);
        assert_eq!(ras.finish(), Some(Rect { x0: 6, y0: 6, x1: 65, y1: 85 }));
        assert_eq!(ras.at(10, 10), [0; 4]);
        assert!(ras.at(60, 80)[3] == 255);

        // No dots: the last place is cleared and put once, then nothing.
        ras.begin(100, 100, 3.0, false);
        assert_eq!(ras.finish(), Some(Rect { x0: 56, y0: 76, x1: 65, y1: 85 }));
        assert!(blank(&ras));
        ras.begin(100, 100, 3.0, false);
        assert_eq!(ras.finish(), None);

        // A new size starts blank with nothing to clear on the canvas.
        ras.begin(100, 100, 3.0, false);
        ras.stamp(50.0, 50.0, Colour::Read);
        ras.finish();
        ras.begin(80, 60, 3.0, false);
        assert!(blank(&ras));
        assert_eq!(ras.pixels().len(), 80 * 60);
        assert_eq!(ras.bytes().len(), 80 * 60 * 4);
        assert_eq!(ras.finish(), None);

        // A size no memory can hold: no buffer, no dots, no abort.
        for (w, h) in [(usize::MAX / 2, 3), (usize::MAX / 4, 1)] {
            ras.begin(w, h, 3.0, false);
            ras.stamp(5.0, 0.5, Colour::Read);
            assert_eq!((ras.width(), ras.height(), ras.pixels().len()), (0, 0, 0));
            assert_eq!(ras.finish(), None);
        }
    }

    #[test]
    fn bytes_are_image_data_order() {
        let mut ras = raster(3, 1, 3.0);
        ras.stamp(1.5, 0.5, Colour::Static);
        let [r, g, b] = rgb(LIGHT[2]);
        assert_eq!(&ras.bytes()[4..8], &[r, g, b, 255]);
    }
}
