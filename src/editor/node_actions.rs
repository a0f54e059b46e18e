//! The node actions menu: what a right click does with a mouse, a long press
//! with a finger (there is no hover or right button on a phone), and the
//! context-menu key on a focused node. Fail, Recover, Delete and Inspect, each
//! a button, through the same editor functions the inspector and the Delete
//! key use, so the menu adds no way of changing the design of its own.
//!
//! It is drawn as HTML over the diagram (inside the diagram's wrapper, so the
//! page shell does not need to know about it), under the node it belongs to.

use super::diagram::View;
use super::{Editor, Selection, NODE_H};
use leptos::html;
use leptos::prelude::*;
use scalelab_engine::{Fault, Health, NodeKind, Snapshot};
use wasm_bindgen::JsCast;

/// Room the menu needs inside the diagram, in CSS px (styles/touch.css gives
/// it this width), so it is kept from running off the diagram's edges.
const MENU_W: f64 = 168.0;
const MENU_H: f64 = 240.0;

/// The menu for node `open` (None: closed), placed with the diagram's `view`.
/// `area` is the diagram's wrapper, for its size.
#[component]
pub fn NodeActions(
    open: RwSignal<Option<String>>,
    view: RwSignal<View>,
    snapshot: RwSignal<Option<Snapshot>>,
    area: NodeRef<html::Div>,
) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let menu = NodeRef::<html::Div>::new();

    // A press anywhere but on the menu closes it (the press then does what it
    // would have done: select another node, pan...). The press that opened it
    // by a long press came before it existed, so it cannot close it.
    let _outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        if open.get_untracked().is_none() {
            return;
        }
        let inside = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-testid=\"node-actions\"]").ok().flatten())
            .is_some();
        if !inside {
            open.set(None);
        }
    });

    // Opened: the first item takes the focus, so the keyboard (and a screen
    // reader) is in the menu; without scrolling the page, which on a short
    // landscape phone would move the diagram under the finger.
    Effect::new(move |_| {
        if open.get().is_some() {
            if let Some(first) = menu.get().and_then(|m| m.query_selector("button:not([disabled])").ok().flatten()) {
                focus_without_scrolling(&first);
            }
        }
    });

    // Its node gone (the Delete key, undo, a loaded file): closed, so that it
    // does not come back with a node of the same name.
    Effect::new(move |_| {
        if let Some(id) = open.get() {
            if editor.doc.with(|d| d.node_index(&id).is_none()) {
                open.set(None);
            }
        }
    });

    let health = move |id: &str| {
        snapshot.with(|s| {
            s.as_ref().and_then(|s| s.nodes.iter().find(|n| n.id == id).map(|n| n.health)).unwrap_or(Health::Up)
        })
    };
    let close_to_node = move |id: &str| {
        open.set(None);
        // Back where the keyboard was: the node (focusing it selects it).
        if let Some(node) = document().query_selector(&format!("g[data-node=\"{id}\"]")).ok().flatten() {
            focus_without_scrolling(&node);
        }
    };

    move || {
        let id = open.get()?;
        let (x, y, kind) = editor.doc.with(|d| {
            d.node_index(&id)
                .map(|i| (d.nodes[i].x.unwrap_or(0.0), d.nodes[i].y.unwrap_or(0.0), d.nodes[i].spec.kind()))
        })?;
        let v = view.get();
        let (w, h) =
            area.get_untracked().map(|a| (a.client_width() as f64, a.client_height() as f64)).unwrap_or((800.0, 600.0));
        // Under the node's left edge; above it when there is no room below;
        // always inside the diagram.
        let left = (x * v.scale + v.tx).clamp(4.0, (w - MENU_W - 4.0).max(4.0));
        let below = (y + NODE_H) * v.scale + v.ty + 6.0;
        let above = y * v.scale + v.ty - MENU_H - 6.0;
        let top =
            if below + MENU_H <= h || above < 0.0 { below } else { above }.clamp(4.0, (h - MENU_H - 4.0).max(4.0));
        let can_fail = kind != NodeKind::Users;
        let (i_fail, i_rec, i_del, i_insp, i_key, i_h1, i_h2) =
            (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
        Some(view! {
            <div
                class="node-actions"
                role="menu"
                aria-label=format!("Actions for {id}")
                data-testid="node-actions"
                data-node=id.clone()
                node_ref=menu
                style=format!("left:{left}px;top:{top}px")
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    match ev.key().as_str() {
                        // The menu's own: the page's Esc (cancel placing,
                        // connecting) and arrows (move the node) stay out.
                        "Escape" => {
                            ev.stop_propagation();
                            ev.prevent_default();
                            close_to_node(&i_key);
                        }
                        "ArrowDown" | "ArrowUp" => {
                            ev.stop_propagation();
                            ev.prevent_default();
                            move_focus(menu, ev.key() == "ArrowDown");
                        }
                        _ => {}
                    }
                }
            >
                <p class="node-actions-title" aria-hidden="true">{id.clone()}</p>
                {can_fail.then(|| view! {
                    <button role="menuitem" class="danger" data-testid="node-action-fail"
                        disabled=move || health(&i_h1) == Health::Down
                        on:click=move |_| { editor.fault(&i_fail, Fault::Fail); open.set(None); }>"Fail"</button>
                    <button role="menuitem" data-testid="node-action-recover"
                        disabled=move || health(&i_h2) == Health::Up
                        on:click=move |_| { editor.fault(&i_rec, Fault::Recover); open.set(None); }>"Recover"</button>
                })}
                <button role="menuitem" data-testid="node-action-inspect"
                    on:click=move |_| {
                        open.set(None);
                        editor.selection.set(Selection::node(&i_insp));
                        editor.announcement.set(format!("{i_insp} selected: its settings and numbers are in the inspector"));
                        // The inspector may sit below the diagram on a
                        // narrow screen: bring it into view (only then).
                        if let Some(panel) = document().query_selector("[data-testid=\"inspector\"]").ok().flatten() {
                            call_with_options(&panel, "scrollIntoView", "block", "nearest");
                        }
                    }>"Inspect"</button>
                <button role="menuitem" class="danger" data-testid="node-action-delete" hidden=move || editor.read_only.get()
                    on:click=move |_| {
                        open.set(None);
                        // The Delete key's path: one undo step, links go with the node.
                        editor.selection.set(Selection::node(&i_del));
                        editor.delete_selection();
                    }>"Delete"</button>
            </div>
        })
    }
}

/// Arrow keys go from item to item, wrapping around, as in any menu.
fn move_focus(menu: NodeRef<html::Div>, down: bool) {
    let Some(m) = menu.get_untracked() else { return };
    let Ok(list) = m.query_selector_all("button:not([disabled]):not([hidden])") else { return };
    let items: Vec<web_sys::Element> = (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect();
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let at = items.iter().position(|e| Some(e) == active.as_ref());
    let next = match (at, down) {
        (Some(i), true) => (i + 1) % items.len(),
        (Some(i), false) => (i + items.len() - 1) % items.len(),
        (None, _) => 0,
    };
    focus_without_scrolling(&items[next]);
}

/// `el.focus({preventScroll: true})`.
pub fn focus_without_scrolling(el: &web_sys::Element) {
    call_with_options(el, "focus", "preventScroll", true);
}

/// `el.method({key: value})`, through Reflect: web-sys's typed versions of
/// these options need features the crate does not enable.
fn call_with_options(el: &web_sys::Element, method: &str, key: &str, value: impl Into<wasm_bindgen::JsValue>) {
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &key.into(), &value.into());
    if let Ok(f) = js_sys::Reflect::get(el, &method.into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = f.call1(el, &opts);
    }
}
