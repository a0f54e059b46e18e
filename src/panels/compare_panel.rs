//! The A/B comparison panel: two designs run side by side on the very same
//! requests, with the same faults at the same times.
//!
//! The user picks design A and design B (the current design, an autosaved
//! version, a lesson's design, a file), the engine pairs them
//! (`scalelab_engine::compare::pair`: B takes A's seed, users, run length and
//! scheduled faults, and says what it changed), and a worker of its own
//! ([`JobWorker`], the engine's `compare_session`) runs both in lockstep on
//! its own clock, sending a reading four times a second, while the page's
//! thread only draws. The numbers and the verdicts in the table are the
//! engine's (`pair_run::PairReading`); this module formats them.
//! [`crate::panels::compare_view`] draws the results.
//!
//! The comparison lives outside the live playground: it never touches the
//! editor's document or its simulation.
//!
//! Stable selectors for tests: `compare-button`, `compare-panel`
//! (`data-state="idle|running|paused|finished"`), `compare-close`,
//! `compare-a-source` / `compare-b-source` (selects), `compare-a-open` /
//! `compare-b-open` (file buttons) and `compare-a-file` / `compare-b-file`
//! (their inputs), `compare-run`, `compare-play`, `compare-speed`,
//! `compare-time`, `compare-message` (`data-error`), `compare-notes`,
//! `compare-scheduled`, `compare-fail-target`, `compare-fail`,
//! `compare-recover`, `compare-fault-log`, and those of `compare_view`;
//! `lesson-compare` is the lesson panel's "Compare with the previous step".

use crate::base::page::{embedded, OpenLesson};
use crate::editor::Editor;
use crate::keeping::storage;
use crate::lessons;
use crate::panels::compare_view::{applied_text, seconds, setting, Reading, Results, RunInfo};
use crate::run::worker::JobWorker;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::compare::pair;
use scalelab_engine::job::{Job, Reply};
use scalelab_engine::pair_run::refusal;
use scalelab_engine::scenario::{NodeSpec, ScheduledFault};
use scalelab_engine::{Edit, Fault, Scenario};

/// Simulated seconds per wall-clock second. The comparison has a worker (a
/// core) of its own, so the fastest is as fast as that core allows: "slower
/// than asked" says when it cannot keep up.
const SPEEDS: &[f64] = &[1.0, 5.0, 10.0, 50.0, 100.0, 1000.0];
const DEFAULT_SPEED: f64 = 10.0;

/// Where a design to compare comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The design in the editor, as it is when the run starts.
    Current,
    /// The autosaved version saved at this time (ms since the epoch): the
    /// list is read afresh each time the panel opens, so its places move.
    Autosave(u64),
    /// Lesson N's design.
    Lesson(u32),
    /// Lesson N−1's design at lesson N's traffic (as in the lesson's
    /// before/after table).
    PreviousStep(u32),
    /// The file opened for this side.
    File,
}

impl Source {
    fn value(&self) -> String {
        match self {
            Source::Current => "current".into(),
            Source::Autosave(i) => format!("auto-{i}"),
            Source::Lesson(n) => format!("lesson-{n}"),
            Source::PreviousStep(n) => format!("prev-{n}"),
            Source::File => "file".into(),
        }
    }

    fn from_value(v: &str) -> Option<Source> {
        let num = |p: &str| v.strip_prefix(p).and_then(|n| n.parse().ok());
        match v {
            "current" => Some(Source::Current),
            "file" => Some(Source::File),
            _ => num("auto-")
                .map(Source::Autosave)
                .or_else(|| num("lesson-").map(|n| Source::Lesson(n as u32)))
                .or_else(|| num("prev-").map(|n| Source::PreviousStep(n as u32))),
        }
    }
}

/// One side's choice: the source, and the file opened for it (kept when
/// another source is picked, so it can be picked again).
#[derive(Clone, Debug, PartialEq)]
struct Choice {
    source: Source,
    file: Option<(String, Scenario)>,
}

