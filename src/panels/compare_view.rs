//! The comparison's results: both designs' figures side by side, their
//! latency and errors over time, and the table of differences with the
//! engine's verdict on each row. Formatting only: every number is the
//! engine's (`compare::Figures`, `compare::differences`, the per-second series).
//!
//! Stable selectors for tests: `compare-waiting` (before the statistics
//! window opens), `compare-results`, `compare-side-a` /
//! `compare-side-b` with `cmp-a-requests`, `cmp-a-throughput` (the goodput;
//! its note `cmp-a-throughput-note` says how much was answered in all once
//! some answers came too late), `cmp-a-attempts` (only when either side's
//! users retried), `cmp-a-mean`,
//! `cmp-a-p50`, `cmp-a-p99`, `cmp-a-errors`, `cmp-a-causes`,
//! `cmp-a-lost-writes`, `cmp-a-cost` (and `cmp-b-…`), `compare-chart-p99`,
//! `compare-chart-errors`, `compare-diff` with one row `diff-<metric key>`
//! per metric (`data-verdict="same|better|worse|unclear|not-yet|not-judged"`,
//! cells `diff-a`, `diff-b`, `diff-delta`, `diff-verdict`).

use crate::base::format;
use crate::panels::charts::{Chart, ChartData, Line};
use leptos::prelude::*;
use scalelab_engine::compare::Range;
use scalelab_engine::compare::{Difference, Figures, Metric, Verdict};
use scalelab_engine::pair_run::{AppliedFault, PairReading, SecondView};
use scalelab_engine::Fault;

/// The colours of A and B, in the charts and the side tags (styles/compare.css).
const A_COLOUR: (u8, u8, u8) = (47, 111, 222);
const B_COLOUR: (u8, u8, u8) = (217, 120, 30);

/// What was paired, fixed for a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub a_label: String,
    pub b_label: String,
    /// What the pairing changed in B, in the engine's words.
    pub notes: Vec<String>,
    /// Scheduled faults both run (A's, where B has what they name), in words.
    pub scheduled: Vec<String>,
    /// A's scheduled faults that B lacks the target of: only A runs them.
    pub a_only: Vec<String>,
    /// Node and data center ids both designs have (what can fail in both).
    pub common: Vec<String>,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
}

/// Both designs at one simulated time, as the engine read them.
pub type Reading = PairReading;

/// A fault applied to both, in words: "t = 28.1 s: db failed in both" (the
/// panel applies only fail and recover in both).
pub fn applied_text(f: &AppliedFault) -> String {
    let did = match f.fault {
        Fault::Fail => "failed",
        Fault::Recover => "recovered",
        _ => "changed",
    };
    format!("t = {:.1} s: {} {did} in both", f.t_s, f.id)
}

/// Simulated seconds as set in a scenario: "3,600 s", "2.5 s".
pub fn seconds(s: f64) -> String {
    format!("{} s", setting(s))
}

/// A number as a person set it: whole numbers without decimals ("90",
/// "3,600"), others as `format::number` gives them.
pub fn setting(x: f64) -> String {
    if x.fract() == 0.0 && (0.0..1e15).contains(&x) {
        format::count(x as u64)
    } else {
        format::number(x)
    }
}

fn value_text(m: Metric, v: f64) -> String {
    match m {
        Metric::Requests | Metric::LostWrites => format::count(v.max(0.0) as u64),
        Metric::Throughput => format!("{} req/s", format::number(v)),
        Metric::MeanLatency | Metric::P50Latency | Metric::P99Latency => format::ms(Some(v)),
        Metric::ErrorRate => format::percent(v),
        Metric::Cost => dollars(v),
    }
}

fn dollars(v: f64) -> String {
    format!("${}/month", format::count(v.max(0.0).round() as u64))
}

