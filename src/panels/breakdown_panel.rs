//! "Where the time goes": the latency of successful requests split by node
//! and by cause (network, queueing, service, waiting on calls), for the mean
//! request and for the slowest 1%, so a learner can see which queue sets the
//! p99. A column for the wait for a pooled connection appears while some
//! node has that part. The numbers are the engine's breakdown of its traced requests
//! (`Simulation::latency_breakdown`); the page only lays them out. Tracing
//! requests for it costs the engine, so it runs only while this panel is on
//! the page ([`BreakdownShown`]): opened again, the panel starts from the
//! requests traced since.

use crate::base::format;
use crate::state::Live;
use leptos::prelude::*;
use scalelab_engine::breakdown::{BreakdownPart, HopShare};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Mean,
    Tail,
}

fn summary(part: &BreakdownPart, group: Group) -> String {
    let head = match group {
        Group::Mean => format!("The mean request takes {}", format::ms(Some(part.latency_ms))),
        Group::Tail => format!(
            "The slowest 1% ({} requests at the p99 or beyond) take {} on average",
            format::count(part.requests),
            format::ms(Some(part.latency_ms))
        ),
    };
    match part.largest() {
        Some((node, what, ms)) if ms > 0.0 => {
            format!("{head}; the largest part is {what} at {node} ({}).", format::ms(Some(ms)))
        }
        _ => format!("{head}."),
    }
}

/// One row: the node's parts as numbers and as a bar of the whole latency
/// (with the pool's column when `pooled`).
fn row(h: &HopShare, total_ms: f64, pooled: bool) -> impl IntoView {
    let total = total_ms.max(1e-9);
    let pct = |v: f64| format!("{:.2}%", (v / total * 100.0).clamp(0.0, 100.0));
    let segments =
        [("network", h.network_ms), ("queued", h.queueing_ms), ("service", h.service_ms), ("pool", h.pool_ms)];
    view! {
        <tr data-testid=format!("breakdown-row-{}", h.node)>
            <th scope="row">{h.node.clone()}</th>
            <td data-part="network">{format::ms(Some(h.network_ms))}</td>
            <td data-part="queueing">{format::ms(Some(h.queueing_ms))}</td>
            <td data-part="service">{format::ms(Some(h.service_ms))}</td>
            {pooled.then(|| view! { <td data-part="pool">{format::ms(Some(h.pool_ms))}</td> })}
            <td data-part="waiting" class="muted">{format::ms(Some(h.waiting_ms))}</td>
            <td>
                <div class="share-bar" aria-hidden="true">
                    {segments.into_iter().filter(|s| s.1 > 0.0).map(|(class, v)| view! {
                        <span class=class style=format!("width:{}", pct(v))></span>
                    }).collect_view()}
                </div>
            </td>
        </tr>
    }
}

/// Whether "Where the time goes" is on the page: the shell turns the
/// engine's tracing for the breakdown on only while it is.
#[derive(Clone, Copy, Debug)]
pub struct BreakdownShown(pub RwSignal<bool>);

/// The note under the table: what the figures are made from.
fn note(requests: u64, span_s: f64, pooled: bool) -> String {
    // The engine's window is 30 to 60 simulated seconds; a shorter one began
    // when the run started or when this panel was opened.
    format!(
        "From {} traced requests (one in eight) that succeeded in the last {span_s:.0} simulated seconds{}. Network, queueing{} and service add up, over the nodes, to the latency.",
        format::count(requests),
        if span_s < 30.0 { ", traced while this panel is open" } else { "" },
        if pooled { ", pool wait" } else { "" }
    )
}

#[component]
pub fn BreakdownPanel() -> impl IntoView {
    let live = expect_context::<Live>();
    if let Some(BreakdownShown(shown)) = use_context::<BreakdownShown>() {
        shown.set(true);
        on_cleanup(move || {
            let _ = shown.try_set(false);
        });
    }
    let group = RwSignal::new(Group::Mean);
    let button = move |g: Group, label: &'static str, test_id: &'static str| {
        view! {
            <button data-testid=test_id aria-pressed=move || (group.get() == g).to_string() on:click=move |_| group.set(g)>{label}</button>
        }
    };
    view! {
        <div class="panel breakdown-panel" data-testid="breakdown">
            <div class="breakdown-head">
                <h3>"Where the time goes"</h3>
                <div class="segmented" role="group" aria-label="Which requests">
                    {button(Group::Mean, "Mean", "breakdown-mean")}
                    {button(Group::Tail, "Slowest 1%", "breakdown-tail")}
                </div>
            </div>
            {move || live.breakdown.with(|b| match b {
                None => view! { <p class="muted" data-testid="breakdown-summary">"No traced request has finished yet."</p> }.into_any(),
                Some(b) => {
                    let g = group.get();
                    let part = if g == Group::Mean { &b.mean } else { &b.tail };
                    let pooled = part.hops.iter().any(|h| h.pool_ms > 0.0);
                    view! {
                        <p data-testid="breakdown-summary">{summary(part, g)}</p>
                        <table class="breakdown-table">
                            <thead><tr>
                                <th scope="col">"Node"</th><th scope="col">"Network"</th><th scope="col">"Queueing"</th>
                                <th scope="col">"Service"</th>
                                {pooled.then(|| view! { <th scope="col" title="Time its calls waited for a free connection of its pool: its own part of the latency">"Pool wait"</th> })}
                                <th scope="col" title="Time spent below this node, in the nodes it called: already counted there">"Waiting on calls"</th>
                                <th scope="col">"Share"</th>
                            </tr></thead>
                            <tbody>{part.hops.iter().map(|h| row(h, part.latency_ms, pooled)).collect_view()}</tbody>
                        </table>
                        <p class="muted breakdown-note">{note(b.requests, b.span_s, pooled)}</p>
                    }.into_any()
                }
            })}
        </div>
    }
}
