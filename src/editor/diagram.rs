//! The play area: nodes and links drawn in SVG, with the pointer gestures of the
//! node editors people know (drag to move, drag from a port to connect, drag
//! empty space to pan, shift-drag to box-select, wheel to zoom) and a canvas on
//! top for the moving requests.
//!
//! Fingers get the same gestures where a finger can make them, and their own
//! where it cannot: tap a port then a node to connect (a finger hides what it
//! drags onto), two fingers to pan and pinch, a long press for the node's
//! actions (no right button, no hover). Touch pointers are tracked by pointer
//! id, so a second finger is a pinch, never a second drag.

use super::node_actions::NodeActions;
use super::palette::{icon_path, PaletteGesture};
use super::{Editor, Selection, GRID, NODE_H, NODE_W};
use crate::canvas::particles::Wire;
use crate::state::live::Parts;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::breaker::State as BreakerState;
use scalelab_engine::kinds::Figure;
use scalelab_engine::{Health, NodeKind, NodeLive, Snapshot};
use wasm_bindgen::JsCast;

/// Pan and zoom: screen = world * scale + (tx, ty).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub tx: f64,
    pub ty: f64,
    pub scale: f64,
}

impl Default for View {
    fn default() -> Self {
        View { tx: 0.0, ty: 0.0, scale: 1.0 }
    }
}

impl View {
    pub fn to_world(&self, sx: f64, sy: f64) -> (f64, f64) {
        ((sx - self.tx) / self.scale, (sy - self.ty) / self.scale)
    }

    /// Zooms by `factor` keeping the screen point (sx, sy) fixed. Fit may
    /// have gone below `MIN_ZOOM` to show a big design in a small frame: from
    /// there zooming out stays put rather than jumping in to the floor.
    pub fn zoom_at(&self, factor: f64, sx: f64, sy: f64) -> View {
        let scale = (self.scale * factor).clamp(MIN_ZOOM.min(self.scale), MAX_ZOOM);
        let (wx, wy) = self.to_world(sx, sy);
        View { scale, tx: sx - wx * scale, ty: sy - wy * scale }
    }

    /// The view that shows the box (min_x, min_y, max_x, max_y) in a w x h
    /// area, centred, with a 40 px margin. When that margin would leave the
    /// nodes too small for the compact drawing to keep their names readable
    /// (`COMPACT_MIN_SCALE`), the margin shrinks (to `FIT_MIN_MARGIN` at
    /// least, room for the data-center outlines and SPOF badges around the
    /// boxes) as far as it takes to reach that scale. If even that is not
    /// enough, the design is too big for the frame: Fit shows the whole of it
    /// anyway, at whatever scale that takes (names that cannot be drawn at
    /// 9 px then give way to the node's icon, see [`compact_label`]); the
    /// learner zooms in to read.
    pub fn fit(bounds: (f64, f64, f64, f64), w: f64, h: f64) -> View {
        let (x0, y0, x1, y1) = bounds;
        let (bw, bh) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
        let with_margin = |m: f64| ((w - 2.0 * m) / bw).min((h - 2.0 * m) / bh);
        let roomy = with_margin(FIT_MARGIN);
        let scale = if roomy >= COMPACT_MIN_SCALE {
            roomy
        } else {
            // Between the two margins, the largest one that still reaches the
            // readable scale; past them, the whole design at any scale.
            with_margin(FIT_MIN_MARGIN).min(COMPACT_MIN_SCALE)
        };
        let scale = scale.clamp(FIT_FLOOR, FIT_CEILING);
        View { scale, tx: (w - bw * scale) / 2.0 - x0 * scale, ty: (h - bh * scale) / 2.0 - y0 * scale }
    }
}

/// Zoom limits of the buttons, keys and wheel.
const MIN_ZOOM: f64 = 0.25;
const MAX_ZOOM: f64 = 3.0;
/// Fit's margin around the design, in CSS px, and the least it shrinks to.
const FIT_MARGIN: f64 = 40.0;
const FIT_MIN_MARGIN: f64 = 16.0;
/// Fit never magnifies a small design more than this; its floor only guards
/// against a frame with no room at all.
const FIT_CEILING: f64 = 1.5;
const FIT_FLOOR: f64 = 0.01;

// ---- Semantic zoom ----
//
// A node's box is NODE_W x NODE_H world units at every zoom (wires, dots and
// hit tests all use those), but what is written in it depends on the scale:
// the normal drawing (icon, name, kind line, load bar) while its name renders
// at about 11 CSS px or more, else the compact drawing: the name alone,
// centred and as large as the box allows (on two lines at a hyphen when one
// is too wide), and one live figure under it. No text on the diagram is
// drawn below `TEXT_MIN_PX`: what cannot be drawn that large is hidden.

/// The name's size in the normal drawing (styles/main.css `.node-id`).
const NAME_FONT: f64 = 14.0;
/// Screen sizes, in CSS px, the compact drawing aims at for a name and a
/// figure, and the least a name may be while the layout calls it readable.
const NAME_PX: f64 = 11.0;
const NAME_MIN_PX: f64 = 10.0;
const FIGURE_PX: f64 = 10.0;
/// No text on the diagram renders smaller than this.
pub const TEXT_MIN_PX: f64 = 9.0;
/// Below this scale the normal drawing's name would render under 11 px (and
/// its kind line under 9): nodes switch to the compact drawing. A clean
/// threshold on the scale alone, so the same view always draws the same, and
/// at the threshold the name has the same size in both drawings (14 world
/// units at 11 px), so crossing it while zooming does not make the name jump.
pub const COMPACT_BELOW: f64 = NAME_PX / NAME_FONT;
/// Down to this scale the compact drawing keeps names readable (>= 10 px):
/// names like "cache-eu" or "web-12" on one line with their figure, and
/// longer ones made of two parts of up to about nine characters
/// ("sessions-east", "photo-workers") on two lines. Fit aims at least for it.
pub const COMPACT_MIN_SCALE: f64 = 0.4;
/// Room inside the box: side padding (clear of the ports' circles on the
/// edges), top/bottom padding, gap between name and figure.
const PAD_X: f64 = 8.0;
const PAD_Y: f64 = 4.0;
const FIGURE_GAP: f64 = 4.0;
/// Ascent of the glyphs above the baseline, in ems (DejaVu Sans, the widest
/// common UI font; others are within a few hundredths).
const ASCENT: f64 = 0.76;

/// Whether nodes use the compact drawing at this scale.
pub fn is_compact(scale: f64) -> bool {
    scale < COMPACT_BELOW
}

/// The width of `text` in ems, in bold DejaVu Sans: the font Debian's
/// Chromium uses for system-ui and among the widest UI fonts, so a name laid
/// out with it fits with the narrower fonts of other systems too. Measured
/// with getComputedTextLength; characters not listed count as a wide 1 em.
pub fn em_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'a' => 0.675,
            'b' | 'd' | 'g' | 'p' | 'q' => 0.716,
            'c' => 0.593,
            'e' => 0.678,
            'f' => 0.435,
            'h' | 'n' | 'u' => 0.712,
            'i' | 'j' | 'l' => 0.343,
            'k' => 0.665,
            'm' => 1.042,
            'o' => 0.687,
            'r' => 0.493,
            's' => 0.595,
            't' => 0.478,
            'v' | 'y' => 0.652,
            'w' => 0.924,
            'x' => 0.645,
            'z' => 0.582,
            '0'..='9' => 0.696,
            'I' | 'J' => 0.372,
            'L' => 0.637,
            'E' | 'F' | 'T' => 0.683,
            'M' => 0.995,
            'W' => 1.103,
            'A'..='Z' => 0.85,
            '-' => 0.415,
            '_' => 0.5,
            '.' | ',' | '·' => 0.38,
            ' ' => 0.348,
            '/' => 0.365,
            ':' => 0.4,
            '%' => 1.002,
            '+' | '×' => 0.838,
            '–' => 0.5,
            _ => 1.0,
        })
        .sum()
}

/// The two lines a name breaks into, at the hyphen, underscore, dot or space
/// that makes the wider line narrowest (a hyphen stays at the end of the
/// first line, a space goes). None when it has no such place.
fn split_name(name: &str) -> Option<(String, String)> {
    name.char_indices()
        .filter(|&(i, c)| matches!(c, '-' | '_' | '.' | ' ') && i > 0 && i + c.len_utf8() < name.len())
        .map(|(i, c)| {
            let cut = i + c.len_utf8();
            let first = if c == ' ' { &name[..i] } else { &name[..cut] };
            (first.to_string(), name[cut..].to_string())
        })
        .min_by(|a, b| em_width(&a.0).max(em_width(&a.1)).total_cmp(&em_width(&b.0).max(em_width(&b.1))))
}

/// How the compact drawing writes a node's name at a scale.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactLabel {
    /// One or two lines; none when the name cannot be drawn at
    /// `TEXT_MIN_PX` in the box (far zoomed out): the icon stands in.
    pub lines: Vec<String>,
    /// Font size of the name, world units.
    pub size: f64,
    /// Baseline of the first line; the next one is `size` lower.
    pub y: f64,
    /// Room for the figure: its largest font size and its baseline, when it fits.
    pub figure: Option<(f64, f64)>,
}

