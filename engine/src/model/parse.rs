//! Reading a scenario document: JSON text to a checked [`Scenario`].
//!
//! We walk a `serde_json::Value` by hand instead of deriving `Deserialize`, because
//! the user needs *every* problem at once, each with the path of its field
//! (`nodes[2].workers: must be at least 1`), and unknown fields named with a
//! suggestion (`nodes[0].wrkers: unknown field; did you mean "workers"?`).
//! Serde's derived errors stop at the first problem and give a line and column.

use crate::base::limits::*;
use crate::base::suggest::suggest;
use crate::model::error::{Issue, ScenarioError};
use crate::model::scenario::*;
use crate::model::validate::validate_graph;
use serde_json::{Map, Value};

pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(ScenarioError::Invalid(vec![Issue {
            path: String::new(),
            message: format!(
                "the document is {} KB; scenarios larger than {} KB are refused",
                text.len() / 1024,
                MAX_DOCUMENT_BYTES / 1024
            ),
        }]));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let mut message = strip_position(&e.to_string());
        // 1e400 is valid JSON but no f64: say which field holds it.
        if message.starts_with("number out of range") {
            if let Some(field) = field_before(text, e.line(), e.column()) {
                message = format!("{message} in field \"{field}\" (numbers must be finite, at most about 1.8e308)");
            }
        }
        ScenarioError::Syntax { line: e.line(), column: e.column(), message }
    })?;
    parse_value(&value)
}

/// The name of the object field whose value ends at `line`, `column` (the
/// last `"name":` before that point), if there is one.
fn field_before(text: &str, line: usize, column: usize) -> Option<&str> {
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            offset += column.min(l.len());
            break;
        }
        offset += l.len() + 1;
    }
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let colon = before.rfind(':')?;
    let quoted = before[..colon].trim_end().strip_suffix('"')?;
    let key = &quoted[quoted.rfind('"')? + 1..];
    (!key.is_empty() && key.len() <= 64).then_some(key)
}

pub(crate) fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Checks an already-parsed JSON value (an older format is migrated first,
/// see [`crate::model::migrate`]).
pub fn parse_value(value: &Value) -> Result<Scenario, ScenarioError> {
    let value = crate::model::migrate::migrate(value);
    let mut p = Parser { issues: Vec::new(), skeleton: Vec::new() };
    let scenario = p.scenario(&value);
    match scenario {
        Some(s) if p.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError::Invalid(p.issues)),
    }
}

pub(crate) struct Parser {
    issues: Vec<Issue>,
    /// Id and kind of every node entry (with default parameters), even when
    /// some of its fields are wrong: the wiring can then be checked too, so
    /// the user sees field and wiring problems together.
    skeleton: Vec<Option<Node>>,
}

/// An object being read: remembers which fields were asked for, so that the rest
/// can be reported as unknown.
pub(crate) struct Obj<'a> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) path: String,
    known: Vec<&'static str>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn one_of_message(value: &str, options: &[&str]) -> String {
    let list = options.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(", ");
    match suggest(value, options) {
        Some(s) => format!("\"{value}\" is not one of {list}; did you mean \"{s}\"?"),
        None => format!("\"{value}\" is not one of {list}"),
    }
}

