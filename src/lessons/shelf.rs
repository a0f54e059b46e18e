//! Built-in designs with a note: the overload examples (`examples/`) and the
//! blueprints of real systems (`blueprints/`) are the same thing on two
//! shelves. Each design is a scenario document (`NAME.json`, its title in its
//! `name` field, with a goal) and a note (`NAME.md`, in the lessons' format:
//! a `# Title` line, paragraphs, `## Try this` and `## Goal`), built into the
//! page with `include_str!` and opened from the address (`?example=NAME`,
//! `?blueprint=NAME`), the lesson panel or the gallery, like a lesson: Undo
//! brings back the design it replaced.
//!
//! A shelf parses all of its designs the first time one is asked for, and
//! keeps them. Adding a design is one line in its shelf's list.

use scalelab_engine::Scenario;
use std::sync::OnceLock;

/// One design's files, as built into the page.
pub struct Source {
    /// What the address names it by: `?example=sinkholing`.
    pub name: &'static str,
    pub json: &'static str,
    pub markdown: &'static str,
}

/// `source!("examples", "sinkholing")`: the files `examples/sinkholing.json`
/// and `.md`, built in.
macro_rules! source {
    ($folder:literal, $name:literal) => {
        $crate::lessons::shelf::Source {
            name: $name,
            json: include_str!(concat!("../../", $folder, "/", $name, ".json")),
            markdown: include_str!(concat!("../../", $folder, "/", $name, ".md")),
        }
    };
}
pub(crate) use source;

/// A list of built-in designs of one sort.
pub struct Shelf {
    /// What one of them is called, in words and in the address: "example", "blueprint".
    pub what: &'static str,
    pub sources: &'static [Source],
    parsed: OnceLock<Vec<(Option<Scenario>, super::Lesson)>>,
}

impl Shelf {
    pub const fn new(what: &'static str, sources: &'static [Source]) -> Shelf {
        Shelf { what, sources, parsed: OnceLock::new() }
    }

    fn parsed(&self) -> &[(Option<Scenario>, super::Lesson)] {
        self.parsed.get_or_init(|| {
            self.sources.iter().map(|s| (Scenario::from_json(s.json).ok(), super::parse_text(0, s.markdown))).collect()
        })
    }

    /// The names, in the shelf's order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.sources.iter().map(|s| s.name)
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.name == name)
    }

    /// The design called `name` on this shelf, with its own `'static` name.
    pub fn find(&'static self, name: &str) -> Option<Design> {
        self.index(name).map(|i| Design { shelf: self, name: self.sources[i].name })
    }

    /// Every design on the shelf.
    pub fn designs(&'static self) -> impl Iterator<Item = Design> {
        self.sources.iter().map(move |s| Design { shelf: self, name: s.name })
    }

    /// The design of `name`, parsed once; `None` for a name not on the shelf
    /// (the build's tests check every design parses).
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.parsed()[self.index(name)?].0.as_ref()
    }

    /// The note of `name`, parsed once.
    pub fn text(&self, name: &str) -> Option<&super::Lesson> {
        Some(&self.parsed()[self.index(name)?].1)
    }

    /// The design on this shelf whose goal `doc` carries (edited or not).
    pub fn with_goal(&'static self, doc: &Scenario) -> Option<Design> {
        let goal = doc.goal.as_ref()?;
        self.designs().find(|d| d.scenario().and_then(|s| s.goal.as_ref()) == Some(goal))
    }

    /// What the user is told `name` is called: "the Balancer sinkholing example".
    pub fn called(&self, name: &str) -> Option<String> {
        let title = self.scenario(name)?.name.clone().unwrap_or_else(|| name.to_string());
        Some(format!("the {title} {}", self.what))
    }

    /// Why `name` opened nothing, in words that list what does.
    pub fn unknown(&self, name: &str) -> String {
        let names: Vec<&str> = self.names().collect();
        format!("There is no {} \"{name}\": the {}s are {}", self.what, self.what, names.join(", "))
    }
}

/// One built-in design: its shelf and its name.
#[derive(Clone, Copy, Debug)]
pub struct Design {
    pub shelf: &'static Shelf,
    pub name: &'static str,
}

impl PartialEq for Design {
    fn eq(&self, other: &Design) -> bool {
        std::ptr::eq(self.shelf, other.shelf) && self.name == other.name
    }
}
impl Eq for Design {}

impl std::fmt::Debug for Shelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shelf({})", self.what)
    }
}

