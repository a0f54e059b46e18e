//! The sixteen lessons, built into the page: each is a scenario document
//! (`lessons/NN-slug.json`) and a text (`lessons/NN-slug.md`: a `# N. Title`
//! line, paragraphs, a `## Try this` list and a `## Goal` paragraph). Both are
//! parsed the first time a lesson is asked for, and kept.

pub mod blueprints;
pub mod changes;
pub mod examples;
pub mod markdown;
pub mod shelf;

use markdown::{Block, Inline};
use scalelab_engine::Scenario;
use std::sync::OnceLock;

/// One lesson's files, as built into the page.
pub struct LessonSource {
    pub number: u32,
    pub slug: &'static str,
    pub json: &'static str,
    pub markdown: &'static str,
}

macro_rules! lesson {
    ($n:expr, $slug:literal) => {
        LessonSource {
            number: $n,
            slug: $slug,
            json: include_str!(concat!("../../lessons/", $slug, ".json")),
            markdown: include_str!(concat!("../../lessons/", $slug, ".md")),
        }
    };
}

pub const COUNT: usize = 16;

pub const LESSONS: [LessonSource; COUNT] = [
    lesson!(1, "01-single-server"),
    lesson!(2, "02-web-and-data-tiers"),
    lesson!(3, "03-vertical-scaling"),
    lesson!(4, "04-load-balancer"),
    lesson!(5, "05-database-replication"),
    lesson!(6, "06-cache"),
    lesson!(7, "07-cdn"),
    lesson!(8, "08-stateless-web-tier"),
    lesson!(9, "09-data-centers"),
    lesson!(10, "10-queue-and-workers"),
    lesson!(11, "11-monitoring-and-automation"),
    lesson!(12, "12-sharding"),
    lesson!(13, "13-millions-of-users"),
    lesson!(14, "14-timeouts-and-retries"),
    lesson!(15, "15-retry-storms-and-metastable-failures"),
    lesson!(16, "16-rate-limits-and-load-shedding"),
];

/// A lesson's text, split into its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub number: u32,
    /// "Load balancer and a second web server" (without the number).
    pub title: String,
    /// The explanation: everything before "Try this".
    pub explanation: Vec<Block>,
    pub try_this: Vec<Vec<Inline>>,
    pub goal: Vec<Block>,
}

/// Splits a lesson text into title, explanation, things to try and goal.
pub fn parse_text(number: u32, md: &str) -> Lesson {
    let mut lesson =
        Lesson { number, title: String::new(), explanation: Vec::new(), try_this: Vec::new(), goal: Vec::new() };
    #[derive(PartialEq)]
    enum Part {
        Explanation,
        Try,
        Goal,
    }
    let mut part = Part::Explanation;
    for block in markdown::parse(md) {
        match &block {
            Block::Heading(1, parts) if lesson.title.is_empty() => {
                let text = markdown::plain_text(parts);
                // "4. Title" -> "Title"
                lesson.title = match text.split_once(". ") {
                    Some((n, rest)) if n.trim().parse::<u32>().is_ok() => rest.trim().to_string(),
                    _ => text,
                };
                continue;
            }
            Block::Heading(2, parts) => {
                let h = markdown::plain_text(parts).to_ascii_lowercase();
                if h.starts_with("try this") {
                    part = Part::Try;
                    continue;
                }
                if h.starts_with("goal") {
                    part = Part::Goal;
                    continue;
                }
            }
            _ => {}
        }
        match (&part, block) {
            (Part::Try, Block::List(items)) => lesson.try_this.extend(items),
            (Part::Try, other) => lesson.explanation.push(other),
            (Part::Goal, b) => lesson.goal.push(b),
            (Part::Explanation, b) => lesson.explanation.push(b),
        }
    }
    lesson
}

/// Lesson `n` (1-based), or `None`.
pub fn source(n: u32) -> Option<&'static LessonSource> {
    LESSONS.get((n as usize).checked_sub(1)?)
}

/// The text of lesson `n`, parsed once.
pub fn text(n: u32) -> Option<&'static Lesson> {
    static TEXTS: [OnceLock<Lesson>; COUNT] = [const { OnceLock::new() }; COUNT];
    let s = source(n)?;
    Some(TEXTS[n as usize - 1].get_or_init(|| parse_text(s.number, s.markdown)))
}

/// The scenario of lesson `n`, parsed once. The build checks every lesson
/// parses (the native tests), so `None` only for a number out of range.
pub fn scenario(n: u32) -> Option<&'static Scenario> {
    static SCENARIOS: [OnceLock<Option<Scenario>>; COUNT] = [const { OnceLock::new() }; COUNT];
    let s = source(n)?;
    SCENARIOS[n as usize - 1].get_or_init(|| Scenario::from_json(s.json).ok()).as_ref()
}

/// The lesson whose goal `doc` carries, if any (a saved lesson design).
pub fn lesson_with_goal(doc: &Scenario) -> Option<u32> {
    let goal = doc.goal.as_ref()?;
    (1..=COUNT as u32).find(|&n| scenario(n).and_then(|s| s.goal.as_ref()) == Some(goal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_parses_and_has_its_parts() {
        for s in &LESSONS {
            let parsed = Scenario::from_json(s.json).unwrap_or_else(|e| panic!("lesson {}: {e}", s.number));
            assert!(parsed.goal.is_some(), "lesson {} has a goal", s.number);
            assert!(s.slug.starts_with(&format!("{:02}-", s.number)));
            let first = s.markdown.lines().next().unwrap();
            assert!(first.starts_with(&format!("# {}. ", s.number)), "lesson {}: {first}", s.number);
            let t = text(s.number).unwrap();
            assert_eq!(t.number, s.number);
            assert!(!t.title.is_empty() && !t.title.starts_with(char::is_numeric), "{}", t.title);
            assert!(!t.explanation.is_empty(), "lesson {} explains", s.number);
            assert!(t.try_this.len() >= 2, "lesson {} has things to try", s.number);
            assert!(!t.goal.is_empty(), "lesson {} has a goal text", s.number);
            assert!(scenario(s.number).is_some());
            assert_eq!(lesson_with_goal(scenario(s.number).unwrap()), Some(s.number));
        }
        assert!(source(0).is_none() && source(COUNT as u32 + 1).is_none());
    }

    #[test]
    fn the_title_loses_its_number() {
        let l = parse_text(4, "# 4. Load balancer\n\nText.\n\n## Try this\n\n- a\n- b\n\n## Goal\n\nG.\n");
        assert_eq!(l.title, "Load balancer");
        assert_eq!(l.try_this.len(), 2);
        assert_eq!(l.goal, vec![Block::Paragraph(vec![Inline::Text("G.".into())])]);
    }
}
