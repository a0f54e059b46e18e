//! What the page does when the code panics: says so, and offers the last
//! autosaved diagram back.
//!
//! The browser build aborts on panic (`panic = "abort"`), so after the hook
//! returns the wasm call that panicked traps, and the reactive graph may be
//! half-way through an update. Nothing here relies on Leptos: the hook builds
//! a plain-DOM overlay with web-sys, and its button is the browser's own
//! `location.assign` bound to the address to go to, so pressing it runs no
//! Rust at all.
//!
//! Rules:
//! - The hook sets [`crashed`] first; from then on [`crate::keeping::storage::autosave`]
//!   refuses to write, so whatever state the panic left behind (an edit half
//!   applied, an undo stack out of step) can never replace the last good
//!   autosave. What comes back after the reload is the diagram as it was
//!   autosaved before the panic.
//! - The button reloads the page at the same address without the test
//!   switches (`panic-test`, `fuzz`, `fuzz-steps`) and without a fragment, so
//!   the page opens the newest autosave (see `keeping/mod.rs`) and a fuzzing run
//!   that crashed does not start again.
//! - Only the first panic builds the overlay; later ones (other callbacks
//!   running into the broken state) are logged, up to a limit.
//!
//! `?panic-test` in the address arms a test switch: Ctrl+Alt+Shift+P then
//! panics on purpose, so the end-to-end tests can prove all of the above on
//! the real build. It is a key chord rather than a function on `window` so
//! that nothing is exposed to other scripts, and it is harmless in users'
//! hands: a visitor who follows such a link and presses the chord sees the
//! recovery screen, and their autosave is kept.

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

static PANICS: AtomicU32 = AtomicU32::new(0);
/// Panics logged in full after the first; the rest are counted only (a broken
/// frame loop would otherwise log one every frame).
const LOGGED_PANICS: u32 = 20;

/// The id of the overlay element.
pub const OVERLAY_ID: &str = "crash-overlay";

/// Whether the page has panicked (the flag is kept by storage, whose
/// autosave it stops).
pub use crate::keeping::storage::crashed;

/// Installs the panic hook (console message, then the overlay) and, with
/// `?panic-test` in the address, the test chord. Call once, before mounting.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let first = crate::keeping::storage::mark_crashed();
        let n = PANICS.fetch_add(1, Ordering::SeqCst);
        if n <= LOGGED_PANICS {
            console_error_panic_hook::hook(info);
        }
        if first {
            show_overlay(&info.to_string());
        }
    }));
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    if has_param(&search, "panic-test") {
        arm_panic_test();
    }
}

/// Whether the query string (`?a=1&b`) has the parameter `name`.
pub fn has_param(search: &str, name: &str) -> bool {
    param(search, name).is_some()
}

/// The value of the query parameter `name` (empty for `?name`), undecoded.
pub fn param<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    let search = search.strip_prefix('?').unwrap_or(search);
    search.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// The query parameters that switch on test modes, left out of the address
/// the recovery button goes to.
const TEST_SWITCHES: &[&str] = &["panic-test", "fuzz", "fuzz-steps"];

/// The address to reload after a crash: `href` without its fragment (a share
/// link was opened already and is in the autosave) and without the test
/// switches; every other parameter (`lesson`, `embed`, `origin`...) is kept.
pub fn recovery_url(href: &str) -> String {
    let href = href.split('#').next().unwrap_or(href);
    let (base, query) = match href.split_once('?') {
        Some((b, q)) => (b, q),
        None => return href.to_string(),
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !pair.is_empty() && !TEST_SWITCHES.contains(&key)
        })
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// What the overlay says about the autosave.
fn autosave_sentence() -> String {
    match crate::keeping::storage::autosaved_versions() {
        Ok(v) if !v.is_empty() => "Your design was autosaved in this browser after your last change before the error; \
             nothing that happened after the error was saved. Reload to carry on from there."
            .to_string(),
        Ok(_) => "Nothing had been autosaved yet, so the page will open with the starter design.".to_string(),
        Err(_) => "This browser does not let the page autosave, so the page will open afresh; \
                   if you saved your design as a file, open it again after the reload."
            .to_string(),
    }
}