/// Lays out the compact drawing of the node named `name` at `scale`: the
/// first that keeps the name at `NAME_MIN_PX` or more of one line with the
/// figure, two lines with the figure, one line alone, two lines alone. The
/// name aims at `NAME_PX` and the figure at `FIGURE_PX` (never under
/// `TEXT_MIN_PX`), both within the box. Pure, so it is tested natively; the
/// figure's own text may make it smaller still (see `figure_size`).
pub fn compact_label(name: &str, scale: f64) -> CompactLabel {
    let (w, h) = (NODE_W - 2.0 * PAD_X, NODE_H - 2.0 * PAD_Y);
    let (aim, least) = (NAME_PX / scale, NAME_MIN_PX / scale);
    let (fig_aim, fig_least) = (FIGURE_PX / scale, TEXT_MIN_PX / scale);
    let one = vec![name.to_string()];
    let two = split_name(name).map(|(a, b)| vec![a, b]);
    let widest = |lines: &[String]| lines.iter().map(|l| em_width(l)).fold(0.0, f64::max).max(0.1);
    // A block of n lines of size f is n * f tall (ascent + descent is about
    // one em), centred in the box with the figure under it.
    let place = |lines: Vec<String>, size: f64, figure: Option<f64>| {
        let n = lines.len() as f64;
        let total = n * size + figure.map_or(0.0, |g| FIGURE_GAP + g);
        let top = (NODE_H - total) / 2.0;
        let y = top + ASCENT * size;
        let figure = figure.map(|g| (g, top + n * size + FIGURE_GAP + ASCENT * g));
        CompactLabel { lines, size, y, figure }
    };
    let mut options: Vec<(Vec<String>, bool)> = vec![(one.clone(), true)];
    options.extend(two.clone().map(|t| (t, true)));
    options.push((one.clone(), false));
    options.extend(two.clone().map(|t| (t, false)));
    for (lines, with_figure) in options {
        let n = lines.len() as f64;
        let fits = w / widest(&lines);
        if with_figure {
            let room = h - FIGURE_GAP;
            let size = aim.min(fits).min((room - fig_least) / n);
            let fig = fig_aim.min(room - n * size);
            if size >= least && fig >= fig_least {
                return place(lines, size, Some(fig));
            }
        } else {
            let size = aim.min(fits).min(h / n);
            if size >= least {
                return place(lines, size, None);
            }
        }
    }
    // Too small to be readable: the biggest the box allows, if that is still
    // at least TEXT_MIN_PX on screen; else nothing.
    let best = std::iter::once(one)
        .chain(two)
        .map(|lines| {
            let size = aim.min(w / widest(&lines)).min(h / lines.len() as f64);
            (lines, size)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match best {
        Some((lines, size)) if size * scale >= TEXT_MIN_PX => place(lines, size, None),
        _ => CompactLabel { lines: vec![], size: 0.0, y: 0.0, figure: None },
    }
}

/// The figure's font size: the layout's room, narrowed to fit its text in
/// the box; None when that would render it under `TEXT_MIN_PX`.
pub fn figure_size(room: f64, text: &str, scale: f64) -> Option<f64> {
    let size = room.min((NODE_W - 2.0 * PAD_X) / em_width(text).max(0.1));
    (size * scale >= TEXT_MIN_PX - 1e-9).then_some(size)
}

/// A small text's font size in world units: its size in the stylesheet, or
/// larger when that would render under `px` CSS px at this scale.
pub fn readable_size(size: f64, px: f64, scale: f64) -> f64 {
    size.max(px / scale)
}

/// The normal drawing writes the name after the icon, from x = 40: a name
/// too long for the rest of the box ("photo-workers" at 14 units ran 5
/// units past its edge) is narrowed to fit it. None, as before, for the
/// names that fit.
fn normal_name_squeeze(name: &str) -> Option<String> {
    let room = NODE_W - 40.0 - PAD_X;
    (em_width(name) * NAME_FONT > room).then(|| room.to_string())
}

/// The radius of a breaker's mark on a wire in the compact drawing, in CSS
/// px on screen (its diameter about a line of small text).
const BREAKER_MARK_R: f64 = 6.0;

/// What small texts that stay in both drawings grow to keep (>= 9 px with room to spare).
const SMALL_TEXT_PX: f64 = 9.5;
/// Stylesheet sizes of the wire labels and the SPOF badge's text.
const FLOW_LABEL_FONT: f64 = 10.0 + 1.0;
const SPOF_FONT: f64 = 10.0;

/// How much the SPOF badge grows (about its bottom right corner, on the
/// box's top edge, so it grows up and left, away from the name) for its text
/// to render at `SMALL_TEXT_PX`. Past `SPOF_MAX_GROWTH` (zoomed out beyond
/// the compact drawing's minimum) it would cover its neighbours: it stays
/// that size and loses its text, a red tab that still marks the node.
fn spof_growth(scale: f64) -> f64 {
    readable_size(SPOF_FONT, SMALL_TEXT_PX, scale) / SPOF_FONT
}
const SPOF_MAX_GROWTH: f64 = 2.4;

/// The badge's transform; None (as drawn in the stylesheet) while its text
/// is readable at its own size.
fn spof_transform(scale: f64) -> Option<String> {
    let k = spof_growth(scale).min(SPOF_MAX_GROWTH);
    (k > 1.0).then(|| format!("translate({NODE_W} 7) scale({k}) translate({} -7)", -NODE_W))
}

/// What the pointer is doing on the diagram.
#[derive(Clone, Debug, Default)]
enum Gesture {
    #[default]
    Idle,
    Pan {
        start: (f64, f64),
        view: View,
    },
    Move {
        start: (f64, f64),
        ids: Vec<String>,
        moved: bool,
    },
    Connect {
        from: String,
    },
    Box {
        start: (f64, f64),
        additive: bool,
    },
    /// Two fingers: the world point under their midpoint at the start stays
    /// under their midpoint, and the scale follows their distance.
    Pinch {
        mid: (f64, f64),
        dist: f64,
        view: View,
    },
}

/// How far (CSS px) a finger may wander and still make a tap or a long
/// press: a finger is never quite still, and a node should not twitch.
const TOUCH_SLOP: f64 = 8.0;
/// How long a finger rests on a node to open its actions (the platforms' own).
const LONG_PRESS_MS: u64 = 500;

/// The press that drives the one-pointer gesture under way: only its own
/// pointer's moves and release act on that gesture.
#[derive(Clone, Copy, Debug)]
struct Press {
    pointer: i32,
    touch: bool,
    start: (f64, f64),
    /// Moved beyond [`TOUCH_SLOP`] since the press: no longer a tap or a long press.
    far: bool,
    long_press: Option<TimeoutHandle>,
}

/// The midpoint and distance of two points.
fn mid_and_dist(a: (f64, f64), b: (f64, f64)) -> ((f64, f64), f64) {
    (((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0), ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt())
}

/// The view of a pinch that started as `v0` with the fingers' midpoint at
/// `mid0`, `dist0` apart, now at `mid1`, `dist1` apart: the world point that
/// was under `mid0` is under `mid1`, scaled by the change of distance (within
/// the wheel's limits).
pub fn pinched(v0: View, mid0: (f64, f64), dist0: f64, mid1: (f64, f64), dist1: f64) -> View {
    let scale = (v0.scale * dist1 / dist0.max(1.0)).clamp(0.25, 3.0);
    let (wx, wy) = v0.to_world(mid0.0, mid0.1);
    View { scale, tx: mid1.0 - wx * scale, ty: mid1.1 - wy * scale }
}

/// Where each node is drawn, and the offset of nodes being dragged.
fn node_box(editor: &Editor, id: &str, drag: Option<&(Vec<String>, f64, f64)>) -> Option<(f64, f64)> {
    let (x, y) =
        editor.doc.with(|d| d.node_index(id).map(|i| (d.nodes[i].x.unwrap_or(0.0), d.nodes[i].y.unwrap_or(0.0))))?;
    match drag {
        Some((ids, dx, dy)) if ids.iter().any(|i| i == id) => Some((x + dx, y + dy)),
        _ => Some((x, y)),
    }
}

/// The wire from the box at `a` (its output port, right side) to the box at
/// `b` (its input, left side), both top-left corners in world coordinates: an
/// S-curve whose ends leave and enter horizontally. The diagram draws it and
/// the animation moves dots along it, so both use this one definition.
pub fn wire_between(a: (f64, f64), b: (f64, f64)) -> Wire {
    let (x1, y1) = (a.0 + NODE_W, a.1 + NODE_H / 2.0);
    let (x2, y2) = (b.0, b.1 + NODE_H / 2.0);
    let c = ((x2 - x1) / 2.0).abs().max(30.0);
    Wire { p0: (x1, y1), c1: (x1 + c, y1), c2: (x2 - c, y2), p3: (x2, y2) }
}

/// SVG path data of a wire.
fn wire_path(w: &Wire) -> String {
    format!("M{} {} C{} {} {} {} {} {}", w.p0.0, w.p0.1, w.c1.0, w.c1.1, w.c2.0, w.c2.1, w.p3.0, w.p3.1)
}

/// A box's load bar turns amber above this share of its workers busy...
pub const WARM_ABOVE: f64 = 0.7;
/// ...and red above this one (the picture's legend says both).
pub const HOT_ABOVE: f64 = 0.9;

/// Colour class for a load level.
fn load_class(util: f64) -> &'static str {
    if util > HOT_ABOVE {
        "hot"
    } else if util > WARM_ABOVE {
        "warm"
    } else {
        "calm"
    }
}

/// The compact drawing's name: centred, one or two lines; or, when it
/// cannot be drawn at a readable size, the node's icon large in the box,
/// with the name as its tooltip (screen readers have the node's label).
fn compact_name(l: &CompactLabel, name: &str, kind: NodeKind) -> AnyView {
    let x = NODE_W / 2.0;
    match l.lines.as_slice() {
        [] => view! {
            <svg x=(NODE_W - 40.0) / 2.0 y=(NODE_H - 40.0) / 2.0 width="40" height="40" viewBox="0 0 24 24" class="node-icon node-icon-alone" aria-hidden="true">
                <title>{name.to_string()}</title>
                <path d=icon_path(kind)/>
            </svg>
        }
        .into_any(),
        [one] => view! {
            <text class="node-id" x=x y=l.y text-anchor="middle" style:font-size=format!("{}px", l.size)>{one.clone()}</text>
        }
        .into_any(),
        lines => {
            let (size, y0) = (l.size, l.y);
            view! {
                <text class="node-id" x=x y=y0 text-anchor="middle" style:font-size=format!("{size}px")>
                    {lines.iter().enumerate().map(|(i, line)| view! { <tspan x=x y=y0 + i as f64 * size>{line.clone()}</tspan> }).collect_view()}
                </text>
            }
            .into_any()
        }
    }
}

/// The one live figure of the compact drawing: what tells most about the
/// node, from the same live snapshot and window as its normal kind line and
/// the inspector (utilisation, hit ratio, backlog, requests sent on per second).
fn compact_figure(
    kind: NodeKind,
    health: Health,
    n: Option<&NodeLive>,
    per_second: impl Fn(u64) -> Option<f64>,
) -> String {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    match (health, n) {
        (Health::Down, _) => "DOWN".to_string(),
        (_, None) => "–".to_string(),
        (_, Some(n)) => match kind.about().figure {
            Figure::Busy => format!("{} busy", pct(n.summary.utilization)),
            Figure::Hits => n.summary.cache.map_or("no lookups".to_string(), |c| format!("{} hits", pct(c.hit_ratio))),
            Figure::Edge => n.summary.cache.map_or("–".to_string(), |c| format!("{} edge", pct(c.hit_ratio))),
            Figure::Jobs => format!("{} jobs", crate::base::format::count(n.waiting.into())),
            Figure::Rate => per_second(n.summary.arrivals)
                .map_or("–/s".to_string(), |r| format!("{}/s", crate::base::format::number(r))),
        },
    }
}

/// The normal drawing's line under the name: what the node is doing now
/// (its kind, before the run has numbers for it).
fn kind_line(kind: NodeKind, health: Health, n: Option<&NodeLive>, per_second: impl Fn(u64) -> Option<f64>) -> String {
    match (health, n) {
        (Health::Down, _) => "DOWN".to_string(),
        (_, None) => kind.label().to_string(),
        (_, Some(n)) => match kind.about().figure {
            Figure::Jobs => match n.oldest_job_age_ms {
                Some(age) => {
                    format!(
                        "{} jobs · oldest {}",
                        crate::base::format::count(n.waiting.into()),
                        crate::base::format::ms(Some(age))
                    )
                }
                None => "empty".to_string(),
            },
            Figure::Edge => match n.summary.cache {
                Some(c) => format!("{:.0}% from the edge", c.hit_ratio * 100.0),
                None => "no static requests".to_string(),
            },
            Figure::Hits => match n.summary.cache {
                Some(c) => format!("{:.0}% hits · {:.0}% busy", c.hit_ratio * 100.0, n.summary.utilization * 100.0),
                None => "no lookups".to_string(),
            },
            Figure::Busy => match n.group {
                Some((running, booting)) => {
                    let boot = if booting > 0 { format!(" +{booting}") } else { String::new() };
                    format!(
                        "×{running}{boot} · {:.0}% · {} waiting",
                        n.summary.utilization * 100.0,
                        crate::base::format::short_count(n.waiting.into())
                    )
                }
                None => format!(
                    "{:.0}% · {} waiting",
                    n.summary.utilization * 100.0,
                    crate::base::format::short_count(n.waiting.into())
                ),
            },
            // Users, DNS, balancers and routers: requests sent on per second,
            // whatever becomes of them downstream.
            Figure::Rate => match per_second(n.summary.arrivals) {
                Some(rate) => format!("{}/s", crate::base::format::number(rate)),
                None => "–/s".to_string(),
            },
        },
    }
}

/// The kind line's font size and the room it has, in world units: from its
/// start (x = 40) to short of the port on the box's right edge.
const KIND_FONT: f64 = 11.5;
const KIND_ROOM: f64 = NODE_W - 40.0 - PAD_X;

/// The length to squeeze a kind line to when it would run past the box
/// ("×3 +1 · 100% · 15.2k waiting"), or `None` when it fits. `em_width`
/// overestimates the drawn width by about a tenth, which the threshold
/// allows for, so a line that fits is never stretched.
fn kind_line_squeezed(line: &str) -> Option<f64> {
    (em_width(line) * KIND_FONT * 0.9 > KIND_ROOM).then_some(KIND_ROOM)
}

/// A press offered to the dot picker (see [`Diagram`]'s `on_pick`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pick {
    /// Where, in CSS pixels from the diagram's corner.
    pub x: f64,
    pub y: f64,
    /// On a node's box or port: only a press on the dot as drawn should
    /// count there, not one a few pixels off, or the node would be hard to
    /// grab where dots enter and leave it.
    pub on_node: bool,
}

/// Fingers on the diagram: pointer id and latest position, oldest first.
type Touches = Vec<(i32, (f64, f64))>;

#[component]
pub fn Diagram(
    snapshot: RwSignal<Option<Snapshot>>,
    /// The snapshot's figures per node box and per wire: each box and wire
    /// subscribes to its own.
    parts: Parts,
    view: RwSignal<View>,
    palette: RwSignal<Option<PaletteGesture>>,
    /// Show flow as link thickness and counters instead of moving dots.
    flow_mode: Signal<bool>,
    canvas: NodeRef<html::Canvas>,
    svg_ref: NodeRef<html::Div>,
    /// Offered every plain press first, wherever it lands (empty space, a
    /// wire, a node, a port): true when it took it (a dot was clicked, to
    /// trace its request), so nothing under the dot sees the press.
    #[prop(optional)]
    on_pick: Option<Callback<Pick, bool>>,
) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let gesture = StoredValue::new_local(Gesture::Idle);
    // Live previews while a gesture is under way.
    let drag_offset: RwSignal<Option<(Vec<String>, f64, f64)>> = RwSignal::new(None);
    let connect_to: RwSignal<Option<(f64, f64)>> = RwSignal::new(None);
    let box_rect: RwSignal<Option<(f64, f64, f64, f64)>> = RwSignal::new(None);
    let space_down = RwSignal::new(false);
    // Fingers on the diagram (pointer id, latest position), oldest first.
    let touches: StoredValue<Touches, LocalStorage> = StoredValue::new_local(Vec::new());
    let press: StoredValue<Option<Press>, LocalStorage> = StoredValue::new_local(None);
    // The node whose actions menu is open.
    let actions: RwSignal<Option<String>> = RwSignal::new(None);
    // A long press opened the menu during this touch: the browser's own
    // context menu, which follows a long press, must not.
    let long_pressed = StoredValue::new(false);

    let local = move |ev: &web_sys::MouseEvent| -> (f64, f64) {
        let Some(el) = svg_ref.get_untracked() else { return (0.0, 0.0) };
        let r = el.get_bounding_client_rect();
        (ev.client_x() as f64 - r.left(), ev.client_y() as f64 - r.top())
    };

    // Ends the gesture under way without its result (a pinch took over, the
    // browser cancelled the pointer, a long press opened the menu).
    let abandon = move || {
        if let Some(Press { long_press: Some(t), .. }) = press.get_value() {
            t.clear();
        }
        press.set_value(None);
        gesture.set_value(Gesture::Idle);
        drag_offset.set(None);
        connect_to.set(None);
        box_rect.set(None);
    };
    let start_pinch = move || {
        let pts = touches.get_value();
        let ((_, a), (_, b)) = (pts[0], pts[1]);
        let (mid, dist) = mid_and_dist(a, b);
        abandon();
        gesture.set_value(Gesture::Pinch { mid, dist, view: view.get_untracked() });
    };

    let _space = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == " " && !is_typing(&ev) {
            space_down.set(true);
        }
    });
    let _space_up = window_event_listener(leptos::ev::keyup, move |ev| {
        if ev.key() == " " {
            space_down.set(false);
        }
    });

    let on_background_down = move |ev: web_sys::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        let p = local(&ev);
        if let Some(PaletteGesture::Armed { kind }) = palette.get_untracked() {
            let (wx, wy) = view.get_untracked().to_world(p.0, p.1);
            editor.add_node(kind, wx - NODE_W / 2.0, wy - NODE_H / 2.0);
            palette.set(None);
            return;
        }
        capture(&ev);
        if ev.shift_key() && !space_down.get_untracked() {
            gesture.set_value(Gesture::Box { start: p, additive: ev.ctrl_key() || ev.meta_key() });
            box_rect.set(Some((p.0, p.1, p.0, p.1)));
        } else {
            gesture.set_value(Gesture::Pan { start: p, view: view.get_untracked() });
            if editor.connecting_from.get_untracked().is_none() {
                editor.selection.set(Selection::default());
            }
        }
    };

    let on_move = move |ev: web_sys::PointerEvent| {
        let p = local(&ev);
        let id = ev.pointer_id();
        if ev.pointer_type() == "touch" {
            touches.update_value(|t| {
                if let Some(e) = t.iter_mut().find(|e| e.0 == id) {
                    e.1 = p;
                }
            });
        }
        if let Gesture::Pinch { mid, dist, view: v0 } = gesture.get_value() {
            let pts = touches.get_value();
            if pts.len() >= 2 && pts[..2].iter().any(|e| e.0 == id) {
                let (m1, d1) = mid_and_dist(pts[0].1, pts[1].1);
                view.set(pinched(v0, mid, dist, m1, d1));
            }
            return;
        }
        let mut touch_still = false;
        if let Some(mut pr) = press.get_value() {
            // Another pointer's moves do not drive this gesture.
            if pr.pointer != id {
                return;
            }
            if !pr.far && (p.0 - pr.start.0).hypot(p.1 - pr.start.1) > TOUCH_SLOP {
                pr.far = true;
                if let Some(t) = pr.long_press.take() {
                    t.clear();
                }
                press.set_value(Some(pr));
            }
            touch_still = pr.touch && !pr.far;
        }
        match gesture.get_value() {
            Gesture::Idle => {}
            // A finger that has not clearly moved may be a tap or a long
            // press: the node stays put until it does.
            Gesture::Move { .. } if touch_still => {}
            Gesture::Pan { start, view: v0 } => {
                view.set(View { tx: v0.tx + p.0 - start.0, ty: v0.ty + p.1 - start.1, ..v0 });
            }
            Gesture::Move { start, ids, .. } => {
                let s = view.get_untracked().scale;
                let (dx, dy) = ((p.0 - start.0) / s, (p.1 - start.1) / s);
                if dx.abs() + dy.abs() > 2.0 {
                    gesture.set_value(Gesture::Move { start, ids: ids.clone(), moved: true });
                    // Preview snapped, like the result.
                    drag_offset.set(Some((ids, (dx / GRID).round() * GRID, (dy / GRID).round() * GRID)));
                }
            }
            Gesture::Connect { .. } => connect_to.set(Some(view.get_untracked().to_world(p.0, p.1))),
            Gesture::Box { start, .. } => box_rect.set(Some((start.0, start.1, p.0, p.1))),
            Gesture::Pinch { .. } => {}
        }
    };

    let on_up = move |ev: web_sys::PointerEvent| {
        let p = local(&ev);
        let id = ev.pointer_id();
        let was_touching = ev.pointer_type() == "touch" && touches.with_value(|t| t.iter().any(|e| e.0 == id));
        if was_touching {
            touches.update_value(|t| t.retain(|e| e.0 != id));
        }
        if let Gesture::Pinch { .. } = gesture.get_value() {
            if !was_touching {
                return;
            }
            let rest = touches.get_value();
            match rest.len() {
                // A finger left: the others go on from where they are, without a jump.
                0 => abandon(),
                1 => {
                    abandon();
                    let (pointer, at) = rest[0];
                    press.set_value(Some(Press { pointer, touch: true, start: at, far: true, long_press: None }));
                    gesture.set_value(Gesture::Pan { start: at, view: view.get_untracked() });
                }
                _ => start_pinch(),
            }
            return;
        }
        let this_press = press.get_value();
        if this_press.is_some_and(|pr| pr.pointer != id) {
            return;
        }
        if let Some(Press { long_press: Some(t), .. }) = this_press {
            t.clear();
        }
        press.set_value(None);
        let tap = this_press.is_some_and(|pr| pr.touch && !pr.far);
        match gesture.get_value() {
            // A finger covers the node it would be dragged onto: a tap on a
            // port starts the connection, the next tap on a node ends it.
            Gesture::Connect { from } if tap => {
                editor
                    .say(format!("Connecting from {from}: tap the node to connect it to (tap empty space to cancel)"));
                editor.connecting_from.set(Some(from));
            }
            Gesture::Pan { .. } if tap && editor.connecting_from.get_untracked().is_some() => {
                editor.connecting_from.set(None);
                editor.say("Connection cancelled");
            }
            Gesture::Move { ids, moved: true, .. } => {
                if let Some((_, dx, dy)) = drag_offset.get_untracked() {
                    let moves: Vec<(String, f64, f64)> = ids
                        .iter()
                        .filter_map(|id| {
                            editor.node(id).map(|n| (id.clone(), n.x.unwrap_or(0.0) + dx, n.y.unwrap_or(0.0) + dy))
                        })
                        .collect();
                    let what =
                        if ids.len() == 1 { format!("Moved {}", ids[0]) } else { format!("Moved {} nodes", ids.len()) };
                    editor.move_nodes(&moves, &what);
                }
            }
            Gesture::Connect { from } => {
                let (wx, wy) = view.get_untracked().to_world(p.0, p.1);
                let target = editor.doc.with_untracked(|d| {
                    d.nodes
                        .iter()
                        .find(|n| {
                            let (x, y) = (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
                            wx >= x && wx <= x + NODE_W && wy >= y && wy <= y + NODE_H
                        })
                        .map(|n| n.id.clone())
                });
                match target {
                    Some(to) if to != from => {
                        editor.connect(&from, &to);
                    }
                    Some(_) => editor.refuse(format!("Cannot connect {from} to itself")),
                    None => {}
                }
            }
            Gesture::Box { start, additive } => {
                let v = view.get_untracked();
                let (a, b) = (v.to_world(start.0, start.1), v.to_world(p.0, p.1));
                let (x0, x1, y0, y1) = (a.0.min(b.0), a.0.max(b.0), a.1.min(b.1), a.1.max(b.1));
                let inside: Vec<String> = editor.doc.with_untracked(|d| {
                    d.nodes
                        .iter()
                        .filter(|n| {
                            let (x, y) = (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
                            x >= x0 && x + NODE_W <= x1 && y >= y0 && y + NODE_H <= y1
                        })
                        .map(|n| n.id.clone())
                        .collect()
                });
                editor.selection.update(|s| {
                    if !additive {
                        s.nodes.clear();
                    }
                    for id in inside {
                        if !s.nodes.contains(&id) {
                            s.nodes.push(id);
                        }
                    }
                    s.link = None;
                });
                let n = editor.selection.get_untracked().nodes.len();
                editor.announcement.set(format!("{n} node{} selected", if n == 1 { "" } else { "s" }));
            }
            _ => {}
        }
        press.set_value(None);
        gesture.set_value(Gesture::Idle);
        drag_offset.set(None);
        connect_to.set(None);
        box_rect.set(None);
    };

    // The browser took the pointer back (or never gives its release): drop
    // the gesture rather than finish it at a position the user did not choose.
    let on_cancel = move |ev: web_sys::PointerEvent| {
        let id = ev.pointer_id();
        touches.update_value(|t| t.retain(|e| e.0 != id));
        let ours = matches!(gesture.get_value(), Gesture::Pinch { .. })
            || press.get_value().is_some_and(|pr| pr.pointer == id);
        if ours {
            abandon();
        }
    };

    // Right click, or the context-menu key on a focused node: its actions. A
    // long press makes the browser send this too: the menu is then already
    // open (or the finger moved, and it was a drag), so it is only kept from
    // showing the browser's own menu.
    let on_context_menu = move |ev: web_sys::MouseEvent| {
        let by_touch = long_pressed.get_value() || touches.with_value(|t| !t.is_empty());
        let node = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("g[data-node]").ok().flatten())
            .and_then(|g| g.get_attribute("data-node"));
        if by_touch {
            ev.prevent_default();
        } else if let Some(id) = node {
            ev.prevent_default();
            actions.set(Some(id));
        }
    };

    // The browser makes a tap of a finger's release unless told otherwise
    // (its own long press comes later than ours): after our long press that
    // tap would focus the node under the finger, taking the keyboard out of
    // the menu just opened. Cancelling the touch's end cancels that tap.
    let on_touch_end = move |ev: leptos::ev::TouchEvent| {
        if long_pressed.get_value() {
            ev.prevent_default();
        }
    };

    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let p = local(&ev);
        let factor = if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 };
        view.update(|v| *v = v.zoom_at(factor, p.0, p.1));
    };

    let node_down = move |ev: web_sys::PointerEvent, id: String| {
        if ev.button() != 0 {
            return;
        }
        ev.stop_propagation();
        if palette.get_untracked().is_some() {
            palette.set(None);
        }
        // Click-to-connect: a node was chosen as the start, this is the end.
        if let Some(from) = editor.connecting_from.get_untracked() {
            editor.connecting_from.set(None);
            if from != id {
                editor.connect(&from, &id);
            }
            return;
        }
        if space_down.get_untracked() {
            capture(&ev);
            gesture.set_value(Gesture::Pan { start: local(&ev), view: view.get_untracked() });
            return;
        }
        let toggle = ev.shift_key() || ev.ctrl_key() || ev.meta_key();
        editor.selection.update(|s| {
            s.link = None;
            if toggle {
                if let Some(i) = s.nodes.iter().position(|n| *n == id) {
                    s.nodes.remove(i);
                } else {
                    s.nodes.push(id.clone());
                }
            } else if !s.nodes.contains(&id) {
                *s = Selection::node(&id);
            }
        });
        let ids = editor.selection.get_untracked().nodes;
        if editor.read_only.get_untracked() {
            // Nodes stay put in a read-only design: dragging one pans instead.
            capture(&ev);
            gesture.set_value(Gesture::Pan { start: local(&ev), view: view.get_untracked() });
        } else if ids.contains(&id) {
            capture(&ev);
            gesture.set_value(Gesture::Move { start: local(&ev), ids, moved: false });
        }
        if ev.pointer_type() == "touch" {
            // Still there, still (within the slop) and alone after a while:
            // the node's actions, and nothing else of this press (no drag).
            let pointer = ev.pointer_id();
            let timer = set_timeout_with_handle(
                move || {
                    // Judged at the next frame: the browser hands moves to
                    // the page at frames, so on a busy page a finger that
                    // already moved away may not have been seen yet when the
                    // timer fires; by the frame it has.
                    request_animation_frame(move || {
                        let Some(Some(pr)) = press.try_get_value() else { return };
                        if pr.pointer != pointer || pr.far || matches!(gesture.get_value(), Gesture::Pinch { .. }) {
                            return;
                        }
                        abandon();
                        long_pressed.set_value(true);
                        actions.set(Some(id));
                    });
                },
                std::time::Duration::from_millis(LONG_PRESS_MS),
            )
            .ok();
            press.update_value(|p| {
                if let Some(p) = p.as_mut().filter(|p| p.pointer == pointer) {
                    p.long_press = timer;
                }
            });
        }
    };

    let port_down = move |ev: web_sys::PointerEvent, id: String| {
        if ev.button() != 0 {
            return;
        }
        ev.stop_propagation();
        if !editor.may_change() {
            return;
        }
        capture(&ev);
        gesture.set_value(Gesture::Connect { from: id });
    };

    // Dots are drawn over everything on the diagram, and they start and end
    // their wires on a node's edge or output port. What is drawn on top is
    // what a press hits: before a node, port, wire or the background sees a
    // plain press (capture phase), the picker may take it for the dot there.
    // Placing a component, connecting, panning with Space and presses with
    // modifier keys are gestures of their own and skip the picker.
    let pick_first = move |ev: web_sys::PointerEvent| {
        // The actions menu is HTML over the diagram: its presses are its own.
        let in_diagram = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("svg.diagram").ok().flatten())
            .is_some();
        if !in_diagram {
            return;
        }
        long_pressed.set_value(false);
        if ev.pointer_type() == "touch" {
            let p = local(&ev);
            // The first finger of a touch is the primary one: any finger
            // still listed then is one whose release never came.
            touches.update_value(|t| {
                if ev.is_primary() {
                    t.clear();
                }
                t.push((ev.pointer_id(), p));
            });
            if touches.with_value(Vec::len) >= 2 {
                // A second finger: pinch and two-finger pan, from here. The
                // first finger's drag, connection or pending long press end
                // unfinished; nothing under this finger sees the press.
                ev.stop_propagation();
                ev.prevent_default();
                actions.set(None);
                start_pinch();
                return;
            }
        }
        press.set_value(Some(Press {
            pointer: ev.pointer_id(),
            touch: ev.pointer_type() == "touch",
            start: local(&ev),
            far: false,
            long_press: None,
        }));
        let Some(pick) = on_pick else { return };
        let modified = ev.shift_key() || ev.ctrl_key() || ev.meta_key() || ev.alt_key();
        if ev.button() != 0
            || modified
            || palette.get_untracked().is_some()
            || editor.connecting_from.get_untracked().is_some()
            || space_down.get_untracked()
        {
            return;
        }
        let on_node = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("g[data-node]").ok().flatten())
            .is_some();
        let (x, y) = local(&ev);
        if pick.run(Pick { x, y, on_node }) {
            // No selection, drag, pan or focus follows (preventing the
            // default also stops the mouse events and the focus they bring).
            ev.stop_propagation();
            ev.prevent_default();
        }
    };

    // Each box's and wire's own figures (a signal each, so that a publish
    // re-runs only what shows a figure that changed).
    let node_reading = move |id: &str| RwSignal::from(snapshot.with_untracked(|s| parts.node(id, s.as_ref())));
    let wire_reading =
        move |from: &str, to: &str| RwSignal::from(snapshot.with_untracked(|s| parts.wire(from, to, s.as_ref())));

    let node_ids = move || editor.doc.with(|d| d.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>());
    // Semantic zoom reads the scale only (a pan changes nothing drawn), and
    // the drawing switches only when the threshold is crossed.
    let scale = Memo::new(move |_| view.get().scale);
    let compact = Memo::new(move |_| is_compact(scale.get()));
    // Recomputed when the design changes, not every frame.
    let spofs = Memo::new(move |_| editor.doc.with(scalelab_engine::single_points_of_failure));
    let link_ends =
        move || editor.doc.with(|d| d.links.iter().map(|l| (l.from.clone(), l.to.clone())).collect::<Vec<_>>());

    view! {
        <div class="diagram-wrap" node_ref=svg_ref on:pointerdown:capture=pick_first class:panning=move || space_down.get() class:placing=move || palette.get().is_some()>
            <svg
                class="diagram"
                class:compact=move || compact.get()
                data-testid="diagram"
                role="application"
                aria-label="Architecture diagram. Tab to a node; arrows move it; C connects; Delete removes; ? lists every shortcut."
                on:pointerdown=on_background_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=on_cancel
                on:contextmenu=on_context_menu
                on:touchend=on_touch_end
                on:wheel=on_wheel
            >
                <defs>
                    <pattern id="grid" width=GRID height=GRID patternUnits="userSpaceOnUse"
                        patternTransform=move || { let v = view.get(); format!("translate({} {}) scale({})", v.tx, v.ty, v.scale) }>
                        <circle cx="1" cy="1" r="1" class="grid-dot" />
                    </pattern>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                        <path d="M0 0L10 5L0 10z" class="arrow-head" />
                    </marker>
                </defs>
                <rect class="grid-bg" width="100%" height="100%" fill="url(#grid)" />
                <g transform=move || { let v = view.get(); format!("translate({} {}) scale({})", v.tx, v.ty, v.scale) }>
                    // Data centers: a labelled area around the nodes in each.
                    {move || editor.doc.with(|d| d.data_centers.iter().filter_map(|dc| {
                        let (x0, y0, w, h) = dc_area(d, &dc.id)?;
                        Some(view! {
                            <g class="dc-area" data-testid=format!("dc-area-{}", dc.id)>
                                <rect x=x0 y=y0 width=w height=h rx="12" />
                                // At 12 world units its name stays >= 9 px down to
                                // the compact threshold; below it, enlarged, it would
                                // run into the SPOF badges of the top row: hidden.
                                {(!compact.get()).then(|| view! {
                                    <text x=x0 + 10.0 y=y0 + 18.0>{format!("{} · {}", dc.id, dc.region.label())}</text>
                                })}
                            </g>
                        })
                    }).collect_view())}
                    <For each=link_ends key=|k| k.clone() children=move |(from, to): (String, String)| {
                        let (f2, t2) = (from.clone(), to.clone());
                        let wire = Signal::derive(move || {
                            let d = drag_offset.get();
                            let a = node_box(&editor, &f2, d.as_ref())?;
                            let b = node_box(&editor, &t2, d.as_ref())?;
                            Some(wire_between(a, b))
                        });
                        let path = Signal::derive(move || wire.get().map(|w| wire_path(&w)).unwrap_or_default());
                        let (f3, t3) = (from.clone(), to.clone());
                        let selected = move || editor.selection.with(|s| s.link.as_ref() == Some(&(f3.clone(), t3.clone())));
                        let reading = wire_reading(&from, &to);
                        let flow = Signal::derive(move || reading.with(|r| r.rps));
                        // This wire's own view of the mode, so that a change of
                        // its flow does not leave (and rejoin) every wire's list.
                        let flowing = Memo::new(move |_| flow_mode.get());
                        let width = move || if flowing.get() { (1.5 + flow.get().max(0.0).log10().max(0.0) * 1.6).min(9.0) } else { 1.5 };
                        // The caller's circuit breaker on this wire, when it has one.
                        let breaker = Memo::new(move |_| reading.with(|r| r.breaker));
                        let breaker_words = move || match breaker.get() {
                            Some(BreakerState::Open) => Some("circuit open"),
                            Some(BreakerState::HalfOpen) => Some("circuit half-open"),
                            _ => None,
                        };
                        let breaker_id = format!("breaker-{from}-{to}");
                        // Near the caller's end: wires into one node (a fan-in,
                        // the usual shape under a breaker) meet at their far end,
                        // so labels at the middle would run into each other.
                        // On the side away from the callee: above a wire going
                        // down to it, below one going up (there, above, the words
                        // ran into the callee's box when the columns are close).
                        let breaker_at = Signal::derive(move || {
                            let w = wire.get()?;
                            let (x, y) = w.at(0.25);
                            let up = w.p3.1 < w.p0.1;
                            Some((x + 6.0, if up { y + 4.0 } else { y - 4.0 }, up))
                        });
                        let (f5, t5) = (from.clone(), to.clone());
                        let label = Signal::derive(move || {
                            let (x, y) = wire.get()?.at(0.5);
                            Some((x, y - 6.0))
                        });
                        view! {
                            <g class="link" class:selected=selected class:breaker-open=move || breaker.get() == Some(BreakerState::Open) class:breaker-half-open=move || breaker.get() == Some(BreakerState::HalfOpen) data-testid=format!("link-{from}-{to}")>
                                <path class="link-hit" d=path on:pointerdown=move |ev: web_sys::PointerEvent| {
                                    ev.stop_propagation();
                                    editor.selection.set(Selection { nodes: vec![], link: Some((f5.clone(), t5.clone())) });
                                    editor.announcement.set(format!("Link from {} to {} selected", f5, t5));
                                } />
                                <path class="link-line" d=path stroke-width=width marker-end="url(#arrow)" />
                                // Grown to stay >= 9.5 px down to the compact threshold;
                                // below it the labels of a fan-out would run into each
                                // other, so only the wires' thickness tells the flow.
                                <Show when=move || flow_mode.get() && !compact.get()>
                                    <text class="flow-label" style:font-size=move || format!("{}px", readable_size(FLOW_LABEL_FONT, SMALL_TEXT_PX, scale.get())) x=move || label.get().map(|l| l.0).unwrap_or(0.0) y=move || label.get().map(|l| l.1).unwrap_or(0.0) text-anchor="middle">
                                        {move || format!("{}/s", crate::base::format::number(flow.get()))}
                                    </text>
                                </Show>
                                // Shown even on a small screen, since it is news: as words
                                // where they fit; in the compact drawing (a phone) the
                                // columns are too close for them, so a mark on the wire
                                // says it (a struck circle open, a half-filled one
                                // half-open), its words in its tooltip.
                                {move || breaker_words().map(|words| if compact.get() {
                                    // Halfway, in the gap between the two columns, and no
                                    // wider than most of that gap, so it covers no box.
                                    let w = wire.get();
                                    let (x, y) = w.map(|w| w.at(0.5)).unwrap_or_default();
                                    let gap = w.map_or(f64::INFINITY, |w| w.p3.0 - w.p0.0);
                                    let mut k = readable_size(1.0, 1.0, scale.get());
                                    if gap > 0.0 {
                                        k = k.min(0.35 * gap / BREAKER_MARK_R);
                                    }
                                    let half_open = breaker.get() == Some(BreakerState::HalfOpen);
                                    view! {
                                        <g class="breaker-mark" data-testid=breaker_id.clone() role="img" aria-label=words transform=format!("translate({x} {y}) scale({k})")>
                                            <title>{words}</title>
                                            <circle r=BREAKER_MARK_R />
                                            {if half_open {
                                                view! { <path class="breaker-mark-fill" d=format!("M0 {r} A{r} {r} 0 0 1 0 -{r} Z", r = BREAKER_MARK_R) /> }.into_any()
                                            } else {
                                                let d = BREAKER_MARK_R * std::f64::consts::FRAC_1_SQRT_2;
                                                view! { <line x1=-d y1=d x2=d y2=-d /> }.into_any()
                                            }}
                                        </g>
                                    }.into_any()
                                } else {
                                    view! {
                                        <text class="breaker-label" data-testid=breaker_id.clone() style:font-size=move || format!("{}px", readable_size(FLOW_LABEL_FONT, SMALL_TEXT_PX, scale.get())) x=move || breaker_at.get().map(|l| l.0).unwrap_or(0.0) y=move || breaker_at.get().map(|l| l.1).unwrap_or(0.0) dominant-baseline=move || if breaker_at.get().is_some_and(|l| l.2) { "hanging" } else { "auto" } text-anchor="start">{words}</text>
                                    }.into_any()
                                })}
                            </g>
                        }
                    } />
                    {move || connect_to.get().and_then(|(x2, y2)| {
                        let Gesture::Connect { from } = gesture.get_value() else { return None };
                        let a = node_box(&editor, &from, None)?;
                        Some(view! { <line class="link-preview" x1=a.0 + NODE_W y1=a.1 + NODE_H / 2.0 x2=x2 y2=y2 /> })
                    })}
                    <For each=node_ids key=|id| id.clone() children=move |id: String| {
                        let Some(kind) = editor.node(&id).map(|n| n.spec.kind()) else { return ().into_any() };
                        let (i1, i2, i3, i5, i6, i7) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                        let pos = move || node_box(&editor, &i1, drag_offset.get().as_ref()).unwrap_or((0.0, 0.0));
                        let selected = move || editor.selection.with(|s| s.nodes.contains(&i2));
                        let connecting = move || editor.connecting_from.get().as_deref() == Some(i3.as_str());
                        let reading = node_reading(&id);
                        let state = Signal::derive(move || reading.with(|r| r.as_ref().map(|r| r.node.clone())));
                        // Over the live window (the last whole simulated seconds); none before it has a second.
                        let per_second = move |count: u64| {
                            reading.with_untracked(|r| r.as_ref().filter(|r| r.span_s > 0.0).map(|r| count as f64 / r.span_s))
                        };
                        let util = Memo::new(move |_| reading.with(|r| r.as_ref().map(|r| r.node.summary.utilization).unwrap_or(0.0)));
                        let has_workers = kind.is_station();
                        let health = Memo::new(move |_| reading.with(|r| r.as_ref().map(|r| r.node.health).unwrap_or(Health::Up)));
                        // The box's own view of the scale, so that a new figure
                        // does not leave (and rejoin) every box's list.
                        let box_scale = Memo::new(move |_| scale.get());
                        let name = id.clone();
                        let layout = Memo::new(move |_| compact.get().then(|| compact_label(&name, scale.get())));
                        // Memos: a reading that changes what the box does not show
                        // (busy workers now) rewrites none of its text.
                        let label = Memo::new(move |_| {
                            let n = state.get();
                            let h = match health.get() { Health::Up => "up", Health::Down => "down", Health::Degraded { .. } => "slowed down" };
                            match n {
                                Some(n) if has_workers => format!("{} {}, {}, {:.0}% busy, {} waiting", kind.label(), i5, h, n.summary.utilization * 100.0, n.waiting),
                                _ => format!("{} {}, {}", kind.label(), i5, h),
                            }
                        });
                        let kind_text = Memo::new(move |_| kind_line(kind, health.get(), state.get().as_ref(), per_second));
                        let figure_text = Memo::new(move |_| {
                            layout.with(|l| l.as_ref().and_then(|l| l.figure))?;
                            Some(compact_figure(kind, health.get(), state.get().as_ref(), per_second))
                        });
                        view! {
                            <g
                                class=move || format!("node kind-{}", kind.name())
                                class:selected=selected
                                class:connecting=connecting
                                class:down=move || health.get() == Health::Down
                                class:degraded=move || matches!(health.get(), Health::Degraded { .. })
                                transform=move || { let (x, y) = pos(); format!("translate({x} {y})") }
                                tabindex="0"
                                role="button"
                                aria-label=move || label.get()
                                data-testid=format!("node-{id}")
                                data-node=id.clone()
                                on:pointerdown=move |ev| node_down(ev, i6.clone())
                                on:focus=move |_| {
                                    // From the keyboard only: a press selects (or connects) by itself.
                                    if !crate::base::input::by_pointer() && !editor.selection.with_untracked(|s| s.nodes.contains(&i7)) {
                                        editor.selection.set(Selection::node(&i7));
                                    }
                                }
                            >
                                <rect class="node-box" width=NODE_W height=NODE_H rx="8" />
                                {has_workers.then(|| view! {
                                    <rect class=move || format!("load {}", load_class(util.get())) x="0" y=NODE_H - 6.0 height="6"
                                        width=move || (util.get().clamp(0.0, 1.0) * NODE_W).to_string() />
                                })}
                                <svg x="10" y="10" width="22" height="22" viewBox="0 0 24 24" class="node-icon" aria-hidden="true"><path d=icon_path(kind)/></svg>
                                {
                                    let name = id.clone();
                                    move || match layout.get() {
                                        None => Either::Left(view! {
                                            <text x="40" y="25" class="node-id" textLength=normal_name_squeeze(&name) lengthAdjust=normal_name_squeeze(&name).map(|_| "spacingAndGlyphs")>{name.clone()}</text>
                                        }),
                                        Some(l) => Either::Right(compact_name(&l, &name, kind)),
                                    }
                                }
                                {move || {
                                    let (room, _) = layout.with(|l| l.as_ref().and_then(|l| l.figure))?;
                                    let text = figure_text.get()?;
                                    let s = box_scale.get();
                                    let size = figure_size(room, &text, s)?;
                                    let y = layout.with(|l| l.as_ref().and_then(|l| l.figure).map(|f| f.1))?;
                                    let hot = has_workers && health.get() != Health::Down;
                                    Some(view! {
                                        <text class=move || if hot { format!("node-figure {}", load_class(util.get())) } else { "node-figure".to_string() }
                                            x=NODE_W / 2.0 y=y text-anchor="middle" style:font-size=format!("{size}px")>{text}</text>
                                    })
                                }}
                                {
                                    let i8 = id.clone();
                                    move || spofs.with(|s| s.contains(&i8)).then(|| view! {
                                        <g class="spof-badge" data-testid=format!("spof-{}", i8) transform=move || spof_transform(scale.get())>
                                            <title>"Single point of failure: if this fails, some requests cannot be served"</title>
                                            <rect x=NODE_W - 40.0 y="-9" width="40" height="16" rx="4" />
                                            {move || (spof_growth(scale.get()) <= SPOF_MAX_GROWTH).then(|| view! {
                                                <text x=NODE_W - 20.0 y="3" text-anchor="middle">"SPOF"</text>
                                            })}
                                        </g>
                                    })
                                }
                                {move || {
                                    let line = kind_text.get();
                                    let squeeze = kind_line_squeezed(&line);
                                    view! {
                                        <text x="40" y="44" class="node-kind"
                                            textLength=squeeze.map(|w| w.to_string())
                                            lengthAdjust=squeeze.map(|_| "spacingAndGlyphs")>{line}</text>
                                    }
                                }}
                                // Caches, NoSQL stores and workers only answer; every
                                // other kind links onwards (a database to its read replicas).
                                {kind.links_onward().then(|| { let port_id = id.clone(); view! {
                                    <circle class="port" cx=NODE_W cy=NODE_H / 2.0 r="7" data-testid=format!("port-{port_id}")
                                        on:pointerdown=move |ev| port_down(ev, port_id.clone()) />
                                }})}
                            </g>
                        }.into_any()
                    } />
                </g>
                {move || box_rect.get().map(|(x0, y0, x1, y1)| view! {
                    <rect class="box-select" x=x0.min(x1) y=y0.min(y1) width=(x1 - x0).abs() height=(y1 - y0).abs() />
                })}
            </svg>
            <canvas class="particles" node_ref=canvas aria-hidden="true"></canvas>
            <NodeActions open=actions view=view snapshot=snapshot area=svg_ref />
        </div>
    }
}

