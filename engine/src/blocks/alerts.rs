//! Alert rules: "tell me when the error rate has been above 1% for 10 seconds".
//!
//! A dashboard only helps someone who is looking at it. Alert rules are how a
//! real team learns that something is wrong, and they teach two lessons of their
//! own: a rule that fires on one bad second wakes people up for nothing, and a
//! rule that waits too long lets users suffer unnoticed. So a rule names a metric,
//! a threshold and a duration, and fires only once the condition has held for
//! that many consecutive seconds.
//!
//! The evaluator, [`Alerts`], runs once per simulated second. It does not compute
//! any metric itself: the caller passes a lookup from [`Metric`] to the value of
//! that second, so new metrics need no change here beyond a new variant.
//!
//! The semantics follow Prometheus:
//!
//! - **Pending, then firing.** Each second whose value breaches the threshold adds
//!   one to the rule's pending count; a second whose value does not breach it
//!   resets the count to zero. The rule fires in the second the count reaches
//!   `for_s`, never earlier.
//! - **Resolve at once.** A firing rule resolves in the first second whose value
//!   no longer breaches. Waiting `for_s` seconds of good values before resolving
//!   would hide a flapping system behind one long alert; resolving at once shows
//!   the flapping, and the pending duration already stops it from re-firing on
//!   single bad seconds.
//! - **No data is no evidence.** A second without a value (`None` or NaN: no
//!   request finished, so there is no error rate and no p99) neither advances nor
//!   resets the pending count, and a firing rule stays firing. Counting it as a
//!   breach would raise alarms about nothing; counting it as good would resolve an
//!   outage just because the broken requests stopped coming back, which is
//!   exactly when someone should still be looking. Seconds that are skipped
//!   between two evaluations count as seconds without data.
//!
//! Comparisons are strict: an error rate of exactly 1% is not "above 1%".
//! Memory is one small record per rule, at most [`MAX_RULES`] rules.

use std::fmt;

/// The most rules one evaluator holds.
pub const MAX_RULES: usize = 100;
/// The longest rule name, in characters (it is shown in the event log).
pub const MAX_NAME_CHARS: usize = 64;
/// The longest pending duration, in seconds (one hour).
pub const MAX_FOR_S: u32 = 3600;

/// A quantity the engine measures once per simulated second. It is a key: the
/// caller of [`Alerts::evaluate`] looks its value up.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Failed requests over finished requests in the second, a fraction in `0..=1`.
    ErrorRate,
    /// The 99th percentile of response time, in milliseconds.
    P99Ms,
    /// The 95th percentile of response time, in milliseconds.
    P95Ms,
    /// The median response time, in milliseconds.
    P50Ms,
    /// Successful responses per second.
    Throughput,
    /// The busy fraction of a node's workers, in `0..=1`.
    NodeUtilization { node: String },
    /// Requests waiting in a node's queue.
    NodeQueue { node: String },
    /// Messages waiting in a message queue.
    QueueBacklog { node: String },
    /// How far a replica is behind its primary, in milliseconds.
    ReplicationLagMs { node: String },
}

/// How a metric's values are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// A fraction in `0..=1`, written as a percentage.
    Fraction,
    Ms,
    PerSecond,
    Requests,
    Messages,
}

impl Metric {
    /// The node the metric belongs to, if it is a per-node metric.
    pub fn node(&self) -> Option<&str> {
        match self {
            Metric::NodeUtilization { node }
            | Metric::NodeQueue { node }
            | Metric::QueueBacklog { node }
            | Metric::ReplicationLagMs { node } => Some(node),
            _ => None,
        }
    }

    /// The metric in words: `"error rate"`, `"utilization of web-1"`.
    pub fn label(&self) -> String {
        match self {
            Metric::ErrorRate => "error rate".to_string(),
            Metric::P99Ms => "p99 latency".to_string(),
            Metric::P95Ms => "p95 latency".to_string(),
            Metric::P50Ms => "median latency".to_string(),
            Metric::Throughput => "throughput".to_string(),
            Metric::NodeUtilization { node } => format!("utilization of {node}"),
            Metric::NodeQueue { node } => format!("queue at {node}"),
            Metric::QueueBacklog { node } => format!("backlog of {node}"),
            Metric::ReplicationLagMs { node } => format!("replication lag of {node}"),
        }
    }

