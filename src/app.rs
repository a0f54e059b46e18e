//! The first page: the starter architecture running live, with its numbers.

use crate::builtin::STARTER_SCENARIO;
use crate::format;
use crate::frame_loop::use_frame_loop;
use crate::runner::Runner;
use leptos::prelude::*;
use scalelab_engine::{Scenario, Simulation, Snapshot};
use std::cell::RefCell;
use std::rc::Rc;

/// How often the numbers on screen are refreshed, in wall-clock milliseconds.
const SNAPSHOT_EVERY_MS: f64 = 250.0;

/// The traffic slider runs on a log scale from `MIN_RPS` to `MAX_RPS`.
const MIN_RPS: f64 = 10.0;
const MAX_RPS: f64 = 10_000.0;
const SLIDER_STEPS: f64 = 1000.0;

fn slider_to_rps(v: f64) -> f64 {
    let rps = MIN_RPS * (MAX_RPS / MIN_RPS).powf(v / SLIDER_STEPS);
    // Round to three significant digits so the value reads like a setting.
    let magnitude = 10f64.powf(rps.log10().floor() - 2.0);
    (rps / magnitude).round() * magnitude
}

fn rps_to_slider(rps: f64) -> f64 {
    (rps / MIN_RPS).ln() / (MAX_RPS / MIN_RPS).ln() * SLIDER_STEPS
}

