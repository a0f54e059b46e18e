//! The resilience report panel: "what if this one part dies?", asked of every
//! node and data center of the design on screen.
//!
//! The engine does the work (`scalelab_engine::resilience::ResilienceRun`: a
//! baseline run, then one run per failure) in a worker of its own
//! ([`JobWorker`]), so the report has a whole core and the live run and the
//! page keep theirs; this module sends it the current design, shows its
//! progress, stops the worker on Cancel, and lays out the finished report. A report belongs to the design it
//! was run on: once the design changes (anything but the layout and the
//! name), the report says it is for an earlier version.
//!
//! The tool panels (this one and the back-of-the-envelope panel) share the
//! bottom of the page, one at a time: [`OpenTool`], set up by [`use_tools`].
//!
//! Stable selectors for tests: `resilience-button`, `resilience-panel`,
//! `resilience-close`, `resilience-run`, `resilience-cancel`,
//! `resilience-progress` (the `<progress>`), `resilience-status`,
//! `resilience-cancelled`, `resilience-failed`, `resilience-stale`, `resilience-table` (with
//! `data-stale`), `resilience-baseline`, `resilience-row` (with
//! `data-failed`, `data-kind`, `data-spof`), cells `res-failed`, `res-kind`,
//! `res-errors`, `res-peak`, `res-p99`, `res-lost-writes`, `res-sessions`,
//! `res-recovered`, and the badge `res-spof`.

use crate::base::format;
use crate::base::page::embedded;
use crate::editor::{Editor, Selection};
use crate::run::worker::JobWorker;
use crate::state::{OpenTool, Tool};
use leptos::prelude::*;
use scalelab_engine::job::{Job, Reply, Working};
use scalelab_engine::resilience::{
    ResilienceOptions, ResilienceReport, ResilienceRun, Trial, TrialKind, RECOVERED_BELOW, RECOVERED_FOR_S,
};
use scalelab_engine::Scenario;

/// Where a report stands.
#[derive(Clone, Debug, PartialEq)]
enum State {
    Idle,
    Running(Step),
    /// Cancelled by the user after this much work (the run is gone).
    Cancelled(Step),
    Done(ResilienceReport),
    /// The worker could not do it, in words.
    Failed(String),
}

/// Which of those, alone: what most of the panel depends on, so that it
/// is not redrawn on every frame of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Running,
    Cancelled,
    Done,
    Failed,
}

impl State {
    fn phase(&self) -> Phase {
        match self {
            State::Idle => Phase::Idle,
            State::Running(_) => Phase::Running,
            State::Cancelled(_) => Phase::Cancelled,
            State::Done(_) => Phase::Done,
            State::Failed(_) => Phase::Failed,
        }
    }
}

/// A running report, as shown: the engine's progress, and the time left.
#[derive(Clone, Debug, PartialEq)]
struct Step {
    working: Working,
    /// Wall-clock seconds left at the pace so far (the page's own clock,
    /// not the simulation's): `None` until there is a pace to go by.
    left_s: Option<f64>,
}

impl Step {
    fn of(working: Working) -> Step {
        Step { working, left_s: None }
    }

    /// "about 12 s left", once the pace is known.
    fn time_left(&self) -> Option<String> {
        let s = self.left_s?;
        Some(if s < 60.0 {
            format!("about {} s left", s.ceil().max(1.0))
        } else {
            format!("about {} min left", (s / 60.0).ceil())
        })
    }

    /// "trial 2 of 6: failing db (database)".
    fn words(&self) -> String {
        let Working { finished, total, ref failing, kind, .. } = self.working;
        let k = (finished + 1).min(total);
        match failing {
            None if finished >= total => format!("All {total} trials done"),
            None => format!("Trial {k} of {total}: the baseline, nothing failed"),
            Some(id) => format!("Trial {k} of {total}: failing {id} ({})", kind_words(kind)),
        }
    }
}

/// The report's state, shared by the panel and the button; the worker
/// itself stays out of the reactive graph.
#[derive(Clone, Copy)]
struct ReportUi {
    state: RwSignal<State>,
    phase: Memo<Phase>,
    /// The design the report (or the run under way) is for, layout left out.
    design: RwSignal<Option<Scenario>>,
    worker: StoredValue<Option<JobWorker>, LocalStorage>,
    /// When the run under way started (`performance.now()`, ms).
    started_ms: StoredValue<f64>,
}