    fn unit(&self) -> Unit {
        match self {
            Metric::ErrorRate | Metric::NodeUtilization { .. } => Unit::Fraction,
            Metric::P99Ms | Metric::P95Ms | Metric::P50Ms | Metric::ReplicationLagMs { .. } => Unit::Ms,
            Metric::Throughput => Unit::PerSecond,
            Metric::NodeQueue { .. } => Unit::Requests,
            Metric::QueueBacklog { .. } => Unit::Messages,
        }
    }

    /// A value of this metric written for people: `0.042` → `"4.2%"` for an
    /// error rate, `1234.6` → `"1235 ms"` for a latency.
    pub fn format_value(&self, value: f64) -> String {
        match self.unit() {
            Unit::Fraction => format!("{}%", format_number(value * 100.0)),
            Unit::Ms => format!("{} ms", format_number(value)),
            Unit::PerSecond => format!("{} req/s", format_number(value)),
            Unit::Requests => format!("{} requests", format_number(value)),
            Unit::Messages => format!("{} messages", format_number(value)),
        }
    }
}

/// Three significant digits, no trailing zeros: `4.2`, `1235`, `0.0123`.
fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    let a = x.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        // Two decimals at 1..10, one more for each factor of ten below 1, up to 9.
        let mut d = 2;
        let mut t = a;
        while t < 1.0 && d < 9 {
            t *= 10.0;
            d += 1;
        }
        d
    };
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Which side of the threshold is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Breached when the value is strictly greater than the threshold.
    Above,
    /// Breached when the value is strictly less than the threshold.
    Below,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Above => "above",
            Op::Below => "below",
        }
    }
}

/// One alert rule: fire when `metric` is `op` `threshold` for `for_s` seconds.
///
/// Thresholds are in the metric's own unit: fractions for the error rate and
/// utilization (`0.01` is 1%), milliseconds for latencies and lag, requests per
/// second for throughput, counts for queues.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// Shown in the event log and by [`Alerts::firing`]; unique within a set.
    pub name: String,
    pub metric: Metric,
    pub op: Op,
    pub threshold: f64,
    /// Consecutive breaching seconds before the rule fires, `1..=MAX_FOR_S`.
    pub for_s: u32,
}

impl AlertRule {
    /// A checked rule.
    pub fn new(
        name: impl Into<String>,
        metric: Metric,
        op: Op,
        threshold: f64,
        for_s: u32,
    ) -> Result<AlertRule, AlertError> {
        let rule = AlertRule { name: name.into(), metric, op, threshold, for_s };
        rule.validate()?;
        Ok(rule)
    }

    /// Checks the rule on its own (names are checked for uniqueness by [`Alerts::new`]).
    pub fn validate(&self) -> Result<(), AlertError> {
        let rule = || self.name.clone();
        let chars = self.name.chars().count();
        if self.name.trim().is_empty() {
            return Err(AlertError::EmptyName);
        }
        if chars > MAX_NAME_CHARS {
            return Err(AlertError::NameTooLong { chars });
        }
        if self.metric.node().is_some_and(|n| n.trim().is_empty()) {
            return Err(AlertError::EmptyNode { rule: rule() });
        }
        if !self.threshold.is_finite() {
            return Err(AlertError::ThresholdNotFinite { rule: rule(), threshold: self.threshold });
        }
        if self.threshold < 0.0 {
            return Err(AlertError::NegativeThreshold { rule: rule(), threshold: self.threshold });
        }
        if self.metric.unit() == Unit::Fraction && self.threshold > 1.0 {
            return Err(AlertError::FractionAboveOne {
                rule: rule(),
                metric: self.metric.label(),
                threshold: self.threshold,
            });
        }
        if self.op == Op::Below && self.threshold == 0.0 {
            return Err(AlertError::CannotFire { rule: rule() });
        }
        if !(1..=MAX_FOR_S).contains(&self.for_s) {
            return Err(AlertError::ForOutOfRange { rule: rule(), for_s: self.for_s });
        }
        Ok(())
    }

    /// Whether `value` breaches the threshold (strictly; NaN never does).
    pub fn breached_by(&self, value: f64) -> bool {
        match self.op {
            Op::Above => value > self.threshold,
            Op::Below => value < self.threshold,
        }
    }

