//! The event log: what happened to the system, in words, with simulated times
//! ("web-1 failed", "db started rejecting requests: queue full"). A ring of
//! fixed size; the page shows the latest entries.

use crate::base::time::Nanos;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const LOG_CAPACITY: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Sequence number since the start (lets a reader fetch only new entries).
    pub seq: u64,
    pub t: Nanos,
    /// The node concerned, if any.
    pub node: Option<String>,
    pub severity: Severity,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
    next_seq: u64,
}

impl EventLog {
    pub fn push(&mut self, t: Nanos, node: Option<&str>, severity: Severity, text: String) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry { seq: self.next_seq, t, node: node.map(str::to_string), severity, text });
        self.next_seq += 1;
    }

    /// Entries with a sequence number at or after `seq`, oldest first.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(move |e| e.seq >= seq)
    }

    pub fn entries(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter()
    }

    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
