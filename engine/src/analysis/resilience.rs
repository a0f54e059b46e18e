//! The resilience report: "what happens if this one thing dies?", asked of
//! every node and every data center.
//!
//! Each trial is a fresh run of the design, seeded like the original: it
//! warms up, then one node (or a whole data center) fails and stays down,
//! and the trial watches what the users see for a while. A baseline run
//! without any failure comes first, so every impact can be read against it.
//! The trials are independent simulations, stepped a slice at a time
//! ([`ResilienceRun::step`]) so the page can show progress, stay responsive
//! and cancel (by dropping the run).

use crate::base::time::NS_PER_S;
use crate::kernel::edit::{Edit, Fault};
use crate::model::kinds::NodeKind;
use crate::{kernel::sim::Simulation, model::scenario::Scenario};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How long each trial runs before and after the failure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResilienceOptions {
    pub warmup_s: u64,
    pub after_s: u64,
}

impl Default for ResilienceOptions {
    fn default() -> Self {
        ResilienceOptions { warmup_s: 20, after_s: 60 }
    }
}

/// Seconds the error rate must stay under [`RECOVERED_BELOW`] to count as recovered.
pub const RECOVERED_FOR_S: usize = 5;
pub const RECOVERED_BELOW: f64 = 0.01;

/// What one failure did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// The node or data center that failed (`None`: the baseline, nothing failed).
    pub failed: Option<String>,
    /// What it is (written `"database"`, `"data center"`, `"nothing"`).
    pub kind: TrialKind,
    /// The graph says the design cannot serve without it.
    pub single_point_of_failure: bool,
    /// Over the seconds after the failure.
    pub error_rate: f64,
    pub p99_ms: Option<f64>,
    /// The worst second's error rate.
    pub peak_error_rate: f64,
    pub lost_writes: u64,
    pub sessions_lost: u64,
    /// Seconds from the failure until the error rate stayed under 1% for 5 s
    /// (0: it never rose above 1%; `None`: not within the trial).
    pub recovered_after_s: Option<u64>,
}

/// What a trial fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrialKind {
    /// Nothing: the baseline.
    Nothing,
    /// A node of this kind.
    Node(NodeKind),
    /// A whole data center.
    DataCenter,
}

impl TrialKind {
    /// As the report writes it: `"nothing"`, the node kind's name, `"data center"`.
    pub fn name(self) -> &'static str {
        match self {
            TrialKind::Nothing => "nothing",
            TrialKind::Node(kind) => kind.name(),
            TrialKind::DataCenter => "data center",
        }
    }
}

