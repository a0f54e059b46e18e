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
use super::{kind_label, Editor, Selection, GRID, NODE_H, NODE_W};
use crate::particles::Wire;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::{Health, Snapshot};
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

    /// Zooms by `factor` keeping the screen point (sx, sy) fixed.
    pub fn zoom_at(&self, factor: f64, sx: f64, sy: f64) -> View {
        let scale = (self.scale * factor).clamp(0.25, 3.0);
        let (wx, wy) = self.to_world(sx, sy);
        View { scale, tx: sx - wx * scale, ty: sy - wy * scale }
    }

    /// The view that shows the box (min_x, min_y, max_x, max_y) in a w x h area.
    pub fn fit(bounds: (f64, f64, f64, f64), w: f64, h: f64) -> View {
        let (x0, y0, x1, y1) = bounds;
        let margin = 40.0;
        let scale = ((w - 2.0 * margin) / (x1 - x0).max(1.0)).min((h - 2.0 * margin) / (y1 - y0).max(1.0)).clamp(0.25, 1.5);
        View { scale, tx: (w - (x1 - x0) * scale) / 2.0 - x0 * scale, ty: (h - (y1 - y0) * scale) / 2.0 - y0 * scale }
    }
}

/// What the pointer is doing on the diagram.
#[derive(Clone, Debug, Default)]
enum Gesture {
    #[default]
    Idle,
    Pan { start: (f64, f64), view: View },
    Move { start: (f64, f64), ids: Vec<String>, moved: bool },
    Connect { from: String },
    Box { start: (f64, f64), additive: bool },
    /// Two fingers: the world point under their midpoint at the start stays
    /// under their midpoint, and the scale follows their distance.
    Pinch { mid: (f64, f64), dist: f64, view: View },
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
    let (x, y) = editor.doc.with(|d| d.node_index(id).map(|i| (d.nodes[i].x.unwrap_or(0.0), d.nodes[i].y.unwrap_or(0.0))))?;
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

/// Colour class for a load level.
fn load_class(util: f64) -> &'static str {
    if util > 0.9 {
        "hot"
    } else if util > 0.7 {
        "warm"
    } else {
        "calm"
    }
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

#[component]
pub fn Diagram(
    snapshot: RwSignal<Option<Snapshot>>,
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
    let touches: StoredValue<Vec<(i32, (f64, f64))>, LocalStorage> = StoredValue::new_local(Vec::new());
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
                editor.say(format!("Connecting from {from}: tap the node to connect it to (tap empty space to cancel)"));
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
                        .filter_map(|id| editor.node(id).map(|n| (id.clone(), n.x.unwrap_or(0.0) + dx, n.y.unwrap_or(0.0) + dy)))
                        .collect();
                    let what = if ids.len() == 1 { format!("Moved {}", ids[0]) } else { format!("Moved {} nodes", ids.len()) };
                    editor.move_nodes(&moves, &what);
                }
            }
            Gesture::Connect { from } => {
                let (wx, wy) = view.get_untracked().to_world(p.0, p.1);
                let target = editor.doc.with_untracked(|d| {
                    d.nodes.iter().find(|n| {
                        let (x, y) = (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
                        wx >= x && wx <= x + NODE_W && wy >= y && wy <= y + NODE_H
                    }).map(|n| n.id.clone())
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
                    d.nodes.iter().filter(|n| {
                        let (x, y) = (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
                        x >= x0 && x + NODE_W <= x1 && y >= y0 && y + NODE_H <= y1
                    }).map(|n| n.id.clone()).collect()
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
        let ours = matches!(gesture.get_value(), Gesture::Pinch { .. }) || press.get_value().is_some_and(|pr| pr.pointer == id);
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
        press.set_value(Some(Press { pointer: ev.pointer_id(), touch: ev.pointer_type() == "touch", start: local(&ev), far: false, long_press: None }));
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

    // Over the live window (the last whole simulated seconds); none before it has a second.
    let per_second = move |count: u64| snapshot.with_untracked(|s| s.as_ref().filter(|s| s.span_s > 0.0).map(|s| count as f64 / s.span_s));
    let live = move |id: &str| snapshot.with(|s| s.as_ref().and_then(|s| s.nodes.iter().find(|n| n.id == id).cloned()));

    let node_ids = move || editor.doc.with(|d| d.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>());
    // Recomputed when the design changes, not every frame.
    let spofs = Memo::new(move |_| editor.doc.with(scalelab_engine::single_points_of_failure));
    let link_ends = move || editor.doc.with(|d| d.links.iter().map(|l| (l.from.clone(), l.to.clone())).collect::<Vec<_>>());

    view! {
        <div class="diagram-wrap" node_ref=svg_ref on:pointerdown:capture=pick_first class:panning=move || space_down.get() class:placing=move || palette.get().is_some()>
            <svg
                class="diagram"
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
                        let members: Vec<(f64, f64)> = d.nodes.iter()
                            .filter(|n| n.dc.as_deref() == Some(dc.id.as_str()))
                            .map(|n| (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0)))
                            .collect();
                        let x0 = members.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                        let y0 = members.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                        let x1 = members.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max) + NODE_W;
                        let y1 = members.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max) + NODE_H;
                        (!members.is_empty()).then(|| view! {
                            <g class="dc-area" data-testid=format!("dc-area-{}", dc.id)>
                                <rect x=x0 - 16.0 y=y0 - 30.0 width=x1 - x0 + 32.0 height=y1 - y0 + 46.0 rx="12" />
                                <text x=x0 - 6.0 y=y0 - 12.0>{format!("{} · {}", dc.id, dc.region.label())}</text>
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
                        let (f4, t4) = (from.clone(), to.clone());
                        let flow = Signal::derive(move || snapshot.with(|s| s.as_ref().and_then(|s| s.links.iter().find(|l| l.from == f4 && l.to == t4).map(|l| l.rps)).unwrap_or(0.0)));
                        let width = move || if flow_mode.get() { (1.5 + flow.get().max(0.0).log10().max(0.0) * 1.6).min(9.0) } else { 1.5 };
                        let (f5, t5) = (from.clone(), to.clone());
                        let label = Signal::derive(move || {
                            let (x, y) = wire.get()?.at(0.5);
                            Some((x, y - 6.0))
                        });
                        view! {
                            <g class="link" class:selected=selected data-testid=format!("link-{from}-{to}")>
                                <path class="link-hit" d=path on:pointerdown=move |ev: web_sys::PointerEvent| {
                                    ev.stop_propagation();
                                    editor.selection.set(Selection { nodes: vec![], link: Some((f5.clone(), t5.clone())) });
                                    editor.announcement.set(format!("Link from {} to {} selected", f5, t5));
                                } />
                                <path class="link-line" d=path stroke-width=width marker-end="url(#arrow)" />
                                <Show when=move || flow_mode.get()>
                                    <text class="flow-label" x=move || label.get().map(|l| l.0).unwrap_or(0.0) y=move || label.get().map(|l| l.1).unwrap_or(0.0) text-anchor="middle">
                                        {move || format!("{}/s", crate::format::number(flow.get()))}
                                    </text>
                                </Show>
                            </g>
                        }
                    } />
                    {move || connect_to.get().and_then(|(x2, y2)| {
                        let Gesture::Connect { from } = gesture.get_value() else { return None };
                        let a = node_box(&editor, &from, None)?;
                        Some(view! { <line class="link-preview" x1=a.0 + NODE_W y1=a.1 + NODE_H / 2.0 x2=x2 y2=y2 /> })
                    })}
                    <For each=node_ids key=|id| id.clone() children=move |id: String| {
                        let kind = editor.node(&id).map(|n| n.spec.kind_name()).unwrap_or("node");
                        let (i1, i2, i3, i4, i5, i6, i7) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                        let pos = move || node_box(&editor, &i1, drag_offset.get().as_ref()).unwrap_or((0.0, 0.0));
                        let selected = move || editor.selection.with(|s| s.nodes.contains(&i2));
                        let connecting = move || editor.connecting_from.get().as_deref() == Some(i3.as_str());
                        let state = Signal::derive(move || live(&i4));
                        let util = Signal::derive(move || state.get().map(|n| n.summary.utilization).unwrap_or(0.0));
                        let has_workers = matches!(kind, "web_server" | "cache" | "database" | "workers" | "nosql");
                        let health = Signal::derive(move || state.get().map(|n| n.health).unwrap_or(Health::Up));
                        let label = move || {
                            let n = state.get();
                            let h = match health.get() { Health::Up => "up", Health::Down => "down", Health::Degraded { .. } => "slowed down" };
                            match n {
                                Some(n) if has_workers => format!("{} {}, {}, {:.0}% busy, {} waiting", kind_label(kind), i5, h, n.summary.utilization * 100.0, n.waiting),
                                _ => format!("{} {}, {}", kind_label(kind), i5, h),
                            }
                        };
                        view! {
                            <g
                                class=move || format!("node kind-{kind}")
                                class:selected=selected
                                class:connecting=connecting
                                class:down=move || health.get() == Health::Down
                                class:degraded=move || matches!(health.get(), Health::Degraded { .. })
                                transform=move || { let (x, y) = pos(); format!("translate({x} {y})") }
                                tabindex="0"
                                role="button"
                                aria-label=label
                                data-testid=format!("node-{id}")
                                data-node=id.clone()
                                on:pointerdown=move |ev| node_down(ev, i6.clone())
                                on:focus=move |_| {
                                    if !editor.selection.with_untracked(|s| s.nodes.contains(&i7)) {
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
                                <text x="40" y="25" class="node-id">{id.clone()}</text>
                                {
                                    let i8 = id.clone();
                                    move || spofs.with(|s| s.contains(&i8)).then(|| view! {
                                        <g class="spof-badge" data-testid=format!("spof-{}", i8)>
                                            <title>"Single point of failure: if this fails, some requests cannot be served"</title>
                                            <rect x=NODE_W - 40.0 y="-9" width="40" height="16" rx="4" />
                                            <text x=NODE_W - 20.0 y="3" text-anchor="middle">"SPOF"</text>
                                        </g>
                                    })
                                }
                                <text x="40" y="44" class="node-kind">{move || {
                                    match (health.get(), state.get()) {
                                        (Health::Down, _) => "DOWN".to_string(),
                                        (_, Some(n)) if kind == "queue" => match n.oldest_job_age_ms {
                                            Some(age) => format!("{} jobs · oldest {}", crate::format::count(n.waiting.into()), crate::format::ms(Some(age))),
                                            None => "empty".to_string(),
                                        },
                                        (_, Some(n)) if kind == "cdn" => match n.summary.cache {
                                            Some(c) => format!("{:.0}% from the edge", c.hit_ratio * 100.0),
                                            None => "no static requests".to_string(),
                                        },
                                        (_, Some(n)) if kind == "cache" => match n.summary.cache {
                                            Some(c) => format!("{:.0}% hits · {:.0}% busy", c.hit_ratio * 100.0, n.summary.utilization * 100.0),
                                            None => "no lookups".to_string(),
                                        },
                                        (_, Some(n)) if has_workers && n.group.is_some() => {
                                            let (running, booting) = n.group.unwrap_or_default();
                                            let boot = if booting > 0 { format!(" +{booting}") } else { String::new() };
                                            format!("×{running}{boot} · {:.0}% · {} waiting", n.summary.utilization * 100.0, n.waiting)
                                        }
                                        (_, Some(n)) if has_workers => format!("{:.0}% · {} waiting", n.summary.utilization * 100.0, n.waiting),
                                        // Users and load balancers: requests sent on per second,
                                        // whatever becomes of them downstream.
                                        (_, Some(n)) => match per_second(n.summary.arrivals) {
                                            Some(rate) => format!("{}/s", crate::format::number(rate)),
                                            None => "–/s".to_string(),
                                        },
                                        _ => kind_label(kind).to_string(),
                                    }
                                }}</text>
                                // Caches only answer; every other kind links onwards
                                // (a database to its read replicas).
                                {(!matches!(kind, "cache" | "workers" | "nosql")).then(|| { let port_id = id.clone(); view! {
                                    <circle class="port" cx=NODE_W cy=NODE_H / 2.0 r="7" data-testid=format!("port-{port_id}")
                                        on:pointerdown=move |ev| port_down(ev, port_id.clone()) />
                                }})}
                            </g>
                        }
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
}