#[component]
pub fn App() -> impl IntoView {
    let scenario = Scenario::from_json(STARTER_SCENARIO).expect("the built-in scenario is valid");
    let users_index = scenario.node_index("users").expect("the starter has users");
    let users_id = scenario.nodes[users_index].id.clone();
    let title = scenario.name.clone().unwrap_or_default();
    let initial_rps = match &scenario.nodes[users_index].spec {
        scalelab_engine::scenario::NodeSpec::Users(u) => u.rps(),
        _ => 0.0,
    };
    let runner = Rc::new(RefCell::new(Runner::new(Simulation::new(scenario))));

    let playing = RwSignal::new(true);
    let behind = RwSignal::new(false);
    let rps = RwSignal::new(initial_rps);
    // The slider's own position: several positions round to the same rate, and
    // feeding the rounded rate back would snap the thumb back on every key press.
    let slider = RwSignal::new(rps_to_slider(initial_rps).round());
    let snapshot: RwSignal<Option<Snapshot>> = RwSignal::new(None);

    // The frame loop: step the engine every frame, publish a snapshot a few
    // times a second. Nothing here re-renders per frame.
    {
        let runner = runner.clone();
        let mut since_snapshot = 0.0;
        use_frame_loop(move |elapsed_ms| {
            if !playing.try_get_untracked().unwrap_or(false) {
                return;
            }
            let mut r = runner.borrow_mut();
            r.advance(elapsed_ms);
            since_snapshot += elapsed_ms;
            if since_snapshot >= SNAPSHOT_EVERY_MS {
                since_snapshot = 0.0;
                snapshot.set(Some(r.sim.take_snapshot()));
                behind.set(r.behind);
            }
        });
    }

    let set_traffic = {
        let runner = runner.clone();
        move |value: f64| {
            let new_rps = slider_to_rps(value);
            slider.set(value);
            if runner.borrow_mut().sim.set_rps(&users_id, new_rps).is_ok() {
                rps.set(new_rps);
            }
        }
    };

    let metric = move |f: fn(&Snapshot) -> String| move || snapshot.with(|s| s.as_ref().map(f).unwrap_or_else(|| "–".into()));

    view! {
        <div class="app" data-testid="app-ready">
            <header class="topbar">
                <h1>"Scale Lab"</h1>
                <span class="scenario-name">{title}</span>
                <div class="controls" role="group" aria-label="Run controls">
                    <button
                        class="play"
                        data-testid="play-toggle"
                        aria-pressed=move || playing.get().to_string()
                        on:click=move |_| playing.update(|p| *p = !*p)
                    >
                        {move || if playing.get() { "Pause" } else { "Play" }}
                    </button>
                    <label class="traffic">
                        <span>"Traffic"</span>
                        <input
                            type="range"
                            data-testid="traffic"
                            min="0"
                            max=SLIDER_STEPS.to_string()
                            step="1"
                            prop:value=move || slider.get().to_string()
                            aria-valuetext=move || format!("{} requests per second", format::number(rps.get()))
                            on:input=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                    set_traffic(v);
                                }
                            }
                        />
                        <output data-testid="traffic-value">{move || format!("{} requests/s", format::number(rps.get()))}</output>
                    </label>
                    <span class="clock" data-testid="sim-time">
                        {move || snapshot.with(|s| s.as_ref().map(|s| format!("t = {:.1} s", s.now_s)).unwrap_or_else(|| "t = 0.0 s".into()))}
                    </span>
                    <Show when=move || behind.get()>
                        <span class="behind" role="status">"slower than real time"</span>
                    </Show>
                </div>
            </header>

            <section class="metrics" aria-label="Live metrics" aria-live="off">
                <Metric label="Requests/s" test_id="metric-rps" value=metric(|s| format::number(s.ok_rps + s.failed_rps)) />
                <Metric label="p50 latency" test_id="metric-p50" value=metric(|s| format::ms(s.latency_p50_ms)) />
                <Metric label="p99 latency" test_id="metric-p99" value=metric(|s| format::ms(s.latency_p99_ms)) />
                <Metric label="Errors" test_id="metric-errors" value=metric(|s| format!("{} ({}/s)", format::percent(s.error_ratio), format::number(s.failed_rps))) />
            </section>

            <section class="nodes" aria-label="Nodes">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Node"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Utilisation"</th>
                            <th scope="col">"Queue"</th>
                            <th scope="col">"Throughput"</th>
                            <th scope="col">"Mean time at node"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || snapshot.with(|s| s.as_ref().map(|s| s.nodes.iter().map(|n| {
                            let util = n.summary.utilization;
                            let has_workers = n.workers > 0;
                            let width = format!("width: {:.1}%", (util * 100.0).clamp(0.0, 100.0));
                            let level = if util > 0.9 { "hot" } else if util > 0.7 { "warm" } else { "calm" };
                            view! {
                                <tr data-testid=format!("node-row-{}", n.id)>
                                    <th scope="row">{n.id.clone()}</th>
                                    <td>{n.kind.replace('_', " ")}</td>
                                    <td>
                                        <div class="util">
                                            {has_workers.then(|| view! {
                                                <span class=format!("bar {level}") aria-hidden="true"><span style=width></span></span>
                                            })}
                                            <span data-testid=format!("util-{}", n.id)>
                                                {if has_workers { format::percent(util) } else { "–".into() }}
                                            </span>
                                        </div>
                                    </td>
                                    <td>{if has_workers { format!("{} waiting", n.waiting) } else { "–".into() }}</td>
                                    <td>{format!("{}/s", format::number(n.summary.throughput_rps))}</td>
                                    <td>{if n.kind == "users" { "–".into() } else { format::ms(Some(n.summary.mean_response_ms)) }}</td>
                                </tr>
                            }
                        }).collect_view()))}
                    </tbody>
                </table>
            </section>
            <p class="note">
                "Every number here is computed by the simulation engine from individual simulated requests: "
                "users send requests over a 20 ms network link to a load balancer, which spreads them over two web servers; "
                "reads and writes also call the database, holding a web server worker while they wait."
            </p>
        </div>
    }
}

#[component]
fn Metric<F: Fn() -> String + Send + Sync + 'static>(label: &'static str, test_id: &'static str, value: F) -> impl IntoView {
    view! {
        <div class="metric">
            <div class="label">{label}</div>
            <div class="value" data-testid=test_id>{value}</div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_scale_round_trips_and_spans_the_range() {
        assert_eq!(slider_to_rps(0.0), MIN_RPS);
        assert_eq!(slider_to_rps(SLIDER_STEPS), MAX_RPS);
        let mid = slider_to_rps(SLIDER_STEPS / 2.0);
        assert!((310.0..=320.0).contains(&mid), "{mid}");
        // One step of the slider always changes the rate at the top of the range.
        assert!(slider_to_rps(SLIDER_STEPS - 1.0) < MAX_RPS);
        assert!((rps_to_slider(300.0) - 492.4).abs() < 1.0);
    }
}
