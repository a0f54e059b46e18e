//! The inspector: the selected node's parameters (units, limits, inline
//! messages from the engine's own validation), its live numbers, and faults.

use super::Editor;
use crate::base::format;
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::fields::{Field, FieldKind};
use scalelab_engine::scenario::NodeSpec;
use scalelab_engine::{Edit, Fault, Health, NodeKind, Snapshot};
use serde_json::Value;
use std::collections::HashMap;

/// What the inspector offers for a node: its kind's fields for its settings.
fn fields_for(spec: &NodeSpec) -> Vec<&'static [Field]> {
    spec.settings().fields()
}

/// Sets `pointer` in a JSON object, creating intermediate objects.
fn set_pointer(v: &mut Value, pointer: &str, new: Value) {
    let mut cur = v;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            if new.is_null() && pointer == "/service/cv" {
                if let Some(o) = cur.as_object_mut() {
                    o.remove(*part);
                }
            } else if let Some(o) = cur.as_object_mut() {
                o.insert(part.to_string(), new.clone());
            }
            return;
        }
        if !cur.get(*part).is_some_and(Value::is_object) {
            if let Some(o) = cur.as_object_mut() {
                o.insert(part.to_string(), Value::Object(Default::default()));
            }
        }
        cur = cur.get_mut(*part).expect("just inserted");
    }
}

/// Shows a JSON value in an input.
fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", f as i64)
            } else {
                format!("{f}")
            }
        }
        Some(other) => other.to_string(),
    }
}

