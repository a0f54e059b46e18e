//! The palette: every component kind the engine supports, with an icon and a
//! one-line explanation. Drag one onto the diagram, click one then click the
//! diagram, or press Enter on one to add it. With a finger: drag it, or tap
//! it then tap the diagram (and the page says "tap", not "click").

use super::Editor;
use leptos::prelude::*;
use scalelab_engine::NodeKind;

/// A small icon per kind, drawn as SVG paths in a 24x24 box (the kind's own).
pub fn icon_path(kind: NodeKind) -> &'static str {
    kind.about().icon
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
