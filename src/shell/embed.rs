//! Embedding the playground in other pages: the embed code, the "Open in
//! Scale Lab" link, and the messages exchanged with a host page.
//!
//! Messages (`window.postMessage`, documented in the README):
//! - out, to the parent page when the playground runs in a frame: `ready` once
//!   the app is mounted, then `metrics` once a second while there are numbers;
//!   only to the parent's origin when the browser tells it (`parent_origin_from`)
//!   and it is allowed, else to each allowed origin (the browser drops the
//!   others). Never to "*". A parent known not to be allowed gets nothing,
//!   and the frame says so in a note (`OriginNote`).
//! - in: `load`, `play`, `pause`, `reset`, accepted only from the playground's
//!   own origin or an origin listed in the address (`?origin=`); everything
//!   else is ignored and counted (`data-ignored-messages` on the app's root).
//!   Each accepted message is answered with `ack` or `error`.
//!
//!
//! The embed dialog asks for the course page's address and lists its origin
//! in the frame's address (`embed_src`), so that page is allowed.
//!
//! The pure parts (the snippet, origin checks, message shapes) are tested
//! natively; the rest is the browser glue.

use crate::base::format;
use crate::base::page::{OpenLesson, PageOptions};
use crate::editor::Editor;
use crate::keeping;
use crate::keeping::storage;
use crate::state::Live;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::goal::{Goal, GoalStatus};
use scalelab_engine::{Scenario, Snapshot};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};

/// The `source` of every message the playground sends.
pub const SOURCE: &str = "scale-lab";
/// The version of the message shapes.
pub const VERSION: u32 = 1;
/// The iframe size the embed code asks for.
pub const FRAME_WIDTH: u32 = 900;
pub const FRAME_HEIGHT: u32 = 600;
/// How often metrics are sent, in wall-clock milliseconds.
const METRICS_EVERY_MS: u64 = 1000;

// ---- addresses and the embed code (pure) ----

/// The page's address without its query and fragment: `https://x.org/scale-lab/`.
pub fn page_base(href: &str) -> &str {
    let end = href.find(['?', '#']).unwrap_or(href.len());
    &href[..end]
}

/// What an embed shows besides the design: readers may edit it, the palette is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EmbedChoice {
    pub edit: bool,
    pub palette: bool,
}

/// The address of the full page for `lesson`, or else for the design `json`
/// (a share link). `Err(length)` when the link would be too long.
pub fn full_page_url(base: &str, lesson: Option<u32>, json: &str) -> Result<String, usize> {
    match lesson {
        Some(n) => Ok(format!("{base}?lesson={n}")),
        None => fitting(storage::share_url(base, json)),
    }
}

/// The address an iframe opens: `?lesson=N&embed=1` for a lesson, else
/// `?embed=1#s=<the design>`, with `&origin=` (encoded) when the host page's
/// origin is given, so that page is sent the frame's messages.
/// `Err(length)` when the link would be too long.
pub fn embed_src(
    base: &str,
    lesson: Option<u32>,
    json: &str,
    choice: EmbedChoice,
    origin: Option<&str>,
) -> Result<String, usize> {
    let mut query = match lesson {
        Some(n) => format!("?lesson={n}&embed=1"),
        None => "?embed=1".to_string(),
    };
    if choice.edit {
        query.push_str("&edit=1");
    }
    if choice.palette {
        query.push_str("&palette=1");
    }
    if let Some(origin) = origin {
        query.push_str("&origin=");
        query.push_str(&crate::base::page::encode(origin));
    }
    match lesson {
        Some(_) => Ok(format!("{base}{query}")),
        None => fitting(format!("{base}{query}#{}", storage::share_fragment(json))),
    }
}

fn fitting(url: String) -> Result<String, usize> {
    if storage::share_url_fits(&url) {
        Ok(url)
    } else {
        Err(url.chars().count())
    }
}

/// The frame's title (read out by screen readers): the lesson, else the design's name.
pub fn frame_title(lesson: Option<u32>, name: Option<&str>) -> String {
    match (lesson, name.map(str::trim).filter(|n| !n.is_empty())) {
        (Some(n), _) => format!("Scale Lab: lesson {n}"),
        (None, Some(name)) => format!("Scale Lab: {name}"),
        (None, None) => "Scale Lab: a web architecture, simulated".to_string(),
    }
}

/// Escapes text for an HTML attribute value in double (or single) quotes.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<iframe>` element to paste into a page.
pub fn embed_snippet(src: &str, title: &str, width: u32, height: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"{width}\" height=\"{height}\" loading=\"lazy\" allow=\"clipboard-write\" style=\"border: 1px solid #d5dbe5; border-radius: 8px; max-width: 100%;\"></iframe>",
        escape_attr(src),
        escape_attr(title)
    )
}

// ---- origins (pure) ----

/// Whether a message from `origin` is obeyed: the playground's own origin or
/// one listed in the address. Sandboxed frames and files (`null`) never are.
pub fn origin_allowed(origin: &str, own: &str, listed: &[String]) -> bool {
    if origin.is_empty() || origin == "null" {
        return false;
    }
    let origin = origin.to_ascii_lowercase();
    origin == own.to_ascii_lowercase() || listed.contains(&origin)
}

/// Where outgoing messages go: the parent's origin when the browser tells it
/// (`parent_origin_from`) and it is allowed (nothing when it is not),
/// else every allowed origin in turn.
pub fn post_targets(parent: Option<&str>, own: &str, listed: &[String]) -> Vec<String> {
    match parent {
        Some(p) if origin_allowed(p, own, listed) => vec![p.to_string()],
        Some(_) => Vec::new(),
        None => {
            let mut all = vec![own.to_string()];
            all.extend(listed.iter().filter(|o| o.as_str() != own).cloned());
            all
        }
    }
}

/// The parent page's origin: what the browser lists first in
/// `location.ancestorOrigins` (Chromium, Safari), else the origin of
/// `document.referrer`, which is the parent's address when a frame is first
/// loaded (Firefox has no `ancestorOrigins`). `None` when neither says.
pub fn parent_origin_from(ancestor: Option<&str>, referrer: &str) -> Option<String> {
    ancestor
        .and_then(crate::base::page::normalise_origin)
        .or_else(|| crate::base::page::origin_of_address(referrer).ok())
}

