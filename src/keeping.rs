//! Keeping the user's work: which diagram the page opens with, autosave after
//! every change, files (open and save) and share links, wired to the editor.
//!
//! The formats and the browser calls are in [`crate::storage`]; this module
//! decides when they happen and what the user is told. Rules:
//! - Opening: a share link in the address (`#s=...`) wins, then the newest
//!   autosaved version the engine accepts, then the starter design. A link that
//!   cannot be opened is reported and the autosave is opened instead, so a bad
//!   link never costs the user their work.
//! - Once a shared design is open, the fragment is removed from the address:
//!   reloading then shows the autosave (the shared design plus any edits), not
//!   the link's original again.
//! - Autosave stores only documents the engine accepted (every document the
//!   editor holds has been), and says once, not on every edit, when it fails.
//! - A file or link that fails to open leaves the current diagram untouched.

use crate::builtin::STARTER_SCENARIO;
use crate::editor::Editor;
use crate::storage::{self, ShareError, StorageError};
use leptos::prelude::*;
use scalelab_engine::Scenario;

/// The diagram the page opens with, and what to tell the user about it.
pub struct Opening {
    pub scenario: Scenario,
    /// `(text, is_error)`.
    pub message: Option<(String, bool)>,
    /// The address carried a share link that should now be removed from it.
    pub clear_fragment: bool,
}

/// Decides what the page opens with from the address fragment and the
/// autosaved versions (newest first), as read from the browser.
pub fn choose_opening(fragment: &str, autosaved: Result<Vec<storage::SavedVersion>, StorageError>) -> Opening {
    let mut notes: Vec<(String, bool)> = Vec::new();
    let has_link = !matches!(storage::scenario_from_fragment(fragment), Err(ShareError::NoScenario));
    if has_link {
        let shared = storage::scenario_from_fragment(fragment)
            .map_err(|e| e.to_string())
            .and_then(|json| Scenario::from_json(&json).map_err(|e| format!("the design in it is not valid: {e}")));
        match shared {
            Ok(scenario) => {
                return Opening {
                    scenario,
                    message: Some(("Opened the design from the share link".into(), false)),
                    clear_fragment: true,
                }
            }
            Err(why) => notes.push((format!("The share link could not be opened: {why}"), true)),
        }
    }
    match autosaved {
        Ok(versions) => {
            // A version the engine no longer accepts is skipped, not fatal.
            if let Some(scenario) = versions.iter().find_map(|v| Scenario::from_json(&v.json).ok()) {
                let what = if notes.is_empty() { "Restored your last diagram (autosaved)".to_string() } else { "Your last autosaved diagram is shown instead".to_string() };
                notes.push((what, false));
                return finish(scenario, notes, has_link);
            }
        }
        Err(e) => notes.push((e.to_string(), false)),
    }
    let starter = Scenario::from_json(STARTER_SCENARIO).expect("the built-in scenario is valid");
    finish(starter, notes, has_link)
}

fn finish(scenario: Scenario, notes: Vec<(String, bool)>, clear_fragment: bool) -> Opening {
    let error = notes.iter().any(|(_, e)| *e);
    let message = (!notes.is_empty()).then(|| (notes.into_iter().map(|(t, _)| t).collect::<Vec<_>>().join(". "), error));
    Opening { scenario, message, clear_fragment }
}

/// Reads the address and the autosave and chooses the opening diagram.
pub fn open_from_browser() -> Opening {
    let fragment = window().location().hash().unwrap_or_default();
    choose_opening(&fragment, storage::autosaved_versions())
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

/// `scalelab-<name>.json`, with the name cut to letters, digits and dashes.
pub fn file_name(scenario: &Scenario) -> String {
    let slug: String = scenario
        .name
        .as_deref()
        .unwrap_or("design")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let slug = slug.split('-').filter(|s| !s.is_empty()).take(8).collect::<Vec<_>>().join("-");
    format!("scalelab-{}.json", if slug.is_empty() { "design" } else { &slug })
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
    leptos::task::spawn_local(async move {
        let name = file.name();
        let text = match storage::read_file_text(file).await {
            Ok(text) => text,
            Err(e) => return editor.refuse(format!("{e}; your diagram is unchanged")),
        };
        match Scenario::from_json(&text) {
            Ok(scenario) => editor.load(scenario, &format!("Opened \"{name}\" (Undo brings the previous diagram back)")),
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
    let clipboard = window().navigator().clipboard();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await {
            Ok(_) => editor.say("Link copied to the clipboard"),
            Err(_) => editor.refuse("The browser did not allow copying: select the link and copy it by hand"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SavedVersion;

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

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name(&design("Shop: 2 web servers!")), "scalelab-shop-2-web-servers.json");
        let mut s = design("x");
        s.name = None;
        assert_eq!(file_name(&s), "scalelab-design.json");
        assert_eq!(file_name(&design("データ")), "scalelab-design.json");
    }

    #[test]
    fn long_designs_are_offered_as_files() {
        let page = "https://example.org/scalelab/";
        assert!(matches!(share_offer(page, &design("small")), ShareOffer::Link(u) if u.starts_with("https://example.org/scalelab/#s=")));
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