impl Design {
    pub fn scenario(&self) -> Option<&'static Scenario> {
        self.shelf.scenario(self.name)
    }

    pub fn text(&self) -> Option<&'static super::Lesson> {
        self.shelf.text(self.name)
    }

    /// The title: the note's, which the tests hold equal to the design's name.
    pub fn title(&self) -> String {
        self.text().map(|t| t.title.clone()).unwrap_or_else(|| self.name.to_string())
    }

    /// "the Balancer sinkholing example".
    pub fn called(&self) -> String {
        self.shelf.called(self.name).unwrap_or_else(|| format!("the {} {}", self.name, self.shelf.what))
    }

    /// The first sentence of the note: what the design is, in one line.
    pub fn summary(&self) -> String {
        let Some(text) = self.text() else { return String::new() };
        let first = text.explanation.iter().find_map(|b| match b {
            super::markdown::Block::Paragraph(parts) => Some(super::markdown::plain_text(parts)),
            _ => None,
        });
        let first = first.unwrap_or_default();
        match first.find(". ") {
            Some(i) => first[..=i].to_string(),
            None => first,
        }
    }

    /// The address that opens it: `?example=sinkholing`.
    pub fn query(&self) -> String {
        format!("?{}={}", self.shelf.what, self.name)
    }
}

/// Every built-in design with a note, blueprints first: what the gallery lists.
pub fn all() -> impl Iterator<Item = Design> {
    super::blueprints::SHELF.designs().chain(super::examples::SHELF.designs())
}

/// The built-in design whose goal `doc` carries, on any shelf.
pub fn with_goal(doc: &Scenario) -> Option<Design> {
    super::blueprints::SHELF.with_goal(doc).or_else(|| super::examples::SHELF.with_goal(doc))
}

/// The built-in design the address asks for (`?example=NAME`, else
/// `?blueprint=NAME`), or why there is none by that name.
pub fn asked(options: &crate::base::page::PageOptions) -> Option<Result<Design, String>> {
    let (shelf, name) = match (&options.example, &options.blueprint) {
        (Some(name), _) => (&super::examples::SHELF, name),
        (None, Some(name)) => (&super::blueprints::SHELF, name),
        (None, None) => return None,
    };
    Some(shelf.find(name).ok_or_else(|| shelf.unknown(name)))
}

/// Checks every design of a shelf: it parses, has a name and a goal, and its
/// note has the name as its title and every part. For the shelves' tests.
#[cfg(test)]
pub fn check(shelf: &'static Shelf) {
    assert!(!shelf.sources.is_empty(), "{} shelf is empty", shelf.what);
    for e in shelf.sources {
        let s = Scenario::from_json(e.json).unwrap_or_else(|err| panic!("{}: {err}", e.name));
        let title = s.name.as_deref().unwrap_or_else(|| panic!("{}: no name", e.name));
        assert!(s.goal.is_some(), "{}: no goal", e.name);
        let note = super::parse_text(0, e.markdown);
        assert_eq!(note.title, title, "{}: the note's title is the design's name", e.name);
        assert!(!note.explanation.is_empty() && !note.try_this.is_empty() && !note.goal.is_empty(), "{}", e.name);
        assert_eq!(shelf.scenario(e.name), Some(&s));
        let d = shelf.find(e.name).unwrap();
        assert_eq!(shelf.with_goal(&s), Some(d), "{}: its goal is its own", e.name);
        assert!(!d.summary().is_empty(), "{}: the note says what it is", e.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::page::PageOptions;

    #[test]
    fn the_address_asks_for_an_example_or_a_blueprint_by_name() {
        let asked = |q: &str| asked(&PageOptions::from_query(q));
        assert_eq!(
            asked("?blueprint=url-shortener"),
            Some(Ok(super::super::blueprints::SHELF.find("url-shortener").unwrap()))
        );
        assert_eq!(asked("?example=sinkholing&blueprint=url-shortener").unwrap().unwrap().shelf.what, "example");
        let why = asked("?blueprint=nope").unwrap().unwrap_err();
        assert!(why.starts_with("There is no blueprint \"nope\""), "{why}");
        assert_eq!(asked("?lesson=3"), None);
    }

    #[test]
    fn a_summary_is_the_notes_first_sentence() {
        let d = super::super::examples::SHELF.find("sinkholing").unwrap();
        assert_eq!(d.summary(), "Least connections sends each request to the server with the fewest requests open.");
        assert_eq!(d.title(), "Balancer sinkholing");
    }
}
