//! The examples, built into the page: each shows one way systems fail under
//! load, opened with `?example=NAME`. Each is a scenario document
//! (`examples/NAME.json`, its name in its `name` field) and a note
//! (`examples/NAME.md`, in the lessons' format: a `# Title` line, paragraphs,
//! `## Try this` and `## Goal`). The native tests run every one and check its
//! goal fails as shipped and passes with the change its note suggests.

use scalelab_engine::Scenario;
use std::sync::OnceLock;

/// One example's files, as built into the page.
pub struct ExampleSource {
    /// What the address names it by: `?example=sinkholing`.
    pub name: &'static str,
    pub json: &'static str,
    pub markdown: &'static str,
}

macro_rules! example {
    ($name:literal) => {
        ExampleSource {
            name: $name,
            json: include_str!(concat!("../../examples/", $name, ".json")),
            markdown: include_str!(concat!("../../examples/", $name, ".md")),
        }
    };
}

pub const COUNT: usize = 5;

pub const EXAMPLES: [ExampleSource; COUNT] = [
    example!("sinkholing"),
    example!("goodput-collapse"),
    example!("tipping-point"),
    example!("retry-storm"),
    example!("cache-stampede"),
];

/// The example called `name`, by its index.
fn index(name: &str) -> Option<usize> {
    EXAMPLES.iter().position(|e| e.name == name)
}

/// The design of the example called `name`, parsed once; `None` for a name
/// that is not an example (the build's tests check every example parses).
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    static SCENARIOS: [OnceLock<Option<Scenario>>; COUNT] = [const { OnceLock::new() }; COUNT];
    let i = index(name)?;
    SCENARIOS[i].get_or_init(|| Scenario::from_json(EXAMPLES[i].json).ok()).as_ref()
}

/// The note of the example called `name`, parsed once.
pub fn text(name: &str) -> Option<&'static super::Lesson> {
    static TEXTS: [OnceLock<super::Lesson>; COUNT] = [const { OnceLock::new() }; COUNT];
    let i = index(name)?;
    Some(TEXTS[i].get_or_init(|| super::parse_text(0, EXAMPLES[i].markdown)))
}

/// The example whose goal `doc` carries, if any (an example's design, edited or not).
pub fn example_with_goal(doc: &Scenario) -> Option<&'static str> {
    let goal = doc.goal.as_ref()?;
    EXAMPLES.iter().map(|e| e.name).find(|&n| scenario(n).and_then(|s| s.goal.as_ref()) == Some(goal))
}

/// What the user is told an example is called: "the Balancer sinkholing example".
pub fn called(name: &str) -> Option<String> {
    let title = scenario(name)?.name.clone().unwrap_or_else(|| name.to_string());
    Some(format!("the {title} example"))
}

/// Why `name` opened nothing, in words that list what does.
pub fn unknown(name: &str) -> String {
    let names: Vec<&str> = EXAMPLES.iter().map(|e| e.name).collect();
    format!("There is no example \"{name}\": the examples are {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_has_a_name_a_goal_and_a_note_with_its_parts() {
        for e in &EXAMPLES {
            let s = Scenario::from_json(e.json).unwrap_or_else(|err| panic!("{}: {err}", e.name));
            let title = s.name.as_deref().unwrap_or_else(|| panic!("{}: no name", e.name));
            assert!(s.goal.is_some(), "{}: no goal", e.name);
            let note = super::super::parse_text(0, e.markdown);
            assert_eq!(note.title, title, "{}: the note's title is the design's name", e.name);
            assert!(!note.explanation.is_empty() && !note.try_this.is_empty() && !note.goal.is_empty(), "{}", e.name);
            assert_eq!(scenario(e.name), Some(&s));
        }
    }

    #[test]
    fn names_are_found_and_unknown_ones_are_listed_in_words() {
        assert_eq!(called("sinkholing").as_deref(), Some("the Balancer sinkholing example"));
        assert!(scenario("nope").is_none() && called("nope").is_none());
        assert_eq!(
            unknown("nope"),
            "There is no example \"nope\": the examples are sinkholing, goodput-collapse, tipping-point, retry-storm, cache-stampede"
        );
    }
}
