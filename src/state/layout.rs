//! The page's layout choices (palette labels shown, side drawer open and its
//! width, dashboard charts expanded), kept per browser so the page opens the
//! way its user left it (`keeping::layout` reads and writes it). The parsing
//! is pure and forgiving: anything damaged or out of range falls back to the
//! default, never to an error.

/// The side drawer's width limits, in CSS px (the page also caps it at a
/// share of the window, see `shell/drawer.rs`).
pub const DRAWER_MIN_PX: f64 = 260.0;
pub const DRAWER_MAX_PX: f64 = 720.0;
pub const DRAWER_DEFAULT_PX: f64 = 340.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// The palette shows its labels and explanations, not just icons.
    pub palette_wide: bool,
    /// The side drawer is folded away (its tabs stay in reach).
    pub drawer_collapsed: bool,
    pub drawer_width_px: f64,
    /// The dashboard shows its charts, not just the headline strip.
    pub dashboard_open: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            palette_wide: false,
            drawer_collapsed: false,
            drawer_width_px: DRAWER_DEFAULT_PX,
            dashboard_open: false,
        }
    }
}

impl Layout {
    pub fn parse(stored: Option<&str>) -> Layout {
        let d = Layout::default();
        let Some(v) = stored.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()) else { return d };
        let flag = |k: &str, or: bool| v.get(k).and_then(serde_json::Value::as_bool).unwrap_or(or);
        let width = v
            .get("drawer_width_px")
            .and_then(serde_json::Value::as_f64)
            .filter(|w| w.is_finite())
            .map_or(d.drawer_width_px, |w| w.clamp(DRAWER_MIN_PX, DRAWER_MAX_PX));
        Layout {
            palette_wide: flag("palette_wide", d.palette_wide),
            drawer_collapsed: flag("drawer_collapsed", d.drawer_collapsed),
            drawer_width_px: width,
            dashboard_open: flag("dashboard_open", d.dashboard_open),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({
            "palette_wide": self.palette_wide,
            "drawer_collapsed": self.drawer_collapsed,
            "drawer_width_px": self.drawer_width_px.round(),
            "dashboard_open": self.dashboard_open,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let l = Layout { palette_wide: true, drawer_collapsed: true, drawer_width_px: 420.0, dashboard_open: true };
        assert_eq!(Layout::parse(Some(&l.to_json())), l);
    }

    #[test]
    fn damaged_or_out_of_range_falls_back() {
        assert_eq!(Layout::parse(None), Layout::default());
        assert_eq!(Layout::parse(Some("{not json")), Layout::default());
        assert_eq!(Layout::parse(Some("[1,2]")), Layout::default());
        let l = Layout::parse(Some(r#"{"drawer_width_px": 99999, "palette_wide": "yes"}"#));
        assert_eq!(l.drawer_width_px, DRAWER_MAX_PX);
        assert!(!l.palette_wide, "a flag that is not a boolean keeps its default");
        assert_eq!(Layout::parse(Some(r#"{"drawer_width_px": -5}"#)).drawer_width_px, DRAWER_MIN_PX);
    }
}
