//! Sampled requests drawn as dots moving along the wires.
//!
//! The engine follows one request in `sample_every` and logs each wire that
//! request (or its response) crosses as a [`Hop`] with simulated start and end
//! times. [`Particles`] turns those hops into dots on a `<canvas>` laid over the
//! diagram: each dot moves from the wire's start to its end as simulated time
//! goes from `start` to `end`.
//!
//! **Minimum life.** Many hops take far less time than a frame (a 1 ms link at
//! 100x lasts 10 µs of wall time; a zero-latency link lasts nothing), and would
//! never be seen. So a dot's visual progress along its wire is
//!
//! ```text
//! progress = min(sim progress, wall age / MIN_LIFE_MS)
//! ```
//!
//! where wall age is the wall-clock time since the simulation reached the hop's
//! start. That moment falls inside a frame, not at its end: a hop that began a
//! third of the way through a 120 ms frame is already 80 ms old when the frame
//! that drains it draws it first. (Counting age from that first frame made a
//! dot of slow frames live two of them, 240 ms, and a busy machine's screen
//! held 1.6 times the budget.) A dot therefore never crosses its wire in less than [`MIN_LIFE_MS`] of
//! wall time, and a hop slower than that follows simulated time exactly (once the
//! wall term has caught up, a few frames at most). A dot is dropped when its
//! progress reaches 1: the simulation has passed `end` *and* it has been on
//! screen for `MIN_LIFE_MS`. The price is that at high speed a dot can lag behind
//! the simulation by up to `MIN_LIFE_MS`, so the successive hops of one request
//! may overlap on screen; the dots show where requests flow, not a stopwatch.
//! (The alternative, `max`, would make a zero-length hop sit still on its end
//! node instead of travelling its wire.) When the run is paused, pass a
//! `wall_dt_ms` of 0 to freeze every dot where it is.
//!
//! **Budget.** Following every request of a busy design would put hundreds of
//! thousands of dots on screen. [`crate::canvas::sampling::Sampler`] picks
//! which share of the requests the engine follows so that about
//! [`Particles::budget`] dots are on screen, from the wall life of each dot
//! ([`Particles::wall_life_ms`]: known when it arrives, the longer of
//! `MIN_LIFE_MS` and its simulated time at the current speed, both from when
//! the simulation reached its start). As a
//! safety net for the frames before the share has adapted (a jump from 1x to
//! 100x), [`Particles::ingest`] ignores hops once twice the budget is on screen.
//!
//! **Drawing.** Boundary calls per frame do not grow with the dots: Rust
//! stamps each dot, a precomputed anti-aliased disc, into a pixel buffer the
//! size of the canvas ([`crate::canvas::raster`]), and [`Particles::draw`]
//! puts the rectangle that changed with one `putImageData`. (One SVG path
//! of arcs per colour, parsed by the browser into a `Path2D`, cost 12 ms a
//! frame at 10,000 dots.) Everything but [`Particles::draw`] is pure and runs
//! in native tests.
//!
//! Call order each frame: step the simulation, then [`Particles::advance`] with
//! the new simulated time and the frame's wall time, then [`Particles::ingest`]
//! with the drained hops, then [`Particles::draw`]. After a reset or a jump back
//! in simulated time, call [`Particles::clear`].

use crate::canvas::raster::{Raster, Rect};
use scalelab_engine::time::Nanos;
use scalelab_engine::{Hop, Kind};
use std::cell::RefCell;
use wasm_bindgen::Clamped;

/// Shortest wall-clock time a dot takes to cross its wire, in milliseconds.
pub const MIN_LIFE_MS: f64 = 150.0;

/// Dots on screen the sampling aims for, unless the caller changes
/// [`Particles::budget`].
pub const DEFAULT_BUDGET: usize = 2000;

/// Radius of a dot in CSS pixels at 100% zoom and above (zoomed out it
/// shrinks with the diagram, down to half).
pub const DOT_RADIUS_CSS: f64 = 3.0;

