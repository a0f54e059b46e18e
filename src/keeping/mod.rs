//! Keeping the user's work: which diagram the page opens with, autosave after
//! every change, files (open and save) and share links, wired to the editor.
//!
//! The formats and the browser calls are in [`crate::keeping::storage`]; this module
//! decides when they happen and what the user is told. Rules:
//! - Opening: a share link in the address (`#s=...`) wins, then a lesson asked
//!   for with `?lesson=N` (or an example, `?example=NAME`, by the same rules), then the newest autosaved version the engine
//!   accepts, then the starter design. A link that cannot be opened is reported
//!   and the next choice is opened instead, so a bad link never costs the user
//!   their work. Why this order, for `?lesson=N`:
//!   - `?lesson=4#s=...` is somebody's own design for lesson 4, shared: the
//!     person opening it expects to see that design, with lesson 4 beside it
//!     and its goal judging it (the goal is added to the design if missing).
//!   - `?lesson=4` alone is a link from a course: it opens lesson 4 even over
//!     the autosave, which stays one Undo away (and in the autosave list),
//!     except when the autosave already is a design for lesson 4 (it carries
//!     lesson 4's goal): that is the user's work on this very lesson, and a
//!     reload must not throw it away.
//! - Once a shared design is open, the fragment is removed from the address:
//!   reloading then shows the autosave (the shared design plus any edits), not
//!   the link's original again.
//! - Autosave stores only documents the engine accepted (every document the
//!   editor holds has been), and says once, not on every edit, when it fails.
//! - A file or link that fails to open leaves the current diagram untouched.

pub mod crash;
pub mod layout;
pub mod picture;
pub mod progress;
pub mod storage;

use crate::base::builtin::STARTER_SCENARIO;
use crate::editor::Editor;
use leptos::prelude::*;
use scalelab_engine::Scenario;
use storage::{ShareError, StorageError};

/// The diagram the page opens with, and what to tell the user about it.
pub struct Opening {
    pub scenario: Scenario,
    /// `(text, is_error)`.
    pub message: Option<(String, bool)>,
    /// The address carried a share link that should now be removed from it.
    pub clear_fragment: bool,
    /// The autosaved design a lesson was opened over: it goes on the undo
    /// stack, so Undo brings it back.
    pub replaced: Option<Scenario>,
}

/// A design the address asks for: a lesson (`?lesson=N`) or an example
/// (`?example=NAME`), by the name the user is told ("lesson 4", "the Balancer
/// sinkholing example") and its design.
pub struct Asked<'a> {
    pub name: String,
    pub scenario: &'a Scenario,
}

/// Decides what the page opens with from the address fragment and the
/// autosaved versions (newest first), as read from the browser.
pub fn choose_opening(fragment: &str, autosaved: Result<Vec<storage::SavedVersion>, StorageError>) -> Opening {
    choose_opening_with(fragment, autosaved, None)
}

/// [`choose_opening`] when the address also asks for a lesson (see the
/// module's notes for the order).
pub fn choose_opening_with(
    fragment: &str,
    autosaved: Result<Vec<storage::SavedVersion>, StorageError>,
    asked: Option<Asked<'_>>,
) -> Opening {
    let mut notes: Vec<(String, bool)> = Vec::new();
    let has_link = !matches!(storage::scenario_from_fragment(fragment), Err(ShareError::NoScenario));
    if has_link {
        let shared = storage::scenario_from_fragment(fragment)
            .map_err(|e| e.to_string())
            .and_then(|json| Scenario::from_json(&json).map_err(|e| format!("the design in it is not valid: {e}")));
        match shared {
            Ok(mut scenario) => {
                let mut text = "Opened the design from the share link".to_string();
                if let Some(Asked { name, scenario: l }) = &asked {
                    if scenario.goal != l.goal {
                        scenario.goal = l.goal.clone();
                    }
                    text = format!("{text}, judged by {name}'s goal");
                }
                return Opening { scenario, message: Some((text, false)), clear_fragment: true, replaced: None };
            }
            Err(why) => notes.push((format!("The share link could not be opened: {why}"), true)),
        }
    }
    // A version the engine no longer accepts is skipped, not fatal.
    let saved = match autosaved {
        Ok(versions) => versions.iter().find_map(|v| Scenario::from_json(&v.json).ok()),
        Err(e) => {
            notes.push((e.to_string(), false));
            None
        }
    };
    if let Some(Asked { name, scenario: l }) = asked {
        let ours = saved.as_ref().is_some_and(|s| s.goal.is_some() && s.goal == l.goal);
        if let (true, Some(scenario)) = (ours, saved.clone()) {
            notes.insert(0, (format!("Restored your work on {name} (autosaved)"), false));
            return finish(scenario, notes, has_link, None);
        }
        if saved.is_some() {
            notes.insert(notes.len().min(1), (format!("Opened {name}; Undo brings back your previous diagram"), false));
        }
        return finish(l.clone(), notes, has_link, saved);
    }
    if let Some(scenario) = saved {
        let what = if notes.is_empty() {
            "Restored your last diagram (autosaved)".to_string()
        } else {
            "Your last autosaved diagram is shown instead".to_string()
        };
        notes.push((what, false));
        return finish(scenario, notes, has_link, None);
    }
    let starter = Scenario::from_json(STARTER_SCENARIO).expect("the built-in scenario is valid");
    finish(starter, notes, has_link, None)
}

