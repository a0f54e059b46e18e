//! The lesson panel: the list of the sixteen lessons (ticks for completed
//! ones), of the overload examples and of the blueprints, and the open lesson, example or blueprint — its text, what changed since the step before,
//! things to try, the goal with the engine's live verdict, and a before/after
//! table measured by background trials.
//!
//! Which lesson is open is [`OpenLesson`]. A lesson stays open while the
//! design running carries its goal (edits keep it: any design that meets the
//! goal passes); loading something else (New, Open…, Undo past the lesson)
//! closes it. The goal status is `Live::goal`, read from the engine; this
//! module only shows it, and records a lesson as completed when it is met.
//!
//! Stable selectors for tests: `lessons-button`, `lesson-panel`,
//! `lesson-list`, `lesson-item-N` (with `data-completed`), `lesson-title`,
//! `lesson-goal`, `goal-check` (each row, `data-passing="true|false"`),
//! `goal-drill` (`data-state="not_tried|running|passed|failed"`), `goal-met`,
//! `before-after` (`data-state="measuring|done"`, cells `ba-before`,
//! `ba-after`), `lesson-prev`, `lesson-next`, `lesson-all`, `lesson-close`,
//! `lesson-restart`, `lesson-changes`; for the examples (`?example=NAME`, or
//! the list's second part) `example-list`, `example-item-NAME` and `example`
//! (the open example's article, with `lesson-title` and `lesson-goal`); the
//! same for the blueprints (`?blueprint=NAME`): `blueprint-list`,
//! `blueprint-item-NAME`, `blueprint`; `gallery-open` opens the gallery.

use crate::base::page::{OpenLesson, PageOptions};
use crate::editor::Editor;
use crate::keeping::progress::{self, Progress};
use crate::lessons;
use crate::lessons::markdown;
use crate::lessons::shelf::{self, Design};
use crate::run::worker::JobWorker;
use crate::state::Live;
use leptos::prelude::*;
use scalelab_engine::before_after::{self, Row};
use scalelab_engine::goal::{DrillState, GoalStatus};
use scalelab_engine::job::{Job, Reply};
use std::collections::HashMap;

/// What the panel and the top bar share.
#[derive(Clone, Copy)]
pub struct LessonsUi {
    pub open: OpenLesson,
    /// The panel is visible.
    pub shown: RwSignal<bool>,
    /// The panel shows the list rather than the open lesson.
    pub listing: RwSignal<bool>,
    pub progress: RwSignal<Progress>,
    /// The built-in design open (an example or a blueprint), if any: shown
    /// like a lesson, without a place in the journey. At most one of a lesson
    /// and a built-in design is open.
    pub design: RwSignal<Option<Design>>,
    /// The gallery of blueprints and examples is shown.
    pub gallery: RwSignal<bool>,
    /// The user was told progress cannot be stored (it lives for this visit only).
    said_blocked: StoredValue<bool>,
    /// Whether this module must say so itself: in an embedded page there is
    /// no autosave whose message already says it.
    say_blocked: bool,
    editor: Editor,
    /// Bumped to ask the page to fit the diagram to its new size or design.
    pub fit: RwSignal<u64>,
}

