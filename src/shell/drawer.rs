//! The side drawer: the inspector, the lesson, a request's trace and the
//! analysis tools (resilience report, estimate) share one panel beside the
//! diagram, one tab each. Each panel still decides whether it is open (the
//! lesson, the trace, the tools keep their own state); the drawer decides
//! which open one shows, and whether the drawer is folded away.
//!
//! Beside the diagram on wide screens; over it (never squeezing it) below
//! 1000 px; a bottom sheet on a phone held upright (see styles/shell.css).

use crate::panels::lesson_panel::LessonsUi;
use crate::panels::trace_panel::Tracing;
use crate::state::layout::{Layout, DRAWER_MAX_PX, DRAWER_MIN_PX};
use crate::state::{Drawer, OpenTool, Tab, Tool};
use leptos::prelude::*;

/// Below this window width the drawer floats over the diagram.
pub const OVERLAY_BELOW_PX: f64 = 1000.0;

fn window_width() -> f64 {
    window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(1280.0)
}

/// The panels' own state, which says whether each tab's panel is open.
#[derive(Clone, Copy)]
struct Panels {
    lessons: LessonsUi,
    tracing: Tracing,
    tools: OpenTool,
    /// The analysis tools stay out of an embedded page.
    embedded: bool,
}

impl Panels {
    fn from_context() -> Panels {
        Panels {
            lessons: expect_context(),
            tracing: expect_context(),
            tools: expect_context(),
            embedded: crate::base::page::embedded(),
        }
    }

    /// Whether `tab`'s panel is open (reactive).
    fn open(self, tab: Tab) -> bool {
        match tab {
            Tab::Inspect => true,
            Tab::Lesson => self.lessons.shown.get(),
            Tab::Trace => self.tracing.follow.with(Option::is_some),
            Tab::Resilience => !self.embedded && self.tools.0.get() == Some(Tool::Resilience),
            Tab::Estimate => !self.embedded && self.tools.0.get() == Some(Tool::Estimate),
        }
    }
}

