//! Older scenario formats, brought up to the current one before parsing.
//!
//! Each step turns a document of version `n` into version `n + 1` by editing
//! its JSON value; [`migrate`] runs the steps from the document's version up
//! to [`FORMAT_VERSION`]. The parser then reads only the current format, and a
//! migrated scenario is written back in it (`version` included) when it is
//! saved, shared or exported. A version above the current one is left alone
//! for the parser, which refuses it with a message naming `version`.
//!
//! ## Version 2: alert metrics named like everything else
//!
//! In version 1 an alert rule and a goal check named the same reading of a
//! node differently: the requests waiting at a station (or the jobs on a
//! message queue) were `"queue"` in an alert but `"backlog"` in a goal, and
//! the alert metric `"throughput"` was the only rate in the format without its
//! unit (the report says `throughput_rps`, a goal `traffic_rps`). A teacher
//! who copied a metric from a goal into an alert got a refusal. Version 2
//! names them `"backlog"` and `"throughput_rps"`; nothing else changed.

use crate::model::scenario::FORMAT_VERSION;
use serde_json::Value;
use std::borrow::Cow;

/// One step: edits a document of version `n` (index `n - 1`) into version `n + 1`.
type Step = fn(&mut serde_json::Map<String, Value>);

/// `STEPS[n - 1]` migrates version `n` to `n + 1`.
const STEPS: &[Step] = &[v1_to_v2];

// Every version below the current one has its step.
const _: () = assert!(STEPS.len() == FORMAT_VERSION as usize - 1);

/// The document in the current format. A document of an older version is
/// copied and migrated (its `version` becomes [`FORMAT_VERSION`]); anything
/// else (current, newer, no version, not an object) is returned as it is, for
/// the parser to read or refuse.
pub fn migrate(value: &Value) -> Cow<'_, Value> {
    // Read like the parser reads it (1.0 is 1 too).
    let version = value
        .get("version")
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)));
    let from = match version {
        Some(v) if v >= 1 && v < u64::from(FORMAT_VERSION) => v as usize,
        _ => return Cow::Borrowed(value),
    };
    let mut doc = value.clone();
    let Value::Object(map) = &mut doc else { return Cow::Borrowed(value) };
    for step in &STEPS[from - 1..] {
        step(map);
    }
    map.insert("version".into(), Value::from(FORMAT_VERSION));
    Cow::Owned(doc)
}

/// Version 1 to 2: alert metrics `"queue"` → `"backlog"`, `"throughput"` →
/// `"throughput_rps"` (see the module's documentation).
fn v1_to_v2(doc: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(alerts)) = doc.get_mut("alerts") else { return };
    for alert in alerts.iter_mut() {
        let Some(Value::String(metric)) = alert.get_mut("metric") else { continue };
        let renamed = match metric.as_str() {
            "queue" => "backlog",
            "throughput" => "throughput_rps",
            _ => continue,
        };
        *metric = renamed.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_1_alerts_are_renamed_and_the_version_raised() {
        let v1 = json!({"version": 1.0, "alerts": [
            {"metric": "queue"}, {"metric": "throughput"}, {"metric": "p99_ms"}, "not an object", {"metric": 3}
        ]});
        let v2 = migrate(&v1);
        assert_eq!(
            *v2,
            json!({"version": 2, "alerts": [
                {"metric": "backlog"}, {"metric": "throughput_rps"}, {"metric": "p99_ms"}, "not an object", {"metric": 3}
            ]})
        );
    }

    #[test]
    fn current_newer_and_malformed_documents_are_left_to_the_parser() {
        for doc in [
            json!({"version": 2, "alerts": [{"metric": "queue"}]}),
            json!({"version": 3}),
            json!({"version": 0}),
            json!({"version": "1"}),
            json!({"alerts": [{"metric": "queue"}]}),
            json!([1, 2]),
            json!(null),
        ] {
            assert!(matches!(migrate(&doc), Cow::Borrowed(_)), "{doc}");
        }
    }
}