    /// The rule in words: `"error rate above 1% for 10 s"`.
    pub fn condition(&self) -> String {
        format!(
            "{} {} {} for {} s",
            self.metric.label(),
            self.op.word(),
            self.metric.format_value(self.threshold),
            self.for_s
        )
    }
}

/// The starting rules of every design: the error rate above 1% for 10 s, and the
/// p99 latency above one second for 10 s.
pub fn default_rules() -> Vec<AlertRule> {
    vec![
        AlertRule {
            name: "high error rate".to_string(),
            metric: Metric::ErrorRate,
            op: Op::Above,
            threshold: 0.01,
            for_s: 10,
        },
        AlertRule { name: "slow p99".to_string(), metric: Metric::P99Ms, op: Op::Above, threshold: 1000.0, for_s: 10 },
    ]
}

/// A rule that cannot be used; `Display` says how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub enum AlertError {
    /// The name is empty or only spaces.
    EmptyName,
    /// The name is longer than [`MAX_NAME_CHARS`].
    NameTooLong { chars: usize },
    /// Two rules share a name.
    DuplicateName { name: String },
    /// A per-node metric with an empty node id.
    EmptyNode { rule: String },
    /// The threshold is NaN or infinite.
    ThresholdNotFinite { rule: String, threshold: f64 },
    /// Every metric is zero or more, so a negative threshold makes no sense.
    NegativeThreshold { rule: String, threshold: f64 },
    /// A fraction metric (error rate, utilization) with a threshold above 1.
    FractionAboveOne { rule: String, metric: String, threshold: f64 },
    /// "Below 0" can never hold: no metric is negative.
    CannotFire { rule: String },
    /// The duration is outside `1..=MAX_FOR_S`.
    ForOutOfRange { rule: String, for_s: u32 },
    /// More than [`MAX_RULES`] rules.
    TooManyRules { count: usize },
}

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertError::EmptyName => write!(f, "an alert rule needs a name"),
            AlertError::NameTooLong { chars } => {
                write!(f, "an alert rule name of {chars} characters is too long; use at most {MAX_NAME_CHARS}")
            }
            AlertError::DuplicateName { name } => {
                write!(f, "two alert rules are called \"{name}\"; give each rule its own name")
            }
            AlertError::EmptyNode { rule } => {
                write!(f, "alert \"{rule}\": the metric needs the id of the node to watch")
            }
            AlertError::ThresholdNotFinite { rule, threshold } => {
                write!(f, "alert \"{rule}\": the threshold must be a finite number, got {threshold}")
            }
            AlertError::NegativeThreshold { rule, threshold } => write!(
                f,
                "alert \"{rule}\": the threshold {threshold} is negative, but the metric never is; use 0 or more"
            ),
            AlertError::FractionAboveOne { rule, metric, threshold } => {
                write!(
                    f,
                    "alert \"{rule}\": the {metric} threshold is a fraction from 0 to 1 (0.01 means 1%), got {threshold}"
                )?;
                if *threshold <= 100.0 {
                    write!(f, "; did you mean {}?", format_number(threshold / 100.0))?;
                }
                Ok(())
            }
            AlertError::CannotFire { rule } => write!(
                f,
                "alert \"{rule}\": \"below 0\" can never happen, so the rule would never fire; use a positive threshold"
            ),
            AlertError::ForOutOfRange { rule, for_s } => {
                write!(f, "alert \"{rule}\": a duration of {for_s} s is out of range; use 1 to {MAX_FOR_S} seconds")
            }
            AlertError::TooManyRules { count } => {
                write!(f, "{count} alert rules is more than the {MAX_RULES} supported; remove some")
            }
        }
    }
}

impl std::error::Error for AlertError {}

/// Whether a change is a rule starting or stopping to fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Fired,
    Resolved,
}

/// A rule started or stopped firing; one entry for the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertChange {
    /// The rule's name.
    pub rule: String,
    /// The second evaluated (as passed to [`Alerts::evaluate`]).
    pub t_s: u64,
    pub kind: ChangeKind,
    /// The metric's value in that second.
    pub value: f64,
    /// What happened, in words, without the rule's name:
    /// `"error rate above 1% for 10 s (now 4.2%)"` or
    /// `"error rate no longer above 1% after firing for 25 s (now 0.3%)"`.
    pub message: String,
}