/// Keeps receiving pointer events while the pointer is down, even outside.
/// The area drawn around the nodes of data center `dc` (x, y, width,
/// height), room for its name above them; `None` when it holds no node.
fn dc_area(d: &scalelab_engine::Scenario, dc: &str) -> Option<(f64, f64, f64, f64)> {
    let members: Vec<(f64, f64)> = d
        .nodes
        .iter()
        .filter(|n| n.dc.as_deref() == Some(dc))
        .map(|n| (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0)))
        .collect();
    if members.is_empty() {
        return None;
    }
    let x0 = members.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let y0 = members.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let x1 = members.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max) + NODE_W;
    let y1 = members.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max) + NODE_H;
    Some((x0 - 16.0, y0 - 30.0, x1 - x0 + 32.0, y1 - y0 + 46.0))
}

/// The world box a still drawing of `d` frames: its nodes and data-center
/// areas, with `margin` around them (x, y, width, height).
pub fn still_frame(d: &scalelab_engine::Scenario, margin: f64) -> (f64, f64, f64, f64) {
    let mut boxes: Vec<(f64, f64, f64, f64)> =
        d.nodes.iter().map(|n| (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0), NODE_W, NODE_H)).collect();
    boxes.extend(d.data_centers.iter().filter_map(|dc| dc_area(d, &dc.id)));
    if boxes.is_empty() {
        return (0.0, 0.0, NODE_W + 2.0 * margin, NODE_H + 2.0 * margin);
    }
    let x0 = boxes.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
    let y0 = boxes.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
    let x1 = boxes.iter().map(|b| b.0 + b.2).fold(f64::NEG_INFINITY, f64::max);
    let y1 = boxes.iter().map(|b| b.1 + b.3).fold(f64::NEG_INFINITY, f64::max);
    (x0 - margin, y0 - margin, x1 - x0 + 2.0 * margin, y1 - y0 + 2.0 * margin)
}

