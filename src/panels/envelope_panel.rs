//! The back-of-the-envelope panel: from daily users to requests per second,
//! storage and bandwidth, beside what the simulation measures now.
//!
//! The arithmetic and the limits are the engine's (`scalelab_engine::envelope`);
//! this module reads the fields, shows the engine's answer or its reason for
//! refusing, and puts the live run's measured requests/s beside the estimate.
//! The fields start from the design on screen (its users node) and follow it
//! until the user types in one; what the user typed is never rewritten.
//!
//! Stable selectors for tests: `envelope-button`, `envelope-panel`,
//! `envelope-close`, `env-from-design`, inputs `env-<field>` and messages
//! `env-error-<field>` (fields: `daily-users`, `requests-per-user`,
//! `peak-factor`, `write-share`, `bytes-per-write`, `bytes-per-response`,
//! `retention-years`), results `env-average-rps`, `env-peak-rps`,
//! `env-writes`, `env-storage-day`, `env-storage-total`, `env-bandwidth`,
//! and beside them `env-sim-rps` (as the dashboard's Requests/s) and
//! `env-design-rps` (the rate the design's users send at).

use crate::base::format;
use crate::base::page::embedded;
use crate::editor::Editor;
use crate::state::{Live, OpenTool, Tool};
use leptos::prelude::*;
use scalelab_engine::envelope::{estimate, Envelope, EnvelopeError, EnvelopeInput};
use scalelab_engine::scenario::{NodeSpec, Rate, Scenario};

/// What a response and a write weigh when the design does not say (it never
/// does: the simulation moves requests, not bytes). Typical of a JSON API.
const BYTES_PER_WRITE: f64 = 1_000.0;
const BYTES_PER_RESPONSE: f64 = 10_000.0;
const RETENTION_YEARS: f64 = 5.0;

/// An input the engine accepts, used to ask it about one field at a time
/// (a unit test checks that it does accept it).
const REFERENCE: EnvelopeInput = EnvelopeInput {
    daily_users: 1_000_000.0,
    requests_per_user_per_day: Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY,
    peak_factor: Rate::DEFAULT_PEAK_FACTOR,
    write_share: 0.1,
    bytes_per_write: BYTES_PER_WRITE,
    bytes_per_response: BYTES_PER_RESPONSE,
    retention_years: RETENTION_YEARS,
};

/// One number of the form.
struct Field {
    /// The engine's name for it (`EnvelopeError::field`).
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    /// For test ids and element ids.
    slug: &'static str,
    /// "10%" is read as 0.1.
    percent: bool,
    get: fn(&EnvelopeInput) -> f64,
    set: fn(&mut EnvelopeInput, f64),
}

static FIELDS: [Field; 7] = [
    Field {
        key: "daily users",
        label: "Daily users",
        unit: "users",
        slug: "daily-users",
        percent: false,
        get: |i| i.daily_users,
        set: |i, v| i.daily_users = v,
    },
    Field {
        key: "requests per user per day",
        label: "Requests per user per day",
        unit: "requests",
        slug: "requests-per-user",
        percent: false,
        get: |i| i.requests_per_user_per_day,
        set: |i, v| i.requests_per_user_per_day = v,
    },
    Field {
        key: "peak factor",
        label: "Peak factor",
        unit: "× average",
        slug: "peak-factor",
        percent: false,
        get: |i| i.peak_factor,
        set: |i, v| i.peak_factor = v,
    },
    Field {
        key: "write share",
        label: "Write share",
        unit: "0 to 1",
        slug: "write-share",
        percent: true,
        get: |i| i.write_share,
        set: |i, v| i.write_share = v,
    },
    Field {
        key: "bytes per write",
        label: "Bytes stored per write",
        unit: "bytes",
        slug: "bytes-per-write",
        percent: false,
        get: |i| i.bytes_per_write,
        set: |i, v| i.bytes_per_write = v,
    },
    Field {
        key: "bytes per response",
        label: "Bytes per response",
        unit: "bytes",
        slug: "bytes-per-response",
        percent: false,
        get: |i| i.bytes_per_response,
        set: |i, v| i.bytes_per_response = v,
    },
    Field {
        key: "retention in years",
        label: "Data kept for",
        unit: "years",
        slug: "retention-years",
        percent: false,
        get: |i| i.retention_years,
        set: |i, v| i.retention_years = v,
    },
];

