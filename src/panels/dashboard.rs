//! The dashboard: headline numbers, errors by cause, the event log, and a text
//! summary for screen readers. Every number is read from engine snapshots.

use crate::base::format;
use crate::panels::charts::{Chart, ChartData, Line};
use crate::state::Live;
use leptos::prelude::*;
use scalelab_engine::{NodeKind, Severity, Snapshot};

/// One sentence per aspect of the current state, for screen readers.
pub fn summary(s: &Snapshot) -> String {
    if s.span_s == 0.0 {
        return format!("At {:.1} seconds: no figures until the first simulated second ends.", s.now_s);
    }
    let mut parts = vec![format!(
        "At {:.0} seconds, over the {}: {} requests per second sent, {} failing.",
        s.now_s,
        format::window(s.span_s),
        format::number(s.sent_rps),
        format::percent(s.error_ratio)
    )];
    if s.throughput_rps > s.ok_rps {
        parts.push(format!(
            "Goodput {} per second of {} answered; the rest came after their users gave up.",
            format::number(s.ok_rps),
            format::number(s.throughput_rps)
        ));
    }
    if let (Some(p50), Some(p99)) = (s.latency_p50_ms, s.latency_p99_ms) {
        parts.push(format!("Median latency {}, 99th percentile {}.", format::ms(Some(p50)), format::ms(Some(p99))));
    }
    let busiest =
        s.nodes.iter().filter(|n| n.workers > 0).max_by(|a, b| a.summary.utilization.total_cmp(&b.summary.utilization));
    if let Some(n) = busiest {
        parts.push(format!(
            "Busiest: {} at {} with {} waiting.",
            n.id,
            format::percent(n.summary.utilization),
            n.waiting
        ));
    }
    let down: Vec<&str> =
        s.nodes.iter().filter(|n| n.health == scalelab_engine::Health::Down).map(|n| n.id.as_str()).collect();
    if !down.is_empty() {
        parts.push(format!("Down: {}.", down.join(", ")));
    }
    parts.join(" ")
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let live = expect_context::<Live>();
    let editor = expect_context::<crate::editor::Editor>();
    let snap = live.snapshot;
    let metric =
        move |f: fn(&Snapshot) -> String| move || snap.with(|s| s.as_ref().map(f).unwrap_or_else(|| "–".into()));
    // Rates, latencies and ratios: over the live window, none before it has a second.
    let windowed = move |f: fn(&Snapshot) -> String| {
        move || snap.with(|s| s.as_ref().filter(|s| s.span_s > 0.0).map(f).unwrap_or_else(|| "–".into()))
    };
    let layout = expect_context::<RwSignal<crate::state::Layout>>();
    let open = move || layout.with(|l| l.dashboard_open);
    let goal = expect_context::<crate::panels::lesson_panel::LessonsUi>();
    view! {
        <section class="dashboard" class:open=open aria-label="Dashboard" data-testid="dashboard">
            {move || snap.with(|s| s.as_ref().filter(|s| !s.alerts_firing.is_empty()).map(|s| view! {
                <p class="alerts-firing" role="status" data-testid="alerts-firing">
                    <strong>"Alert firing: "</strong>{s.alerts_firing.join(", ")}
                </p>
            }))}
            // The headline strip: always on screen, whatever else is folded away.
            <div class="headline">
                // Short in the strip; the whole sentence in its tooltip and above the charts.
                <p class="metrics-window" data-testid="metrics-window"
                    title=move || snap.with(|s| format!("Requests, goodput, latency and errors: {}; the intervals under them over 10 s batches", format::window(s.as_ref().map_or(0.0, |s| s.span_s))))>
                    {move || snap.with(|s| match s.as_ref().map_or(0.0, |s| s.span_s) {
                        span if span > 0.0 => format::window(span),
                        _ => "none yet".to_string(),
                    })}
                </p>
                <div class="metrics">
                    <Metric label="Requests/s" test_id="metric-rps" value=windowed(|s| format::number(s.sent_rps)) />
                    <Metric label="p50 latency" test_id="metric-p50" value=windowed(|s| format::ms(s.latency_p50_ms))
                        note=Signal::derive(move || live.headline.with(|h| h.mean_latency_ms.map(|iv| format!("mean {}", interval_ms(&iv))))) />
                    <Metric label="p99 latency" test_id="metric-p99" value=windowed(|s| format::ms(s.latency_p99_ms))
                        note=Signal::derive(move || live.headline.with(|h| h.p99_latency_ms.map(|iv| interval_ms(&iv)))) />
                    <Metric label="Errors" test_id="metric-errors" value=windowed(|s| format!("{} ({}/s)", format::percent(s.error_ratio), format::number(s.failed_rps)))
                        note=Signal::derive(move || live.headline.with(|h| h.error_proportion.map(|p| format!("{}, {}", format::percent_interval(p.estimate, p.low, p.high), last_s(p.batches))))) />
                    // Goodput beside throughput, once some answer has come too late
                    // for its users: before that the two are the same figure.
                    <Show when=move || late_answers(&live)>
                        <div class="metric" title="Answers that reached their users before they gave up, per second (goodput), and all successful answers, late ones too (throughput)">
                            <div class="label">"Goodput"</div>
                            <div class="value" data-testid="metric-goodput">{windowed(|s| format!("{}/s", format::number(s.ok_rps)))}</div>
                            <div class="interval" data-testid="metric-throughput">{windowed(|s| format!("of {}/s answered", format::number(s.throughput_rps)))}</div>
                        </div>
                    </Show>
                    // Retries multiply the load: shown once the run has retried.
                    <Show when=move || retried(&live)>
                        <div class="metric" title="Attempts sent per request the users sent: 1 without retries; each retry adds load on what is already struggling">
                            <div class="label">"Attempts"</div>
                            <div class="value" data-testid="metric-attempts">{windowed(|s| s.attempts_per_request.map_or_else(|| "–".to_string(), |a| format!("×{a:.2} per request")))}</div>
                        </div>
                    </Show>
                    // Circuit breakers, once a caller has one: how many of the wires
                    // they guard are cut off now (the diagram marks which).
                    <Show when=move || guarded_wires(&live).is_some()>
                        <div class="metric" title="Wires guarded by a circuit breaker, now: open ones fail calls at once without sending them; half-open ones let a few trial calls through to see whether the callee is back. The diagram marks each wire.">
                            <div class="label">"Breakers now"</div>
                            <div class="value" data-testid="metric-breakers">{move || guarded_wires(&live).map(|b| b.headline()).unwrap_or_default()}</div>
                            <div class="interval" data-testid="metric-breakers-note">{move || guarded_wires(&live).map(|b| b.note()).unwrap_or_default()}</div>
                        </div>
                    </Show>
                    <Metric label="Cost" test_id="metric-cost" value=metric(|s| format!("${}/month", format::count(s.cost_per_month_usd.round() as u64))) />
                    <Show when=move || has_kind(&live, NodeKind::Database) && replicas_present(&live)>
                        <Metric label="Lost writes" test_id="metric-lost-writes" value=metric(|s| format::count(s.lost_writes)) />
                    </Show>
                    <Show when=move || local_sessions(editor)>
                        <Metric label="Sessions lost" test_id="metric-sessions-lost" value=metric(|s| format::count(s.sessions_lost)) />
                    </Show>
                    <Show when=move || live.goal.with(Option::is_some)>
                        <button class="metric goal-metric" data-testid="metric-goal" class:met=move || live.goal.with(|g| g.as_ref().is_some_and(|g| g.met()))
                            title="The lesson's goal, as the simulation checks it: open the lesson"
                            on:click=move |_| {
                                goal.show(true);
                                if let Some(d) = use_context::<crate::state::Drawer>() { d.show(crate::state::Tab::Lesson); }
                            }>
                            <span class="label">"Goal"</span>
                            <span class="value">{move || live.goal.with(|g| g.as_ref().map(goal_words).unwrap_or_default())}</span>
                        </button>
                    </Show>
                </div>
                <button class="dash-toggle" data-testid="dashboard-toggle" aria-expanded=move || open().to_string() aria-controls="dashboard-more"
                    title=move || if open() { "Fold the charts away" } else { "Charts, errors by cause, where the time goes and the event log" }
                    on:click=move |_| layout.update(|l| l.dashboard_open = !l.dashboard_open)>
                    {move || if open() { "Less ▾" } else { "Charts ▴" }}
                </button>
            </div>
            <Show when=open>
            <div class="dash-more" id="dashboard-more">
            <p class="muted dash-window">{move || snap.with(|s| format!("Requests, goodput, latency and errors: {}", format::window(s.as_ref().map_or(0.0, |s| s.span_s))))}" · intervals: 10 s batches"</p>
            <div class="charts">
                <Chart test_id="chart-throughput" data=Signal::derive(move || throughput_chart(&live)) />
                <Chart test_id="chart-latency" data=Signal::derive(move || latency_chart(&live)) />
                <Chart test_id="chart-errors" data=Signal::derive(move || errors_chart(&live)) />
                <Chart test_id="chart-utilization" data=Signal::derive(move || utilization_chart(&live)) />
                // Charts for parts the design has, and only then: never a flat
                // line for something that is not there.
                <Show when=move || has_kind(&live, NodeKind::Cache)>
                    <Chart test_id="chart-hit-ratio" data=Signal::derive(move || per_node_chart(&live, "Cache hit ratio", "%", NodeKind::Cache, |p| p.hit_ratio.map(|h| h * 100.0))) />
                </Show>
                <Show when=move || has_kind(&live, NodeKind::Cdn)>
                    <Chart test_id="chart-cdn-hit-ratio" data=Signal::derive(move || per_node_chart(&live, "CDN hit ratio", "%", NodeKind::Cdn, |p| p.hit_ratio.map(|h| h * 100.0))) />
                </Show>
                <Show when=move || has_kind(&live, NodeKind::Queue)>
                    <Chart test_id="chart-backlog" data=Signal::derive(move || per_node_chart(&live, "Queue backlog", "jobs", NodeKind::Queue, |p| Some(p.queue_len as f64))) />
                </Show>
                <Show when=move || replicas_present(&live)>
                    <Chart test_id="chart-replication-lag" data=Signal::derive(move || per_node_chart(&live, "Replication lag", "ms", NodeKind::Database, |p| p.replication_lag_ms)) />
                </Show>
            </div>
            <div class="panels">
                <Show when=move || snap.with(|s| s.as_ref().is_some_and(|s| !s.regions.is_empty()))>
                    <div class="panel regions-panel">
                        <h3>"By user region "<span class="muted window">{move || snap.with(|s| format::window(s.as_ref().map_or(0.0, |s| s.span_s)))}</span></h3>
                        <table data-testid="regions">
                            <thead><tr><th>"Region"</th><th title="Requests of users in the region that ended (answered or failed) per second">"Finished/s"</th><th>"Errors"</th><th>"p50"</th><th>"p99"</th></tr></thead>
                            <tbody>
                                {move || snap.with(|s| s.as_ref().map(|s| s.regions.iter().map(|r| view! {
                                    <tr data-testid=format!("region-{}", r.region)>
                                        <th scope="row">{r.label.to_string()}</th>
                                        <td>{format::number(r.ok_rps + r.failed_rps)}</td>
                                        <td>{format::percent(r.error_ratio)}</td>
                                        <td>{format::ms(r.latency_p50_ms)}</td>
                                        <td>{format::ms(r.latency_p99_ms)}</td>
                                    </tr>
                                }).collect_view()))}
                            </tbody>
                        </table>
                    </div>
                </Show>
                <crate::panels::breakdown_panel::BreakdownPanel />
                <div class="panel errors-panel">
                    <h3>"Errors by cause "<span class="muted window">{move || snap.with(|s| format::window(s.as_ref().map_or(0.0, |s| s.span_s)))}</span></h3>
                    // Only the causes that occurred in the window: a list of
                    // every cause at 0/s named failures a healthy system never had.
                    <ul data-testid="errors-by-cause">
                        {move || snap.with(|s| s.as_ref().filter(|s| s.span_s > 0.0).map(|s| {
                            let occurred: Vec<_> = s.failed_by_cause.iter().filter(|(_, n)| *n > 0).collect();
                            if occurred.is_empty() {
                                return view! { <li class="none">{format!("None in the {}", format::window(s.span_s))}</li> }.into_any();
                            }
                            occurred.into_iter().map(|(cause, n)| {
                                let rate = *n as f64 / s.span_s;
                                view! { <li class="active" data-cause=cause.to_string()><span>{cause.replace('_', " ")}</span><span>{format!("{}/s", format::number(rate))}</span></li> }
                            }).collect_view().into_any()
                        }))}
                    </ul>
                </div>
                <div class="panel log-panel">
                    <h3>"Event log"</h3>
                    <ol class="event-log" data-testid="event-log">
                        {move || live.log.with(|l| l.iter().rev().take(30).map(|e| {
                            let class = match e.severity { Severity::Info => "info", Severity::Warning => "warning", Severity::Error => "error" };
                            view! { <li class=class><time>{format!("{:.1} s", e.t as f64 / 1e9)}</time>" "<span>{e.text.clone()}</span></li> }
                        }).collect_view())}
                    </ol>
                </div>
            </div>
            </div>
            </Show>
            <p class="sr-only" data-testid="summary" aria-live="off">{move || snap.with(|s| s.as_ref().map(summary).unwrap_or_default())}</p>
        </section>
    }
}

