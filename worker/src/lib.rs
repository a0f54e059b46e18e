//! The engine's worker: a WebAssembly module of its own, started by the page
//! as a dedicated Web Worker, that runs [jobs](scalelab_engine::job) away
//! from the page's thread. Nothing here computes anything: a message is read
//! as a [`Job`] and handed to the worker's [`Session`], every [`Reply`] is
//! posted back, and when the session says so (a comparison running) it is
//! ticked again: at once through a message channel (a zero-delay task,
//! where a nested `setTimeout(0)` would wait 4 ms), or after a timeout.
//!
//! A live run's sampled hops (the page's dots) follow each tick as one
//! transferred buffer of fixed-size records, never a message per dot.
//!
//! Messages posted to a worker before it listens are lost, and this module
//! listens only once its WebAssembly has been compiled, so the first thing
//! it says is [`Reply::Ready`]; the page sends the job on hearing it.
//!
//! trunk builds this crate from the `rel="rust"` link with `data-type="worker"`
//! in `index.html` into `scalelab-worker.js`, `scalelab-worker_bg.wasm` and the
//! loader `scalelab-worker_loader.js`, which the page starts.

use scalelab_engine::compare_session::{Next, SLICE_MS};
use scalelab_engine::hops::{self, Hop};
use scalelab_engine::job::{Job, Reply, Session};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

thread_local! {
    /// What the worker keeps between messages.
    static SESSION: RefCell<Session> = RefCell::new(Session::default());
    /// The tick waiting to run, if any.
    static PENDING: Cell<Pending> = const { Cell::new(Pending::Nothing) };
    /// A channel whose message runs the next tick as soon as the worker is free.
    static SOON: MessageChannel = soon_channel();
    /// The tick as a timeout's callback.
    static LATER: Closure<dyn FnMut()> = Closure::new(|| {
        PENDING.set(Pending::Nothing);
        tick();
    });
}

/// The next tick, as scheduled.
#[derive(Clone, Copy, PartialEq)]
enum Pending {
    Nothing,
    Soon,
    /// A timeout, by its handle.
    Timer(i32),
}

/// Runs when the module is instantiated: listens, then says so.
#[wasm_bindgen(start)]
pub fn start() {
    // A panic ends the module; the page hears why rather than waiting forever.
    std::panic::set_hook(Box::new(|info| {
        post(&Reply::Failed { message: format!("the engine stopped on an internal error: {info}") });
        console_error_panic_hook::hook(info);
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            post(&Reply::Failed { message: "the engine's worker was sent something other than text".into() });
            return;
        };
        match Job::from_json(&text) {
            Ok(job) => {
                let next = SESSION.with_borrow_mut(|s| s.receive(job, &mut |reply| post(&reply)));
                post_hops();
                schedule(next);
            }
            Err(message) => post(&Reply::Failed { message }),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The listener lives as long as the worker.
    on_message.forget();
    post(&Reply::Ready);
}

/// Ticks the session once, for at most [`SLICE_MS`], and schedules the next.
fn tick() {
    let now = || scope().performance().map_or(0.0, |p| p.now());
    let started = now();
    let next = SESSION.with_borrow_mut(|s| s.tick(started, &mut || now() - started < SLICE_MS, &mut |r| post(&r)));
    post_hops();
    schedule(next);
}

/// Posts the live run's hops logged since the last post, with the simulated
/// time now, as one transferred buffer ([`hops::pack`]): the page tells it
/// from a reply by its type (a reply is text).
fn post_hops() {
    thread_local! {
        static HOPS: RefCell<Vec<Hop>> = const { RefCell::new(Vec::new()) };
    }
    HOPS.with_borrow_mut(|buffer| {
        let Some(now) = SESSION.with_borrow_mut(|s| s.drain_hops(buffer)) else { return };
        let bytes = js_sys::Uint8Array::from(hops::pack(now, buffer).as_slice());
        let transfer = js_sys::Array::of1(&bytes.buffer());
        let _ = scope().post_message_with_transfer(&bytes.buffer(), &transfer);
    });
}

/// Asks for a tick when `next` says, unless an earlier one is already asked for.
fn schedule(next: Next) {
    let pending = PENDING.get();
    match next {
        Next::Idle => {}
        Next::Now if pending != Pending::Soon => {
            if let Pending::Timer(handle) = pending {
                scope().clear_timeout_with_handle(handle);
            }
            PENDING.set(Pending::Soon);
            SOON.with(|c| {
                let _ = c.port2().post_message(&JsValue::NULL);
            });
        }
        Next::After(ms) if pending == Pending::Nothing => {
            let set = LATER.with(|f| {
                scope().set_timeout_with_callback_and_timeout_and_arguments_0(f.as_ref().unchecked_ref(), ms as i32)
            });
            if let Ok(handle) = set {
                PENDING.set(Pending::Timer(handle));
            }
        }
        _ => {}
    }
}

/// The channel whose messages run ticks (its listener lives as long as the worker).
fn soon_channel() -> MessageChannel {
    let channel = MessageChannel::new().expect("a worker can make a message channel");
    let on_tick = Closure::<dyn FnMut(MessageEvent)>::new(|_| {
        PENDING.set(Pending::Nothing);
        tick();
    });
    channel.port1().set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
    on_tick.forget();
    channel
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    // Fails only if the page has gone, and then nobody is listening.
    let _ = scope().post_message(&JsValue::from_str(&reply.to_json()));
}