impl Parser {
    pub(crate) fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue { path: path.into(), message: message.into() });
    }

    pub(crate) fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<Obj<'a>> {
        match v {
            Value::Object(map) => Some(Obj { map, path: path.to_string(), known: Vec::new() }),
            other => {
                self.issue(path, format!("must be an object, not {}", type_name(other)));
                None
            }
        }
    }

    /// Reports the fields of `obj` that nobody asked for.
    pub(crate) fn finish(&mut self, obj: Obj<'_>) {
        for key in obj.map.keys() {
            if !obj.known.contains(&key.as_str()) {
                let msg = match suggest(key, &obj.known) {
                    Some(s) => format!("unknown field; did you mean \"{s}\"?"),
                    None => format!("unknown field; expected one of: {}", obj.known.join(", ")),
                };
                // A field named "" still needs a path the user can see.
                let name = if key.is_empty() { "\"\"" } else { key.as_str() };
                self.issue(join(&obj.path, name), msg);
            }
        }
    }

    pub(crate) fn get<'a>(&mut self, obj: &mut Obj<'a>, field: &'static str) -> Option<&'a Value> {
        obj.known.push(field);
        obj.map.get(field)
    }

    /// A finite number in `[min, max]`; `default` when absent (required when `None`).
    pub(crate) fn number(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        default: Option<f64>,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None => self.absent(path, default),
            Some(Value::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                self.check_range(&path, x, min, max).then_some(x)
            }
            Some(other) => {
                self.issue(path, format!("must be a number, not {}", type_name(other)));
                None
            }
        }
    }

    /// An absent field: its `default`, or (when it has none) a problem.
    fn absent<T>(&mut self, path: String, default: Option<T>) -> Option<T> {
        if default.is_none() {
            self.issue(path, "missing; this field is required");
        }
        default
    }

    fn check_range(&mut self, path: &str, x: f64, min: f64, max: f64) -> bool {
        if !x.is_finite() {
            self.issue(path, "must be a finite number");
            false
        } else if x < min {
            self.issue(path, format!("must be at least {min}, not {x}"));
            false
        } else if x > max {
            self.issue(path, format!("must be at most {max}, not {x}"));
            false
        } else {
            true
        }
    }

    /// A whole number in `[min, max]`; `default` when absent (required when `None`).
    pub(crate) fn integer(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        default: Option<u64>,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None => self.absent(path, default),
            Some(v) => self.integer_value(&path, v, min, max),
        }
    }

    /// A whole number in `[min, max]`, or `None` when absent or null (the
    /// field's default then depends on other fields, worked out by its user).
    pub(crate) fn optional_integer(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        min: u64,
        max: u64,
    ) -> Option<Option<u64>> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.integer_value(&path, v, min, max).map(Some),
        }
    }

    fn integer_value(&mut self, path: &str, v: &Value, min: u64, max: u64) -> Option<u64> {
        match v {
            Value::Number(n) => {
                let parsed = n.as_u64().or_else(|| {
                    // Accept 4.0 but not 4.5 or -1.
                    n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64).map(|f| f as u64)
                });
                match parsed {
                    None if n.as_f64().is_some_and(|f| f < 0.0) => {
                        self.issue(path, format!("must be at least {min}, not {n}"));
                        None
                    }
                    None => {
                        self.issue(path, format!("must be a whole number, not {n}"));
                        None
                    }
                    Some(x) if x < min => {
                        self.issue(path, format!("must be at least {min}, not {x}"));
                        None
                    }
                    Some(x) if x > max => {
                        self.issue(path, format!("must be at most {max}, not {x}"));
                        None
                    }
                    Some(x) => Some(x),
                }
            }
            other => {
                self.issue(path, format!("must be a whole number, not {}", type_name(other)));
                None
            }
        }
    }

    fn string<'a>(&mut self, obj: &mut Obj<'a>, field: &'static str, default: Option<&'a str>) -> Option<&'a str> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None => self.absent(path, default),
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                self.issue(path, format!("must be a string, not {}", type_name(other)));
                None
            }
        }
    }

    /// One of a fixed set of names.
    pub(crate) fn choice(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        default: Option<&'static str>,
        options: &[&'static str],
    ) -> Option<&'static str> {
        let path = join(&obj.path, field);
        let s = self.string(obj, field, default)?;
        match options.iter().find(|o| **o == s) {
            Some(o) => Some(*o),
            None => {
                self.issue(path, one_of_message(s, options));
                None
            }
        }
    }

    fn scenario(&mut self, v: &Value) -> Option<Scenario> {
        let mut obj = self.object(v, "")?;
        let version = self.version(&mut obj);
        let seed = self.integer(&mut obj, "seed", Some(1), 0, u64::MAX);
        let duration_s = self.number(&mut obj, "duration_s", Some(60.0), 0.0, MAX_DURATION_S);
        if duration_s == Some(0.0) {
            self.issue("duration_s", "must be more than 0");
        }
        let warmup_s = self.number(&mut obj, "warmup_s", Some(0.0), 0.0, MAX_DURATION_S);
        if let (Some(d), Some(w)) = (duration_s, warmup_s) {
            if w >= d && d > 0.0 {
                self.issue("warmup_s", format!("must be less than duration_s ({d}), not {w}"));
            }
        }
        let name = match self.get(&mut obj, "name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= 200 => Some(s.clone()),
            Some(Value::String(_)) => {
                self.issue("name", "must be at most 200 characters");
                None
            }
            Some(other) => {
                self.issue("name", format!("must be a string, not {}", type_name(other)));
                None
            }
        };
        let nodes = self.list(&mut obj, "nodes", MAX_NODES, |p, v, path| p.node(v, path));
        let links = self.list(&mut obj, "links", MAX_LINKS, |p, v, path| p.link(v, path));
        let faults = if obj.map.contains_key("faults") {
            self.list(&mut obj, "faults", MAX_SCHEDULED_FAULTS, |p, v, path| p.scheduled_fault(v, path, duration_s))
        } else {
            obj.known.push("faults");
            Some(Vec::new())
        };
        let data_centers = if obj.map.contains_key("data_centers") {
            self.list(&mut obj, "data_centers", MAX_NODES, |p, v, path| p.data_center(v, path))
        } else {
            obj.known.push("data_centers");
            Some(Vec::new())
        };
        let alerts = match obj.map.get("alerts") {
            None | Some(Value::Null) => {
                obj.known.push("alerts");
                Some(None)
            }
            Some(_) => {
                self.list(&mut obj, "alerts", crate::blocks::alerts::MAX_RULES, |p, v, path| p.alert(v, path)).map(Some)
            }
        };
        let goal = match obj.map.get("goal") {
            None | Some(Value::Null) => {
                obj.known.push("goal");
                Some(None)
            }
            Some(v) => {
                obj.known.push("goal");
                self.goal(v, "goal").map(Some)
            }
        };
        // Where editors find the format's JSON Schema: read, and not kept.
        let _ = self.string(&mut obj, "$schema", Some(""));
        self.finish(obj);
        // Faults and alerts name nodes: those must exist.
        let ids: Vec<String> = match &nodes {
            Some(n) => n.iter().map(|n| n.id.clone()).collect(),
            None => self.skeleton.iter().flatten().map(|n| n.id.clone()).collect(),
        };
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut missing = Vec::new();
        for (i, f) in faults.iter().flatten().enumerate() {
            if !ids.contains(&f.node.as_str()) {
                missing.push((format!("faults[{i}].node"), f.node.clone()));
            } else if let (crate::model::fault::Fault::Flush, Some(nodes)) = (f.fault, &nodes) {
                if nodes.iter().any(|n| n.id == f.node && !matches!(n.spec, NodeSpec::Cache(_))) {
                    self.issue(
                        format!("faults[{i}].fault"),
                        format!("only a cache can be flushed; \"{}\" is not a cache", f.node),
                    );
                }
            }
        }
        for (i, a) in alerts.iter().flatten().flatten().enumerate() {
            if let Some(node) = &a.node {
                if !ids.contains(&node.as_str()) {
                    missing.push((format!("alerts[{i}].node"), node.clone()));
                }
            }
        }
        // A goal's drills fail nodes or data centers that exist, and wait for
        // alert rules that exist (checks may name nodes the learner has yet to add).
        if let Some(Some(g)) = &goal {
            let dc_ids: Vec<String> = data_centers.iter().flatten().map(|d| d.id.clone()).collect();
            let rule_names: Vec<String> = match &alerts {
                Some(Some(specs)) => specs.iter().map(|a| a.name.clone()).collect(),
                _ => crate::blocks::alerts::default_rules().iter().map(|r| r.name.clone()).collect(),
            };
            for (i, d) in g.drills.iter().enumerate() {
                match d {
                    crate::model::goal::Drill::Failure { fail, .. }
                    | crate::model::goal::Drill::Outage { fail, .. } => {
                        if !ids.contains(&fail.as_str()) && !dc_ids.contains(fail) {
                            missing.push((format!("goal.drills[{i}].fail"), fail.clone()));
                        }
                    }
                    crate::model::goal::Drill::Slowdown { slow, .. } => {
                        if !ids.contains(&slow.as_str()) {
                            missing.push((format!("goal.drills[{i}].slow"), slow.clone()));
                        }
                    }
                    crate::model::goal::Drill::Alert { alert } => {
                        if !rule_names.contains(alert) {
                            let names: Vec<&str> = rule_names.iter().map(String::as_str).collect();
                            let message = match suggest(alert, &names) {
                                Some(s) => format!("no alert rule is named \"{alert}\"; did you mean \"{s}\"?"),
                                None => {
                                    format!("no alert rule is named \"{alert}\"; the rules are: {}", names.join(", "))
                                }
                            };
                            self.issue(format!("goal.drills[{i}].alert"), message);
                        }
                    }
                }
            }
        }
        // Nodes name data centers that exist; data-center ids are their own
        // (faults may name either, so they must not clash with node ids).
        if let (Some(dcs), Some(node_list)) = (&data_centers, &nodes) {
            let dc_ids: Vec<&str> = dcs.iter().map(|d| d.id.as_str()).collect();
            for (i, d) in dcs.iter().enumerate() {
                if ids.contains(&d.id.as_str()) {
                    self.issue(
                        format!("data_centers[{i}].id"),
                        format!("\"{}\" is also a node's id; name the data center differently", d.id),
                    );
                }
                if dc_ids[..i].contains(&d.id.as_str()) {
                    self.issue(
                        format!("data_centers[{i}].id"),
                        format!("\"{}\" is used twice; data center ids must be unique", d.id),
                    );
                }
            }
            for (i, n) in node_list.iter().enumerate() {
                if let Some(dc) = &n.dc {
                    if !dc_ids.contains(&dc.as_str()) {
                        let message = match suggest(dc, &dc_ids) {
                            Some(s) => format!("no data center has id \"{dc}\"; did you mean \"{s}\"?"),
                            None if dc_ids.is_empty() => {
                                format!("no data center has id \"{dc}\" (add it to \"data_centers\")")
                            }
                            None => format!("no data center has id \"{dc}\"; expected one of: {}", dc_ids.join(", ")),
                        };
                        self.issue(format!("nodes[{i}].dc"), message);
                    }
                }
            }
            // A fault may name a data center.
            missing.retain(|(path, id)| {
                !((path.starts_with("faults[") || path.starts_with("goal.")) && dc_ids.contains(&id.as_str()))
            });
            for (i, f) in faults.iter().flatten().enumerate() {
                if let Some(with) = &f.with {
                    for (field, id) in [("node", &f.node), ("with", with)] {
                        if !dc_ids.contains(&id.as_str()) {
                            self.issue(
                                format!("faults[{i}].{field}"),
                                format!("a partition is between data centers; \"{id}\" is not one"),
                            );
                        }
                    }
                }
            }
        }
        if !ids.is_empty() || nodes.is_some() {
            for (path, id) in missing {
                let message = match suggest(&id, &ids) {
                    Some(s) => format!("no node has id \"{id}\"; did you mean \"{s}\"?"),
                    None => format!("no node has id \"{id}\""),
                };
                self.issue(path, message);
            }
        }
        if let Some(links) = &links {
            let nodes = match &nodes {
                Some(n) => Some(n.clone()),
                // Not a list at all (or empty): nothing to check the links against.
                None if self.skeleton.is_empty() => None,
                None => self.skeleton.iter().cloned().collect::<Option<Vec<Node>>>(),
            };
            if let Some(nodes) = nodes {
                let wiring = Scenario {
                    version: FORMAT_VERSION,
                    seed: 0,
                    duration_s: 1.0,
                    warmup_s: 0.0,
                    name: None,
                    nodes,
                    links: links.clone(),
                    faults: Vec::new(),
                    alerts: None,
                    data_centers: Vec::new(),
                    goal: None,
                };
                validate_graph(&wiring, &mut self.issues);
            }
        }
        Some(Scenario {
            version: version?,
            seed: seed?,
            duration_s: duration_s?,
            warmup_s: warmup_s?,
            name,
            nodes: nodes?,
            links: links?,
            faults: faults?,
            alerts: alerts?,
            data_centers: data_centers?,
            goal: goal?,
        })
    }

    fn data_center(&mut self, v: &Value, path: &str) -> Option<DataCenter> {
        let mut obj = self.object(v, path)?;
        let id = self.string(&mut obj, "id", None).map(str::to_string);
        let region = self.region(&mut obj, "region");
        self.finish(obj);
        Some(DataCenter { id: id?, region: region? })
    }

    /// A region name (`us-east`, `eu`...), with a suggestion when it is not one.
    pub(crate) fn region(&mut self, obj: &mut Obj<'_>, field: &'static str) -> Option<crate::blocks::geo::Region> {
        let path = join(&obj.path, field);
        let name = self.string(obj, field, None)?;
        match name.parse::<crate::blocks::geo::Region>() {
            Ok(r) => Some(r),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }

    fn scheduled_fault(&mut self, v: &Value, path: &str, duration_s: Option<f64>) -> Option<ScheduledFault> {
        let mut obj = self.object(v, path)?;
        let at_path = join(path, "at_s");
        let at_s = self.number(&mut obj, "at_s", None, 0.0, MAX_DURATION_S);
        let at_s = match (at_s, duration_s) {
            (Some(at), Some(d)) if at > d => {
                self.issue(at_path, format!("must be at most the scenario's duration_s ({d}), not {at}"));
                None
            }
            (at, _) => at,
        };
        let node = self.string(&mut obj, "node", None).map(str::to_string);
        let fault = self.choice(&mut obj, "fault", None, crate::model::fault::FAULTS);
        let with = match self.get(&mut obj, "with") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.issue(join(path, "with"), format!("must be a data center id, not {}", type_name(other)));
                None
            }
        };
        // The settings of some faults: each is refused on the others.
        let (factor_path, share_path, duration_path) =
            (join(path, "factor"), join(path, "share"), join(path, "duration_s"));
        let has = |k: &str| obj.map.contains_key(k);
        let (has_factor, has_share, has_duration) = (has("factor"), has("share"), has("duration_s"));
        let factor = self.number(&mut obj, "factor", Some(5.0), 1.0, 100.0);
        let share = self.number(&mut obj, "share", Some(0.5), 0.0, 1.0);
        let duration_s = self.number(&mut obj, "duration_s", Some(10.0), 0.0, MAX_DURATION_S);
        self.finish(obj);
        use crate::model::fault::Fault;
        let fault = match fault? {
            "fail" => Fault::Fail,
            "recover" => Fault::Recover,
            "flush" => Fault::Flush,
            "partition" => Fault::Partition,
            "heal" => Fault::Heal,
            "errors" => {
                let share = share?;
                if share <= 0.0 {
                    self.issue(share_path.clone(), "must be more than 0 (the share of requests that fail, up to 1)");
                    return None;
                }
                Fault::Errors { share }
            }
            slow_or_spike => {
                let factor = factor?;
                if factor <= 1.0 {
                    self.issue(factor_path, "must be more than 1 (a slow-down)");
                    return None;
                }
                if slow_or_spike == "slow" {
                    Fault::Slow { factor }
                } else {
                    let duration_s = duration_s?;
                    if duration_s <= 0.0 {
                        self.issue(duration_path, "must be more than 0 seconds (how long the spike lasts)");
                        return None;
                    }
                    Fault::Spike { factor, duration_s }
                }
            }
        };
        for (given, applies, at, to) in [
            (
                has_factor,
                matches!(fault, Fault::Slow { .. } | Fault::Spike { .. }),
                factor_path,
                "\"slow\" and \"spike\"",
            ),
            (has_share, matches!(fault, Fault::Errors { .. }), share_path, "\"errors\""),
            (has_duration, matches!(fault, Fault::Spike { .. }), duration_path, "\"spike\""),
        ] {
            if given && !applies {
                self.issue(at, format!("applies only to {to}"));
                return None;
            }
        }
        let with = with?;
        let pairwise = matches!(fault, Fault::Partition | Fault::Heal);
        if pairwise != with.is_some() {
            self.issue(
                join(path, "with"),
                if pairwise {
                    "a partition needs \"with\": the other data center"
                } else {
                    "applies only to \"partition\" and \"heal\""
                },
            );
            return None;
        }
        Some(ScheduledFault { at_s: at_s?, node: node?, fault, with })
    }

    fn goal(&mut self, v: &Value, path: &str) -> Option<crate::model::goal::Goal> {
        use crate::model::goal::{Goal, MAX_CHECKS, MAX_DRILLS, MAX_HOLD_S};
        let mut obj = self.object(v, path)?;
        let hold_s = self.integer(&mut obj, "hold_s", Some(30), 1, u64::from(MAX_HOLD_S));
        let checks = self.list(&mut obj, "checks", MAX_CHECKS, |p, v, path| p.goal_check(v, path));
        let drills = if obj.map.contains_key("drills") {
            self.list(&mut obj, "drills", MAX_DRILLS, |p, v, path| p.goal_drill(v, path))
        } else {
            obj.known.push("drills");
            Some(Vec::new())
        };
        self.finish(obj);
        Some(Goal { hold_s: hold_s? as u32, checks: checks?, drills: drills? })
    }

    fn goal_check(&mut self, v: &Value, path: &str) -> Option<crate::model::goal::Check> {
        use crate::model::goal::{Check, GoalMetric, GOAL_METRICS};
        let mut obj = self.object(v, path)?;
        let metric = self.choice(&mut obj, "metric", None, GOAL_METRICS).and_then(GoalMetric::from_name);
        let node = self.optional_string(&mut obj, "node");
        let kind = match obj.map.get("kind") {
            Some(Value::String(_)) => self.choice(&mut obj, "kind", None, &NodeKind::NAMES).map(NodeKind::from_name),
            // Absent or null (a string is the arm above), or refused.
            _ => self.optional_string(&mut obj, "kind").map(|_| None),
        };
        let below = if obj.map.contains_key("below") {
            self.number(&mut obj, "below", None, -1e15, 1e15).map(Some)
        } else {
            obj.known.push("below");
            Some(None)
        };
        let above = if obj.map.contains_key("above") {
            self.number(&mut obj, "above", None, -1e15, 1e15).map(Some)
        } else {
            obj.known.push("above");
            Some(None)
        };
        self.finish(obj);
        let (metric, node, kind, below, above) = (metric?, node?, kind?, below?, above?);
        if below.is_some() == above.is_some() {
            self.issue(path, "give exactly one bound: \"below\" or \"above\"");
            return None;
        }
        if metric.per_node() && node.is_none() && kind.is_none() {
            self.issue(path, format!("\"{}\" is measured at a node: add \"node\" (an id) or \"kind\" (the worst node of that kind counts)", GOAL_METRICS.iter().find(|m| GoalMetric::from_name(m) == Some(metric)).unwrap_or(&"")));
            return None;
        }
        Some(Check { metric, node, kind, below, above })
    }

    fn goal_drill(&mut self, v: &Value, path: &str) -> Option<crate::model::goal::Drill> {
        use crate::model::goal::{Drill, MAX_HOLD_S};
        let mut obj = self.object(v, path)?;
        if obj.map.contains_key("alert") {
            let alert = self.string(&mut obj, "alert", None).map(str::to_string);
            self.finish(obj);
            return Some(Drill::Alert { alert: alert? });
        }
        if obj.map.contains_key("slow") {
            // A slowdown drill: a latency spike, then the goodput must come back.
            let slow = self.string(&mut obj, "slow", None).map(str::to_string);
            let factor = self.number(&mut obj, "factor", None, 1.1, 100.0);
            let for_s = self.integer(&mut obj, "for_s", None, 1, u64::from(MAX_HOLD_S));
            let above = self.number(&mut obj, "goodput_back_above", None, 0.0, 1.0);
            let within_s = self.integer(&mut obj, "within_s", None, 1, u64::from(MAX_HOLD_S));
            self.finish(obj);
            return Some(Drill::Slowdown {
                slow: slow?,
                factor: factor?,
                for_s: for_s? as u32,
                goodput_back_above: above?,
                within_s: within_s? as u32,
            });
        }
        if !obj.map.contains_key("fail") {
            self.issue(path, "a drill fails something (\"fail\": a node or data center id), slows a node down (\"slow\": its id) or waits for an alert (\"alert\": a rule's name)");
            return None;
        }
        let fail = self.string(&mut obj, "fail", None).map(str::to_string);
        let errors_below = self.number(&mut obj, "errors_below", Some(0.01), 0.0, 1.0);
        let within_s = self.integer(&mut obj, "within_s", None, 1, u64::from(MAX_HOLD_S));
        if let Some(band) = obj.map.get("while_down") {
            // An outage drill: see the failure, then recover the target.
            obj.known.push("while_down");
            let while_down = self.error_band(band, &join(&obj.path, "while_down"));
            for field in ["lost_writes_below", "sessions_lost_below"] {
                if obj.map.contains_key(field) {
                    obj.known.push(field);
                    self.issue(
                        join(&obj.path, field),
                        "applies only to a drill that leaves its target down (without \"while_down\"): an outage drill recovers it",
                    );
                }
            }
            self.finish(obj);
            return Some(Drill::Outage {
                fail: fail?,
                while_down: while_down?,
                errors_below: errors_below?,
                within_s: within_s? as u32,
            });
        }
        let lost = if obj.map.contains_key("lost_writes_below") {
            self.integer(&mut obj, "lost_writes_below", None, 1, u64::MAX).map(Some)
        } else {
            obj.known.push("lost_writes_below");
            Some(None)
        };
        let sessions = if obj.map.contains_key("sessions_lost_below") {
            self.integer(&mut obj, "sessions_lost_below", None, 1, u64::MAX).map(Some)
        } else {
            obj.known.push("sessions_lost_below");
            Some(None)
        };
        // Named for the "did you mean" of a misspelt outage or slowdown drill.
        obj.known.push("while_down");
        obj.known.push("slow");
        self.finish(obj);
        Some(Drill::Failure {
            fail: fail?,
            errors_below: errors_below?,
            within_s: within_s? as u32,
            lost_writes_below: lost?,
            sessions_lost_below: sessions?,
        })
    }

    /// An outage drill's expected error rate while its target is down.
    fn error_band(&mut self, v: &Value, path: &str) -> Option<crate::model::goal::ErrorBand> {
        let mut obj = self.object(v, path)?;
        let bound = |p: &mut Self, obj: &mut Obj<'_>, field: &'static str| {
            if obj.map.contains_key(field) {
                p.number(obj, field, None, 0.0, 1.0).map(Some)
            } else {
                obj.known.push(field);
                Some(None)
            }
        };
        let above = bound(self, &mut obj, "errors_above");
        let below = bound(self, &mut obj, "errors_below");
        self.finish(obj);
        let (above, below) = (above?, below?);
        match (above, below) {
            (None, None) => {
                self.issue(
                    path,
                    "give the error rate expected while it is down: \"errors_above\", \"errors_below\" or both",
                );
                None
            }
            (Some(a), Some(b)) if a >= b => {
                self.issue(path, format!("\"errors_above\" ({a}) must be less than \"errors_below\" ({b})"));
                None
            }
            _ => Some(crate::model::goal::ErrorBand { errors_above: above, errors_below: below }),
        }
    }

    /// An optional string field: `Some(None)` when absent or null.
    fn optional_string(&mut self, obj: &mut Obj<'_>, field: &'static str) -> Option<Option<String>> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.issue(path, format!("must be a string, not {}", type_name(other)));
                None
            }
        }
    }

    fn alert(&mut self, v: &Value, path: &str) -> Option<AlertSpec> {
        let mut obj = self.object(v, path)?;
        let name = self.string(&mut obj, "name", None).map(str::to_string);
        let metric = self.choice(&mut obj, "metric", None, ALERT_METRICS);
        let node = match self.get(&mut obj, "node") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.issue(join(path, "node"), format!("must be a node id, not {}", type_name(other)));
                None
            }
        };
        let above = if obj.map.contains_key("above") {
            self.number(&mut obj, "above", None, -1e15, 1e15).map(Some)
        } else {
            obj.known.push("above");
            Some(None)
        };
        let below = if obj.map.contains_key("below") {
            self.number(&mut obj, "below", None, -1e15, 1e15).map(Some)
        } else {
            obj.known.push("below");
            Some(None)
        };
        let for_s = self.integer(&mut obj, "for_s", Some(10), 1, u64::from(crate::blocks::alerts::MAX_FOR_S));
        self.finish(obj);
        let spec = AlertSpec {
            name: name?,
            metric: metric?.to_string(),
            node: node?,
            above: above?,
            below: below?,
            for_s: for_s? as u32,
        };
        match spec.to_rule() {
            Ok(_) => Some(spec),
            Err(why) => {
                self.issue(path, why);
                None
            }
        }
    }

    fn version(&mut self, obj: &mut Obj<'_>) -> Option<u32> {
        match self.get(obj, "version") {
            None => {
                self.issue("version", format!("missing; add \"version\": {FORMAT_VERSION}"));
                None
            }
            Some(v) => {
                let n = self.integer_value("version", v, 1, u64::MAX)?;
                if n > FORMAT_VERSION as u64 {
                    self.issue(
                        "version",
                        format!(
                            "this scenario uses format version {n}, newer than this Scale Lab understands \
                             (up to {FORMAT_VERSION}); open it with a newer Scale Lab"
                        ),
                    );
                    return None;
                }
                Some(n as u32)
            }
        }
    }

    /// A list field: each item parsed with `item`; all items are checked even when
    /// some fail, so that every problem is reported.
    fn list<T>(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        max: usize,
        mut item: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let path = join(&obj.path, field);
        let Some(v) = self.get(obj, field) else {
            return self.absent(path, None);
        };
        let Value::Array(items) = v else {
            self.issue(path, format!("must be a list, not {}", type_name(v)));
            return None;
        };
        if items.len() > max {
            self.issue(path, format!("has {} entries; at most {max} are allowed", items.len()));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, v) in items.iter().enumerate() {
            match item(self, v, &format!("{path}[{i}]")) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn node(&mut self, v: &Value, path: &str) -> Option<Node> {
        let Some(mut obj) = self.object(v, path) else {
            self.skeleton.push(None);
            return None;
        };
        let id = self.string(&mut obj, "id", None).map(str::to_string);
        let kind = self.choice(&mut obj, "kind", None, &NodeKind::NAMES).and_then(NodeKind::from_name);
        let dc = match self.get(&mut obj, "dc") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.issue(join(path, "dc"), format!("must be the id of a data center, not {}", type_name(other)));
                None
            }
        };
        let x = self.number(&mut obj, "x", Some(0.0), -1e6, 1e6);
        let y = self.number(&mut obj, "y", Some(0.0), -1e6, 1e6);
        let has_x = obj.map.contains_key("x");
        let has_y = obj.map.contains_key("y");
        self.skeleton.push(match (&id, kind) {
            (Some(id), Some(kind)) => Some(Node { id: id.clone(), spec: kind.skeleton(), dc: None, x: None, y: None }),
            _ => None,
        });
        let Some(kind) = kind else {
            // Without a kind we cannot tell which fields belong; skip the
            // unknown-field check rather than flag every field.
            return None;
        };
        let spec = kind.parse(self, &mut obj);
        self.finish(obj);
        Some(Node { id: id?, spec: spec?, dc: dc?, x: if has_x { x } else { None }, y: if has_y { y } else { None } })
    }

    /// An optional autoscaling group (`web`: by utilisation; else by backlog).
    pub(crate) fn autoscale(&mut self, obj: &mut Obj<'_>, web: bool) -> Option<Option<AutoscaleSpec>> {
        use crate::blocks::autoscale::{AutoscalePolicy, MAX_DELAY_S, MAX_INSTANCES};
        let path = join(&obj.path, "autoscale");
        let v = match self.get(obj, "autoscale") {
            None | Some(Value::Null) => return Some(None),
            Some(v) => v,
        };
        let mut a = self.object(v, &path)?;
        let min = self.integer(&mut a, "min", Some(if web { 2 } else { 1 }), 0, u64::from(MAX_INSTANCES));
        let max = self.integer(&mut a, "max", Some(10), 1, u64::from(MAX_INSTANCES));
        let (target_default, target_max) = if web {
            (AutoscalePolicy::DEFAULT_UTILIZATION_TARGET, 0.95)
        } else {
            (100.0, crate::blocks::autoscale::MAX_BACKLOG_TARGET)
        };
        let target = self.number(&mut a, "target", Some(target_default), 0.0, target_max);
        let boot_s = self.number(&mut a, "boot_s", Some(AutoscalePolicy::DEFAULT_BOOT_S), 0.0, MAX_DELAY_S);
        let cooldown_s = self.number(&mut a, "cooldown_s", Some(AutoscalePolicy::DEFAULT_COOLDOWN_S), 0.0, MAX_DELAY_S);
        self.finish(a);
        let spec = AutoscaleSpec {
            min: min? as u32,
            max: max? as u32,
            target: target?,
            boot_s: boot_s?,
            cooldown_s: cooldown_s?,
        };
        match spec.policy(if web { AutoscalePolicy::utilization } else { AutoscalePolicy::backlog }) {
            Ok(_) => Some(Some(spec)),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, obj: &mut Obj<'_>, field: &'static str, default: bool) -> Option<bool> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None => Some(default),
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.issue(path, format!("must be true or false, not {}", type_name(other)));
                None
            }
        }
    }

    /// The workers, service and limits of a station. `ladder`: the price list
    /// its `size` comes from (none for caches, which are priced by memory).
    pub(crate) fn station(
        &mut self,
        obj: &mut Obj<'_>,
        ladder: Option<crate::blocks::pricing::InstanceKind>,
        default_workers: u64,
        default_mean_ms: f64,
    ) -> Option<StationSpec> {
        let size_path = join(&obj.path, "size");
        let size = match ladder {
            None => Some(None),
            Some(kind) => match self.get(obj, "size") {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(name)) => match crate::blocks::pricing::instance_size(kind, name) {
                    Ok(size) => Some(Some(size)),
                    Err(e) => {
                        self.issue(&size_path, e.to_string());
                        None
                    }
                },
                Some(other) => {
                    self.issue(&size_path, format!("must be a size name such as \"large\", not {}", type_name(other)));
                    None
                }
            },
        };
        let has_workers = obj.map.contains_key("workers");
        let mut workers = self.integer(obj, "workers", Some(default_workers), 1, MAX_WORKERS as u64);
        if let Some(Some(size)) = size {
            let vcpu = u64::from(size.vcpu);
            if has_workers && workers.is_some_and(|w| w != vcpu) {
                self.issue(
                    join(&obj.path, "workers"),
                    format!(
                        "size \"{}\" has {vcpu} vCPU, so {vcpu} workers; remove \"workers\" to use the size, or remove \"size\" to set workers yourself",
                        size.name
                    ),
                );
                workers = None;
            } else {
                workers = Some(vcpu);
            }
        }
        let service_path = join(&obj.path, "service");
        let service = match self.get(obj, "service") {
            None => Some(Service { dist: Dist::Exponential, mean_ms: default_mean_ms, cv: None }),
            Some(v) => self.service(v, &service_path),
        };
        let ql_path = join(&obj.path, "queue_limit");
        let queue_limit = match self.get(obj, "queue_limit") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.integer_value(&ql_path, v, 0, MAX_QUEUE_LIMIT).map(|q| Some(q as u32)),
        };
        let timeout_ms = self.timeout(obj, "timeout_ms", None, "no timeout");
        let discipline = self.choice(obj, "discipline", Some("fifo"), DISCIPLINES).map(|d| match d {
            "lifo" => Discipline::Lifo,
            "adaptive_lifo" => Discipline::AdaptiveLifo,
            _ => Discipline::Fifo,
        });
        let lifo_path = join(&obj.path, "lifo_above");
        let lifo_above = match (discipline, self.get(obj, "lifo_above").cloned()) {
            (Some(Discipline::AdaptiveLifo), None | Some(Value::Null)) => Some(Some(Discipline::DEFAULT_LIFO_ABOVE)),
            (Some(Discipline::AdaptiveLifo), Some(v)) => {
                self.integer_value(&lifo_path, &v, 1, MAX_QUEUE_LIMIT).map(|n| Some(n as u32))
            }
            (_, None | Some(Value::Null)) => Some(None),
            (Some(_), Some(_)) => {
                self.issue(
                    lifo_path,
                    "applies only to \"adaptive_lifo\" (the queue length from which the newest request is served first)",
                );
                None
            }
            // The discipline itself was refused, with its reason.
            (None, Some(_)) => None,
        };
        let max_wait_ms = self.timeout(obj, "max_wait_ms", None, "no limit");
        let drop_abandoned = self.boolean(obj, "drop_abandoned", false);
        let contention = match self.get(obj, "contention") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.contention(v, &join(&obj.path, "contention"), workers).map(Some),
        };
        Some(StationSpec {
            size: size?.map(|s| s.name.to_string()),
            workers: workers? as u32,
            service: service?,
            queue_limit: queue_limit?,
            timeout_ms: timeout_ms?,
            discipline: discipline?,
            lifo_above: lifo_above?,
            max_wait_ms: max_wait_ms?,
            drop_abandoned: drop_abandoned?,
            contention: contention?,
        })
    }

    /// A station's contention object; an absent `knee` is the station's
    /// `workers` (`None` when they were refused: their message says why).
    fn contention(&mut self, v: &Value, path: &str, workers: Option<u64>) -> Option<Contention> {
        let mut obj = self.object(v, path)?;
        let slope = self.number(&mut obj, "slope", Some(Contention::DEFAULT_SLOPE), 0.0, MAX_CONTENTION_SLOPE);
        let knee_given = obj.map.contains_key("knee");
        let knee = self.integer(&mut obj, "knee", Some(workers.unwrap_or(0)), 0, MAX_CONTENTION_KNEE);
        let max_factor =
            self.number(&mut obj, "max_factor", Some(Contention::DEFAULT_MAX_FACTOR), 1.0, MAX_CONTENTION_FACTOR);
        self.finish(obj);
        if !knee_given {
            workers?;
        }
        Some(Contention { slope: slope?, knee: knee? as u32, max_factor: max_factor? })
    }

    /// A caller's call policy (`retry` on users): the object, or null for none.
    pub(crate) fn call_policy(&mut self, obj: &mut Obj<'_>, field: &'static str) -> Option<Option<CallPolicy>> {
        let path = join(&obj.path, field);
        let v = match self.get(obj, field) {
            None | Some(Value::Null) => return Some(None),
            Some(v) => v,
        };
        let mut p = self.object(v, &path)?;
        let attempt_timeout_ms = self.timeout(&mut p, "attempt_timeout_ms", None, "no timeout per attempt");
        let max_attempts = self.integer(&mut p, "max_attempts", Some(1), 1, MAX_ATTEMPTS);
        let backoff = self.choice(&mut p, "backoff", Some("none"), BACKOFFS).map(|b| match b {
            "constant" => BackoffKind::Constant,
            "exponential" => BackoffKind::Exponential,
            _ => BackoffKind::None,
        });
        // The delays apply only to a backoff that has them.
        let mut delay = |parser: &mut Parser, field: &'static str, applies: bool, default: f64, what: &str| {
            let given = p.map.contains_key(field);
            let x = parser.number(&mut p, field, Some(default), 0.0, MAX_TIMEOUT_MS);
            match (applies, given) {
                (true, _) => x.map(Some),
                (false, false) => Some(None),
                (false, true) => {
                    parser.issue(join(&p.path, field), format!("applies only to {what}"));
                    None
                }
            }
        };
        // (A backoff refused has its own message: its delays are read as if they applied.)
        let delayed = backoff != Some(BackoffKind::None);
        let backoff_ms =
            delay(self, "backoff_ms", delayed, BackoffKind::DEFAULT_MS, "a \"constant\" or \"exponential\" backoff");
        let exponential = !matches!(backoff, Some(BackoffKind::None | BackoffKind::Constant));
        let backoff_cap_ms =
            delay(self, "backoff_cap_ms", exponential, BackoffKind::DEFAULT_CAP_MS, "an \"exponential\" backoff");
        if let (Some(Some(first)), Some(Some(cap))) = (backoff_ms, backoff_cap_ms) {
            if cap < first {
                self.issue(
                    join(&p.path, "backoff_cap_ms"),
                    format!("must be at least backoff_ms ({first}), not {cap}"),
                );
            }
        }
        let jitter_given = p.map.contains_key("jitter");
        let jitter = self.choice(&mut p, "jitter", Some("none"), JITTERS).map(|j| match j {
            "full" => JitterKind::Full,
            "equal" => JitterKind::Equal,
            _ => JitterKind::None,
        });
        if jitter_given && !delayed && jitter.is_some_and(|j| j != JitterKind::None) {
            self.issue(
                join(&p.path, "jitter"),
                "applies only with a \"constant\" or \"exponential\" backoff (there is no delay to spread)",
            );
        }
        let budget_path = join(&p.path, "budget");
        let budget = match self.get(&mut p, "budget") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.retry_budget(v, &budget_path).map(Some),
        };
        let breaker_path = join(&p.path, "breaker");
        let breaker = match self.get(&mut p, "breaker") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.breaker(v, &breaker_path).map(Some),
        };
        let pool_path = join(&p.path, "pool");
        let pool = match self.get(&mut p, "pool") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.pool(v, &pool_path).map(Some),
        };
        self.finish(p);
        let policy = CallPolicy {
            attempt_timeout_ms: attempt_timeout_ms?,
            max_attempts: max_attempts? as u32,
            backoff: backoff?,
            backoff_ms: backoff_ms?,
            backoff_cap_ms: backoff_cap_ms?,
            jitter: jitter?,
            budget: budget?,
            breaker: breaker?,
            pool: pool?,
        };
        if policy.backoff_cap_ms.zip(policy.backoff_ms).is_some_and(|(cap, first)| cap < first) {
            return None;
        }
        if !delayed && policy.jitter != JitterKind::None {
            return None;
        }
        Some(Some(policy))
    }

    fn breaker(&mut self, v: &Value, path: &str) -> Option<BreakerSpec> {
        let mut obj = self.object(v, path)?;
        let d = BreakerSpec::DEFAULT;
        let window_s = self.integer(&mut obj, "window_s", Some(d.window_s.into()), 1, MAX_BREAKER_WINDOW_S);
        let min_calls = self.integer(&mut obj, "min_calls", Some(d.min_calls.into()), 1, MAX_BREAKER_MIN_CALLS);
        let threshold = self.number(&mut obj, "threshold", Some(d.threshold), MIN_BREAKER_THRESHOLD, 1.0);
        let cooldown_s =
            self.number(&mut obj, "cooldown_s", Some(d.cooldown_s), MIN_BREAKER_COOLDOWN_S, MAX_BREAKER_COOLDOWN_S);
        let trial_calls = self.integer(&mut obj, "trial_calls", Some(d.trial_calls.into()), 1, MAX_BREAKER_TRIALS);
        self.finish(obj);
        Some(BreakerSpec {
            window_s: window_s? as u32,
            min_calls: min_calls? as u32,
            threshold: threshold?,
            cooldown_s: cooldown_s?,
            trial_calls: trial_calls? as u32,
        })
    }

    fn pool(&mut self, v: &Value, path: &str) -> Option<PoolSpec> {
        let mut obj = self.object(v, path)?;
        let size = self.integer(&mut obj, "size", Some(PoolSpec::DEFAULT.size.into()), 1, MAX_POOL_SIZE);
        let max_wait_ms =
            self.timeout(&mut obj, "max_wait_ms", None, "calls wait for a connection as long as it takes");
        self.finish(obj);
        Some(PoolSpec { size: size? as u32, max_wait_ms: max_wait_ms? })
    }

    fn retry_budget(&mut self, v: &Value, path: &str) -> Option<RetryBudget> {
        let mut obj = self.object(v, path)?;
        let tokens = self.integer(&mut obj, "tokens", Some(RetryBudget::DEFAULT.tokens as u64), 0, MAX_RETRY_TOKENS);
        let refill = self.number(&mut obj, "refill", Some(RetryBudget::DEFAULT.refill), MIN_RETRY_REFILL, 1.0);
        self.finish(obj);
        Some(RetryBudget { tokens: tokens? as u32, refill: refill? })
    }

    /// A timeout in milliseconds: more than 0 and at most `MAX_TIMEOUT_MS`, or
    /// null (`none` says what null means); absent: `default`.
    pub(crate) fn timeout(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        default: Option<f64>,
        none: &str,
    ) -> Option<Option<f64>> {
        self.positive_or_null(obj, field, default, MAX_TIMEOUT_MS, "milliseconds", none)
    }

    /// A number more than 0 and at most `max`, in `unit`, or null (`none` says
    /// what null means); absent: `default`.
    pub(crate) fn positive_or_null(
        &mut self,
        obj: &mut Obj<'_>,
        field: &'static str,
        default: Option<f64>,
        max: f64,
        unit: &str,
        none: &str,
    ) -> Option<Option<f64>> {
        let path = join(&obj.path, field);
        match self.get(obj, field) {
            None => Some(default),
            Some(Value::Null) => Some(None),
            Some(Value::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if x == 0.0 {
                    self.issue(&path, format!("must be more than 0 (use null for {none})"));
                    None
                } else {
                    self.check_range(&path, x, 0.0, max).then_some(Some(x))
                }
            }
            Some(other) => {
                self.issue(&path, format!("must be a number of {unit} or null, not {}", type_name(other)));
                None
            }
        }
    }

    fn service(&mut self, v: &Value, path: &str) -> Option<Service> {
        let mut obj = self.object(v, path)?;
        let dist = self.choice(&mut obj, "dist", Some("exponential"), DISTS);
        let mean_ms = self.number(&mut obj, "mean_ms", None, 0.0, MAX_SERVICE_MS);
        if mean_ms == Some(0.0) {
            self.issue(join(path, "mean_ms"), "must be more than 0");
        }
        let cv_present = obj.map.contains_key("cv");
        let cv = self.number(&mut obj, "cv", Some(1.0), 0.0, MAX_CV);
        self.finish(obj);
        let dist = match dist? {
            "exponential" => Dist::Exponential,
            "constant" => Dist::Constant,
            _ => Dist::Lognormal,
        };
        if cv_present && dist != Dist::Lognormal {
            self.issue(
                join(path, "cv"),
                "applies only to \"lognormal\" (exponential always has cv 1, constant has cv 0)",
            );
            return None;
        }
        let mean_ms = mean_ms.filter(|m| *m > 0.0)?;
        Some(Service { dist, mean_ms, cv: if dist == Dist::Lognormal { cv } else { None } })
    }

    fn link(&mut self, v: &Value, path: &str) -> Option<Link> {
        let mut obj = self.object(v, path)?;
        let from = self.string(&mut obj, "from", None).map(str::to_string);
        let to = self.string(&mut obj, "to", None).map(str::to_string);
        let latency_ms = self.number(&mut obj, "latency_ms", Some(0.0), 0.0, MAX_LATENCY_MS);
        self.finish(obj);
        Some(Link { from: from?, to: to?, latency_ms: latency_ms? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_near_misses_only() {
        assert_eq!(suggest("round-robin", ALGORITHMS), Some("round_robin"));
    }
}
