//! The moving requests over the diagram: glue between the engine's sampled
//! hops, the [`Particles`] layer and the diagram's `<canvas>`.
//!
//! Each frame, after the simulation has been stepped, [`Animation::frame`]
//! drains the hops the engine logged, turns each into a dot on the wire it
//! crosses (the same curve the diagram draws, see
//! [`crate::editor::diagram::wire_between`]) and draws the dots. Four times a
//! second the [`Sampler`] may retune the share of requests the engine follows
//! so about [`Particles::budget`] dots are on screen whatever the traffic and
//! speed. Sampling is by request number, so it never changes what the
//! simulation computes, only which requests are shown.

use crate::canvas::particles::{Particles, View, Wire};
use crate::canvas::sampling::Sampler;
use crate::editor::diagram::{wire_between, View as DiagramView};
use crate::run::live_run::LiveRun;
use scalelab_engine::{Hop, Scenario, Share};
use wasm_bindgen::JsCast;

/// What the sampling line shows: the share of requests followed, and
/// `on_screen` dots in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sampling {
    pub share: Share,
    pub on_screen: usize,
}

impl Default for Sampling {
    /// As the animation starts: following every request, no dot yet.
    fn default() -> Self {
        Sampling { share: Share::ALL, on_screen: 0 }
    }
}

pub struct Animation {
    particles: Particles,
    hops: Vec<Hop>,
    sampler: Sampler,
    /// Wall milliseconds since the hop counts were last published.
    counted_ms: f64,
    /// World position (top-left) of each engine node slot's box, kept until
    /// the design changes ([`Animation::forget_boxes`]).
    boxes: Vec<Option<(f64, f64)>>,
    /// `boxes` is of the design as it is now.
    boxes_known: bool,
    /// The canvas was cleared and left empty (animation off).
    blank: bool,
    /// Test-only (`?count-hops`): hops drained per wire since the page loaded.
    counts: Option<HopCounts>,
}

/// What the page's hop feed carried on each wire, for the test that checks
/// the dots are drawn in proportion to each wire's traffic (see
/// [`counting_asked`]).
#[derive(Default)]
struct HopCounts {
    /// Per (from, to) node slot of the wire crossed, in the caller-to-callee
    /// direction: requests going down it, and failed answers coming back.
    wires: std::collections::BTreeMap<(u16, u16), (u64, u64)>,
    /// Simulated time of the first and last hop counted.
    first: Option<u64>,
    last: u64,
}

impl Default for Animation {
    fn default() -> Self {
        Animation::new()
    }
}

impl Animation {
    pub fn new() -> Animation {
        let mut particles = Particles::new();
        if let Some(dots) = dots_asked() {
            particles.budget = dots;
        }
        Animation {
            particles,
            hops: Vec::new(),
            sampler: Sampler::new(),
            counted_ms: 0.0,
            boxes: Vec::new(),
            boxes_known: false,
            blank: false,
            counts: counting_asked().then(HopCounts::default),
        }
    }

    /// Forgets every dot (the run restarted, so their times mean nothing).
    pub fn clear(&mut self) {
        self.particles.clear();
        self.forget_boxes();
        self.sampler.restart();
        self.counted_ms = 0.0;
        if let Some(counts) = &mut self.counts {
            *counts = HopCounts::default();
        }
    }

    /// The design changed (a node moved, came or went): where the boxes are
    /// is looked up again before the next dots are placed.
    pub fn forget_boxes(&mut self) {
        self.boxes_known = false;
    }

    pub fn sampling(&self) -> Sampling {
        Sampling { share: self.sampler.share(), on_screen: self.particles.on_screen() }
    }

    /// Stops sampling and empties the canvas (animation hidden, or reduced
    /// motion): the engine then logs no hops at all.
    pub fn hide(&mut self, sim: &mut LiveRun, canvas: &web_sys::HtmlCanvasElement) {
        sim.set_sample_share(Share::NONE);
        let mut drained = std::mem::take(&mut self.hops);
        sim.drain_hops(&mut drained);
        drained.clear();
        self.hops = drained;
        if !self.blank {
            self.particles.clear();
            if let Some(ctx) = context(canvas) {
                let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
                ctx.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
            }
            self.blank = true;
        }
    }