impl Editor {
    /// Changes one field of node `id` to the text `raw`, through the engine's
    /// validation of the whole document; returns the message for the field
    /// when refused.
    fn set_field(&self, id: &str, field: &Field, raw: &str) -> Result<(), String> {
        let doc = self.doc.get_untracked();
        let i = doc.node_index(id).ok_or("the node is gone")?;
        let mut value = doc.to_value().map_err(|e| e.to_string())?;
        let raw = raw.trim();
        let new = match field.kind {
            FieldKind::Choice(_) | FieldKind::Size(_) => Value::String(raw.to_string()),
            FieldKind::Toggle => Value::Bool(raw == "true"),
            FieldKind::Enabled(defaults) if raw == "true" => {
                serde_json::from_str(defaults).map_err(|e| e.to_string())?
            }
            FieldKind::Enabled(_) => Value::Null,
            FieldKind::Optional(_) if raw.is_empty() => Value::Null,
            _ => match raw.replace(',', "").parse::<f64>() {
                Ok(x) if x.is_finite() => serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null),
                _ => {
                    return Err(format!(
                        "enter a number{}",
                        if matches!(field.kind, FieldKind::Optional(_)) { ", or leave it empty" } else { "" }
                    ))
                }
            },
        };
        if let FieldKind::Size(_) = field.kind {
            // A size sets the workers; "custom" keeps today's workers by hand.
            let node = &mut value["nodes"][i];
            if let Some(o) = node.as_object_mut() {
                if raw == "custom" {
                    o.remove("size");
                } else {
                    o.insert("size".into(), Value::String(raw.to_string()));
                    o.remove("workers");
                }
            }
        } else if field.pointer == "/discipline" {
            // Only adaptive LIFO has a threshold (files may set it; it goes
            // with the discipline that uses it).
            set_pointer(&mut value["nodes"][i], field.pointer, new);
            if raw != "adaptive_lifo" {
                if let Some(o) = value["nodes"][i].as_object_mut() {
                    o.remove("lifo_above");
                }
            }
        } else if let Some(policy @ ("retry" | "calls")) =
            field.pointer.strip_suffix("/backoff").and_then(|p| p.strip_prefix('/'))
        {
            // The waits go with the backoff that has them: none has no wait
            // (nor jitter), a constant one no cap. Users' retries and web
            // servers' calls share the policy, and this rule.
            set_pointer(&mut value["nodes"][i], field.pointer, new);
            if let Some(o) = value["nodes"][i][policy].as_object_mut() {
                let dropped: &[&str] = match raw {
                    "none" => &["backoff_ms", "backoff_cap_ms", "jitter"],
                    "constant" => &["backoff_cap_ms"],
                    _ => &[],
                };
                for k in dropped {
                    o.remove(*k);
                }
            }
        } else if field.pointer == "/profile/shape" {
            // A new shape starts from its own defaults.
            value["nodes"][i]["profile"] = serde_json::json!({ "shape": raw });
        } else if field.pointer == "/workers" && value["nodes"][i].get("size").is_some() {
            // Setting workers by hand makes the size custom.
            if let Some(o) = value["nodes"][i].as_object_mut() {
                o.remove("size");
            }
            set_pointer(&mut value["nodes"][i], field.pointer, new);
        } else {
            set_pointer(&mut value["nodes"][i], field.pointer, new);
        }
        let path = format!("nodes[{i}]{}", field.pointer.replace('/', "."));
        let parsed = scalelab_engine::parse::parse_value(&value).map_err(|e| {
            let issues = e.issues();
            issues.iter().find(|x| x.path == path).or(issues.first()).map(|x| x.message.clone()).unwrap_or_default()
        })?;
        let what = field.label.to_lowercase();
        let said = match (field.kind, raw) {
            (FieldKind::Toggle | FieldKind::Enabled(_), "true") => format!("{id}: {what} on"),
            (FieldKind::Toggle | FieldKind::Enabled(_), _) => format!("{id}: {what} off"),
            (_, "") => format!("{id}: {what} set to none"),
            _ => format!("{id}: {what} set to {raw}"),
        };
        self.commit(parsed, &said).map_err(|e| super::reason(&e))
    }

    fn switch_rate(&self, id: &str, daily_users: bool) {
        let doc = self.doc.get_untracked();
        let Some(i) = doc.node_index(id) else { return };
        let NodeSpec::Users(u) = &doc.nodes[i].spec else { return };
        let rps = u.rps();
        let mut node = doc.nodes[i].clone();
        if let NodeSpec::Users(u) = &mut node.spec {
            u.rate = if daily_users {
                let per_day = scalelab_engine::scenario::Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY;
                let peak = scalelab_engine::scenario::Rate::DEFAULT_PEAK_FACTOR;
                scalelab_engine::scenario::Rate::users((rps * 86_400.0 / (per_day * peak)).round().max(1.0))
            } else {
                scalelab_engine::scenario::Rate::Rps { rps: (rps * 100.0).round() / 100.0 }
            };
        }
        self.edit(
            Edit::UpdateNode { node },
            &format!("{id}: traffic given as {}", if daily_users { "daily users" } else { "a request rate" }),
        );
    }

    /// Cuts (or heals) the network between data center `id` and every other.
    pub fn partition_dc(&self, id: &str, cut: bool) {
        let others: Vec<String> =
            self.doc.with_untracked(|d| d.data_centers.iter().filter(|x| x.id != id).map(|x| x.id.clone()).collect());
        if others.is_empty() {
            self.refuse("A partition needs a second data center");
            return;
        }
        let result = self.run.try_update_value(|r| {
            others.iter().try_for_each(|b| r.apply(Edit::Partition { a: id.to_string(), b: b.clone(), cut }))
        });
        match result {
            Some(Ok(())) if cut => self.say(format!("{id} is cut off from the other data centers")),
            Some(Ok(())) => self.say(format!("The network to {id} is healed")),
            Some(Err(e)) => self.refuse(super::reason(&e)),
            None => {}
        }
    }

    /// A new data center (in the first region no other center uses).
    pub fn add_dc(&self) {
        let mut doc = self.doc.get_untracked();
        let id = (1..)
            .map(|n| format!("dc-{n}"))
            .find(|id| doc.data_center(id).is_none() && doc.node_index(id).is_none())
            .expect("a number is free");
        let used: Vec<_> = doc.data_centers.iter().map(|d| d.region).collect();
        let region = scalelab_engine::geo::Region::ALL
            .iter()
            .copied()
            .find(|r| !used.contains(r))
            .unwrap_or(scalelab_engine::geo::Region::UsEast);
        doc.data_centers.push(scalelab_engine::scenario::DataCenter { id: id.clone(), region });
        if let Err(e) = self
            .commit(doc, &format!("Added data center {id} in {}; put nodes in it from their inspector", region.label()))
        {
            self.refuse(super::reason(&e));
        }
    }

    /// Removes a data center; its nodes stay, in none.
    pub fn remove_dc(&self, id: &str) {
        let mut doc = self.doc.get_untracked();
        doc.data_centers.retain(|d| d.id != id);
        for n in &mut doc.nodes {
            if n.dc.as_deref() == Some(id) {
                n.dc = None;
            }
        }
        if let Err(e) = self.commit(doc, &format!("Removed data center {id}")) {
            self.refuse(super::reason(&e));
        }
    }

    pub fn set_dc_region(&self, id: &str, region: &str) {
        let Ok(region) = region.parse::<scalelab_engine::geo::Region>() else { return };
        let mut doc = self.doc.get_untracked();
        if let Some(dc) = doc.data_centers.iter_mut().find(|d| d.id == id) {
            dc.region = region;
        }
        if let Err(e) = self.commit(doc, &format!("Data center {id} is now in {}", region.label())) {
            self.refuse(super::reason(&e));
        }
    }

    /// Puts node `id` in data center `dc` ("" for none).
    pub fn set_node_dc(&self, id: &str, dc: &str) {
        let mut doc = self.doc.get_untracked();
        let Some(i) = doc.node_index(id) else { return };
        doc.nodes[i].dc = (!dc.is_empty()).then(|| dc.to_string());
        let what =
            if dc.is_empty() { format!("{id} is in no data center") } else { format!("{id} is in data center {dc}") };
        if let Err(e) = self.commit(doc, &what) {
            self.refuse(super::reason(&e));
        }
    }

    /// The users' regions from text such as "us-east 60, eu 40" (shares).
    pub fn set_regions(&self, id: &str, text: &str) -> Result<(), String> {
        let mut regions = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or_default();
            let region = name.parse::<scalelab_engine::geo::Region>().map_err(|e| e.to_string())?;
            let share = match words.next() {
                Some(w) => w
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .map_err(|_| format!("\"{w}\" is not a share; write for example \"us-east 60, eu 40\""))?,
                None => 1.0,
            };
            regions.push(scalelab_engine::scenario::RegionShare { region, share });
        }
        let mut doc = self.doc.get_untracked();
        let i = doc.node_index(id).ok_or("the node is gone")?;
        if let NodeSpec::Users(u) = &mut doc.nodes[i].spec {
            u.regions = regions;
        }
        let value = doc.to_value().map_err(|e| e.to_string())?;
        let parsed = scalelab_engine::parse::parse_value(&value)
            .map_err(|e| e.issues().first().map(|x| x.message.clone()).unwrap_or_default())?;
        self.commit(parsed, &format!("{id}: regions set")).map_err(|e| super::reason(&e))
    }

    pub fn fault(&self, id: &str, fault: Fault) {
        let what = match fault {
            Fault::Fail => format!("{id} failed"),
            Fault::Recover => format!("{id} recovered"),
            Fault::Slow { factor } => format!("{id} slowed down {factor}x"),
            Fault::Errors { share } => format!("{id}: {} of requests fail (injected errors)", format::percent(share)),
            Fault::Spike { factor, duration_s } => format!("{id}: service {factor}x slower for {duration_s} s"),
            Fault::Flush => format!("{id} flushed: it starts cold"),
            Fault::Partition | Fault::Heal => format!("{id}: network changed"),
        };
        let result = self.run.try_update_value(|r| r.apply(Edit::Fault { id: id.to_string(), fault }));
        match result {
            Some(Ok(())) => self.say(what),
            Some(Err(e)) => self.refuse(super::reason(&e)),
            None => {}
        }
    }
}