const BLUE: (u8, u8, u8) = (47, 111, 222);
const GREEN: (u8, u8, u8) = (46, 157, 98);
const AMBER: (u8, u8, u8) = (217, 154, 30);
const RED: (u8, u8, u8) = (214, 69, 69);
const PURPLE: (u8, u8, u8) = (140, 90, 200);
const TEAL: (u8, u8, u8) = (32, 150, 160);
const GREY: (u8, u8, u8) = (120, 120, 120);
const PINK: (u8, u8, u8) = (220, 90, 160);
const ORANGE: (u8, u8, u8) = (232, 112, 24);
const NAVY: (u8, u8, u8) = (40, 62, 140);
const BROWN: (u8, u8, u8) = (140, 95, 55);
const OLIVE: (u8, u8, u8) = (122, 136, 30);

/// A line from the per-second series.
fn series_line(
    live: &Live,
    label: &str,
    color: (u8, u8, u8),
    y: impl Fn(&scalelab_engine::SecondPoint) -> f64,
) -> Line {
    let points = live.series.with(|s| s.iter().map(|p| (p.t_s as f64, y(p))).collect());
    Line { label: label.to_string(), color, points }
}

fn throughput_chart(live: &Live) -> ChartData {
    ChartData {
        title: "Throughput".into(),
        unit: "req/s".into(),
        y_min_zero: true,
        lines: vec![
            series_line(live, "goodput", GREEN, |p| p.ok as f64),
            series_line(live, "failed", RED, |p| p.failed.iter().sum::<u64>() as f64),
        ]
        .into_iter()
        // Answers that came after their users had left: work done for nobody.
        .chain(late_answers(live).then(|| series_line(live, "answered too late", ORANGE, |p| p.late_ok as f64)))
        .collect(),
    }
}

