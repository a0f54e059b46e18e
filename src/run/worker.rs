//! Jobs run in the engine's worker (`worker/`, a module of its own started as
//! a dedicated Web Worker): the page sends a [`Job`] and hears [`Reply`]s,
//! while its own thread keeps drawing. A [`JobWorker`] is one worker doing
//! one job (or running one comparison, steered by the jobs [`JobWorker::send`]
//! gives it); dropping it stops the worker at once, which is how a job is
//! cancelled (nothing else holds its work).

use scalelab_engine::job::{Job, Reply};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's loader, which trunk writes beside the page (file names of
/// workers are not hashed); resolved against the page's base so that the
/// site works under a sub-path.
const LOADER: &str = "scalelab-worker_loader.js";

/// A worker doing one job.
pub struct JobWorker {
    worker: Worker,
    /// Jobs given before the worker said it listens, `None` once it has.
    waiting: Rc<RefCell<Option<Vec<String>>>>,
    listeners: Option<Listeners>,
}

struct Listeners {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _error: Closure<dyn FnMut(ErrorEvent)>,
}

impl JobWorker {
    /// Starts a worker and gives it `job` as soon as it listens. Every reply
    /// after that goes to `on_reply`, the last being the answer or a
    /// [`Reply::Failed`], also when the worker itself could not load.
    /// Refused (with words for the user) only if the browser will not start
    /// a worker at all.
    pub fn start(job: &Job, on_reply: impl Fn(Reply) + 'static) -> Result<JobWorker, String> {
        let worker = Worker::new(&loader_url()?)
            .map_err(|e| format!("the browser would not start the engine's worker ({})", js_words(&e)))?;
        let on_reply = Rc::new(on_reply);
        let waiting = Rc::new(RefCell::new(Some(vec![job.to_json()])));
        let (sender, queue) = (worker.clone(), waiting.clone());
        let hear = on_reply.clone();
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let reply = match event.data().as_string() {
                Some(text) => Reply::from_json(&text),
                None => Reply::Failed { message: "the engine's worker answered something other than text".into() },
            };
            match reply {
                Reply::Ready => {
                    let jobs = queue.borrow_mut().take().unwrap_or_default();
                    for text in jobs {
                        if let Err(e) = sender.post_message(&JsValue::from_str(&text)) {
                            hear(Reply::Failed { message: format!("the job could not be sent ({})", js_words(&e)) });
                        }
                    }
                }
                reply => hear(reply),
            }
        });
        let error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            on_reply(Reply::Failed { message: format!("the engine's worker stopped: {}", event.message()) });
        });
        worker.set_onmessage(Some(message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(error.as_ref().unchecked_ref()));
        Ok(JobWorker { worker, waiting, listeners: Some(Listeners { _message: message, _error: error }) })
    }

    /// Gives the worker one more job (a command to its comparison): at once
    /// if it listens, else as soon as it says it does, after the first.
    pub fn send(&self, job: &Job) -> Result<(), String> {
        let text = job.to_json();
        if let Some(queue) = self.waiting.borrow_mut().as_mut() {
            queue.push(text);
            return Ok(());
        }
        self.worker
            .post_message(&JsValue::from_str(&text))
            .map_err(|e| format!("the engine's worker could not be told ({})", js_words(&e)))
    }
}

impl Drop for JobWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        // The worker may be dropped by its own listener (a job that ends
        // drops its worker): the listeners go once that call has returned.
        if let Some(listeners) = self.listeners.take() {
            leptos::task::spawn_local(async move { drop(listeners) });
        }
    }
}

/// The loader's address, relative to the page's base.
fn loader_url() -> Result<String, String> {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .ok_or("the page has no address to find the engine's worker from")?;
    web_sys::Url::new_with_base(LOADER, &base)
        .map(|u| u.href())
        .map_err(|e| format!("the engine's worker has no address ({})", js_words(&e)))
}

fn js_words(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
