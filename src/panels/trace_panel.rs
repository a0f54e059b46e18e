//! One request, hop by hop: "Trace the next request", or a click on a moving
//! dot, opens its path with the time it spent on the wires, queued, in
//! service and waiting for the nodes it called, and how it ended. Every
//! number is the engine's trace of that request (`Simulation::trace`).

use crate::base::format;
use crate::editor::Editor;
use leptos::prelude::*;
use scalelab_engine::trace::{Trace, TraceHop, TraceOutcome};

/// Which request the panel follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// The next request born after the button was pressed.
    Next,
    /// A request the animation drew (a clicked dot).
    Request(u64),
}

#[derive(Clone, Copy)]
pub struct Tracing {
    pub follow: RwSignal<Option<Follow>>,
    /// Its trace as the engine last gave it (`None`: not born yet, or gone).
    pub trace: RwSignal<Option<Trace>>,
}

/// Sets up tracing for the page (one panel, in context).
pub fn use_tracing() -> Tracing {
    let t = Tracing { follow: RwSignal::new(None), trace: RwSignal::new(None) };
    provide_context(t);
    let editor = expect_context::<Editor>();
    // A rebuilt simulation has other requests: the trace is gone.
    Effect::new(move |first: Option<()>| {
        editor.generation.track();
        if first.is_some() {
            t.close(editor);
        }
    });
    t
}

impl Tracing {
    /// Whether a request is being followed (then each reading carries its trace).
    pub fn following(&self) -> bool {
        self.follow.try_get_untracked().flatten().is_some()
    }

    /// Shows `trace` as the engine read it, while a request is followed.
    pub fn show(&self, trace: Option<Trace>) {
        if self.following() && self.trace.with_untracked(|t| *t != trace) {
            self.trace.set(trace);
        }
    }

    /// Asks the engine to trace the next request born.
    pub fn next(&self, editor: Editor) {
        editor.run.update_value(|r| {
            r.watch(|w| w.trace = true);
            r.trace_next();
        });
        self.trace.set(None);
        self.follow.set(Some(Follow::Next));
    }

    /// Follows request `number` (a clicked dot); its trace comes with the
    /// next reading (at once: the run reads after a command).
    pub fn pick(&self, editor: Editor, number: u64) {
        editor.run.update_value(|r| {
            r.watch(|w| w.trace = true);
            r.follow_trace(number);
        });
        self.trace.set(None);
        self.follow.set(Some(Follow::Request(number)));
    }

    /// Stops following (the run stops reading a trace).
    pub fn close(&self, editor: Editor) {
        let _ = editor.run.try_update_value(|r| r.watch(|w| w.trace = false));
        self.follow.set(None);
        self.trace.set(None);
    }
}

/// The toolbar button.
#[component]
pub fn TraceButton() -> impl IntoView {
    let editor = expect_context::<Editor>();
    let tracing = expect_context::<Tracing>();
    view! {
        <button data-testid="trace-next" title="Follow the next request through the design, hop by hop (or pause and click a dot)"
            on:click=move |_| tracing.next(editor)>"Trace a request"</button>
    }
}

fn outcome_text(t: &Trace) -> String {
    let what = match t.region {
        Some(r) => format!("A {} from {}", t.kind.name(), r.label()),
        None => format!("A {}", t.kind.name()),
    };
    let sentence = match &t.outcome {
        TraceOutcome::InFlight => format!("{what}, in flight for {} so far.", format::ms(Some(t.latency_ms))),
        TraceOutcome::Ok => format!("{what}, answered in {}.", format::ms(Some(t.latency_ms))),
        TraceOutcome::Failed { cause: scalelab_engine::Cause::ClientTimeout, at } => {
            format!(
                "{what}: no answer within the client timeout of {at}, so the user gave up after {}.",
                format::ms(Some(t.latency_ms))
            )
        }
        TraceOutcome::Failed { cause, at } => {
            format!("{what}, failed after {}: {} at {at}.", format::ms(Some(t.latency_ms)), cause_words(*cause))
        }
    };
    match attempts_text(t) {
        Some(more) => format!("{sentence} {more}"),
        None => sentence,
    }
}

