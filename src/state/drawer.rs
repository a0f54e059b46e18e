//! The side drawer's state: which tab shows, and whether the drawer is open
//! (kept in the [`Layout`]). The drawer itself is `shell::drawer`; panels
//! call [`Drawer::show`] to bring theirs to the front.

use super::layout::Layout;
use leptos::prelude::*;

/// The drawer's tabs, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Inspect,
    Lesson,
    Trace,
    Resilience,
    Estimate,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Inspect, Tab::Lesson, Tab::Trace, Tab::Resilience, Tab::Estimate];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Inspect => "Inspect",
            Tab::Lesson => "Lesson",
            Tab::Trace => "Trace",
            Tab::Resilience => "Resilience",
            Tab::Estimate => "Estimate",
        }
    }

    pub fn test_id(self) -> &'static str {
        match self {
            Tab::Inspect => "tab-inspect",
            Tab::Lesson => "tab-lesson",
            Tab::Trace => "tab-trace",
            Tab::Resilience => "tab-resilience",
            Tab::Estimate => "tab-estimate",
        }
    }
}

/// Which tab shows, and whether the drawer is open.
#[derive(Clone, Copy)]
pub struct Drawer {
    pub tab: RwSignal<Tab>,
    /// The layout choices, where the drawer's folding and width are kept.
    pub layout: RwSignal<Layout>,
    /// The window is narrow: the drawer floats over the diagram, and folds
    /// itself away when a panel is closed.
    pub narrow: Signal<bool>,
}

impl Drawer {
    pub fn is_open(&self) -> bool {
        !self.layout.with(|l| l.drawer_collapsed)
    }

    pub fn set_open(&self, open: bool) {
        if self.is_open_untracked() != open {
            self.layout.update(|l| l.drawer_collapsed = !open);
        }
    }

    pub fn is_open_untracked(&self) -> bool {
        !self.layout.with_untracked(|l| l.drawer_collapsed)
    }

    /// Folds the drawer away when it floats over the diagram (Esc).
    pub fn fold_if_floating(&self) -> bool {
        let floating = self.narrow.get_untracked() && self.is_open_untracked();
        if floating {
            self.set_open(false);
        }
        floating
    }

    /// Shows `tab`, opening the drawer.
    pub fn show(&self, tab: Tab) {
        self.tab.set(tab);
        self.set_open(true);
    }
}