/// What the origin note inside a frame says when the page around it is not
/// allowed: why it hears nothing, and the fix.
pub fn origin_note_text(parent: &str) -> String {
    format!(
        "Host page {parent} is not listed, so it gets no progress messages: add origin={parent} to this frame's address."
    )
}

/// The messages a host page receives, in one sentence (said in the embed dialog;
/// the shapes are `ready_message`, `metrics_message`, `completion_message`,
/// `ack_message`, `error_message`).
pub const MESSAGES_SENT: &str = "The course page receives \"ready\" when the playground has loaded (with the lesson number and the design's name), \"metrics\" once a second while it runs (requests/s, error share, p50 and p99 latency, monthly cost, lost writes, firing alerts and, for a lesson, its goal's progress, where \"met\" turns true once the goal is reached), \"goal-met\" when the goal is reached (with the checks' figures and a link to the design that met it) and \"goal-lost\" when a change takes it back, and \"ack\" or \"error\" in answer to each load, play, pause or reset it sends.";

// ---- messages (pure) ----

/// What a host page asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Load(Box<Scenario>),
    Play,
    Pause,
    Reset,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Load(_) => "load",
            Command::Play => "play",
            Command::Pause => "pause",
            Command::Reset => "reset",
        }
    }
}

/// A message from an allowed origin, read.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// Not a message for us (not an object with a `type`, or one of ours): ignored.
    Ignore,
    Command(Command),
    /// Answered with `{type: "error", for, message}`.
    Refused {
        for_type: String,
        message: String,
    },
}

/// Reads a message's data (as JSON).
pub fn read_message(data: &Value) -> Incoming {
    let Some(kind) = data.get("type").and_then(Value::as_str) else { return Incoming::Ignore };
    if data.get("source").and_then(Value::as_str) == Some(SOURCE) {
        return Incoming::Ignore;
    }
    let refused = |message: String| Incoming::Refused { for_type: kind.to_string(), message };
    match kind {
        "play" => Incoming::Command(Command::Play),
        "pause" => Incoming::Command(Command::Pause),
        "reset" => Incoming::Command(Command::Reset),
        "load" => {
            let text = match data.get("scenario") {
                Some(Value::String(s)) => s.clone(),
                Some(v @ Value::Object(_)) => v.to_string(),
                Some(_) => return refused("\"scenario\" must be a scenario object or its JSON text".into()),
                None => return refused("a load message needs a \"scenario\"".into()),
            };
            if text.len() > storage::MAX_SCENARIO_BYTES {
                return refused(format!("the scenario is larger than {} MiB", storage::MAX_SCENARIO_BYTES >> 20));
            }
            match Scenario::from_json(&text) {
                Ok(s) => Incoming::Command(Command::Load(Box::new(s))),
                Err(e) => refused(format!("the scenario is not valid: {e}")),
            }
        }
        other => refused(format!("unknown message type \"{other}\" (known: load, play, pause, reset)")),
    }
}

pub fn ready_message(lesson: Option<u32>, name: Option<&str>) -> Value {
    json!({"source": SOURCE, "type": "ready", "version": VERSION, "lesson": lesson, "name": name})
}

pub fn ack_message(for_type: &str) -> Value {
    json!({"source": SOURCE, "type": "ack", "version": VERSION, "for": for_type})
}

pub fn error_message(for_type: &str, message: &str) -> Value {
    json!({"source": SOURCE, "type": "error", "version": VERSION, "for": for_type, "message": message})
}

/// Numbers rounded for the wire: finite, at most 4 decimals (`null` when unknown).
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e4).round() / 1e4)
    } else {
        Value::Null
    }
}

/// The latest numbers, as sent once a second.
pub fn metrics_message(s: &Snapshot, goal: Option<&GoalStatus>) -> Value {
    let goal = goal.map(|g| {
        json!({"met": g.met(), "met_at_s": g.met_at_s, "checks_met": g.checks_met, "held_s": g.held_s, "hold_s": g.hold_s})
    });
    // Rates and ratios over the page's live window (the last whole simulated
    // seconds, `window_s`); none before the first second has ended.
    let windowed = |v: f64| (s.span_s > 0.0).then(|| num(v));
    json!({
        "source": SOURCE,
        "type": "metrics",
        "version": VERSION,
        "t_s": num(s.now_s),
        "window_s": num(s.span_s),
        "sent_rps": windowed(s.sent_rps),
        "ok_rps": windowed(s.ok_rps),
        "error_ratio": windowed(s.error_ratio),
        "p50_ms": s.latency_p50_ms.map(num),
        "p99_ms": s.latency_p99_ms.map(num),
        "cost_per_month_usd": num(s.cost_per_month_usd),
        "lost_writes": s.lost_writes,
        "alerts_firing": s.alerts_firing,
        "goal": goal,
    })
}

// ---- completions (pure) ----

/// What the design on screen is, for a host page recording completions. A
/// built-in exercise opened by its own kind of address gets a variant here
/// and one arm in `exercise_fields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exercise {
    /// `?lesson=N`.
    Lesson(u32),
    /// `?example=NAME`.
    Example(String),
    /// `?blueprint=NAME`.
    Blueprint(String),
    /// Any other design with a goal: a teacher's own, in a link or sent with `load`.
    Design,
}

/// The message's fields that say which exercise: `lesson`, `example` and
/// `blueprint`, each null unless it is that kind.
fn exercise_fields(e: &Exercise) -> [(&'static str, Value); 3] {
    let (lesson, example, blueprint) = match e {
        Exercise::Lesson(n) => (json!(n), Value::Null, Value::Null),
        Exercise::Example(name) => (Value::Null, json!(name), Value::Null),
        Exercise::Blueprint(name) => (Value::Null, Value::Null, json!(name)),
        Exercise::Design => (Value::Null, Value::Null, Value::Null),
    };
    [("lesson", lesson), ("example", example), ("blueprint", blueprint)]
}

/// A turn of the goal, as the engine's verdict shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Turn {
    /// The goal of `exercise` was met at simulated second `met_at_s`.
    Met { exercise: Exercise, met_at_s: u64 },
    /// The goal met at `met_at_s` no longer is: the design changed (an
    /// edit, Undo, Reset, another design loaded), and the engine started it over.
    Lost { exercise: Exercise, met_at_s: u64 },
}