/// Sets up the drawer (in context). Call after the panels' own state exists.
pub fn use_drawer(layout: RwSignal<Layout>, width_changes: RwSignal<u64>) -> Drawer {
    let editor = expect_context::<crate::editor::Editor>();
    let lessons = expect_context::<LessonsUi>();
    let narrow = Signal::derive(move || {
        width_changes.track();
        window_width() < OVERLAY_BELOW_PX
    });
    // On a narrow screen the drawer would cover the diagram: it starts folded,
    // whatever was open (a lesson's goal still shows in the headline strip).
    if narrow.get_untracked() {
        layout.update(|l| l.drawer_collapsed = true);
    }
    let first = if lessons.shown.get_untracked() { Tab::Lesson } else { Tab::Inspect };
    let drawer = Drawer { tab: RwSignal::new(first), layout, narrow };
    provide_context(drawer);

    let panels = Panels::from_context();
    let available = move |tab: Tab| panels.open(tab);
    // A panel that opens comes to the front; one that closes gives way to
    // the lesson, if open, else the inspector.
    for tab in [Tab::Lesson, Tab::Trace, Tab::Resilience, Tab::Estimate] {
        Effect::new(move |was: Option<bool>| {
            let now = available(tab);
            match was {
                Some(false) if now => drawer.show(tab),
                Some(true) if !now && drawer.tab.get_untracked() == tab => {
                    let next =
                        if tab != Tab::Lesson && lessons.shown.get_untracked() { Tab::Lesson } else { Tab::Inspect };
                    drawer.tab.set(next);
                    // On a narrow screen the closed panel was what the user
                    // was looking at: give the diagram back.
                    if narrow.get_untracked() {
                        drawer.set_open(false);
                    }
                }
                _ => {}
            }
            now
        });
    }
    // The goal met: the lesson says so (the learner was likely inspecting the
    // node they failed). A folded drawer on a narrow screen stays folded: the
    // headline strip says it there.
    let live = expect_context::<crate::state::Live>();
    Effect::new(move |was: Option<bool>| {
        let met = live.goal.with(|g| g.as_ref().is_some_and(|g| g.met()));
        if was == Some(false)
            && met
            && lessons.shown.get_untracked()
            && (!narrow.get_untracked() || drawer.is_open_untracked())
        {
            drawer.show(Tab::Lesson);
        }
        met
    });
    // A lesson, an example or a blueprint opened or closed (the list comes back): the
    // Lesson tab comes to the front, opening the drawer only where it does
    // not cover the diagram.
    Effect::new(move |was: Option<(Option<u32>, Option<crate::lessons::shelf::Design>)>| {
        let open_lesson = (lessons.open.0.get(), lessons.design.get());
        if was.is_some_and(|w| w != open_lesson) && lessons.shown.get_untracked() {
            drawer.tab.set(Tab::Lesson);
            if !narrow.get_untracked() {
                drawer.set_open(true);
            }
        }
        open_lesson
    });
    // Selecting something shows its settings: at once from the keyboard; for
    // a press, when it ends as a tap or click. A press that drags a node, pans
    // or pinches, makes a wire, or a long press that opened the node's
    // actions, leaves the drawer as it was (below 1000 px it would cover the
    // diagram mid-gesture). Effects run after the event that caused them, so
    // a press counts until the frame after its release.
    #[derive(Clone, Copy)]
    struct Press {
        x: f64,
        y: f64,
        /// Could be a tap that inspects (not a port, not ending a wire, not a second finger).
        inspects: bool,
        released: Option<bool>,
    }
    let press: StoredValue<Option<Press>> = StoredValue::new(None);
    let selected_during = StoredValue::new(false);
    Effect::new(move |was: Option<crate::editor::Selection>| {
        let sel = editor.selection.get();
        if was.is_some_and(|w| w != sel) && !sel.is_empty() {
            if press.get_value().is_some() {
                // A wire just made selects itself: making the next one
                // matters more than its settings.
                selected_during.set_value(sel.link.is_none());
            } else {
                drawer.show(Tab::Inspect);
            }
        }
        sel
    });
    let on_down = move |ev: web_sys::PointerEvent| {
        let on_port = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| el.matches(".port").unwrap_or(false));
        // A press inside the drawer (a report's row selecting its node) keeps
        // the panel it was made in.
        let in_drawer = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| el.closest(".drawer").ok().flatten().is_some());
        let inspects = ev.is_primary() && !on_port && !in_drawer && editor.connecting_from.get_untracked().is_none();
        if ev.is_primary() {
            selected_during.set_value(false);
            press.set_value(Some(Press { x: ev.client_x() as f64, y: ev.client_y() as f64, inspects, released: None }));
        } else {
            // A second finger: a pinch, not a tap.
            press.update_value(|p| {
                if let Some(p) = p {
                    p.inspects = false
                }
            });
        }
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        let Some(mut p) = press.get_value() else { return };
        if p.released.is_some() || !ev.is_primary() {
            return;
        }
        p.released = Some((ev.client_x() as f64 - p.x).abs() + (ev.client_y() as f64 - p.y).abs() <= 8.0);
        press.set_value(Some(p));
        request_animation_frame(move || {
            let Some(p) = press.try_get_value().flatten() else { return };
            press.set_value(None);
            let actions_open = document().query_selector("[data-testid=\"node-actions\"]").ok().flatten().is_some();
            if selected_during.get_value() && p.inspects && p.released == Some(true) && !actions_open {
                drawer.show(Tab::Inspect);
            }
        });
    };
    let on_cancel = move |ev: web_sys::PointerEvent| {
        if ev.is_primary() {
            press.set_value(None);
        }
    };
    // In the capture phase: the diagram stops the propagation of its presses.
    crate::base::input::listen_capturing("pointerdown", on_down);
    crate::base::input::listen_capturing("pointerup", on_up);
    crate::base::input::listen_capturing("pointercancel", on_cancel);
    drawer
}

