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

struct Parser {
    issues: Vec<Issue>,
    /// Id and kind of every node entry (with default parameters), even when
    /// some of its fields are wrong: the wiring can then be checked too, so
    /// the user sees field and wiring problems together.
    skeleton: Vec<Option<Node>>,
}

/// An object being read: remembers which fields were asked for, so that the rest
/// can be reported as unknown.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
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

fn join(path: &str, field: &str) -> String {
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
    fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue { path: path.into(), message: message.into() });
    }

    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<Obj<'a>> {
        match v {
            Value::Object(map) => Some(Obj { map, path: path.to_string(), known: Vec::new() }),
            other => {
                self.issue(path, format!("must be an object, not {}", type_name(other)));
                None
            }
        }
    }

    /// Reports the fields of `obj` that nobody asked for.
    fn finish(&mut self, obj: Obj<'_>) {
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

    fn get<'a>(&mut self, obj: &mut Obj<'a>, field: &'static str) -> Option<&'a Value> {
        obj.known.push(field);
        obj.map.get(field)
    }

    /// A finite number in `[min, max]`; `default` when absent (required when `None`).
    fn number(
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
    fn integer(
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
    fn choice(
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
    fn region(&mut self, obj: &mut Obj<'_>, field: &'static str) -> Option<crate::blocks::geo::Region> {
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
        let fault = self.choice(&mut obj, "fault", None, &["fail", "recover", "slow", "flush", "partition", "heal"]);
        let with = match self.get(&mut obj, "with") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.issue(join(path, "with"), format!("must be a data center id, not {}", type_name(other)));
                None
            }
        };
        let factor_path = join(path, "factor");
        let has_factor = obj.map.contains_key("factor");
        let factor = self.number(&mut obj, "factor", Some(5.0), 1.0, 100.0);
        self.finish(obj);
        let fault = match fault? {
            "fail" => crate::model::fault::Fault::Fail,
            "recover" => crate::model::fault::Fault::Recover,
            "flush" => crate::model::fault::Fault::Flush,
            "partition" => crate::model::fault::Fault::Partition,
            "heal" => crate::model::fault::Fault::Heal,
            _ => {
                let factor = factor?;
                if factor <= 1.0 {
                    self.issue(factor_path, "must be more than 1 (a slow-down)");
                    return None;
                }
                crate::model::fault::Fault::Slow { factor }
            }
        };
        if has_factor && !matches!(fault, crate::model::fault::Fault::Slow { .. }) {
            self.issue(factor_path, "applies only to \"slow\"");
            return None;
        }
        let with = with?;
        let pairwise = matches!(fault, crate::model::fault::Fault::Partition | crate::model::fault::Fault::Heal);
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
        if !obj.map.contains_key("fail") {
            self.issue(path, "a drill either fails something (\"fail\": a node or data center id) or waits for an alert (\"alert\": a rule's name)");
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
        // Named for the "did you mean" of a misspelt outage drill.
        obj.known.push("while_down");
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
            (Some(id), Some(kind)) => {
                Some(Node { id: id.clone(), spec: default_spec(kind), dc: None, x: None, y: None })
            }
            _ => None,
        });
        let Some(kind) = kind else {
            // Without a kind we cannot tell which fields belong; skip the
            // unknown-field check rather than flag every field.
            return None;
        };
        let spec = match kind {
            NodeKind::Users => self.users(&mut obj).map(NodeSpec::Users),
            NodeKind::LoadBalancer => self.balancer(&mut obj).map(NodeSpec::LoadBalancer),
            NodeKind::WebServer => {
                let station = self.station(&mut obj, Some(crate::blocks::pricing::InstanceKind::WebServer), 4, 10.0);
                let waiting = self.choice(&mut obj, "waiting", Some("thread"), WAITINGS);
                let sessions = self.choice(&mut obj, "sessions", Some("none"), SESSIONS);
                let autoscale = self.autoscale(&mut obj, true);
                Some(NodeSpec::WebServer(WebServerSpec {
                    station: station?,
                    waiting: if waiting? == "async" { Waiting::Async } else { Waiting::Thread },
                    sessions: match sessions? {
                        "local" => Sessions::Local,
                        "shared" => Sessions::Shared,
                        _ => Sessions::None,
                    },
                    autoscale: autoscale?,
                }))
            }
            NodeKind::Cache => self.cache(&mut obj).map(NodeSpec::Cache),
            NodeKind::Nosql => {
                let station = self.station(&mut obj, None, 8, 1.0);
                let partitions = self.integer(&mut obj, "partitions", Some(4), 1, 1024);
                Some(NodeSpec::Nosql(NosqlSpec { station: station?, partitions: partitions? as u32 }))
            }
            NodeKind::Cdn => {
                let capacity =
                    self.integer(&mut obj, "capacity", Some(100_000), 1, crate::blocks::cache_store::MAX_CAPACITY);
                let ttl_s = self.number(&mut obj, "ttl_s", Some(3600.0), 0.001, MAX_DURATION_S);
                let fallback = self.boolean(&mut obj, "fallback_to_origin", true);
                let object_kb = self.number(&mut obj, "object_kb", Some(100.0), 0.001, 1e7);
                Some(NodeSpec::Cdn(CdnSpec {
                    capacity: capacity?,
                    ttl_s: ttl_s?,
                    fallback_to_origin: fallback?,
                    object_kb: object_kb?,
                }))
            }
            NodeKind::Dns => {
                let ttl_s = self.number(&mut obj, "ttl_s", Some(60.0), 0.0, crate::blocks::dns::MAX_TTL_S as f64);
                let resolve_ms =
                    self.number(&mut obj, "resolve_ms", Some(30.0), 0.0, crate::blocks::dns::MAX_RESOLVE_MS);
                let routing = self.choice(&mut obj, "routing", Some("single"), &["single", "weighted", "nearest"]);
                let weights_path = join(&obj.path, "weights");
                let weights = match self.get(&mut obj, "weights") {
                    None | Some(Value::Null) => Some(Vec::new()),
                    Some(Value::Array(items)) if items.len() <= crate::blocks::dns::MAX_TARGETS => {
                        let mut out = Vec::new();
                        let mut ok = true;
                        for (i, w) in items.iter().enumerate() {
                            match w.as_f64() {
                                Some(x) if x.is_finite() && x >= 0.0 => out.push(x),
                                _ => {
                                    self.issue(format!("{weights_path}[{i}]"), "must be a number of at least 0");
                                    ok = false;
                                }
                            }
                        }
                        ok.then_some(out)
                    }
                    Some(_) => {
                        self.issue(
                            &weights_path,
                            format!("must be a list of at most {} numbers", crate::blocks::dns::MAX_TARGETS),
                        );
                        None
                    }
                };
                Some(NodeSpec::Dns(DnsSpec {
                    ttl_s: ttl_s?,
                    resolve_ms: resolve_ms?,
                    routing: match routing? {
                        "weighted" => DnsRouting::Weighted,
                        "nearest" => DnsRouting::Nearest,
                        _ => DnsRouting::Single,
                    },
                    weights: weights?,
                }))
            }
            NodeKind::ShardRouter => {
                let routing = self.choice(&mut obj, "routing", Some("modulo"), SHARD_ROUTINGS);
                let vnodes = self.integer(
                    &mut obj,
                    "vnodes",
                    Some(100),
                    1,
                    u64::from(crate::blocks::sharding::MAX_VNODES_PER_SHARD),
                );
                Some(NodeSpec::ShardRouter(ShardRouterSpec {
                    routing: if routing? == "consistent_hash" {
                        ShardRouting::ConsistentHash
                    } else {
                        ShardRouting::Modulo
                    },
                    vnodes: vnodes? as u32,
                }))
            }
            NodeKind::Queue => {
                let capacity = self.integer(&mut obj, "capacity", Some(100_000), 1, MAX_QUEUE_CAPACITY);
                Some(NodeSpec::Queue(QueueSpec { capacity: capacity? }))
            }
            NodeKind::Workers => {
                let station = self.station(&mut obj, Some(crate::blocks::pricing::InstanceKind::Worker), 4, 200.0);
                let autoscale = self.autoscale(&mut obj, false);
                Some(NodeSpec::Workers(WorkersSpec { station: station?, autoscale: autoscale? }))
            }
            NodeKind::Database => {
                let station = self.station(&mut obj, Some(crate::blocks::pricing::InstanceKind::Database), 8, 5.0);
                let replication_lag_ms = self.number(&mut obj, "replication_lag_ms", Some(100.0), 0.0, MAX_LATENCY_MS);
                let failover_s = self.number(&mut obj, "failover_s", Some(10.0), 0.0, MAX_FAILOVER_S);
                Some(NodeSpec::Database(DatabaseSpec {
                    station: station?,
                    replication_lag_ms: replication_lag_ms?,
                    failover_s: failover_s?,
                }))
            }
        };
        self.finish(obj);
        Some(Node { id: id?, spec: spec?, dc: dc?, x: if has_x { x } else { None }, y: if has_y { y } else { None } })
    }

    fn users(&mut self, obj: &mut Obj<'_>) -> Option<UsersSpec> {
        let has_rps = obj.map.contains_key("rps");
        let has_dau = obj.map.contains_key("dau");
        let rate = if has_dau {
            if has_rps {
                self.issue(join(&obj.path, "rps"), "give either rps or dau (daily users), not both");
            }
            let _ = self.get(obj, "rps");
            let dau = self.number(obj, "dau", None, 0.0, MAX_DAU);
            let per_user =
                self.number(obj, "requests_per_user_per_day", Some(Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY), 0.0, 1e6);
            let peak = self.number(obj, "peak_factor", Some(Rate::DEFAULT_PEAK_FACTOR), 1.0, 100.0);
            match (dau, per_user, peak) {
                (Some(dau), Some(requests_per_user_per_day), Some(peak_factor)) => {
                    let rate = Rate::Users { dau, requests_per_user_per_day, peak_factor };
                    if rate.rps() > MAX_RPS {
                        self.issue(
                            join(&obj.path, "dau"),
                            format!(
                                "these users make {:.0} requests/s at peak; at most {MAX_RPS} can be simulated",
                                rate.rps()
                            ),
                        );
                        None
                    } else {
                        Some(rate)
                    }
                }
                _ => None,
            }
        } else {
            for field in ["requests_per_user_per_day", "peak_factor"] {
                if obj.map.contains_key(field) {
                    self.issue(join(&obj.path, field), "applies only with dau (daily users)");
                }
                let _ = self.get(obj, field);
            }
            self.number(obj, "rps", Some(100.0), 0.0, MAX_RPS).map(|rps| Rate::Rps { rps })
        };
        let arrivals = self.choice(obj, "arrivals", Some("poisson"), &["poisson"]);
        let default_population = match rate {
            Some(Rate::Users { dau, .. }) => (dau.round() as u64).clamp(1, MAX_POPULATION),
            _ => 10_000,
        };
        let population = self.integer(obj, "population", Some(default_population), 1, MAX_POPULATION);
        let mix_path = join(&obj.path, "mix");
        let mix = match self.get(obj, "mix") {
            None => Some(Mix::ALL_READ),
            Some(v) => self.mix(v, &mix_path),
        };
        let keys_path = join(&obj.path, "keys");
        let keys = match self.get(obj, "keys") {
            None => Some(Keys::DEFAULT),
            Some(v) => self.keys(v, &keys_path),
        };
        let regions_path = join(&obj.path, "regions");
        let regions = match self.get(obj, "regions") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) if items.len() <= crate::blocks::geo::Region::ALL.len() => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{regions_path}[{i}]");
                    let Some(mut o) = self.object(item, &p) else {
                        ok = false;
                        continue;
                    };
                    let region = self.region(&mut o, "region");
                    let share = self.number(&mut o, "share", None, 0.0, 1e9);
                    self.finish(o);
                    match (region, share) {
                        (Some(region), Some(share)) => out.push(RegionShare { region, share }),
                        _ => ok = false,
                    }
                }
                if ok && !out.is_empty() && out.iter().map(|r| r.share).sum::<f64>() <= 0.0 {
                    self.issue(&regions_path, "needs at least one share above 0");
                    ok = false;
                }
                ok.then_some(out)
            }
            Some(_) => {
                self.issue(&regions_path, "must be a list of {\"region\", \"share\"} entries, one per region");
                None
            }
        };
        let mobile_share = self.number(obj, "mobile_share", Some(0.0), 0.0, 1.0);
        let profile_path = join(&obj.path, "profile");
        let profile = match self.get(obj, "profile") {
            None | Some(Value::Null) => Some(crate::blocks::profile::Profile::Steady),
            Some(v) => self.profile(v, &profile_path),
        };
        if let (Some(rate), Some(profile)) = (&rate, &profile) {
            let peak = rate.rps() * profile.max_multiplier();
            if peak > MAX_RPS {
                self.issue(
                    &profile_path,
                    format!(
                        "at its peak this profile asks for {peak:.0} requests/s; at most {MAX_RPS} can be simulated"
                    ),
                );
                return None;
            }
        }
        let client_timeout_ms =
            self.timeout(obj, "client_timeout_ms", Some(DEFAULT_CLIENT_TIMEOUT_MS), "users who never give up");
        arrivals?;
        Some(UsersSpec {
            rate: rate?,
            arrivals: Arrivals::Poisson,
            mix: mix?,
            population: population?,
            keys: keys?,
            profile: profile?,
            regions: regions?,
            mobile_share: mobile_share?,
            client_timeout_ms: client_timeout_ms?,
        })
    }

    /// A traffic profile: `shape` and its parameters, each with a default so
    /// that picking a shape in the editor gives something that runs.
    fn profile(&mut self, v: &Value, path: &str) -> Option<crate::blocks::profile::Profile> {
        use crate::blocks::profile::Profile;
        let mut obj = self.object(v, path)?;
        let shape = self.choice(&mut obj, "shape", None, &["steady", "ramp", "spike", "daily"]);
        let big = crate::blocks::profile::MAX_MULTIPLIER;
        let built = match shape? {
            "steady" => Ok(Profile::Steady),
            "ramp" => {
                let from = self.number(&mut obj, "from", Some(0.2), 0.0, big);
                let to = self.number(&mut obj, "to", Some(1.0), 0.0, big);
                let start_s = self.number(&mut obj, "start_s", Some(0.0), 0.0, MAX_DURATION_S);
                let end_s = self.number(&mut obj, "end_s", Some(60.0), 0.0, MAX_DURATION_S);
                Profile::ramp(from?, to?, start_s?, end_s?)
            }
            "spike" => {
                let at_s = self.number(&mut obj, "at_s", Some(30.0), 0.0, MAX_DURATION_S);
                let duration_s = self.number(&mut obj, "duration_s", Some(10.0), 0.0, MAX_DURATION_S);
                let multiplier = self.number(&mut obj, "multiplier", Some(5.0), 0.0, big);
                Profile::spike(at_s?, duration_s?, multiplier?)
            }
            _ => {
                let period_s = self.number(
                    &mut obj,
                    "period_s",
                    Some(120.0),
                    crate::blocks::profile::MIN_PERIOD_S,
                    MAX_DURATION_S,
                );
                let trough = self.number(&mut obj, "trough", Some(0.0), 0.0, 1.0);
                Profile::daily(period_s?, trough?)
            }
        };
        self.finish(obj);
        match built {
            Ok(p) => Some(p),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }

    /// An optional autoscaling group (`web`: by utilisation; else by backlog).
    fn autoscale(&mut self, obj: &mut Obj<'_>, web: bool) -> Option<Option<AutoscaleSpec>> {
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
        let policy = if web {
            AutoscalePolicy::utilization(spec.min, spec.max, spec.target)
        } else {
            AutoscalePolicy::backlog(spec.min, spec.max, spec.target)
        };
        match policy
            .and_then(|p| p.with_timing(spec.boot_s, spec.cooldown_s, AutoscalePolicy::DEFAULT_CHECK_INTERVAL_S))
        {
            Ok(_) => Some(Some(spec)),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }

    fn boolean(&mut self, obj: &mut Obj<'_>, field: &'static str, default: bool) -> Option<bool> {
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

    fn balancer(&mut self, obj: &mut Obj<'_>) -> Option<LoadBalancerSpec> {
        let algorithm = self.choice(obj, "algorithm", Some("round_robin"), ALGORITHMS);
        let hc_path = join(&obj.path, "health_check");
        let health_check = match self.get(obj, "health_check") {
            None => Some(Some(HealthCheck::DEFAULT)),
            Some(Value::Null) => Some(None),
            Some(v) => {
                let mut hc = self.object(v, &hc_path)?;
                let interval_s = self.number(
                    &mut hc,
                    "interval_s",
                    Some(HealthCheck::DEFAULT.interval_s),
                    0.1,
                    MAX_CHECK_INTERVAL_S,
                );
                let threshold = self.integer(
                    &mut hc,
                    "threshold",
                    Some(HealthCheck::DEFAULT.threshold as u64),
                    1,
                    MAX_CHECK_THRESHOLD,
                );
                self.finish(hc);
                Some(Some(HealthCheck { interval_s: interval_s?, threshold: threshold? as u32 }))
            }
        };
        let pair = self.boolean(obj, "pair", false);
        let failover_s = self.number(obj, "failover_s", Some(2.0), 0.0, MAX_FAILOVER_S);
        Some(LoadBalancerSpec {
            algorithm: match algorithm? {
                "round_robin" => Algorithm::RoundRobin,
                "least_connections" => Algorithm::LeastConnections,
                "random" => Algorithm::Random,
                _ => Algorithm::Sticky,
            },
            health_check: health_check?,
            pair: pair?,
            failover_s: failover_s?,
        })
    }

    fn cache(&mut self, obj: &mut Obj<'_>) -> Option<CacheSpec> {
        let station = self.station(obj, None, 16, 0.5);
        let capacity = self.integer(obj, "capacity", Some(10_000), 1, crate::blocks::cache_store::MAX_CAPACITY);
        let policy = self.choice(obj, "policy", Some("lru"), POLICIES);
        let ttl_s =
            self.positive_or_null(obj, "ttl_s", Some(300.0), MAX_DURATION_S, "seconds", "entries that never expire");
        let invalidate_on_write = self.boolean(obj, "invalidate_on_write", true);
        Some(CacheSpec {
            station: station?,
            capacity: capacity?,
            policy: match policy? {
                "lfu" => crate::blocks::cache_store::Policy::Lfu,
                "fifo" => crate::blocks::cache_store::Policy::Fifo,
                _ => crate::blocks::cache_store::Policy::Lru,
            },
            ttl_s: ttl_s?,
            invalidate_on_write: invalidate_on_write?,
        })
    }

    fn keys(&mut self, v: &Value, path: &str) -> Option<Keys> {
        let mut obj = self.object(v, path)?;
        let count = self.integer(&mut obj, "count", Some(Keys::DEFAULT.count), 1, crate::blocks::keys::MAX_KEYS);
        let zipf = self.number(&mut obj, "zipf", Some(Keys::DEFAULT.zipf), 0.0, crate::blocks::keys::MAX_EXPONENT);
        let celebrity_share = self.number(&mut obj, "celebrity_share", Some(0.0), 0.0, 1.0);
        self.finish(obj);
        if celebrity_share == Some(1.0) {
            self.issue(join(path, "celebrity_share"), "must be less than 1 (the celebrity cannot take every request)");
            return None;
        }
        Some(Keys { count: count?, zipf: zipf?, celebrity_share: celebrity_share? })
    }

    fn mix(&mut self, v: &Value, path: &str) -> Option<Mix> {
        let mut obj = self.object(v, path)?;
        let read = self.number(&mut obj, "read", Some(0.0), 0.0, 1e9);
        let write = self.number(&mut obj, "write", Some(0.0), 0.0, 1e9);
        let static_ = self.number(&mut obj, "static", Some(0.0), 0.0, 1e9);
        let job = self.number(&mut obj, "job", Some(0.0), 0.0, 1e9);
        self.finish(obj);
        let mix = Mix { read: read?, write: write?, static_: static_?, job: job? };
        if mix.shares().iter().sum::<f64>() <= 0.0 {
            self.issue(path, "needs at least one share above 0 (read, write, static or job)");
            return None;
        }
        Some(mix)
    }

    /// The workers, service and limits of a station. `ladder`: the price list
    /// its `size` comes from (none for caches, which are priced by memory).
    fn station(
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
        Some(StationSpec {
            size: size?.map(|s| s.name.to_string()),
            workers: workers? as u32,
            service: service?,
            queue_limit: queue_limit?,
            timeout_ms: timeout_ms?,
        })
    }

    /// A timeout in milliseconds: more than 0 and at most `MAX_TIMEOUT_MS`, or
    /// null (`none` says what null means); absent: `default`.
    fn timeout(
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
    fn positive_or_null(
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

/// A node spec of `kind` with default parameters (for checking wiring only).
fn default_spec(kind: NodeKind) -> NodeSpec {
    let station = || StationSpec {
        size: None,
        workers: 1,
        service: Service { dist: Dist::Exponential, mean_ms: 1.0, cv: None },
        queue_limit: None,
        timeout_ms: None,
    };
    match kind {
        NodeKind::Users => NodeSpec::Users(UsersSpec {
            rate: Rate::Rps { rps: 0.0 },
            arrivals: Arrivals::Poisson,
            mix: Mix::ALL_READ,
            population: 1,
            keys: Keys::DEFAULT,
            profile: crate::blocks::profile::Profile::Steady,
            regions: Vec::new(),
            mobile_share: 0.0,
            client_timeout_ms: None,
        }),
        NodeKind::LoadBalancer => NodeSpec::LoadBalancer(LoadBalancerSpec {
            algorithm: Algorithm::RoundRobin,
            health_check: None,
            pair: false,
            failover_s: 0.0,
        }),
        NodeKind::WebServer => NodeSpec::WebServer(WebServerSpec {
            station: station(),
            waiting: Waiting::Thread,
            sessions: Sessions::None,
            autoscale: None,
        }),
        NodeKind::Nosql => NodeSpec::Nosql(NosqlSpec { station: station(), partitions: 1 }),
        NodeKind::Cache => NodeSpec::Cache(CacheSpec {
            station: station(),
            capacity: 1,
            policy: crate::blocks::cache_store::Policy::Lru,
            ttl_s: None,
            invalidate_on_write: true,
        }),
        NodeKind::Database => {
            NodeSpec::Database(DatabaseSpec { station: station(), replication_lag_ms: 0.0, failover_s: 0.0 })
        }
        NodeKind::Queue => NodeSpec::Queue(QueueSpec { capacity: 1 }),
        NodeKind::ShardRouter => NodeSpec::ShardRouter(ShardRouterSpec { routing: ShardRouting::Modulo, vnodes: 1 }),
        NodeKind::Cdn => NodeSpec::Cdn(CdnSpec { capacity: 1, ttl_s: 1.0, fallback_to_origin: true, object_kb: 1.0 }),
        NodeKind::Dns => {
            NodeSpec::Dns(DnsSpec { ttl_s: 0.0, resolve_ms: 0.0, routing: DnsRouting::Single, weights: Vec::new() })
        }
        NodeKind::Workers => NodeSpec::Workers(WorkersSpec { station: station(), autoscale: None }),
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
