//! The page's layout choices ([`Layout`]) kept in this browser's storage, so
//! the page opens the way its user left it.

use super::storage::local_storage;
use crate::state::Layout;
use leptos::prelude::*;

const KEY: &str = "scalelab.layout.v1";

/// The layout as a signal, read from this browser's storage, and written back
/// on every change. An embedded page keeps its own defaults and writes
/// nothing: a course page's frame should not rearrange the full playground.
pub fn use_layout(embedded: bool) -> RwSignal<Layout> {
    let stored = if embedded { None } else { local_storage().ok().and_then(|s| s.get_item(KEY).ok().flatten()) };
    let layout = RwSignal::new(Layout::parse(stored.as_deref()));
    if !embedded {
        Effect::new(move |_| {
            let json = layout.with(Layout::to_json);
            if let Ok(storage) = local_storage() {
                // A full or refused storage only loses the layout: nothing to tell.
                let _ = storage.set_item(KEY, &json);
            }
        });
    }
    provide_context(layout);
    layout
}
