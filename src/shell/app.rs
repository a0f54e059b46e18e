//! The playground: controls on top, palette left, diagram centre, inspector
//! right, dashboard below. The simulation lives outside the reactive graph,
//! in the editor's live run (`run::live_run`); the frame loop ticks it and
//! publishes each reading it gives, a few times a second and at once after a
//! command.

use crate::base::format;
use crate::editor::diagram::{is_typing, Diagram, Pick, View};
use crate::editor::palette::{Palette, PaletteGesture};
use crate::editor::{Editor, GRID, NODE_H, NODE_W};
use crate::keeping::{self, Asked, ShareOffer};
use crate::panels::dashboard::Dashboard;
use crate::run::frame_loop::use_frame_loop;
use crate::shell::animation::{Animation, Sampling};
use crate::state::Live;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::live_session::LiveReading;
use scalelab_engine::publish::Published;
use scalelab_engine::scenario::{NodeSpec, Rate, Scenario};
use scalelab_engine::{Edit, NodeKind};
use wasm_bindgen::JsCast;

/// The traffic dial: daily users from 1 to 100 million on a log scale.
const DIAL_STEPS: f64 = 800.0;
/// Wall time the dots get to move after a "Step" while paused: the step's
/// 0.1 s of simulated time shown at 1x.
const STEP_WALL_MS: f64 = 100.0;
const SPEEDS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0];

pub fn dial_to_users(v: f64) -> f64 {
    let users = 10f64.powf(v / 100.0);
    // Two significant digits: the dial reads like a setting.
    let magnitude = 10f64.powf(users.log10().floor() - 1.0).max(1.0);
    ((users / magnitude).round() * magnitude).clamp(1.0, 1e8)
}

pub fn users_to_dial(users: f64) -> f64 {
    (users.max(1.0).log10() * 100.0).clamp(0.0, DIAL_STEPS)
}

