//! Jobs: a question asked of a design as a message, answered by messages, so
//! that the work can run away from the page's thread. The site's engine
//! worker (`worker/`) reads a [`Job`], hands it to its [`Session`] and posts
//! each [`Reply`] back; natively, and in the tests, [`run`] is a plain
//! function call.
//!
//! Most jobs are one question and one answer. The A/B comparison is a
//! session instead: [`Job::Compare`] starts it, and the worker keeps it,
//! ticking it on its own clock ([`Session::tick`]) and posting a reading
//! four times a second, while [`Job::Play`], [`Job::Pause`] and
//! [`Job::InBoth`] steer it.
//!
//! The design travels as its scenario JSON and is read here with the same
//! parser as everywhere else, so the worker computes exactly what the page
//! would have computed from the same document: same seed, same numbers.
//! Messages are JSON text: they are few (a progress reply every
//! [`EVENTS_PER_PROGRESS`] events, then one answer) and small next to the
//! work they describe.

use crate::analysis::before_after::{BeforeAfter, Row};
use crate::analysis::compare_session::{CompareSession, Next};
use crate::analysis::live_session::{LiveSession, RawReading, Watch};
use crate::analysis::pair_run::PairReading;
use crate::analysis::resilience::{ResilienceOptions, ResilienceReport, ResilienceRun, TrialKind};
use crate::base::time::Nanos;
use crate::kernel::edit::Edit;
use crate::kernel::sim::Simulation;
use crate::metrics::hops::Hop;
use crate::model::fault::Fault;
use crate::model::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// What a worker is asked to compute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Run the design to its end; answered with the report as the CLI prints it.
    Report { scenario: String },
    /// The resilience report with the default trial lengths; answered with
    /// [`Reply::Working`] as it goes, then [`Reply::Resilience`].
    Resilience { scenario: String },
    /// A lesson's before/after table: the previous step's design at this
    /// step's traffic, and this step's; answered with [`Reply::Measuring`] as
    /// it goes, then [`Reply::BeforeAfter`].
    BeforeAfter { previous: String, current: String },
    /// Start running two paired designs (B already given A's traffic) side by
    /// side at `speed` simulated seconds per second; answered with
    /// [`Reply::Compared`] as they go, until the end.
    Compare { a: String, b: String, speed: f64 },
    /// Play the comparison at `speed`.
    Play { speed: f64 },
    /// Pause the comparison.
    Pause,
    /// Fail (or recover) `id` in both designs of the comparison at one time;
    /// a refusal is answered with [`Reply::Refused`].
    InBoth { id: String, fault: Fault },
    /// Start the live run of the editor's `version` of a design (a new run
    /// from its start: loading, restarting); answered with [`Reply::Live`]
    /// four times a second while it plays, and at once after each command.
    Live { scenario: String, version: u64, playing: bool, speed: f64 },
    /// Bring the live run to the editor's `version` of the design, as the
    /// run goes on (refused with [`Reply::Refused`], nothing changed).
    Sync { scenario: String, version: u64 },
    /// Fail, slow, recover… `id` in the live run (refused in words).
    Fault { id: String, fault: Fault },
    /// Cut (or heal) the network between `a` and `b` in the live run.
    Partition { a: String, b: String, cut: bool },
    /// Move a paused live run on by a tenth of a simulated second.
    Step,
    /// What the page has on screen, so the live run computes only that.
    Watch { watch: Watch },
    /// Follow the next request to start in the live run.
    TraceNext,
    /// Follow request `number` (a clicked dot) in the live run.
    FollowTrace { number: u64 },
}

/// What a worker says back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The worker is listening: messages sent before this would be lost.
    Ready,
    /// How far a long job has got.
    Working(Working),
    /// The report of [`Job::Report`], pretty JSON (`wall_ms` stays 0: a
    /// worker has no clock worth reporting).
    Report { text: String },
    /// The finished resilience report.
    Resilience { report: ResilienceReport },
    /// How far a before/after table has got, 0..=1 (by simulated time).
    Measuring { fraction: f64 },
    /// The finished before/after table, one row per check of the goal.
    BeforeAfter { rows: Vec<Row> },
    /// Both designs of the comparison at one simulated time.
    Compared { reading: Box<PairReading> },
    /// The live run now (read with [`RawReading::reading`]).
    Live { reading: RawReading },
    /// A command to the comparison was refused and changed nothing, in words.
    Refused { message: String },
    /// The job could not be done, in words a user can act on.
    Failed { message: String },
}