/// Sets up lessons for the page: provides [`OpenLesson`] and [`LessonsUi`],
/// opens the lesson the address asks for (the design was chosen by
/// `keeping`), or the one open last if the design restored is that lesson's.
pub fn use_lessons(editor: Editor, live: Live, options: &PageOptions) -> LessonsUi {
    let stored = progress::load().unwrap_or_default();
    let doc_lesson = editor.doc.with_untracked(lessons::lesson_with_goal);
    let first = match options.lesson {
        Some(n) if lessons::source(n).is_some() => Some(n),
        _ => stored.last.filter(|n| Some(*n) == doc_lesson),
    };
    // `?example=NAME` or `?blueprint=NAME` opened that design (see
    // `keeping`), unless a lesson was asked for too, or a share link won.
    let example = match (first, shelf::asked(options)) {
        (None, Some(Ok(asked))) => editor.doc.with_untracked(shelf::with_goal).filter(|&d| d == asked),
        _ => None,
    };
    let ui = LessonsUi {
        open: OpenLesson(RwSignal::new(first)),
        shown: RwSignal::new(first.is_some() || example.is_some()),
        listing: RwSignal::new(false),
        progress: RwSignal::new(stored),
        design: RwSignal::new(example),
        gallery: RwSignal::new(false),
        said_blocked: StoredValue::new(false),
        say_blocked: options.embed,
        editor,
        fit: RwSignal::new(0),
    };
    provide_context(ui.open);
    provide_context(ui);
    if first.is_some() {
        ui.remember_open(first);
    }

    // A design without the open lesson's goal closes the lesson.
    Effect::new(move |_| {
        let Some(n) = ui.open.0.get() else { return };
        let same = editor.doc.with(|d| d.goal.as_ref() == lessons::scenario(n).and_then(|s| s.goal.as_ref()));
        if !same {
            ui.open.0.set(None);
            ui.remember_open(None);
        }
    });
    // Nor does an example or a blueprint stay open over a design without its goal.
    Effect::new(move |_| {
        let Some(open) = ui.design.get() else { return };
        let same = editor.doc.with(|d| d.goal.as_ref() == open.scenario().and_then(|s| s.goal.as_ref()));
        if !same {
            ui.design.set(None);
        }
    });
    // The goal met while a lesson is open completes that lesson.
    Effect::new(move |_| {
        let met = live.goal.with(|g| g.as_ref().is_some_and(GoalStatus::met));
        let Some(n) = ui.open.0.get_untracked() else { return };
        if met && !ui.progress.with_untracked(|p| p.completed.contains(&n)) {
            ui.progress.update(|p| {
                p.completed.insert(n);
            });
            ui.persist();
        }
    });
    ui
}

impl LessonsUi {
    fn remember_open(&self, n: Option<u32>) {
        if self.progress.with_untracked(|p| p.last != n) {
            self.progress.update(|p| p.last = n);
            self.persist();
        }
    }

    /// Stores the progress; when the browser refuses, says so once (in an
    /// embedded page; elsewhere the autosave's message already said it).
    fn persist(&self) {
        if progress::save(&self.progress.get_untracked()).is_err() && self.say_blocked && !self.said_blocked.get_value()
        {
            self.said_blocked.set_value(true);
            add_note(self.editor, BLOCKED);
        }
    }

    /// Shows the panel or hides it.
    pub fn show(&self, shown: bool) {
        self.shown.set(shown);
        self.refit();
    }

    fn refit(&self) {
        self.fit.update(|f| *f += 1);
    }

    /// Loads lesson `n`'s design and opens its text.
    pub fn open_lesson(&self, editor: Editor, live: Live, n: u32) {
        let (Some(s), Some(t)) = (lessons::scenario(n), lessons::text(n)) else { return };
        let undo = if editor.read_only.get_untracked() { "" } else { " (Undo brings back the previous diagram)" };
        editor.load(s.clone(), &format!("Lesson {n}: {}{undo}", t.title));
        // The last status was another design's.
        live.goal.set(None);
        self.design.set(None);
        self.open.0.set(Some(n));
        self.listing.set(false);
        self.shown.set(true);
        self.remember_open(Some(n));
        self.refit();
    }
}

impl LessonsUi {
    /// Loads a built-in design (an example or a blueprint) and opens its note.
    pub fn open_design(&self, editor: Editor, live: Live, design: Design) {
        let (Some(s), Some(t)) = (design.scenario(), design.text()) else { return };
        let undo = if editor.read_only.get_untracked() { "" } else { " (Undo brings back the previous diagram)" };
        let what = design.shelf.what;
        let what = what[..1].to_ascii_uppercase() + &what[1..];
        editor.load(s.clone(), &format!("{what}: {}{undo}", t.title));
        live.goal.set(None);
        self.open.0.set(None);
        self.remember_open(None);
        self.gallery.set(false);
        self.design.set(Some(design));
        self.listing.set(false);
        self.shown.set(true);
        self.refit();
    }
}

const BLOCKED: &str = "Lesson progress will not be remembered: this browser does not let the page store data here";