impl ReportUi {
    fn start(&self, doc: &Scenario) {
        // Where it starts, said at once (no simulation is made here).
        let first = Step::of(Working::of(&ResilienceRun::new(doc, ResilienceOptions::default())));
        self.worker.set_value(None);
        let ui = *self;
        match JobWorker::start(&Job::resilience(doc), move |reply| ui.hear(reply)) {
            Ok(worker) => {
                self.state.set(State::Running(first));
                self.worker.set_value(Some(worker));
            }
            Err(message) => self.state.set(State::Failed(message)),
        }
        self.started_ms.set_value(now_ms());
        self.design.set(Some(design_only(doc)));
    }

    fn cancel(&self) {
        // Stopping the worker is all it takes: nothing else holds its work.
        self.worker.set_value(None);
        let was = self.state.get_untracked();
        if let State::Running(step) = was {
            self.state.set(State::Cancelled(step));
        }
    }

    /// What the worker says, while this report is the one running.
    fn hear(&self, reply: Reply) {
        let running = self.state.try_with_untracked(|s| matches!(s, State::Running(_))).unwrap_or(false);
        if !running {
            return;
        }
        match reply {
            Reply::Working(working) => {
                let mut step = Step::of(working);
                let spent_s = (now_ms() - self.started_ms.get_value()) / 1000.0;
                let done = step.working.fraction;
                if done > 0.02 && spent_s > 1.0 {
                    step.left_s = Some(spent_s * (1.0 - done) / done);
                }
                self.state.set(State::Running(step));
            }
            Reply::Resilience { report } => {
                self.worker.set_value(None);
                self.state.set(State::Done(report));
            }
            Reply::Failed { message } => {
                self.worker.set_value(None);
                self.state.set(State::Failed(message));
            }
            _ => {}
        }
    }
}

