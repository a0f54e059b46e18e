//! The gallery: every blueprint and every example as a card with its title,
//! the first sentence of its note and a small picture of its design, drawn
//! from the design itself by the diagram's own still drawing
//! (`editor::diagram::still`). A card opens its design like a lesson (the
//! lesson panel shows its note; Undo brings back the design it replaced).
//! Opened from the lesson panel and the Learn menu; shown while
//! `LessonsUi::gallery`.
//!
//! Stable selectors for tests: `gallery-button` (the menu's), `gallery`
//! (the dialog), `gallery-close`, `gallery-card` (each card, with
//! `data-shelf="blueprint|example"` and `data-name`), `gallery-picture`.

use crate::editor::diagram::still;
use crate::editor::Editor;
use crate::lessons::shelf::{self, Design};
use crate::panels::lesson_panel::LessonsUi;
use crate::state::Live;
use leptos::prelude::*;

/// The width a card's picture is drawn for, in CSS pixels: the compact
/// drawing chooses between names and icons by it.
const PICTURE_PX: f64 = 260.0;

/// The Learn menu's "Gallery" command.
#[component]
pub fn GalleryButton() -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    view! {
        <button data-testid="gallery-button" aria-haspopup="dialog"
            title="Blueprints of real systems and examples of failures, each with a picture of its design"
            on:click=move |_| ui.gallery.set(true)>"Gallery"</button>
    }
}

/// The gallery dialog (shown while `LessonsUi::gallery`).
#[component]
pub fn GalleryPanel() -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let close = move || ui.gallery.set(false);
    // Esc closes it, wherever the focus is (the menu that opened it may keep it).
    let _esc = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && ui.gallery.get_untracked() {
            close();
        }
    });
    let first = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = first.get() {
            let _ = b.focus();
        }
    });
    view! {
        <Show when=move || ui.gallery.get()>
            <div class="dialog-backdrop gallery-backdrop" on:click=move |_| close()>
                <div class="dialog gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title" data-testid="gallery"
                    on:click=|ev| ev.stop_propagation()>
                    <div class="gallery-head">
                        <h2 id="gallery-title">"Gallery"</h2>
                        <button class="gallery-close" data-testid="gallery-close" aria-label="Close the gallery" node_ref=first
                            on:click=move |_| close()>"×"</button>
                    </div>
                    <p class="muted gallery-intro">"Pick a design to open it with its note and goal. Undo brings back the one you had."</p>
                    <Shelf shelf=&crate::lessons::blueprints::SHELF heading="Blueprints of real systems" />
                    <Shelf shelf=&crate::lessons::examples::SHELF heading="When systems fail under load" />
                </div>
            </div>
        </Show>
    }
}

#[component]
fn Shelf(shelf: &'static shelf::Shelf, heading: &'static str) -> impl IntoView {
    view! {
        <section class="gallery-shelf" aria-label=heading>
            <h3>{heading}</h3>
            <ul class="gallery-grid">
                {shelf.designs().map(|d| view! { <li><Card design=d /></li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Card(design: Design) -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let summary = design.summary();
    let tip = summary.clone();
    let picture = design.scenario().map(|s| still(s, PICTURE_PX, &format!("{}-{}", design.shelf.what, design.name)));
    view! {
        <button class="gallery-card" data-testid="gallery-card" data-shelf=design.shelf.what data-name=design.name
            aria-current=move || (ui.design.get() == Some(design)).then_some("true")
            title=tip
            on:click=move |_| ui.open_design(editor, live, design)>
            <span class="gallery-picture" data-testid="gallery-picture">{picture}</span>
            <span class="gallery-title">{design.title()}</span>
            <span class="gallery-summary">{summary}</span>
        </button>
    }
}