/// The radius a dot is drawn with, in CSS pixels, at diagram zoom `scale`.
pub fn drawn_radius_css(scale: f64) -> f64 {
    DOT_RADIUS_CSS * scale.clamp(0.5, 1.0)
}

/// The colours a dot can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Colour {
    Read = 0,
    Write = 1,
    Static = 2,
    Job = 3,
    Failed = 4,
}

/// Number of [`Colour`]s.
pub const COLOURS: usize = 5;

impl Colour {
    pub const ALL: [Colour; COLOURS] = [Colour::Read, Colour::Write, Colour::Static, Colour::Job, Colour::Failed];

    /// The colour of a hop: red when the request has failed, else by kind.
    pub fn of(hop: &Hop) -> Colour {
        if hop.failed {
            return Colour::Failed;
        }
        match hop.kind {
            Kind::Read => Colour::Read,
            Kind::Write => Colour::Write,
            Kind::Static => Colour::Static,
            Kind::Job => Colour::Job,
        }
    }

    /// What the colour means, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            Colour::Read => "read",
            Colour::Write => "write",
            Colour::Static => "static",
            Colour::Job => "job",
            Colour::Failed => "failed",
        }
    }

    /// The CSS colour on a light or a dark page.
    pub fn css(self, dark: bool) -> &'static str {
        if dark {
            DARK[self as usize]
        } else {
            LIGHT[self as usize]
        }
    }
}

/// Read blue, write purple, static teal, job amber, failed red, on the light
/// page (`--bg: #f4f6f9`); blue, amber and red are the page's own `--accent`,
/// `--warm` and `--hot`.
pub const LIGHT: [&str; COLOURS] = ["#2f6fde", "#8a4fd8", "#0f9488", "#d99a1e", "#d64545"];

/// The same hues lightened for the dark page (`--bg: #11141a`).
pub const DARK: [&str; COLOURS] = ["#6b9cff", "#b48cff", "#35c9b8", "#e8b04a", "#ff6b6b"];

/// Maps world coordinates to canvas pixels:
/// `canvas_x = (world_x * scale + tx) * dpr`, likewise for y.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub tx: f64,
    pub ty: f64,
    pub scale: f64,
    /// The canvas's size in CSS pixels (its backing store is `width * dpr`).
    pub width: f64,
    pub height: f64,
    /// `devicePixelRatio`: canvas pixels per CSS pixel.
    pub dpr: f64,
}

impl View {
    /// The canvas's backing store in pixels (as the page sizes it: CSS size
    /// times the ratio, rounded).
    pub fn pixels(self) -> (usize, usize) {
        let px = |css: f64| {
            let v = (css * self.dpr).round();
            if v.is_finite() && v > 0.0 {
                v.min(16_384.0) as usize
            } else {
                0
            }
        };
        (px(self.width), px(self.height))
    }

    /// A dot's radius in canvas pixels.
    pub fn radius(self) -> f64 {
        drawn_radius_css(self.scale) * self.dpr
    }

    #[inline]
    fn to_canvas(self, x: f64, y: f64) -> (f64, f64) {
        ((x * self.scale + self.tx) * self.dpr, (y * self.scale + self.ty) * self.dpr)
    }
}

/// A wire's shape in world coordinates: the cubic Bézier curve the diagram
/// draws (start, two control points, end), so dots ride on the drawn line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wire {
    pub p0: (f64, f64),
    pub c1: (f64, f64),
    pub c2: (f64, f64),
    pub p3: (f64, f64),
}

impl Wire {
    /// A straight wire: control points at the thirds, so the curve is the
    /// segment and `t` moves along it at constant speed.
    pub fn line(a: (f64, f64), b: (f64, f64)) -> Wire {
        let third = |k: f64| (a.0 + (b.0 - a.0) * k, a.1 + (b.1 - a.1) * k);
        Wire { p0: a, c1: third(1.0 / 3.0), c2: third(2.0 / 3.0), p3: b }
    }