/// The users' attempts, when they retried: how many, and how long they
/// waited between them (their backoff, which is part of the whole time).
fn attempts_text(t: &Trace) -> Option<String> {
    let attempts = t.hops.iter().map(|h| h.attempt).max().unwrap_or(1);
    if attempts <= 1 {
        return None;
    }
    let backoff = t.hops.first().map_or(0.0, |users| users.backoff_ms);
    let so_far = if t.outcome == TraceOutcome::InFlight { " so far" } else { "" };
    Some(if backoff > 0.0 {
        format!("{attempts} attempts{so_far}, {} of the time waiting before retries.", format::ms(Some(backoff)))
    } else {
        format!("{attempts} attempts{so_far}, each retry sent at once.")
    })
}

/// The label of a hop that starts another attempt ("attempt 2 ·"), so the
/// rows read as one path per attempt.
fn attempt_label(hops: &[TraceHop], i: usize) -> Option<String> {
    let h = &hops[i];
    let starts =
        h.attempt > 1 && hops[..i].iter().rev().find(|p| p.depth <= h.depth).is_none_or(|p| p.attempt != h.attempt);
    starts.then(|| format!("attempt {} · ", h.attempt))
}

/// Why a request failed, in words.
fn cause_words(cause: scalelab_engine::Cause) -> &'static str {
    use scalelab_engine::Cause;
    match cause {
        Cause::Rejected => "turned away because the queue was full",
        Cause::Timeout => "timed out, the caller stopped waiting",
        Cause::NodeDown => "the node was down",
        Cause::NoRoute => "there was nowhere to send it",
        Cause::Partition => "the network between data centers was cut",
        Cause::Overflow => "too many requests were in flight: the simulation's cap was reached",
        Cause::ClientTimeout => "the user gave up waiting for an answer",
        Cause::RateLimited => "turned away by a rate limit: too many requests",
        Cause::CircuitOpen => "not sent: the caller's circuit breaker was open",
        Cause::Shed => "dropped from a queue: it had waited too long, or nobody was waiting for it any more",
        Cause::Error => "the node answered with an error",
    }
}

/// A hop's bar on the request's time line: where it arrived, and its queue,
/// service and waiting, as shares of the whole.
fn bar(h: &TraceHop, total_ms: f64) -> impl IntoView {
    let total = total_ms.max(1e-9);
    let pct = |v: f64| format!("{:.2}%", (v / total * 100.0).clamp(0.0, 100.0));
    let at = h.arrived_ms;
    let segments = [
        ("queued", at, h.queued_ms),
        ("service", at + h.queued_ms, h.service_ms),
        ("pool", at + h.queued_ms + h.service_ms, h.pool_ms),
        ("waiting", at + h.queued_ms + h.service_ms + h.pool_ms, h.waiting_ms),
    ];
    view! {
        <div class="trace-bar" aria-hidden="true">
            {segments.into_iter().filter(|s| s.2 > 0.0).map(|(class, from, len)| view! {
                <span class=class style=format!("left:{};width:{}", pct(from), pct(len))></span>
            }).collect_view()}
        </div>
    }
}

/// Whether a key press is typing in a text field, where Esc belongs to the
/// field (a checkbox, a button or a slider with focus is not typing).
fn typing_in_field(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return false };
    if el.is_content_editable() {
        return true;
    }
    match el.tag_name().to_ascii_lowercase().as_str() {
        "textarea" | "select" => true,
        "input" => {
            let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
            !matches!(
                kind.as_str(),
                "checkbox" | "radio" | "range" | "button" | "submit" | "reset" | "color" | "file" | "image"
            )
        }
        _ => false,
    }
}