impl Turn {
    pub fn kind(&self) -> &'static str {
        match self {
            Turn::Met { .. } => "goal-met",
            Turn::Lost { .. } => "goal-lost",
        }
    }
}

/// Follows the engine's verdict (`GoalStatus::met_at_s`) from one look to the
/// next and says when it turns: `Met` once per meeting, `Lost` only after a
/// `Met`. A fault does not take a met goal back (the engine keeps it met until
/// the design changes: its drills fail nodes on purpose), so neither does this.
#[derive(Clone, Debug, Default)]
pub struct CompletionWatch {
    met: Option<(Exercise, u64)>,
}

impl CompletionWatch {
    /// The turns since the last look, given the exercise on screen and the goal's status now.
    pub fn observe(&mut self, exercise: &Exercise, goal: Option<&GoalStatus>) -> Vec<Turn> {
        let now = goal.and_then(|g| g.met_at_s).map(|t| (exercise.clone(), t));
        if now == self.met {
            return Vec::new();
        }
        let mut turns = Vec::new();
        if let Some((exercise, met_at_s)) = self.met.take() {
            turns.push(Turn::Lost { exercise, met_at_s });
        }
        if let Some((exercise, met_at_s)) = now.clone() {
            turns.push(Turn::Met { exercise, met_at_s });
        }
        self.met = now;
        turns
    }
}