    /// The same curve travelled from its end to its start (a response going
    /// back up the wire its request came down).
    pub fn reversed(self) -> Wire {
        Wire { p0: self.p3, c1: self.c2, c2: self.c1, p3: self.p0 }
    }

    /// The point at parameter `t` in [0, 1].
    #[inline]
    pub fn at(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
        (
            a * self.p0.0 + b * self.c1.0 + c * self.c2.0 + d * self.p3.0,
            a * self.p0.1 + b * self.c1.1 + c * self.c2.1 + d * self.p3.1,
        )
    }
}

/// One dot in flight.
#[derive(Clone, Copy, Debug)]
struct Particle {
    wire: Wire,
    start: Nanos,
    end: Nanos,
    /// 1 / (end - start), or 0 for a zero-length hop.
    inv_len: f64,
    /// Wall milliseconds since the simulation reached `start`.
    age_ms: f64,
    colour: Colour,
    /// The request it belongs to (its trace: `Simulation::trace`).
    request: u64,
}

impl Particle {
    /// Visual progress along the wire at `now` (see the module docs), or `None`
    /// before the simulation has reached the hop's start.
    #[inline]
    fn progress(&self, now: Nanos) -> Option<f64> {
        if now < self.start {
            return None;
        }
        let sim = if now >= self.end { 1.0 } else { (now - self.start) as f64 * self.inv_len };
        Some(sim.min(self.age_ms * (1.0 / MIN_LIFE_MS)).clamp(0.0, 1.0))
    }

    #[inline]
    fn finished(&self, now: Nanos) -> bool {
        now >= self.end && self.age_ms >= MIN_LIFE_MS
    }
}

/// The dots on screen and what is needed to draw them.
#[derive(Debug)]
pub struct Particles {
    active: Vec<Particle>,
    /// Dots the sampling rate aims to keep on screen.
    pub budget: usize,
    /// Simulated time at the last `advance`, and at the one before.
    now: Nanos,
    before: Nanos,
    /// Wall milliseconds the last `advance` moved on (0 while paused).
    last_dt_ms: f64,
    /// Simulated nanoseconds per wall millisecond, measured by `advance`.
    speed: f64,
    /// Hops ignored because twice the budget was on screen.
    skipped: u64,
    /// The canvas's pixels, kept between frames (see [`crate::canvas::raster`]).
    raster: RefCell<Raster>,
}

impl Default for Particles {
    fn default() -> Self {
        Self::new()
    }
}

impl Particles {
    pub fn new() -> Self {
        Particles {
            active: Vec::new(),
            budget: DEFAULT_BUDGET,
            now: 0,
            before: 0,
            last_dt_ms: 0.0,
            speed: 1e6,
            skipped: 0,
            raster: RefCell::new(Raster::default()),
        }
    }

    /// Dots currently held (drawn unless outside the view).
    pub fn on_screen(&self) -> usize {
        self.active.len()
    }

    /// Hops ignored so far because twice the budget was already on screen.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Room reserved for dots (it stops growing in a steady stream).
    pub fn capacity(&self) -> usize {
        self.active.capacity()
    }

    /// Most dots held at once; later hops are ignored until some finish.
    pub fn hard_cap(&self) -> usize {
        self.budget.max(1).saturating_mul(2)
    }

    /// Drops every dot (after a reset, or when simulated time jumps back).
    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// How long the dot of `hop`, arriving now, lives, in wall milliseconds
    /// at the current speed from when the simulation reached its start (so
    /// part of it may be past): the longer of [`MIN_LIFE_MS`] and its
    /// simulated time. Frames then see it on screen for that long on
    /// average, however far apart they come.
    pub fn wall_life_ms(&self, hop: &Hop) -> f64 {
        let end = hop.end.max(hop.start);
        let remaining = end - hop.start.max(self.now).min(end);
        (self.age_on_arrival_ms(hop.start) + remaining as f64 / self.speed).max(MIN_LIFE_MS)
    }