/// Progress of a resilience report, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Working {
    /// Trials finished, and in all (the baseline included).
    pub finished: usize,
    pub total: usize,
    /// Share of the work done, 0..=1 (by simulated time).
    pub fraction: f64,
    /// The trial under way: what it fails (`None`: the baseline) and its kind.
    pub failing: Option<String>,
    pub kind: TrialKind,
}

impl Working {
    pub fn of(run: &ResilienceRun) -> Working {
        let (failing, kind) =
            run.current().map_or((None, TrialKind::Nothing), |(id, kind)| (id.map(str::to_string), kind));
        Working { finished: run.finished(), total: run.total(), fraction: run.progress(), failing, kind }
    }
}

/// Events between two progress replies: a few tens of milliseconds of work
/// in a browser, so the bar moves smoothly and messages cost nothing.
pub const EVENTS_PER_PROGRESS: u64 = 200_000;

impl Job {
    /// The job of computing `scenario`'s resilience report.
    pub fn resilience(scenario: &Scenario) -> Job {
        Job::Resilience { scenario: scenario_text(scenario) }
    }

    /// The job of measuring a lesson step's before/after table.
    pub fn before_after(previous: &Scenario, current: &Scenario) -> Job {
        Job::BeforeAfter { previous: scenario_text(previous), current: scenario_text(current) }
    }

    /// The job of running two paired designs side by side.
    pub fn compare(a: &Scenario, b: &Scenario, speed: f64) -> Job {
        Job::Compare { a: scenario_text(a), b: scenario_text(b), speed }
    }

    /// As sent to a worker (inlined, as [`Reply::from_json`], for the page's size).
    #[inline]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job always serialises")
    }

    /// A job as received; a message that is not one is refused in words.
    pub fn from_json(text: &str) -> Result<Job, String> {
        serde_json::from_str(text)
            .map_err(|e| format!("the engine's worker was sent something it cannot read ({e}); reload the page"))
    }
}

impl Reply {
    /// As posted back to the page.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a reply always serialises")
    }

    /// A reply as received; one that is not (a worker from another version
    /// of the site) becomes [`Reply::Failed`]. Inlined so that its reader is
    /// compiled with its caller: the page's module is built for size, the
    /// engine for speed, and the reader has no need of speed.
    #[inline]
    pub fn from_json(text: &str) -> Reply {
        serde_json::from_str(text).unwrap_or_else(|e| Reply::Failed {
            message: format!("the engine's worker answered something this page cannot read ({e}); reload the page"),
        })
    }
}

/// The document as a job carries it: the compact JSON the share links carry.
fn scenario_text(scenario: &Scenario) -> String {
    serde_json::to_string(scenario).expect("a scenario always serialises")
}

/// What a worker keeps between messages: the comparison or the live run it
/// runs, if any (a worker is started for one or the other).
#[derive(Default)]
pub struct Session {
    compare: Option<CompareSession>,
    live: Option<LiveSession>,
}

