//! `?fuzz=SEED`: random input for finding crashes, after PhET's fuzz mode.
//!
//! Every animation frame a few synthetic events go to the page: clicks on
//! random visible controls, drags and clicks at random places of the
//! diagram, key presses, wheel turns, and random values typed into fields
//! (empty, negative, huge, not a number, markup). The random stream is
//! seeded from the address, so a seed that finds a bug finds it again
//! (timing aside: the simulation's own pace differs from machine to machine).
//! `&fuzz-steps=N` stops after N frames; the badge's Stop button stops at once.
//!
//! Left alone, because they leave the page or wait on the person at the
//! screen: links that navigate, downloads and "save as file" buttons, file
//! choosers, clipboard copies, the crash screen's reload, and anything marked
//! `data-fuzz-skip`. The page's own code never opens native dialogs (alert,
//! confirm, prompt).
//!
//! A panic stops the fuzzer (the crash overlay is the result to look at).
//! The page runs normally otherwise: fuzzing is a way of using the real
//! build, with its autosave, not a separate one.

use std::cell::RefCell;
use std::rc::Rc;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, EventTarget};

use crate::keeping::crash;

/// What the address asks of the fuzzer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuzzOptions {
    pub seed: u64,
    /// Frames to fuzz before stopping; `None`: until stopped.
    pub steps: Option<u64>,
}

/// `?fuzz=SEED[&fuzz-steps=N]`, or `None` when the address does not ask to
/// fuzz. A seed that is not a number is hashed, so any text works as a seed.
pub fn options_from_query(search: &str) -> Option<FuzzOptions> {
    let seed = crash::param(search, "fuzz")?;
    let seed = seed.trim().parse::<u64>().unwrap_or_else(|_| fnv1a(seed));
    let steps = crash::param(search, "fuzz-steps").and_then(|n| n.trim().parse::<u64>().ok());
    Some(FuzzOptions { seed, steps })
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The `data-testid`s of controls the fuzzer leaves alone (see the module
/// notes); any test id containing "file" or "download" is left alone too.
const SKIPPED_TEST_IDS: &[&str] = &["copy-link", "copy-embed", "crash-reload", "fuzz-stop"];

/// Whether a control with these attributes may be fuzzed. Pure, so the rule
/// is tested natively; `tag` is lower case.
pub fn may_fuzz(
    tag: &str,
    test_id: Option<&str>,
    input_type: Option<&str>,
    href: Option<&str>,
    download: bool,
) -> bool {
    if let Some(id) = test_id {
        if SKIPPED_TEST_IDS.contains(&id) || id.contains("file") || id.contains("download") {
            return false;
        }
    }
    if tag == "a" && (download || href.is_some_and(|h| !h.starts_with('#'))) {
        return false;
    }
    if tag == "input" && input_type.is_some_and(|t| t.eq_ignore_ascii_case("file")) {
        return false;
    }
    true
}

/// The controls the fuzzer picks from.
const TARGETS: &str = "button, input, select, textarea, summary, a, label, li, [role=button], [role=tab], [tabindex], g[data-node], g.link";

/// Values typed into fields: ordinary, edge and hostile.
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "2",
    "3",
    "10",
    "100",
    "0.5",
    "-1",
    "-0",
    "1e-9",
    "1e309",
    "999999999999999999999",
    "NaN",
    "abc",
    " 42 ",
    "<img src=x onerror=\"window.__xss=1\">",
    "web-1",
    "db",
    "users",
];

/// Keys pressed, with Ctrl sometimes (undo, redo, copy, paste, duplicate).
const KEYS: &[(&str, &str)] = &[
    ("Delete", "Delete"),
    ("Backspace", "Backspace"),
    ("Escape", "Escape"),
    ("Enter", "Enter"),
    ("Tab", "Tab"),
    ("ArrowLeft", "ArrowLeft"),
    ("ArrowRight", "ArrowRight"),
    ("ArrowUp", "ArrowUp"),
    ("ArrowDown", "ArrowDown"),
    ("c", "KeyC"),
    ("?", "Slash"),
    ("+", "Equal"),
    ("-", "Minus"),
    ("0", "Digit0"),
    (" ", "Space"),
    ("a", "KeyA"),
    ("1", "Digit1"),
];
const CTRL_KEYS: &[(&str, &str)] = &[("z", "KeyZ"), ("y", "KeyY"), ("c", "KeyC"), ("v", "KeyV"), ("d", "KeyD")];

/// The frame callback, shared between the loop (which re-registers it) and
/// itself (it drops itself when the fuzzing stops).
type FrameClosure = Rc<RefCell<Option<Closure<dyn FnMut()>>>>;

/// A pointer held down over several frames.
struct Drag {
    target: EventTarget,
    x: f64,
    y: f64,
    moves_left: u32,
}

struct Fuzzer {
    rng: Xoshiro256PlusPlus,
    step: u64,
    limit: Option<u64>,
    seed: u64,
    stopped: bool,
    drag: Option<Drag>,
    badge_text: Element,
    badge: Element,
}

/// Starts fuzzing when the address asks for it. Call after mounting.
pub fn start_if_asked() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let search = window.location().search().unwrap_or_default();
    if let Some(options) = options_from_query(&search) {
        start(options);
    }
}

