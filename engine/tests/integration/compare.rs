//! A/B comparison: the figures of two paired runs and the table of
//! differences, judged by the engine's intervals.

use scalelab_engine::compare::{differences, pair, Difference, Figures, Metric, Verdict};
use scalelab_engine::confidence::{Headline, Interval};
use scalelab_engine::goal::at_this_traffic;
use scalelab_engine::{Scenario, Simulation};

const NS: u64 = 1_000_000_000;

fn lesson(n: u32) -> Scenario {
    Scenario::from_json(&crate::lesson_goals::lesson_json(n).to_string()).unwrap()
}

/// Both designs run to `t_s` in small slices, taking turns as the page does.
fn run_pair(a: &Scenario, b: &Scenario, t_s: u64) -> (Figures, Figures) {
    let p = pair(a, b).unwrap();
    let (mut sa, mut sb) = (Simulation::new(p.a), Simulation::new(p.b));
    let until = t_s * NS;
    while sa.now() < until || sb.now() < until {
        sa.run_until(until, 7_000);
        sb.run_until(until, 7_000);
    }
    (Figures::of(&sa), Figures::of(&sb))
}

fn row(rows: &[Difference], m: Metric) -> &Difference {
    rows.iter().find(|r| r.metric == m).unwrap()
}

#[test]
fn a_design_against_itself_differs_in_nothing() {
    let a = lesson(4);
    let (fa, fb) = run_pair(&a, &a, 90);
    assert_eq!(fa, fb, "the same design on the same traffic is the same run");
    let rows = differences(&fa, &fb);
    assert_eq!(rows.len(), Metric::ALL.len());
    for r in &rows {
        assert_eq!(r.verdict, Verdict::Same, "{r:?}");
        assert_eq!(r.b_minus_a, Some(0.0), "{r:?}");
    }
    // Past the warm-up and five batches, the interval rows compare interval means.
    let mean = row(&rows, Metric::MeanLatency);
    assert_eq!(mean.a, fa.headline.mean_latency_ms.map(|i| i.mean));
    assert!(mean.a_interval.is_some());
}

#[test]
fn the_previous_step_at_this_steps_traffic_is_clearly_worse() {
    // Lesson 2's single medium web server at lesson 3's traffic, against
    // lesson 3's larger machines: the very same requests, different outcomes.
    let this = lesson(3);
    let before = at_this_traffic(&lesson(2), &this);
    let (fa, fb) = run_pair(&before, &this, 80);
    assert_eq!(fa.generated, fb.generated, "identical traffic");
    assert!(fa.generated > 10_000, "{fa:?}");
    assert_eq!(fa.now_s, 80.0);
    // Neither design's users retry; every answer counted in the throughput
    // is at least the goodput's.
    for f in [&fa, &fb] {
        assert_eq!(f.attempts_per_request, Some(1.0));
        assert!(f.throughput_rps.unwrap() >= f.goodput_rps.unwrap(), "{f:?}");
    }
    let rows = differences(&fa, &fb);
    assert_eq!(row(&rows, Metric::Requests).verdict, Verdict::Same);
    assert_eq!(row(&rows, Metric::Requests).b_minus_a, Some(0.0));
    let errors = row(&rows, Metric::ErrorRate);
    let p99 = row(&rows, Metric::P99Latency);
    assert!(
        errors.verdict == Verdict::Better || p99.verdict == Verdict::Better,
        "B should be clearly better: {errors:?} {p99:?}"
    );
    for r in [errors, p99] {
        if r.verdict == Verdict::Better {
            assert!(r.b_minus_a.unwrap() < 0.0, "{r:?}");
            let (ia, ib) = (r.a_interval.unwrap(), r.b_interval.unwrap());
            assert!(ia.high < ib.low || ib.high < ia.low, "the ranges do not overlap: {r:?}");
        }
    }
    // Larger machines cost more: an exact figure, judged by value.
    assert_eq!(row(&rows, Metric::Cost).verdict, Verdict::Worse);
    // No interval for p50 or throughput: shown, not judged.
    assert_eq!(row(&rows, Metric::P50Latency).verdict, Verdict::NotJudged);
    assert!(matches!(row(&rows, Metric::Throughput).verdict, Verdict::NotJudged | Verdict::Same));
    // Errors by cause add up to the failures.
    assert_eq!(fa.failed_by_cause.iter().map(|(_, n)| n).sum::<u64>(), fa.failed);
}

fn figures(mean_ms: f64, hw: f64) -> Figures {
    let iv = Interval { mean: mean_ms, half_width: hw, batches: 6 };
    Figures {
        now_s: 70.0,
        window_s: 60.0,
        generated: 6000,
        ok: 6000,
        failed: 0,
        failed_by_cause: Vec::new(),
        goodput_rps: Some(100.0),
        throughput_rps: Some(100.0),
        attempts_per_request: Some(1.0),
        error_rate: Some(0.0),
        latency_mean_ms: Some(mean_ms),
        latency_p50_ms: Some(mean_ms * 0.8),
        latency_p99_ms: Some(mean_ms * 4.0),
        lost_writes: 0,
        cost_per_month_usd: 100.0,
        headline: Headline {
            mean_latency_ms: Some(iv),
            p99_latency_ms: None,
            error_rate: None,
            error_proportion: None,
        },
    }
}

#[test]
fn overlapping_intervals_are_no_clear_difference() {
    let judge = |a: &Figures, b: &Figures| row(&differences(a, b), Metric::MeanLatency).verdict;
    assert_eq!(judge(&figures(50.0, 3.0), &figures(45.0, 3.0)), Verdict::NoClearDifference);
    assert_eq!(judge(&figures(50.0, 2.0), &figures(45.0, 2.0)), Verdict::Better);
    assert_eq!(judge(&figures(45.0, 2.0), &figures(50.0, 2.0)), Verdict::Worse);
    // One side without an interval yet: the window's values, no verdict yet.
    let mut early = figures(45.0, 2.0);
    early.headline.mean_latency_ms = None;
    let r = row(&differences(&figures(50.0, 2.0), &early), Metric::MeanLatency).clone();
    assert_eq!(r.verdict, Verdict::NotYet);
    assert_eq!(r.a, Some(50.0));
    assert_eq!(r.b_minus_a, Some(-5.0));
    // p99 here has no interval on either side: not yet judged, whatever the values.
    let mut b = figures(50.0, 2.0);
    b.latency_p99_ms = Some(1.0);
    assert_eq!(row(&differences(&figures(50.0, 2.0), &b), Metric::P99Latency).verdict, Verdict::NotYet);
    // Exact tallies are judged by value; more throughput is better, yet not judged.
    b.lost_writes = 3;
    b.goodput_rps = Some(101.0);
    let rows = differences(&figures(50.0, 2.0), &b);
    assert_eq!(row(&rows, Metric::LostWrites).verdict, Verdict::Worse);
    assert_eq!(row(&rows, Metric::LostWrites).b_minus_a, Some(3.0));
    assert_eq!(row(&rows, Metric::Throughput).verdict, Verdict::NotJudged);
}