impl Session {
    /// Takes `job`: a one-shot job is done at once (its replies go to
    /// `reply`); a comparison starts, or is steered. Returns when the session
    /// wants its next [`tick`](Session::tick).
    pub fn receive(&mut self, job: Job, reply: &mut dyn FnMut(Reply)) -> Next {
        let refused = match (job, &mut self.compare) {
            (Job::Compare { a, b, speed }, _) => match (read(&a), read(&b)) {
                (Ok(a), Ok(b)) => {
                    self.compare = Some(CompareSession::new(a, b, speed));
                    None
                }
                (Err(failed), _) | (_, Err(failed)) => Some(failed),
            },
            (Job::Play { speed }, Some(s)) => {
                s.play(speed);
                None
            }
            (Job::Pause, Some(s)) => {
                s.pause();
                None
            }
            (Job::InBoth { id, fault }, Some(s)) => {
                s.in_both(id, fault).err().map(|message| Reply::Refused { message })
            }
            (Job::Live { scenario, version, playing, speed }, _) => match read(&scenario) {
                Ok(scenario) => {
                    let watch = self.live.take().map(|l| l.watching().clone()).unwrap_or_default();
                    let mut live = LiveSession::new(scenario, version, playing, speed);
                    live.watch(watch);
                    self.live = Some(live);
                    None
                }
                Err(failed) => Some(failed),
            },
            (Job::Play { .. } | Job::Pause, None) if self.live.is_none() => {
                Some(Reply::Refused { message: "nothing runs yet: start the live run or a comparison first".into() })
            }
            (job, None) if job.steers_live() => match (&mut self.live, job) {
                (None, _) => Some(Reply::Refused { message: "start the live run first".into() }),
                (Some(live), job) => live_command(live, job),
            },
            (Job::Play { .. } | Job::Pause | Job::InBoth { .. }, None) => {
                Some(Reply::Refused { message: "run a comparison first".into() })
            }
            (job, _) => {
                run(&job, reply);
                None
            }
        };
        if let Some(r) = refused {
            reply(r);
        }
        if self.compare.is_some() || self.live.is_some() {
            Next::Now
        } else {
            Next::Idle
        }
    }

    /// Moves the live run's hops logged since the last call into `out` and
    /// returns the simulated time they were drained at (`None`: no live run).
    pub fn drain_hops(&mut self, out: &mut Vec<Hop>) -> Option<Nanos> {
        self.live.as_mut().map(|l| l.drain_hops(out))
    }

    /// Runs the comparison for as long as `more()` allows at wall-clock time
    /// `now_ms`, passing its reading to `reply` when one is due.
    pub fn tick(&mut self, now_ms: f64, more: &mut dyn FnMut() -> bool, reply: &mut dyn FnMut(Reply)) -> Next {
        if let Some(compare) = &mut self.compare {
            let (reading, next) = compare.tick(now_ms, more);
            if let Some(reading) = reading {
                reply(Reply::Compared { reading: Box::new(reading) });
            }
            return next;
        }
        let Some(live) = &mut self.live else { return Next::Idle };
        let (reading, next) = live.tick(now_ms, more);
        if let Some(reading) = reading {
            reply(Reply::Live { reading: RawReading::of(&reading) });
        }
        next
    }
}

impl Job {
    /// A command to the live run (play and pause steer the comparison when
    /// there is one).
    fn steers_live(&self) -> bool {
        matches!(
            self,
            Job::Play { .. }
                | Job::Pause
                | Job::Sync { .. }
                | Job::Fault { .. }
                | Job::Partition { .. }
                | Job::Step
                | Job::Watch { .. }
                | Job::TraceNext
                | Job::FollowTrace { .. }
        )
    }
}

/// Does a command to the live run; a refusal comes back as the reply to send.
fn live_command(live: &mut LiveSession, job: Job) -> Option<Reply> {
    let refused = |e: crate::kernel::edit::EditError| Some(Reply::Refused { message: e.to_string() });
    match job {
        Job::Play { speed } => live.play(speed),
        Job::Pause => live.pause(),
        Job::Step => live.step(),
        Job::Watch { watch } => live.watch(watch),
        Job::TraceNext => live.trace_next(),
        Job::FollowTrace { number } => {
            live.follow_trace(number);
        }
        Job::Sync { scenario, version } => match read(&scenario) {
            Ok(target) => return live.sync(&target, version).map_or_else(refused, |()| None),
            Err(failed) => return Some(failed),
        },
        Job::Fault { id, fault } => return live.apply(Edit::Fault { id, fault }).map_or_else(refused, |()| None),
        Job::Partition { a, b, cut } => {
            return live.apply(Edit::Partition { a, b, cut }).map_or_else(refused, |()| None)
        }
        _ => {}
    }
    None
}

