//! A toolbar menu: a button that opens a list of commands below it.
//!
//! The list stays in the page while closed (`visibility: hidden`, so it is
//! out of the tab order and out of a screen reader's reach) because some
//! commands own a dialog (Embed, Share) that must outlive the open list: a
//! dialog sets itself visible again. A command closes the menu; a command
//! that opens a list of its own (`aria-haspopup`) keeps it open. Esc closes
//! the menu and gives the focus back to its button; the arrow keys move
//! between the commands; a press anywhere else closes it.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[component]
pub fn Menu(
    /// The button's text.
    label: &'static str,
    /// `data-testid` of the button; the list is `{test_id}-list`.
    test_id: &'static str,
    /// Says what the menu holds, for the button's tooltip.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let root = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();
    // A press outside the menu closes it.
    let _outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        if !open.get_untracked() {
            return;
        }
        let inside = root
            .get_untracked()
            .zip(ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()))
            .is_some_and(|(r, t)| r.contains(Some(&t)));
        if !inside {
            open.set(false);
        }
    });
    let items = move || -> Vec<web_sys::HtmlElement> {
        let Some(r) = root.get_untracked() else { return Vec::new() };
        let Ok(list) = r.query_selector_all(".menu-list button:not([disabled]):not([hidden]), .menu-list a[href]")
        else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|e| e.offset_parent().is_some())
            .collect()
    };
    let focus_item = move |delta: i32| {
        let all = items();
        if all.is_empty() {
            return;
        }
        let active = document().active_element();
        let at = all.iter().position(|e| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>()));
        let n = all.len() as i32;
        let next = match at {
            Some(i) => (i as i32 + delta).rem_euclid(n),
            None if delta > 0 => 0,
            None => n - 1,
        };
        let _ = all[next as usize].focus();
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" if open.get_untracked() => {
            ev.stop_propagation();
            open.set(false);
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
        "ArrowDown" if open.get_untracked() => {
            ev.prevent_default();
            focus_item(1);
        }
        "ArrowUp" if open.get_untracked() => {
            ev.prevent_default();
            focus_item(-1);
        }
        _ => {}
    };
    // A command was chosen: close, unless it opens a list of its own.
    let on_click = move |ev: web_sys::MouseEvent| {
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let Ok(Some(command)) = target.closest(".menu-list button, .menu-list a") else { return };
        // A command that unfolds a list of its own keeps the menu open; one
        // that opens a dialog (`aria-haspopup="dialog"`) closes it.
        let unfolds =
            command.get_attribute("aria-haspopup").is_some_and(|v| v == "true" || v == "menu" || v == "listbox");
        if !unfolds {
            open.set(false);
            // The list hides, and the focus with it: back to the menu's
            // button, unless a dialog or panel the command opened has
            // already taken it (its heading), which it keeps.
            let doc = document();
            let taken = doc.active_element().is_some_and(|a| {
                let in_menu =
                    root.get_untracked().is_some_and(|r| r.contains(Some(a.unchecked_ref::<web_sys::Node>())));
                !in_menu && doc.body().is_none_or(|b| a != *b.unchecked_ref::<web_sys::Element>())
            });
            if !taken {
                if let Some(b) = button.get_untracked() {
                    let _ = b.focus();
                }
            }
        }
    };
    view! {
        <div class="menu" node_ref=root on:keydown=on_keydown>
            <button class="menu-button" data-testid=test_id aria-haspopup="true" aria-expanded=move || open.get().to_string() title=title node_ref=button
                on:click=move |_| {
                    let now = !open.get_untracked();
                    open.set(now);
                    if now {
                        request_animation_frame(move || focus_item(1));
                    }
                }>
                {label}<span class="menu-caret" aria-hidden="true">"▾"</span>
            </button>
            <div class="menu-list" data-testid=format!("{test_id}-list") class:open=move || open.get() role="group" aria-label=label on:click=on_click>
                {children()}
            </div>
        </div>
    }
}