/// Whether some request of this run was retried (the run's totals).
fn retried(live: &Live) -> bool {
    live.snapshot.with(|s| s.as_ref().is_some_and(|s| s.totals.retries > 0))
}

/// The wires the snapshot reports a circuit breaker on, by state now
/// (`None`: no caller has a breaker).
fn guarded_wires(live: &Live) -> Option<BreakerCount> {
    use scalelab_engine::breaker::State;
    live.snapshot.with(|s| {
        let s = s.as_ref()?;
        let mut count = BreakerCount::default();
        for b in s.links.iter().filter_map(|l| l.breaker) {
            match b.state {
                State::Closed => count.closed += 1,
                State::Open => count.open += 1,
                State::HalfOpen => count.half_open += 1,
            }
        }
        (count.total() > 0).then_some(count)
    })
}

/// How many guarded wires' breakers are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct BreakerCount {
    closed: u32,
    open: u32,
    half_open: u32,
}

impl BreakerCount {
    fn total(self) -> u32 {
        self.closed + self.open + self.half_open
    }

    /// "2 open" (or "all closed"), the headline of the card.
    fn headline(self) -> String {
        match (self.open, self.half_open) {
            (0, 0) => "all closed".into(),
            (0, h) => format!("{h} half-open"),
            (o, _) => format!("{o} open"),
        }
    }

