//! The engine's worker: a WebAssembly module of its own, started by the page
//! as a dedicated Web Worker, that runs [jobs](scalelab_engine::job) away
//! from the page's thread. Nothing here computes anything: a message is read
//! as a [`Job`], [`job::run`] does it, and every [`Reply`] is posted back.
//!
//! Messages posted to a worker before it listens are lost, and this module
//! listens only once its WebAssembly has been compiled, so the first thing
//! it says is [`Reply::Ready`]; the page sends the job on hearing it.
//!
//! trunk builds this crate from the `rel="rust"` link with `data-type="worker"`
//! in `index.html` into `scalelab-worker.js`, `scalelab-worker_bg.wasm` and the
//! loader `scalelab-worker_loader.js`, which the page starts.

use scalelab_engine::job::{self, Job, Reply};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

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
            Ok(job) => job::run(&job, &mut |reply| post(&reply)),
            Err(message) => post(&Reply::Failed { message }),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The listener lives as long as the worker.
    on_message.forget();
    post(&Reply::Ready);
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    // Fails only if the page has gone, and then nobody is listening.
    let _ = scope().post_message(&JsValue::from_str(&reply.to_json()));
}