impl fmt::Display for AlertChange {
    /// `alert "high error rate" fired: error rate above 1% for 10 s (now 4.2%)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.kind {
            ChangeKind::Fired => "fired",
            ChangeKind::Resolved => "resolved",
        };
        write!(f, "alert \"{}\" {verb}: {}", self.rule, self.message)
    }
}

/// Where a rule stands after the latest evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStatus {
    /// The latest second with data did not breach.
    Ok,
    /// Breaching for `held_s` seconds with data, fewer than the rule's `for_s`.
    Pending { held_s: u32 },
    /// Firing since second `since_t_s`.
    Firing { since_t_s: u64 },
}

#[derive(Clone, Debug)]
struct Tracked {
    rule: AlertRule,
    /// Consecutive breaching seconds with data, capped at `for_s`.
    held_s: u32,
    firing_since: Option<u64>,
}

/// The evaluator of a set of rules; see the module documentation.
#[derive(Clone, Debug)]
pub struct Alerts {
    rules: Vec<Tracked>,
    last_t_s: Option<u64>,
}

impl Alerts {
    /// An evaluator for `rules` (at most [`MAX_RULES`], unique names), all OK.
    pub fn new(rules: Vec<AlertRule>) -> Result<Alerts, AlertError> {
        if rules.len() > MAX_RULES {
            return Err(AlertError::TooManyRules { count: rules.len() });
        }
        for (i, rule) in rules.iter().enumerate() {
            rule.validate()?;
            if rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(AlertError::DuplicateName { name: rule.name.clone() });
            }
        }
        Ok(Alerts {
            rules: rules.into_iter().map(|rule| Tracked { rule, held_s: 0, firing_since: None }).collect(),
            last_t_s: None,
        })
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> impl Iterator<Item = &AlertRule> {
        self.rules.iter().map(|t| &t.rule)
    }

    /// Evaluates second `t_s` (the second ending at `t_s` seconds) with the values
    /// `value_of` gives, and returns the rules that fired or resolved, in rule
    /// order. Call it once per second with increasing `t_s`: a second at or
    /// before the last one evaluated is ignored (nothing changes, no change is
    /// returned), and skipped seconds count as seconds without data.
    pub fn evaluate(&mut self, t_s: u64, value_of: &dyn Fn(&Metric) -> Option<f64>) -> Vec<AlertChange> {
        if self.last_t_s.is_some_and(|last| t_s <= last) {
            return Vec::new();
        }
        self.last_t_s = Some(t_s);
        let mut changes = Vec::new();
        for tracked in &mut self.rules {
            let rule = &tracked.rule;
            let Some(value) = value_of(&rule.metric).filter(|v| !v.is_nan()) else {
                continue; // No data: no evidence either way.
            };
            if rule.breached_by(value) {
                tracked.held_s = (tracked.held_s + 1).min(rule.for_s);
                if tracked.firing_since.is_none() && tracked.held_s >= rule.for_s {
                    tracked.firing_since = Some(t_s);
                    changes.push(AlertChange {
                        rule: rule.name.clone(),
                        t_s,
                        kind: ChangeKind::Fired,
                        value,
                        message: format!("{} (now {})", rule.condition(), rule.metric.format_value(value)),
                    });
                }
            } else {
                tracked.held_s = 0;
                if let Some(since) = tracked.firing_since.take() {
                    changes.push(AlertChange {
                        rule: rule.name.clone(),
                        t_s,
                        kind: ChangeKind::Resolved,
                        value,
                        message: format!(
                            "{} no longer {} {} after firing for {} s (now {})",
                            rule.metric.label(),
                            rule.op.word(),
                            rule.metric.format_value(rule.threshold),
                            t_s - since,
                            rule.metric.format_value(value)
                        ),
                    });
                }
            }
        }
        changes
    }

    /// The names of the rules firing now, in rule order.
    pub fn firing(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter(|t| t.firing_since.is_some()).map(|t| t.rule.name.as_str())
    }