/// B − A with its sign: "+225 req/s", "−452 ms", "−22.5 pts", "0".
fn delta_text(m: Metric, d: f64) -> String {
    if d == 0.0 {
        return "0".into();
    }
    let sign = if d > 0.0 { "+" } else { "−" };
    let x = d.abs();
    let body = match m {
        Metric::Requests | Metric::LostWrites => format::count(x as u64),
        Metric::Throughput => format!("{} req/s", format::number(x)),
        Metric::MeanLatency | Metric::P50Latency | Metric::P99Latency => format!("{} ms", format::number(x)),
        // Percentage points: the difference of two percentages.
        Metric::ErrorRate => format!("{} pts", format::number(x * 100.0)),
        Metric::Cost => format!("${}/month", format::count(x.round() as u64)),
    };
    format!("{sign}{body}")
}

/// The range beside a value: "± 12.3 ms" for a latency (symmetric), the
/// Wilson range "(95%: 0.26–11.4%)" for the error rate.
fn range_text(m: Metric, r: &Range) -> String {
    match m {
        Metric::ErrorRate => {
            let full = format::percent_interval(r.value, r.low, r.high);
            full.split_once(' ').map_or(full.clone(), |(_, range)| range.to_string())
        }
        _ => format!("± {} ms", format::number(r.high - r.value)),
    }
}

fn label(m: Metric) -> &'static str {
    match m {
        Metric::Requests => "Requests sent",
        Metric::Throughput => "Goodput (answered in time)",
        Metric::MeanLatency => "Mean latency",
        Metric::P50Latency => "p50 latency",
        Metric::P99Latency => "p99 latency",
        Metric::ErrorRate => "Error rate",
        Metric::LostWrites => "Lost writes",
        Metric::Cost => "Cost",
    }
}

/// `(data-verdict, words)`.
fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Same => ("same", "same"),
        Verdict::Better => ("better", "B better"),
        Verdict::Worse => ("worse", "B worse"),
        Verdict::NoClearDifference => ("unclear", "no clear difference"),
        Verdict::NotYet => ("not-yet", "no interval yet"),
        Verdict::NotJudged => ("not-judged", "—"),
    }
}

fn verdict_title(v: Verdict) -> &'static str {
    match v {
        Verdict::Same => "Exactly equal",
        Verdict::Better | Verdict::Worse => "The 95% intervals do not overlap (lost writes and cost: exact for this traffic)",
        Verdict::NoClearDifference => "The 95% intervals overlap: this run cannot tell the designs apart",
        Verdict::NotYet => "The engine gives an interval after five 10-second batches past the warm-up (for p99, each with at least 500 successful requests)",
        Verdict::NotJudged => "No confidence interval for this figure, so no verdict: see the error rate and the mean latency",
    }
}