    /// Wall milliseconds since the simulation reached `start`, for a hop
    /// drained now: the part of the last frame's wall time after it (a hop
    /// is drained in the frame that reached it, so at most that frame).
    fn age_on_arrival_ms(&self, start: Nanos) -> f64 {
        if self.now <= self.before || start >= self.now {
            return 0.0;
        }
        let after = (self.now - start.max(self.before)) as f64 / (self.now - self.before) as f64;
        after * self.last_dt_ms
    }

    /// Adds one dot per hop. `wire(hop)` gives the curve the hop travels, in
    /// world coordinates and in its direction of travel, or `None` to skip the
    /// hop (a node since removed).
    pub fn ingest(&mut self, hops: &[Hop], wire: &dyn Fn(&Hop) -> Option<Wire>) {
        let cap = self.hard_cap();
        for hop in hops {
            let Some(wire) = wire(hop) else { continue };
            let end = hop.end.max(hop.start);
            if self.active.len() >= cap {
                self.skipped += 1;
                continue;
            }
            let len = end - hop.start;
            self.active.push(Particle {
                wire,
                start: hop.start,
                end,
                inv_len: if len == 0 { 0.0 } else { 1.0 / len as f64 },
                age_ms: self.age_on_arrival_ms(hop.start),
                colour: Colour::of(hop),
                request: hop.request,
            });
        }
    }