/// The drawer itself, with its panels in tab order.
#[component]
pub fn SideDrawer() -> impl IntoView {
    let live = expect_context::<crate::state::Live>();
    let drawer = expect_context::<Drawer>();
    let panels = Panels::from_context();
    let available = move |tab: Tab| panels.open(tab);
    let open = move || drawer.is_open();
    let width = move || drawer.layout.with(|l| l.drawer_width_px);
    // Resizing: drag the edge, or focus it and press the arrow keys.
    let dragging = StoredValue::new(None::<(f64, f64)>);
    let set_width = move |w: f64| {
        let cap = (window_width() * 0.6).max(DRAWER_MIN_PX);
        let w = w.clamp(DRAWER_MIN_PX, DRAWER_MAX_PX.min(cap));
        drawer.layout.update(|l| l.drawer_width_px = w);
    };
    let pane = move |tab: Tab, body: AnyView| {
        view! {
            <div class="drawer-pane" id=format!("drawer-{}", tab.test_id()) role="tabpanel" aria-label=tab.label()
                hidden=move || drawer.tab.get() != tab>{body}</div>
        }
    };
    view! {
        // The report and the estimate are tables and forms side by side: their
        // tabs widen the drawer (the width the user chose comes back after).
        <aside class="drawer" data-testid="drawer" class:open=open class:narrow=move || drawer.narrow.get()
            class:wide-tab=move || matches!(drawer.tab.get(), Tab::Resilience | Tab::Estimate)
            style=move || format!("--drawer-width:{}px", width())>
            <div class="drawer-resize" role="separator" aria-orientation="vertical" aria-label="Panel width" tabindex="0"
                aria-valuenow=move || format!("{:.0}", width()) aria-valuemin=DRAWER_MIN_PX.to_string() aria-valuemax=DRAWER_MAX_PX.to_string()
                hidden=move || !open() || drawer.narrow.get()
                on:pointerdown=move |ev| {
                    if ev.button() != 0 { return; }
                    ev.prevent_default();
                    let handle = ev.current_target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok());
                    // From the width on screen (a wide tab may show more than the chosen width).
                    let shown = handle.as_ref().and_then(|h| h.parent_element()).map_or(width(), |d| d.get_bounding_client_rect().width());
                    if let Some(h) = handle {
                        let _ = h.set_pointer_capture(ev.pointer_id());
                    }
                    dragging.set_value(Some((ev.client_x() as f64, shown)));
                }
                on:pointermove=move |ev| {
                    if let Some((x0, w0)) = dragging.get_value() {
                        set_width(w0 + x0 - ev.client_x() as f64);
                    }
                }
                on:pointerup=move |_| dragging.set_value(None)
                on:keydown=move |ev| {
                    let step = if ev.shift_key() { 80.0 } else { 20.0 };
                    match ev.key().as_str() {
                        "ArrowLeft" => { ev.prevent_default(); set_width(width() + step); }
                        "ArrowRight" => { ev.prevent_default(); set_width(width() - step); }
                        _ => {}
                    }
                }></div>
            <div class="drawer-panel">
            <div class="drawer-head">
                <div class="drawer-tabs" role="tablist" aria-label="Panels">
                    {Tab::ALL.into_iter().map(|tab| view! {
                        <button role="tab" class="drawer-tab" data-testid=tab.test_id() hidden=move || !available(tab)
                            aria-selected=move || (open() && drawer.tab.get() == tab).to_string()
                            aria-controls=format!("drawer-{}", tab.test_id())
                            on:click=move |_| {
                                if open() && drawer.tab.get_untracked() == tab { drawer.set_open(false) } else { drawer.show(tab) }
                            }>{tab.label()}</button>
                    }).collect_view()}
                </div>
                <button class="drawer-toggle" data-testid="drawer-toggle" aria-expanded=move || open().to_string()
                    aria-label=move || if open() { "Fold the panel away" } else { "Open the panel" }
                    title=move || if open() { "Fold the panel away" } else { "Open the panel" }
                    on:click=move |_| drawer.set_open(!open())>
                    <span aria-hidden="true">{move || if open() { "⟩" } else { "⟨" }}</span>
                </button>
            </div>
            <div class="drawer-body" hidden=move || !open()>
                {pane(Tab::Inspect, view! { <crate::editor::inspector::Inspector snapshot=live.snapshot /> }.into_any())}
                {pane(Tab::Lesson, view! { <crate::panels::lesson_panel::LessonPanel /> }.into_any())}
                {pane(Tab::Trace, view! { <crate::panels::trace_panel::TracePanel /> }.into_any())}
                {pane(Tab::Resilience, view! { <crate::panels::resilience_panel::ResiliencePanel /> }.into_any())}
                {pane(Tab::Estimate, view! { <crate::panels::envelope_panel::EnvelopePanel /> }.into_any())}
            </div>
            </div>
        </aside>
    }
}