#[component]
pub fn Inspector(snapshot: RwSignal<Option<Snapshot>>) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let errors: RwSignal<HashMap<&'static str, String>> = RwSignal::new(HashMap::new());
    // A different selection starts with no messages.
    Effect::new(move |_| {
        editor.selection.track();
        errors.set(HashMap::new());
    });

    let body = move || {
        let sel = editor.selection.get();
        if let Some((from, to)) = sel.link.clone() {
            return view! { <LinkPanel from=from to=to /> }.into_any();
        }
        match sel.nodes.len() {
            0 => view! { <Overview /> }.into_any(),
            1 => {
                let id = sel.nodes[0].clone();
                view! { <NodePanel id=id snapshot=snapshot errors=errors /> }.into_any()
            }
            n => view! {
                <div class="panel">
                    <h2>{format!("{n} nodes selected")}</h2>
                    <p class="muted">"Drag to move them together; Delete removes them; Ctrl+C copies, Ctrl+D duplicates."</p>
                    <button class="danger" hidden=move || editor.read_only.get() on:click=move |_| editor.delete_selection()>"Delete selected"</button>
                </div>
            }.into_any(),
        }
    };
    view! { <aside class="inspector" aria-label="Inspector" data-testid="inspector">{body}</aside> }
}

#[component]
fn Overview() -> impl IntoView {
    let editor = expect_context::<Editor>();
    let warnings = move || editor.doc.with(scalelab_engine::warnings);
    let dcs = move || editor.doc.with(|d| d.data_centers.clone());
    view! {
        <div class="panel">
            <h2>"Inspector"</h2>
            <p class="muted">"Select a node or a link to see its settings and live numbers."</p>
            <ul class="warnings" data-testid="warnings">
                {move || warnings().into_iter().map(|w| view! { <li>{w.message}</li> }).collect_view()}
            </ul>
            // A read-only design without data centers has nothing to show here.
            <Show when=move || !editor.read_only.get() || editor.doc.with(|d| !d.data_centers.is_empty())>
                <h3>"Data centers"</h3>
                <p class="muted">"Group nodes in a region: traffic between regions pays the distance, and an outage takes a whole center down."</p>
                <ul class="data-centers" data-testid="data-centers">
                    {move || dcs().into_iter().map(|dc| {
                        let (id1, id2, id3, id4) = (dc.id.clone(), dc.id.clone(), dc.id.clone(), dc.id.clone());
                        view! {
                            <li data-testid=format!("dc-{}", dc.id)>
                                <strong>{dc.id.clone()}</strong>
                                <select aria-label=format!("Region of {}", dc.id) data-testid=format!("dc-region-{}", dc.id) disabled=move || editor.read_only.get() prop:value=dc.region.name()
                                    on:change=move |ev| editor.set_dc_region(&id1, &event_target_value(&ev))>
                                    {scalelab_engine::geo::Region::ALL.iter().map(|r| view! { <option value=r.name()>{r.label()}</option> }).collect_view()}
                                </select>
                                <button class="danger" data-testid=format!("dc-fail-{}", dc.id) on:click=move |_| editor.fault(&id2, Fault::Fail)>"Outage"</button>
                                <button data-testid=format!("dc-recover-{}", dc.id) on:click=move |_| editor.fault(&id3, Fault::Recover)>"Recover"</button>
                                <button data-testid=format!("dc-cut-{}", dc.id) title="Cut the network between this data center and the others" on:click={let id = dc.id.clone(); move |_| editor.partition_dc(&id, true)}>"Cut off"</button>
                                <button data-testid=format!("dc-heal-{}", dc.id) on:click={let id = dc.id.clone(); move |_| editor.partition_dc(&id, false)}>"Heal"</button>
                                <button data-testid=format!("dc-remove-{}", dc.id) hidden=move || editor.read_only.get() on:click=move |_| editor.remove_dc(&id4)>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button data-testid="add-dc" hidden=move || editor.read_only.get() on:click=move |_| editor.add_dc()>"Add data center"</button>
            </Show>
            <ReadOnlyNote />
            <h3>"Alert rules"</h3>
            <ul class="alert-rules" data-testid="alert-rules">
                {move || editor.doc.with(|d| {
                    let rules: Vec<scalelab_engine::alerts::AlertRule> = match &d.alerts {
                        None => scalelab_engine::alerts::default_rules(),
                        Some(specs) => specs.iter().filter_map(|a| a.to_rule().ok()).collect(),
                    };
                    rules.into_iter().map(|r| view! { <li><strong>{r.name.clone()}</strong>": "{r.condition()}</li> }).collect_view()
                })}
            </ul>
        </div>
    }
}

/// Said in the inspector of a read-only (embedded) playground.
#[component]
fn ReadOnlyNote() -> impl IntoView {
    let editor = expect_context::<Editor>();
    view! {
        <Show when=move || editor.read_only.get()>
            <p class="read-only-note" data-testid="read-only-note">
                "Read-only: run it, turn the traffic up and fail nodes; open it in Scale Lab to change the design."
            </p>
        </Show>
    }
}

#[component]
fn LinkPanel(from: String, to: String) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let error = RwSignal::new(None::<String>);
    let (f1, t1, f2, t2) = (from.clone(), to.clone(), from.clone(), to.clone());
    let latency =
        move || editor.doc.with(|d| d.links.iter().find(|l| l.from == f1 && l.to == t1).map(|l| l.latency_ms));
    view! {
        <div class="panel">
            <h2>{format!("Link {from} → {to}")}</h2>
            <label class="field">
                <span>"Latency (one way)"</span>
                <span class="input-unit">
                    <input type="text" inputmode="decimal" data-testid="field-latency_ms" disabled=move || editor.read_only.get()
                        prop:value=move || latency().map(|l| show(serde_json::Number::from_f64(l).map(Value::Number).as_ref())).unwrap_or_default()
                        on:change=move |ev| {
                            let raw = event_target_value(&ev);
                            match raw.trim().parse::<f64>() {
                                Ok(ms) if ms.is_finite() => {
                                    let link = scalelab_engine::scenario::Link { from: f2.clone(), to: t2.clone(), latency_ms: ms };
                                    match scalelab_engine::edited(&editor.doc.get_untracked(), &Edit::UpdateLink { link }) {
                                        Ok(new) => { error.set(None); let _ = editor.commit(new, &format!("Latency of {f2} → {t2} set to {ms} ms")); }
                                        Err(e) => error.set(Some(super::reason(&e))),
                                    }
                                }
                                _ => error.set(Some("enter a number of milliseconds".into())),
                            }
                        } />
                    <span class="unit">"ms"</span>
                </span>
            </label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <p class="muted">"Requests and their responses each pay this delay."</p>
            <button class="danger" data-testid="delete-link" hidden=move || editor.read_only.get() on:click=move |_| editor.delete_selection()>"Delete link"</button>
            <ReadOnlyNote />
        </div>
    }
}

#[component]
fn NodePanel(
    id: String,
    snapshot: RwSignal<Option<Snapshot>>,
    errors: RwSignal<HashMap<&'static str, String>>,
) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let Some(node) = editor.node(&id) else {
        return view! { <div class="panel"><p>"This node is gone."</p></div> }.into_any();
    };
    let kind = node.spec.kind();
    let id_for_live = id.clone();
    let live = Signal::derive(move || {
        snapshot.with(|s| s.as_ref().and_then(|s| s.nodes.iter().find(|n| n.id == id_for_live).cloned()))
    });
    let id_theory = id.clone();
    let id_v = id.clone();
    let node_value =
        Signal::derive(move || editor.doc.with(|d| d.node_index(&id_v).and_then(|i| d.nodes[i].to_value().ok())));
    let id_f = id.clone();
    let field_groups =
        move || editor.doc.with(|d| d.node_index(&id_f).map(|i| fields_for(&d.nodes[i].spec)).unwrap_or_default());
    let is_users = kind == NodeKind::Users;
    let is_station = kind.is_station();
    let id_rate = id.clone();
    let daily = Signal::derive(move || node_value.get().is_some_and(|v| v.get("dau").is_some()));
    let read_only = move || editor.read_only.get();

    let render_field = move |field: Field, id: String| {
        let test_id = format!("field-{}", field.pointer.trim_start_matches('/').replace('/', "-"));
        let value = move || node_value.get().map(|v| show(v.pointer(field.pointer))).unwrap_or_default();
        let id2 = id.clone();
        let on_change = move |raw: String| match editor.set_field(&id2, &field, &raw) {
            Ok(()) => errors.update(|e| {
                e.remove(field.pointer);
            }),
            Err(msg) => errors.update(|e| {
                e.insert(field.pointer, msg);
            }),
        };
        let error = move || errors.with(|e| e.get(field.pointer).cloned());
        let input = match field.kind {
            FieldKind::Choice(options) => {
                let on_change = on_change.clone();
                // A choice left out of the document is at its default, the first.
                let value = move || Some(value()).filter(|v| !v.is_empty()).unwrap_or_else(|| options[0].to_string());
                view! {
                    <select data-testid=test_id.clone() disabled=read_only prop:value=value on:change=move |ev| on_change(event_target_value(&ev))>
                        {options.iter().map(|o| view! { <option value=*o>{o.replace('_', " ")}</option> }).collect_view()}
                    </select>
                }.into_any()
            }
            FieldKind::Optional(blank) => view! {
                <input type="text" inputmode="decimal" placeholder=blank data-testid=test_id.clone() disabled=read_only
                    prop:value=value on:change=move |ev| on_change(event_target_value(&ev)) />
            }
            .into_any(),
            FieldKind::Number => view! {
                <input type="text" inputmode="decimal" data-testid=test_id.clone() disabled=read_only
                    prop:value=value on:change=move |ev| on_change(event_target_value(&ev)) />
            }
            .into_any(),
            FieldKind::Size(ladder) => {
                let on_change = on_change.clone();
                let current = move || {
                    node_value
                        .get()
                        .and_then(|v| v.get("size").and_then(|s| s.as_str().map(str::to_string)))
                        .unwrap_or_else(|| "custom".into())
                };
                view! {
                    <select data-testid=test_id.clone() disabled=read_only prop:value=current on:change=move |ev| on_change(event_target_value(&ev))>
                        <option value="custom">"custom (set workers)"</option>
                        // Name and vCPU only: with the price as well ("24xlarge · 192 vCPU ·
                        // $17,280/mo") the chosen size did not fit a 240 px inspector. The
                        // chosen size's price is said under the field.
                        {ladder.sizes().iter().map(|s| view! {
                            <option value=s.name>{format!("{} · {} vCPU", s.name, s.vcpu)}</option>
                        }).collect_view()}
                    </select>
                }.into_any()
            }
            FieldKind::Toggle | FieldKind::Enabled(_) => {
                let checked = move || {
                    node_value
                        .get()
                        .and_then(|v| v.pointer(field.pointer).map(|x| x.as_bool().unwrap_or(!x.is_null())))
                        .unwrap_or(false)
                };
                view! {
                    <input type="checkbox" data-testid=test_id.clone() disabled=read_only prop:checked=checked
                        on:change=move |ev| on_change(event_target_checked(&ev).to_string()) />
                }
                .into_any()
            }
        };
        // What one machine of the chosen size has and costs (the engine's
        // price; set by hand, workers are priced per vCPU at the smallest size's rate).
        let id_price = id.clone();
        let price = match field.kind {
            FieldKind::Size(ladder) => Some(move || {
                editor.doc.with(|d| {
                    let node = &d.nodes[d.node_index(&id_price)?];
                    let usd = format::count(scalelab_engine::cost::node_monthly_usd(&node.spec, 1).round() as u64);
                    let size = node
                        .spec
                        .station()
                        .and_then(|st| st.size.as_deref())
                        .and_then(|name| ladder.sizes().iter().find(|s| s.name == name));
                    Some(match size {
                        Some(s) => format!("{} GiB RAM · ${usd}/month a machine", format::count(s.ram_gib.into())),
                        None => format!("Workers set by hand: ${usd}/month a machine"),
                    })
                })
            }),
            _ => None,
        };
        view! {
            <label class="field" class:invalid=move || error().is_some()>
                <span title=field.help>{field.label}</span>
                <span class="input-unit">{input}<span class="unit">{field.unit}</span></span>
            </label>
            {price.map(|p| view! { <p class="field-hint" data-testid="size-price">{p}</p> })}
            {move || error().map(|e| view! { <p class="field-error" role="alert" data-testid=format!("error{}", field.pointer.replace('/', "-"))>{e}</p> })}
        }
    };

    let id_fields = id.clone();
    let fields =
        move || {
            let id = id_fields.clone();
            field_groups().into_iter().map(|group| {
            let id = id.clone();
            view! { <fieldset>{group.iter().map(move |f| render_field(*f, id.clone())).collect_view()}</fieldset> }
        }).collect_view()
        };

    let (id_fail, id_rec, id_slow, id_conn, id_flush) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let (id_dc, id_r, id_errors, id_spike) = (id.clone(), id.clone(), id.clone(), id.clone());
    let region_error = RwSignal::new(None::<String>);
    let health = Signal::derive(move || live.get().map(|n| n.health).unwrap_or(Health::Up));
    // Injected errors leave the node up, and Recover is what stops them.
    let erring = Signal::derive(move || live.get().is_some_and(|n| n.injected_errors.is_some()));
    view! {
        <div class="panel" data-testid="node-panel">
            <h2>{id.clone()}<span class="kind-tag">{kind.label()}</span></h2>
            {is_users.then(|| {
                let (a, b) = (id_rate.clone(), id_rate.clone());
                view! {
                    <div class="segmented" role="group" aria-label="Traffic given as">
                        <button aria-pressed=move || (!daily.get()).to_string() disabled=read_only on:click=move |_| editor.switch_rate(&a, false)>"Requests/s"</button>
                        <button aria-pressed=move || daily.get().to_string() data-testid="rate-daily" disabled=read_only on:click=move |_| editor.switch_rate(&b, true)>"Daily users"</button>
                    </div>
                }
            })}
            {fields}
            {(is_users || kind == NodeKind::WebServer).then(|| {
                // What the retry policy does to the load, in the engine's numbers.
                let id = id.clone();
                move || editor.doc.with(|d| match d.node_index(&id).map(|i| &d.nodes[i].spec) {
                    Some(NodeSpec::Users(u)) => u.retry.as_ref().and_then(scalelab_engine::theory::retry_load),
                    Some(NodeSpec::WebServer(w)) => w.calls.as_ref().and_then(scalelab_engine::theory::calls_load),
                    _ => None,
                }).map(|words| view! { <p class="muted" data-testid="retry-load">{words}</p> })
            })}
            {(!is_users).then(|| {
                let id_dc = id_dc.clone();
                let id_dc2 = id_dc.clone();
                let current = move || editor.doc.with(|d| d.node_index(&id_dc2).and_then(|i| d.nodes[i].dc.clone()).unwrap_or_default());
                move || editor.doc.with(|d| !d.data_centers.is_empty()).then(|| {
                    let id_dc = id_dc.clone();
                    let current = current.clone();
                    view! {
                        <label class="field">
                            <span title="the data center (and so the region) this node runs in">"Data center"</span>
                            <select data-testid="field-dc" disabled=read_only prop:value=current on:change=move |ev| editor.set_node_dc(&id_dc, &event_target_value(&ev))>
                                <option value="">"none"</option>
                                {editor.doc.with_untracked(|d| d.data_centers.iter().map(|dc| view! { <option value=dc.id.clone()>{format!("{} ({})", dc.id, dc.region.name())}</option> }).collect_view())}
                            </select>
                        </label>
                    }
                })
            })}
            {is_users.then(|| {
                let id_r = id_r.clone();
                let id_r2 = id_r.clone();
                let text = move || editor.doc.with(|d| match d.node_index(&id_r2).map(|i| &d.nodes[i].spec) {
                    Some(NodeSpec::Users(u)) => u.regions.iter().map(|r| format!("{} {}", r.region.name(), r.share)).collect::<Vec<_>>().join(", "),
                    _ => String::new(),
                });
                view! {
                    <label class="field" class:invalid=move || region_error.get().is_some()>
                        <span title="where the users are, as region shares: us-east, us-west, sa, eu, asia, oceania">"Regions"</span>
                        <input type="text" data-testid="field-regions" placeholder="anywhere" disabled=read_only prop:value=text
                            on:change=move |ev| match editor.set_regions(&id_r, &event_target_value(&ev)) {
                                Ok(()) => region_error.set(None),
                                Err(e) => region_error.set(Some(e)),
                            } />
                    </label>
                    {move || region_error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="error-regions">{e}</p> })}
                }
            })}
            <h3>"Live"</h3>
            <p class="hint" data-testid="node-live-window">{move || snapshot.with(|s| format!("Rates and the p99: {}; queue and machines: now", crate::base::format::window(s.as_ref().map_or(0.0, |s| s.span_s))))}</p>
            <dl class="live" data-testid="node-live">
                {move || live.get().map(|n| {
                    let s = n.summary;
                    // A web server with a call policy: its calls' timeouts and retries.
                    let calls_on = || editor.doc.with(|d| {
                        matches!(d.node_index(&n.id).map(|i| &d.nodes[i].spec), Some(NodeSpec::WebServer(w)) if w.calls.is_some())
                    });
                    // Caches that coalesce misses or refresh early (the web server
                    // counts the reads it answered from another reader's fill).
                    let coalescing = editor.doc.with(|d| d.nodes.iter().any(|m| matches!(&m.spec, NodeSpec::Cache(c) if c.coalesce)));
                    let refreshing = kind == NodeKind::Cache
                        && editor.doc.with(|d| matches!(d.node_index(&n.id).map(|i| &d.nodes[i].spec), Some(NodeSpec::Cache(c)) if c.early_refresh > 0.0));
                    let span = snapshot.with(|s| s.as_ref().map_or(0.0, |s| s.span_s));
                    let rate = move |n: u64| if span > 0.0 { format!("{}/s", format::number(n as f64 / span)) } else { "–".to_string() };
                    view! {
                        <dt>"Throughput"</dt><dd data-testid="live-throughput">{format!("{}/s", format::number(s.throughput_rps))}</dd>
                        {is_station.then(|| view! {
                            <dt>"Utilisation"</dt><dd data-testid="live-utilization">{format::percent(s.utilization)}</dd>
                            <dt>"Queue"</dt><dd data-testid="live-queue">{format!("{} waiting", n.waiting)}</dd>
                            <dt>"p99 time here"</dt><dd data-testid="live-p99">{format::ms(n.p99_ms)}</dd>
                        })}
                        {s.cache.map(|c| view! {
                            <dt>"Hit ratio"</dt><dd data-testid="live-hit-ratio">{format::percent(c.hit_ratio)}</dd>
                        })}
                        {matches!(kind, NodeKind::Cache | NodeKind::Database).then(|| view! {
                            <dt>"Stale reads"</dt><dd data-testid="live-stale-reads">{rate(s.stale_reads)}</dd>
                        })}
                        {(kind == NodeKind::WebServer).then(|| view! {
                            <dt>"Sessions lost"</dt><dd data-testid="live-sessions-lost">{rate(s.sessions_lost)}</dd>
                        })}
                        {(kind == NodeKind::WebServer && coalescing).then(|| view! {
                            <dt title="reads of a missed key answered by another reader's read of the database">"Coalesced reads"</dt><dd data-testid="live-coalesced">{rate(s.coalesced)}</dd>
                        })}
                        {refreshing.then(|| view! {
                            <dt title="hits taken as misses to refresh a key shortly before it expires">"Early refreshes"</dt><dd data-testid="live-early-refreshes">{rate(s.early_refreshes)}</dd>
                        })}
                        {(kind == NodeKind::WebServer && calls_on()).then(|| view! {
                            <dt title="attempts that got no answer within the attempt timeout">"Call timeouts"</dt><dd data-testid="live-call-timeouts">{rate(s.call_timeouts)}</dd>
                            <dt title="attempts sent again after one failed">"Retries"</dt><dd data-testid="live-retries">{rate(s.retries)}</dd>
                            <dt title="calls failed at once by an open circuit breaker, without being sent">"Circuit open"</dt><dd data-testid="live-circuit-open">{rate(s.circuit_open)}</dd>
                        })}
                        {n.pool.map(|p| view! {
                            <dt title="connections of its pools out with a call now, of all its pools' connections (one pool per node it calls)">"Connections in use"</dt><dd data-testid="live-pool-in-use">{format!("{} of {}", p.in_use, p.size)}</dd>
                            <dt title="calls waiting now for a free connection (a thread-mode server's worker waits with each)">"Waiting for a connection"</dt><dd data-testid="live-pool-waiting">{format::count(p.waiting.into())}</dd>
                            <dt title="mean time a call waited for a connection, the calls that got one at once included">"Pool wait"</dt><dd data-testid="live-pool-wait">{format::ms(Some(s.pool_wait_ms))}</dd>
                        })}
                        {(s.pool_timeouts > 0).then(|| view! {
                            <dt title="calls that waited the pool's longest wait for a connection and failed">"Pool timeouts"</dt><dd data-testid="live-pool-timeouts">{rate(s.pool_timeouts)}</dd>
                        })}
                        {n.group.map(|(running, booting)| view! {
                            <dt>"Machines"</dt><dd data-testid="live-machines">{if booting > 0 { format!("{running} running, {booting} booting") } else { format!("{running} running") }}</dd>
                        })}
                        {(kind == NodeKind::Queue).then(|| view! {
                            <dt>"Backlog"</dt><dd data-testid="live-backlog">{format!("{} jobs", format::count(n.waiting.into()))}</dd>
                            <dt>"Oldest job"</dt><dd data-testid="live-oldest-job">{format::ms(n.oldest_job_age_ms)}</dd>
                        })}
                        {n.replication_lag_ms.map(|lag| view! {
                            <dt>"Replication lag"</dt><dd data-testid="live-replication-lag">{format::ms(Some(lag))}</dd>
                        })}
                        <dt>"Errors here"</dt><dd data-testid="live-errors">{rate(s.rejected + s.timeouts + s.failed_down + s.errors + s.shed + s.rate_limited)}</dd>
                        {n.injected_errors.map(|share| view! {
                            <dt>"Injected errors"</dt><dd data-testid="live-injected-errors">{format!("{} of arrivals", format::percent(share))}</dd>
                        })}
                        {(n.cost_per_month_usd > 0.0).then(|| view! {
                            <dt>"Cost"</dt><dd data-testid="live-cost">{format!("${}/month", format::count(n.cost_per_month_usd.round() as u64))}</dd>
                        })}
                    }
                })}
            </dl>
            {is_station.then(|| view! { <TheoryBeside id=id_theory.clone() /> })}
            <div class="actions">
                {(!is_users).then(|| view! {
                    <button class="danger" data-testid="fault-fail" disabled=move || health.get() == Health::Down on:click=move |_| editor.fault(&id_fail, Fault::Fail)>"Fail"</button>
                    <button data-testid="fault-recover" disabled=move || health.get() == Health::Up && !erring.get() on:click=move |_| editor.fault(&id_rec, Fault::Recover)>"Recover"</button>
                })}
                {is_station.then(|| view! {
                    <button data-testid="fault-slow" on:click=move |_| editor.fault(&id_slow, Fault::Slow { factor: 5.0 })>"Slow down 5x"</button>
                })}
                {(!is_users).then(|| view! { <ErrorsControl id=id_errors.clone() /> })}
                {is_station.then(|| view! { <SpikeControl id=id_spike.clone() /> })}
                {(kind == NodeKind::Cache).then(|| { let id_flush = id_flush.clone(); view! {
                    <button data-testid="fault-flush" title="Empty the cache: every key misses until refilled" on:click=move |_| editor.fault(&id_flush, Fault::Flush)>"Flush"</button>
                }})}
                // Only kinds that may link to something (the diagram gives them a port).
                {kind.links_onward().then(|| view! {
                    <button data-testid="connect-from" hidden=read_only on:click=move |_| {
                        editor.connecting_from.set(Some(id_conn.clone()));
                        editor.say(format!("Connecting from {id_conn}: click the node to connect to (Esc cancels)"));
                    }>"Connect to…"</button>
                })}
                <button class="danger" data-testid="delete-node" hidden=read_only on:click=move |_| editor.delete_selection()>"Delete"</button>
            </div>
            <ReadOnlyNote />
        </div>
    }.into_any()
}