    /// "of 4 wires · 1 half-open": what the headline leaves out.
    fn note(self) -> String {
        let wires = if self.total() == 1 { "wire" } else { "wires" };
        let mut s = format!("of {} {wires}", self.total());
        if self.open > 0 && self.half_open > 0 {
            s.push_str(&format!(" · {} half-open", self.half_open));
        }
        s
    }
}

/// Whether some answer of this run reached users who had already given up,
/// so goodput and throughput differ (the run's totals).
fn late_answers(live: &Live) -> bool {
    live.snapshot.with(|s| s.as_ref().is_some_and(|s| s.totals.late_ok > 0))
}

fn latency_chart(live: &Live) -> ChartData {
    // Seconds with no successful request have no latency: left out, not zero.
    let line = |label: &str, color, f: fn(&scalelab_engine::SecondPoint) -> f64| {
        let mut l = series_line(live, label, color, f);
        let oks: Vec<bool> = live.series.with(|s| s.iter().map(|p| p.ok > 0).collect());
        l.points = l.points.into_iter().zip(oks).filter(|(_, ok)| *ok).map(|(p, _)| p).collect();
        l
    };
    ChartData {
        title: "Latency".into(),
        unit: "ms".into(),
        y_min_zero: true,
        lines: vec![
            line("p50", BLUE, |p| p.latency_p50_ms),
            line("p95", AMBER, |p| p.latency_p95_ms),
            line("p99", RED, |p| p.latency_p99_ms),
        ],
    }
}

