//! The palette: every component kind the engine supports, with an icon and a
//! one-line explanation. Drag one onto the diagram, click one then click the
//! diagram, or press Enter on one to add it. With a finger: drag it, or tap
//! it then tap the diagram (and the page says "tap", not "click").

use super::Editor;
use leptos::prelude::*;
use scalelab_engine::NodeKind;

/// A small icon per kind, drawn as SVG paths in a 24x24 box.
pub fn icon_path(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Users => "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 19c0-3 3-5 6-5s6 2 6 5v1H2zm12 1v-1c0-1.6-.6-3-1.7-4 .9-.6 2.2-1 3.7-1 3 0 6 2 6 5v1z",
        NodeKind::LoadBalancer => "M11 3h2v6h-2zM4 13h16v2h-2v3h-2v-3h-3v3h-2v-3H8v3H6v-3H4zM7 9h10l2 4H5z",
        NodeKind::WebServer => "M4 4h16v6H4zm0 8h16v6H4zm3-6v2h2V6zm0 8v2h2v-2zm4-8v2h6V6zm0 8v2h6v-2z",
        NodeKind::Database => "M12 3c4.4 0 8 1.3 8 3v12c0 1.7-3.6 3-8 3s-8-1.3-8-3V6c0-1.7 3.6-3 8-3zm0 2C8.1 5 6 6 6 6s2.1 1 6 1 6-1 6-1-2.1-1-6-1zM6 9v3c0 .3 2.1 1.5 6 1.5s6-1.2 6-1.5V9c-1.6.7-3.7 1-6 1S7.6 9.7 6 9zm0 6v3c0 .3 2.1 1.5 6 1.5s6-1.2 6-1.5v-3c-1.6.7-3.7 1-6 1s-4.4-.3-6-1z",
        NodeKind::Cache => "M13 2 4 14h6l-1 8 9-12h-6z",
        NodeKind::Cdn => "M12 3 3 8v8l9 5 9-5V8zm0 2.3 6.5 3.6L12 12.5 5.5 8.9zM5 10.6l6 3.3v5.4l-6-3.3zm8 8.7v-5.4l6-3.3v5.4z",
        NodeKind::Dns => "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-3a15 15 0 0 0-1.3-4A8 8 0 0 1 18.9 8zM12 4c.8 1.1 1.5 2.5 1.9 4h-3.8c.4-1.5 1.1-2.9 1.9-4zM4.3 14a8 8 0 0 1 0-4h3.4a16 16 0 0 0 0 4zm.8 2h3a15 15 0 0 0 1.3 4A8 8 0 0 1 5.1 16zm3-8h-3a8 8 0 0 1 4.3-4A15 15 0 0 0 8.1 8zM12 20c-.8-1.1-1.5-2.5-1.9-4h3.8c-.4 1.5-1.1 2.9-1.9 4zm2.3-6H9.7a14 14 0 0 1 0-4h4.6a14 14 0 0 1 0 4zm.3 5.6a15 15 0 0 0 1.3-3.6h3a8 8 0 0 1-4.3 3.6zM16.3 14a16 16 0 0 0 0-4h3.4a8 8 0 0 1 0 4z",
        NodeKind::Queue => "M3 6h18v3H3zm0 5h18v3H3zm0 5h12v3H3z",
        NodeKind::ShardRouter => "M3 11h6l4-6h8v2h-7l-4 6 4 6h7v2h-8l-4-6H3z",
        NodeKind::Nosql => "M4 4h7v7H4zm9 0h7v7h-7zM4 13h7v7H4zm9 0h7v7h-7z",
        NodeKind::Workers => "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm9 3h-2.1a7 7 0 0 0-1-2.4l1.5-1.5-1.5-1.5-1.5 1.5A7 7 0 0 0 13 6.1V4h-2v2.1a7 7 0 0 0-2.4 1L7.1 5.6 5.6 7.1l1.5 1.5A7 7 0 0 0 6.1 11H4v2h2.1a7 7 0 0 0 1 2.4l-1.5 1.5 1.5 1.5 1.5-1.5a7 7 0 0 0 2.4 1V20h2v-2.1a7 7 0 0 0 2.4-1l1.5 1.5 1.5-1.5-1.5-1.5a7 7 0 0 0 1-2.4H21z",
    }
}