/// A number typed in a fault's field, or what to say when it is not one.
fn typed(input: NodeRef<html::Input>, what: &str) -> Result<f64, String> {
    let text = input.get_untracked().map(|i| i.value()).unwrap_or_default();
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{what}: enter a number, not \"{text}\""))
}

/// "Inject errors": a share of the requests reaching the node fail at once
/// (cause `error`) until it recovers.
#[component]
fn ErrorsControl(id: String) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let share = NodeRef::<html::Input>::new();
    let inject = move |_| match typed(share, "share of requests that fail") {
        Ok(pct) if pct > 0.0 && pct <= 100.0 => editor.fault(&id, Fault::Errors { share: pct / 100.0 }),
        Ok(pct) => {
            editor.refuse(format!("the share of requests that fail is a percentage above 0 and at most 100, not {pct}"))
        }
        Err(why) => editor.refuse(why),
    };
    view! {
        <div class="fault-extra" title="A share of the requests reaching this node fail at once, as a bug or a bad deploy would; Recover stops it">
            <label>"Errors "<input type="number" node_ref=share data-testid="fault-errors-share" min="1" max="100" step="1" value="50" aria-label="Share of requests that fail, in percent" />"%"</label>
            <button data-testid="fault-errors" on:click=inject>"Inject errors"</button>
        </div>
    }
}