fn start(options: FuzzOptions) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Some((badge, badge_text, stop)) = (|| {
        let badge = document.create_element("div").ok()?;
        badge.set_class_name("fuzz-badge");
        badge.set_attribute("data-testid", "fuzz-badge").ok()?;
        badge.set_attribute("role", "status").ok()?;
        badge.set_attribute("data-fuzz-skip", "").ok()?;
        let text = document.create_element("span").ok()?;
        let stop = document.create_element("button").ok()?;
        stop.set_attribute("type", "button").ok()?;
        stop.set_attribute("data-testid", "fuzz-stop").ok()?;
        stop.set_text_content(Some("Stop"));
        badge.append_child(&text).ok()?;
        badge.append_child(&stop).ok()?;
        body.append_child(&badge).ok()?;
        Some((badge, text, stop))
    })() else {
        return;
    };
    let fuzzer = Rc::new(RefCell::new(Fuzzer {
        rng: Xoshiro256PlusPlus::seed_from_u64(options.seed),
        step: 0,
        limit: options.steps,
        seed: options.seed,
        stopped: false,
        drag: None,
        badge_text,
        badge,
    }));
    fuzzer.borrow().show();

    let on_stop = {
        let fuzzer = fuzzer.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Ok(mut f) = fuzzer.try_borrow_mut() {
                f.finish();
            }
        })
    };
    let _ = stop.add_event_listener_with_callback("click", on_stop.as_ref().unchecked_ref());
    on_stop.forget();

    // The frame loop: one step per frame until stopped (it then drops itself).
    let frame: FrameClosure = Rc::new(RefCell::new(None));
    let again = frame.clone();
    *frame.borrow_mut() = Some(Closure::new(move || {
        let go_on = match fuzzer.try_borrow_mut() {
            Ok(mut f) => f.frame(),
            Err(_) => true,
        };
        if go_on {
            if let (Some(w), Some(c)) = (web_sys::window(), again.borrow().as_ref()) {
                let _ = w.request_animation_frame(c.as_ref().unchecked_ref());
            }
        } else {
            // Break the closure's reference to itself so it is freed.
            let _ = again.try_borrow_mut().map(|mut c| c.take());
        }
    }));
    if let (Some(w), Some(c)) = (web_sys::window(), frame.borrow().as_ref()) {
        let _ = w.request_animation_frame(c.as_ref().unchecked_ref());
    };
}