/// The design as far as the simulation is concerned: positions on the
/// diagram and the name changed nothing a report measured.
fn design_only(doc: &Scenario) -> Scenario {
    let mut d = doc.clone();
    d.name = None;
    for n in &mut d.nodes {
        n.x = None;
        n.y = None;
    }
    d
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Sets up the tool panels for the page: provides [`OpenTool`] and the
/// report's state (a report goes on while its panel is closed: closing the
/// panel is not cancelling).
pub fn use_tools() {
    let open = OpenTool(RwSignal::new(None));
    provide_context(open);
    let state = RwSignal::new(State::Idle);
    let ui = ReportUi {
        state,
        phase: Memo::new(move |_| state.with(State::phase)),
        design: RwSignal::new(None),
        worker: StoredValue::new_local(None),
        started_ms: StoredValue::new(0.0),
    };
    provide_context(ui);
}

/// The "Resilience" button of the top bar (not in an embedded page: the
/// report needs room, and the full page is a click away).
#[component]
pub fn ResilienceButton() -> impl IntoView {
    if embedded() {
        return ().into_any();
    }
    let open = expect_context::<OpenTool>();
    let ui = expect_context::<ReportUi>();
    let busy = move || ui.phase.get() == Phase::Running;
    view! {
        <button id="resilience-button" data-testid="resilience-button" class="tool-button" aria-controls="resilience-panel"
            aria-expanded=move || (open.0.get() == Some(Tool::Resilience)).to_string()
            aria-busy=move || busy().to_string()
            title="What happens when each part of this design fails"
            on:click=move |_| open.toggle(Tool::Resilience)>
            "Resilience"{move || busy().then_some("…")}
        </button>
    }
    .into_any()
}

/// The report panel (shown while [`OpenTool`] says so).
#[component]
pub fn ResiliencePanel() -> impl IntoView {
    if embedded() {
        return ().into_any();
    }
    let open = expect_context::<OpenTool>();
    let ui = expect_context::<ReportUi>();
    let editor = expect_context::<Editor>();
    let stale = Memo::new(move |_| {
        ui.design.with(|d| d.as_ref().is_some_and(|d| editor.doc.with(|doc| design_only(doc) != *d)))
    });
    let close = move || open.close(Tool::Resilience, "resilience-button");
    let heading = NodeRef::<leptos::html::H2>::new();
    // Opened: the keyboard (and a screen reader) starts at the heading.
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            // On the next frame: a panel is shown after this runs (and a
            // menu that opened it gives the focus back first), and a hidden
            // element takes no focus.
            request_animation_frame(move || {
                let _ = h.focus();
            });
        }
    });
    let options = ResilienceOptions::default();
    let intro = format!(
        "What if one part dies? For each node of this design, and each data center, the report runs a fresh copy of the design \
         with the same seed: {} s to warm up, then that one part fails for good and the run watches what users see for {} s. \
         A first run with nothing failed is the yardstick. A single point of failure is a part the wiring offers no way around; \
         recovered means the error rate stayed under {} for {} s in a row. The live run on screen is not touched.",
        options.warmup_s,
        options.after_s,
        format::percent(RECOVERED_BELOW),
        RECOVERED_FOR_S
    );
    view! {
        <Show when=move || open.0.get() == Some(Tool::Resilience)>
            <aside id="resilience-panel" class="tool-sheet resilience-panel" data-testid="resilience-panel" aria-labelledby="resilience-title"
                on:keydown=move |ev| if ev.key() == "Escape" { close() }>
                <div class="tool-bar">
                    <h2 id="resilience-title" tabindex="-1" node_ref=heading>"Resilience report"</h2>
                    {move || {
                        let phase = ui.phase.get();
                        if phase == Phase::Running {
                            view! { <button class="danger" data-testid="resilience-cancel" on:click=move |_| ui.cancel()>"Cancel"</button> }.into_any()
                        } else {
                            let again = phase == Phase::Done;
                            view! {
                                <button class="primary" data-testid="resilience-run"
                                    title="Fail each part of the design in turn, in simulations of their own"
                                    on:click=move |_| editor.doc.with_untracked(|d| ui.start(d))>
                                    {if again { "Run again" } else { "Run report" }}
                                </button>
                            }.into_any()
                        }
                    }}
                    <button class="tool-close" data-testid="resilience-close" aria-label="Close the resilience report"
                        title="Close (a report under way goes on)" on:click=move |_| close()>"×"</button>
                </div>
                <div class="tool-body">
                    <p class="tool-intro">{intro.clone()}</p>
                    <ReportStatus stale=stale />
                    <ReportTable stale=stale />
                </div>
            </aside>
        </Show>
    }
    .into_any()
}

/// Progress while running; what happened after a cancel; the stale warning.
#[component]
fn ReportStatus(stale: Memo<bool>) -> impl IntoView {
    let ui = expect_context::<ReportUi>();
    let running = Memo::new(move |_| {
        ui.state.with(|s| match s {
            State::Running(step) => Some(step.clone()),
            _ => None,
        })
    });
    let words = Memo::new(move |_| running.with(|s| s.as_ref().map(Step::words).unwrap_or_default()));
    view! {
        // A steady element whose parts change: the live region speaks once
        // per trial, not once per frame.
        <Show when=move || running.with(Option::is_some)>
            <div class="res-progress">
                <progress data-testid="resilience-progress" max="1" aria-label="Share of the report done"
                    prop:value=move || running.with(|s| s.as_ref().map_or(0.0, |s| s.working.fraction))></progress>
                <span role="status" data-testid="resilience-status">{move || words.get()}</span>
                <span class="muted" aria-hidden="true">{move || running.with(|s| s.as_ref().map(|s| format::percent(s.working.fraction)))}</span>
                <span class="muted" data-testid="resilience-left">{move || running.with(|s| s.as_ref().and_then(Step::time_left))}</span>
            </div>
        </Show>
        {move || (ui.phase.get() == Phase::Failed).then(|| ui.state.with_untracked(|s| match s {
            State::Failed(why) => Some(view! {
                <p class="res-failed" data-testid="resilience-failed" role="alert">
                    {format!("The report could not be computed: {why}.")}
                </p>
            }),
            _ => None,
        }))}
        {move || (ui.phase.get() == Phase::Cancelled).then(|| ui.state.with_untracked(|s| match s {
            State::Cancelled(step) => Some(view! {
                <p class="muted" data-testid="resilience-cancelled" role="status">
                    {format!("Cancelled after {} of {} trials; nothing was kept. Run the report again when you are ready.", step.working.finished, step.working.total)}
                </p>
            }),
            _ => None,
        }))}
        {move || {
            let what = match ui.phase.get() {
                Phase::Done => Some("This report is for an earlier version of the design: its numbers do not describe the design on screen. Run it again for this one."),
                Phase::Running => Some("The design changed after this report started: its numbers will be for the earlier version."),
                _ => None,
            };
            what.filter(|_| stale.get()).map(|w| view! { <p class="res-stale" data-testid="resilience-stale" role="status">{w}</p> })
        }}
    }
}