    /// One frame: `wall_dt_ms` of wall time has passed during which the
    /// simulation ran (0 while paused, so the dots hold still).
    pub fn frame(
        &mut self,
        sim: &mut LiveRun,
        doc: &Scenario,
        wall_dt_ms: f64,
        view: DiagramView,
        canvas: &web_sys::HtmlCanvasElement,
        dark: bool,
    ) {
        self.blank = false;
        sim.set_sample_share(self.sampler.share());
        let now = sim.drain_hops(&mut self.hops);
        self.particles.advance(now, wall_dt_ms);
        if let Some(counts) = &mut self.counts {
            counts.add(&self.hops);
        }
        let particles = &self.particles;
        self.sampler.observe(&self.hops, |hop| particles.wall_life_ms(hop));

        if !self.hops.is_empty() {
            if !self.boxes_known || self.boxes.len() != sim.node_slot_count() {
                self.locate_boxes(sim, doc);
            }
            let boxes = &self.boxes;
            let wire = |hop: &Hop| -> Option<Wire> {
                let from = (*boxes.get(hop.from as usize)?)?;
                let to = (*boxes.get(hop.to as usize)?)?;
                // Wires run from the caller's output port to the callee's
                // input; a response travels the caller's wire backwards.
                Some(if hop.response { wire_between(to, from).reversed() } else { wire_between(from, to) })
            };
            self.particles.ingest(&self.hops, &wire);
        }

        if wall_dt_ms > 0.0 {
            // From the next request on (no request is born before the next step).
            if let Some(share) = self.sampler.tick(wall_dt_ms, now, self.particles.budget, sim.requests_generated()) {
                sim.set_sample_share(share);
            }
            self.counted_ms += wall_dt_ms;
            if self.counted_ms >= crate::canvas::sampling::RETUNE_EVERY_MS {
                self.counted_ms = 0.0;
                if let Some(counts) = &self.counts {
                    counts.publish(sim, canvas);
                }
            }
        }

        let Some(size) = fit_canvas(canvas) else { return };
        let Some(ctx) = context(canvas) else { return };
        let view = View { tx: view.tx, ty: view.ty, scale: view.scale, width: size.0, height: size.1, dpr: size.2 };
        self.particles.draw(&ctx, now, view, dark);
    }

    /// The request of the dot under the diagram point `(x, y)` (CSS pixels
    /// from the diagram's corner), for "click a particle to trace it".
    /// `slack` is how many CSS pixels beyond the drawn dot still count.
    pub fn request_at(&self, x: f64, y: f64, view: DiagramView, slack: f64) -> Option<u64> {
        let (wx, wy) = view.to_world(x, y);
        let within = (crate::canvas::particles::drawn_radius_css(view.scale) + slack) / view.scale.max(1e-6);
        self.particles.request_near(wx, wy, within)
    }

    /// Where each engine node slot's box is in the diagram (removed nodes and
    /// nodes the diagram does not show: `None`), by one pass over each.
    fn locate_boxes(&mut self, sim: &LiveRun, doc: &Scenario) {
        self.boxes = boxes_by_slot(sim, doc);
        self.boxes_known = true;
    }
}

/// Where each engine node slot's box is in `doc` (top-left, world units):
/// the first node of the slot's id, as [`Scenario::node_index`] finds it.
fn boxes_by_slot(sim: &LiveRun, doc: &Scenario) -> Vec<Option<(f64, f64)>> {
    let mut index = std::collections::HashMap::with_capacity(doc.nodes.len());
    for (i, n) in doc.nodes.iter().enumerate() {
        index.entry(n.id.as_str()).or_insert(i);
    }
    (0..sim.node_slot_count())
        .map(|slot| {
            let node = &doc.nodes[*index.get(sim.node_id(slot as u16))?];
            Some((node.x.unwrap_or(0.0), node.y.unwrap_or(0.0)))
        })
        .collect()
}

/// Sizes the canvas's backing store to its CSS box times the device pixel
/// ratio (a resize clears it, which is fine: it is redrawn every frame).
/// Returns (CSS width, CSS height, ratio), or `None` when not laid out.
fn fit_canvas(canvas: &web_sys::HtmlCanvasElement) -> Option<(f64, f64, f64)> {
    let (w, h) = (canvas.client_width(), canvas.client_height());
    if w <= 0 || h <= 0 {
        return None;
    }
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).filter(|r| r.is_finite() && *r > 0.0).unwrap_or(1.0);
    let (bw, bh) = ((w as f64 * dpr).round() as u32, (h as f64 * dpr).round() as u32);
    if canvas.width() != bw || canvas.height() != bh {
        canvas.set_width(bw);
        canvas.set_height(bh);
    }
    Some((w as f64, h as f64, dpr))
}

