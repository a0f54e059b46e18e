//! The playground: controls on top, palette left, diagram centre, inspector
//! right, dashboard below. The simulation lives outside the reactive graph
//! (in the editor's stored runner); a frame loop steps it and publishes a
//! snapshot a few times a second.

use crate::animation::{Animation, Sampling};
use crate::dashboard::Dashboard;
use crate::editor::diagram::{is_typing, Diagram, Pick, View};
use crate::editor::inspector::Inspector;
use crate::editor::palette::{Palette, PaletteGesture};
use crate::editor::{Editor, GRID, NODE_H, NODE_W};
use crate::format;
use crate::frame_loop::use_frame_loop;
use crate::keeping::{self, ShareOffer};
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::scenario::{NodeSpec, Rate};
use scalelab_engine::{Edit, LogEntry, Snapshot};
use wasm_bindgen::JsCast;

/// How often the numbers on screen are refreshed, in wall-clock milliseconds.
const SNAPSHOT_EVERY_MS: f64 = 250.0;
/// Simulated time one press of "Step" advances while paused.
const STEP_NS: u64 = 100_000_000;
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

/// Live state the page shows, refreshed from the engine a few times a second.
#[derive(Clone, Copy)]
pub struct Live {
    pub snapshot: RwSignal<Option<Snapshot>>,
    pub series: RwSignal<Vec<scalelab_engine::SecondPoint>>,
    pub log: RwSignal<Vec<LogEntry>>,
    pub behind: RwSignal<bool>,
    /// Id, kind and removed flag of each engine node slot (indexes `series` nodes).
    pub slots: RwSignal<Vec<(String, &'static str, bool)>>,
    /// How the design stands against its goal (lessons), as the engine says.
    pub goal: RwSignal<Option<scalelab_engine::goal::GoalStatus>>,
    /// The headline numbers over the last batches, with 95% intervals.
    pub headline: RwSignal<scalelab_engine::confidence::Headline>,
    /// Where the time of recent requests went, by node and cause.
    pub breakdown: RwSignal<Option<scalelab_engine::breakdown::LatencyBreakdown>>,
}

#[component]
pub fn App() -> impl IntoView {
    // What the address asks for (lesson, embed mode...), read once.
    let options = crate::page::from_browser();
    provide_context(options.clone());
    let embed = options.embed;
    // An embedded playground shows the design in its address and leaves the
    // autosave alone (see keeping::open_embedded).
    // `?lesson=N` (see keeping.rs for how it ranks against links and autosave).
    let asked = options.lesson.and_then(|n| crate::lessons::scenario(n).map(|s| (n, s)));
    let mut opening = if embed { keeping::open_embedded_with_lesson(asked) } else { keeping::open_from_browser_with_lesson(asked) };
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
    if !options.problems.is_empty() {
        editor.refuse(options.problems.join(". "));
    }
    if opening.clear_fragment {
        keeping::clear_fragment();
    }
    if !embed {
        keeping::use_autosave(editor);
    }
    let share = RwSignal::new(None::<ShareOffer>);
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
    };
    provide_context(live);
    let lessons = crate::lesson_panel::use_lessons(editor, live, &options);
    let tracing = crate::trace_panel::use_tracing();
    // The resilience report and the estimate (one panel at a time).
    crate::resilience_panel::use_tools();

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
    let repaint = crate::charts::Repaint(RwSignal::new(0));
    provide_context(repaint);
    let _resize = window_event_listener(leptos::ev::resize, move |_| repaint.0.update(|v| *v += 1));
    let log_seq = StoredValue::new(0u64);
    let animation = StoredValue::new_local(Animation::new());
    let sampling = RwSignal::new(Sampling::default());
    let dark = StoredValue::new(crate::charts::page_is_dark());
    // Set by "Step": the next frame lets the dots move although paused.
    let stepped = StoredValue::new(false);

    let publish = move || {
        let snap = editor.runner.try_update_value(|r| {
            let snap = r.sim.live_snapshot();
            let series: Vec<_> = r.sim.series().iter().cloned().collect();
            let next = log_seq.get_value();
            let entries: Vec<LogEntry> = r.sim.log().since(next).cloned().collect();
            tracing.refresh(&r.sim);
            let breakdown = r.sim.latency_breakdown();
            (snap, series, entries, r.behind, r.sim.node_slots(), r.sim.goal_status().cloned(), r.sim.headline(), breakdown)
        });
        if let Some((snap, series, entries, behind, slots, goal, headline, breakdown)) = snap {
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
            if let Some(last) = entries.last() {
                log_seq.set_value(last.seq + 1);
            }
            if !entries.is_empty() {
                live.log.update(|l| {
                    l.extend(entries);
                    let excess = l.len().saturating_sub(100);
                    l.drain(..excess);
                });
            }
            live.snapshot.set(Some(snap));
            live.series.set(series);
            live.behind.set(behind);
        }
    };