    /// Moves time on: simulated time is now `now_ns`, and `wall_dt_ms` of wall
    /// time has passed since the last call (0 while paused). Drops the dots
    /// that have finished.
    pub fn advance(&mut self, now_ns: Nanos, wall_dt_ms: f64) {
        let dt = if wall_dt_ms.is_finite() { wall_dt_ms.max(0.0) } else { 0.0 };
        if dt > 0.0 && now_ns > self.now {
            self.speed = (now_ns - self.now) as f64 / dt;
        }
        let before = self.now;
        self.before = before;
        self.now = now_ns;
        self.last_dt_ms = dt;
        let mut i = 0;
        while i < self.active.len() {
            let p = &mut self.active[i];
            if p.start <= before {
                p.age_ms += dt;
            } else if now_ns >= p.start {
                // Reached during this frame: only the part after it.
                p.age_ms += dt * (now_ns - p.start) as f64 / (now_ns - before) as f64;
            }
            if p.finished(now_ns) {
                self.active.swap_remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// The request of the dot nearest to the world point `(x, y)`, if one is
    /// drawn within `within` world units of it (a click on a dot).
    pub fn request_near(&self, x: f64, y: f64, within: f64) -> Option<u64> {
        self.active
            .iter()
            .filter_map(|p| {
                let (px, py) = p.wire.at(p.progress(self.now)?);
                let d2 = (px - x).powi(2) + (py - y).powi(2);
                (d2 <= within * within).then_some((d2, p.request))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, r)| r)
    }

    /// The dots of the frame at `now_ns` that the view shows: centre in
    /// canvas pixels and colour. A dot is kept while its disc of radius
    /// [`View::radius`] may touch the canvas.
    pub fn dots(&self, now_ns: Nanos, view: View) -> impl Iterator<Item = (f64, f64, Colour)> + '_ {
        let r = view.radius();
        let (max_x, max_y) = (view.width * view.dpr + r, view.height * view.dpr + r);
        self.active.iter().filter_map(move |p| {
            let (wx, wy) = p.wire.at(p.progress(now_ns)?);
            let (cx, cy) = view.to_canvas(wx, wy);
            // Written so that NaN is culled too.
            (cx >= -r && cx <= max_x && cy >= -r && cy <= max_y).then_some((cx, cy, p.colour))
        })
    }

    /// Stamps the frame's dots into `raster` (clearing the last frame's) and
    /// returns the rectangle of canvas pixels to put, if any.
    pub fn render(&self, now_ns: Nanos, view: View, dark: bool, raster: &mut Raster) -> Option<Rect> {
        let (w, h) = view.pixels();
        raster.begin(w, h, view.radius(), dark);
        for (x, y, colour) in self.dots(now_ns, view) {
            raster.stamp(x, y, colour);
        }
        raster.finish()
    }

    /// Draws the frame's dots on the canvas: stamped into a pixel buffer in
    /// Rust, then one `ImageData` over that buffer (a view of wasm memory, no
    /// copy) and one `putImageData` of the rectangle that changed, whatever
    /// the number of dots. `now_ns` is the simulated time of the frame.
    pub fn draw(&self, ctx: &web_sys::CanvasRenderingContext2d, now_ns: Nanos, view: View, dark: bool) {
        let mut raster = self.raster.borrow_mut();
        let Some(put) = self.render(now_ns, view, dark, &mut raster) else { return };
        let (w, h) = (raster.width() as u32, raster.height() as u32);
        let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(raster.bytes()), w, h) else {
            return;
        };
        let _ = ctx.put_image_data_with_dirty_x_and_dirty_y_and_dirty_width_and_dirty_height(
            &image,
            0.0,
            0.0,
            put.x0 as f64,
            put.y0 as f64,
            put.width() as f64,
            put.height() as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::raster;
    use crate::canvas::sampling::tests::Stream;

    const VIEW: View = View { tx: 0.0, ty: 0.0, scale: 1.0, width: 1000.0, height: 1000.0, dpr: 1.0 };

    fn hop(start: Nanos, end: Nanos, kind: Kind, failed: bool) -> Hop {
        Hop { link: 0, from: 0, to: 1, start, end, kind, response: false, failed, request: start }
    }

    /// Wire from (100, 200) to (300, 600) for every hop.
    fn wire(_: &Hop) -> Option<Wire> {
        Some(Wire::line((100.0, 200.0), (300.0, 600.0)))
    }

    /// The centres of the dots drawn at `now` in `view`.
    fn centres(p: &Particles, now: Nanos, view: View) -> Vec<(f64, f64)> {
        p.dots(now, view).map(|(x, y, _)| (x, y)).collect()
    }

    /// Dots drawn per colour.
    fn counts(p: &Particles, now: Nanos, view: View) -> [usize; COLOURS] {
        let mut n = [0; COLOURS];
        p.dots(now, view).for_each(|(_, _, c)| n[c as usize] += 1);
        n
    }

    #[test]
    fn wires_run_from_start_to_end_and_back() {
        let w = Wire { p0: (0.0, 0.0), c1: (50.0, 0.0), c2: (50.0, 100.0), p3: (100.0, 100.0) };
        assert_eq!(w.at(0.0), (0.0, 0.0));
        assert_eq!(w.at(1.0), (100.0, 100.0));
        // The S-curve is symmetric about its middle.
        assert_eq!(w.at(0.5), (50.0, 50.0));
        let r = w.reversed();
        for t in [0.0, 0.2, 0.7, 1.0] {
            let (a, b) = (w.at(t), r.at(1.0 - t));
            assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9);
        }
        // A straight wire is travelled at constant speed.
        let l = Wire::line((10.0, 20.0), (40.0, 80.0));
        let (x, y) = l.at(0.25);
        assert!((x - 17.5).abs() < 1e-9 && (y - 35.0).abs() < 1e-9);
    }

    #[test]
    fn a_click_picks_the_nearest_dot_and_only_a_near_one() {
        let mut p = Particles::new();
        p.advance(0, 0.0);
        p.ingest(&[hop(0, 1000, Kind::Read, false), hop(500, 1500, Kind::Read, false)], &wire);
        // Enough wall time that the dots keep up with simulated time.
        p.advance(750, 10_000.0);
        // At 750 the first dot is three quarters along (250, 500), the second a quarter (150, 300).
        assert_eq!(p.request_near(252.0, 497.0, 8.0), Some(0));
        assert_eq!(p.request_near(150.0, 305.0, 8.0), Some(500));
        assert_eq!(p.request_near(200.0, 400.0, 8.0), None, "between the two, near neither");
    }

    #[test]
    fn a_hop_halfway_through_its_time_is_drawn_halfway_along_its_wire() {
        let mut p = Particles::new();
        p.ingest(&[hop(1_000_000, 3_000_000, Kind::Read, false)], &wire);
        // Simulated time at the middle of the hop, and the wall minimum long past.
        p.advance(2_000_000, 1000.0);
        assert_eq!(counts(&p, 2_000_000, VIEW), [1, 0, 0, 0, 0]);
        assert_eq!(centres(&p, 2_000_000, VIEW), vec![(200.0, 400.0)]);

        // The view transform and the device pixel ratio apply.
        let view = View { tx: 10.0, ty: -20.0, scale: 0.5, dpr: 2.0, ..VIEW };
        let c = centres(&p, 2_000_000, view);
        assert_eq!(c, vec![((200.0 * 0.5 + 10.0) * 2.0, (400.0 * 0.5 - 20.0) * 2.0)]);
        // At half zoom the dot is half size: radius 3 x 0.5 CSS px x 2 device px.
        assert_eq!(view.radius(), 3.0);
        assert_eq!(view.pixels(), (2000, 2000));
    }

    #[test]
    fn a_short_hop_crosses_its_wire_in_the_minimum_wall_time() {
        let mut p = Particles::new();
        // Zero-length hop: simulated progress is 1 at once, the wall term paces it.
        p.advance(5_000, 16.0);
        p.ingest(&[hop(5_000, 5_000, Kind::Write, false)], &wire);
        p.advance(5_000, MIN_LIFE_MS / 4.0);
        assert_eq!(centres(&p, 5_000, VIEW), vec![(150.0, 300.0)]);
        p.advance(10_000, MIN_LIFE_MS / 4.0);
        assert_eq!(centres(&p, 10_000, VIEW), vec![(200.0, 400.0)]);
        p.advance(20_000, MIN_LIFE_MS / 2.0);
        assert_eq!(p.on_screen(), 0, "dropped after its minimum life");
    }

    /// A frame of 120 ms wall moves simulated time from 0 to 120 ms (1x); a
    /// hop that began at 40 ms is 80 ms old when that frame draws it first,
    /// and is gone 150 ms after its start, not 150 ms after that frame.
    #[test]
    fn a_dot_ages_from_when_the_simulation_reached_its_hop() {
        let mut p = Particles::new();
        p.advance(120_000_000, 120.0);
        let short = hop(40_000_000, 40_000_000, Kind::Read, false);
        assert_eq!(p.wall_life_ms(&short), MIN_LIFE_MS);
        p.ingest(&[short], &wire);
        let (x, _) = centres(&p, 120_000_000, VIEW)[0];
        assert!((x - (100.0 + 200.0 * 80.0 / MIN_LIFE_MS)).abs() < 1e-9, "{x}");
        // 70 ms later it has lived its 150 ms.
        p.advance(190_000_000, 70.0);
        assert_eq!(p.on_screen(), 0);

        // A dot held before its hop begins (190 ms) ages only from then: a
        // third of the way into the next frame of 30 ms, so 20 ms by its end.
        p.ingest(&[hop(200_000_000, 200_000_000, Kind::Read, false)], &wire);
        p.advance(220_000_000, 30.0);
        let (x, _) = centres(&p, 220_000_000, VIEW)[0];
        assert!((x - (100.0 + 200.0 * 20.0 / MIN_LIFE_MS)).abs() < 1e-9, "{x}");
        // A long hop (1 s) lives its simulated time from its start.
        assert_eq!(p.wall_life_ms(&hop(200_000_000, 1_200_000_000, Kind::Read, false)), 1000.0);
    }

    #[test]
    fn finished_particles_are_dropped_and_paused_ones_are_kept() {
        let mut p = Particles::new();
        p.ingest(
            &[
                hop(0, 1_000, Kind::Read, false),
                hop(0, 10_000_000_000, Kind::Job, false),
                hop(0, 0, Kind::Static, false),
            ],
            &wire,
        );
        assert_eq!(p.on_screen(), 3);
        // Paused: no wall time passes, nothing moves or goes.
        p.advance(2_000, 0.0);
        assert_eq!(p.on_screen(), 3);
        p.advance(2_000, MIN_LIFE_MS + 1.0);
        assert_eq!(p.on_screen(), 1, "the read and the zero-length static hop are done");
        assert_eq!(counts(&p, 2_000, VIEW), [0, 0, 0, 1, 0]);
        p.advance(10_000_000_000, 16.0);
        assert_eq!(p.on_screen(), 0);
    }

    #[test]
    fn skipped_and_culled() {
        let mut p = Particles::new();
        let none = |_: &Hop| None;
        p.ingest(&[hop(0, 100, Kind::Read, false)], &none);
        assert_eq!(p.on_screen(), 0, "no wire, no dot");

        let far = |_: &Hop| Some(Wire::line((5000.0, 5000.0), (6000.0, 5000.0)));
        p.ingest(&[hop(0, 100, Kind::Read, false)], &far);
        p.ingest(&[hop(0, 100, Kind::Read, false)], &wire);
        let nan = |_: &Hop| Some(Wire::line((f64::NAN, 0.0), (1.0, 1.0)));
        p.ingest(&[hop(0, 100, Kind::Read, false)], &nan);
        assert_eq!(centres(&p, 0, VIEW).len(), 1, "only the dot inside the view is drawn");

        // Past twice the budget, hops are ignored and counted.
        p.budget = 3;
        let hops = vec![hop(0, 100, Kind::Read, false); 10];
        p.ingest(&hops, &wire);
        assert_eq!(p.on_screen(), 6);
        assert_eq!(p.skipped(), 7);
    }

    #[test]
    fn every_dot_is_stamped_into_the_canvas_pixels() {
        let mut p = Particles::new();
        let n = 500;
        let hops: Vec<Hop> = (0..n).map(|i| hop(0, 1_000_000 + i * 1_000, Kind::Static, i % 2 == 0)).collect();
        p.ingest(&hops, &wire);
        p.advance(500_000, 16.0);
        assert_eq!(counts(&p, 500_000, VIEW), [0, 0, n as usize / 2, 0, n as usize / 2]);
        let mut raster = Raster::default();
        let view = View { width: 400.0, height: 300.0, ..VIEW };
        let put = p.render(500_000, view, false, &mut raster).unwrap();
        assert_eq!((raster.width(), raster.height()), (400, 300));
        // Every centre drawn is opaque, in one of the two colours; the put
        // covers them all; pixels far from the wire are transparent.
        let (st, fa) = (raster::rgb(LIGHT[2]), raster::rgb(LIGHT[4]));
        for (x, y, _) in p.dots(500_000, view) {
            let px = raster.at(x as usize, y as usize);
            assert_eq!(px[3], 255);
            assert!(px[..3] == st || px[..3] == fa, "{px:?}");
            assert!((put.x0..put.x1).contains(&(x as usize)) && (put.y0..put.y1).contains(&(y as usize)));
        }
        assert_eq!(raster.at(390, 10), [0; 4]);
        // At a device pixel ratio of 2 the canvas and the dots are twice as
        // large, and the dots sit at twice the coordinates.
        let view2 = View { dpr: 2.0, ..view };
        p.render(500_000, view2, true, &mut raster).unwrap();
        assert_eq!((raster.width(), raster.height()), (800, 600));
        assert_eq!(raster.radius(), 6.0);
        let (x1, y1, _) = p.dots(500_000, view).last().unwrap();
        let (x2, y2, c) = p.dots(500_000, view2).last().unwrap();
        assert_eq!((x2, y2), (2.0 * x1, 2.0 * y1));
        let dark = raster::rgb(c.css(true));
        assert_eq!(raster.at(x2 as usize, y2 as usize)[..3], dark);
        assert_eq!(raster.at((x2 + 5.0) as usize, y2 as usize)[3], 255, "5 px from the centre: still inside");
    }

    #[test]
    fn failed_hops_use_the_failure_colour() {
        let mut p = Particles::new();
        p.ingest(&[hop(0, 1_000, Kind::Read, true), hop(0, 1_000, Kind::Write, false)], &wire);
        p.advance(500, 16.0);
        assert_eq!(counts(&p, 500, VIEW), [0, 1, 0, 0, 1]);
        for dark in [false, true] {
            let palette = if dark { DARK } else { LIGHT };
            assert_eq!(Colour::Failed.css(dark), palette[4]);
            // Five distinct colours in each palette, and the palettes differ.
            for i in 0..COLOURS {
                for j in i + 1..COLOURS {
                    assert_ne!(palette[i], palette[j]);
                }
            }
        }
        assert!(LIGHT.iter().zip(DARK.iter()).all(|(l, d)| l != d));
        for k in Kind::ALL {
            assert_eq!(Colour::of(&hop(0, 0, k, true)), Colour::Failed);
            assert_ne!(Colour::of(&hop(0, 0, k, false)), Colour::Failed);
        }
    }

    #[test]
    fn no_allocation_growth_in_a_steady_stream() {
        let hops = [1_000_000, 0, 3_000_000, 2_000_000];
        let mut s = Stream::new(DEFAULT_BUDGET);
        s.run(5.0, 23_000.0, 1.0, &hops);
        let mut raster = Raster::default();
        s.particles.render(s.now, VIEW, false, &mut raster);
        let cap = s.particles.capacity();
        let hop_cap = s.buf.capacity();
        let pixels = raster.pixels().as_ptr();
        for _ in 0..10 {
            s.run(1.0, 23_000.0, 1.0, &hops);
            s.particles.render(s.now, VIEW, false, &mut raster);
            assert_eq!(s.particles.capacity(), cap);
            assert_eq!(s.buf.capacity(), hop_cap);
            assert_eq!(raster.pixels().as_ptr(), pixels, "the same buffer every frame");
        }
        assert!(cap <= s.particles.hard_cap().next_power_of_two());
    }

    /// Not a timed assertion: prints how long stamping 10,000 dots takes
    /// (run with `--release --nocapture` for a meaningful number).
    #[test]
    fn bench_stamping_10000_particles() {
        let mut p = Particles::new();
        p.budget = 10_000;
        let hops: Vec<Hop> = (0..10_000u64)
            .map(|i| Hop {
                link: 0,
                from: (i % 37) as u16,
                to: (i % 11) as u16,
                start: 0,
                end: 1_000_000 + i * 100,
                kind: Kind::ALL[(i % 4) as usize],
                response: i % 2 == 0,
                failed: i % 10 == 0,
                request: i,
            })
            .collect();
        let ends = |h: &Hop| {
            let (a, b) = (h.from as f64, h.to as f64);
            Some(Wire::line((a * 25.0, 100.0 + b * 30.0), (900.0 - b * 40.0, 700.0 - a * 10.0)))
        };
        p.ingest(&hops, &ends);
        p.advance(400_000, 50.0);
        let view = View { tx: 20.0, ty: 10.0, scale: 1.1, width: 1200.0, height: 900.0, dpr: 2.0 };
        let mut raster = Raster::default();
        p.render(400_000, view, false, &mut raster); // warm-up: the buffer is made once
        assert_eq!(p.dots(400_000, view).count(), 10_000);
        let runs = 200;
        let t0 = std::time::Instant::now();
        for _ in 0..runs {
            p.render(400_000, view, false, &mut raster);
        }
        let us = t0.elapsed().as_secs_f64() * 1e6 / runs as f64;
        println!("particles bench: 10,000 dots stamped into a 2400x1800 buffer in {us:.0} µs");
    }
}