/// The figures, charts and table, or a word on why there are none yet. The
/// charts are mounted once per run and redraw from the reading; the cards
/// and the table are rebuilt with each reading.
#[component]
pub fn Results(reading: RwSignal<Option<Reading>>, info: RunInfo) -> impl IntoView {
    let labels = [info.a_label.clone(), info.b_label.clone()];
    let warmup_s = info.warmup_s;
    let measured = move || reading.with(|r| r.as_ref().is_some_and(|r| r.a.window_s > 0.0));
    let waiting = move || {
        reading.with(|r| match r {
            None => "Starting both runs…".to_string(),
            Some(r) => format!("Warming up: statistics start at {} (now {:.1} s).", seconds(warmup_s), r.a.now_s),
        })
    };
    let chart = move |title: &'static str, unit: &'static str, y: fn(&SecondView) -> Option<f64>| {
        Signal::derive(move || {
            reading.with(|r| {
                let lines = r
                    .as_ref()
                    .map(|r| {
                        [("A", A_COLOUR, &r.series[0]), ("B", B_COLOUR, &r.series[1])]
                            .into_iter()
                            .map(|(l, c, s)| Line {
                                label: l.into(),
                                color: c,
                                points: s.iter().filter_map(|p| Some((p.t_s, y(p)?))).collect(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ChartData { title: title.into(), unit: unit.into(), lines, y_min_zero: true }
            })
        })
    };
    view! {
        <Show when=measured fallback=move || view! { <p class="muted compare-wait" data-testid="compare-waiting">{waiting}</p> }>
            <div class="compare-results" data-testid="compare-results">
                <div class="compare-sides">
                    {
                        let labels = labels.clone();
                        move || reading.with(|r| r.as_ref().map(|r| view! {
                            <SideView side="a" label=labels[0].clone() f=r.a.clone() attempts=retried(r) />
                            <SideView side="b" label=labels[1].clone() f=r.b.clone() attempts=retried(r) />
                        }))
                    }
                </div>
                <div class="compare-lower">
                    {move || reading.with(|r| r.as_ref().map(|r| view! { <DiffTable rows=r.diffs.clone() /> }))}
                    <div class="compare-charts">
                        <Chart test_id="compare-chart-p99" data=chart("p99 latency", "ms", |p| p.p99_ms) />
                        <Chart test_id="compare-chart-errors" data=chart("Failed requests", "req/s", |p| Some(p.failed as f64)) />
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// Whether either design's users retried: then both sides show an
/// "Attempts" card, so the cards stay side by side.
fn retried(r: &Reading) -> bool {
    [&r.a, &r.b].iter().any(|f| f.attempts_per_request.is_some_and(|a| a > 1.0))
}

/// One design's figures, as cards like the dashboard's.
#[component]
fn SideView(side: &'static str, label: String, f: Figures, attempts: bool) -> impl IntoView {
    let h = &f.headline;
    // The notes give the interval's own mean: the table compares those, over
    // the last batches, while the cards' values cover the whole window.
    let note = |m: Metric, r: Option<Range>| {
        r.map(|r| format!("{} {}, last {} s", value_text(m, r.value), range_text(m, &r), r.batches * 10))
    };
    let causes: Vec<String> = f
        .failed_by_cause
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{} {}", c.replace('_', " "), format::count(*n)))
        .collect();
    let causes = if causes.is_empty() { "none".to_string() } else { causes.join(" · ") };
    // All answers per second, under the goodput, once some came too late for
    // their users (as the dashboard says it): before that they are one figure.
    let answered = match (f.goodput_rps, f.throughput_rps) {
        (Some(good), Some(all)) if all > good => Some(format!("of {} req/s answered", format::number(all))),
        _ => None,
    };
    let mut cards: Vec<(&str, &str, String, Option<String>)> = vec![
        ("Requests sent", "requests", format::count(f.generated), None),
        (
            "Goodput",
            "throughput",
            f.goodput_rps.map(|v| format!("{} req/s", format::number(v))).unwrap_or_else(|| "–".into()),
            answered,
        ),
        (
            "Mean latency",
            "mean",
            format::ms(f.latency_mean_ms),
            note(Metric::MeanLatency, h.mean_latency_ms.map(Range::from)),
        ),
        ("p50 latency", "p50", format::ms(f.latency_p50_ms), None),
        (
            "p99 latency",
            "p99",
            format::ms(f.latency_p99_ms),
            note(Metric::P99Latency, h.p99_latency_ms.map(Range::from)),
        ),
        (
            "Errors",
            "errors",
            f.error_rate.map(format::percent).unwrap_or_else(|| "–".into()),
            note(Metric::ErrorRate, h.error_proportion.map(Range::from)),
        ),
        ("Lost writes", "lost-writes", format::count(f.lost_writes), None),
        ("Cost per month", "cost", format!("${}", format::count(f.cost_per_month_usd.max(0.0).round() as u64)), None),
    ];
    if attempts {
        let value = f.attempts_per_request.map_or_else(|| "–".to_string(), |a| format!("×{a:.2}"));
        cards.insert(2, ("Attempts", "attempts", value, Some("per request sent".to_string())));
    }
    view! {
        <section class=format!("compare-side side-{side}") data-testid=format!("compare-side-{side}") aria-label=format!("Design {}", side.to_uppercase())>
            <h3><span class=format!("side-tag side-{side}")>{side.to_uppercase()}</span>" "{label}</h3>
            <p class="muted compare-window" data-testid=format!("cmp-{side}-window")>{format!("Since the warm-up ({} s); under a value: the last 10 s batches", format::number(f.window_s))}</p>
            <div class="compare-cards">
                {cards.into_iter().map(|(name, id, value, note)| view! {
                    <div class="metric">
                        <div class="label">{name}</div>
                        <div class="value" data-testid=format!("cmp-{side}-{id}")>{value}</div>
                        <div class="interval" data-testid=format!("cmp-{side}-{id}-note")>{note.unwrap_or_default()}</div>
                    </div>
                }).collect_view()}
            </div>
            <p class="compare-causes"><span class="muted">"Errors by cause: "</span><span data-testid=format!("cmp-{side}-causes")>{causes}</span></p>
        </section>
    }
}

#[component]
fn DiffTable(rows: Vec<Difference>) -> impl IntoView {
    let cell = |m: Metric, v: Option<f64>, r: Option<Range>| {
        let text = v.map(|v| value_text(m, v)).unwrap_or_else(|| "–".into());
        let hw = r.map(|r| range_text(m, &r));
        (text, hw)
    };
    view! {
        <div class="compare-diff-wrap">
            <div class="compare-diff-scroll">
            <table class="compare-diff" data-testid="compare-diff">
                <caption>"B against A"</caption>
                <thead><tr>
                    <th scope="col">"Metric"</th>
                    <th scope="col"><span class="side-tag side-a">"A"</span></th>
                    <th scope="col"><span class="side-tag side-b">"B"</span></th>
                    <th scope="col">"B − A"</th>
                    <th scope="col">"Verdict"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|d| {
                        let m = d.metric;
                        let (a, a_hw) = cell(m, d.a, d.a_interval);
                        let (b, b_hw) = cell(m, d.b, d.b_interval);
                        let delta = d.b_minus_a.map(|x| delta_text(m, x)).unwrap_or_else(|| "–".into());
                        let (state, words) = verdict_words(d.verdict);
                        let batches = d.a_interval.is_some() && d.b_interval.is_some();
                        view! {
                            <tr data-testid=format!("diff-{}", m.key()) data-verdict=state class=format!("verdict-{state}")>
                                <th scope="row">{label(m)}{batches.then_some(" *")}</th>
                                <td data-testid="diff-a">{a}{a_hw.map(|h| view! { <span class="hw">{h}</span> })}</td>
                                <td data-testid="diff-b">{b}{b_hw.map(|h| view! { <span class="hw">{h}</span> })}</td>
                                <td data-testid="diff-delta">{delta}</td>
                                <td data-testid="diff-verdict" class="verdict" title=verdict_title(d.verdict)>{words}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="muted compare-foot">
                "* Over the last 10 s batches (up to 5 minutes) with 95% intervals, as under the cards' values; overlapping intervals mean no clear difference. "
                "Rows without * are since the warm-up, as the cards. Lost writes and cost are exact for this traffic. Goodput and p50 have no interval and get no verdict."
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_read_with_their_signs_and_units() {
        assert_eq!(delta_text(Metric::P99Latency, -452.1), "−452 ms");
        assert_eq!(delta_text(Metric::Throughput, 225.08), "+225 req/s");
        assert_eq!(delta_text(Metric::ErrorRate, -0.2252), "−22.5 pts");
        assert_eq!(delta_text(Metric::Cost, 600.0), "+$600/month");
        assert_eq!(delta_text(Metric::Requests, 0.0), "0");
        assert_eq!(value_text(Metric::ErrorRate, 0.5517), "55.2%");
        assert_eq!(seconds(3600.0), "3,600 s");
        assert_eq!(seconds(2.5), "2.50 s");
        assert_eq!(setting(5.0), "5");
        assert_eq!(value_text(Metric::Requests, 69_895.0), "69,895");
        assert_eq!(
            range_text(Metric::MeanLatency, &Range { value: 1.0, low: -11.26, high: 13.26, batches: 6 }),
            "± 12.3 ms"
        );
        assert_eq!(
            range_text(Metric::ErrorRate, &Range { value: 0.018, low: 0.0026, high: 0.114, batches: 6 }),
            "(95%: 0.26–11.4%)"
        );
    }
}