#[component]
pub fn App() -> impl IntoView {
    // What the address asks for (lesson, embed mode...), read once.
    let options = crate::base::page::from_browser();
    provide_context(options.clone());
    let embed = options.embed;
    // An embedded playground shows the design in its address and leaves the
    // autosave alone (see keeping::open_embedded).
    // `?lesson=N`, `?example=NAME` or `?blueprint=NAME` (see keeping/mod.rs
    // for how it ranks against links and autosave); a lesson wins over an
    // example, an example over a blueprint.
    let mut problems = options.problems.clone();
    let asked = match (options.lesson, crate::lessons::shelf::asked(&options)) {
        (Some(n), _) => crate::lessons::scenario(n).map(|scenario| Asked { name: format!("lesson {n}"), scenario }),
        (None, Some(Err(why))) => {
            problems.push(why);
            None
        }
        (None, Some(Ok(d))) => d.scenario().map(|scenario| Asked { name: d.called(), scenario }),
        (None, None) => None,
    };
    let mut opening = if embed { keeping::open_embedded_with(asked) } else { keeping::open_from_browser_with(asked) };
    // A lesson opened over the autosave: Undo brings the autosave back.
    let editor = match opening.replaced.take() {
        Some(earlier) => {
            let e = Editor::new(earlier);
            e.load(opening.scenario.clone(), "");
            e
        }
        None => Editor::new(opening.scenario.clone()),
    };
    editor.read_only.set(!options.editable());
    provide_context(editor);
    match opening.message {
        Some((text, true)) => editor.refuse(text),
        Some((text, false)) => editor.say(text),
        None => {}
    }
    if !problems.is_empty() {
        editor.refuse(problems.join(". "));
    }
    if opening.clear_fragment {
        keeping::clear_fragment();
    }
    if !embed {
        keeping::use_autosave(editor);
    }
    let share = RwSignal::new(None::<ShareOffer>);
    let picture = RwSignal::new(false);
    let file_input = NodeRef::<html::Input>::new();
    let live = Live {
        snapshot: RwSignal::new(None),
        series: RwSignal::new(Vec::new()),
        log: RwSignal::new(Vec::new()),
        behind: RwSignal::new(false),
        slots: RwSignal::new(Vec::new()),
        goal: RwSignal::new(None),
        headline: RwSignal::new(Default::default()),
        breakdown: RwSignal::new(None),
        theory: RwSignal::new(None),
        parts: crate::state::live::Parts::new(),
    };
    provide_context(live);
    let lessons = crate::panels::lesson_panel::use_lessons(editor, live, &options);
    let tracing = crate::panels::trace_panel::use_tracing();
    // The resilience report and the estimate (one panel at a time).
    crate::panels::resilience_panel::use_tools();
    let layout = crate::keeping::layout::use_layout(embed);

    let playing = RwSignal::new(true);
    let speed = RwSignal::new(1.0f64);
    let view = RwSignal::new(View { tx: 20.0, ty: 20.0, scale: 1.0 });
    let palette = RwSignal::new(None::<PaletteGesture>);
    let show_help = RwSignal::new(false);
    let reduced_motion = prefers_reduced_motion();
    let animate = RwSignal::new(!reduced_motion);
    let canvas = NodeRef::<html::Canvas>::new();
    let diagram_ref = NodeRef::<html::Div>::new();
    let theme = RwSignal::new(Theme::System);
    let repaint = crate::panels::charts::Repaint(RwSignal::new(0));
    provide_context(repaint);
    let _resize = window_event_listener(leptos::ev::resize, move |_| repaint.0.update(|v| *v += 1));
    crate::base::input::track();
    let drawer = crate::shell::drawer::use_drawer(layout, repaint.0);
    let animation = StoredValue::new_local(Animation::new());
    let sampling = RwSignal::new(Sampling::default());
    let dark = StoredValue::new(crate::panels::charts::page_is_dark());
    // Set by "Step": the next frame lets the dots move although paused.
    let stepped = StoredValue::new(false);

    let breakdown_shown = crate::panels::breakdown_panel::BreakdownShown(RwSignal::new(false));
    provide_context(breakdown_shown);
    let publish = move |reading: LiveReading| {
        let LiveReading { published, behind, theory, .. } = reading;
        let Published { snapshot: snap, series, log: entries, node_slots: slots, goal, headline, breakdown, trace } =
            published;
        tracing.show(trace);
        if live.breakdown.with_untracked(|b| *b != breakdown) {
            live.breakdown.set(breakdown);
        }
        if live.headline.with_untracked(|h| *h != headline) {
            live.headline.set(headline);
        }
        if live.goal.with_untracked(|g| *g != goal) {
            live.goal.set(goal);
        }
        if live.slots.with_untracked(|s| *s != slots) {
            live.slots.set(slots);
        }
        if live.theory.with_untracked(|t| *t != theory) {
            live.theory.set(theory);
        }
        if !entries.is_empty() {
            live.log.update(|l| {
                l.extend(entries);
                let excess = l.len().saturating_sub(100);
                l.drain(..excess);
            });
        }
        // The boxes and wires first, each only if its figures changed.
        live.parts.publish(Some(&snap));
        live.snapshot.set(Some(snap));
        live.series.set(series);
        live.behind.set(behind);
    };

    // The dots look up where the boxes are again after any change of design.
    Effect::new(move |_| {
        editor.doc.track();
        animation.update_value(Animation::forget_boxes);
    });

    // A rebuilt simulation starts with an empty log and series.
    Effect::new(move |_| {
        editor.generation.track();
        live.log.set(Vec::new());
        live.series.set(Vec::new());
        live.snapshot.set(None);
        live.parts.publish(None);
        editor.doc.with_untracked(|d| live.parts.keep_only(d));
        live.goal.set(None);
        live.headline.set(Default::default());
        live.breakdown.set(None);
        live.theory.set(None);
        animation.update_value(Animation::clear);
    });

    use_frame_loop(move |elapsed_ms| {
        let Some(is_playing) = playing.try_get_untracked() else { return };
        // What the page shows decides what the run computes.
        let breakdown = breakdown_shown.0.get_untracked();
        let reading = editor
            .run
            .try_update_value(|r| {
                r.set_playing(is_playing, speed.get_untracked());
                r.watch(|w| w.breakdown = breakdown);
                let budget = crate::run::live_run::engine_ms_per_frame(r.speed());
                r.tick(budget, crate::run::frame_loop::now_ms)
            })
            .flatten();
        // The dots move with wall time while playing, hold still while
        // paused (so pan and zoom still redraw them), and catch up after a step.
        let wall_ms = if is_playing {
            elapsed_ms
        } else if stepped.get_value() {
            stepped.set_value(false);
            STEP_WALL_MS
        } else {
            0.0
        };
        if let Some(canvas) = canvas.get_untracked() {
            let show = animate.get_untracked();
            let v = view.get_untracked();
            let is_dark = dark.get_value();
            editor.run.update_value(|r| {
                animation.update_value(|a| {
                    if show {
                        editor.doc.with_untracked(|doc| a.frame(r, doc, wall_ms, v, &canvas, is_dark));
                    } else {
                        a.hide(r, &canvas);
                    }
                })
            });
        }
        if let Some(reading) = reading {
            publish(reading);
            dark.set_value(crate::panels::charts::page_is_dark());
            let now = animation.with_value(Animation::sampling);
            if sampling.get_untracked() != now {
                sampling.set(now);
            }
        }
    });

    // Palette drag: follow the pointer anywhere, drop on the diagram.
    let _move = window_event_listener(leptos::ev::pointermove, move |ev| {
        if let Some(PaletteGesture::Dragging { kind, x, y, .. }) = palette.get_untracked() {
            let moved = (ev.client_x() as f64 - x).abs() + (ev.client_y() as f64 - y).abs() > 4.0;
            palette.set(Some(PaletteGesture::Dragging {
                kind,
                x: ev.client_x() as f64,
                y: ev.client_y() as f64,
                moved: moved || matches!(palette.get_untracked(), Some(PaletteGesture::Dragging { moved: true, .. })),
            }));
        }
    });
    let _up = window_event_listener(leptos::ev::pointerup, move |ev| {
        let Some(PaletteGesture::Dragging { kind, moved, .. }) = palette.get_untracked() else { return };
        if !moved {
            palette.set(Some(PaletteGesture::Armed { kind }));
            editor.announcement.set(format!("Click the diagram to place the {}", kind.label()));
            return;
        }
        palette.set(None);
        let Some(el) = diagram_ref.get_untracked() else { return };
        let r = el.get_bounding_client_rect();
        let (cx, cy) = (ev.client_x() as f64, ev.client_y() as f64);
        if cx >= r.left() && cx <= r.right() && cy >= r.top() && cy <= r.bottom() {
            let (wx, wy) = view.get_untracked().to_world(cx - r.left(), cy - r.top());
            editor.add_node(kind, wx - NODE_W / 2.0, wy - NODE_H / 2.0);
        }
    });

    // Keyboard: palette Enter adds a node in view, at a free spot.
    let add_here = Callback::new(move |kind: NodeKind| {
        let (w, h) = diagram_ref
            .get_untracked()
            .map(|el| {
                let r = el.get_bounding_client_rect();
                (r.width(), r.height())
            })
            .unwrap_or((800.0, 500.0));
        let v = view.get_untracked();
        let (cx, cy) = v.to_world(w / 2.0, h / 2.0);
        let (x, y) = crate::editor::free_spot(&editor.doc.get_untracked(), cx - NODE_W / 2.0, cy - NODE_H / 2.0);
        if let Some(id) = editor.add_node(kind, x, y) {
            focus_node(&id);
        }
    });

    // The view Fit last chose: while the user has not panned or zoomed away
    // from it, a change of the diagram's room frames the design again.
    let fitted = StoredValue::new(None::<(View, f64, f64)>);
    // The play area's size: the diagram's room, whatever the status row holds.
    let room = move || {
        diagram_ref.get_untracked().and_then(|el| el.closest(".play-area").ok().flatten()).map_or((0.0, 0.0), |a| {
            let r = a.get_bounding_client_rect();
            (r.width(), r.height())
        })
    };
    let fit = move || {
        let Some(el) = diagram_ref.get_untracked() else { return };
        let r = el.get_bounding_client_rect();
        if r.width() < 1.0 || r.height() < 1.0 {
            return;
        }
        let bounds = editor.doc.with_untracked(|d| {
            d.nodes.iter().fold(None, |acc: Option<(f64, f64, f64, f64)>, n| {
                let (x, y) = (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
                Some(match acc {
                    None => (x, y, x + NODE_W, y + NODE_H),
                    Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x + NODE_W), d.max(y + NODE_H)),
                })
            })
        });
        if let Some(b) = bounds {
            let v = View::fit(b, r.width(), r.height());
            let (w, h) = room();
            fitted.set_value(Some((v, w, h)));
            view.set(v);
        }
    };
    // Only a change of the diagram's room counts (a drawer floating over it
    // does not, nor a notice in the row under it), and only while the view is
    // still the one Fit chose.
    let refit_if_untouched = move || {
        let Some((v, w, h)) = fitted.get_value() else { return };
        let (rw, rh) = room();
        let resized = (rw - w).abs() > 0.5 || (rh - h).abs() > 0.5;
        if resized && view.get_untracked() == v {
            fit();
        }
    };

    // The toolbar's "☰" (narrow windows): the controls that do not fit.
    let more_open = RwSignal::new(false);
    // Zoom about the middle of the diagram.
    let zoom = move |factor: f64| {
        let (w, h) = diagram_ref
            .get_untracked()
            .map(|el| {
                let r = el.get_bounding_client_rect();
                (r.width(), r.height())
            })
            .unwrap_or((600.0, 400.0));
        view.update(|v| *v = v.zoom_at(factor, w / 2.0, h / 2.0));
    };
    // Into the diagram from anywhere: the selected node, else the first one.
    let enter_diagram = move || {
        let target = editor
            .selection
            .with_untracked(|s| s.nodes.first().cloned())
            .or_else(|| editor.doc.with_untracked(|d| d.nodes.first().map(|n| n.id.clone())));
        match target {
            Some(id) => focus_node(&id),
            None => editor.say("The diagram is empty: add a component from the palette"),
        }
    };

    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if is_typing(&ev) {
            if ev.key() == "Escape" {
                blur_active();
            }
            return;
        }
        let ctrl = ev.ctrl_key() || ev.meta_key();
        let key = ev.key();
        let handled = match key.as_str() {
            "z" | "Z" if ctrl && ev.shift_key() => {
                editor.redo();
                true
            }
            "z" | "Z" if ctrl => {
                editor.undo();
                true
            }
            "y" | "Y" if ctrl => {
                editor.redo();
                true
            }
            "c" if ctrl => {
                editor.copy();
                true
            }
            "v" if ctrl => {
                editor.paste();
                true
            }
            "d" if ctrl => {
                editor.duplicate();
                true
            }
            "Delete" | "Backspace" => {
                editor.delete_selection();
                true
            }
            "Escape" => {
                palette.set(None);
                show_help.set(false);
                more_open.set(false);
                drawer.fold_if_floating();
                if editor.connecting_from.get_untracked().is_some() {
                    editor.connecting_from.set(None);
                    editor.say("Connection cancelled");
                }
                true
            }
            "?" => {
                show_help.update(|h| *h = !*h);
                true
            }
            "c" | "C" if !ctrl && !editor.may_change() => true,
            "c" | "C" if !ctrl => {
                // The focused node first (keyboard users), else the selected one.
                match focused_node().or_else(|| editor.selection.get_untracked().nodes.first().cloned()) {
                    Some(from) => {
                        editor.connecting_from.set(Some(from.clone()));
                        editor.say(format!(
                            "Connecting from {from}: Tab to the node to connect to and press Enter (Esc cancels)"
                        ));
                    }
                    None => editor.say("Select a node first, then press C to connect it"),
                }
                true
            }
            "Enter" => {
                let focused = focused_node();
                match (editor.connecting_from.get_untracked(), focused) {
                    (Some(from), Some(to)) => {
                        editor.connecting_from.set(None);
                        if from != to {
                            editor.connect(&from, &to);
                        }
                        true
                    }
                    _ => false,
                }
            }
            "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" if !ev.alt_key() => {
                let ids = editor.selection.get_untracked().nodes;
                if ids.is_empty() {
                    false
                } else {
                    let step = if ev.shift_key() { 5.0 * GRID } else { GRID };
                    let (dx, dy) = match key.as_str() {
                        "ArrowLeft" => (-step, 0.0),
                        "ArrowRight" => (step, 0.0),
                        "ArrowUp" => (0.0, -step),
                        _ => (0.0, step),
                    };
                    let moves: Vec<(String, f64, f64)> = ids
                        .iter()
                        .filter_map(|id| {
                            editor.node(id).map(|n| (id.clone(), n.x.unwrap_or(0.0) + dx, n.y.unwrap_or(0.0) + dy))
                        })
                        .collect();
                    let what =
                        moves.first().map(|(id, x, y)| format!("Moved {id} to {x:.0}, {y:.0}")).unwrap_or_default();
                    editor.move_nodes(&moves, &what);
                    true
                }
            }
            "+" | "=" => {
                zoom(1.2);
                true
            }
            "-" => {
                zoom(1.0 / 1.2);
                true
            }
            "0" => {
                fit();
                true
            }
            "g" | "G" if !ctrl => {
                enter_diagram();
                true
            }
            "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" if ev.alt_key() => {
                let (dx, dy) = match key.as_str() {
                    "ArrowLeft" => (-1.0, 0.0),
                    "ArrowRight" => (1.0, 0.0),
                    "ArrowUp" => (0.0, -1.0),
                    _ => (0.0, 1.0),
                };
                match focused_node().and_then(|from| editor.doc.with_untracked(|d| nearest_node(d, &from, dx, dy))) {
                    Some(next) => focus_node(&next),
                    None if focused_node().is_none() => enter_diagram(),
                    None => {}
                }
                true
            }
            " " => true, // held for panning; keep the page from scrolling
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });

    // Theme: follows the system unless toggled.
    Effect::new(move |_| {
        let t = theme.get();
        if let Some(root) = document().document_element() {
            match t {
                Theme::System => {
                    let _ = root.remove_attribute("data-theme");
                }
                Theme::Light => {
                    let _ = root.set_attribute("data-theme", "light");
                }
                Theme::Dark => {
                    let _ = root.set_attribute("data-theme", "dark");
                }
            }
        }
        dark.set_value(crate::panels::charts::page_is_dark());
        repaint.0.update(|v| *v += 1);
    });

    let users_dau = move || {
        editor.doc.with(|d| {
            d.nodes.iter().find_map(|n| match &n.spec {
                NodeSpec::Users(u) => Some(match u.rate {
                    Rate::Users { dau, .. } => dau,
                    Rate::Rps { rps } => {
                        rps * 86_400.0 / (Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY * Rate::DEFAULT_PEAK_FACTOR)
                    }
                }),
                _ => None,
            })
        })
    };
    let users_rps = move || {
        editor.doc.with(|d| {
            d.nodes.iter().find_map(|n| match &n.spec {
                NodeSpec::Users(u) => Some(u.rps()),
                _ => None,
            })
        })
    };
    let set_users = move |users: f64| {
        let doc = editor.doc.get_untracked();
        let Some(node) = doc.nodes.iter().find(|n| matches!(n.spec, NodeSpec::Users(_))).cloned() else {
            editor.refuse("Add users to the diagram first");
            return;
        };
        let mut node = node;
        if let NodeSpec::Users(u) = &mut node.spec {
            u.rate = match u.rate {
                Rate::Users { requests_per_user_per_day, peak_factor, .. } => {
                    Rate::Users { dau: users, requests_per_user_per_day, peak_factor }
                }
                Rate::Rps { .. } => Rate::users(users),
            };
            u.population = (users as u64).max(1);
        }
        let id = node.id.clone();
        editor.edit_traffic(Edit::UpdateNode { node }, &format!("{id}: {} daily users", format::number(users)));
    };
    // The dial's value while it moves: shown at once, applied once it settles,
    // so the run and its log get one change, not one per step: when the key
    // held on it is released (a held arrow key repeats; each repeat fires a
    // change), when it loses the focus, or at once for a change that no key
    // is held for (a drag ends with one).
    let dial_pending = RwSignal::new(None::<f64>);
    let dial_key_held = StoredValue::new(false);
    let dial_at = RwSignal::new(None::<(f64, f64)>);
    let commit_dial = move || {
        if let Some(u) = dial_pending.get_untracked() {
            dial_pending.set(None);
            set_users(u);
        }
    };
    let set_dial = move |v: f64| {
        let users = dial_to_users(v);
        dial_at.set(Some((v, users)));
        dial_pending.set(Some(users));
        if !dial_key_held.get_value() {
            commit_dial();
        }
    };
    let shown_dau = move || dial_pending.get().or_else(users_dau);
    let shown_rps = move || match dial_pending.get() {
        Some(u) => Some(Rate::users(u).rps()),
        None => users_rps(),
    };

    // Confirmations fade after a few seconds; refusals stay until dismissed.
    Effect::new(move |_| {
        if let Some(n) = editor.notice.get() {
            if !n.error {
                set_timeout(
                    move || {
                        if editor.notice.try_get_untracked().flatten().as_ref() == Some(&n) {
                            editor.notice.set(None);
                        }
                    },
                    std::time::Duration::from_secs(5),
                );
            }
        }
    });

    // Show the whole design once the diagram has a size, and whenever a
    // design is loaded (a file, a lesson, an earlier version).
    Effect::new(move |_| {
        lessons.fit.track();
        editor.loaded.track();
        request_animation_frame(fit);
    });
    // The diagram's room changed (the window, a drawer opening, the charts
    // unfolding): frame the design again, unless the user has moved the view.
    Effect::new(move |first: Option<()>| {
        repaint.0.track();
        layout.track();
        drawer.tab.track();
        if first.is_some() {
            request_animation_frame(refit_if_untouched);
        }
    });

    // Messages with a page that embeds this one (embed.rs).
    let ignored_messages = crate::shell::embed::use_host_messages(editor, live, playing, &options);
    let editable = options.editable();
    let show_palette = !embed || options.palette;

    let dial_label = move || shown_dau().map(|u| format!("{} daily users", format::number(u))).unwrap_or_default();

    view! {
        <div class="app" data-testid="app-ready" class:embed=embed class:read-only=move || editor.read_only.get() class:no-palette=!show_palette
            class:has-selection=move || !editor.selection.with(|s| s.is_empty())
            class:lesson-open=move || lessons.shown.get()
            class:drawer-open=move || drawer.is_open()
            class:dashboard-open=move || layout.with(|l| l.dashboard_open)
            data-ignored-messages=move || ignored_messages.get().to_string()>
            <button class="skip-link" data-testid="skip-to-diagram" on:click=move |_| enter_diagram()>"Skip to the diagram (G)"</button>
            <header class="toolbar" class:more-open=move || more_open.get()
                on:keydown=move |ev| if ev.key() == "Escape" && more_open.get_untracked() { more_open.set(false) }>
                <h1 class="brand">"Scale Lab"</h1>
                <button class="primary run-toggle" data-testid="play-toggle" aria-pressed=move || playing.get().to_string()
                    on:click=move |_| playing.update(|p| *p = !*p)>
                    {move || if playing.get() { "Pause" } else { "Play" }}
                </button>
                <div class="dial" role="group" aria-label="Traffic">
                    <input type="range" min="0" max=DIAL_STEPS.to_string() step="1" data-testid="traffic" aria-label="Daily users (log scale)"
                        aria-valuetext=dial_label
                        prop:value=move || {
                            let users = shown_dau();
                            // Where the user left the knob, while it still gives the design's users
                            // (users are rounded to two digits: the knob must not jump back).
                            match (dial_at.get(), users) {
                                (Some((at, gave)), Some(u)) if (gave - u).abs() < 0.5 => at,
                                _ => users.map(users_to_dial).unwrap_or(0.0),
                            }.round().to_string()
                        }
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                dial_at.set(Some((v, dial_to_users(v))));
                                dial_pending.set(Some(dial_to_users(v)));
                            }
                        }
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { set_dial(v); } }
                        on:keydown=move |_| dial_key_held.set_value(true)
                        on:keyup=move |_| { dial_key_held.set_value(false); commit_dial(); }
                        on:blur=move |_| { dial_key_held.set_value(false); commit_dial(); } />
                    <input type="text" inputmode="decimal" class="dial-users" data-testid="traffic-users" aria-label="Daily users"
                        title="Daily users: type a number (25000, 2.5M) and press Enter"
                        prop:value=move || shown_dau().map(format::number).unwrap_or_default()
                        on:change=move |ev| {
                            let typed = event_target_value(&ev);
                            match parse_users(&typed) {
                                Ok(users) => {
                                    dial_pending.set(None);
                                    set_users(users);
                                }
                                Err(why) => {
                                    editor.refuse(why);
                                    // The field shows the design's value again: nothing was changed.
                                    let input: web_sys::HtmlInputElement = event_target(&ev);
                                    input.set_value(&shown_dau().map(format::number).unwrap_or_default());
                                }
                            }
                        } />
                    <output data-testid="traffic-value" class="dial-value">{move || match (shown_dau(), shown_rps()) {
                        (Some(u), Some(r)) => format!("{} users · {} req/s", format::number(u), format::number(r)),
                        _ => "no users".into(),
                    }}</output>
                </div>
                <button class="more-toggle" data-testid="more" aria-expanded=move || more_open.get().to_string() aria-controls="toolbar-more"
                    aria-label="More controls" title="More controls" on:click=move |_| more_open.update(|o| *o = !*o)>"☰"</button>
                <div class="toolbar-more" id="toolbar-more"
                    on:click=move |ev| {
                        // A command chosen from a menu folds the "☰" away too.
                        let chosen = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .and_then(|t| t.closest(".menu-list button:not([aria-haspopup='true'])").ok().flatten());
                        if chosen.is_some() {
                            more_open.set(false);
                        }
                    }>
                    <div class="run-more" role="group" aria-label="Run">
                        <button data-testid="step" disabled=move || playing.get() title="Advance 0.1 s of simulated time"
                            on:click=move |_| {
                                editor.run.update_value(|r| r.step());
                                stepped.set_value(true);
                            }>"Step"</button>
                        <button data-testid="reset" title="Run the design again from time 0" on:click=move |_| editor.reset()>"Reset"</button>
                        <label class="inline">
                            <span>"Speed"</span>
                            <select data-testid="speed" prop:value=move || speed.get().to_string()
                                on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse::<f64>() { speed.set(s); } }>
                                {SPEEDS.iter().map(|s| view! { <option value=s.to_string()>{format!("{s}x")}</option> }).collect_view()}
                            </select>
                        </label>
                        <span class="clock" data-testid="sim-time">{move || live.snapshot.with(|s| format!("t = {:.1} s", s.as_ref().map(|s| s.now_s).unwrap_or(0.0)))}</span>
                        <Show when=move || live.behind.get()>
                            <span class="behind" role="status">"slower than real time"</span>
                        </Show>
                    </div>
                    <div class="menus" role="group" aria-label="Menus">
                        {(!embed).then(|| view! {
                            <crate::shell::menu::Menu label="File" test_id="file-menu" title="New, open, save, share, picture, embed, earlier versions">
                                <button data-testid="new-diagram" title="Start from an empty diagram (undo brings the old one back)" on:click=move |_| {
                                    if !editor.may_change() { return; }
                                    let mut empty = editor.doc.get_untracked();
                                    empty.nodes.clear();
                                    empty.links.clear();
                                    empty.name = None;
                                    empty.goal = None;
                                    editor.load(empty, "New empty diagram: add components from the palette");
                                }>"New"</button>
                                <button data-testid="open-file" title="Open a design saved as a .json file" on:click=move |_| {
                                    if !editor.may_change() { return; }
                                    if let Some(input) = file_input.get_untracked() { input.click(); }
                                }>"Open…"</button>
                                <button data-testid="save-file" title="Download the design as a .json file" on:click=move |_| keeping::export(editor)>"Save"</button>
                                <button data-testid="share" title="A link that opens this design" on:click=move |_| {
                                    let page = window().location().href().unwrap_or_default();
                                    share.set(Some(editor.doc.with_untracked(|d| keeping::share_offer(&page, d))));
                                }>"Share…"</button>
                                <button data-testid="picture" aria-haspopup="dialog" title="Download a picture of the diagram: SVG, or PNG for slides"
                                    on:click=move |_| picture.set(true)>"Picture…"</button>
                                <crate::shell::embed::EmbedButton label="Embed…" />
                            </crate::shell::menu::Menu>
                        })}
                        <crate::shell::menu::Menu label="Learn" test_id="learn-menu" title="Lessons, gallery of designs, comparison, resilience report, estimate, request trace">
                            <crate::panels::lesson_panel::LessonsButton />
                            <crate::panels::gallery_panel::GalleryButton />
                            <crate::panels::compare_panel::CompareButton />
                            <crate::panels::resilience_panel::ResilienceButton />
                            <crate::panels::envelope_panel::EnvelopeButton />
                            <crate::panels::trace_panel::TraceButton />
                        </crate::shell::menu::Menu>
                        <crate::shell::menu::Menu label="View" test_id="view-menu" title="Animation, theme, seed, keyboard shortcuts">
                            <button data-testid="animation-toggle" aria-pressed=move || animate.get().to_string() on:click=move |_| animate.update(|a| *a = !*a)>
                                {move || if animate.get() { "Hide animation" } else { "Show animation" }}
                            </button>
                            <button data-testid="theme-toggle" hidden=embed on:click=move |_| theme.update(|t| *t = t.next())
                                aria-label=move || theme.get().label() title=move || format!("{} (click to change)", theme.get().label())>{move || theme.get().short()}</button>
                            <button data-testid="palette-labels" hidden=!show_palette aria-pressed=move || layout.with(|l| l.palette_wide).to_string()
                                on:click=move |_| layout.update(|l| l.palette_wide = !l.palette_wide)>
                                {move || if layout.with(|l| l.palette_wide) { "Palette: icons only" } else { "Palette: with labels" }}
                            </button>
                            <label class="menu-field" hidden=embed>
                                <span>"Seed"</span>
                                <input type="text" inputmode="numeric" class="seed" data-testid="seed"
                                    prop:value=move || editor.doc.with(|d| d.seed.to_string())
                                    on:change=move |ev| {
                                        match event_target_value(&ev).trim().parse::<u64>() {
                                            Ok(_) if !editor.may_change() => {}
                                            Ok(seed) => {
                                                let mut doc = editor.doc.get_untracked();
                                                doc.seed = seed;
                                                editor.load(doc, &format!("Seed set to {seed}; simulation restarted"));
                                            }
                                            Err(_) => editor.refuse("The seed must be a whole number from 0 to 18446744073709551615"),
                                        }
                                    } />
                            </label>
                            <button data-testid="help" hidden=embed on:click=move |_| show_help.update(|h| *h = !*h) title="Keyboard shortcuts (?)">"Keyboard shortcuts"</button>
                        </crate::shell::menu::Menu>
                        {embed.then(|| view! { <crate::shell::embed::EmbedButton /> })}
                    </div>
                    <div class="history" role="group" aria-label="History" hidden=!editable>
                        <button data-testid="undo" disabled=move || !editor.can_undo.get() on:click=move |_| editor.undo() title="Undo (Ctrl+Z)" aria-label="Undo">"↶"</button>
                        <button data-testid="redo" disabled=move || !editor.can_redo.get() on:click=move |_| editor.redo() title="Redo (Ctrl+Shift+Z)" aria-label="Redo">"↷"</button>
                    </div>
                </div>
                {embed.then(|| view! { <crate::shell::embed::OpenFullLink /> })}
                {(!embed).then(|| view! {
                    <input type="file" accept=".json,application/json" class="sr-only" tabindex="-1" aria-hidden="true" data-testid="file-input" node_ref=file_input
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                                keeping::import(editor, file);
                            }
                            // Choosing the same file again must fire another change.
                            input.set_value("");
                        } />
                })}
            </header>
            <main class="stage" class:palette-wide=move || layout.with(|l| l.palette_wide)>
                {show_palette.then(|| view! { <Palette gesture=palette on_add_here=add_here /> })}
                <section class="play-area" aria-label="Diagram">
                    <div class="diagram-frame">
                        <Diagram snapshot=live.snapshot parts=live.parts view=view palette=palette flow_mode=Signal::derive(move || !animate.get()) canvas=canvas svg_ref=diagram_ref
                            on_pick=Callback::new(move |p: Pick| {
                                // Paused, a click on a dot traces its request. (Playing, dots
                                // crowd the busy wires, and a click there selects the wire.)
                                // Over a node only the dot as drawn counts (plus a pixel of
                                // antialiasing); elsewhere a few pixels off it still do.
                                let slack = if p.on_node { 1.0 } else { 5.0 };
                                let paused = !playing.get_untracked();
                                let hit = (paused && animate.get_untracked())
                                    .then(|| animation.with_value(|a| a.request_at(p.x, p.y, view.get_untracked(), slack)))
                                    .flatten();
                                if let Some(n) = hit {
                                    tracing.pick(editor, n);
                                }
                                hit.is_some()
                            }) />
                        {move || palette.get().and_then(|g| match g {
                            PaletteGesture::Dragging { kind, x, y, moved: true } => Some(view! {
                                <div class="drag-ghost" style=format!("left:{}px;top:{}px", x - NODE_W / 2.0, y - NODE_H / 2.0)>{kind.label()}</div>
                            }),
                            _ => None,
                        })}
                    </div>
                    // Messages about the diagram sit in a row of their own under it,
                    // so they never cover a node or a control.
                    // (It stands above the dialogs too: "Link copied" answers a
                    // button in the Share dialog.)
                    <div class="stage-status">
                        {embed.then(|| view! { <crate::shell::embed::OriginNote /> })}
                        {move || editor.notice.get().map(|n| view! {
                            <div class="notice" class:error=n.error data-testid="notice" role=if n.error { "alert" } else { "status" }>
                                <span>{n.text}</span>
                                <button aria-label="Dismiss" on:click=move |_| editor.notice.set(None)>"×"</button>
                            </div>
                        })}
                        {embed.then(|| view! {
                            <p class="embed-hint" class:invisible=move || !editor.selection.with(|s| s.is_empty())>"Tap or click a node for its numbers and faults"</p>
                        })}
                        // The in-flight cap is the simulator's safety net, never part of a
                        // design: when a run reaches it, say so where the diagram is.
                        <Show when=move || live.snapshot.with(|s| s.as_ref().is_some_and(|s| s.in_flight_cap_reached))>
                            <p class="cap-reached" role="status" data-testid="cap-reached">{cap_reached_text()}</p>
                        </Show>
                    </div>
                    <div class="stage-bar">
                        <p class="flow-info" data-testid="sampling" aria-live="off">{move || {
                            let window = live.snapshot.with(|s| format::window(s.as_ref().map_or(0.0, |s| s.span_s)));
                            if !animate.get() {
                                return format!("Flow: link thickness = requests/s · numbers: {window}");
                            }
                            let s = sampling.get();
                            let which = crate::canvas::sampling::describe(s.share);
                            format!("Showing {which} · {} dots · numbers: {window}", format::count(s.on_screen as u64))
                        }}</p>
                        <Show when=move || animate.get()>
                            <ul class="flow-legend" aria-label="Dot colours">
                                {crate::canvas::particles::Colour::ALL.iter().map(|c| {
                                    let c = *c;
                                    view! { <li><span class="swatch" style=move || format!("background:{}", c.css(theme.get().is_dark()))></span>{c.label()}</li> }
                                }).collect_view()}
                            </ul>
                        </Show>
                        <div class="zoom-controls" role="group" aria-label="Zoom">
                            <button on:click=move |_| zoom(1.0 / 1.2) aria-label="Zoom out" title="Zoom out (−)">"−"</button>
                            <button on:click=move |_| zoom(1.2) aria-label="Zoom in" title="Zoom in (+)">"+"</button>
                            <button data-testid="fit" on:click=move |_| fit() title="Fit the whole design in view (0)">"Fit"</button>
                        </div>
                    </div>
                </section>
                <crate::shell::drawer::SideDrawer />
            </main>
            <Dashboard />
            <crate::panels::compare_panel::ComparePanel />
            <div class="sr-only" aria-live="polite" data-testid="announcer">{move || editor.announcement.get()}</div>
            {move || share.get().map(|offer| view! { <ShareDialog offer=offer on_close=Callback::new(move |_| share.set(None)) /> })}
            <crate::panels::gallery_panel::GalleryPanel />
            <Show when=move || picture.get()>
                <keeping::picture::PictureDialog view=view on_close=Callback::new(move |_| picture.set(false)) />
            </Show>
            <Show when=move || show_help.get()>
                <HelpDialog on_close=Callback::new(move |_| show_help.set(false)) />
            </Show>
        </div>
    }
}