/// One colour per failure cause, so no two lines of the errors chart share one.
fn cause_colour(c: scalelab_engine::Cause) -> (u8, u8, u8) {
    use scalelab_engine::Cause;
    match c {
        Cause::Rejected => AMBER,
        Cause::Timeout => PURPLE,
        Cause::NodeDown => RED,
        Cause::NoRoute => BLUE,
        Cause::Partition => TEAL,
        Cause::Overflow => GREY,
        Cause::ClientTimeout => PINK,
        Cause::RateLimited => ORANGE,
        Cause::CircuitOpen => NAVY,
        Cause::Shed => BROWN,
        Cause::Error => OLIVE,
    }
}

/// A line per cause that failed a request in the seconds shown; with none,
/// one line of all causes at zero.
fn errors_chart(live: &Live) -> ChartData {
    let occurred = |c: scalelab_engine::Cause| live.series.with(|s| s.iter().any(|p| p.failed[c as usize] > 0));
    let mut lines: Vec<Line> = scalelab_engine::Cause::ALL
        .iter()
        .filter(|&&c| occurred(c))
        .map(|&c| series_line(live, &c.name().replace('_', " "), cause_colour(c), move |p| p.failed[c as usize] as f64))
        .collect();
    if lines.is_empty() {
        lines.push(series_line(live, "all causes", GREEN, |p| p.failed.iter().sum::<u64>() as f64));
    }
    ChartData { title: "Errors by cause".into(), unit: "req/s".into(), y_min_zero: true, lines }
}

/// Utilisation of each tier that has workers (every station kind the design
/// has, named as the kind table names it): its nodes' busy workers over
/// their available workers (the engine's `SecondPoint::utilization_of`).
fn utilization_chart(live: &Live) -> ChartData {
    const COLOURS: [(u8, u8, u8); 6] = [BLUE, AMBER, PURPLE, TEAL, GREEN, PINK];
    let slots = live.slots.get();
    let lines = NodeKind::ALL
        .iter()
        .filter(|kind| kind.is_station())
        .enumerate()
        .filter_map(|(i, &kind)| {
            let members: Vec<usize> = slots
                .iter()
                .enumerate()
                .filter(|(_, (_, k, removed))| *k == kind && !removed)
                .map(|(i, _)| i)
                .collect();
            (!members.is_empty()).then(|| {
                let y =
                    move |p: &scalelab_engine::SecondPoint| p.utilization_of(&members).map_or(f64::NAN, |u| u * 100.0);
                series_line(live, kind.label(), COLOURS[i % COLOURS.len()], y)
            })
        })
        .collect();
    ChartData { title: "Utilisation".into(), unit: "%".into(), y_min_zero: true, lines }
}

/// Whether the running design has a node of `kind`.
fn has_kind(live: &Live, kind: NodeKind) -> bool {
    live.slots.with(|s| s.iter().any(|(_, k, removed)| *k == kind && !removed))
}

/// Whether any web server keeps sessions in its own memory.
fn local_sessions(editor: crate::editor::Editor) -> bool {
    editor.doc.with(|d| {
        d.nodes.iter().any(|n| matches!(&n.spec, scalelab_engine::scenario::NodeSpec::WebServer(w) if w.sessions == scalelab_engine::scenario::Sessions::Local))
    })
}