impl Fuzzer {
    fn show(&self) {
        let text = if self.stopped {
            format!("fuzzing stopped after {} steps (seed {})", self.step, self.seed)
        } else {
            format!("fuzzing: step {} (seed {})", self.step, self.seed)
        };
        self.badge_text.set_text_content(Some(&text));
    }

    fn finish(&mut self) {
        if self.stopped {
            return;
        }
        // A pointer left down would leave the page mid-gesture.
        if let Some(d) = self.drag.take() {
            pointer(&d.target, "pointerup", d.x, d.y, 0);
        }
        self.stopped = true;
        let _ = self.badge.set_attribute("data-state", "stopped");
        self.show();
    }

    /// One frame's events. Returns whether to go on.
    fn frame(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        if crash::crashed() {
            self.stopped = true;
            return false;
        }
        if self.limit.is_some_and(|n| self.step >= n) {
            self.finish();
            return false;
        }
        self.step += 1;
        self.show();
        let n = self.rng.random_range(1..=3);
        for _ in 0..n {
            self.act();
            if crash::crashed() {
                return false;
            }
        }
        true
    }

    fn act(&mut self) {
        if let Some(mut d) = self.drag.take() {
            // Go on with the pointer that is down.
            d.x += self.rng.random_range(-80.0..80.0);
            d.y += self.rng.random_range(-80.0..80.0);
            if d.moves_left == 0 {
                pointer(&d.target, "pointerup", d.x, d.y, 0);
                mouse(&d.target, "mouseup", d.x, d.y, 0);
            } else {
                d.moves_left -= 1;
                pointer(&d.target, "pointermove", d.x, d.y, 1);
                self.drag = Some(d);
            }
            return;
        }
        match self.rng.random_range(0..100) {
            0..=34 => self.click_control(),
            35..=49 => self.start_drag(),
            50..=64 => self.press_key(),
            65..=74 => self.wheel(),
            75..=89 => self.type_value(),
            _ => self.click_diagram(),
        }
    }

    fn click_control(&mut self) {
        let Some(el) = self.pick(TARGETS) else { return };
        let (x, y) = centre(&el);
        click(&el, x, y);
    }

    fn start_drag(&mut self) {
        // From a node half the time (moving or connecting it), else from
        // anywhere on the diagram (panning, or a palette item now and then).
        let from_node = self.rng.random_bool(0.5);
        let start = if from_node { self.pick("g[data-node]").map(|n| centre(&n)) } else { None };
        let start = match start {
            Some(p) => Some(p),
            None => self.pick("svg.diagram, .palette button, .palette [role=button]").map(|el| self.point_in(&el)),
        };
        let Some((x, y)) = start else { return };
        let Some(target) = element_at(x, y) else {
            return;
        };
        pointer(&target, "pointerdown", x, y, 1);
        mouse(&target, "mousedown", x, y, 1);
        // Moves go where the page captured the pointer: the diagram, when
        // the press was on it.
        let target: EventTarget = target.closest("svg.diagram").ok().flatten().unwrap_or(target).into();
        self.drag = Some(Drag { target, x, y, moves_left: self.rng.random_range(1..6) });
    }

    fn click_diagram(&mut self) {
        let Some(svg) = self.pick("svg.diagram") else {
            return;
        };
        let (x, y) = self.point_in(&svg);
        if let Some(target) = element_at(x, y) {
            click(&target, x, y);
        }
    }

    fn press_key(&mut self) {
        let ctrl = self.rng.random_bool(0.2);
        let list = if ctrl { CTRL_KEYS } else { KEYS };
        let (key, code) = list[self.rng.random_range(0..list.len())];
        let shift = self.rng.random_bool(0.1);
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let target: EventTarget = match document.active_element() {
            Some(el) if el.closest("[data-fuzz-skip]").ok().flatten().is_none() => el.into(),
            _ => match document.body() {
                Some(b) => b.into(),
                None => return,
            },
        };
        for kind in ["keydown", "keyup"] {
            let init = web_sys::KeyboardEventInit::new();
            init.set_bubbles(true);
            init.set_cancelable(true);
            init.set_composed(true);
            init.set_key(key);
            init.set_code(code);
            init.set_ctrl_key(ctrl);
            init.set_shift_key(shift);
            if let Ok(ev) = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict(kind, &init) {
                let _ = target.dispatch_event(&ev);
            }
        }
    }