/// The panel, shown while a request is followed. Esc closes it wherever the
/// focus is (except in a text field, or while a dialog is open: Esc is the
/// dialog's). Its header, with the × button, stays put: the panel keeps one
/// size and only the part under the header scrolls, so a trace that grows or
/// shrinks as the request moves on never moves the button from under the
/// pointer.
#[component]
pub fn TracePanel() -> impl IntoView {
    let tracing = expect_context::<Tracing>();
    let editor = expect_context::<Editor>();
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        // Not `default_prevented`: the page's own shortcut handler takes Esc too (it cancels a
        // placement or a connection) and marks it handled.
        if ev.key() != "Escape" || typing_in_field(&ev) {
            return;
        }
        if tracing.follow.get_untracked().is_none() {
            return;
        }
        let dialog_open = document().query_selector("[aria-modal=\"true\"]").ok().flatten().is_some();
        if !dialog_open {
            tracing.close(editor);
        }
    });
    on_cleanup(move || esc.remove());
    view! {
        <Show when=move || tracing.follow.get().is_some()>
            <aside class="trace-panel" data-testid="trace-panel" aria-label="Request trace">
                <header>
                    <h3>{move || match tracing.trace.with(|t| t.as_ref().map(|t| t.number)) {
                        Some(n) => format!("Request #{}", format::count(n + 1)),
                        None => "Request trace".to_string(),
                    }}</h3>
                    <button data-testid="trace-close" aria-label="Close the trace" title="Close (Esc)" on:click=move |_| tracing.close(editor)>"×"</button>
                </header>
                <div class="trace-body">
                {move || tracing.trace.with(|t| match t {
                    None => view! {
                        <p class="muted" data-testid="trace-outcome">{match tracing.follow.get() {
                            Some(Follow::Next) => "Waiting for the next request to arrive (the simulation must be running).",
                            _ => "This request's trace is no longer kept: pick a dot that is moving now.",
                        }}</p>
                    }.into_any(),
                    Some(t) => {
                        let total = t.latency_ms;
                        let failed = matches!(t.outcome, TraceOutcome::Failed { .. });
                        view! {
                            <p data-testid="trace-outcome" class:failed=failed data-state=match t.outcome {
                                TraceOutcome::InFlight => "in_flight", TraceOutcome::Ok => "ok", TraceOutcome::Failed { .. } => "failed" }>
                                {outcome_text(t)}
                            </p>
                            <table class="trace-hops">
                                <thead><tr>
                                    <th scope="col">"Hop"</th><th scope="col">"Network"</th><th scope="col">"Queued"</th>
                                    <th scope="col">"Service"</th><th scope="col">"Waiting on calls"</th><th scope="col">"Time line"</th>
                                </tr></thead>
                                <tbody>
                                    {t.hops.iter().enumerate().skip(1).map(|(i, h)| view! {
                                        <tr data-testid=format!("trace-hop-{}", h.node) data-attempt=h.attempt.to_string() class:failed=h.failed.is_some() class:cut=!h.answered && t.outcome != TraceOutcome::InFlight>
                                            <th scope="row" style=format!("padding-left:{}em", 0.3 + 0.8 * f64::from(h.depth.saturating_sub(1)))>
                                                {attempt_label(&t.hops, i).map(|l| view! { <span class="attempt">{l}</span> })}
                                                {h.node.clone()}
                                                {h.failed.map(|c| view! { <span class="why">{format!(" ✗ {}", c.name().replace('_', " "))}</span> })}
                                                {(h.backoff_ms > 0.0).then(|| view! {
                                                    <span class="attempt" data-testid="trace-backoff">{format!(" · {} waiting to retry its calls", format::ms(Some(h.backoff_ms)))}</span>
                                                })}
                                                {(h.pool_ms > 0.0).then(|| view! {
                                                    <span class="attempt" data-testid="trace-pool">{format!(" · waited {} for a connection", format::ms(Some(h.pool_ms)))}</span>
                                                })}
                                            </th>
                                            <td data-part="network">{format::ms(Some(h.network_ms))}</td>
                                            <td data-part="queued">{format::ms(Some(h.queued_ms))}</td>
                                            <td data-part="service">{format::ms(Some(h.service_ms))}</td>
                                            <td data-part="waiting">{format::ms(Some(h.waiting_ms))}</td>
                                            <td>{bar(h, total)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p class="muted trace-note">
                                "Network, queued and service times add up, over the hops, to the whole. "
                                "Waiting on calls is the time a node held the request while the nodes below it worked: their parts, not counted twice."
                                {t.hops.iter().any(|h| h.backoff_ms > 0.0).then_some(
                                    " Waits before retries (the users', or a server's for its calls) are the rest of the whole: the gaps in the time lines.")}
                                {t.hops.iter().any(|h| h.pool_ms > 0.0).then_some(
                                    " A server's wait for a free connection of its pool is its own time, counted in the whole (striped in the time line).")}
                            </p>
                        }.into_any()
                    }
                })}
                </div>
            </aside>
        </Show>
    }
}