fn context(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

impl HopCounts {
    fn add(&mut self, hops: &[Hop]) {
        for hop in hops {
            self.first.get_or_insert(hop.start);
            self.last = self.last.max(hop.start);
            let (wire, failed) =
                if hop.response { ((hop.to, hop.from), hop.failed as u64) } else { ((hop.from, hop.to), 0) };
            let entry = self.wires.entry(wire).or_default();
            entry.0 += (!hop.response) as u64;
            entry.1 += failed;
        }
    }

    /// Writes the counts as JSON on the canvas's `data-hop-counts`:
    /// `{"from_s":…,"to_s":…,"wires":{"users→lb":[down, failed],…}}`.
    fn publish(&self, sim: &LiveRun, canvas: &web_sys::HtmlCanvasElement) {
        let mut json = format!(
            "{{\"from_s\":{},\"to_s\":{},\"wires\":{{",
            self.first.unwrap_or(0) as f64 / 1e9,
            self.last as f64 / 1e9
        );
        for (i, ((from, to), (down, failed))) in self.wires.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            json += &format!("{sep}\"{}→{}\":[{down},{failed}]", sim.node_id(*from), sim.node_id(*to));
        }
        json += "}}";
        let _ = canvas.set_attribute("data-hop-counts", &json);
    }
}

/// Test-only: `?count-hops` in the address makes the animation count the hops
/// it drains on each wire and publish the counts on the canvas four times a
/// second, so a browser test can check that every wire's dots follow its
/// traffic. Not a user setting: nothing links to it.
fn counting_asked() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        search.trim_start_matches('?').split('&').any(|kv| kv == "count-hops")
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}

/// Benchmark-only: `?dots=N` in the address (1 to 100,000) makes the sampling
/// aim for N dots on screen instead of [`crate::canvas::particles::DEFAULT_BUDGET`], so
/// `cargo xtask bench` can time frames with 10,000 particles (see
/// tests/e2e/bench-page.mjs). Not a user setting: nothing links to it.
fn dots_asked() -> Option<usize> {
    #[cfg(target_arch = "wasm32")]
    {
        let search = web_sys::window()?.location().search().ok()?;
        let value = search.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix("dots="))?;
        value.parse::<usize>().ok().filter(|n| (1..=100_000).contains(n))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::Edit;

    /// The table is what a search per slot finds, with a slot left behind by
    /// a node taken out and put back (it finds the node again) and one of a
    /// node gone for good (none).
    #[test]
    fn the_slot_table_is_what_a_search_by_id_finds() {
        let start = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        let mut run = LiveRun::new(start.clone());
        let back = start.nodes[1].clone();
        let links: Vec<_> = start.links.iter().filter(|l| l.from == back.id || l.to == back.id).cloned().collect();
        let mut doc = scalelab_engine::edited(&start, &Edit::RemoveNode { id: back.id.clone() }).unwrap();
        run.sync(&doc).unwrap();
        doc = scalelab_engine::edited(&doc, &Edit::AddNode { node: back }).unwrap();
        for link in links {
            doc = scalelab_engine::edited(&doc, &Edit::AddLink { link }).unwrap();
        }
        run.sync(&doc).unwrap();
        let gone = start.nodes.last().unwrap().id.clone();
        doc = scalelab_engine::edited(&doc, &Edit::RemoveNode { id: gone }).unwrap();
        run.sync(&doc).unwrap();
        run.tick(8.0, || 0.0).expect("the slots come with a reading");
        let sim = &run;
        for (i, n) in doc.nodes.iter_mut().enumerate() {
            n.x = Some(10.0 * i as f64);
            n.y = Some(7.0 * i as f64 + 1.0);
        }
        let searched: Vec<_> = (0..sim.node_slot_count())
            .map(|slot| {
                let node = &doc.nodes[doc.node_index(sim.node_id(slot as u16))?];
                Some((node.x.unwrap_or(0.0), node.y.unwrap_or(0.0)))
            })
            .collect();
        let table = boxes_by_slot(sim, &doc);
        assert_eq!(table, searched);
        assert_eq!(table.len(), doc.nodes.len() + 2, "the slots of a node put back and of a node gone");
        assert!(table.iter().filter(|b| b.is_none()).count() == 1, "{table:?}");
    }
}