/// An autosaved version as offered: its label and design (`None`: the
/// engine no longer accepts it).
#[derive(Clone, Debug, PartialEq)]
struct Saved {
    saved_at_ms: u64,
    label: String,
    scenario: Option<Scenario>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    A,
    B,
}

impl Side {
    fn letter(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
    fn id(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// The comparison's state, shared by the toolbar button, the panel and the
/// lesson panel's button.
#[derive(Clone, Copy)]
pub struct CompareUi {
    pub shown: RwSignal<bool>,
    editor: Editor,
    a: RwSignal<Choice>,
    b: RwSignal<Choice>,
    autosaves: RwSignal<Vec<Saved>>,
    /// The worker running the two simulations (outside the reactive graph).
    run: StoredValue<Option<JobWorker>, LocalStorage>,
    /// The two designs it runs, as paired (B with A's traffic).
    paired: StoredValue<Option<(Scenario, Scenario)>, LocalStorage>,
    /// What was paired, set when a run starts.
    info: RwSignal<Option<RunInfo>>,
    /// The latest figures, both at the same simulated time.
    reading: RwSignal<Option<Reading>>,
    playing: RwSignal<bool>,
    speed: RwSignal<f64>,
    /// The latest message: `(text, is_error)`.
    message: RwSignal<Option<(String, bool)>>,
}

/// The comparison's state, created by whichever of the button and the panel
/// comes first. `None` in an embedded page: its compact layout leaves the
/// comparison to the full page.
fn use_compare() -> Option<CompareUi> {
    if embedded() {
        return None;
    }
    if let Some(ui) = use_context::<CompareUi>() {
        return Some(ui);
    }
    let editor = use_context::<Editor>()?;
    let open_lesson = use_context::<OpenLesson>().and_then(|o| o.0.get_untracked());
    let ui = CompareUi {
        shown: RwSignal::new(false),
        editor,
        a: RwSignal::new(Choice {
            source: match open_lesson {
                Some(n) if n > 1 => Source::PreviousStep(n),
                _ => Source::Current,
            },
            file: None,
        }),
        b: RwSignal::new(Choice { source: Source::Current, file: None }),
        autosaves: RwSignal::new(Vec::new()),
        run: StoredValue::new_local(None),
        paired: StoredValue::new_local(None),
        info: RwSignal::new(None),
        reading: RwSignal::new(None),
        playing: RwSignal::new(false),
        speed: RwSignal::new(DEFAULT_SPEED),
        message: RwSignal::new(None),
    };
    provide_context(ui);
    Some(ui)
}

impl CompareUi {
    fn choice(&self, side: Side) -> RwSignal<Choice> {
        match side {
            Side::A => self.a,
            Side::B => self.b,
        }
    }

    /// Shows the panel, with the autosave list read afresh.
    pub fn open(&self) {
        self.autosaves.set(read_autosaves());
        self.shown.set(true);
    }

    /// Opens the panel and compares lesson `n − 1`'s design (at lesson `n`'s
    /// traffic) with the current design.
    pub fn compare_with_previous_step(&self, n: u32) {
        self.a.update(|c| c.source = Source::PreviousStep(n));
        self.b.update(|c| c.source = Source::Current);
        self.open();
        self.start();
    }

    /// The design `source` names for `side`, or why there is none.
    fn resolve(&self, side: Side) -> Result<(Scenario, String), String> {
        let choice = self.choice(side).get_untracked();
        match &choice.source {
            Source::Current => Ok((self.editor.doc.get_untracked(), "The current design".into())),
            Source::Autosave(at) => {
                match self.autosaves.with_untracked(|l| l.iter().find(|v| v.saved_at_ms == *at).cloned()) {
                    Some(Saved { label, scenario: Some(s), .. }) => Ok((s, label)),
                    Some(Saved { label, scenario: None, .. }) => Err(format!("{label} can no longer be read")),
                    None => Err("that autosaved version is gone".into()),
                }
            }
            Source::Lesson(n) => lessons::scenario(*n)
                .cloned()
                .map(|s| (s, format!("Lesson {n}'s design")))
                .ok_or_else(|| format!("there is no lesson {n}")),
            Source::PreviousStep(n) => match (lessons::scenario(n.saturating_sub(1)), lessons::scenario(*n)) {
                (Some(prev), Some(this)) => {
                    Ok((scalelab_engine::goal::at_this_traffic(prev, this), capitalised(&previous_step_label(*n))))
                }
                _ => Err(format!("lesson {n} has no previous step")),
            },
            Source::File => choice
                .file
                .map(|(name, s)| (s, format!("File \"{name}\"")))
                .ok_or_else(|| "no file is open for this side: use Open file…".into()),
        }
    }

    /// Pairs the chosen designs and starts running them. On any problem the
    /// message says why and the comparison on screen stays as it was.
    fn start(&self) {
        let sides = self
            .resolve(Side::A)
            .map_err(|e| format!("Design A: {e}"))
            .and_then(|a| Ok((a, self.resolve(Side::B).map_err(|e| format!("Design B: {e}"))?)));
        let ((a, a_label), (b, b_label)) = match sides {
            Ok(s) => s,
            Err(e) => return self.message.set(Some((e, true))),
        };
        let pairing = match pair(&a, &b) {
            Ok(p) => p,
            Err(e) => return self.message.set(Some((format!("Cannot compare: {e}"), true))),
        };
        // What the pairing made is checked like a file before it runs.
        for (side, s) in [("A", &pairing.a), ("B, given A's traffic,", &pairing.b)] {
            if let Err(e) = Scenario::from_json(&s.to_json_pretty()) {
                return self.message.set(Some((format!("Cannot compare: design {side} is not valid: {e}"), true)));
            }
        }
        let common = common_targets(&pairing.a, &pairing.b);
        let info = RunInfo {
            a_label,
            b_label,
            notes: pairing.notes.clone(),
            scheduled: pairing.b.faults.iter().map(fault_text).collect(),
            a_only: pairing.a.faults.iter().filter(|f| !pairing.b.faults.contains(f)).map(fault_text).collect(),
            common,
            seed: pairing.a.seed,
            duration_s: pairing.a.duration_s,
            warmup_s: pairing.a.warmup_s,
        };
        let ui = *self;
        let job = Job::compare(&pairing.a, &pairing.b, self.speed.get_untracked());
        let worker = match JobWorker::start(&job, move |reply| ui.hear(reply)) {
            Ok(w) => w,
            Err(e) => return self.message.set(Some((format!("Cannot compare: {e}"), true))),
        };
        // The run before (if any) stops here, its worker with it.
        self.run.set_value(Some(worker));
        self.paired.set_value(Some((pairing.a, pairing.b)));
        self.info.set(Some(info));
        self.reading.set(None);
        self.message.set(None);
        self.playing.set(true);
    }

    /// What the comparison's worker says.
    fn hear(&self, reply: Reply) {
        match reply {
            Reply::Compared { reading } => {
                if reading.finished && self.playing.get_untracked() {
                    self.playing.set(false);
                }
                self.reading.set(Some(*reading));
            }
            Reply::Refused { message } => {
                self.message.set(Some((format!("The comparison refused it: {message}"), true)))
            }
            Reply::Failed { message } => {
                self.playing.set(false);
                self.message.set(Some((format!("The comparison stopped: {message}"), true)));
            }
            _ => {}
        }
    }

    /// Tells the comparison's worker `job`; a worker that cannot be told says so.
    fn tell(&self, job: Job) {
        let sent = self.run.with_value(|r| r.as_ref().map(|w| w.send(&job)));
        if let Some(Err(e)) = sent {
            self.message.set(Some((e, true)));
        }
    }

    /// Plays or pauses the comparison (it runs only while the panel is shown).
    fn set_playing(&self, playing: bool) {
        self.playing.set(playing);
        self.tell_clock();
    }

    fn set_speed(&self, speed: f64) {
        self.speed.set(speed);
        self.tell_clock();
    }

    /// Gives the worker's clock what the controls and the panel say.
    fn tell_clock(&self) {
        if self.playing.get_untracked() && self.shown.get_untracked() {
            self.tell(Job::Play { speed: self.speed.get_untracked() });
        } else {
            self.tell(Job::Pause);
        }
    }

    /// Applies `fault` to `id` in both designs at the same simulated time;
    /// checked here first, so a refusal is said at once.
    fn in_both(&self, id: String, fault: Fault) {
        let edit = Edit::Fault { id: id.clone(), fault };
        let checked = self
            .paired
            .with_value(|p| p.as_ref().map(|(a, b)| refusal(a, b, &edit)))
            .unwrap_or_else(|| Err("run a comparison first".into()));
        match checked {
            Ok(()) => {
                self.message.set(None);
                self.tell(Job::InBoth { id, fault });
            }
            Err(e) => self.message.set(Some((format!("Cannot {} {id} in both: {e}", fault_verb(fault)), true))),
        }
    }

    /// Reads a file for `side`; a file that cannot be read or is not a
    /// design changes nothing and says why.
    fn open_file(&self, side: Side, file: web_sys::File) {
        let ui = *self;
        leptos::task::spawn_local(async move {
            let name = file.name();
            let letter = side.letter();
            let text = match storage::read_file_text(file).await {
                Ok(t) => t,
                Err(e) => return ui.message.set(Some((format!("{e}; design {letter} is unchanged"), true))),
            };
            match Scenario::from_json(&text) {
                Ok(s) => {
                    ui.choice(side).set(Choice { source: Source::File, file: Some((name.clone(), s)) });
                    ui.message.set(Some((format!("Design {letter} is now \"{name}\": press Run to compare"), false)));
                }
                Err(e) => ui.message.set(Some((
                    format!("\"{name}\" is not a Scale Lab design: {e}; design {letter} is unchanged"),
                    true,
                ))),
            }
        });
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn previous_step_label(n: u32) -> String {
    format!("lesson {}'s design at lesson {n}'s traffic", n.saturating_sub(1))
}

/// What can be failed in both: the nodes both designs have (users cannot
/// fail), then the data centers both have.
fn common_targets(a: &Scenario, b: &Scenario) -> Vec<String> {
    let nodes = a
        .nodes
        .iter()
        .filter(|n| !matches!(n.spec, NodeSpec::Users(_)) && b.node_index(&n.id).is_some())
        .map(|n| n.id.clone());
    let dcs = a.data_centers.iter().filter(|d| b.data_center(&d.id).is_some()).map(|d| d.id.clone());
    nodes.chain(dcs).collect()
}

fn fault_verb(f: Fault) -> &'static str {
    match f {
        Fault::Fail => "fail",
        Fault::Recover => "recover",
        Fault::Slow { .. } => "slow down",
        Fault::Flush => "flush",
        Fault::Partition => "partition",
        Fault::Heal => "heal",
        Fault::Errors { .. } => "inject errors at",
        Fault::Spike { .. } => "spike the latency of",
    }
}

/// "at 90 s: slow down photo-workers (5×)".
fn fault_text(f: &ScheduledFault) -> String {
    let what = match (f.fault, &f.with) {
        (Fault::Partition, Some(w)) => format!("cut the network between {} and {w}", f.node),
        (Fault::Heal, Some(w)) => format!("restore the network between {} and {w}", f.node),
        (Fault::Slow { factor }, _) => format!("slow down {} ({}×)", f.node, setting(factor)),
        (Fault::Errors { share }, _) => format!("fail {}% of the requests at {}", setting(share * 100.0), f.node),
        (Fault::Spike { factor, duration_s }, _) => {
            format!("slow down {} ({}× for {})", f.node, setting(factor), seconds(duration_s))
        }
        (fault, _) => format!("{} {}", fault_verb(fault), f.node),
    };
    format!("at {}: {what}", seconds(f.at_s))
}

/// The autosaved versions, labelled with the time they were saved.
fn read_autosaves() -> Vec<Saved> {
    storage::autosaved_versions()
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let scenario = Scenario::from_json(&v.json).ok();
            let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(v.saved_at_ms as f64));
            let time = format!("{:02}:{:02}:{:02}", when.get_hours(), when.get_minutes(), when.get_seconds());
            let name = scenario.as_ref().and_then(|s| s.name.clone()).map(|n| format!(" · {n}")).unwrap_or_default();
            let label = if scenario.is_some() {
                format!("Autosaved {time}{name}")
            } else {
                format!("Autosaved {time} (no longer readable)")
            };
            Saved { saved_at_ms: v.saved_at_ms, label, scenario }
        })
        .collect()
}

/// The "Compare" button of the top bar.
#[component]
pub fn CompareButton() -> impl IntoView {
    let Some(ui) = use_compare() else { return ().into_any() };
    view! {
        <button data-testid="compare-button" class="compare-button" aria-haspopup="dialog"
            aria-expanded=move || ui.shown.get().to_string()
            title="Run two designs side by side on the very same requests"
            on:click=move |_| if ui.shown.get_untracked() { ui.shown.set(false) } else { ui.open() }>
            "Compare"
        </button>
    }
    .into_any()
}

/// "Compare with the previous step", for lesson `n` (2 and up).
#[component]
pub fn ComparePreviousButton(n: u32) -> impl IntoView {
    let Some(ui) = use_context::<CompareUi>() else { return ().into_any() };
    view! {
        <p class="lesson-compare">
            <button data-testid="lesson-compare" title=format!("Run {} and your design side by side on the very same requests", previous_step_label(n))
                on:click=move |_| ui.compare_with_previous_step(n)>
                "Compare with the previous step"
            </button>
        </p>
    }
    .into_any()
}

/// The comparison dialog (shown while [`CompareUi::shown`]); the comparison
/// runs only while it is shown.
#[component]
pub fn ComparePanel() -> impl IntoView {
    let Some(ui) = use_compare() else { return ().into_any() };
    Effect::new(move |was: Option<bool>| {
        let shown = ui.shown.get();
        if was.is_some_and(|w| w != shown) {
            ui.tell_clock();
        }
        shown
    });
    let close = move || ui.shown.set(false);
    let state = move || match (
        ui.info.with(Option::is_some),
        ui.reading.with(|r| r.as_ref().is_some_and(|r| r.finished)),
        ui.playing.get(),
    ) {
        (false, _, _) => "idle",
        (true, true, _) => "finished",
        (true, false, true) => "running",
        (true, false, false) => "paused",
    };
    let heading = NodeRef::<html::H2>::new();
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
    view! {
        <Show when=move || ui.shown.get()>
            <div class="dialog-backdrop compare-backdrop" on:click=move |_| close()>
                <div class="dialog compare-dialog" role="dialog" aria-modal="true" aria-labelledby="compare-title"
                    data-testid="compare-panel" data-state=state
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev| {
                        // The page's shortcuts (Delete, C, arrows...) act on the
                        // diagram, which is not what this dialog's keys are for.
                        ev.stop_propagation();
                        if ev.key() == "Escape" { close() }
                    }>
                    <div class="compare-head">
                        <h2 id="compare-title" tabindex="-1" node_ref=heading>"Compare two designs"</h2>
                        <p class="muted">"Both run on the very same requests, with the same faults at the same times."</p>
                        <button class="compare-close" data-testid="compare-close" aria-label="Close the comparison" on:click=move |_| close()>"×"</button>
                    </div>
                    <div class="compare-setup">
                        <Chooser ui=ui side=Side::A />
                        <Chooser ui=ui side=Side::B />
                        <button class="primary compare-run" data-testid="compare-run" on:click=move |_| ui.start()>
                            {move || if ui.info.with(Option::is_some) { "Run again" } else { "Run" }}
                        </button>
                    </div>
                    {move || ui.message.get().map(|(text, error)| view! {
                        <p class="compare-message" class:error=error data-testid="compare-message" data-error=error.to_string()
                            role=if error { "alert" } else { "status" }>{text}</p>
                    })}
                    {move || ui.info.get().map(|info| view! { <Running ui=ui info=info /> })}
                </div>
            </div>
        </Show>
    }
    .into_any()
}

/// A side's design picker: a list of sources and a file button.
#[component]
fn Chooser(ui: CompareUi, side: Side) -> impl IntoView {
    let choice = ui.choice(side);
    let input = NodeRef::<html::Input>::new();
    let id = side.id();
    let open_lesson = use_context::<OpenLesson>();
    // The options: the current design, the autosaves, the lessons, the
    // previous step of the open lesson (or of the one chosen), the file.
    let options = move || {
        let mut opts: Vec<(String, String)> = vec![(Source::Current.value(), "Current design".into())];
        ui.autosaves.with(|l| {
            for s in l {
                opts.push((Source::Autosave(s.saved_at_ms).value(), s.label.clone()));
            }
        });
        let mut steps: Vec<u32> = open_lesson.and_then(|o| o.0.get()).filter(|n| *n > 1).into_iter().collect();
        for c in [ui.a.get(), ui.b.get()] {
            if let Source::PreviousStep(n) = c.source {
                steps.push(n);
            }
        }
        scalelab_engine::order::sort_by_u64(&mut steps, |&n| u64::from(n));
        steps.dedup();
        for n in steps {
            opts.push((Source::PreviousStep(n).value(), capitalised(&previous_step_label(n))));
        }
        for n in 1..=lessons::COUNT as u32 {
            let title = lessons::text(n).map(|t| t.title.clone()).unwrap_or_default();
            opts.push((Source::Lesson(n).value(), format!("Lesson {n}: {title}")));
        }
        if let Some((name, _)) = choice.with(|c| c.file.clone()) {
            opts.push((Source::File.value(), format!("File: {name}")));
        }
        opts
    };
    view! {
        <div class=format!("compare-chooser side-{id}")>
            <label>
                <span class="side-tag">{format!("Design {}", side.letter())}</span>
                <select data-testid=format!("compare-{id}-source")
                    prop:value=move || choice.with(|c| c.source.value())
                    on:change=move |ev| {
                        if let Some(s) = Source::from_value(&event_target_value(&ev)) {
                            choice.update(|c| c.source = s);
                        }
                    }>
                    {move || {
                        let selected = choice.with(|c| c.source.value());
                        options().into_iter().map(|(value, label)| {
                            let sel = value == selected;
                            view! { <option value=value selected=sel>{label}</option> }
                        }).collect_view()
                    }}
                </select>
            </label>
            <button data-testid=format!("compare-{id}-open") title=format!("Open a design saved as a .json file as design {}", side.letter())
                on:click=move |_| if let Some(i) = input.get_untracked() { i.click() }>"Open file…"</button>
            <input type="file" accept=".json,application/json" class="sr-only" tabindex="-1" aria-hidden="true"
                data-testid=format!("compare-{id}-file") node_ref=input
                on:change=move |ev| {
                    let el: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = el.files().and_then(|f| f.get(0)) {
                        ui.open_file(side, file);
                    }
                    // Choosing the same file again must fire another change.
                    el.set_value("");
                } />
        </div>
    }
}

/// The running comparison: what the pairing changed, the controls, the results.
#[component]
fn Running(ui: CompareUi, info: RunInfo) -> impl IntoView {
    let target = RwSignal::new(
        info.common.iter().find(|id| is_database(ui, id)).or(info.common.first()).cloned().unwrap_or_default(),
    );
    let changed = !info.notes.is_empty();
    let notes = if info.notes.is_empty() {
        vec!["B already had A's seed, traffic and run length: nothing was changed.".to_string()]
    } else {
        info.notes.clone()
    };
    let mut scheduled = Vec::new();
    if !info.scheduled.is_empty() {
        scheduled.push(format!("Scheduled faults, in both: {}.", info.scheduled.join("; ")));
    }
    if !info.a_only.is_empty() {
        scheduled.push(format!("Only in A (B has nothing they name): {}.", info.a_only.join("; ")));
    }
    if scheduled.is_empty() {
        scheduled.push("A has no scheduled faults.".to_string());
    }
    let scheduled = scheduled.join(" ");
    let common = info.common.clone();
    let has_targets = !common.is_empty();
    view! {
        <section class="compare-pairing" aria-label="How the designs were paired">
            <p class="compare-what">
                <span class="side-tag side-a">"A"</span>{info.a_label.clone()}
                <span class="vs">"vs"</span>
                <span class="side-tag side-b">"B"</span>{info.b_label.clone()}
                <span class="muted">{format!(" · seed {} · {}, statistics after {}", info.seed, seconds(info.duration_s), seconds(info.warmup_s))}</span>
            </p>
            <div class="compare-notes" data-testid="compare-notes">
                {changed.then(|| view! { <span class="muted">"Changed in B so that both get the same requests:"</span> })}
                <ul>{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            </div>
            <p class="compare-scheduled muted" data-testid="compare-scheduled">{scheduled}</p>
        </section>
        <div class="compare-controls" role="toolbar" aria-label="Comparison run">
            <button class="primary" data-testid="compare-play" aria-pressed=move || ui.playing.get().to_string()
                disabled=move || ui.reading.with(|r| r.as_ref().is_some_and(|r| r.finished))
                on:click=move |_| ui.set_playing(!ui.playing.get_untracked())>
                {move || if ui.playing.get() { "Pause" } else { "Play" }}
            </button>
            <label class="inline">
                <span>"Speed"</span>
                <select data-testid="compare-speed" on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() { ui.set_speed(v) }
                }>
                    {SPEEDS.iter().map(|s| view! { <option value=s.to_string() selected=*s == ui.speed.get_untracked()>{format!("{s}×")}</option> }).collect_view()}
                </select>
            </label>
            <span class="clock" data-testid="compare-time">{move || ui.reading.with(|r| match r {
                Some(r) => format!("t = {:.1} s of {}", r.a.now_s, seconds(r.end_s)),
                None => "t = 0.0 s".into(),
            })}</span>
            <Show when=move || ui.reading.with(|r| r.as_ref().is_some_and(|r| r.behind && !r.finished))>
                <span class="behind" role="status">"slower than asked"</span>
            </Show>
            <span class="compare-fault" hidden=!has_targets>
                <label class="inline">
                    <span>"In both"</span>
                    <select data-testid="compare-fail-target" aria-label="Node or data center to fail in both"
                        on:change=move |ev| target.set(event_target_value(&ev))>
                        {common.iter().map(|id| {
                            let sel = *id == target.get_untracked();
                            view! { <option value=id.clone() selected=sel>{id.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button class="danger" data-testid="compare-fail" on:click=move |_| ui.in_both(target.get_untracked(), Fault::Fail)>"Fail in both"</button>
                <button data-testid="compare-recover" on:click=move |_| ui.in_both(target.get_untracked(), Fault::Recover)>"Recover in both"</button>
            </span>
        </div>
        {move || ui.reading.with(|r| r.as_ref().filter(|r| !r.applied.is_empty()).map(|r| view! {
            <ul class="compare-fault-log" data-testid="compare-fault-log" aria-label="Faults applied to both">
                {r.applied.iter().map(|f| view! { <li>{applied_text(f)}</li> }).collect_view()}
            </ul>
        }))}
        <Results reading=ui.reading info=info />
    }
}

fn is_database(ui: CompareUi, id: &str) -> bool {
    ui.paired.with_value(|p| {
        p.as_ref()
            .is_some_and(|(a, _)| a.node_index(id).is_some_and(|i| matches!(a.nodes[i].spec, NodeSpec::Database(_))))
    })
}