    /// Where the rule called `name` stands, or `None` if there is no such rule.
    pub fn status(&self, name: &str) -> Option<AlertStatus> {
        let t = self.rules.iter().find(|t| t.rule.name == name)?;
        Some(match (t.firing_since, t.held_s) {
            (Some(since_t_s), _) => AlertStatus::Firing { since_t_s },
            (None, 0) => AlertStatus::Ok,
            (None, held_s) => AlertStatus::Pending { held_s },
        })
    }

    /// Forgets all history: every rule OK, any second may be evaluated next
    /// (for a run that restarts from the beginning).
    pub fn reset(&mut self) {
        for t in &mut self.rules {
            t.held_s = 0;
            t.firing_since = None;
        }
        self.last_t_s = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, metric: Metric, op: Op, threshold: f64, for_s: u32) -> AlertRule {
        AlertRule::new(name, metric, op, threshold, for_s).unwrap()
    }

    /// Evaluates seconds 1, 2, ... with one value per second for every metric,
    /// returning the changes of each second.
    fn run(alerts: &mut Alerts, values: &[Option<f64>]) -> Vec<Vec<AlertChange>> {
        values.iter().enumerate().map(|(i, &v)| alerts.evaluate(i as u64 + 1, &|_| v)).collect()
    }

    fn kinds(changes: &[Vec<AlertChange>]) -> Vec<(u64, ChangeKind)> {
        changes.iter().flatten().map(|c| (c.t_s, c.kind)).collect()
    }

    #[test]
    fn fires_exactly_at_the_for_s_th_consecutive_breaching_second() {
        for for_s in [1u32, 2, 5, 10, 60] {
            let mut a = Alerts::new(vec![rule("r", Metric::ErrorRate, Op::Above, 0.01, for_s)]).unwrap();
            for t in 1..=u64::from(for_s) + 5 {
                let changes = a.evaluate(t, &|_| Some(0.05));
                if t == u64::from(for_s) {
                    assert_eq!(changes.len(), 1, "for_s {for_s}");
                    assert_eq!(changes[0].kind, ChangeKind::Fired);
                    assert_eq!(changes[0].t_s, t);
                    assert_eq!(a.status("r"), Some(AlertStatus::Firing { since_t_s: t }));
                } else {
                    assert!(changes.is_empty(), "for_s {for_s}, t {t}: {changes:?}");
                }
                if t < u64::from(for_s) {
                    assert_eq!(a.firing().count(), 0);
                    assert_eq!(a.status("r"), Some(AlertStatus::Pending { held_s: t as u32 }));
                }
            }
            assert_eq!(a.firing().collect::<Vec<_>>(), ["r"]);
        }
    }

    #[test]
    fn a_single_good_second_resets_the_pending_count() {
        let mut a = Alerts::new(vec![rule("r", Metric::P99Ms, Op::Above, 1000.0, 5)]).unwrap();
        let bad = Some(1500.0);
        let good = Some(200.0);
        // Four bad, one good, four bad, one good: never five in a row.
        let values = [bad, bad, bad, bad, good, bad, bad, bad, bad, good];
        let changes = run(&mut a, &values);
        assert!(kinds(&changes).is_empty());
        assert_eq!(a.status("r"), Some(AlertStatus::Ok));
        // Then five in a row: fires on the fifth (second 15).
        for t in 11..=15 {
            let c = a.evaluate(t, &|_| bad);
            assert_eq!(c.len(), usize::from(t == 15), "t {t}");
        }
    }

    #[test]
    fn resolves_in_the_first_good_second_and_can_fire_again() {
        let mut a = Alerts::new(vec![rule("r", Metric::ErrorRate, Op::Above, 0.01, 3)]).unwrap();
        let bad = Some(0.2);
        let good = Some(0.0);
        let values = [bad, bad, bad, bad, bad, good, bad, bad, bad];
        let changes = run(&mut a, &values);
        assert_eq!(kinds(&changes), [(3, ChangeKind::Fired), (6, ChangeKind::Resolved), (9, ChangeKind::Fired)]);
        let resolved = &changes[5][0];
        assert_eq!(resolved.message, "error rate no longer above 1% after firing for 3 s (now 0%)");
        assert_eq!(resolved.value, 0.0);
    }