/// Whether any database is a read replica (it reports a replication lag).
fn replicas_present(live: &Live) -> bool {
    live.snapshot.with(|s| s.as_ref().is_some_and(|s| s.nodes.iter().any(|n| n.replication_lag_ms.is_some())))
}

/// One line per node of `kind` that has the value `y` (seconds without it
/// are left out, not drawn as zero).
fn per_node_chart(
    live: &Live,
    title: &str,
    unit: &str,
    kind: NodeKind,
    y: fn(&scalelab_engine::NodePoint) -> Option<f64>,
) -> ChartData {
    const COLOURS: [(u8, u8, u8); 5] = [BLUE, PURPLE, AMBER, GREEN, RED];
    let slots = live.slots.get();
    let lines = slots
        .iter()
        .enumerate()
        .filter(|(_, (_, k, removed))| *k == kind && !removed)
        .filter_map(|(i, (id, _, _))| {
            let points: Vec<(f64, f64)> =
                live.series.with(|s| s.iter().filter_map(|p| Some((p.t_s as f64, y(p.nodes.get(i)?)?))).collect());
            (!points.is_empty()).then(|| Line { label: id.clone(), color: COLOURS[i % COLOURS.len()], points })
        })
        .collect();
    ChartData { title: title.into(), unit: unit.into(), y_min_zero: true, lines }
}

#[component]
fn Metric<F: Fn() -> String + Send + Sync + 'static>(
    label: &'static str,
    test_id: &'static str,
    value: F,
    /// The same figure over the last batches with its 95% interval (engine::confidence).
    #[prop(optional)]
    note: Option<Signal<Option<String>>>,
) -> impl IntoView {
    view! {
        <div class="metric">
            <div class="label">{label}</div>
            <div class="value" data-testid=test_id>{value}</div>
            {note.map(|n| view! {
                <div class="interval" data-testid=format!("{test_id}-interval") title="Over the last 10 s batches of the run (at most 30), with a 95% confidence interval from batch means (for the error rate, a Wilson score interval that counts failures coming together as fewer)">
                    {move || n.get().unwrap_or_default()}
                </div>
            })}
        </div>
    }
}

/// The goal in the headline strip: met, or how many of its parts pass now.
fn goal_words(g: &scalelab_engine::goal::GoalStatus) -> String {
    if g.met() {
        return "✓ met".into();
    }
    let passing = g.checks.iter().filter(|c| c.passing).count();
    let drills_passed = g.drills.iter().filter(|d| d.state == scalelab_engine::goal::DrillState::Passed).count();
    let mut parts = Vec::new();
    if !g.checks.is_empty() {
        parts.push(format!("{passing}/{} checks", g.checks.len()));
    }
    if !g.drills.is_empty() {
        parts.push(format!("{drills_passed}/{} drills", g.drills.len()));
    }
    parts.join(", ")
}

/// "88.7 ± 1.2 ms, last 120 s".
fn interval_ms(iv: &scalelab_engine::confidence::Interval) -> String {
    format!("{} ± {}, {}", format::ms(Some(iv.mean)), format::ms(Some(iv.half_width)), span(iv))
}

fn span(iv: &scalelab_engine::confidence::Interval) -> String {
    last_s(iv.batches)
}

/// The window of `batches` batches: "last 120 s".
fn last_s(batches: usize) -> String {
    format!("last {} s", batches as u32 * scalelab_engine::confidence::BATCH_S)
}

#[cfg(test)]
mod tests {
    use super::BreakerCount;

    #[test]
    fn the_breaker_card_names_the_worst_state_first_and_counts_every_wire() {
        let c = |closed, open, half_open| BreakerCount { closed, open, half_open };
        assert_eq!((c(4, 0, 0).headline(), c(4, 0, 0).note()), ("all closed".into(), "of 4 wires".into()));
        assert_eq!((c(1, 0, 0).headline(), c(1, 0, 0).note()), ("all closed".into(), "of 1 wire".into()));
        assert_eq!((c(2, 0, 2).headline(), c(2, 0, 2).note()), ("2 half-open".into(), "of 4 wires".into()));
        assert_eq!((c(1, 2, 1).headline(), c(1, 2, 1).note()), ("2 open".into(), "of 4 wires · 1 half-open".into()));
    }
}