/// A typed number of daily users: "25000", "25,000", "2.5M", "40k".
fn parse_users(typed: &str) -> Result<f64, String> {
    let t = typed.trim().replace([',', '_', ' '], "");
    let (digits, factor) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], 1e3),
        Some('m') => (&t[..t.len() - 1], 1e6),
        _ => (t.as_str(), 1.0),
    };
    let users = digits.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (v * factor).round());
    match users {
        Some(u) if (1.0..=1e8).contains(&u) => Ok(u),
        _ => Err(format!(
            "\"{}\" is not a number of daily users from 1 to 100 million (write 25000, 25,000, 40k or 2.5M)",
            typed.trim()
        )),
    }
}

/// The node nearest to `from` in the direction (dx, dy), for moving the
/// keyboard's focus across the diagram with Alt+arrows.
fn nearest_node(doc: &Scenario, from: &str, dx: f64, dy: f64) -> Option<String> {
    let at = |n: &scalelab_engine::scenario::Node| (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0));
    let origin = doc.nodes.iter().find(|n| n.id == from).map(at)?;
    doc.nodes
        .iter()
        .filter(|n| n.id != from)
        .filter_map(|n| {
            let (x, y) = at(n);
            let (vx, vy) = (x - origin.0, y - origin.1);
            let along = vx * dx + vy * dy;
            // In that direction, within 60 degrees either side of it.
            (along > 0.0 && along * 2.0 >= (vx * vx + vy * vy).sqrt()).then(|| {
                let across = (vx * dy - vy * dx).abs();
                (along + 2.0 * across, n.id.clone())
            })
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

/// What the page says while the simulator's in-flight cap turns requests away.
fn cap_reached_text() -> String {
    format!(
        "Simulator limit: {} requests are in flight together, so each new one fails immediately (overflow). \
         This cap keeps the page running; it is not part of your design. Bound the queues and set \
         timeouts so that waiting requests end.",
        format::count(scalelab_engine::limits::MAX_IN_FLIGHT as u64)
    )
}

fn focus_node(id: &str) {
    let id = id.to_string();
    // After the node has been rendered.
    request_animation_frame(move || {
        if let Some(el) = document().query_selector(&format!("[data-node=\"{id}\"]")).ok().flatten() {
            if let Some(svg) = el.dyn_ref::<web_sys::SvgElement>() {
                let _ = svg.focus();
            }
        }
    });
}

fn focused_node() -> Option<String> {
    document().active_element()?.get_attribute("data-node")
}

fn blur_active() {
    if let Some(el) = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.blur();
    }
}

fn prefers_reduced_motion() -> bool {
    window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches())
}

