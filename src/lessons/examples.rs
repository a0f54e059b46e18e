//! The examples, built into the page: each shows one way systems fail under
//! load, opened with `?example=NAME`. Each is a scenario document
//! (`examples/NAME.json`, its name in its `name` field) and a note
//! (`examples/NAME.md`, in the lessons' format: a `# Title` line, paragraphs,
//! `## Try this` and `## Goal`); a [`Shelf`] like the blueprints'. The native
//! tests run every one and check its goal fails as shipped and passes with
//! the change its note suggests.

use super::shelf::{source, Shelf, Source};
use scalelab_engine::Scenario;

/// Adding an example is one line here (and its two files).
pub const EXAMPLES: &[Source] = &[
    source!("examples", "sinkholing"),
    source!("examples", "goodput-collapse"),
    source!("examples", "tipping-point"),
    source!("examples", "retry-storm"),
    source!("examples", "cache-stampede"),
    source!("examples", "pool-exhaustion"),
];

pub static SHELF: Shelf = Shelf::new("example", EXAMPLES);

/// The design of the example called `name`, parsed once.
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SHELF.scenario(name)
}

/// What the user is told an example is called: "the Balancer sinkholing example".
pub fn called(name: &str) -> Option<String> {
    SHELF.called(name)
}

/// Why `name` opened nothing, in words that list what does.
pub fn unknown(name: &str) -> String {
    SHELF.unknown(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_has_a_name_a_goal_and_a_note_with_its_parts() {
        super::super::shelf::check(&SHELF);
        // Every example in the folder is built in.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().ok()?.strip_suffix(".json").map(str::to_string))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = SHELF.names().map(str::to_string).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }

    #[test]
    fn names_are_found_and_unknown_ones_are_listed_in_words() {
        assert_eq!(called("sinkholing").as_deref(), Some("the Balancer sinkholing example"));
        assert!(scenario("nope").is_none() && called("nope").is_none() && SHELF.find("nope").is_none());
        assert_eq!(
            unknown("nope"),
            "There is no example \"nope\": the examples are sinkholing, goodput-collapse, tipping-point, retry-storm, cache-stampede, pool-exhaustion"
        );
        assert_eq!(SHELF.find("sinkholing").unwrap().query(), "?example=sinkholing");
    }
}
