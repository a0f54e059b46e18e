//! The blueprints: designs of real systems (a URL shortener, a news feed, a
//! chat service...), each a scenario with a goal and a note saying what the
//! system must do, the numbers that drive it, where its bottleneck is and
//! what to try. Files `blueprints/NAME.json` and `blueprints/NAME.md`, in the
//! examples' format; opened with `?blueprint=NAME`, from the gallery, or the
//! lesson panel, like a lesson (Undo brings back the design it replaced).
//! The native tests run each one and check its goal's verdict.

use super::shelf::{source, Shelf, Source};

/// Adding a blueprint is one line here (and its two files).
pub const BLUEPRINTS: &[Source] = &[
    source!("blueprints", "url-shortener"),
    source!("blueprints", "news-feed"),
    source!("blueprints", "chat"),
    source!("blueprints", "photo-upload"),
    source!("blueprints", "video-streaming"),
    source!("blueprints", "flash-sale"),
    source!("blueprints", "ticket-booking"),
    source!("blueprints", "global-site"),
];

pub static SHELF: Shelf = Shelf::new("blueprint", BLUEPRINTS);

#[cfg(test)]
mod tests {
    use super::super::shelf;
    use super::*;

    #[test]
    fn every_blueprint_parses_has_a_name_a_goal_and_a_note_with_its_parts() {
        shelf::check(&SHELF);
    }

    #[test]
    fn every_blueprint_file_is_built_in() {
        // Each `blueprints/NAME.json` on disk has its line in the list.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/blueprints");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".json").map(str::to_string))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = SHELF.names().map(str::to_string).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }

    #[test]
    fn names_are_said_in_words_and_unknown_ones_listed() {
        let d = SHELF.find("url-shortener").unwrap();
        assert_eq!(d.called(), "the URL shortener blueprint");
        assert_eq!(d.query(), "?blueprint=url-shortener");
        assert!(SHELF.unknown("nope").starts_with("There is no blueprint \"nope\": the blueprints are url-shortener"));
    }

    #[test]
    fn every_built_in_design_is_told_apart_by_its_goal() {
        // The lesson panel knows which design is open by its goal: no two
        // built-in designs, on any shelf, may share one, nor one with a lesson.
        for d in shelf::all() {
            let s = d.scenario().unwrap();
            assert_eq!(shelf::with_goal(s), Some(d), "{}", d.called());
            assert_eq!(super::super::lesson_with_goal(s), None, "{} has a lesson's goal", d.called());
        }
    }
}