#[derive(Clone, Copy, PartialEq)]
enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }
    /// Whether the page is dark under this choice.
    fn is_dark(self) -> bool {
        match self {
            Theme::Dark => true,
            Theme::Light => false,
            Theme::System => {
                window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches())
            }
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Dark => "Theme: dark",
            Theme::Light => "Theme: light",
        }
    }

    /// The button's own text (its label says the rest).
    fn short(self) -> &'static str {
        match self {
            Theme::System => "Auto theme",
            Theme::Dark => "Dark theme",
            Theme::Light => "Light theme",
        }
    }
}

/// The share link, selected for copying, or the offer of a file when the
/// design is too large for a link.
#[component]
fn ShareDialog(offer: ShareOffer, on_close: Callback<()>) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let field = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let body = match offer {
        ShareOffer::Link(url) => {
            let copy = url.clone();
            view! {
                <p>"Anyone who opens this link sees this design (it travels inside the link; nothing is uploaded)."</p>
                <input type="text" readonly class="share-url" data-testid="share-url" node_ref=field prop:value=url aria-label="Share link" />
                <div class="dialog-actions">
                    <button class="primary" data-testid="copy-link" on:click=move |_| keeping::copy_to_clipboard(editor, copy.clone())>"Copy link"</button>
                    <button on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            }.into_any()
        }
        ShareOffer::TooLong(chars) => view! {
            <p data-testid="share-too-long">{format!(
                "This design is too large for a link ({} characters; links over {} may be cut short). Save it as a file and send the file instead.",
                format::count(chars as u64), format::count(crate::keeping::storage::MAX_SHARE_URL_CHARS as u64)
            )}</p>
            <div class="dialog-actions">
                <button class="primary" data-testid="share-as-file" on:click=move |_| { keeping::export(editor); on_close.run(()); }>"Save as file"</button>
                <button on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        }.into_any(),
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Share this design" data-testid="share-dialog" on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { on_close.run(()) }>
                <h2>"Share this design"</h2>
                {body}
            </div>
        </div>
    }
}