/// The finished report: the baseline, then one row per failure, single
/// points of failure first (the engine's order).
#[component]
fn ReportTable(stale: Memo<bool>) -> impl IntoView {
    let ui = expect_context::<ReportUi>();
    let editor = expect_context::<Editor>();
    let report = Memo::new(move |_| {
        ui.state.with(|s| match s {
            State::Done(r) => Some(r.clone()),
            _ => None,
        })
    });
    let after_s = ResilienceOptions::default().after_s;
    let select = move |id: &str| {
        if editor.doc.with_untracked(|d| d.node_index(id).is_some()) {
            editor.selection.set(Selection::node(id));
            editor.announcement.set(format!("{id} selected in the diagram"));
        }
    };
    move || {
        report.get().map(|r| {
            let spofs = r.trials.iter().filter(|t| t.single_point_of_failure).count();
            // Parts the wiring says can fail alone, whose trial never got
            // back under the line all the same: said, not smoothed over.
            let unrecovered: Vec<&str> = r
                .trials
                .iter()
                .filter(|t| !t.single_point_of_failure && t.recovered_after_s.is_none())
                .filter_map(|t| t.failed.as_deref())
                .collect();
            let mut summary = match spofs {
                0 => "No single point of failure in the wiring.".to_string(),
                1 => "1 single point of failure, listed first.".to_string(),
                n => format!("{n} single points of failure, listed first."),
            };
            if !unrecovered.is_empty() {
                summary.push_str(&format!(" Not recovered within the trial even so: {}.", unrecovered.join(", ")));
            }
            let bad = spofs > 0 || !unrecovered.is_empty();
            view! {
                <p class="res-summary" data-testid="resilience-summary" class:bad=bad class:stale=move || stale.get()>{summary}</p>
                <div class="res-table-wrap">
                    <table class="res-table" data-testid="resilience-table" class:stale=move || stale.get()
                        data-stale=move || stale.get().to_string()>
                        <thead><tr>
                            <th scope="col">"What failed"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col" title="Failed share of the requests that ended after the failure">"Errors"</th>
                            <th scope="col" title="The worst simulated second's error rate">"Worst second"</th>
                            <th scope="col" title="99th percentile latency of the requests that succeeded after the failure; with 100% errors these are the few already past the failed part when it failed">"p99"</th>
                            <th scope="col" title="Acknowledged writes that were lost">"Lost writes"</th>
                            <th scope="col" title="Users whose session was lost">"Sessions lost"</th>
                            <th scope="col" title=format!("Until the error rate stayed under {} for {} s", format::percent(RECOVERED_BELOW), RECOVERED_FOR_S)>"Recovered after"</th>
                        </tr></thead>
                        <tbody>
                            <TrialRow trial=r.baseline.clone() after_s=after_s select=Callback::new(move |id: String| select(&id)) />
                            {r.trials.into_iter().map(|t| view! {
                                <TrialRow trial=t after_s=after_s select=Callback::new(move |id: String| select(&id)) />
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })
    }
}

#[component]
fn TrialRow(trial: Trial, after_s: u64, select: Callback<String>) -> impl IntoView {
    let baseline = trial.failed.is_none();
    let is_node = matches!(trial.kind, TrialKind::Node(_)) && !baseline;
    let id = trial.failed.clone().unwrap_or_default();
    let name = match (&trial.failed, trial.kind) {
        (None, _) => view! { <span>"Nothing (baseline)"</span> }.into_any(),
        (Some(id), _) if is_node => {
            let pick = id.clone();
            view! {
                <button class="res-node" title="Select it in the diagram" on:click=move |ev| {
                    ev.stop_propagation();
                    select.run(pick.clone());
                }>{id.clone()}</button>
            }
            .into_any()
        }
        (Some(id), _) => view! { <span>{id.clone()}</span> }.into_any(),
    };
    let spof = trial.single_point_of_failure;
    let row_pick = id.clone();
    view! {
        <tr data-testid=if baseline { "resilience-baseline" } else { "resilience-row" }
            data-failed=id data-kind=trial.kind.name() data-spof=spof.to_string()
            class:baseline=baseline class:spof=spof class:pickable=is_node
            on:click=move |_| if is_node { select.run(row_pick.clone()) }>
            <th scope="row" data-testid="res-failed">
                {name}
                {spof.then(|| view! { <span class="spof-tag" data-testid="res-spof">"single point of failure"</span> })}
            </th>
            <td data-testid="res-kind">{if baseline { "—" } else { kind_words(trial.kind) }}</td>
            <td data-testid="res-errors" class:hot={trial.error_rate >= 0.05}>{format::percent(trial.error_rate)}</td>
            <td data-testid="res-peak">{format::percent(trial.peak_error_rate)}</td>
            <td data-testid="res-p99">{format::ms(trial.p99_ms)}</td>
            <td data-testid="res-lost-writes" class:hot={trial.lost_writes > 0}>{format::count(trial.lost_writes)}</td>
            <td data-testid="res-sessions" class:hot={trial.sessions_lost > 0}>{format::count(trial.sessions_lost)}</td>
            <td data-testid="res-recovered" class:hot={trial.recovered_after_s.is_none() && !baseline}>
                {if baseline { "—".to_string() } else { recovered_words(trial.recovered_after_s, after_s) }}
            </td>
        </tr>
    }
}

/// A trial's kind in words ("web server", "data center").
fn kind_words(kind: TrialKind) -> &'static str {
    match kind {
        TrialKind::DataCenter => "data center",
        TrialKind::Nothing => "nothing",
        TrialKind::Node(k) => k.label(),
    }
}

/// The engine's time to recover in words: 0 means the errors never rose
/// above the line; none means not within the seconds watched.
fn recovered_words(after: Option<u64>, watched_s: u64) -> String {
    match after {
        Some(0) => format!("stayed under {}", format::percent(RECOVERED_BELOW)),
        Some(s) => format!("{s} s"),
        None => format!("never within the trial ({watched_s} s)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::NodeKind;

    fn starter() -> Scenario {
        Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap()
    }

    #[test]
    fn moving_or_renaming_is_not_a_new_design_but_anything_else_is() {
        let doc = starter();
        let mut moved = doc.clone();
        moved.nodes[1].x = Some(999.0);
        moved.name = Some("mine".into());
        assert_eq!(design_only(&doc), design_only(&moved));
        let mut edited = doc.clone();
        edited.nodes.pop();
        edited.links.retain(|l| l.to != "db");
        assert_ne!(design_only(&doc), design_only(&edited));
        let mut reseeded = doc.clone();
        reseeded.seed += 1;
        assert_ne!(design_only(&doc), design_only(&reseeded));
    }

    #[test]
    fn progress_and_recovery_read_as_words() {
        let run = ResilienceRun::new(&starter(), ResilienceOptions::default());
        let step = Step::of(Working::of(&run));
        // Baseline, lb, web-1, web-2, db: the users never fail.
        assert_eq!(step.working.total, 5);
        assert_eq!(step.words(), "Trial 1 of 5: the baseline, nothing failed");
        let working = Working {
            finished: 4,
            failing: Some("db".into()),
            kind: TrialKind::Node(NodeKind::Database),
            ..step.working
        };
        let step = Step::of(working);
        assert_eq!(step.words(), "Trial 5 of 5: failing db (database)");
        assert_eq!(kind_words(TrialKind::DataCenter), "data center");
        assert_eq!(kind_words(TrialKind::Node(NodeKind::LoadBalancer)), "load balancer");
        assert_eq!(recovered_words(None, 60), "never within the trial (60 s)");
        assert_eq!(recovered_words(Some(7), 60), "7 s");
        assert_eq!(recovered_words(Some(0), 60), "stayed under 1.0%");
    }
}