/// The `goal-met` or `goal-lost` message: which exercise, when (`t_s`, the
/// simulated time the page saw the turn; `met_at_s`, the second the goal was
/// met; `at`, the wall clock as an ISO 8601 string), the engine's figures for
/// each check (its words, metric, value, the value in words, the bound, and
/// whether it passes) and drill, and `link`, a share link of the design on
/// screen (null when too long for a link).
#[allow(clippy::too_many_arguments)]
pub fn completion_message(
    turn: &Turn,
    name: Option<&str>,
    goal: Option<&Goal>,
    status: Option<&GoalStatus>,
    t_s: f64,
    at: &str,
    link: Option<&str>,
) -> Value {
    let (Turn::Met { exercise, met_at_s } | Turn::Lost { exercise, met_at_s }) = turn;
    let checks: Vec<Value> = status
        .map(|s| {
            s.checks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    // The status lists the goal's checks in order.
                    let spec = goal.and_then(|g| g.checks.get(i)).filter(|spec| spec.label() == c.label);
                    json!({
                        "name": c.label,
                        "metric": spec.map(|s| json!(s.metric)),
                        "value": c.value.map(num),
                        "value_text": c.value_text,
                        "below": spec.and_then(|s| s.below),
                        "above": spec.and_then(|s| s.above),
                        "passing": c.passing,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let drills: Vec<Value> = status
        .map(|s| s.drills.iter().map(|d| json!({"name": d.label, "state": d.state, "detail": d.detail})).collect())
        .unwrap_or_default();
    let mut m = json!({
        "source": SOURCE,
        "type": turn.kind(),
        "version": VERSION,
        "name": name,
        "t_s": num(t_s),
        "met_at_s": met_at_s,
        "at": at,
        "checks": checks,
        "drills": drills,
        "link": link,
    });
    for (key, value) in exercise_fields(exercise) {
        m[key] = value;
    }
    m
}

// ---- the browser side ----

fn to_js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

/// The parent window, when the page runs in a frame.
fn parent_window() -> Option<web_sys::Window> {
    let me = window();
    let parent = me.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &me)).then_some(parent)
}

/// The parent page's origin where the browser tells it (`parent_origin_from`).
fn parent_origin() -> Option<String> {
    let ancestor = js_sys::Reflect::get(&window().location(), &"ancestorOrigins".into())
        .ok()
        .filter(|list| !list.is_undefined() && !list.is_null())
        .and_then(|list| js_sys::Reflect::get(&list, &JsValue::from(0)).ok())
        .and_then(|o| o.as_string());
    let referrer = document().referrer();
    parent_origin_from(ancestor.as_deref(), &referrer)
}

/// Talks with the host page (see the module's comment). Returns the count of
/// ignored messages, shown on the app's root as `data-ignored-messages`.
pub fn use_host_messages(editor: Editor, live: Live, playing: RwSignal<bool>, options: &PageOptions) -> RwSignal<u32> {
    let ignored = RwSignal::new(0u32);
    let own = window().location().origin().unwrap_or_default();
    let listed = options.origins.clone();
    let open_lesson = use_context::<OpenLesson>();
    let lesson_now = move || open_lesson.and_then(|l| l.0.get_untracked());

    {
        let (own, listed) = (own.clone(), listed.clone());
        let handle = window_event_listener(leptos::ev::message, move |ev: web_sys::MessageEvent| {
            let origin = ev.origin();
            if !origin_allowed(&origin, &own, &listed) {
                ignored.update(|n| *n += 1);
                web_sys::console::info_1(
                    &format!("Scale Lab ignored a message from {origin}: that origin is not allowed (see ?origin=)")
                        .into(),
                );
                return;
            }
            let data = js_sys::JSON::stringify(&ev.data())
                .ok()
                .and_then(|s| s.as_string())
                .and_then(|s| serde_json::from_str::<Value>(&s).ok());
            let reply = |msg: Value| {
                if let Some(source) = ev.source() {
                    let target: web_sys::Window = source.unchecked_into();
                    let _ = target.post_message(&to_js(&msg), &origin);
                }
            };
            match data.as_ref().map(read_message).unwrap_or(Incoming::Ignore) {
                Incoming::Ignore => ignored.update(|n| *n += 1),
                Incoming::Refused { for_type, message } => reply(error_message(&for_type, &message)),
                Incoming::Command(command) => {
                    let name = command.name();
                    match command {
                        Command::Load(scenario) => {
                            // The host is the author: this works in a read-only frame too.
                            editor.load(*scenario, "Opened the design sent by the page around this playground");
                            if let Some(l) = open_lesson {
                                l.0.set(None);
                            }
                        }
                        Command::Play => playing.set(true),
                        Command::Pause => playing.set(false),
                        Command::Reset => editor.reset(),
                    }
                    reply(ack_message(name));
                }
            }
        });
        on_cleanup(move || handle.remove());
    }

    let Some(parent) = parent_window() else { return ignored };
    let targets = post_targets(parent_origin().as_deref(), &own, &listed);
    if targets.is_empty() {
        web_sys::console::info_1(&"Scale Lab: the page around this frame is not in the allowed origins (?origin=), so no messages are sent to it".into());
        return ignored;
    }
    let post = std::rc::Rc::new(move |msg: Value| {
        let js = to_js(&msg);
        for t in &targets {
            let _ = parent.post_message(&js, t);
        }
    });
    {
        let post = post.clone();
        // After the first render.
        set_timeout(
            move || {
                let name = editor.doc.try_with_untracked(|d| d.name.clone()).flatten();
                post(ready_message(lesson_now(), name.as_deref()));
            },
            std::time::Duration::ZERO,
        );
    }
    {
        // Completions: "goal-met" and "goal-lost" as the engine's verdict turns
        // (`CompletionWatch`), with its figures and a link to the design.
        let post = post.clone();
        let lessons = use_context::<crate::panels::lesson_panel::LessonsUi>();
        let watch = StoredValue::new(CompletionWatch::default());
        let base = here();
        Effect::new(move |_| {
            let Some(status) = live.goal.try_get() else { return };
            // Which exercise is read, not followed: a new one shows in the
            // verdict the next run publishes.
            let design = lessons.and_then(|l| l.design.try_get_untracked().flatten());
            let exercise = match (lesson_now(), design) {
                (Some(n), _) => Exercise::Lesson(n),
                (None, Some(d)) if std::ptr::eq(d.shelf, &crate::lessons::blueprints::SHELF) => {
                    Exercise::Blueprint(d.name.to_string())
                }
                (None, Some(d)) => Exercise::Example(d.name.to_string()),
                (None, None) => Exercise::Design,
            };
            let turns = watch.try_update_value(|w| w.observe(&exercise, status.as_ref())).unwrap_or_default();
            if turns.is_empty() {
                return;
            }
            let Some((name, goal, json)) =
                editor.doc.try_with_untracked(|d| (d.name.clone(), d.goal.clone(), d.to_json_pretty()))
            else {
                return;
            };
            let link = full_page_url(&base, None, &json).ok();
            let t_s = live.snapshot.try_with_untracked(|s| s.as_ref().map(|s| s.now_s)).flatten().unwrap_or(0.0);
            let at = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default();
            for turn in &turns {
                post(completion_message(
                    turn,
                    name.as_deref(),
                    goal.as_ref(),
                    status.as_ref(),
                    t_s,
                    &at,
                    link.as_deref(),
                ));
            }
        });
    }
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let Some(snap) = live.snapshot.try_get_untracked().flatten() else { return };
            let goal = live.goal.try_get_untracked().flatten();
            post(metrics_message(&snap, goal.as_ref()));
        },
        std::time::Duration::from_millis(METRICS_EVERY_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    ignored
}

// ---- components ----

/// The current lesson, if one is open (`OpenLesson` context; absent: none).
fn current_lesson() -> Option<u32> {
    use_context::<OpenLesson>().and_then(|l| l.0.get())
}

fn here() -> String {
    page_base(&window().location().href().unwrap_or_default()).to_string()
}

/// "Copy embed code": opens the dialog with the snippet.
#[component]
pub fn EmbedButton(#[prop(optional)] label: Option<&'static str>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button data-testid="embed-code" title="Copy embed code: HTML that shows this in a frame on another page" on:click=move |_| open.set(true)>
            {label.unwrap_or("Embed")}
        </button>
        <Show when=move || open.get()>
            <EmbedDialog on_close=Callback::new(move |_| open.set(false)) />
        </Show>
        // The autosave's earlier versions sit beside Embed in the full page's
        // editing toolbar (an embedded playground keeps no autosave).
        {(!crate::base::page::embedded()).then(|| view! { <keeping::EarlierVersions /> })}
    }
}

#[component]
fn EmbedDialog(on_close: Callback<()>) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let options = use_context::<PageOptions>().unwrap_or_default();
    let choice =
        RwSignal::new(EmbedChoice { edit: options.embed && options.edit, palette: options.embed && options.palette });
    // The course page's address, as typed (a frame that already lists an origin starts with it).
    let address = RwSignal::new(options.origins.first().cloned().unwrap_or_default());
    // The error is shown once the field is left (or Enter pressed), not while typing.
    let address_done = RwSignal::new(false);
    let host = Memo::new(move |_| {
        let a = address.get();
        (!a.trim().is_empty()).then(|| crate::base::page::origin_of_address(&a))
    });
    let lesson = current_lesson();
    let base = here();
    let own = window().location().origin().unwrap_or_default();
    let json = editor.doc.with_untracked(Scenario::to_json_pretty);
    let name = editor.doc.with_untracked(|d| d.name.clone());
    let title = frame_title(lesson, name.as_deref());
    let snippet = Memo::new(move |_| {
        let origin = host.with(|h| h.clone().and_then(Result::ok));
        embed_src(&base, lesson, &json, choice.get(), origin.as_deref())
            .map(|src| embed_snippet(&src, &title, FRAME_WIDTH, FRAME_HEIGHT))
    });
    let bad_address = move || host.with(|h| matches!(h, Some(Err(_))));
    let field = NodeRef::<html::Textarea>::new();
    let address_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        snippet.track();
        // The code is selected, ready to copy, except while the address is typed.
        let typing = address_input
            .get_untracked()
            .is_some_and(|i| document().active_element().is_some_and(|a| js_sys::Object::is(&a, &i)));
        if let (Some(t), false) = (field.get(), typing) {
            let _ = t.focus();
            t.select();
        }
    });
    let what = if lesson.is_some() { "this lesson" } else { "this design" };
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Embed code" data-testid="embed-dialog" on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { on_close.run(()) }>
                <h2>{format!("Embed {what}")}</h2>
                <p>{format!("Paste this HTML into a web page to show {what} in a frame. It runs in the reader's browser; nothing is uploaded.")}</p>
                <div class="embed-choices">
                    <label><input type="checkbox" data-testid="embed-edit" prop:checked=move || choice.get().edit
                        on:change=move |ev| choice.update(|c| c.edit = event_target_checked(&ev)) />" Readers may change the design"</label>
                    <label><input type="checkbox" data-testid="embed-palette" prop:checked=move || choice.get().palette
                        on:change=move |ev| choice.update(|c| c.palette = event_target_checked(&ev)) />" Show the components palette"</label>
                </div>
                <label class="embed-host">
                    <span>"Address of the course page it goes in"</span>
                    <input type="url" inputmode="url" spellcheck="false" autocomplete="url" data-testid="embed-origin" node_ref=address_input
                        placeholder="https://course.example.edu/week3" prop:value=move || address.get()
                        aria-invalid=move || (address_done.get() && bad_address()).to_string()
                        on:input=move |ev| { address.set(event_target_value(&ev)); address_done.set(false); }
                        on:change=move |_| address_done.set(true) />
                </label>
                {move || match host.get() {
                    Some(Err(why)) if address_done.get() => view! {
                        <p class="field-error" role="alert" data-testid="embed-origin-error">{format!("Not usable: {why}.")}</p>
                    }.into_any(),
                    Some(Err(_)) => view! { <p class="muted embed-origin-note" data-testid="embed-origin-note">"Type the whole address, starting with https://"</p> }.into_any(),
                    Some(Ok(origin)) => view! {
                        <p class="muted embed-origin-note" data-testid="embed-origin-note">{format!("Messages go to pages on {origin} (taken from the address; the path does not matter).")}</p>
                    }.into_any(),
                    None => view! {
                        <p class="muted embed-origin-note" data-testid="embed-origin-note">{format!(
                            "Without an address the frame still works on any page, but only a page on {own} hears from it: a page on another domain receives nothing until its address is given here."
                        )}</p>
                    }.into_any(),
                }}
                <p class="muted embed-messages" data-testid="embed-messages">{MESSAGES_SENT}</p>
                {move || match snippet.get() {
                    Ok(code) => {
                        let copy = code.clone();
                        view! {
                            <textarea readonly rows="6" class="embed-code" data-testid="embed-snippet" node_ref=field aria-label="Embed code" prop:value=code></textarea>
                            <div class="dialog-actions">
                                // Code copied with a mistyped address would leave the course page
                                // without messages and nobody the wiser: fix or clear it first.
                                <button class="primary" data-testid="copy-embed" disabled=bad_address
                                    title=move || if bad_address() { "Correct the course page's address, or clear it, to copy the code" } else { "" }
                                    on:click=move |_| keeping::copy_text(
                                    editor, copy.clone(), "Embed code copied to the clipboard",
                                    "The browser did not allow copying: select the code and copy it by hand")>"Copy code"</button>
                                <button on:click=move |_| on_close.run(())>"Close"</button>
                            </div>
                        }.into_any()
                    }
                    Err(chars) => view! {
                        <p data-testid="embed-too-long">{format!(
                            "This design is too large for an embed link ({} characters; links over {} may be cut short). Save it as a file: a page can send it to an embedded playground with a \"load\" message.",
                            format::count(chars as u64), format::count(storage::MAX_SHARE_URL_CHARS as u64)
                        )}</p>
                        <div class="dialog-actions">
                            <button class="primary" data-testid="embed-as-file" on:click=move |_| { keeping::export(editor); on_close.run(()); }>"Save as file"</button>
                            <button on:click=move |_| on_close.run(())>"Close"</button>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// A note inside a frame whose page is not allowed (see `origin_note_text`):
/// a one-line strip, shown once per load until dismissed. Nothing shows
/// outside a frame, for an allowed page, or when the browser does not tell
/// the page's origin (then the messages go to every allowed origin anyway).
#[component]
pub fn OriginNote() -> impl IntoView {
    let options = use_context::<PageOptions>().unwrap_or_default();
    let own = window().location().origin().unwrap_or_default();
    let parent = parent_window().and_then(|_| parent_origin()).filter(|p| !origin_allowed(p, &own, &options.origins));
    let dismissed = RwSignal::new(false);
    parent.map(|parent| {
        view! {
            <Show when=move || !dismissed.get()>
                <p class="origin-note" role="note" data-testid="origin-note">
                    <span>{origin_note_text(&parent)}</span>
                    <button aria-label="Dismiss the note about messages" title="Dismiss" on:click=move |_| dismissed.set(true)>"×"</button>
                </p>
            </Show>
        }
    })
}

/// "Open in Scale Lab ↗": the same lesson or design in the full page, in a new tab.
#[component]
pub fn OpenFullLink() -> impl IntoView {
    let editor = expect_context::<Editor>();
    let open_lesson = use_context::<OpenLesson>();
    let base = here();
    let url = Memo::new(move |_| {
        let lesson = open_lesson.and_then(|l| l.0.get());
        editor.doc.with(|d| full_page_url(&base, lesson, &d.to_json_pretty()))
    });
    let base = here();
    view! {
        <a class="open-full" data-testid="open-full" target="_blank" rel="noopener"
            href=move || url.get().unwrap_or_else(|_| base.clone())
            title="Open this in the full playground, in a new tab"
            on:click=move |ev| {
                if url.get_untracked().is_err() {
                    // Too large for a link: hand it over as a file instead.
                    ev.prevent_default();
                    keeping::export(editor);
                    editor.say("This design is too large for a link: it was saved as a file; open it in Scale Lab with Open…");
                }
            }>
            // On a narrow frame the words are left to screen readers and the
            // arrow stays, so the link does not run over the traffic dial.
            <span class="open-full-words">"Open in Scale Lab "</span>"↗"
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starter() -> Scenario {
        Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap()
    }

    #[test]
    fn the_base_drops_query_and_fragment() {
        assert_eq!(page_base("https://x.org/scale-lab/?lesson=2&embed=1#s=abc"), "https://x.org/scale-lab/");
        assert_eq!(page_base("https://x.org/scale-lab/index.html#s=abc"), "https://x.org/scale-lab/index.html");
        assert_eq!(page_base("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
    }

    #[test]
    fn a_lesson_embeds_by_number_and_a_design_by_share_fragment() {
        let json = starter().to_json_pretty();
        let base = "https://x.org/scale-lab/";
        assert_eq!(
            embed_src(base, Some(4), &json, EmbedChoice::default(), None).unwrap(),
            "https://x.org/scale-lab/?lesson=4&embed=1"
        );
        assert_eq!(
            embed_src(base, Some(4), &json, EmbedChoice { edit: true, palette: true }, None).unwrap(),
            "https://x.org/scale-lab/?lesson=4&embed=1&edit=1&palette=1"
        );
        let design = embed_src(base, None, &json, EmbedChoice::default(), None).unwrap();
        let (front, fragment) = design.split_once('#').unwrap();
        assert_eq!(front, "https://x.org/scale-lab/?embed=1");
        // The fragment opens the same design.
        let back = storage::scenario_from_fragment(fragment).unwrap();
        assert_eq!(Scenario::from_json(&back).unwrap(), starter());
        // What the address asks for is what the page reads.
        let query = &front[front.find('?').unwrap()..];
        let o = PageOptions::from_query(query);
        assert!(o.embed && !o.editable());
        assert_eq!(full_page_url(base, Some(3), &json).unwrap(), "https://x.org/scale-lab/?lesson=3");
        assert!(full_page_url(base, None, &json).unwrap().starts_with("https://x.org/scale-lab/#s="));
    }

    #[test]
    fn the_course_page_origin_goes_into_the_frame_address_encoded() {
        let json = starter().to_json_pretty();
        let base = "https://x.org/scale-lab/";
        let origin = crate::base::page::origin_of_address("https://Course.Example.edu:8443/week3?unit=2").unwrap();
        let lesson =
            embed_src(base, Some(4), &json, EmbedChoice { edit: true, palette: false }, Some(&origin)).unwrap();
        assert_eq!(
            lesson,
            "https://x.org/scale-lab/?lesson=4&embed=1&edit=1&origin=https%3A%2F%2Fcourse.example.edu%3A8443"
        );
        let design = embed_src(base, None, &json, EmbedChoice::default(), Some(&origin)).unwrap();
        let (front, fragment) = design.split_once('#').unwrap();
        assert_eq!(front, "https://x.org/scale-lab/?embed=1&origin=https%3A%2F%2Fcourse.example.edu%3A8443");
        assert!(fragment.starts_with("s="));
        // The frame reads back exactly that origin as allowed, and nothing else.
        for src in [&lesson[..], front] {
            let o = PageOptions::from_query(&src[src.find('?').unwrap()..]);
            assert_eq!(o.origins, vec![origin.clone()], "{src}");
            assert!(o.problems.is_empty(), "{:?}", o.problems);
            assert!(origin_allowed("https://course.example.edu:8443", "https://x.org", &o.origins));
            assert!(!origin_allowed("https://course.example.edu", "https://x.org", &o.origins));
        }
        // In the snippet the address is one attribute value.
        let snippet = embed_snippet(&lesson, "t", FRAME_WIDTH, FRAME_HEIGHT);
        assert!(snippet.contains("&amp;origin=https%3A%2F%2Fcourse.example.edu%3A8443\""), "{snippet}");
    }

    #[test]
    fn the_parent_origin_comes_from_ancestor_origins_else_the_referrer() {
        assert_eq!(
            parent_origin_from(Some("https://course.example"), "https://other.example/x").as_deref(),
            Some("https://course.example")
        );
        assert_eq!(
            parent_origin_from(None, "https://Course.Example/week3?a#b").as_deref(),
            Some("https://course.example")
        );
        assert_eq!(parent_origin_from(Some("null"), "").as_deref(), None);
        assert_eq!(parent_origin_from(None, "").as_deref(), None);
        let text = origin_note_text("https://course.example");
        assert!(
            text.contains("https://course.example is not listed")
                && text.contains("add origin=https://course.example to"),
            "{text}"
        );
    }

    #[test]
    fn the_dialog_names_exactly_the_messages_that_are_sent() {
        let sent = [
            ready_message(None, None),
            metrics_message(&scalelab_engine::Simulation::new(starter()).live_snapshot(), None),
            ack_message("play"),
            error_message("load", "x"),
        ];
        for m in &sent {
            let kind = m["type"].as_str().unwrap();
            assert!(MESSAGES_SENT.contains(&format!("\"{kind}\"")), "{kind} is not named");
        }
        // No message kind is named that does not exist (the goal travels inside "metrics").
        let quoted: Vec<&str> = MESSAGES_SENT.split('"').skip(1).step_by(2).collect();
        assert_eq!(quoted, ["ready", "metrics", "met", "goal-met", "goal-lost", "ack", "error"]);
        for turn in [
            Turn::Met { exercise: Exercise::Design, met_at_s: 1 },
            Turn::Lost { exercise: Exercise::Design, met_at_s: 1 },
        ] {
            assert!(MESSAGES_SENT.contains(&format!("\"{}\"", turn.kind())));
        }
        let goal = scalelab_engine::goal::GoalStatus {
            checks: vec![],
            drills: vec![],
            held_s: 0,
            hold_s: 10,
            checks_met: false,
            met_at_s: None,
        };
        let m = metrics_message(&scalelab_engine::Simulation::new(starter()).live_snapshot(), Some(&goal));
        assert!(m["goal"]["met"].is_boolean(), "{m}");
        for command in ["load", "play", "pause", "reset"] {
            assert!(MESSAGES_SENT.contains(command), "{command}");
        }
    }

    fn status(met_at_s: Option<u64>) -> GoalStatus {
        GoalStatus { checks: vec![], drills: vec![], held_s: 0, hold_s: 30, checks_met: met_at_s.is_some(), met_at_s }
    }

    #[test]
    fn goal_met_is_sent_once_per_meeting_and_goal_lost_only_after_it() {
        let lesson = Exercise::Lesson(6);
        let mut w = CompletionWatch::default();
        // Nothing before the goal is met, nor without a goal.
        assert!(w.observe(&lesson, None).is_empty());
        assert!(w.observe(&lesson, Some(&status(None))).is_empty());
        // A lost goal is never announced before a met one.
        assert!(w.observe(&Exercise::Design, None).is_empty());
        // Met: once, however often the page looks (the figures go on changing).
        assert_eq!(w.observe(&lesson, Some(&status(Some(52)))), [Turn::Met { exercise: lesson.clone(), met_at_s: 52 }]);
        for _ in 0..3 {
            assert!(w.observe(&lesson, Some(&status(Some(52)))).is_empty());
        }
        // The design changed, the engine started the goal over: lost, once.
        assert_eq!(w.observe(&lesson, Some(&status(None))), [Turn::Lost { exercise: lesson.clone(), met_at_s: 52 }]);
        assert!(w.observe(&lesson, Some(&status(None))).is_empty());
        assert!(w.observe(&lesson, None).is_empty());
        // Met again: a new meeting.
        assert_eq!(w.observe(&lesson, Some(&status(Some(90)))), [Turn::Met { exercise: lesson.clone(), met_at_s: 90 }]);
        // Restarted and met again between two looks: the old one is lost, the new one met.
        assert_eq!(
            w.observe(&lesson, Some(&status(Some(130)))),
            [
                Turn::Lost { exercise: lesson.clone(), met_at_s: 90 },
                Turn::Met { exercise: lesson.clone(), met_at_s: 130 }
            ]
        );
        // Another design loaded (no goal): the lesson's goal is lost, named as the lesson.
        assert_eq!(w.observe(&Exercise::Design, None), [Turn::Lost { exercise: lesson, met_at_s: 130 }]);
        let example = Exercise::Example("sinkholing".into());
        assert_eq!(w.observe(&example, Some(&status(Some(40)))), [Turn::Met { exercise: example, met_at_s: 40 }]);
    }

    #[test]
    fn completion_messages_carry_the_engines_figures_and_a_working_link() {
        // A design with a goal the engine judges, run until it is met.
        let mut doc: Value = serde_json::from_str(crate::base::builtin::STARTER_SCENARIO).unwrap();
        doc["goal"] = json!({"hold_s": 20, "checks": [
            {"metric": "p99_ms", "below": 5000}, {"metric": "error_rate", "below": 0.5}]});
        let design = Scenario::from_json(&doc.to_string()).unwrap();
        let mut sim = scalelab_engine::Simulation::new(design.clone());
        let mut watch = CompletionWatch::default();
        let lesson = Exercise::Lesson(3);
        let mut turns = Vec::new();
        let mut t = 0;
        while turns.is_empty() && t < 120 {
            t += 1;
            sim.run_until(t * 1_000_000_000, u64::MAX);
            turns = watch.observe(&lesson, sim.goal_status());
        }
        let status = sim.goal_status().unwrap().clone();
        assert_eq!(turns, [Turn::Met { exercise: lesson.clone(), met_at_s: status.met_at_s.unwrap() }]);
        let json = design.to_json_pretty();
        let link = full_page_url("https://x.org/scale-lab/", None, &json).unwrap();
        let m = completion_message(
            &turns[0],
            design.name.as_deref(),
            design.goal.as_ref(),
            Some(&status),
            sim.live_snapshot().now_s,
            "2026-12-06T02:30:00.000Z",
            Some(&link),
        );
        assert_eq!(m["source"], "scale-lab");
        assert_eq!(m["type"], "goal-met");
        assert_eq!(m["version"], 1);
        assert_eq!((&m["lesson"], &m["example"]), (&json!(3), &Value::Null));
        assert_eq!(m["met_at_s"], json!(status.met_at_s.unwrap()));
        assert_eq!(m["t_s"], json!(t as f64));
        assert_eq!(m["at"], "2026-12-06T02:30:00.000Z");
        // The figures are the engine's, check by check: words, value, bound.
        let checks = m["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 2);
        for (sent, engine) in checks.iter().zip(&status.checks) {
            assert_eq!(sent["name"], engine.label.as_str());
            assert_eq!(sent["value_text"], engine.value_text.as_str());
            assert_eq!(sent["value"], num(engine.value.unwrap()));
            assert_eq!(sent["passing"], true);
        }
        assert_eq!(
            (&checks[0]["metric"], &checks[0]["below"], &checks[0]["above"]),
            (&json!("p99_ms"), &json!(5000.0), &Value::Null)
        );
        assert_eq!(checks[1]["metric"], "error_rate");
        assert_eq!(m["drills"], json!([]));
        // The link opens the design that met the goal.
        let fragment = m["link"].as_str().unwrap().split_once('#').unwrap().1;
        assert_eq!(Scenario::from_json(&storage::scenario_from_fragment(fragment).unwrap()).unwrap(), design);

        // Lost: the same fields, the exercise that had met it, and no link when too long.
        let lost = Turn::Lost { exercise: Exercise::Example("sinkholing".into()), met_at_s: 40 };
        let m = completion_message(&lost, None, None, None, 61.25, "2026-12-06T02:31:00.000Z", None);
        assert_eq!(m["type"], "goal-lost");
        assert_eq!((&m["lesson"], &m["example"], &m["blueprint"]), (&Value::Null, &json!("sinkholing"), &Value::Null));
        assert_eq!((&m["met_at_s"], &m["t_s"], &m["link"]), (&json!(40), &json!(61.25), &Value::Null));
        assert_eq!((&m["checks"], &m["drills"]), (&json!([]), &json!([])));
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&m),
            [
                "at",
                "blueprint",
                "checks",
                "drills",
                "example",
                "lesson",
                "link",
                "met_at_s",
                "name",
                "source",
                "t_s",
                "type",
                "version"
            ]
        );
        // A blueprint is named in a field of its own.
        let met = Turn::Met { exercise: Exercise::Blueprint("chat".into()), met_at_s: 70 };
        let m = completion_message(&met, None, None, None, 70.0, "2026-12-06T02:31:00.000Z", None);
        assert_eq!((&m["lesson"], &m["example"], &m["blueprint"]), (&Value::Null, &Value::Null, &json!("chat")));
    }

    #[test]
    fn a_design_too_large_for_a_link_is_refused_with_its_length() {
        // Random-looking ids do not compress.
        let mut big = starter();
        let template = big.nodes[2].clone();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..600 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut n = template.clone();
            n.id = format!("web-{x:016x}-{i}");
            big.nodes.push(n);
        }
        let json = big.to_json_pretty();
        assert!(
            matches!(embed_src("https://x.org/", None, &json, EmbedChoice::default(), None), Err(n) if n > storage::MAX_SHARE_URL_CHARS)
        );
        assert!(full_page_url("https://x.org/", None, &json).is_err());
        // A lesson is a number, whatever the design.
        assert!(embed_src("https://x.org/", Some(2), &json, EmbedChoice::default(), None).is_ok());
    }

    #[test]
    fn the_snippet_escapes_its_attributes() {
        let s = embed_snippet("https://x.org/?lesson=4&embed=1", "Scale Lab: \"Tom & Jerry's\" <shop>", 900, 600);
        assert!(s.starts_with("<iframe src=\"https://x.org/?lesson=4&amp;embed=1\""), "{s}");
        assert!(s.contains("title=\"Scale Lab: &quot;Tom &amp; Jerry&#39;s&quot; &lt;shop&gt;\""), "{s}");
        assert!(s.contains("width=\"900\" height=\"600\""));
        assert!(s.contains("loading=\"lazy\""));
        assert!(s.ends_with("></iframe>"));
        // Exactly one element: nothing in the values can close the tag.
        assert_eq!(s.matches('<').count(), 2);
        assert_eq!(s.matches('>').count(), 2);
    }

    #[test]
    fn frame_titles_name_the_lesson_or_the_design() {
        assert_eq!(frame_title(Some(4), Some("x")), "Scale Lab: lesson 4");
        assert_eq!(frame_title(None, Some("My shop")), "Scale Lab: My shop");
        assert_eq!(frame_title(None, Some("  ")), "Scale Lab: a web architecture, simulated");
    }

    #[test]
    fn only_the_own_and_listed_origins_are_obeyed() {
        let own = "https://lab.example";
        let listed = vec!["https://course.example".to_string()];
        assert!(origin_allowed("https://lab.example", own, &listed));
        assert!(origin_allowed("https://course.example", own, &listed));
        assert!(origin_allowed("HTTPS://COURSE.EXAMPLE", own, &listed));
        for bad in ["https://evil.example", "https://course.example:8443", "http://course.example", "null", "", "*"] {
            assert!(!origin_allowed(bad, own, &listed), "{bad}");
        }
    }

    #[test]
    fn messages_go_to_the_parent_only_when_it_is_allowed() {
        let own = "https://lab.example";
        let listed = vec!["https://course.example".to_string(), "https://lab.example".to_string()];
        assert_eq!(post_targets(Some("https://course.example"), own, &listed), vec!["https://course.example"]);
        assert!(post_targets(Some("https://evil.example"), own, &listed).is_empty());
        // Unknown parent: each allowed origin once, never "*".
        assert_eq!(post_targets(None, own, &listed), vec!["https://lab.example", "https://course.example"]);
    }

    #[test]
    fn incoming_messages_are_read_or_refused_with_a_reason() {
        assert_eq!(read_message(&json!({"type": "play"})), Incoming::Command(Command::Play));
        assert_eq!(read_message(&json!({"type": "pause"})), Incoming::Command(Command::Pause));
        assert_eq!(read_message(&json!({"type": "reset"})), Incoming::Command(Command::Reset));
        let scenario: Value = serde_json::from_str(crate::base::builtin::STARTER_SCENARIO).unwrap();
        let as_object = read_message(&json!({"type": "load", "scenario": scenario}));
        let as_text = read_message(&json!({"type": "load", "scenario": crate::base::builtin::STARTER_SCENARIO}));
        assert_eq!(as_object, Incoming::Command(Command::Load(Box::new(starter()))));
        assert_eq!(as_object, as_text);
        match read_message(
            &json!({"type": "load", "scenario": {"version": 1, "nodes": [{"id": "a", "kind": "teapot"}], "links": []}}),
        ) {
            Incoming::Refused { for_type, message } => {
                assert_eq!(for_type, "load");
                assert!(message.contains("nodes[0].kind"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_message(&json!({"type": "load"})), Incoming::Refused { .. }));
        assert!(matches!(read_message(&json!({"type": "load", "scenario": 3})), Incoming::Refused { .. }));
        assert!(
            matches!(read_message(&json!({"type": "explode"})), Incoming::Refused { message, .. } if message.contains("unknown"))
        );
        // Not for us: ignored.
        assert_eq!(read_message(&json!("hello")), Incoming::Ignore);
        assert_eq!(read_message(&json!({"kind": "play"})), Incoming::Ignore);
        assert_eq!(read_message(&json!({"type": 3})), Incoming::Ignore);
        assert_eq!(read_message(&json!({"source": "scale-lab", "type": "metrics"})), Incoming::Ignore);
    }

    #[test]
    fn outgoing_messages_have_the_documented_shapes() {
        let ready = ready_message(Some(4), Some("Lesson four"));
        assert_eq!(
            ready,
            json!({"source": "scale-lab", "type": "ready", "version": 1, "lesson": 4, "name": "Lesson four"})
        );
        assert_eq!(ready_message(None, None)["lesson"], Value::Null);
        assert_eq!(ack_message("load"), json!({"source": "scale-lab", "type": "ack", "version": 1, "for": "load"}));
        assert_eq!(error_message("load", "bad")["message"], "bad");

        let mut sim = scalelab_engine::Simulation::new(starter());
        sim.run_until(500_000_000, u64::MAX);
        let early = metrics_message(&sim.live_snapshot(), None);
        assert_eq!(
            (early["window_s"].as_f64(), &early["sent_rps"]),
            (Some(0.0), &Value::Null),
            "no rate before a whole second"
        );
        sim.run_until(6_500_000_000, u64::MAX);
        let snap = sim.live_snapshot();
        let m = metrics_message(&snap, None);
        assert_eq!(m["window_s"], 5.0, "the last five whole seconds");
        for key in [
            "t_s",
            "window_s",
            "sent_rps",
            "ok_rps",
            "error_ratio",
            "p50_ms",
            "p99_ms",
            "cost_per_month_usd",
            "lost_writes",
            "alerts_firing",
            "goal",
        ] {
            assert!(m.get(key).is_some(), "{key} missing in {m}");
        }
        assert_eq!(m["type"], "metrics");
        assert_eq!(m["version"], 1);
        assert!((m["t_s"].as_f64().unwrap() - 6.5).abs() < 1e-9);
        assert!(m["sent_rps"].as_f64().unwrap() > 0.0);
        assert!(m["alerts_firing"].is_array());
        assert_eq!(m["goal"], Value::Null);
        assert_eq!(num(f64::NAN), Value::Null);
        assert_eq!(num(1.234_567), json!(1.2346));
    }
}