#[component]
fn HelpDialog(on_close: Callback<()>) -> impl IntoView {
    const KEYS: &[(&str, &str)] = &[
        ("G", "jump into the diagram (the selected node, else the first)"),
        ("Alt+arrows", "move the focus to the nearest node that way"),
        ("Tab / Shift+Tab", "move between palette, nodes and controls"),
        ("Enter on a palette item", "add that component to the diagram"),
        ("Arrows (Shift: 5x)", "move the selected nodes"),
        ("C, then Tab to a node, Enter", "connect the selected node to another"),
        ("Delete / Backspace", "delete the selection"),
        ("Ctrl+C, Ctrl+V, Ctrl+D", "copy, paste, duplicate"),
        ("Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y", "undo, redo"),
        ("+ / − / 0", "zoom in, zoom out, fit the diagram"),
        ("Drag empty space, or Space+drag", "pan"),
        ("Shift+drag on empty space", "select the nodes in a box"),
        ("Shift or Ctrl+click", "add a node to the selection"),
        ("Esc", "cancel connecting or placing; close this help"),
    ];
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help-dialog" on:click=|ev| ev.stop_propagation()>
                <h2>"Keyboard shortcuts"</h2>
                <dl>{KEYS.iter().map(|(k, v)| view! { <dt><kbd>{*k}</kbd></dt><dd>{*v}</dd> }).collect_view()}</dl>
                <button on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dial_spans_one_to_a_hundred_million_users() {
        assert_eq!(dial_to_users(0.0), 1.0);
        assert_eq!(dial_to_users(DIAL_STEPS), 1e8);
        assert_eq!(dial_to_users(700.0), 1e7);
        assert!((users_to_dial(1e7) - 700.0).abs() < 1e-9);
        // Ten million users is the design's 100,000 requests/s.
        assert!((Rate::users(1e7).rps() - 100_000.0).abs() < 1e-6);
    }

    #[test]
    fn typed_users_take_separators_and_suffixes_within_the_dials_range() {
        assert_eq!(parse_users("25000"), Ok(25_000.0));
        assert_eq!(parse_users(" 25,000 "), Ok(25_000.0));
        assert_eq!(parse_users("40k"), Ok(40_000.0));
        assert_eq!(parse_users("2.5M"), Ok(2_500_000.0));
        assert_eq!(parse_users("100m"), Ok(1e8));
        for bad in ["", "lots", "0", "-5", "1e9", "101M", "NaN", "inf", "2.5MM"] {
            let err = parse_users(bad).unwrap_err();
            assert!(err.contains("from 1 to 100 million"), "{bad}: {err}");
        }
    }

    #[test]
    fn alt_arrows_go_to_the_nearest_node_that_way() {
        let doc = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        // users (0,100) -> lb (220,100) -> web-1 (440,40) / web-2 (440,160) -> db (660,100).
        assert_eq!(nearest_node(&doc, "users", 1.0, 0.0).as_deref(), Some("lb"));
        assert_eq!(nearest_node(&doc, "lb", 1.0, 0.0).as_deref(), Some("web-1"));
        assert_eq!(nearest_node(&doc, "web-1", 0.0, 1.0).as_deref(), Some("web-2"));
        assert_eq!(nearest_node(&doc, "web-2", 1.0, 0.0).as_deref(), Some("db"));
        assert_eq!(nearest_node(&doc, "users", -1.0, 0.0), None, "nothing to the left of the users");
        assert_eq!(nearest_node(&doc, "nobody", 1.0, 0.0), None);
    }
}