    #[test]
    fn missing_values_neither_advance_nor_reset_and_keep_an_alert_firing() {
        let mut a = Alerts::new(vec![rule("r", Metric::ErrorRate, Op::Above, 0.01, 3)]).unwrap();
        let bad = Some(0.5);
        // Gaps between breaches: the breaches add up, the gaps do not count.
        let values = [bad, None, None, bad, None, f64::NAN.into(), None];
        let changes = run(&mut a, &values);
        assert!(kinds(&changes).is_empty());
        assert_eq!(a.status("r"), Some(AlertStatus::Pending { held_s: 2 }));
        // Missing values alone never fire, however long.
        let mut quiet = Alerts::new(vec![rule("q", Metric::ErrorRate, Op::Above, 0.0, 1)]).unwrap();
        assert!(kinds(&run(&mut quiet, &[None; 100])).is_empty());
        // The third breach fires (second 8); an outage with no data stays firing.
        assert_eq!(a.evaluate(8, &|_| bad).len(), 1);
        for t in 9..100 {
            assert!(a.evaluate(t, &|_| None).is_empty());
        }
        assert_eq!(a.firing().count(), 1);
        // Data again, and good: resolves, reporting the whole firing time.
        let c = a.evaluate(100, &|_| Some(0.0));
        assert_eq!(c[0].kind, ChangeKind::Resolved);
        assert!(c[0].message.contains("after firing for 92 s"), "{}", c[0].message);
    }

