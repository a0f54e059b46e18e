//! A `requestAnimationFrame` loop that stops itself when its owner goes away.
//! Modelled on leptos-use's `use_raf_fn`: the callback gets the milliseconds
//! since the previous frame; the loop is cancelled on cleanup so it never
//! touches a disposed signal.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The frame callback, shared between the loop (which re-registers it) and the
/// cleanup (which drops it).
type FrameClosure = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// Runs `callback(elapsed_ms)` on every animation frame until the current
/// reactive owner is cleaned up.
pub fn use_frame_loop(mut callback: impl FnMut(f64) + 'static) {
    let handle: Rc<RefCell<Option<i32>>> = Rc::new(RefCell::new(None));
    let stopped = Rc::new(std::cell::Cell::new(false));
    let closure: FrameClosure = Rc::new(RefCell::new(None));
    let last: Rc<std::cell::Cell<Option<f64>>> = Rc::new(std::cell::Cell::new(None));

    let (handle2, stopped2, closure2) = (handle.clone(), stopped.clone(), closure.clone());
    *closure.borrow_mut() = Some(Closure::new(move |t: f64| {
        if stopped2.get() {
            return;
        }
        let elapsed = last.get().map(|l| t - l).unwrap_or(0.0);
        last.set(Some(t));
        callback(elapsed);
        if let Some(c) = closure2.borrow().as_ref() {
            *handle2.borrow_mut() = request(c);
        }
    }));
    if let Some(c) = closure.borrow().as_ref() {
        *handle.borrow_mut() = request(c);
    }
    // `on_cleanup` wants Send + Sync; the page is single-threaded, and
    // SendWrapper checks at run time that the cleanup runs on this thread.
    let owned = send_wrapper::SendWrapper::new((stopped, handle, closure));
    leptos::prelude::on_cleanup(move || {
        let (stopped, handle, closure) = &*owned;
        stopped.set(true);
        if let (Some(id), Some(w)) = (handle.borrow_mut().take(), web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
        // Break the closure's reference to itself so it can be freed.
        closure.borrow_mut().take();
    });
}

fn request(c: &Closure<dyn FnMut(f64)>) -> Option<i32> {
    web_sys::window()?.request_animation_frame(c.as_ref().unchecked_ref()).ok()
}

/// The page's millisecond clock (`performance.now()`), 0 where there is none.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}