/// "Latency spike": service k times slower for some seconds, then back to
/// what it was by itself.
#[component]
fn SpikeControl(id: String) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let (factor, seconds) = (NodeRef::<html::Input>::new(), NodeRef::<html::Input>::new());
    let spike = move |_| match (typed(factor, "spike factor"), typed(seconds, "spike length")) {
        (Ok(factor), Ok(duration_s)) => editor.fault(&id, Fault::Spike { factor, duration_s }),
        (Err(why), _) | (_, Err(why)) => editor.refuse(why),
    };
    view! {
        <div class="fault-extra" title="Service slows down for a while (a garbage-collection pause, a noisy neighbour), then recovers by itself">
            <label>"Spike ×"<input type="number" node_ref=factor data-testid="fault-spike-factor" min="1.1" max="100" step="0.5" value="4" aria-label="Spike: times slower" /></label>
            <label>" for "<input type="number" node_ref=seconds data-testid="fault-spike-seconds" min="1" step="1" value="10" aria-label="Spike: seconds" />" s"</label>
            <button data-testid="fault-spike" on:click=spike>"Latency spike"</button>
        </div>
    }
}

/// Queueing theory beside the simulated numbers of a node (both from the
/// engine: `Simulation::theory_check`, over the last
/// [`THEORY_WINDOW_S`](scalelab_engine::live_session::THEORY_WINDOW_S)
/// seconds), with the assumptions stated, or why theory does not apply. The
/// live run reads it while this is shown.
#[component]
fn TheoryBeside(id: String) -> impl IntoView {
    use scalelab_engine::theory::NodeTheory;
    let editor = expect_context::<Editor>();
    let live = expect_context::<crate::state::live::Live>();
    let watched = Some(id.clone());
    editor.run.update_value(|r| r.watch(|w| w.theory = watched.clone()));
    on_cleanup(move || {
        // Unless another node's took its place meanwhile.
        let _ = editor.run.try_update_value(|r| {
            r.watch(|w| {
                if w.theory == watched {
                    w.theory = None
                }
            })
        });
    });
    // Each reading that changes the check sets it anew.
    let check = move || live.theory.with(|t| t.as_ref().filter(|(of, _)| *of == id).map(|(_, c)| c.clone()));
    view! {
        <section class="theory" data-testid="theory">
            <h3>"Queueing theory"</h3>
            {move || match check() {
                None => view! { <p class="muted">"Measuring…"</p> }.into_any(),
                Some(c) => {
                    let over = format!("last {} s at {}/s", c.window_s, format::number(c.arrival_rps));
                    match c.theory {
                        NodeTheory::Applies { prediction: p, assumptions } => view! {
                            <p data-testid="theory-model">{format!("{}, {over}", p.model)}</p>
                            <dl class="live">
                                <dt>"Utilisation"</dt>
                                <dd data-testid="theory-utilization">{format!("simulated {} · theory {}", format::percent(c.simulated_utilization), format::percent(p.utilization))}</dd>
                                <dt>"Mean wait"</dt>
                                <dd data-testid="theory-wait">{format!("simulated {} · theory {}", format::ms(c.simulated_wait_ms), format::ms(Some(p.wait_ms)))}</dd>
                            </dl>
                            <p class="muted">"Assumes:"</p>
                            <ul class="assumptions" data-testid="theory-assumptions">
                                {assumptions.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                            </ul>
                        }.into_any(),
                        NodeTheory::Overloaded { utilization, .. } => view! {
                            <p data-testid="theory-model">{format!(
                                "Overloaded ({over}): the work needs {} of the workers, so there is no steady state; the queue grows until requests are turned away or time out",
                                format::percent(utilization)
                            )}</p>
                        }.into_any(),
                        NodeTheory::DoesNotApply { reasons } => view! {
                            <p data-testid="theory-model">{format!("Theory does not apply here ({over}): {}", reasons.join("; "))}</p>
                        }.into_any(),
                    }
                }
            }}
        </section>
    }
}