/// A field's text as a number: thousands separators allowed ("8,640,000"),
/// "10%" where a share is asked. Anything else unreadable is NaN, which the
/// engine refuses with its own message naming the field.
fn read_number(text: &str, percent: bool) -> f64 {
    let t: String = text.trim().chars().filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}' | '\u{202f}')).collect();
    match t.strip_suffix('%') {
        Some(p) if percent => p.parse::<f64>().map_or(f64::NAN, |v| v / 100.0),
        Some(_) => f64::NAN,
        None => t.parse::<f64>().unwrap_or(f64::NAN),
    }
}

/// A number as a field's starting text: whole numbers with separators,
/// others with at most four decimals.
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format::count(x as u64)
    } else {
        let s = format!("{:.4}", x);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The estimate's starting point from the design: its (first) users node's
/// daily users and habits, and its share of writes. Without users, a
/// million daily users with the engine's default habits.
fn from_design(doc: &Scenario) -> EnvelopeInput {
    let users = doc.nodes.iter().find_map(|n| match &n.spec {
        NodeSpec::Users(u) => Some(u),
        _ => None,
    });
    let Some(u) = users else { return REFERENCE };
    let (daily_users, requests_per_user_per_day, peak_factor) = match u.rate {
        Rate::Users { dau, requests_per_user_per_day, peak_factor } => (dau, requests_per_user_per_day, peak_factor),
        // A rate given in requests/s: the daily users that make it with the
        // default habits (as the traffic dial reads it).
        Rate::Rps { rps } => {
            let (per_user, peak) = (Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY, Rate::DEFAULT_PEAK_FACTOR);
            ((rps * 86_400.0 / (per_user * peak)).round(), per_user, peak)
        }
    };
    let shares: f64 = u.mix.shares().iter().sum();
    let write_share = if shares > 0.0 { ((u.mix.write / shares) * 1e4).round() / 1e4 } else { 0.0 };
    EnvelopeInput {
        daily_users,
        requests_per_user_per_day,
        peak_factor,
        write_share,
        bytes_per_write: BYTES_PER_WRITE,
        bytes_per_response: BYTES_PER_RESPONSE,
        retention_years: RETENTION_YEARS,
    }
}

/// What the form says: each field's problem (as the engine words it), and
/// the estimate when every field is fine.
#[derive(Clone, Debug, PartialEq)]
struct Outcome {
    problems: Vec<Option<EnvelopeError>>,
    estimate: Option<Envelope>,
}

fn evaluate(texts: &[String]) -> Outcome {
    let mut input = REFERENCE;
    let mut problems = Vec::with_capacity(FIELDS.len());
    for (f, text) in FIELDS.iter().zip(texts) {
        let v = read_number(text, f.percent);
        // The engine stops at the first bad field; asking about each field
        // alone (the others at a value it accepts) names every bad one.
        let mut probe = REFERENCE;
        (f.set)(&mut probe, v);
        problems.push(estimate(&probe).err().filter(|e| e.field == f.key));
        (f.set)(&mut input, v);
    }
    let estimate = estimate(&input).ok().filter(|_| problems.iter().all(Option::is_none));
    Outcome { problems, estimate }
}

/// The "Estimate" button of the top bar (not in an embedded page).
#[component]
pub fn EnvelopeButton() -> impl IntoView {
    if embedded() {
        return ().into_any();
    }
    let open = expect_context::<OpenTool>();
    view! {
        <button id="envelope-button" data-testid="envelope-button" class="tool-button" aria-controls="envelope-panel"
            aria-expanded=move || (open.0.get() == Some(Tool::Estimate)).to_string()
            title="Back-of-the-envelope numbers: from daily users to requests/s, storage and bandwidth"
            on:click=move |_| open.toggle(Tool::Estimate)>
            "Estimate"
        </button>
    }
    .into_any()
}

/// The panel. Its fields live as long as the page, so closing and opening
/// it keeps what was typed.
#[component]
pub fn EnvelopePanel() -> impl IntoView {
    if embedded() {
        return ().into_any();
    }
    let open = expect_context::<OpenTool>();
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let texts: [RwSignal<String>; 7] = std::array::from_fn(|_| RwSignal::new(String::new()));
    // The user typed in a field: the design no longer fills them in.
    let typed = RwSignal::new(false);
    let fill = move || {
        let start = editor.doc.with_untracked(from_design);
        for (f, t) in FIELDS.iter().zip(texts) {
            t.set(number_text((f.get)(&start)));
        }
    };
    // Follows the design (the traffic dial, a lesson) until the user types.
    Effect::new(move |_| {
        editor.doc.track();
        if !typed.get_untracked() {
            fill();
        }
    });
    let outcome = Memo::new(move |_| evaluate(&texts.map(|t| t.get())));
    let design_rps = move || {
        editor.doc.with(|d| {
            d.nodes.iter().find_map(|n| match &n.spec {
                NodeSpec::Users(u) => Some(u.rps()),
                _ => None,
            })
        })
    };
    let close = move || open.close(Tool::Estimate, "envelope-button");
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            // On the next frame: a panel is shown after this runs (and a
            // menu that opened it gives the focus back first), and a hidden
            // element takes no focus.
            request_animation_frame(move || {
                let _ = h.focus();
            });
        }
    });
    let value = move |f: fn(&Envelope) -> String| {
        move || outcome.with(|o| o.estimate.as_ref().map_or_else(|| "–".to_string(), f))
    };
    view! {
        <Show when=move || open.0.get() == Some(Tool::Estimate)>
            <aside id="envelope-panel" class="tool-sheet envelope-panel" data-testid="envelope-panel" aria-labelledby="envelope-title"
                on:keydown=move |ev| if ev.key() == "Escape" { close() }>
                <div class="tool-bar">
                    <h2 id="envelope-title" tabindex="-1" node_ref=heading>"Back-of-the-envelope estimate"</h2>
                    <button data-testid="env-from-design" title="Fill the fields in from the design on screen"
                        on:click=move |_| { typed.set(false); fill(); }>"From the design"</button>
                    <button class="tool-close" data-testid="envelope-close" aria-label="Close the estimate" on:click=move |_| close()>"×"</button>
                </div>
                <div class="tool-body">
                    <p class="tool-intro">
                        "The arithmetic a design starts from: how many requests a day's users make, how many arrive each second at the busiest time, "
                        "and what they store and send. Beside it, what the simulation measures now, so you can see where the rough numbers hold."
                    </p>
                    <div class="env-grid">
                        <div class="env-form" role="group" aria-label="Assumptions">
                            {FIELDS.iter().enumerate().map(|(i, f)| {
                                let text = texts[i];
                                let input_id = format!("env-{}", f.slug);
                                let error_id = format!("env-error-{}", f.slug);
                                let problem = move || outcome.with(|o| o.problems[i].as_ref().map(ToString::to_string));
                                view! {
                                    <div class="env-field" class:invalid=move || problem().is_some()>
                                        <label for=input_id.clone()>{f.label}</label>
                                        <span class="input-unit">
                                            <input id=input_id.clone() type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
                                                data-testid=input_id.clone()
                                                aria-invalid=move || problem().is_some().to_string()
                                                aria-describedby=error_id.clone()
                                                prop:value=move || text.get()
                                                on:input=move |ev| {
                                                    typed.set(true);
                                                    text.set(event_target_value(&ev));
                                                } />
                                            <span class="unit">{f.unit}</span>
                                        </span>
                                        <span class="field-error" id=error_id.clone() data-testid=error_id.clone() role="alert">{problem}</span>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                        <table class="env-results" aria-label="Estimate and simulation">
                            <thead><tr><th scope="col"></th><th scope="col">"Estimate"</th><th scope="col">"Simulation now"</th></tr></thead>
                            <tbody>
                                <tr>
                                    <th scope="row">"Requests/s, day's average"</th>
                                    <td data-testid="env-average-rps">{value(|e| format!("{}/s", format::number(e.average_rps)))}</td>
                                    <td class="muted" rowspan="2">
                                        <span class="env-sim" data-testid="env-sim-rps">{move || live.snapshot.with(|s| s.as_ref().filter(|s| s.span_s > 0.0).map_or_else(|| "–".to_string(), |s| format::number(s.sent_rps)))}</span>
                                        {move || live.snapshot.with(|s| format!(" requests/s sent, {} (the dashboard's Requests/s)", format::window(s.as_ref().map_or(0.0, |s| s.span_s))))}
                                        <br />
                                        {move || design_rps().map(|r| view! {
                                            <span>"The design's users send "<span data-testid="env-design-rps">{format::number(r)}</span>"/s: the peak rate."</span>
                                        })}
                                    </td>
                                </tr>
                                <tr>
                                    <th scope="row">"Requests/s at the peak"</th>
                                    <td data-testid="env-peak-rps">{value(|e| format!("{}/s", format::number(e.peak_rps)))}</td>
                                </tr>
                                <tr>
                                    <th scope="row">"Writes/s, day's average"</th>
                                    <td data-testid="env-writes">{value(|e| format!("{}/s", format::number(e.writes_per_s)))}</td>
                                    <td class="muted not-simulated" rowspan="4">"Not simulated: the simulation moves requests, not bytes."</td>
                                </tr>
                                <tr>
                                    <th scope="row">"New data a day"</th>
                                    <td data-testid="env-storage-day">{value(|e| format::bytes(e.storage_per_day_bytes))}</td>
                                </tr>
                                <tr>
                                    <th scope="row">"Data kept in all"</th>
                                    <td data-testid="env-storage-total">{value(|e| format::bytes(e.storage_total_bytes))}</td>
                                </tr>
                                <tr>
                                    <th scope="row">"Bandwidth out at the peak"</th>
                                    <td data-testid="env-bandwidth">{value(|e| format::bits_per_s(e.peak_bandwidth_bps))}</td>
                                </tr>
                            </tbody>
                        </table>
                    </div>
                    {move || outcome.with(|o| o.estimate.is_none()).then(|| view! {
                        <p class="env-blocked" role="status">"No estimate until the marked fields are fixed."</p>
                    })}
                </div>
            </aside>
        </Show>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(f: impl Fn(usize) -> Option<&'static str>) -> Vec<String> {
        let base = FIELDS.iter().map(|f| number_text((f.get)(&REFERENCE))).collect::<Vec<_>>();
        base.into_iter().enumerate().map(|(i, t)| f(i).map_or(t, str::to_string)).collect()
    }

    #[test]
    fn the_reference_input_is_one_the_engine_accepts() {
        assert!(estimate(&REFERENCE).is_ok());
        let o = evaluate(&texts(|_| None));
        assert!(o.problems.iter().all(Option::is_none));
        assert_eq!(o.estimate, estimate(&REFERENCE).ok());
    }

    #[test]
    fn typed_text_reads_as_the_number_meant() {
        assert_eq!(read_number(" 8,640,000 ", false), 8_640_000.0);
        assert_eq!(read_number("10%", true), 0.1);
        assert!(read_number("10%", false).is_nan());
        assert!(read_number("", false).is_nan());
        assert!(read_number("ten", false).is_nan());
        assert!(read_number("NaN", false).is_nan());
        assert_eq!(read_number("-3", false), -3.0);
        assert_eq!(number_text(8_640_000.0), "8,640,000");
        assert_eq!(number_text(0.05), "0.05");
        assert_eq!(number_text(2.0), "2");
    }

    #[test]
    fn every_bad_field_is_named_by_the_engine_and_nothing_is_estimated() {
        // Daily users: 8,640,000 x 10 requests / 86,400 s = 1,000/s; peak x3.
        let o = evaluate(&texts(|i| match i {
            0 => Some("8,640,000"),
            1 => Some("10"),
            2 => Some("3"),
            _ => None,
        }));
        let e = o.estimate.unwrap();
        assert_eq!((e.average_rps, e.peak_rps), (1_000.0, 3_000.0));

        let o = evaluate(&texts(|i| match i {
            0 => Some(""),
            2 => Some("-1"),
            3 => Some("1.5"),
            6 => Some("1e9"),
            _ => None,
        }));
        assert_eq!(o.estimate, None);
        let named: Vec<Option<&str>> = o.problems.iter().map(|p| p.as_ref().map(|e| e.field)).collect();
        assert_eq!(
            named,
            vec![
                Some("daily users"),
                None,
                Some("peak factor"),
                Some("write share"),
                None,
                None,
                Some("retention in years")
            ]
        );
        assert!(o.problems[0].as_ref().unwrap().to_string().starts_with("daily users: must be a number"));
    }

    #[test]
    fn the_starting_point_is_the_designs_users() {
        let starter = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        // 300 requests/s, given as a rate: the daily users that send it with
        // the default habits, so the estimate's peak is the design's rate.
        let i = from_design(&starter);
        assert_eq!(i.write_share, 0.1);
        let e = estimate(&i).unwrap();
        assert!((e.peak_rps - 300.0).abs() < 0.01, "{e:?}");
        let lesson = crate::lessons::scenario(5).unwrap();
        let i = from_design(lesson);
        assert_eq!((i.daily_users, i.write_share), (500_000.0, 0.05));
        assert_eq!(from_design(&Scenario { nodes: vec![], links: vec![], ..starter }), REFERENCE);
    }
}