/// What the palette is doing with the pointer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PaletteGesture {
    /// A kind is being dragged (pointer at client x, y).
    Dragging { kind: NodeKind, x: f64, y: f64, moved: bool },
    /// A kind was clicked: the next click on the diagram places it.
    Armed { kind: NodeKind },
}

#[component]
pub fn Palette(gesture: RwSignal<Option<PaletteGesture>>, on_add_here: Callback<NodeKind>) -> impl IntoView {
    let editor = expect_context::<Editor>();
    // Whether the last press on the palette was a finger's, so the hint
    // speaks of tapping; before any press, whether the main pointer is coarse.
    let by_touch = RwSignal::new(window().match_media("(pointer: coarse)").ok().flatten().is_some_and(|m| m.matches()));
    view! {
        <nav class="palette" aria-label="Components">
            <h2>"Components"</h2>
            <ul>
                {NodeKind::ALL.into_iter().map(|kind| {
                    let (name, about) = (kind.name(), kind.blurb());
                    let armed = move || matches!(gesture.get(), Some(PaletteGesture::Armed { kind: k }) if k == kind);
                    view! {
                        <li>
                            <button
                                class="palette-item"
                                class:armed=armed
                                data-testid=format!("palette-{name}")
                                aria-describedby=format!("about-{name}")
                                title=about
                                on:pointerdown=move |ev| {
                                    if ev.button() != 0 { return; }
                                    ev.prevent_default();
                                    by_touch.set(ev.pointer_type() == "touch");
                                    gesture.set(Some(PaletteGesture::Dragging { kind, x: ev.client_x() as f64, y: ev.client_y() as f64, moved: false }));
                                }
                                // A finger's tap arms the item here, before the page's
                                // own release handler (on the window, after this one)
                                // would arm it saying "click"; that handler then finds
                                // nothing being dragged and leaves it. A finger that
                                // moved is a drag, dropped by that handler as ever.
                                on:pointerup=move |ev| {
                                    if ev.pointer_type() != "touch" { return; }
                                    if let Some(PaletteGesture::Dragging { kind, moved: false, .. }) = gesture.get_untracked() {
                                        gesture.set(Some(PaletteGesture::Armed { kind }));
                                        editor.announcement.set(format!("Tap the diagram to place the {}", kind.label()));
                                    }
                                }
                                on:keydown=move |ev| {
                                    if ev.key() == "Enter" || ev.key() == " " {
                                        ev.prevent_default();
                                        on_add_here.run(kind);
                                    }
                                }
                            >
                                <svg viewBox="0 0 24 24" aria-hidden="true" class="icon"><path d=icon_path(kind)/></svg>
                                <span class="palette-label">{kind.title()}</span>
                            </button>
                            <p class="palette-about" id=format!("about-{name}")>{about}</p>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="hint">{move || match gesture.get() {
                Some(PaletteGesture::Armed { kind }) if by_touch.get() => format!("Tap the diagram to place the {}.", kind.label()),
                Some(PaletteGesture::Armed { kind }) => format!("Click the diagram to place the {}. Esc cancels.", kind.label()),
                _ if by_touch.get() => "Drag onto the diagram, or tap then tap the diagram.".into(),
                _ => "Drag onto the diagram, or click then click the diagram, or press Enter.".into(),
            }}</p>
            <span class="sr-only">{move || format!("{} nodes on the diagram", editor.doc.with(|d| d.nodes.len()))}</span>
        </nav>
    }
}