    fn wheel(&mut self) {
        let Some(svg) = self.pick("svg.diagram") else {
            return;
        };
        let (x, y) = self.point_in(&svg);
        let init = web_sys::WheelEventInit::new();
        init.set_bubbles(true);
        init.set_cancelable(true);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        init.set_delta_y(self.rng.random_range(-600.0..600.0));
        init.set_ctrl_key(self.rng.random_bool(0.3));
        if let (Some(target), Ok(ev)) =
            (element_at(x, y), web_sys::WheelEvent::new_with_event_init_dict("wheel", &init))
        {
            let _ = target.dispatch_event(&ev);
        }
    }

    fn type_value(&mut self) {
        let Some(el) = self.pick("input, select, textarea") else {
            return;
        };
        if el.has_attribute("readonly") {
            return;
        }
        if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
            let n = select.length();
            if n > 0 {
                select.set_selected_index(self.rng.random_range(0..n) as i32);
            }
        } else if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
            match input.type_().as_str() {
                "checkbox" | "radio" => {
                    let (x, y) = centre(&el);
                    return click(&el, x, y);
                }
                "range" => {
                    let min = input.min().parse::<f64>().unwrap_or(0.0);
                    let max = input.max().parse::<f64>().unwrap_or(100.0).max(min);
                    let v = if max > min { self.rng.random_range(min..=max) } else { min };
                    input.set_value(&v.round().to_string());
                }
                _ => input.set_value(VALUES[self.rng.random_range(0..VALUES.len())]),
            }
        } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.set_value(VALUES[self.rng.random_range(0..VALUES.len())]);
        }
        for kind in ["input", "change"] {
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            if let Ok(ev) = web_sys::Event::new_with_event_init_dict(kind, &init) {
                let _ = el.dispatch_event(&ev);
            }
        }
    }

    /// A random element matching `selector` that a person could use now.
    fn pick(&mut self, selector: &str) -> Option<Element> {
        let document = web_sys::window()?.document()?;
        let list = document.query_selector_all(selector).ok()?;
        let candidates: Vec<Element> =
            (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).filter(usable).collect();
        if candidates.is_empty() {
            return None;
        }
        Some(candidates[self.rng.random_range(0..candidates.len())].clone())
    }

    fn point_in(&mut self, el: &Element) -> (f64, f64) {
        let r = el.get_bounding_client_rect();
        let x = r.left() + self.rng.random_range(0.0..1.0) * r.width().max(1.0);
        let y = r.top() + self.rng.random_range(0.0..1.0) * r.height().max(1.0);
        (x, y)
    }
}

/// Visible, enabled, inside the window, and not on the skip list.
fn usable(el: &Element) -> bool {
    let r = el.get_bounding_client_rect();
    let Some(window) = web_sys::window() else {
        return false;
    };
    let w = window.inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let h = window.inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (cx, cy) = (r.left() + r.width() / 2.0, r.top() + r.height() / 2.0);
    if r.width() <= 0.0 || r.height() <= 0.0 || cx < 0.0 || cy < 0.0 || cx > w || cy > h {
        return false;
    }
    if el.has_attribute("disabled") || el.closest("[data-fuzz-skip], [inert], [hidden]").ok().flatten().is_some() {
        return false;
    }
    let tag = el.tag_name().to_ascii_lowercase();
    // A label forwards its click to its field: judge the field.
    if tag == "label" && el.query_selector("input[type=file]").ok().flatten().is_some() {
        return false;
    }
    may_fuzz(
        &tag,
        el.get_attribute("data-testid").as_deref(),
        el.get_attribute("type").as_deref(),
        el.get_attribute("href").as_deref(),
        el.has_attribute("download"),
    )
}

