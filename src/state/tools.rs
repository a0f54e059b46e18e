//! The tool panels (the resilience report, the estimate): which one is open.
//! They take the same place, so one at a time.

use leptos::prelude::*;

/// The tool panels at the bottom of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Resilience,
    Estimate,
}

/// Which tool panel is open, if any (one at a time: they take the same place).
#[derive(Clone, Copy)]
pub struct OpenTool(pub RwSignal<Option<Tool>>);

impl OpenTool {
    /// Opens `tool`, or closes it when it is already open.
    pub fn toggle(&self, tool: Tool) {
        let now = if self.0.get_untracked() == Some(tool) { None } else { Some(tool) };
        self.0.set(now);
    }

    /// Closes `tool` and gives the keyboard back to the button that opened it.
    pub fn close(&self, tool: Tool, button_id: &str) {
        if self.0.get_untracked() == Some(tool) {
            self.0.set(None);
        }
        if let Some(el) = document().get_element_by_id(button_id) {
            if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                let _ = el.focus();
            }
        }
    }
}