fn finish(scenario: Scenario, notes: Vec<(String, bool)>, clear_fragment: bool, replaced: Option<Scenario>) -> Opening {
    let error = notes.iter().any(|(_, e)| *e);
    let message =
        (!notes.is_empty()).then(|| (notes.into_iter().map(|(t, _)| t).collect::<Vec<_>>().join(". "), error));
    Opening { scenario, message, clear_fragment, replaced }
}

/// Reads the address and the autosave and chooses the opening diagram.
pub fn open_from_browser() -> Opening {
    open_from_browser_with(None)
}

/// [`open_from_browser`] when the address asks for a lesson or an example.
pub fn open_from_browser_with(asked: Option<Asked<'_>>) -> Opening {
    let fragment = window().location().hash().unwrap_or_default();
    choose_opening_with(&fragment, storage::autosaved_versions(), asked)
}

/// The opening diagram of an embedded playground: the design in the address,
/// else the starter. The autosave is neither read nor written there: the host
/// page decides what its frames show, and the user's own work in the full page
/// is never replaced by a frame's. The fragment stays, so reloading the frame
/// shows the same design.
pub fn open_embedded() -> Opening {
    open_embedded_with(None)
}

/// [`open_embedded`] when the address asks for a lesson or an example.
pub fn open_embedded_with(asked: Option<Asked<'_>>) -> Opening {
    let fragment = window().location().hash().unwrap_or_default();
    let mut o = choose_opening_with(&fragment, Ok(Vec::new()), asked);
    o.clear_fragment = false;
    // Only problems are worth saying in a frame.
    o.message = o.message.filter(|(_, error)| *error);
    o
}

/// Removes the fragment from the address without reloading or adding a
/// history entry.
pub fn clear_fragment() {
    let w = window();
    let (Ok(path), Ok(search)) = (w.location().pathname(), w.location().search()) else { return };
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}")));
    }
}

/// Saves the document after every change. A failure is shown once per kind
/// (the user is told to export), not after every edit.
pub fn use_autosave(editor: Editor) {
    let reported = StoredValue::new(None::<StorageError>);
    Effect::new(move |_| {
        let json = editor.doc.with(Scenario::to_json_pretty);
        match storage::autosave(&json) {
            Ok(()) => reported.set_value(None),
            Err(e) => {
                if reported.get_value().as_ref() != Some(&e) {
                    editor.refuse(e.to_string());
                    reported.set_value(Some(e));
                }
            }
        }
    });
}

/// One line about an autosaved version for the "Earlier versions" list: its
/// name and size, or why it can no longer be opened.
pub fn version_summary(json: &str) -> String {
    match Scenario::from_json(json) {
        Ok(s) => {
            let nodes = s.nodes.len();
            let size = format!(
                "{nodes} node{}, {} link{}",
                if nodes == 1 { "" } else { "s" },
                s.links.len(),
                if s.links.len() == 1 { "" } else { "s" }
            );
            match s.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => format!("{name} · {size}"),
                None => size,
            }
        }
        Err(_) => "cannot be opened by this version of Scale Lab".to_string(),
    }
}

