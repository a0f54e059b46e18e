//! Errors a user can act on: every problem in a scenario, each with the path of
//! the field it is about (`nodes[2].workers: must be at least 1`).

use std::fmt;

/// One problem with one field of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Where: `nodes[2].service.mean_ms`, `links[0].to`, or `` for the whole document.
    pub path: String,
    /// What is wrong and, where possible, what would be right.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A scenario that cannot be run, with every problem found (not just the first).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The text is not JSON at all; `line` and `column` point at the problem.
    Syntax { line: usize, column: usize, message: String },
    /// The JSON was read but some fields are missing, unknown or out of range.
    Invalid(Vec<Issue>),
}

impl ScenarioError {
    /// Every problem as an [`Issue`] (a syntax error becomes one issue at the root).
    pub fn issues(&self) -> Vec<Issue> {
        match self {
            ScenarioError::Syntax { line, column, message } => vec![Issue {
                path: String::new(),
                message: format!("not valid JSON at line {line}, column {column}: {message}"),
            }],
            ScenarioError::Invalid(issues) => issues.clone(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issues = self.issues();
        if issues.len() == 1 {
            return write!(f, "invalid scenario: {}", issues[0]);
        }
        writeln!(f, "invalid scenario ({} problems):", issues.len())?;
        for (i, issue) in issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