fn centre(el: &Element) -> (f64, f64) {
    let r = el.get_bounding_client_rect();
    (r.left() + r.width() / 2.0, r.top() + r.height() / 2.0)
}

fn element_at(x: f64, y: f64) -> Option<Element> {
    let el = web_sys::window()?.document()?.element_from_point(x as f32, y as f32)?;
    // Never into the badge or the crash screen.
    el.closest("[data-fuzz-skip], #crash-overlay").ok().flatten().is_none().then_some(el)
}

/// The events of a mouse click, in the browser's order.
fn click(target: &Element, x: f64, y: f64) {
    pointer(target, "pointerdown", x, y, 1);
    mouse(target, "mousedown", x, y, 1);
    pointer(target, "pointerup", x, y, 0);
    mouse(target, "mouseup", x, y, 0);
    mouse(target, "click", x, y, 0);
}

fn pointer(target: &EventTarget, kind: &str, x: f64, y: f64, buttons: u16) {
    let init = web_sys::PointerEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    init.set_client_x(x as i32);
    init.set_client_y(y as i32);
    init.set_button(0);
    init.set_buttons(buttons);
    // The mouse's id, which the browser treats as active (pointer capture works).
    init.set_pointer_id(1);
    init.set_pointer_type("mouse");
    init.set_is_primary(true);
    if let Ok(ev) = web_sys::PointerEvent::new_with_event_init_dict(kind, &init) {
        let _ = target.dispatch_event(&ev);
    }
}

fn mouse(target: &EventTarget, kind: &str, x: f64, y: f64, buttons: u16) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    init.set_client_x(x as i32);
    init.set_client_y(y as i32);
    init.set_button(0);
    init.set_buttons(buttons);
    if let Ok(ev) = web_sys::MouseEvent::new_with_mouse_event_init_dict(kind, &init) {
        let _ = target.dispatch_event(&ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_gives_the_seed_and_the_steps() {
        assert_eq!(options_from_query("?fuzz=42"), Some(FuzzOptions { seed: 42, steps: None }));
        assert_eq!(
            options_from_query("?lesson=3&fuzz=7&fuzz-steps=500"),
            Some(FuzzOptions { seed: 7, steps: Some(500) })
        );
        assert_eq!(options_from_query("?embed=1"), None);
        // Any text is a seed, always the same one.
        let a = options_from_query("?fuzz=hello").unwrap();
        assert_eq!(a, options_from_query("?fuzz=hello").unwrap());
        assert_ne!(a.seed, options_from_query("?fuzz=hellp").unwrap().seed);
        assert_eq!(options_from_query("?fuzz&fuzz-steps=x"), Some(FuzzOptions { seed: fnv1a(""), steps: None }));
    }

    #[test]
    fn links_downloads_files_and_the_reload_are_left_alone() {
        assert!(may_fuzz("button", Some("play-toggle"), None, None, false));
        assert!(may_fuzz("a", None, None, Some("#top"), false));
        assert!(!may_fuzz("a", Some("open-full"), None, Some("https://x.org/?lesson=3"), false));
        assert!(!may_fuzz("a", None, None, Some("blob:x"), true));
        assert!(!may_fuzz("input", Some("file-input"), Some("file"), None, false));
        assert!(!may_fuzz("input", None, Some("FILE"), None, false));
        for id in [
            "save-file",
            "share-as-file",
            "embed-as-file",
            "open-file",
            "compare-file",
            "picture-download-svg",
            "picture-download-png",
            "copy-link",
            "crash-reload",
            "fuzz-stop",
        ] {
            assert!(!may_fuzz("button", Some(id), None, None, false), "{id}");
        }
    }
}