/// Builds the overlay with plain DOM calls. Every step may fail (no document,
/// a body that is gone): then there is nothing to show, and the console
/// message is all there is.
fn show_overlay(detail: &str) {
    let _ = (|| -> Option<()> {
        let window = web_sys::window()?;
        let document = window.document()?;
        let body = document.body()?;
        if document.get_element_by_id(OVERLAY_ID).is_some() {
            return Some(());
        }
        // The page behind is no longer trustworthy: take it out of reach of
        // pointer, keyboard focus and assistive technology.
        let children = body.children();
        for i in 0..children.length() {
            if let Some(child) = children.item(i) {
                let _ = child.set_attribute("inert", "");
            }
        }
        let el = |tag: &str, class: &str, text: &str| -> Option<web_sys::Element> {
            let e = document.create_element(tag).ok()?;
            if !class.is_empty() {
                e.set_class_name(class);
            }
            if !text.is_empty() {
                e.set_text_content(Some(text));
            }
            Some(e)
        };
        let overlay = el("div", "crash-overlay", "")?;
        overlay.set_id(OVERLAY_ID);
        let _ = overlay.set_attribute("data-testid", "crash-overlay");
        let _ = overlay.set_attribute("role", "alertdialog");
        let _ = overlay.set_attribute("aria-modal", "true");
        let _ = overlay.set_attribute("aria-labelledby", "crash-title");
        let _ = overlay.set_attribute("aria-describedby", "crash-what");
        let card = el("div", "crash-card", "")?;
        let title = el("h2", "", "Scale Lab stopped working")?;
        title.set_id("crash-title");
        let what = el(
            "p",
            "",
            "Something inside the playground went wrong (a bug in Scale Lab, not in your design), \
             and the page cannot go on safely.",
        )?;
        what.set_id("crash-what");
        let saved = el("p", "", &autosave_sentence())?;
        let _ = saved.set_attribute("data-testid", "crash-autosave");
        let button = el("button", "primary", "Reload with my last autosaved diagram")?;
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("data-testid", "crash-reload");
        // location.assign bound to the recovery address: a plain browser
        // function, so the click runs no wasm.
        let location = window.location();
        let target = recovery_url(&location.href().unwrap_or_default());
        let assign: js_sys::Function = js_sys::Reflect::get(&location, &"assign".into()).ok()?.dyn_into().ok()?;
        let go: js_sys::Function = assign.bind1(&location, &JsValue::from_str(&target)).unchecked_into();
        let _ = button.add_event_listener_with_callback("click", &go);
        let details = el("details", "crash-details", "")?;
        let summary = el("summary", "", "Technical details (for a bug report)")?;
        let pre = el("pre", "", detail)?;
        let _ = details.append_child(&summary);
        let _ = details.append_child(&pre);
        for part in [&title, &what, &saved, &button, &details] {
            let _ = card.append_child(part);
        }
        let _ = overlay.append_child(&card);
        let _ = body.append_child(&overlay);
        if let Some(b) = button.dyn_ref::<web_sys::HtmlElement>() {
            let _ = b.focus();
        }
        Some(())
    })();
}

/// `?panic-test`: Ctrl+Alt+Shift+P panics (see the module notes).
fn arm_panic_test() {
    // `Fn`, not `FnMut`: the listener is called again after it panicked
    // (keys still reach the page), and a shared borrow left behind by the
    // trap does not block that.
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(|ev: web_sys::KeyboardEvent| {
        if ev.ctrl_key() && ev.alt_key() && ev.shift_key() && ev.code() == "KeyP" {
            panic!("panic test: Ctrl+Alt+Shift+P with ?panic-test in the address");
        }
    });
    let _ = window.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
    listener.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recovery_address_drops_test_switches_and_the_fragment() {
        assert_eq!(recovery_url("http://x.org/?panic-test"), "http://x.org/");
        assert_eq!(
            recovery_url("http://x.org/app/?lesson=4&fuzz=7&fuzz-steps=100#s=abc"),
            "http://x.org/app/?lesson=4"
        );
        assert_eq!(
            recovery_url("http://x.org/?embed=1&panic-test&origin=https%3A%2F%2Fa.example"),
            "http://x.org/?embed=1&origin=https%3A%2F%2Fa.example"
        );
        assert_eq!(recovery_url("http://x.org/index.html#s=abc"), "http://x.org/index.html");
        // A parameter that merely starts like a switch is kept.
        assert_eq!(recovery_url("http://x.org/?fuzzy=1"), "http://x.org/?fuzzy=1");
    }

    #[test]
    fn params_are_found_with_or_without_values() {
        assert!(has_param("?panic-test", "panic-test"));
        assert!(has_param("a=1&panic-test=1", "panic-test"));
        assert!(!has_param("?panic-tests", "panic-test"));
        assert_eq!(param("?fuzz=42&fuzz-steps=10", "fuzz-steps"), Some("10"));
        assert_eq!(param("?fuzz", "fuzz"), Some(""));
        assert_eq!(param("", "fuzz"), None);
    }
}