/// When a version was saved, in the reader's local time: "14:03:27", with
/// the date in front when it was not today.
fn saved_at(ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let today = js_sys::Date::new_0();
    let time = format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds());
    let same_day = d.get_full_year() == today.get_full_year()
        && d.get_month() == today.get_month()
        && d.get_date() == today.get_date();
    if same_day {
        time
    } else {
        format!("{}-{:02}-{:02} {time}", d.get_full_year(), d.get_month() + 1, d.get_date())
    }
}

/// "Earlier versions": the autosaved versions with their times, so a bad
/// change (or a bad file opened over good work) can be rolled back past
/// what Undo holds, even after a reload. Choosing one loads it like a file:
/// Undo brings back the diagram on screen, and the autosave then puts the
/// chosen version first without dropping the others.
#[component]
pub fn EarlierVersions() -> impl IntoView {
    let editor = expect_context::<Editor>();
    let open = RwSignal::new(false);
    let listed = RwSignal::new(Ok(Vec::<storage::SavedVersion>::new()));
    let toggle = move |_| {
        if !open.get_untracked() {
            listed.set(storage::autosaved_versions());
        }
        open.update(|o| *o = !*o);
    };
    let restore = move |v: storage::SavedVersion| {
        open.set(false);
        if !editor.may_change() {
            return;
        }
        let when = saved_at(v.saved_at_ms);
        match Scenario::from_json(&v.json) {
            Ok(scenario) => editor.load(
                scenario,
                &format!("Restored the version autosaved at {when} (Undo brings back the diagram you had)"),
            ),
            Err(e) => editor
                .refuse(format!("The version autosaved at {when} cannot be opened: {e}; your diagram is unchanged")),
        }
    };
    view! {
        <div class="versions-menu" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button data-testid="earlier-versions" aria-haspopup="true" aria-expanded=move || open.get().to_string()
                title="Designs autosaved in this browser: go back to an earlier one" on:click=toggle>"Earlier versions"</button>
            <Show when=move || open.get()>
                <div class="versions-list" data-testid="versions-list" role="group" aria-label="Autosaved versions, newest first">
                    {move || match listed.get() {
                        Err(e) => view! { <p class="versions-none">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="versions-none">"Nothing has been autosaved yet."</p> }.into_any(),
                        Ok(list) => {
                            let current = editor.doc.with_untracked(Scenario::to_json_pretty);
                            view! {
                                <p class="versions-note">"Autosaved in this browser, newest first. Choosing one keeps the others."</p>
                                <ol>
                                    {list.into_iter().enumerate().map(|(i, v)| {
                                        let on_screen = v.json == current;
                                        let label = format!("{} · {}{}", saved_at(v.saved_at_ms), version_summary(&v.json), if on_screen { " (on screen)" } else { "" });
                                        view! {
                                            <li><button data-testid=format!("version-{i}") disabled=on_screen
                                                on:click=move |_| restore(v.clone())>{label}</button></li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}

/// `scalelab-<name>.json`, with the name cut to letters, digits and dashes.
pub fn file_name(scenario: &Scenario) -> String {
    file_name_with(scenario, "json")
}

/// `scalelab-<name>.<extension>`: the design's file, or a picture of it.
pub fn file_name_with(scenario: &Scenario, extension: &str) -> String {
    let slug: String = scenario
        .name
        .as_deref()
        .unwrap_or("design")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let slug = slug.split('-').filter(|s| !s.is_empty()).take(8).collect::<Vec<_>>().join("-");
    format!("scalelab-{}.{extension}", if slug.is_empty() { "design" } else { &slug })
}

/// Offers the current design as a file.
pub fn export(editor: Editor) {
    let doc = editor.doc.get_untracked();
    let name = file_name(&doc);
    match storage::download_json(&name, &doc.to_json_pretty()) {
        Ok(()) => editor.say(format!("Saved the design as {name}")),
        Err(e) => editor.refuse(e),
    }
}

/// Opens a scenario file the user chose; on any problem the current diagram
/// stays as it was and the message names the file and the field.
pub fn import(editor: Editor, file: web_sys::File) {
    if !editor.may_change() {
        return;
    }
    leptos::task::spawn_local(async move {
        let name = file.name();
        let text = match storage::read_file_text(file).await {
            Ok(text) => text,
            Err(e) => return editor.refuse(format!("{e}; your diagram is unchanged")),
        };
        match Scenario::from_json(&text) {
            Ok(scenario) => {
                editor.load(scenario, &format!("Opened \"{name}\" (Undo brings the previous diagram back)"))
            }
            Err(e) => editor.refuse(format!("\"{name}\" is not a Scale Lab design: {e}; your diagram is unchanged")),
        }
    });
}

/// What the share dialog offers for the current design.
#[derive(Clone, Debug, PartialEq)]
pub enum ShareOffer {
    Link(String),
    /// The link would be this many characters: too long, offer a file.
    TooLong(usize),
}

/// The share link of `scenario` for the page at `page_url`.
pub fn share_offer(page_url: &str, scenario: &Scenario) -> ShareOffer {
    let url = storage::share_url(page_url, &scenario.to_json_pretty());
    if storage::share_url_fits(&url) {
        ShareOffer::Link(url)
    } else {
        ShareOffer::TooLong(url.chars().count())
    }
}

/// Copies `text` to the clipboard; says whether it worked.
pub fn copy_to_clipboard(editor: Editor, text: String) {
    copy_text(
        editor,
        text,
        "Link copied to the clipboard",
        "The browser did not allow copying: select the link and copy it by hand",
    );
}

/// Copies `text` to the clipboard and says `done`, or `refused` when the
/// browser does not allow it (no clipboard outside secure pages, or a frame
/// without the clipboard-write permission).
pub fn copy_text(editor: Editor, text: String, done: &'static str, refused: &'static str) {
    let navigator = window().navigator();
    let has_clipboard =
        js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !has_clipboard {
        editor.refuse(refused);
        return;
    }
    let clipboard = navigator.clipboard();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await {
            Ok(_) => editor.say(done),
            Err(_) => editor.refuse(refused),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeping::storage::SavedVersion;

    fn design(name: &str) -> Scenario {
        let mut s = Scenario::from_json(STARTER_SCENARIO).unwrap();
        s.name = Some(name.into());
        s
    }

    fn saved(s: &Scenario) -> SavedVersion {
        SavedVersion { saved_at_ms: 1, json: s.to_json_pretty() }
    }

    #[test]
    fn a_share_link_wins_over_the_autosave_and_is_then_cleared() {
        let shared = design("shared");
        let fragment = format!("#{}", storage::share_fragment(&shared.to_json_pretty()));
        let o = choose_opening(&fragment, Ok(vec![saved(&design("mine"))]));
        assert_eq!(o.scenario, shared);
        assert!(o.clear_fragment);
        assert!(!o.message.unwrap().1);
    }

    #[test]
    fn a_damaged_link_falls_back_to_the_autosave_and_says_why() {
        let mine = design("mine");
        let fragment = format!("#{}", storage::share_fragment(&design("shared").to_json_pretty()));
        let damaged = &fragment[..fragment.len() - 9];
        let o = choose_opening(damaged, Ok(vec![saved(&mine)]));
        assert_eq!(o.scenario, mine);
        let (text, error) = o.message.unwrap();
        assert!(error);
        assert!(text.starts_with("The share link could not be opened"), "{text}");
        assert!(text.contains("autosaved diagram is shown instead"), "{text}");
    }

    #[test]
    fn a_link_to_an_invalid_design_names_the_field() {
        let fragment = storage::share_fragment(r#"{"version":1,"nodes":[{"id":"a","kind":"teapot"}],"links":[]}"#);
        let o = choose_opening(&fragment, Ok(vec![]));
        let (text, error) = o.message.unwrap();
        assert!(error);
        assert!(text.contains("nodes[0].kind"), "{text}");
        assert_eq!(o.scenario, Scenario::from_json(STARTER_SCENARIO).unwrap());
    }

    #[test]
    fn the_newest_autosave_the_engine_accepts_is_restored() {
        let older = design("older");
        let broken = SavedVersion { saved_at_ms: 2, json: "{\"version\": 1, \"nodes\": [".into() };
        let o = choose_opening("", Ok(vec![broken, saved(&older)]));
        assert_eq!(o.scenario, older);
        assert!(!o.clear_fragment);
        assert_eq!(o.message.unwrap().0, "Restored your last diagram (autosaved)");
    }

    #[test]
    fn nothing_saved_opens_the_starter_and_blocked_storage_is_said() {
        let starter = Scenario::from_json(STARTER_SCENARIO).unwrap();
        let o = choose_opening("", Ok(vec![]));
        assert_eq!(o.scenario, starter);
        assert!(o.message.is_none());
        let o = choose_opening("#other=1", Err(StorageError::Unavailable));
        assert_eq!(o.scenario, starter);
        assert!(!o.clear_fragment);
        assert!(o.message.unwrap().0.contains("autosave is off"));
    }

    fn lesson_4(scenario: &Scenario) -> Option<Asked<'_>> {
        Some(Asked { name: "lesson 4".into(), scenario })
    }

    #[test]
    fn a_lesson_link_opens_the_lesson_over_the_autosave_which_undo_brings_back() {
        let lesson = crate::lessons::scenario(4).unwrap();
        let mine = design("mine");
        let o = choose_opening_with("", Ok(vec![saved(&mine)]), lesson_4(lesson));
        assert_eq!(&o.scenario, lesson);
        assert_eq!(o.replaced.as_ref(), Some(&mine));
        let (text, error) = o.message.unwrap();
        assert!(!error);
        assert!(text.contains("Opened lesson 4") && text.contains("Undo"), "{text}");
        // Nothing saved: the lesson, and nothing to say.
        let o = choose_opening_with("", Ok(vec![]), lesson_4(lesson));
        assert_eq!(&o.scenario, lesson);
        assert!(o.replaced.is_none() && o.message.is_none());
    }

    #[test]
    fn a_reload_keeps_the_users_work_on_the_same_lesson() {
        let lesson = crate::lessons::scenario(4).unwrap();
        let mut worked = lesson.clone();
        worked.seed = 99;
        let o = choose_opening_with("", Ok(vec![saved(&worked)]), lesson_4(lesson));
        assert_eq!(o.scenario, worked);
        assert!(o.replaced.is_none());
        assert!(o.message.unwrap().0.contains("Restored your work on lesson 4"));
        // Work on another lesson is not this lesson's.
        let other = crate::lessons::scenario(5).unwrap();
        let o = choose_opening_with("", Ok(vec![saved(other)]), lesson_4(lesson));
        assert_eq!(&o.scenario, lesson);
    }

    #[test]
    fn a_share_link_wins_over_a_lesson_and_gets_its_goal() {
        let lesson = crate::lessons::scenario(4).unwrap();
        let shared = design("shared");
        assert!(shared.goal.is_none());
        let fragment = format!("#{}", storage::share_fragment(&shared.to_json_pretty()));
        let o = choose_opening_with(&fragment, Ok(vec![]), lesson_4(lesson));
        assert_eq!(o.scenario.nodes, shared.nodes);
        assert_eq!(o.scenario.goal, lesson.goal);
        assert!(o.message.unwrap().0.contains("lesson 4"));
        // A damaged link: the lesson, and the reason.
        let o = choose_opening_with("#s=broken*", Err(StorageError::Unavailable), lesson_4(lesson));
        assert_eq!(&o.scenario, lesson);
        let (text, error) = o.message.unwrap();
        assert!(error && text.contains("could not be opened") && text.contains("lesson progress"), "{text}");
    }

    #[test]
    fn versions_are_summed_up_by_name_and_size() {
        let mut s = design("Shop");
        assert_eq!(
            version_summary(&s.to_json_pretty()),
            format!("Shop · {} nodes, {} links", s.nodes.len(), s.links.len())
        );
        s.name = None;
        s.nodes.truncate(1);
        s.links.clear();
        assert_eq!(version_summary(&s.to_json_pretty()), "1 node, 0 links");
        assert_eq!(version_summary("{\"version\": 1, \"nodes\": ["), "cannot be opened by this version of Scale Lab");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name(&design("Shop: 2 web servers!")), "scalelab-shop-2-web-servers.json");
        let mut s = design("x");
        s.name = None;
        assert_eq!(file_name(&s), "scalelab-design.json");
        assert_eq!(file_name(&design("データ")), "scalelab-design.json");
        assert_eq!(file_name_with(&design("Shop"), "svg"), "scalelab-shop.svg");
    }

    #[test]
    fn long_designs_are_offered_as_files() {
        let page = "https://example.org/scalelab/";
        assert!(
            matches!(share_offer(page, &design("small")), ShareOffer::Link(u) if u.starts_with("https://example.org/scalelab/#s="))
        );
        // Many nodes with random-looking ids do not compress below the limit.
        let mut big = design("big");
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
        assert!(matches!(share_offer(page, &big), ShareOffer::TooLong(n) if n > storage::MAX_SHARE_URL_CHARS));
    }
}