/// A still picture of a design that is not on the page (the gallery's
/// cards), drawn by the diagram's own parts: its compact drawing at the
/// scale it will be shown at (`width_px` across), the same wires
/// ([`wire_between`]), arrow, icons, data-center areas and classes, so the
/// style sheets and the theme colour it as the diagram. Nothing in it is
/// live or editable. `key` makes its ids its own (the arrow's marker).
pub fn still(d: &scalelab_engine::Scenario, width_px: f64, key: &str) -> impl IntoView {
    let mut d = d.clone();
    super::lay_out_missing(&mut d);
    let (x, y, w, h) = still_frame(&d, 20.0);
    let scale = width_px / w;
    let at = |id: &str| d.node_index(id).map(|i| (d.nodes[i].x.unwrap_or(0.0), d.nodes[i].y.unwrap_or(0.0)));
    let marker = format!("arrow-{key}");
    let wires: Vec<String> =
        d.links.iter().filter_map(|l| Some(wire_path(&wire_between(at(&l.from)?, at(&l.to)?)))).collect();
    let areas: Vec<(f64, f64, f64, f64)> = d.data_centers.iter().filter_map(|dc| dc_area(&d, &dc.id)).collect();
    let nodes: Vec<(String, NodeKind, (f64, f64))> =
        d.nodes.iter().map(|n| (n.id.clone(), n.spec.kind(), (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0)))).collect();
    let said = format!("Diagram of {}: {} components", d.name.as_deref().unwrap_or("a design"), nodes.len());
    let arrow = format!("url(#{marker})");
    view! {
        <svg class="still-diagram" viewBox=format!("{x} {y} {w} {h}") preserveAspectRatio="xMidYMid meet"
            role="img" aria-label=said>
            <defs>
                <marker id=marker viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                    <path d="M0 0L10 5L0 10z" class="arrow-head" />
                </marker>
            </defs>
            {areas.into_iter().map(|(x, y, w, h)| view! { <g class="dc-area"><rect x=x y=y width=w height=h rx="12" /></g> }).collect_view()}
            {wires.into_iter().map(|path| view! {
                <g class="link"><path class="link-line" d=path stroke-width="3" marker-end=arrow.clone() /></g>
            }).collect_view()}
            {nodes.into_iter().map(|(id, kind, (nx, ny))| {
                let mut label = compact_label(&id, scale);
                // No live figure in a still: the name is centred in the room it had.
                if let Some((size, _)) = label.figure.take() {
                    label.y += (FIGURE_GAP + size) / 2.0;
                }
                view! {
                    <g class=format!("node kind-{}", kind.name()) data-still-node=id.clone() transform=format!("translate({nx} {ny})")>
                        <rect class="node-box" width=NODE_W height=NODE_H rx="8" />
                        {compact_name(&label, &id, kind)}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

fn capture(ev: &web_sys::PointerEvent) {
    if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
        let _ = el.set_pointer_capture(ev.pointer_id());
    }
}

/// Whether a key event comes from a text field (shortcuts must not fire there).
pub fn is_typing(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| matches!(el.tag_name().to_ascii_lowercase().as_str(), "input" | "select" | "textarea"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let v = View { tx: 30.0, ty: -20.0, scale: 1.0 };
        let z = v.zoom_at(2.0, 200.0, 100.0);
        let before = v.to_world(200.0, 100.0);
        let after = z.to_world(200.0, 100.0);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        assert_eq!(v.zoom_at(100.0, 0.0, 0.0).scale, 3.0);
    }

    #[test]
    fn a_pinch_keeps_the_point_under_the_fingers_and_scales_by_their_distance() {
        let v0 = View { tx: 40.0, ty: -10.0, scale: 0.5 };
        let (mid0, mid1) = ((300.0, 200.0), (330.0, 215.0));
        let v = pinched(v0, mid0, 80.0, mid1, 200.0);
        assert!((v.scale - 1.25).abs() < 1e-12, "{v:?}");
        let (a, b) = (v0.to_world(mid0.0, mid0.1), v.to_world(mid1.0, mid1.1));
        assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9, "{a:?} {b:?}");
        // Fingers that keep their distance only pan, by the midpoint's move.
        let p = pinched(v0, mid0, 80.0, mid1, 80.0);
        assert_eq!(p, View { tx: 70.0, ty: 5.0, scale: 0.5 });
        // The wheel's limits, and no division by a zero distance.
        assert_eq!(pinched(v0, mid0, 10.0, mid0, 1_000.0).scale, 3.0);
        assert_eq!(pinched(v0, mid0, 0.0, mid0, 0.0).scale, 0.25);
    }

    #[test]
    fn fit_shows_the_whole_box() {
        let v = View::fit((0.0, 0.0, 800.0, 400.0), 1000.0, 600.0);
        let (x0, y0) = (v.tx, v.ty);
        let (x1, y1) = (800.0 * v.scale + v.tx, 400.0 * v.scale + v.ty);
        assert!(x0 >= 39.0 && y0 >= 0.0 && x1 <= 961.0 && y1 <= 600.0, "{v:?}");
    }

    /// Where the box lands on screen: (left, top, right, bottom).
    fn on_screen(v: View, b: (f64, f64, f64, f64)) -> (f64, f64, f64, f64) {
        (b.0 * v.scale + v.tx, b.1 * v.scale + v.ty, b.2 * v.scale + v.tx, b.3 * v.scale + v.ty)
    }

    // Lesson 13's nodes: (40, 60) to (1510, 724).
    const LESSON_13: (f64, f64, f64, f64) = (40.0, 60.0, 1510.0, 724.0);

    #[test]
    fn fit_keeps_the_40_px_margin_when_names_are_readable_with_it() {
        let v = View::fit(LESSON_13, 1280.0, 700.0);
        let s = on_screen(v, LESSON_13);
        assert!((s.0 - 40.0).abs() < 1e-6 && (1280.0 - s.2 - 40.0).abs() < 1e-6, "{s:?}");
        assert!(s.1 >= 40.0 - 1e-6 && s.3 <= 660.0 + 1e-6, "{s:?}");
        assert!(v.scale >= COMPACT_MIN_SCALE);
    }

    #[test]
    fn fit_narrows_the_margin_to_reach_the_readable_scale() {
        // 40 px margins would give (640 - 80) / 1470 = 0.38, under the
        // compact drawing's minimum; 16 px ones allow 0.41: Fit takes 0.4
        // and the whole design is still in the frame.
        let v = View::fit(LESSON_13, 640.0, 480.0);
        assert!((v.scale - COMPACT_MIN_SCALE).abs() < 1e-9, "{v:?}");
        let s = on_screen(v, LESSON_13);
        assert!(
            s.0 >= FIT_MIN_MARGIN
                && s.1 >= FIT_MIN_MARGIN
                && s.2 <= 640.0 - FIT_MIN_MARGIN
                && s.3 <= 480.0 - FIT_MIN_MARGIN,
            "{s:?}"
        );
    }

    #[test]
    fn fit_shows_a_design_too_big_for_the_frame_whole_anyway() {
        // A phone held upright: below the readable scale, but all of it shown.
        let v = View::fit(LESSON_13, 390.0, 600.0);
        assert!(v.scale < COMPACT_MIN_SCALE && v.scale > 0.2, "{v:?}");
        let s = on_screen(v, LESSON_13);
        assert!((s.0 - FIT_MIN_MARGIN).abs() < 1e-6 && (390.0 - s.2 - FIT_MIN_MARGIN).abs() < 1e-6, "{s:?}");
        assert!(s.1 >= 0.0 && s.3 <= 600.0, "{s:?}");
        // Zooming out from there stays put instead of jumping in to the floor.
        assert!(v.zoom_at(1.0 / 1.2, 100.0, 100.0).scale <= v.scale);
        assert!(v.zoom_at(1.2, 100.0, 100.0).scale > v.scale);
    }

    #[test]
    fn fit_does_not_blow_a_small_design_up() {
        let v = View::fit((0.0, 0.0, 150.0, 64.0), 1920.0, 1080.0);
        assert_eq!(v.scale, FIT_CEILING);
        // And a frame with no room at all gives a usable view, not NaN.
        let v = View::fit(LESSON_13, 0.0, 0.0);
        assert!(v.scale > 0.0 && v.tx.is_finite() && v.ty.is_finite(), "{v:?}");
    }

    #[test]
    fn a_long_kind_line_is_squeezed_into_the_box_and_a_short_one_left_alone() {
        assert_eq!(kind_line_squeezed("75% · 0 waiting"), None);
        assert_eq!(kind_line_squeezed("web server"), None);
        assert_eq!(kind_line_squeezed("×3 +1 · 100% · 15.2k waiting"), Some(KIND_ROOM));
        assert_eq!(kind_line_squeezed("15,175 jobs · oldest 1,234 ms"), Some(KIND_ROOM));
    }

    #[test]
    fn the_name_has_the_same_size_on_both_sides_of_the_threshold() {
        assert!(!is_compact(1.0) && !is_compact(COMPACT_BELOW) && is_compact(COMPACT_BELOW - 1e-9));
        let l = compact_label("web-1", COMPACT_BELOW - 1e-9);
        assert!((l.size - NAME_FONT).abs() < 1e-6, "{l:?}");
    }

    // The normal drawing's kind line is still >= 9 px at the threshold:
    // checked when the constants are compiled.
    const _: () = assert!(KIND_FONT * COMPACT_BELOW >= TEXT_MIN_PX);

    fn check_fits(name: &str, l: &CompactLabel) {
        let w = l.lines.iter().map(|t| em_width(t) * l.size).fold(0.0, f64::max);
        assert!(w <= NODE_W - 2.0 * PAD_X + 1e-6, "{name}: {w} wide, {l:?}");
        let top = l.y - ASCENT * l.size;
        let bottom = match l.figure {
            Some((g, y)) => y + (1.0 - ASCENT) * g,
            None => l.y + (l.lines.len() as f64 - 1.0) * l.size + (1.0 - ASCENT) * l.size,
        };
        assert!(top >= PAD_Y - 1e-6 && bottom <= NODE_H - PAD_Y + 1e-6, "{name}: from {top} to {bottom}, {l:?}");
    }

    #[test]
    fn compact_names_stay_readable_down_to_the_minimum_scale() {
        let names = [
            "users",
            "dns",
            "lb",
            "web-1",
            "web-12",
            "db",
            "cache",
            "cache-eu",
            "primary",
            "replica-1",
            "cdn",
            "lb-east",
            "web-east",
            "cache-east",
            "sessions-east",
            "sessions-eu",
            "queue",
            "photo-workers",
            "router-east",
            "shard-3",
        ];
        let mut s = COMPACT_BELOW - 1e-9;
        while s >= COMPACT_MIN_SCALE {
            for name in names {
                let l = compact_label(name, s);
                assert_eq!(l.lines.concat(), name, "at {s}: {l:?}");
                assert!(l.size * s >= NAME_MIN_PX - 1e-9, "{name} at {s}: {l:?}");
                assert!(l.size * s <= NAME_PX + 1e-9, "{name} at {s}: {l:?}");
                if let Some((g, _)) = l.figure {
                    assert!(g * s >= TEXT_MIN_PX - 1e-9 && g * s <= FIGURE_PX + 1e-9, "{name} at {s}: {l:?}");
                }
                check_fits(name, &l);
            }
            s *= 0.98;
        }
        // The short ones keep their figure all the way down, on one line.
        for name in ["web-12", "cache-eu", "replica-1", "db"] {
            let l = compact_label(name, COMPACT_MIN_SCALE);
            assert!(l.lines.len() == 1 && l.figure.is_some(), "{name}: {l:?}");
        }
        // A long one breaks at its hyphen.
        assert_eq!(compact_label("sessions-east", 0.5).lines, ["sessions-", "east"]);
    }

    #[test]
    fn far_out_no_name_is_drawn_under_9_px() {
        for name in ["lb", "web-1", "sessions-east", "photoworkersandmore", "a b c d e f g h"] {
            let mut s = COMPACT_MIN_SCALE;
            while s > 0.05 {
                let l = compact_label(name, s);
                if !l.lines.is_empty() {
                    assert!(l.size * s >= TEXT_MIN_PX - 1e-9, "{name} at {s}: {l:?}");
                    check_fits(name, &l);
                }
                s *= 0.95;
            }
        }
        // Short names outlast long ones; at the zoom floor a two-letter one is still there.
        assert!(!compact_label("lb", MIN_ZOOM).lines.is_empty());
        assert!(compact_label("sessions-east", MIN_ZOOM).lines.is_empty());
    }

    #[test]
    fn figures_narrow_to_fit_or_go() {
        assert_eq!(figure_size(20.0, "87% busy", 0.5), Some(20.0));
        let narrowed = figure_size(25.0, "12,345 jobs", 0.45).unwrap();
        assert!(narrowed < 25.0 && narrowed * em_width("12,345 jobs") <= NODE_W - 2.0 * PAD_X + 1e-9);
        assert_eq!(figure_size(25.0, "12,345 jobs", 0.4), None);
    }

    #[test]
    fn small_texts_grow_to_stay_readable_and_only_then() {
        assert_eq!(readable_size(11.0, SMALL_TEXT_PX, 1.0), 11.0);
        assert!((readable_size(11.0, SMALL_TEXT_PX, 0.5) * 0.5 - SMALL_TEXT_PX).abs() < 1e-9);
        assert_eq!(spof_transform(1.0), None);
        assert!(spof_transform(0.5).is_some());
        // The badge keeps its text down to the compact drawing's minimum.
        assert!(spof_growth(COMPACT_MIN_SCALE) <= SPOF_MAX_GROWTH);
        assert_eq!(spof_transform(0.1), spof_transform(0.2));
    }

    #[test]
    fn long_names_are_narrowed_into_the_normal_box() {
        assert_eq!(normal_name_squeeze("web-1"), None);
        assert_eq!(normal_name_squeeze("replica-1"), None);
        assert_eq!(normal_name_squeeze("photo-workers"), Some("102".to_string()));
    }

    #[test]
    fn names_split_where_the_wider_half_is_narrowest() {
        assert_eq!(split_name("photo-workers"), Some(("photo-".to_string(), "workers".to_string())));
        assert_eq!(split_name("a-b-cccccc"), Some(("a-b-".to_string(), "cccccc".to_string())));
        assert_eq!(split_name("web east"), Some(("web".to_string(), "east".to_string())));
        assert_eq!(split_name("users"), None);
        assert_eq!(split_name("-x"), None);
    }
}