/// A design as a job carries it, or the reply that refuses it.
fn read(text: &str) -> Result<Scenario, Reply> {
    Scenario::from_json(text).map_err(|e| Reply::Failed { message: format!("the design was refused: {e}") })
}

/// Does `job`, passing every reply to `reply` as it comes; the last one is
/// the answer (or [`Reply::Failed`]). A comparison's commands need a
/// [`Session`] and are refused here.
pub fn run(job: &Job, reply: &mut dyn FnMut(Reply)) {
    match job {
        Job::Report { scenario } => match read(scenario) {
            Ok(scenario) => {
                let mut sim = Simulation::new(scenario);
                sim.run_to_end();
                reply(Reply::Report { text: sim.report().to_json_pretty() });
            }
            Err(failed) => reply(failed),
        },
        Job::Resilience { scenario } => match read(scenario) {
            Ok(scenario) => {
                let mut run = ResilienceRun::new(&scenario, ResilienceOptions::default());
                reply(Reply::Working(Working::of(&run)));
                while !run.step(EVENTS_PER_PROGRESS) {
                    reply(Reply::Working(Working::of(&run)));
                }
                reply(match run.report() {
                    Some(report) => Reply::Resilience { report },
                    None => Reply::Failed { message: "the report has no baseline trial".into() },
                });
            }
            Err(failed) => reply(failed),
        },
        Job::BeforeAfter { previous, current } => match (read(previous), read(current)) {
            (Ok(previous), Ok(current)) => {
                let mut table = BeforeAfter::new(&previous, &current);
                reply(Reply::Measuring { fraction: 0.0 });
                while !table.done() {
                    let mut budget = EVENTS_PER_PROGRESS;
                    while !table.done() && budget > 0 {
                        budget = budget.saturating_sub(table.step(budget).max(1));
                    }
                    if !table.done() {
                        reply(Reply::Measuring { fraction: table.fraction() });
                    }
                }
                reply(Reply::BeforeAfter { rows: table.rows() });
            }
            (Err(failed), _) | (_, Err(failed)) => reply(failed),
        },
        Job::Compare { .. } | Job::Play { .. } | Job::Pause | Job::InBoth { .. } => {
            reply(Reply::Failed { message: "a comparison runs in a session, not as a one-shot job".into() })
        }
        Job::Live { .. }
        | Job::Sync { .. }
        | Job::Fault { .. }
        | Job::Partition { .. }
        | Job::Step
        | Job::Watch { .. }
        | Job::TraceNext
        | Job::FollowTrace { .. } => {
            reply(Reply::Failed { message: "the live run runs in a session, not as a one-shot job".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTER: &str = r#"{"version": 1, "seed": 7, "duration_s": 40,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web-1", "kind": "web_server", "workers": 32, "service": {"dist": "exponential", "mean_ms": 20}},
            {"id": "web-2", "kind": "web_server", "workers": 32, "service": {"dist": "exponential", "mean_ms": 20}}
        ],
        "links": [
            {"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"}
        ]}"#;

    fn all_replies(job: &Job) -> Vec<Reply> {
        let mut replies = Vec::new();
        run(job, &mut |r| replies.push(Reply::from_json(&r.to_json())));
        replies
    }

    #[test]
    fn a_resilience_job_answers_with_what_the_run_computes_after_its_progress() {
        let scenario = Scenario::from_json(STARTER).unwrap();
        let job = Job::from_json(&Job::resilience(&scenario).to_json()).unwrap();
        let replies = all_replies(&job);
        // The same report as the run computed here, after the message's round trip.
        let mut direct = ResilienceRun::new(&scenario, ResilienceOptions::default());
        while !direct.step(u64::MAX) {}
        let expected = direct.report().unwrap();
        let Some(Reply::Resilience { report }) = replies.last() else { panic!("ends with the report: {replies:?}") };
        assert_eq!(report.trials.len(), expected.trials.len());
        assert_eq!(report.baseline.failed, None);
        assert_eq!(serde_json::to_string(report).unwrap(), serde_json::to_string(&expected).unwrap());
        // Progress first: from nothing to every trial, never backwards.
        let progress: Vec<&Working> =
            replies.iter().filter_map(|r| if let Reply::Working(w) = r { Some(w) } else { None }).collect();
        assert!(progress.len() >= 2, "{} progress replies", progress.len());
        assert_eq!((progress[0].finished, progress[0].fraction, progress[0].failing.as_deref()), (0, 0.0, None));
        assert!(progress.windows(2).all(|w| w[1].fraction >= w[0].fraction && w[1].finished >= w[0].finished));
        assert!(progress.iter().all(|w| w.total == 4 && w.finished < 4 && w.fraction < 1.0));
        // Past the baseline, progress names the part failing, as the design has it.
        let later = progress.iter().find(|w| w.failing.is_some()).expect("a trial that fails something");
        let id = later.failing.as_deref().unwrap();
        assert_eq!(
            Some(later.kind),
            scenario.nodes.iter().find(|n| n.id == id).map(|n| TrialKind::Node(n.spec.kind()))
        );
        assert_eq!(replies.len(), progress.len() + 1);
    }

    #[test]
    fn a_report_job_answers_with_the_clis_report() {
        let scenario = Scenario::from_json(STARTER).unwrap();
        let replies = all_replies(&Job::Report { scenario: STARTER.into() });
        let mut sim = Simulation::new(scenario);
        sim.run_to_end();
        assert_eq!(replies, vec![Reply::Report { text: sim.report().to_json_pretty() }]);
    }

    #[test]
    fn a_before_after_job_answers_with_the_tables_rows() {
        let read = |name: &str| {
            let path = format!("{}/../lessons/{name}.json", env!("CARGO_MANIFEST_DIR"));
            Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let (previous, current) = (read("02-web-and-data-tiers"), read("03-vertical-scaling"));
        let replies = all_replies(&Job::before_after(&previous, &current));
        let mut direct = BeforeAfter::new(&previous, &current);
        while !direct.done() {
            direct.step(u64::MAX);
        }
        assert_eq!(replies.last(), Some(&Reply::BeforeAfter { rows: direct.rows() }));
        let fractions: Vec<f64> = replies
            .iter()
            .filter_map(|r| if let Reply::Measuring { fraction } = r { Some(*fraction) } else { None })
            .collect();
        assert_eq!(fractions[0], 0.0);
        assert!(fractions.len() >= 2 && fractions.windows(2).all(|w| w[1] >= w[0] && w[1] < 1.0), "{fractions:?}");
    }

    #[test]
    fn a_session_runs_a_comparison_to_its_end_and_refuses_what_it_cannot_do() {
        let mut session = Session::default();
        let replies = std::cell::RefCell::new(Vec::new());
        let mut hear = |r: Reply| replies.borrow_mut().push(Reply::from_json(&r.to_json()));
        assert_eq!(session.receive(Job::Pause, &mut hear), Next::Idle);
        let scenario = Scenario::from_json(STARTER).unwrap();
        let job = Job::from_json(&Job::compare(&scenario, &scenario, 100.0).to_json()).unwrap();
        assert_eq!(session.receive(job, &mut hear), Next::Now);
        session.receive(Job::InBoth { id: "users".into(), fault: Fault::Fail }, &mut hear);
        let mut clock = 0.0;
        while !matches!(replies.borrow().last(), Some(Reply::Compared { reading }) if reading.finished) {
            clock += 16.0;
            session.tick(clock, &mut || true, &mut hear);
            assert!(clock < 10_000.0, "40 s at 100x ends within 0.4 s of wall time");
        }
        let replies = replies.into_inner();
        assert!(
            matches!(&replies[0], Reply::Refused { message } if message.starts_with("nothing runs yet")),
            "{replies:?}"
        );
        assert!(matches!(&replies[1], Reply::Refused { message } if message.contains("design A refuses it")));
        let Some(Reply::Compared { reading }) = replies.last() else { unreachable!() };
        assert_eq!(reading.a, reading.b, "the same design twice: the same run");
        assert_eq!(reading.a.now_s, 40.0);
        // A one-shot job still answers while a comparison is kept.
        let mut answers = Vec::new();
        session.receive(Job::Report { scenario: STARTER.into() }, &mut |r| answers.push(r));
        assert!(matches!(answers.as_slice(), [Reply::Report { .. }]));
    }

    #[test]
    fn a_session_keeps_the_live_run_and_steers_it_by_messages() {
        let mut session = Session::default();
        let replies = std::cell::RefCell::new(Vec::new());
        let mut hear = |r: Reply| replies.borrow_mut().push(Reply::from_json(&r.to_json()));
        let send = |session: &mut Session, job: Job, hear: &mut dyn FnMut(Reply)| {
            session.receive(Job::from_json(&job.to_json()).unwrap(), hear)
        };
        send(&mut session, Job::Step, &mut hear);
        let live = Job::Live { scenario: STARTER.into(), version: 3, playing: true, speed: 10.0 };
        assert_eq!(send(&mut session, live, &mut hear), Next::Now);
        let watch = Watch {
            breakdown: false,
            trace: false,
            theory: Some("web-1".into()),
            sample: crate::metrics::hops::Share::one_in(4),
        };
        send(&mut session, Job::Watch { watch }, &mut hear);
        let mut clock = 0.0;
        for _ in 0..60 {
            clock += 16.0;
            session.tick(clock, &mut || true, &mut hear);
        }
        // The second server with twice the workers, as the editor's version 4.
        let target =
            STARTER.replacen("\"workers\": 32", "\"workers\": 64", 2).replacen("\"workers\": 64", "\"workers\": 32", 1);
        send(&mut session, Job::Sync { scenario: target, version: 4 }, &mut hear);
        send(&mut session, Job::Fault { id: "users".into(), fault: Fault::Fail }, &mut hear);
        send(&mut session, Job::Partition { a: "web-1".into(), b: "nowhere".into(), cut: true }, &mut hear);
        send(&mut session, Job::Pause, &mut hear);
        session.tick(clock + 16.0, &mut || true, &mut hear);
        let mut hops = Vec::new();
        let drained_at = session.drain_hops(&mut hops).expect("a live run");
        let replies = replies.into_inner();
        assert!(
            matches!(&replies[0], Reply::Refused { message } if message == "start the live run first"),
            "{replies:?}"
        );
        let readings: Vec<crate::analysis::live_session::LiveReading> = replies
            .iter()
            .filter_map(|r| if let Reply::Live { reading } = r { Some(reading.reading().unwrap()) } else { None })
            .collect();
        let refusals: Vec<&str> = replies
            .iter()
            .filter_map(|r| if let Reply::Refused { message } = r { Some(message.as_str()) } else { None })
            .collect();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        assert!(refusals[1].contains("users cannot fail"), "{refusals:?}");
        assert!(refusals[2].contains("no data center"), "{refusals:?}");
        let first = readings.first().expect("readings");
        let last = readings.last().unwrap();
        assert_eq!((first.version, last.version), (3, 4), "the reading says which design it reflects");
        assert_eq!(last.published.snapshot.now_s, 9.44, "59 ticks of 16 ms at 10x, then paused");
        assert!(last.theory.is_some(), "web-1's theory, as watched");
        assert!(readings.windows(2).all(|w| w[1].published.snapshot.now_s >= w[0].published.snapshot.now_s));
        assert_eq!(drained_at, 9_440_000_000);
        assert!(!hops.is_empty(), "one request in about four followed for the dots");
    }

    #[test]
    fn bad_documents_and_bad_messages_are_refused_in_words() {
        let replies = all_replies(&Job::Resilience { scenario: "{\"version\": 1}".into() });
        let [Reply::Failed { message }] = replies.as_slice() else { panic!("{replies:?}") };
        assert!(message.starts_with("the design was refused: "), "{message}");
        assert!(Job::from_json("{\"job\": \"dance\"}").unwrap_err().contains("reload the page"));
        let Reply::Failed { message } = Reply::from_json("[1, 2]") else { panic!("refused") };
        assert!(message.contains("reload the page"), "{message}");
    }
}