/// Adds `text` to the notice on screen (one notice, not two), or shows it.
fn add_note(editor: Editor, text: &str) {
    match editor.notice.get_untracked() {
        Some(n) if !n.text.contains(text) => {
            let joined = format!("{}. {text}", n.text.trim_end_matches('.'));
            if n.error {
                editor.refuse(joined);
            } else {
                editor.say(joined);
            }
        }
        Some(_) => {}
        None => editor.say(text),
    }
}

/// The "Lessons" button of the top bar.
#[component]
pub fn LessonsButton() -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    view! {
        <button data-testid="lessons-button" class="lessons-button" aria-controls="lesson-panel"
            aria-expanded=move || ui.shown.get().to_string()
            title="The guided journey from one user to millions"
            on:click=move |_| ui.show(!ui.shown.get_untracked())>
            "Lessons"
        </button>
    }
}

/// The panel (shown while [`LessonsUi::shown`]).
#[component]
pub fn LessonPanel() -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let table = use_before_after(ui);
    // The lesson on show: the open one, unless the list was asked for.
    let showing = Memo::new(move |_| if ui.listing.get() { None } else { ui.open.0.get() });
    let example = Memo::new(move |_| if ui.listing.get() { None } else { ui.design.get() });
    view! {
        <Show when=move || ui.shown.get()>
            <aside id="lesson-panel" class="lesson-panel" data-testid="lesson-panel" aria-label="Lessons">
                <div class="lesson-bar">
                    {move || (showing.get().is_none() && example.get().is_none()).then(|| view! { <span class="lesson-bar-title">"Lessons"</span> })}
                    {move || example.get().map(|_| view! {
                        <button data-testid="lesson-all" on:click=move |_| ui.listing.set(true)>"All lessons"</button>
                    })}
                    {move || showing.get().map(|n| view! {
                        <button data-testid="lesson-all" on:click=move |_| ui.listing.set(true)>"All lessons"</button>
                        <button data-testid="lesson-prev" disabled={n <= 1} aria-label="Previous lesson"
                            on:click=move |_| ui.open_lesson(editor, live, n - 1)>"‹ Prev"</button>
                        <button data-testid="lesson-next" disabled={n >= lessons::COUNT as u32} aria-label="Next lesson"
                            on:click=move |_| ui.open_lesson(editor, live, n + 1)>"Next ›"</button>
                    })}
                    <button class="lesson-close" data-testid="lesson-close" aria-label="Close the lessons" title="Close (the lesson stays open)"
                        on:click=move |_| ui.show(false)>"×"</button>
                </div>
                <div class="lesson-body">
                    {move || match (showing.get(), example.get()) {
                        (Some(n), _) => view! { <LessonView n=n table=table /> }.into_any(),
                        (None, Some(design)) => view! { <DesignView design=design /> }.into_any(),
                        (None, None) => view! { <LessonList /> }.into_any(),
                    }}
                </div>
            </aside>
        </Show>
    }
}