    // A rebuilt simulation starts with an empty log and series.
    Effect::new(move |_| {
        editor.generation.track();
        log_seq.set_value(0);
        live.log.set(Vec::new());
        live.series.set(Vec::new());
        live.snapshot.set(None);
        live.goal.set(None);
        live.headline.set(Default::default());
        live.breakdown.set(None);
        animation.update_value(Animation::clear);
    });

    {
        let mut since_snapshot = 0.0;
        use_frame_loop(move |elapsed_ms| {
            let Some(is_playing) = playing.try_get_untracked() else { return };
            if is_playing {
                editor.runner.try_update_value(|r| {
                    r.speed = speed.get_untracked();
                    let budget = crate::runner::engine_ms_per_frame(r.speed);
                    r.advance_within(elapsed_ms, budget, crate::frame_loop::now_ms);
                });
            }
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
                editor.runner.update_value(|r| {
                    animation.update_value(|a| {
                        if show {
                            editor.doc.with_untracked(|doc| a.frame(&mut r.sim, doc, wall_ms, v, &canvas, is_dark));
                        } else {
                            a.hide(&mut r.sim, &canvas);
                        }
                    })
                });
            }
            if !is_playing {
                return;
            }
            since_snapshot += elapsed_ms;
            if since_snapshot >= SNAPSHOT_EVERY_MS {
                since_snapshot = 0.0;
                publish();
                dark.set_value(crate::charts::page_is_dark());
                let now = animation.with_value(Animation::sampling);
                if sampling.get_untracked() != now {
                    sampling.set(now);
                }
            }
        });
    }

    // Palette drag: follow the pointer anywhere, drop on the diagram.
    let _move = window_event_listener(leptos::ev::pointermove, move |ev| {
        if let Some(PaletteGesture::Dragging { kind, x, y, .. }) = palette.get_untracked() {
            let moved = (ev.client_x() as f64 - x).abs() + (ev.client_y() as f64 - y).abs() > 4.0;
            palette.set(Some(PaletteGesture::Dragging { kind, x: ev.client_x() as f64, y: ev.client_y() as f64, moved: moved || matches!(palette.get_untracked(), Some(PaletteGesture::Dragging { moved: true, .. })) }));
        }
    });
    let _up = window_event_listener(leptos::ev::pointerup, move |ev| {
        let Some(PaletteGesture::Dragging { kind, moved, .. }) = palette.get_untracked() else { return };
        if !moved {
            palette.set(Some(PaletteGesture::Armed { kind }));
            editor.announcement.set(format!("Click the diagram to place the {}", crate::editor::kind_label(kind)));
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
    let add_here = Callback::new(move |kind: &'static str| {
        let (w, h) = diagram_ref.get_untracked().map(|el| {
            let r = el.get_bounding_client_rect();
            (r.width(), r.height())
        }).unwrap_or((800.0, 500.0));
        let v = view.get_untracked();
        let (cx, cy) = v.to_world(w / 2.0, h / 2.0);
        let (x, y) = crate::editor::free_spot(&editor.doc.get_untracked(), cx - NODE_W / 2.0, cy - NODE_H / 2.0);
        if let Some(id) = editor.add_node(kind, x, y) {
            focus_node(&id);
        }
    });

    let fit = move || {
        let Some(el) = diagram_ref.get_untracked() else { return };
        let r = el.get_bounding_client_rect();
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
            view.set(View::fit(b, r.width(), r.height()));
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
            "z" | "Z" if ctrl && ev.shift_key() => { editor.redo(); true }
            "z" | "Z" if ctrl => { editor.undo(); true }
            "y" | "Y" if ctrl => { editor.redo(); true }
            "c" if ctrl => { editor.copy(); true }
            "v" if ctrl => { editor.paste(); true }
            "d" if ctrl => { editor.duplicate(); true }
            "Delete" | "Backspace" => { editor.delete_selection(); true }
            "Escape" => {
                palette.set(None);
                show_help.set(false);
                if editor.connecting_from.get_untracked().is_some() {
                    editor.connecting_from.set(None);
                    editor.say("Connection cancelled");
                }
                true
            }
            "?" => { show_help.update(|h| *h = !*h); true }
            "c" | "C" if !ctrl && !editor.may_change() => true,
            "c" | "C" if !ctrl => {
                // The focused node first (keyboard users), else the selected one.
                match focused_node().or_else(|| editor.selection.get_untracked().nodes.first().cloned()) {
                    Some(from) => {
                        editor.connecting_from.set(Some(from.clone()));
                        editor.say(format!("Connecting from {from}: Tab to the node to connect to and press Enter (Esc cancels)"));
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
            "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" => {
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
                    let moves: Vec<(String, f64, f64)> = ids.iter().filter_map(|id| editor.node(id).map(|n| (id.clone(), n.x.unwrap_or(0.0) + dx, n.y.unwrap_or(0.0) + dy))).collect();
                    let what = moves.first().map(|(id, x, y)| format!("Moved {id} to {x:.0}, {y:.0}")).unwrap_or_default();
                    editor.move_nodes(&moves, &what);
                    true
                }
            }
            "+" | "=" => { view.update(|v| *v = v.zoom_at(1.2, 300.0, 200.0)); true }
            "-" => { view.update(|v| *v = v.zoom_at(1.0 / 1.2, 300.0, 200.0)); true }
            "0" => { fit(); true }
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
                Theme::System => { let _ = root.remove_attribute("data-theme"); }
                Theme::Light => { let _ = root.set_attribute("data-theme", "light"); }
                Theme::Dark => { let _ = root.set_attribute("data-theme", "dark"); }
            }
        }
        dark.set_value(crate::charts::page_is_dark());
        repaint.0.update(|v| *v += 1);
    });

    let users_dau = move || editor.doc.with(|d| d.nodes.iter().find_map(|n| match &n.spec {
        NodeSpec::Users(u) => Some(match u.rate {
            Rate::Users { dau, .. } => dau,
            Rate::Rps { rps } => rps * 86_400.0 / (Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY * Rate::DEFAULT_PEAK_FACTOR),
        }),
        _ => None,
    }));
    let users_rps = move || editor.doc.with(|d| d.nodes.iter().find_map(|n| match &n.spec {
        NodeSpec::Users(u) => Some(u.rps()),
        _ => None,
    }));
    let set_dial = move |v: f64| {
        let users = dial_to_users(v);
        let doc = editor.doc.get_untracked();
        let Some(node) = doc.nodes.iter().find(|n| matches!(n.spec, NodeSpec::Users(_))).cloned() else {
            editor.refuse("Add users to the diagram first");
            return;
        };
        let mut node = node;
        if let NodeSpec::Users(u) = &mut node.spec {
            u.rate = match u.rate {
                Rate::Users { requests_per_user_per_day, peak_factor, .. } => Rate::Users { dau: users, requests_per_user_per_day, peak_factor },
                Rate::Rps { .. } => Rate::users(users),
            };
            u.population = (users as u64).max(1);
        }
        let id = node.id.clone();
        editor.edit_traffic(Edit::UpdateNode { node }, &format!("{id}: {} daily users", format::number(users)));
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

    // Show the whole design once the diagram has a size (and again when a
    // lesson is loaded, or the lesson panel opens or closes).
    Effect::new(move |_| {
        lessons.fit.track();
        request_animation_frame(fit);
    });

    // Messages with a page that embeds this one (embed.rs).
    let ignored_messages = crate::embed::use_host_messages(editor, live, playing, &options);
    let editable = options.editable();
    let show_palette = !embed || options.palette;
    // In a narrow frame the inspector opens only with a selection, which
    // changes the diagram's room: fit the design to it again.
    if embed {
        Effect::new(move |was: Option<bool>| {
            let selected = !editor.selection.with(|s| s.is_empty());
            let narrow = window().inner_width().ok().and_then(|w| w.as_f64()).is_some_and(|w| w <= 760.0);
            // With the lesson panel open, the inspector also comes and goes.
            if was.is_some_and(|w| w != selected) && (narrow || lessons.shown.get_untracked()) {
                request_animation_frame(fit);
            }
            selected
        });
    }

    view! {
        <div class="app" data-testid="app-ready" class:embed=embed class:read-only=move || editor.read_only.get() class:no-palette=!show_palette
            class:has-selection=move || !editor.selection.with(|s| s.is_empty())
            class:lesson-open=move || lessons.shown.get()
            data-ignored-messages=move || ignored_messages.get().to_string()>
            <header class="topbar">
                <h1>"Scale Lab"</h1>
                <div class="controls" role="toolbar" aria-label="Run controls">
                    <button class="primary" data-testid="play-toggle" aria-pressed=move || playing.get().to_string()
                        on:click=move |_| playing.update(|p| *p = !*p)>
                        {move || if playing.get() { "Pause" } else { "Play" }}
                    </button>
                    <button data-testid="step" disabled=move || playing.get() title="Advance 0.1 s of simulated time"
                        on:click=move |_| {
                            editor.runner.try_update_value(|r| { let t = r.sim.now() + STEP_NS; r.sim.run_until(t, u64::MAX); });
                            stepped.set_value(true);
                            publish();
                        }>"Step"</button>
                    <button data-testid="reset" on:click=move |_| editor.reset()>"Reset"</button>
                    <label class="inline">
                        <span>"Speed"</span>
                        <select data-testid="speed" prop:value=move || speed.get().to_string()
                            on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse::<f64>() { speed.set(s); } }>
                            {SPEEDS.iter().map(|s| view! { <option value=s.to_string()>{format!("{s}x")}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="inline traffic">
                        <span>"Users"</span>
                        <input type="range" min="0" max=DIAL_STEPS.to_string() step="1" data-testid="traffic"
                            aria-valuetext=move || users_dau().map(|u| format!("{} daily users", format::number(u))).unwrap_or_default()
                            prop:value=move || users_dau().map(users_to_dial).unwrap_or(0.0).round().to_string()
                            on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { set_dial(v); } } />
                        <output data-testid="traffic-value">{move || match (users_dau(), users_rps()) {
                            (Some(u), Some(r)) => format!("{} users · {} req/s", format::number(u), format::number(r)),
                            _ => "no users".into(),
                        }}</output>
                    </label>
                    <label class="inline" hidden=embed>
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
                    <span class="clock" data-testid="sim-time">{move || live.snapshot.with(|s| format!("t = {:.1} s", s.as_ref().map(|s| s.now_s).unwrap_or(0.0)))}</span>
                    <Show when=move || live.behind.get()>
                        <span class="behind" role="status">"slower than real time"</span>
                    </Show>
                </div>
                <div class="controls tools" role="toolbar" aria-label="Learn and analyse">
                    <crate::lesson_panel::LessonsButton />
                    <crate::compare_panel::CompareButton />
                    <crate::resilience_panel::ResilienceButton />
                    <crate::envelope_panel::EnvelopeButton />
                    <crate::trace_panel::TraceButton />
                </div>
                <div class="controls secondary" role="toolbar" aria-label="Editing">
                    {(!embed).then(|| view! {
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
                        <input type="file" accept=".json,application/json" class="sr-only" tabindex="-1" aria-hidden="true" data-testid="file-input" node_ref=file_input
                            on:change=move |ev| {
                                let input: web_sys::HtmlInputElement = event_target(&ev);
                                if let Some(file) = input.files().and_then(|f| f.get(0)) {
                                    keeping::import(editor, file);
                                }
                                // Choosing the same file again must fire another change.
                                input.set_value("");
                            } />
                        <button data-testid="save-file" title="Download the design as a .json file" on:click=move |_| keeping::export(editor)>"Save"</button>
                        <button data-testid="share" title="A link that opens this design" on:click=move |_| {
                            let page = window().location().href().unwrap_or_default();
                            share.set(Some(editor.doc.with_untracked(|d| keeping::share_offer(&page, d))));
                        }>"Share"</button>
                        <crate::embed::EmbedButton />
                    })}
                    {embed.then(|| view! {
                        <crate::embed::EmbedButton />
                        <crate::embed::OpenFullLink />
                        <crate::embed::OriginNote />
                    })}
                    <button data-testid="undo" hidden=!editable disabled=move || !editor.can_undo.get() on:click=move |_| editor.undo() title="Undo (Ctrl+Z)">"Undo"</button>
                    <button data-testid="redo" hidden=!editable disabled=move || !editor.can_redo.get() on:click=move |_| editor.redo() title="Redo (Ctrl+Shift+Z)">"Redo"</button>
                    <button data-testid="animation-toggle" aria-pressed=move || animate.get().to_string() on:click=move |_| animate.update(|a| *a = !*a)>
                        {move || if animate.get() { "Hide animation" } else { "Show animation" }}
                    </button>
                    <button data-testid="theme-toggle" hidden=embed on:click=move |_| theme.update(|t| *t = t.next())
                        aria-label=move || theme.get().label() title=move || format!("{} (click to change)", theme.get().label())>{move || theme.get().short()}</button>
                    <button data-testid="help" hidden=embed on:click=move |_| show_help.update(|h| *h = !*h) aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">"?"</button>
                </div>
            </header>
            <main class="workspace">
                {show_palette.then(|| view! { <Palette gesture=palette on_add_here=add_here /> })}
                <section class="play-area" aria-label="Play area">
                    {embed.then(|| view! {
                        <p class="embed-hint" hidden=move || !editor.selection.with(|s| s.is_empty())>"Click a node for its numbers and faults"</p>
                    })}
                    <Diagram snapshot=live.snapshot view=view palette=palette flow_mode=Signal::derive(move || !animate.get()) canvas=canvas svg_ref=diagram_ref
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
                    <div class="zoom-controls" role="toolbar" aria-label="Zoom">
                        <button hidden=embed on:click=move |_| view.update(|v| *v = v.zoom_at(1.2, 300.0, 200.0)) aria-label="Zoom in" title="Zoom in">"+"</button>
                        <button hidden=embed on:click=move |_| view.update(|v| *v = v.zoom_at(1.0 / 1.2, 300.0, 200.0)) aria-label="Zoom out" title="Zoom out">"−"</button>
                        <button data-testid="fit" on:click=move |_| fit() title="Fit the whole design in view">"Fit"</button>
                    </div>
                    <crate::trace_panel::TracePanel />
                    <p class="flow-info" data-testid="sampling" aria-live="off">{move || {
                        let window = live.snapshot.with(|s| format::window(s.as_ref().map_or(0.0, |s| s.span_s)));
                        if !animate.get() {
                            return format!("Flow: link thickness = requests/s · numbers: {window}");
                        }
                        let s = sampling.get();
                        let which = match s.every {
                            0 | 1 => "every request".to_string(),
                            n => format!("about 1 in {} requests", format::count(n.into())),
                        };
                        format!("Showing {which} · {} dots · numbers: {window}", format::count(s.on_screen as u64))
                    }}</p>
                    <Show when=move || animate.get()>
                        <ul class="flow-legend" aria-label="Dot colours">
                            {crate::particles::Colour::ALL.iter().map(|c| {
                                let c = *c;
                                view! { <li><span class="swatch" style=move || format!("background:{}", c.css(theme.get().is_dark()))></span>{c.label()}</li> }
                            }).collect_view()}
                        </ul>
                    </Show>
                    // The in-flight cap is the simulator's safety net, never part of a
                    // design: when a run reaches it, say so where the diagram is.
                    <Show when=move || live.snapshot.with(|s| s.as_ref().is_some_and(|s| s.in_flight_cap_reached))>
                        <p class="cap-reached" role="status" data-testid="cap-reached">{cap_reached_text()}</p>
                    </Show>
                    {move || editor.notice.get().map(|n| view! {
                        <div class="notice" class:error=n.error data-testid="notice" role=if n.error { "alert" } else { "status" }>
                            <span>{n.text}</span>
                            <button aria-label="Dismiss" on:click=move |_| editor.notice.set(None)>"×"</button>
                        </div>
                    })}
                    {move || palette.get().and_then(|g| match g {
                        PaletteGesture::Dragging { kind, x, y, moved: true } => Some(view! {
                            <div class="drag-ghost" style=format!("left:{}px;top:{}px", x - NODE_W / 2.0, y - NODE_H / 2.0)>{crate::editor::kind_label(kind)}</div>
                        }),
                        _ => None,
                    })}
                </section>
                <Inspector snapshot=live.snapshot />
            </main>
            <Dashboard />
            <crate::compare_panel::ComparePanel />
            <crate::lesson_panel::LessonPanel />
            <crate::resilience_panel::ResiliencePanel />
            <crate::envelope_panel::EnvelopePanel />
            <div class="sr-only" aria-live="polite" data-testid="announcer">{move || editor.announcement.get()}</div>
            {move || share.get().map(|offer| view! { <ShareDialog offer=offer on_close=Callback::new(move |_| share.set(None)) /> })}
            <Show when=move || show_help.get()>
                <HelpDialog on_close=Callback::new(move |_| show_help.set(false)) />
            </Show>
        </div>
    }
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
            Theme::System => window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches()),
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
                format::count(chars as u64), format::count(crate::storage::MAX_SHARE_URL_CHARS as u64)
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
}
