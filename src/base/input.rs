//! How the user last acted on the page: with a pointer (mouse, pen, finger)
//! or with the keyboard.
//!
//! A node selects itself when it gets the focus, so that Tab and the arrow
//! keys walk the design. A press gives the focus too, but a press has already
//! decided what it selects (a press on a node's port connects, it does not
//! select), and on a touch screen the focus arrives after the finger has
//! lifted, late enough to be mistaken for a keyboard's. So focus selects only
//! when the last thing the user did was a key.

use leptos::prelude::*;
use std::cell::Cell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

thread_local! {
    static BY_POINTER: Cell<bool> = const { Cell::new(false) };
}

/// Starts following the user's input (once, at start-up).
pub fn track() {
    listen_capturing("pointerdown", |_: web_sys::PointerEvent| BY_POINTER.with(|p| p.set(true)));
    listen_capturing("keydown", |_: web_sys::KeyboardEvent| BY_POINTER.with(|p| p.set(false)));
}

/// Whether the user's last action was a press rather than a key.
pub fn by_pointer() -> bool {
    BY_POINTER.with(Cell::get)
}

/// A listener on the window for the whole life of the page, called in the
/// capture phase (before any handler below can stop the event).
pub fn listen_capturing<E: wasm_bindgen::convert::FromWasmAbi + 'static>(kind: &str, f: impl Fn(E) + 'static) {
    let cb = Closure::<dyn Fn(E)>::new(f);
    let _ = window().add_event_listener_with_callback_and_bool(kind, cb.as_ref().unchecked_ref(), true);
    // The page's shell lives as long as the page.
    cb.forget();
}
