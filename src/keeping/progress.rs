//! Lesson progress kept in the browser: which lessons' goals were met, and the
//! lesson open last. One `localStorage` key holding a versioned JSON value:
//! `{"v":1,"completed":[1,2,4],"last":5}`.
//!
//! Reading never fails: a missing, damaged or newer value is empty progress.
//! When the browser gives the page no storage, progress lives for this visit
//! only (the caller says so once, together with autosave).

use crate::keeping::storage::StorageError;
use std::collections::BTreeSet;

pub const PROGRESS_KEY: &str = "scalelab.lessons";
const FORMAT: u64 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Lessons whose goal was met while they were open.
    pub completed: BTreeSet<u32>,
    /// The lesson open last (`None`: none, or the user's own design).
    pub last: Option<u32>,
}

fn lesson_number(v: &serde_json::Value) -> Option<u32> {
    let n = u32::try_from(v.as_u64()?).ok()?;
    (1..=crate::lessons::COUNT as u32).contains(&n).then_some(n)
}

/// Progress from its stored text (`None`: nothing stored). Never panics.
pub fn parse(stored: Option<&str>) -> Progress {
    let Some(Ok(serde_json::Value::Object(o))) = stored.map(serde_json::from_str::<serde_json::Value>) else {
        return Progress::default();
    };
    if o.get("v").and_then(|v| v.as_u64()) != Some(FORMAT) {
        return Progress::default();
    }
    let completed = o
        .get("completed")
        .and_then(|c| c.as_array())
        .map(|a| a.iter().filter_map(lesson_number).collect())
        .unwrap_or_default();
    let last = o.get("last").and_then(lesson_number);
    Progress { completed, last }
}

/// The stored text of `p`.
pub fn to_json(p: &Progress) -> String {
    serde_json::json!({
        "v": FORMAT,
        "completed": p.completed.iter().collect::<Vec<_>>(),
        "last": p.last,
    })
    .to_string()
}

/// The progress stored in this browser.
pub fn load() -> Result<Progress, StorageError> {
    let storage = crate::keeping::storage::local_storage()?;
    let stored = storage.get_item(PROGRESS_KEY).map_err(|e| crate::keeping::storage::storage_error(&e))?;
    Ok(parse(stored.as_deref()))
}

/// Stores `p`.
pub fn save(p: &Progress) -> Result<(), StorageError> {
    let storage = crate::keeping::storage::local_storage()?;
    storage.set_item(PROGRESS_KEY, &to_json(p)).map_err(|e| crate::keeping::storage::storage_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let p = Progress { completed: [1, 2, 13].into_iter().collect(), last: Some(4) };
        assert_eq!(parse(Some(&to_json(&p))), p);
        assert_eq!(to_json(&p), r#"{"completed":[1,2,13],"last":4,"v":1}"#);
        let empty = Progress::default();
        assert_eq!(parse(Some(&to_json(&empty))), empty);
    }

    #[test]
    fn damaged_or_foreign_values_are_empty_progress() {
        for bad in
            ["", "null", "[1,2]", "{", "{\"v\":2,\"completed\":[1]}", "{\"completed\":[1]}", "\u{0}", "{\"v\":\"1\"}"]
        {
            assert_eq!(parse(Some(bad)), Progress::default(), "{bad:?}");
        }
        assert_eq!(parse(None), Progress::default());
    }

    #[test]
    fn bad_entries_are_dropped_and_the_rest_kept() {
        let p = parse(Some(r#"{"v":1,"completed":[1,"2",0,17,-3,2.5,99999999999,5,5],"last":77}"#));
        assert_eq!(p.completed.into_iter().collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(p.last, None);
        let p = parse(Some(r#"{"v":1,"completed":"all","last":3}"#));
        assert!(p.completed.is_empty());
        assert_eq!(p.last, Some(3));
    }
}