impl Serialize for TrialKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Read back from its name, for reports that travel as messages (`analysis::job`).
impl<'de> Deserialize<'de> for TrialKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "nothing" => Ok(TrialKind::Nothing),
            "data center" => Ok(TrialKind::DataCenter),
            other => NodeKind::from_name(other)
                .map(TrialKind::Node)
                .ok_or_else(|| serde::de::Error::custom(format!("no trial kind is called {other:?}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResilienceReport {
    pub baseline: Trial,
    /// Single points of failure first, then the worst error rate first.
    pub trials: Vec<Trial>,
}

/// A report being computed, one slice of events at a time.
pub struct ResilienceRun {
    scenario: Scenario,
    options: ResilienceOptions,
    spofs: Vec<String>,
    /// `None` is the baseline; then each node and data center.
    targets: Vec<(Option<String>, TrialKind)>,
    current: Option<Simulation>,
    /// Lost writes and lost sessions when the current trial's failure happened.
    at_failure: (u64, u64),
    done: Vec<Trial>,
}

impl ResilienceRun {
    pub fn new(scenario: &Scenario, options: ResilienceOptions) -> ResilienceRun {
        let mut targets: Vec<(Option<String>, TrialKind)> = vec![(None, TrialKind::Nothing)];
        for n in &scenario.nodes {
            // Users cannot fail.
            if n.spec.kind() != NodeKind::Users {
                targets.push((Some(n.id.clone()), TrialKind::Node(n.spec.kind())));
            }
        }
        for dc in &scenario.data_centers {
            targets.push((Some(dc.id.clone()), TrialKind::DataCenter));
        }
        ResilienceRun {
            scenario: scenario.clone(),
            options,
            spofs: crate::model::spof::single_points_of_failure(scenario),
            targets,
            current: None,
            at_failure: (0, 0),
            done: Vec::new(),
        }
    }

    /// Trials in all, the baseline included.
    pub fn total(&self) -> usize {
        self.targets.len()
    }

    /// Trials finished.
    pub fn finished(&self) -> usize {
        self.done.len()
    }

    /// The trial running now (or next): what it fails (`None`: the baseline)
    /// and its kind. `None` once every trial is done. Lets the page say which
    /// failure it is trying while the report is computed.
    pub fn current(&self) -> Option<(Option<&str>, TrialKind)> {
        self.targets.get(self.done.len()).map(|(id, kind)| (id.as_deref(), *kind))
    }

    /// Share of the work done, 0..=1 (by simulated time).
    pub fn progress(&self) -> f64 {
        let per = (self.options.warmup_s + self.options.after_s) as f64;
        let within = self.current.as_ref().map_or(0.0, |s| (s.now() / NS_PER_S) as f64 / per).min(1.0);
        ((self.done.len() as f64 + within) / self.total() as f64).min(1.0)
    }

    /// Runs at most about `event_budget` events; returns true once every trial is done.
    pub fn step(&mut self, event_budget: u64) -> bool {
        let mut budget = event_budget;
        while self.done.len() < self.targets.len() && budget > 0 {
            let (target, _) = self.targets[self.done.len()].clone();
            let warm = self.options.warmup_s * NS_PER_S;
            let end = warm + self.options.after_s * NS_PER_S;
            let sim = self.current.get_or_insert_with(|| {
                let mut sim = Simulation::new(self.scenario.clone());
                // The report reads no latency breakdown: no request is traced for one.
                sim.set_breakdown(false);
                sim
            });
            if sim.now() < warm {
                let p = sim.run_until(warm, budget);
                budget = budget.saturating_sub(p.events.max(1));
                if !p.reached {
                    continue;
                }
                // The trial's numbers start at the failure.
                let snap = sim.take_snapshot();
                self.at_failure = (snap.lost_writes, snap.sessions_lost);
                if let Some(id) = &target {
                    // A fault the run refuses is reported as what it is: no impact.
                    let _ = sim.apply(Edit::Fault { id: id.clone(), fault: Fault::Fail });
                }
            }
            let p = sim.run_until(end, budget);
            budget = budget.saturating_sub(p.events.max(1));
            if p.reached {
                let mut sim = self.current.take().expect("a trial is running");
                let trial = self.judge(&mut sim, target);
                self.done.push(trial);
            }
        }
        self.done.len() == self.targets.len()
    }

    fn judge(&self, sim: &mut Simulation, target: Option<String>) -> Trial {
        let kind = self.targets[self.done.len()].1;
        // The seconds after the failure, from the per-second series.
        let seconds: Vec<(u64, u64)> = sim
            .series()
            .iter()
            .filter(|p| p.t_s > self.options.warmup_s)
            .map(|p| (p.ok, p.failed.iter().sum::<u64>()))
            .collect();
        let rate = |(ok, failed): (u64, u64)| if ok + failed == 0 { 0.0 } else { failed as f64 / (ok + failed) as f64 };
        let good: Vec<bool> = seconds.iter().map(|&s| s.0 + s.1 > 0 && rate(s) < RECOVERED_BELOW).collect();
        let recovered_after_s = (0..good.len())
            .find(|&i| i + RECOVERED_FOR_S <= good.len() && good[i..i + RECOVERED_FOR_S].iter().all(|g| *g))
            .map(|i| i as u64);
        // Everything since the failure, in one reading.
        let snap = sim.take_snapshot();
        Trial {
            single_point_of_failure: target.as_ref().is_some_and(|t| self.spofs.contains(t)),
            failed: target,
            kind,
            error_rate: snap.error_ratio,
            p99_ms: snap.latency_p99_ms,
            peak_error_rate: seconds.iter().map(|&s| rate(s)).fold(0.0, f64::max),
            lost_writes: snap.lost_writes - self.at_failure.0,
            sessions_lost: snap.sessions_lost - self.at_failure.1,
            recovered_after_s,
        }
    }

    /// The report so far (complete once [`step`](Self::step) returned true).
    pub fn report(&self) -> Option<ResilienceReport> {
        let baseline = self.done.first()?.clone();
        let mut trials: Vec<Trial> = self.done[1..].to_vec();
        trials.sort_by(|a, b| {
            b.single_point_of_failure
                .cmp(&a.single_point_of_failure)
                .then(b.error_rate.total_cmp(&a.error_rate))
                .then(a.failed.cmp(&b.failed))
        });
        Some(ResilienceReport { baseline, trials })
    }
}