#[component]
fn LessonList() -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let done = move |n: u32| ui.progress.with(|p| p.completed.contains(&n));
    view! {
        <p class="lesson-intro">"From one user to millions, one step at a time. Each lesson loads a design, explains it and sets a goal the simulation checks."</p>
        <p class="muted lesson-count">{move || format!("{} of {} completed", ui.progress.with(|p| p.completed.len()), lessons::COUNT)}</p>
        <ol class="lesson-list" data-testid="lesson-list">
            {(1..=lessons::COUNT as u32).map(|n| {
                let title = lessons::text(n).map(|t| t.title.clone()).unwrap_or_default();
                view! {
                    <li>
                        <button class="lesson-item" data-testid=format!("lesson-item-{n}")
                            data-completed=move || done(n).to_string()
                            aria-current=move || (ui.open.0.get() == Some(n)).then_some("true")
                            on:click=move |_| {
                                if ui.open.0.get_untracked() == Some(n) {
                                    // Already open: show it, keep the work on it.
                                    ui.listing.set(false);
                                } else {
                                    ui.open_lesson(editor, live, n);
                                }
                            }>
                            <span class="lesson-num">{format!("{n}.")}</span>
                            <span class="lesson-name">{title}</span>
                            <span class="tick" aria-hidden="true">{move || if done(n) { "✓" } else { "" }}</span>
                            <span class="sr-only">{move || if done(n) { " (completed)" } else { "" }}</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ol>
        <h3 class="lesson-examples-title">"When systems fail under load"</h3>
        <p class="muted">"Examples, one failure each: what goes wrong, and what fixes it."</p>
        <DesignList shelf=&crate::lessons::examples::SHELF test_id="example-list" />
        <h3 class="lesson-examples-title">"Blueprints of real systems"</h3>
        <p class="muted">"Designs of systems you know, each with its numbers, its bottleneck and a goal."</p>
        <DesignList shelf=&crate::lessons::blueprints::SHELF test_id="blueprint-list" />
        <p class="lesson-gallery-link">
            <button data-testid="gallery-open" aria-haspopup="dialog" on:click=move |_| ui.gallery.set(true)>"Gallery: every blueprint and example, with its picture"</button>
        </p>
    }
}

/// The designs of one shelf, one button each (`example-item-NAME`, `blueprint-item-NAME`).
#[component]
fn DesignList(shelf: &'static shelf::Shelf, test_id: &'static str) -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    view! {
        <ul class="lesson-list" data-testid=test_id>
            {shelf.designs().map(|d| {
                view! {
                    <li>
                        <button class="lesson-item" data-testid=format!("{}-item-{}", shelf.what, d.name)
                            aria-current=move || (ui.design.get() == Some(d)).then_some("true")
                            on:click=move |_| {
                                if ui.design.get_untracked() == Some(d) {
                                    ui.listing.set(false);
                                } else {
                                    ui.open_design(editor, live, d);
                                }
                            }>
                            <span class="lesson-name">{d.title()}</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// An open example or blueprint: its note, things to try and goal, with the
/// engine's verdict (they are not part of the journey's progress).
#[component]
fn DesignView(design: Design) -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let Some(text) = design.text() else { return ().into_any() };
    let what = design.shelf.what;
    view! {
        <article class="lesson" data-testid=what data-name=design.name>
            <h2 data-testid="lesson-title">{text.title.clone()}</h2>
            <div class="lesson-text" data-testid="lesson-text">{markdown::blocks_view(&text.explanation, 2)}</div>
            <section class="lesson-try">
                <h3>"Try this"</h3>
                <ul>{text.try_this.iter().map(|i| view! { <li>{markdown::inline_view(i)}</li> }).collect_view()}</ul>
            </section>
            <section class="lesson-goal" data-testid="lesson-goal">
                <h3>"Goal"</h3>
                <div class="goal-text">{markdown::blocks_view(&text.goal, 2)}</div>
                <GoalStatusView />
            </section>
            <p class="lesson-actions">
                <button data-testid="lesson-restart" title=format!("Load this {what}'s design again (Undo brings yours back)")
                    on:click=move |_| ui.open_design(editor, live, design)>{format!("Start this {what} over")}</button>
            </p>
        </article>
    }
    .into_any()
}

#[component]
fn LessonView(n: u32, table: RwSignal<Option<TableView>>) -> impl IntoView {
    let ui = expect_context::<LessonsUi>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let Some(text) = lessons::text(n) else { return ().into_any() };
    let changes = (n > 1)
        .then(|| {
            lessons::scenario(n - 1).zip(lessons::scenario(n)).map(|(a, b)| crate::lessons::changes::changes(a, b))
        })
        .flatten();
    let completed = move || ui.progress.with(|p| p.completed.contains(&n));
    view! {
        <article class="lesson">
            <h2 data-testid="lesson-title">{format!("{n}. {}", text.title)}</h2>
            <Show when=completed>
                <p class="lesson-done">"✓ Completed"</p>
            </Show>
            <div class="lesson-text" data-testid="lesson-text">{markdown::blocks_view(&text.explanation, 2)}</div>
            {changes.map(|lines| view! {
                <section class="lesson-changes" data-testid="lesson-changes">
                    <h3>{format!("What changed from step {}", n - 1)}</h3>
                    <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                </section>
            })}
            <section class="lesson-try">
                <h3>"Try this"</h3>
                <ul>{text.try_this.iter().map(|i| view! { <li>{markdown::inline_view(i)}</li> }).collect_view()}</ul>
            </section>
            <section class="lesson-goal" data-testid="lesson-goal">
                <h3>"Goal"</h3>
                <div class="goal-text">{markdown::blocks_view(&text.goal, 2)}</div>
                <GoalStatusView />
            </section>
            {(n > 1).then(|| view! { <BeforeAfterTable n=n table=table /> })}
            {(n > 1).then(|| view! { <crate::panels::compare_panel::ComparePreviousButton n=n /> })}
            <p class="lesson-actions">
                <button data-testid="lesson-restart" title="Load this lesson's design again (Undo brings yours back)"
                    on:click=move |_| ui.open_lesson(editor, live, n)>"Start this lesson over"</button>
            </p>
        </article>
    }
    .into_any()
}

fn drill_state(s: DrillState) -> (&'static str, &'static str) {
    match s {
        DrillState::NotTried => ("not_tried", "not tried"),
        DrillState::Running => ("running", "running"),
        DrillState::Passed => ("passed", "passed"),
        DrillState::Failed => ("failed", "failed"),
    }
}

/// The engine's verdict on the running design, as it stands.
#[component]
fn GoalStatusView() -> impl IntoView {
    let live = expect_context::<Live>();
    move || {
        live.goal.with(|g| match g {
            None => view! { <p class="muted goal-wait">"Waiting for the first numbers…"</p> }.into_any(),
            Some(g) => {
                let met = g.met_at_s.map(|t| view! {
                    <p class="goal-met" data-testid="goal-met" role="status">{format!("✓ Goal met at t = {t} s")}</p>
                });
                let held = if g.checks_met {
                    if g.drills.iter().all(|d| d.state == DrillState::Passed) { String::new() } else { "Checks met; now the drills.".to_string() }
                } else {
                    format!("Checks held together: {} of {} s", g.held_s, g.hold_s)
                };
                view! {
                    {met}
                    <ul class="goal-checks" aria-label="Checks">
                        {g.checks.iter().map(|c| view! {
                            <li data-testid="goal-check" data-passing=c.passing.to_string() class:passing=c.passing>
                                <span class="mark" aria-hidden="true">{if c.passing { "✓" } else { "✗" }}</span>
                                <span class="goal-label">{c.label.clone()}</span>
                                <span class="goal-value">{c.value_text.clone()}</span>
                                <span class="sr-only">{if c.passing { "passing" } else { "not passing" }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {(!held.is_empty()).then(|| view! { <p class="muted goal-held">{held}</p> })}
                    {(!g.drills.is_empty()).then(|| view! {
                        <ul class="goal-drills" aria-label="Drills">
                            {g.drills.iter().map(|d| {
                                let (state, words) = drill_state(d.state);
                                view! {
                                    <li data-testid="goal-drill" data-state=state class=format!("drill {state}")>
                                        <span class="goal-label">{d.label.clone()}</span>
                                        <span class="drill-state">{words}</span>
                                        {(!d.detail.is_empty()).then(|| view! { <span class="drill-detail">{d.detail.clone()}</span> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                }
                .into_any()
            }
        })
    }
}

/// The before/after table as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct TableView {
    pub lesson: u32,
    pub fraction: f64,
    pub rows: Vec<Row>,
    pub done: bool,
    /// Why it could not be measured, in words.
    pub failed: Option<String>,
}

/// Measures the before/after table of the lesson on show in the engine's
/// worker and publishes it. A lesson's results are kept once measured (the
/// runs are deterministic); changing lessons stops a job under way.
fn use_before_after(ui: LessonsUi) -> RwSignal<Option<TableView>> {
    let table = RwSignal::new(None::<TableView>);
    let job = StoredValue::new_local(None::<(u32, JobWorker)>);
    let cache = StoredValue::new(HashMap::<u32, Vec<Row>>::new());
    // Checked each frame (cheap: it only starts a job when the lesson on show needs one).
    crate::run::frame_loop::use_frame_loop(move |_| {
        let Some(shown) = ui.shown.try_get_untracked() else { return };
        let wanted =
            if shown && !ui.listing.get_untracked() { ui.open.0.get_untracked().filter(|n| *n > 1) } else { None };
        let Some(n) = wanted else {
            return;
        };
        if let Some(rows) = cache.with_value(|c| c.get(&n).cloned()) {
            if table.with_untracked(|t| t.as_ref().map(|t| t.lesson) != Some(n)) {
                table.set(Some(TableView { lesson: n, fraction: 1.0, rows, done: true, failed: None }));
            }
            return;
        }
        let under_way = job.with_value(|j| j.as_ref().map(|(m, _)| *m)) == Some(n);
        let failed = table.with_untracked(|t| t.as_ref().is_some_and(|t| t.lesson == n && t.failed.is_some()));
        if under_way || failed {
            return;
        }
        let (Some(prev), Some(this)) = (lessons::scenario(n - 1), lessons::scenario(n)) else { return };
        // The rows' labels at once, their values once measured.
        let rows = before_after::pending_rows(this);
        table.set(Some(TableView { lesson: n, fraction: 0.0, rows, done: false, failed: None }));
        let hear = move |reply: Reply| match reply {
            Reply::Measuring { fraction } => {
                let moved = table.with_untracked(|v| {
                    v.as_ref()
                        .is_some_and(|v| v.lesson == n && (v.fraction * 100.0).floor() != (fraction * 100.0).floor())
                });
                if moved {
                    table.update(|v| {
                        if let Some(v) = v {
                            v.fraction = fraction;
                        }
                    });
                }
            }
            Reply::BeforeAfter { rows } => {
                job.set_value(None);
                cache.update_value(|c| {
                    c.insert(n, rows.clone());
                });
                table.set(Some(TableView { lesson: n, fraction: 1.0, rows, done: true, failed: None }));
            }
            Reply::Failed { message } => {
                job.set_value(None);
                table.update(|v| {
                    if let Some(v) = v.as_mut().filter(|v| v.lesson == n) {
                        v.failed = Some(message);
                    }
                });
            }
            _ => {}
        };
        match JobWorker::start(&Job::before_after(prev, this), hear) {
            Ok(worker) => job.set_value(Some((n, worker))),
            Err(message) => table.update(|v| {
                if let Some(v) = v {
                    v.failed = Some(message);
                }
            }),
        }
    });
    table
}

#[component]
fn BeforeAfterTable(n: u32, table: RwSignal<Option<TableView>>) -> impl IntoView {
    let mine = move || table.get().filter(|t| t.lesson == n);
    let cell = |c: Option<scalelab_engine::goal::CheckStatus>, id: &'static str| match c {
        Some(c) => view! {
            <td data-testid=id class:passing=c.passing class:failing=!c.passing>
                <span class="mark" aria-hidden="true">{if c.passing { "✓ " } else { "✗ " }}</span>{c.value_text}
            </td>
        }
        .into_any(),
        None => view! { <td data-testid=id class="unknown">"—"</td> }.into_any(),
    };
    view! {
        <section class="before-after" data-testid="before-after"
            data-state=move || if mine().is_some_and(|t| t.done) { "done" } else { "measuring" }>
            <h3>"Before and after"</h3>
            <p class="muted ba-note">{format!("Both designs at this step's traffic, measured by the simulation over {} s after the warm-up.", 2 * scalelab_engine::goal::WINDOW_S)}</p>
            {move || {
                let t = mine();
                let progress = match &t {
                    Some(TableView { failed: Some(why), .. }) => Some(format!("Could not be measured: {why}.")),
                    Some(t) if !t.done => Some(format!("Measuring… {:.0}%", t.fraction * 100.0)),
                    None => Some("Measuring… 0%".to_string()),
                    _ => None,
                };
                let rows = t.map(|t| t.rows).unwrap_or_default();
                view! {
                    {progress.map(|p| view! { <p class="ba-progress" data-testid="ba-progress">{p}</p> })}
                    <table>
                        <thead><tr>
                            <th scope="col">"Check"</th>
                            <th scope="col">{format!("Step {} design", n - 1)}</th>
                            <th scope="col">"This step's design"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <th scope="row">{r.label}</th>
                                    {cell(r.before, "ba-before")}
                                    {cell(r.after, "ba-after")}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            }}
        </section>
    }
}