    #[test]
    fn skipped_and_repeated_seconds() {
        let mut a = Alerts::new(vec![rule("r", Metric::Throughput, Op::Below, 10.0, 3)]).unwrap();
        assert!(a.evaluate(5, &|_| Some(1.0)).is_empty());
        // Repeating second 5 or going back changes nothing.
        assert!(a.evaluate(5, &|_| Some(1.0)).is_empty());
        assert!(a.evaluate(2, &|_| Some(100.0)).is_empty());
        assert_eq!(a.status("r"), Some(AlertStatus::Pending { held_s: 1 }));
        // Skipped seconds 6..=9 count as no data.
        assert!(a.evaluate(10, &|_| Some(1.0)).is_empty());
        let c = a.evaluate(11, &|_| Some(2.0));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].message, "throughput below 10 req/s for 3 s (now 2 req/s)");
        // After a reset the history is gone and earlier seconds are accepted.
        a.reset();
        assert_eq!(a.status("r"), Some(AlertStatus::Ok));
        assert_eq!(a.firing().count(), 0);
        assert!(a.evaluate(1, &|_| Some(1.0)).is_empty());
        assert_eq!(a.status("r"), Some(AlertStatus::Pending { held_s: 1 }));
    }

    #[test]
    fn thresholds_are_strict() {
        let mut a = Alerts::new(vec![
            rule("above", Metric::ErrorRate, Op::Above, 0.01, 1),
            rule("below", Metric::Throughput, Op::Below, 50.0, 1),
        ])
        .unwrap();
        let exact = |m: &Metric| match m {
            Metric::ErrorRate => Some(0.01),
            Metric::Throughput => Some(50.0),
            _ => None,
        };
        assert!(a.evaluate(1, &exact).is_empty());
        let over = |m: &Metric| match m {
            Metric::ErrorRate => Some(0.010_001),
            Metric::Throughput => Some(49.999),
            _ => None,
        };
        assert_eq!(a.evaluate(2, &over).len(), 2);
        // Infinite values compare as numbers.
        let mut inf = Alerts::new(vec![rule("p99", Metric::P99Ms, Op::Above, 1.0, 1)]).unwrap();
        let c = inf.evaluate(1, &|_| Some(f64::INFINITY));
        assert_eq!(c[0].message, "p99 latency above 1 ms for 1 s (now ∞ ms)");
    }

    #[test]
    fn rules_are_independent_and_read_their_own_metric() {
        let node = |n: &str| n.to_string();
        let mut a = Alerts::new(vec![
            rule("errors", Metric::ErrorRate, Op::Above, 0.01, 2),
            rule("p99", Metric::P99Ms, Op::Above, 1000.0, 4),
            rule("db busy", Metric::NodeUtilization { node: node("db") }, Op::Above, 0.9, 1),
            rule("web busy", Metric::NodeUtilization { node: node("web") }, Op::Above, 0.9, 1),
            rule("lag", Metric::ReplicationLagMs { node: node("replica") }, Op::Above, 500.0, 3),
        ])
        .unwrap();
        // Per second: (error rate, p99, db util, web util, lag).
        type Second = (Option<f64>, Option<f64>, f64, f64, f64);
        let seconds: [Second; 6] = [
            (Some(0.05), Some(2000.0), 0.95, 0.5, 100.0),
            (Some(0.05), Some(2000.0), 0.5, 0.5, 900.0),
            (Some(0.0), Some(2000.0), 0.5, 0.95, 900.0),
            (None, Some(2000.0), 0.5, 0.5, 900.0),
            (Some(0.05), None, 0.5, 0.5, 100.0),
            (Some(0.05), Some(10.0), 0.5, 0.5, 100.0),
        ];
        let mut log = Vec::new();
        for (i, &(err, p99, db, web, lag)) in seconds.iter().enumerate() {
            let value_of = move |m: &Metric| match m {
                Metric::ErrorRate => err,
                Metric::P99Ms => p99,
                Metric::NodeUtilization { node } if node == "db" => Some(db),
                Metric::NodeUtilization { node } if node == "web" => Some(web),
                Metric::ReplicationLagMs { node } if node == "replica" => Some(lag),
                _ => None,
            };
            for c in a.evaluate(i as u64 + 1, &value_of) {
                log.push(c.to_string());
            }
            if i == 3 {
                assert_eq!(a.firing().collect::<Vec<_>>(), ["p99", "lag"], "second {}", i + 1);
            }
        }
        assert_eq!(
            log,
            [
                "alert \"db busy\" fired: utilization of db above 90% for 1 s (now 95%)",
                "alert \"errors\" fired: error rate above 1% for 2 s (now 5%)",
                "alert \"db busy\" resolved: utilization of db no longer above 90% after firing for 1 s (now 50%)",
                "alert \"errors\" resolved: error rate no longer above 1% after firing for 1 s (now 0%)",
                "alert \"web busy\" fired: utilization of web above 90% for 1 s (now 95%)",
                "alert \"p99\" fired: p99 latency above 1000 ms for 4 s (now 2000 ms)",
                "alert \"web busy\" resolved: utilization of web no longer above 90% after firing for 1 s (now 50%)",
                "alert \"lag\" fired: replication lag of replica above 500 ms for 3 s (now 900 ms)",
                "alert \"lag\" resolved: replication lag of replica no longer above 500 ms after firing for 1 s (now 100 ms)",
                "alert \"errors\" fired: error rate above 1% for 2 s (now 5%)",
                "alert \"p99\" resolved: p99 latency no longer above 1000 ms after firing for 2 s (now 10 ms)",
            ]
        );
        assert_eq!(a.firing().collect::<Vec<_>>(), ["errors"]);
        assert_eq!(a.status("nope"), None);
    }

    #[test]
    fn default_rules_give_the_documented_messages() {
        let rules = default_rules();
        assert_eq!(rules[0].condition(), "error rate above 1% for 10 s");
        assert_eq!(rules[1].condition(), "p99 latency above 1000 ms for 10 s");
        let mut a = Alerts::new(rules).unwrap();
        assert_eq!(a.rules().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["high error rate", "slow p99"]);
        let value_of = |m: &Metric| match m {
            Metric::ErrorRate => Some(0.042),
            Metric::P99Ms => Some(250.0),
            _ => None,
        };
        for t in 1..10 {
            assert!(a.evaluate(t, &value_of).is_empty());
        }
        let c = a.evaluate(10, &value_of);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].rule, "high error rate");
        assert_eq!(c[0].message, "error rate above 1% for 10 s (now 4.2%)");
        assert_eq!(c[0].to_string(), "alert \"high error rate\" fired: error rate above 1% for 10 s (now 4.2%)");
    }

    #[test]
    fn values_are_written_for_people() {
        let f = format_number;
        assert_eq!(f(4.2), "4.2");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(1234.6), "1235");
        assert_eq!(f(12.34), "12.3");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(0.0123), "0.0123");
        assert_eq!(f(99.96), "100");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(1e-15), "0");
        assert_eq!(f(f64::NAN), "NaN");
        let q = Metric::NodeQueue { node: "app".to_string() };
        assert_eq!(q.format_value(72.0), "72 requests");
        assert_eq!(q.label(), "queue at app");
        let b = Metric::QueueBacklog { node: "jobs".to_string() };
        assert_eq!(b.format_value(1500.0), "1500 messages");
        assert_eq!(b.node(), Some("jobs"));
        assert_eq!(Metric::P50Ms.format_value(3.25), "3.25 ms");
        assert_eq!(Metric::P95Ms.label(), "p95 latency");
        assert_eq!(Metric::ErrorRate.format_value(0.1234), "12.3%");
        assert_eq!(Metric::ErrorRate.node(), None);
    }

    #[test]
    fn bad_rules_are_refused_with_actionable_messages() {
        let err = |name: &str, metric: Metric, op: Op, threshold: f64, for_s: u32| {
            AlertRule::new(name, metric, op, threshold, for_s).unwrap_err().to_string()
        };
        use Metric::*;
        assert_eq!(err("", ErrorRate, Op::Above, 0.01, 10), "an alert rule needs a name");
        assert_eq!(err("  ", ErrorRate, Op::Above, 0.01, 10), "an alert rule needs a name");
        assert_eq!(
            err(&"x".repeat(65), ErrorRate, Op::Above, 0.01, 10),
            "an alert rule name of 65 characters is too long; use at most 64"
        );
        // 64 characters (not bytes) is fine.
        assert!(AlertRule::new("é".repeat(64), ErrorRate, Op::Above, 0.01, 10).is_ok());
        assert_eq!(
            err("e", ErrorRate, Op::Above, 5.0, 10),
            "alert \"e\": the error rate threshold is a fraction from 0 to 1 (0.01 means 1%), got 5; did you mean 0.05?"
        );
        assert_eq!(
            err("u", NodeUtilization { node: "db".into() }, Op::Above, 250.0, 10),
            "alert \"u\": the utilization of db threshold is a fraction from 0 to 1 (0.01 means 1%), got 250"
        );
        assert_eq!(
            err("n", ErrorRate, Op::Above, f64::NAN, 10),
            "alert \"n\": the threshold must be a finite number, got NaN"
        );
        assert_eq!(
            err("n", P99Ms, Op::Above, f64::INFINITY, 10),
            "alert \"n\": the threshold must be a finite number, got inf"
        );
        assert_eq!(
            err("neg", P99Ms, Op::Above, -1.0, 10),
            "alert \"neg\": the threshold -1 is negative, but the metric never is; use 0 or more"
        );
        assert_eq!(
            err("z", Throughput, Op::Below, 0.0, 10),
            "alert \"z\": \"below 0\" can never happen, so the rule would never fire; use a positive threshold"
        );
        assert_eq!(
            err("f", P99Ms, Op::Above, 1.0, 0),
            "alert \"f\": a duration of 0 s is out of range; use 1 to 3600 seconds"
        );
        assert_eq!(
            err("f", P99Ms, Op::Above, 1.0, 3601),
            "alert \"f\": a duration of 3601 s is out of range; use 1 to 3600 seconds"
        );
        assert_eq!(
            err("q", NodeQueue { node: " ".into() }, Op::Above, 1.0, 1),
            "alert \"q\": the metric needs the id of the node to watch"
        );
        // Edges that are allowed.
        assert!(AlertRule::new("a", ErrorRate, Op::Above, 1.0, 3600).is_ok());
        assert!(AlertRule::new("a", ErrorRate, Op::Above, 0.0, 1).is_ok());

        let dup = vec![default_rules()[0].clone(), default_rules()[0].clone()];
        assert_eq!(
            Alerts::new(dup).unwrap_err().to_string(),
            "two alert rules are called \"high error rate\"; give each rule its own name"
        );
        let many: Vec<AlertRule> = (0..=MAX_RULES).map(|i| rule(&format!("r{i}"), P50Ms, Op::Above, 1.0, 1)).collect();
        assert_eq!(Alerts::new(many.clone()).unwrap_err(), AlertError::TooManyRules { count: 101 });
        assert!(Alerts::new(many[..MAX_RULES].to_vec()).is_ok());
        // Invalid public fields are caught by the evaluator too.
        let mut bad = default_rules();
        bad[1].for_s = 0;
        assert!(matches!(Alerts::new(bad), Err(AlertError::ForOutOfRange { for_s: 0, .. })));
        assert!(Alerts::new(Vec::new()).unwrap().evaluate(1, &|_| None).is_empty());
    }
}
