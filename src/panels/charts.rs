//! Time-series line charts for the dashboard, drawn with plotters on a
//! `<canvas>`.
//!
//! [`draw`] is pure: it takes any plotters backend, so native tests draw into
//! SVG and the page draws through `plotters-canvas`. It draws the axes, the
//! grid and the labels itself (plotters' mesh would measure every tick label
//! by inserting a `<span>` into the page, a layout per label per redraw), and
//! decimates each line to at most one point per pixel column, keeping each
//! column's minimum and maximum so that a one-sample spike stays visible.
//!
//! Every line drawn is named in the legend: entries that do not fit beside
//! the title flow into rows under it, and a line that finds no room in the
//! legend at all is not drawn ("+N more" says so; the caption reads it).
//!
//! [`Chart`] is the component: a `<figure>` holding the canvas and a
//! caption that states the chart's window on screen and, for screen
//! readers, reads each line's latest value and its range. It redraws from an
//! effect that tracks only its data.

use leptos::html;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The chart's height in CSS pixels. Sizes in [`draw`] are given for this
/// height and scaled by `backend height / HEIGHT_CSS`, so a backing store
/// enlarged by `devicePixelRatio` draws the same picture, sharper.
pub const HEIGHT_CSS: u32 = 160;

/// One series: `points` are (simulated seconds, value), in time order, one
/// per simulated second (the engine's per-second series; the caption says so).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    pub label: String,
    pub color: (u8, u8, u8),
    pub points: Vec<(f64, f64)>,
}

/// Everything one chart shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    pub title: String,
    /// Appended to the title ("Latency (ms)") and to values in the caption.
    pub unit: String,
    pub lines: Vec<Line>,
    /// Start the y axis at zero (unless a value is negative) rather than at
    /// the smallest value.
    pub y_min_zero: bool,
}

const FONT: &str = "system-ui, sans-serif";
/// Rough advance of an average character, in ems, for laying out the legend
/// and the y labels without measuring text (which on the web means a layout).
const CHAR_EM: f64 = 0.6;

struct Palette {
    background: RGBColor,
    title: RGBColor,
    label: RGBColor,
    grid: RGBColor,
    axis: RGBColor,
}

/// The page's `--panel`, `--text`, `--muted` and `--track` colours.
fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            background: RGBColor(0x1a, 0x1f, 0x28),
            title: RGBColor(0xe4, 0xe8, 0xef),
            label: RGBColor(0x9a, 0xa4, 0xb6),
            grid: RGBColor(0x2a, 0x30, 0x3b),
            axis: RGBColor(0x4a, 0x52, 0x61),
        }
    } else {
        Palette {
            background: RGBColor(0xff, 0xff, 0xff),
            title: RGBColor(0x1c, 0x23, 0x30),
            label: RGBColor(0x5b, 0x65, 0x78),
            grid: RGBColor(0xe6, 0xe9, 0xef),
            axis: RGBColor(0xb8, 0xc0, 0xcc),
        }
    }
}

/// Reduces `points` to at most two per column (the column's minimum and
/// maximum, in their original order) when `x_range` is cut into `columns`
/// equal columns. Non-finite points are dropped; points outside `x_range`
/// fall into the first or last column. Points are expected in x order; if
/// they are not, a sorted copy is used.
pub fn decimate(points: &[(f64, f64)], x_range: (f64, f64), columns: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len().min(columns.saturating_mul(2)));
    if columns == 0 {
        return out;
    }
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let sorted;
    let points: &[(f64, f64)] = if points.iter().filter(finite).is_sorted_by(|a, b| a.0 <= b.0) {
        points
    } else {
        sorted = {
            let mut v: Vec<(f64, f64)> = points.iter().filter(finite).copied().collect();
            scalelab_engine::order::sort_by_u64(&mut v, |p| scalelab_engine::order::total_key(p.0));
            v
        };
        &sorted
    };
    let (x0, x1) = x_range;
    let span = x1 - x0;
    let per_unit = if span > 0.0 && span.is_finite() { columns as f64 / span } else { 0.0 };
    let column_of = |x: f64| {
        let c = ((x - x0) * per_unit).floor();
        // `as` saturates (and maps NaN to 0), so this cannot overflow.
        (c.max(0.0) as usize).min(columns - 1)
    };

    // The column being gathered: its index, and its lowest and highest point
    // with their positions in the input (to emit them in time order).
    struct Column {
        index: usize,
        lo: (usize, (f64, f64)),
        hi: (usize, (f64, f64)),
    }
    let flush = |out: &mut Vec<(f64, f64)>, c: Column| {
        let (first, second) = if c.lo.0 <= c.hi.0 { (c.lo, c.hi) } else { (c.hi, c.lo) };
        out.push(first.1);
        if second.0 != first.0 {
            out.push(second.1);
        }
    };
    let mut open: Option<Column> = None;
    for (i, &p) in points.iter().enumerate() {
        if !(p.0.is_finite() && p.1.is_finite()) {
            continue;
        }
        let index = column_of(p.0);
        match &mut open {
            Some(c) if c.index == index => {
                if p.1 < c.lo.1 .1 {
                    c.lo = (i, p);
                }
                if p.1 > c.hi.1 .1 {
                    c.hi = (i, p);
                }
            }
            _ => {
                if let Some(done) = open.take() {
                    flush(&mut out, done);
                }
                open = Some(Column { index, lo: (i, p), hi: (i, p) });
            }
        }
    }
    if let Some(done) = open {
        flush(&mut out, done);
    }
    out
}

/// A round step (1, 2 or 5 times a power of ten) near `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(rough.log10().floor());
    let f = rough / magnitude;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * magnitude
}

/// A step for simulated seconds: a round number of seconds, minutes or hours.
fn time_step(rough: f64) -> f64 {
    const STEPS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0];
    if rough < 1.0 {
        return nice_step(rough);
    }
    STEPS.iter().copied().find(|&s| s >= rough).unwrap_or_else(|| nice_step(rough / 3600.0) * 3600.0)
}

/// Multiples of `step` within `[lo, hi]`, at most 20.
fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if !(lo.is_finite() && hi.is_finite() && step.is_finite() && step > 0.0) {
        return out;
    }
    let mut k = (lo / step - 1e-9).ceil();
    while out.len() < 20 {
        let v = k * step;
        if v > hi + step * 1e-9 {
            break;
        }
        // Avoid "-0".
        out.push(if v == 0.0 { 0.0 } else { v });
        k += 1.0;
    }
    out
}

/// Digits after the point needed to tell ticks `step` apart.
fn decimals(step: f64) -> usize {
    if step >= 1.0 || !step.is_finite() || step <= 0.0 {
        0
    } else {
        (-step.log10().floor()).clamp(0.0, 6.0) as usize
    }
}

/// A y tick label: "250", "1.5k", "2M", "0.05".
fn y_label(v: f64, step: f64) -> String {
    let a = step.abs().max(v.abs());
    let (div, suffix) = if a >= 1e9 {
        (1e9, "G")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    format!("{:.*}{}", decimals(step / div), v / div, suffix)
}

/// An x tick label: seconds ("45s"), or minutes and seconds ("2:30").
fn x_label(t: f64, step: f64, span_end: f64) -> String {
    if span_end < 120.0 || step < 1.0 {
        format!("{:.*}s", decimals(step), t)
    } else {
        let s = t.round() as i64;
        format!("{}:{:02}", s / 60, s.rem_euclid(60))
    }
}

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_EM
}

/// `text`, cut short with "…" to fit `width` at `size` (at least one
/// character and the ellipsis).
fn fit_text(text: &str, width: f64, size: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let keep = ((width / (size * CHAR_EM)).floor() as usize).saturating_sub(1).max(1);
    let mut cut: String = text.chars().take(keep).collect();
    cut.push('…');
    cut
}

/// Sizes of the legend, in backend pixels.
struct LegendMetrics {
    label_size: f64,
    swatch: f64,
    /// Between a swatch and its label.
    swatch_gap: f64,
    /// Between two entries.
    gap: f64,
    row: f64,
}

/// One legend entry: the line it names, the left edge of its swatch, its row
/// (0: beside the title, 1 and on: under it), and its text.
#[derive(Debug, PartialEq)]
struct Entry {
    line: usize,
    x: f64,
    row: usize,
    text: String,
}

/// Where the legend goes.
#[derive(Debug, Default, PartialEq)]
struct Legend {
    entries: Vec<Entry>,
    /// Rows used under the title (0: the legend fits beside it).
    rows_below: usize,
    /// Lines with no room: "+N more", at (x, row).
    more: Option<(f64, usize, String)>,
}

/// Lays out the legend of `lines` (those with a label) across a chart `w`
/// pixels wide whose title ends at `title_end`: beside the title, right
/// aligned, when every entry fits there; else in rows under it, as many as
/// `max_rows`. Entries that still find no room are counted in "+N more".
fn legend_layout(lines: &[Line], w: f64, pad: f64, title_end: f64, max_rows: usize, m: &LegendMetrics) -> Legend {
    let labelled: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].label.is_empty()).collect();
    let entry_w = |text: &str| m.swatch + m.swatch_gap + text_width(text, m.label_size);
    let total: f64 = labelled.iter().map(|&i| entry_w(&lines[i].label)).sum::<f64>()
        + m.gap * labelled.len().saturating_sub(1) as f64;
    let mut legend = Legend::default();
    if labelled.is_empty() {
        return legend;
    }
    if w - pad - total >= title_end {
        let mut x = w - pad - total;
        for &i in &labelled {
            legend.entries.push(Entry { line: i, x, row: 0, text: lines[i].label.clone() });
            x += entry_w(&lines[i].label) + m.gap;
        }
        return legend;
    }
    // Rows under the title, left to right.
    let right = w - pad;
    let widest = (right - pad - m.swatch - m.swatch_gap).max(0.0);
    let (mut x, mut row) = (pad, 1);
    let mut overflow = false;
    for &i in &labelled {
        let text = fit_text(&lines[i].label, widest, m.label_size);
        let ew = entry_w(&text);
        if x > pad && x + ew > right {
            (x, row) = (pad, row + 1);
        }
        if row > max_rows {
            overflow = true;
            break;
        }
        legend.entries.push(Entry { line: i, x, row, text });
        x += ew + m.gap;
    }
    if overflow {
        // "+N more" at the end of the last row, giving up entries from its
        // end until it fits (each one given up is one more).
        loop {
            let text = format!("+{} more", labelled.len() - legend.entries.len());
            let (x, row) = match legend.entries.last() {
                Some(e) => (e.x + entry_w(&e.text) + m.gap, e.row),
                None => (pad, 1),
            };
            if x + text_width(&text, m.label_size) <= right || legend.entries.is_empty() {
                legend.more = Some((x, row, text));
                break;
            }
            legend.entries.pop();
        }
    }
    legend.rows_below = legend.entries.last().map_or(1, |e| e.row);
    legend
}

/// Draws `data` onto `backend`: title, legend, axes with a few ticks, and the
/// lines, each decimated to one point per pixel column (minimum and maximum
/// kept). With no finite point it draws the axes and "no data yet". Sizes are
/// relative to a [`HEIGHT_CSS`]-pixel tall chart (see there).
pub fn draw(backend: impl DrawingBackend, data: &ChartData, dark: bool) -> Result<(), String> {
    let root = backend.into_drawing_area();
    let colors = palette(dark);
    root.fill(&colors.background).map_err(|e| e.to_string())?;
    let (w, h) = root.dim_in_pixel();
    let s = (h as f64 / HEIGHT_CSS as f64).clamp(0.5, 8.0);
    let px = |v: f64| (v * s).round();
    let label_size = px(11.0);
    let label = |anchor: Pos| TextStyle::from((FONT, label_size).into_font()).color(&colors.label).pos(anchor);

    // Ranges over the finite points of every line.
    let mut x_min = f64::INFINITY;
    let mut x_max = f64::NEG_INFINITY;
    let mut y_lo = f64::INFINITY;
    let mut y_hi = f64::NEG_INFINITY;
    for &(x, y) in data.lines.iter().flat_map(|l| l.points.iter()) {
        if x.is_finite() && y.is_finite() {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
    }
    let empty = x_min > x_max;
    if empty {
        (x_min, x_max, y_lo, y_hi) = (0.0, 60.0, 0.0, 1.0);
    }
    if data.y_min_zero && y_lo > 0.0 {
        y_lo = 0.0;
    }
    if x_max - x_min <= 0.0 {
        x_min = x_max - 1.0;
    }
    if y_hi - y_lo <= 0.0 {
        let pad = if y_hi == 0.0 { 1.0 } else { y_hi.abs() * 0.1 };
        y_hi += pad;
        if !(data.y_min_zero && y_lo == 0.0) {
            y_lo -= pad;
        }
    }
    // Round the y range out to whole steps: about three intervals.
    let y_step = nice_step((y_hi - y_lo) / 3.0);
    let y_lo = (y_lo / y_step).floor() * y_step;
    let y_hi = (y_hi / y_step).ceil() * y_step;
    let y_ticks = ticks(y_lo, y_hi, y_step);
    let y_labels: Vec<String> = y_ticks.iter().map(|&v| y_label(v, y_step)).collect();

    // Layout: a header row (title, and the legend if it fits there), rows of
    // legend entries that did not, the plot, a row of x labels.
    let pad = px(6.0);
    let header = px(20.0);
    let y_label_w = y_labels.iter().map(|l| text_width(l, label_size)).fold(0.0, f64::max);
    let left = pad + y_label_w + px(6.0);
    let right = w as f64 - px(14.0);
    let bottom = h as f64 - label_size - px(8.0);
    let title = if data.unit.is_empty() { data.title.clone() } else { format!("{} ({})", data.title, data.unit) };
    let title_size = px(12.0);
    let title_end = pad + text_width(&title, title_size) + px(12.0);
    let metrics = LegendMetrics { label_size, swatch: px(10.0), swatch_gap: px(5.0), gap: px(14.0), row: px(14.0) };
    // Legend rows may take the plot down to 40 CSS pixels, no further.
    let max_rows = ((bottom - header - px(4.0) - px(40.0)) / metrics.row).floor().max(0.0) as usize;
    let legend = legend_layout(&data.lines, w as f64, pad, title_end, max_rows, &metrics);
    let top = header + legend.rows_below as f64 * metrics.row + px(4.0);
    if right - left < 8.0 || bottom - top < 8.0 {
        // Too small to show anything useful; the background is drawn.
        return root.present().map_err(|e| e.to_string());
    }
    let x_of = |x: f64| left + (x - x_min) / (x_max - x_min) * (right - left);
    let y_of = |y: f64| bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top);
    let at = |x: f64, y: f64| (x.round() as i32, y.round() as i32);

    // Title, with the unit.
    let title_style = TextStyle::from((FONT, title_size, FontStyle::Bold).into_font())
        .color(&colors.title)
        .pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&Text::new(title.clone(), at(pad, header / 2.0), title_style)).map_err(|e| e.to_string())?;

    // Legend: a swatch and a label per line (see `legend_layout`).
    let row_y = |row: usize| header / 2.0 + row as f64 * metrics.row;
    for e in &legend.entries {
        let (r, g, b) = data.lines[e.line].color;
        let y = row_y(e.row);
        root.draw(&Rectangle::new(
            [at(e.x, y - px(1.5)), at(e.x + metrics.swatch, y + px(1.5))],
            RGBColor(r, g, b).filled(),
        ))
        .map_err(|e| e.to_string())?;
        let text_x = e.x + metrics.swatch + metrics.swatch_gap;
        root.draw(&Text::new(e.text.clone(), at(text_x, y), label(Pos::new(HPos::Left, VPos::Center))))
            .map_err(|e| e.to_string())?;
    }
    if let Some((x, row, text)) = &legend.more {
        root.draw(&Text::new(text.clone(), at(*x, row_y(*row)), label(Pos::new(HPos::Left, VPos::Center))))
            .map_err(|e| e.to_string())?;
    }

    // Horizontal grid lines with their labels.
    let thin = ShapeStyle::from(&colors.grid).stroke_width(px(1.0).max(1.0) as u32);
    for (v, text) in y_ticks.iter().zip(y_labels) {
        let y = y_of(*v);
        root.draw(&PathElement::new(vec![at(left, y), at(right, y)], thin)).map_err(|e| e.to_string())?;
        root.draw(&Text::new(text, at(left - px(6.0), y), label(Pos::new(HPos::Right, VPos::Center))))
            .map_err(|e| e.to_string())?;
    }

    // Axes, and x ticks spaced about 70 CSS pixels apart.
    let axis = ShapeStyle::from(&colors.axis).stroke_width(px(1.0).max(1.0) as u32);
    root.draw(&PathElement::new(vec![at(left, top), at(left, bottom), at(right, bottom)], axis))
        .map_err(|e| e.to_string())?;
    let x_count = ((right - left) / px(70.0)).clamp(1.0, 8.0);
    let x_step = time_step((x_max - x_min) / x_count);
    for t in ticks(x_min, x_max, x_step) {
        let x = x_of(t);
        root.draw(&PathElement::new(vec![at(x, bottom), at(x, bottom + px(3.0))], axis)).map_err(|e| e.to_string())?;
        // Centred under its tick, unless that would run off the right edge.
        let text = x_label(t, x_step, x_max);
        let (x, h_pos) = if x + text_width(&text, label_size) / 2.0 > w as f64 - 1.0 {
            (w as f64 - 1.0, HPos::Right)
        } else {
            (x, HPos::Center)
        };
        root.draw(&Text::new(text, at(x, bottom + px(4.0)), label(Pos::new(h_pos, VPos::Top))))
            .map_err(|e| e.to_string())?;
    }

    if empty {
        let style = label(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new("no data yet", at((left + right) / 2.0, (top + bottom) / 2.0), style))
            .map_err(|e| e.to_string())?;
        return root.present().map_err(|e| e.to_string());
    }

    // The lines the legend names (or the one line the title names), one
    // point per pixel column at most.
    let columns = (right - left).round().max(1.0) as usize;
    let stroke = px(1.5).max(1.0) as u32;
    let named = |i: usize| {
        legend.entries.iter().any(|e| e.line == i) || (data.lines.len() == 1 && data.lines[0].label.is_empty())
    };
    for line in data.lines.iter().enumerate().filter(|(i, _)| named(*i)).map(|(_, l)| l) {
        let points: Vec<(i32, i32)> =
            decimate(&line.points, (x_min, x_max), columns).into_iter().map(|(x, y)| at(x_of(x), y_of(y))).collect();
        let (r, g, b) = line.color;
        let style = RGBColor(r, g, b).stroke_width(stroke);
        if points.len() == 1 {
            // A single reading: a dot, since a path of one point draws nothing.
            root.draw(&Circle::new(points[0], stroke + 1, style.filled())).map_err(|e| e.to_string())?;
        } else if points.len() > 1 {
            root.draw(&PathElement::new(points, style)).map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())
}

/// The chart's window in words, for the screen: "One point per simulated
/// second, last 600 s" (the seconds from the first point to the last).
pub fn window_note(data: &ChartData) -> String {
    let xs =
        || data.lines.iter().flat_map(|l| l.points.iter()).filter(|p| p.0.is_finite() && p.1.is_finite()).map(|p| p.0);
    match (xs().reduce(f64::min), xs().reduce(f64::max)) {
        (Some(first), Some(last)) => format!(
            "One point per simulated second, last {} s",
            crate::base::format::count((last - first).round() as u64 + 1)
        ),
        _ => "One point per simulated second".into(),
    }
}

/// Each line in words, for screen readers: its latest value, then its range
/// over the chart's window. "Latency, at 42 seconds: p50 12.3 ms, p99 48.0
/// ms. From lowest to highest: p50 10.1 to 14.2 ms, p99 30.5 to 61.0 ms."
pub fn caption(data: &ChartData) -> String {
    let finite = |l: &Line| l.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect::<Vec<_>>();
    let with_unit = |v: String| if data.unit.is_empty() { v } else { format!("{v} {}", data.unit) };
    let named = |label: &str, text: String| if label.is_empty() { text } else { format!("{label} {text}") };
    let mut t_max: Option<f64> = None;
    let mut values = Vec::new();
    let mut ranges = Vec::new();
    for line in &data.lines {
        let points = finite(line);
        let text = match points.last() {
            Some(&(t, v)) => {
                t_max = Some(t_max.map_or(t, |m: f64| m.max(t)));
                let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = (crate::base::format::number(lo), crate::base::format::number(hi));
                ranges.push(named(&line.label, with_unit(if lo == hi { lo } else { format!("{lo} to {hi}") })));
                with_unit(crate::base::format::number(v))
            }
            None => "no data".into(),
        };
        values.push(named(&line.label, text));
    }
    match t_max {
        None => format!("{}: no data yet.", data.title),
        Some(t) => {
            let t = if t.fract() == 0.0 { format!("{t:.0}") } else { crate::base::format::number(t) };
            format!(
                "{}, at {t} seconds: {}. From lowest to highest: {}.",
                data.title,
                values.join(", "),
                ranges.join(", ")
            )
        }
    }
}

/// Whether the page is dark: `data-theme` on `<html>` when set ("dark" or
/// "light"), else the system preference.
pub fn page_is_dark() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let theme = window.document().and_then(|d| d.document_element()).and_then(|e| e.get_attribute("data-theme"));
    match theme.as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => window.match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches()),
    }
}

/// Sizes the backing store to the canvas's CSS size times the device pixel
/// ratio, then draws.
fn redraw(canvas: &web_sys::HtmlCanvasElement, data: &ChartData) {
    let css_width = canvas.client_width();
    if css_width <= 0 {
        return; // not laid out (hidden); the next snapshot will try again
    }
    // Only redraws that draw are timed (a hidden chart returns above).
    let timing = bench_timing();
    if let Some(perf) = &timing {
        let _ = perf.mark(REDRAW_MARK);
    }
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).filter(|r| r.is_finite() && *r > 0.0).unwrap_or(1.0);
    let width = (css_width as f64 * ratio).round() as u32;
    let height = (HEIGHT_CSS as f64 * ratio).round() as u32;
    if canvas.width() != width || canvas.height() != height {
        canvas.set_width(width);
        canvas.set_height(height);
    }
    let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    // Round joins: a column's min-max zigzag would grow mitred spikes past
    // the data. (Resizing resets the context, so this is set on every draw.)
    if let Ok(Some(ctx)) = canvas.get_context("2d") {
        use wasm_bindgen::JsCast;
        if let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() {
            ctx.set_line_join("round");
        }
    }
    if let Err(e) = draw(backend, data, page_is_dark()) {
        leptos::logging::warn!("chart {:?}: {e}", data.title);
    }
    if let Some(perf) = &timing {
        let _ = perf.measure_with_start_mark(REDRAW_MEASURE, REDRAW_MARK);
        perf.clear_marks_with_mark_name(REDRAW_MARK);
    }
}

/// Benchmark-only timing of chart redraws: with `?perf` in the address, each
/// redraw of a visible chart (sizing the canvas and drawing) is wrapped in
/// `performance.mark`/`measure` named [`REDRAW_MEASURE`], which `cargo xtask
/// bench` reads (tests/e2e/bench-page.mjs). Off otherwise,
/// since measure entries pile up in the page's performance timeline.
const REDRAW_MARK: &str = "scalelab-chart-redraw-start";
pub const REDRAW_MEASURE: &str = "scalelab-chart-redraw";

fn bench_timing() -> Option<web_sys::Performance> {
    thread_local! {
        static ON: bool = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .is_some_and(|s| s.trim_start_matches('?').split('&').any(|kv| kv == "perf" || kv.starts_with("perf=")));
    }
    if ON.with(|on| *on) {
        web_sys::window()?.performance()
    } else {
        None
    }
}

/// Provided by the page and bumped when something every chart depends on
/// besides its data changes (the theme, the window size), so charts redraw
/// even while the run is paused and no new data arrives.
#[derive(Clone, Copy)]
pub struct Repaint(pub RwSignal<u64>);

/// A time-series line chart, 160 CSS pixels tall and as wide as its
/// container, with its window stated under it. The canvas is hidden from
/// assistive technology; the caption reads the values instead.
///
/// It redraws when `data` changes, and when the page's [`Repaint`] is bumped.
#[component]
pub fn Chart(
    /// What to draw; a new value redraws the chart.
    #[prop(into)]
    data: Signal<ChartData>,
    /// `data-testid` of the `<figure>`.
    #[prop(optional)]
    test_id: &'static str,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let repaint = use_context::<Repaint>();
    Effect::new(move |_| {
        if let Some(Repaint(version)) = repaint {
            version.track();
        }
        // The NodeRef is read tracked only so the first draw waits for the
        // canvas; it changes once, at mount. After that, `data` alone drives.
        let canvas = canvas_ref.get();
        data.with(|d| {
            if let Some(canvas) = &canvas {
                redraw(canvas, d);
            }
        });
    });
    view! {
        <figure class="chart" style="margin:0;position:relative" data-testid=(!test_id.is_empty()).then_some(test_id)>
            <canvas node_ref=canvas_ref aria-hidden="true" style=format!("display:block;width:100%;height:{HEIGHT_CSS}px")></canvas>
            <figcaption>
                <span class="chart-window">{move || data.with(window_note)}</span>
                <span class="sr-only">" "{move || data.with(caption)}</span>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns_used(points: &[(f64, f64)], range: (f64, f64), columns: usize) -> usize {
        let mut cols: Vec<usize> = points
            .iter()
            .map(|p| (((p.0 - range.0) / (range.1 - range.0) * columns as f64).floor() as usize).min(columns - 1))
            .collect();
        cols.dedup();
        cols.len()
    }

    #[test]
    fn decimation_keeps_at_most_two_points_per_column_and_the_extremes() {
        let mut points: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64 * 0.01, (i as f64 * 0.37).sin())).collect();
        points[4321].1 = 50.0; // a one-sample spike
        points[777].1 = -40.0;
        let out = decimate(&points, (0.0, 100.0), 100);
        assert!(out.len() <= 200, "{} points", out.len());
        assert!(columns_used(&out, (0.0, 100.0), 100) <= 100);
        assert!(out.contains(&points[4321]) && out.contains(&points[777]));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "time order kept");
        // Each column keeps its own minimum and maximum.
        for c in 0..100 {
            let of_col = |p: &&(f64, f64)| (p.0 as usize) == c;
            let max_in = points.iter().filter(of_col).map(|p| p.1).fold(f64::MIN, f64::max);
            let max_out = out.iter().filter(of_col).map(|p| p.1).fold(f64::MIN, f64::max);
            assert_eq!(max_in, max_out, "column {c}");
        }
    }

    #[test]
    fn decimation_leaves_sparse_data_alone_and_drops_non_finite() {
        let points = vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (f64::INFINITY, 1.0), (3.0, 2.0)];
        assert_eq!(decimate(&points, (0.0, 3.0), 600), vec![(0.0, 1.0), (2.0, 3.0), (3.0, 2.0)]);
        assert!(decimate(&points, (0.0, 3.0), 0).is_empty());
        assert_eq!(decimate(&[(5.0, 1.0), (5.0, 2.0)], (5.0, 5.0), 10), vec![(5.0, 1.0), (5.0, 2.0)]);
        // Out of order input is sorted first.
        let shuffled = vec![(3.0, 1.0), (0.0, 2.0), (1.5, 0.0)];
        assert_eq!(decimate(&shuffled, (0.0, 3.0), 3), vec![(0.0, 2.0), (1.5, 0.0), (3.0, 1.0)]);
    }

    #[test]
    fn ticks_are_few_and_round() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(140.0), 200.0);
        assert_eq!(ticks(0.0, 300.0, 100.0), vec![0.0, 100.0, 200.0, 300.0]);
        assert_eq!(time_step(40.0), 60.0);
        assert_eq!(y_label(1500.0, 500.0), "1500");
        assert_eq!(y_label(25_000.0, 5_000.0), "25k");
        assert_eq!(y_label(0.25, 0.05), "0.25");
        assert_eq!(x_label(150.0, 30.0, 300.0), "2:30");
        assert_eq!(x_label(45.0, 15.0, 60.0), "45s");
        assert!(ticks(0.0, f64::INFINITY, 1.0).is_empty());
    }

    fn sample() -> ChartData {
        let line = |label: &str, color, k: f64| Line {
            label: label.into(),
            color,
            points: (0..600).map(|i| (i as f64 * 0.1, k * (1.0 + (i as f64 * 0.05).sin()))).collect(),
        };
        ChartData {
            title: "Latency".into(),
            unit: "ms".into(),
            lines: vec![
                line("p50", (47, 111, 222), 10.0),
                line("p90", (217, 154, 30), 20.0),
                line("p99", (214, 69, 69), 40.0),
            ],
            y_min_zero: true,
        }
    }

    fn svg(data: &ChartData, dark: bool) -> String {
        let mut out = String::new();
        draw(SVGBackend::with_string(&mut out, (600, HEIGHT_CSS)), data, dark).expect("draws");
        out
    }

    /// The contents of the SVG's `<text>` elements.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text").skip(1).filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim())).collect()
    }

    #[test]
    fn draws_title_legend_and_lines() {
        let out = svg(&sample(), false);
        let texts = texts(&out);
        assert!(texts.contains(&"Latency (ms)"), "{texts:?}");
        for label in ["p50", "p90", "p99"] {
            assert!(texts.contains(&label), "legend {label}: {texts:?}");
        }
        assert!(out.contains("<polyline"), "lines drawn");
        assert!(!out.contains("no data yet"));
        // Dark mode paints the dark panel colour.
        assert!(svg(&sample(), true).to_uppercase().contains("#1A1F28"));
    }

    /// Colours (as SVG writes them) of the polylines drawn in `svg`.
    fn stroked(svg: &str) -> Vec<String> {
        svg.split("<polyline")
            .skip(1)
            .filter_map(|p| Some(p.split_once("stroke=\"")?.1.split_once('"')?.0.to_uppercase()))
            .collect()
    }

    fn hex((r, g, b): (u8, u8, u8)) -> String {
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// `n` lines of distinct colours, with labels like the dashboard's.
    fn many(n: usize) -> ChartData {
        const LABELS: [&str; 8] =
            ["web tier", "cache", "database", "workers", "node down", "timeout", "shard-0-replica", "overflow"];
        let lines = (0..n)
            .map(|i| Line {
                label: if i < LABELS.len() { LABELS[i].to_string() } else { format!("db-{i}") },
                color: (10 + i as u8, 200 - i as u8, 7),
                points: (0..120).map(|t| (t as f64, (i * 10 + t % 7) as f64)).collect(),
            })
            .collect();
        ChartData { title: "Utilisation".into(), unit: "%".into(), lines, y_min_zero: true }
    }

    #[test]
    fn the_legend_names_every_line_drawn_for_one_to_many_lines() {
        for width in [260u32, 400, 600, 1200] {
            for n in 1..=24 {
                let data = many(n);
                let mut out = String::new();
                draw(SVGBackend::with_string(&mut out, (width, HEIGHT_CSS)), &data, false).expect("draws");
                let texts = texts(&out);
                let strokes = stroked(&out);
                let drawn: Vec<&Line> = data.lines.iter().filter(|l| strokes.contains(&hex(l.color))).collect();
                let more = texts.iter().find(|t| t.starts_with('+') && t.ends_with(" more"));
                for line in &data.lines {
                    // Named in full, or cut short with an ellipsis.
                    let named = texts.iter().any(|t| {
                        *t == line.label || (t.ends_with('…') && line.label.starts_with(t.trim_end_matches('…')))
                    });
                    let is_drawn = drawn.iter().any(|d| d.label == line.label);
                    assert_eq!(
                        named, is_drawn,
                        "{width} px, {n} lines: {:?} named {named}, drawn {is_drawn}; {texts:?}",
                        line.label
                    );
                }
                // What is not drawn is counted, and nothing is dropped quietly.
                let hidden = n - drawn.len();
                match more {
                    Some(t) => assert_eq!(*t, format!("+{hidden} more"), "{width} px, {n} lines"),
                    None => assert_eq!(hidden, 0, "{width} px, {n} lines: {texts:?}"),
                }
                // Room for the lines a dashboard chart has: eight at the
                // narrowest, more on wider charts.
                let room = match width {
                    260 => 8,
                    400 => 12,
                    _ => 16,
                };
                if n <= room {
                    assert_eq!(hidden, 0, "{width} px, {n} lines: {texts:?}");
                }
                // The legend stays on the canvas: every text starts inside it.
                for x in out
                    .split("<text")
                    .skip(1)
                    .filter_map(|t| t.split_once("x=\"")?.1.split_once('"')?.0.parse::<f64>().ok())
                {
                    assert!((0.0..width as f64).contains(&x), "{width} px, {n} lines: text at x = {x}");
                }
            }
        }
    }

    #[test]
    fn a_long_label_is_cut_short_and_its_line_still_drawn() {
        let mut data = many(2);
        data.lines[1].label = "a-very-long-node-name-that-no-legend-row-can-hold-at-all".into();
        let mut out = String::new();
        draw(SVGBackend::with_string(&mut out, (260, HEIGHT_CSS)), &data, false).expect("draws");
        let texts = texts(&out);
        assert!(texts.iter().any(|t| t.starts_with("a-very-long") && t.ends_with('…')), "{texts:?}");
        assert_eq!(stroked(&out).iter().filter(|c| **c == hex(data.lines[1].color)).count(), 1);
    }

    #[test]
    fn a_legend_that_fits_beside_the_title_stays_there() {
        let m = LegendMetrics { label_size: 11.0, swatch: 10.0, swatch_gap: 5.0, gap: 14.0, row: 14.0 };
        let wide = legend_layout(&sample().lines, 600.0, 6.0, 100.0, 3, &m);
        assert_eq!(wide.rows_below, 0);
        assert!(wide.entries.iter().all(|e| e.row == 0) && wide.more.is_none());
        assert_eq!(wide.entries.iter().map(|e| e.line).collect::<Vec<_>>(), vec![0, 1, 2], "in the lines' order");
        let narrow = legend_layout(&sample().lines, 200.0, 6.0, 100.0, 3, &m);
        assert_eq!(narrow.rows_below, 1);
        assert!(narrow.entries.iter().all(|e| e.row == 1) && narrow.more.is_none());
        // No room for any row: every line is counted in "+N more".
        let none = legend_layout(&sample().lines, 200.0, 6.0, 100.0, 0, &m);
        assert!(none.entries.is_empty());
        assert_eq!(none.more.map(|m| m.2), Some("+3 more".to_string()));
        // Unlabelled lines take no entry.
        let mut one = sample();
        one.lines.truncate(1);
        one.lines[0].label.clear();
        assert_eq!(legend_layout(&one.lines, 600.0, 6.0, 100.0, 3, &m), Legend::default());
    }

    #[test]
    fn empty_and_broken_data_draw_without_panicking() {
        let empty = ChartData { title: "Throughput".into(), ..Default::default() };
        let out = svg(&empty, false);
        assert_eq!(texts(&out).first(), Some(&"Throughput"));
        assert!(texts(&out).contains(&"no data yet"));

        let mut broken = sample();
        broken.lines[0].points = vec![(f64::NAN, 1.0), (1.0, f64::NAN), (f64::INFINITY, f64::NEG_INFINITY)];
        broken.lines[1].points = vec![(3.0, 7.0)]; // one reading
        broken.lines[2].points.clear();
        let out = svg(&broken, true);
        assert!(texts(&out).contains(&"p99") && !out.contains("no data yet"));

        let all_nan = ChartData {
            lines: vec![Line { label: "x".into(), color: (0, 0, 0), points: vec![(f64::NAN, f64::NAN)] }],
            ..Default::default()
        };
        assert!(svg(&all_nan, false).contains("no data yet"));

        // Extreme and flat values, and sizes too small to hold a plot.
        let extreme = ChartData {
            lines: vec![Line {
                label: "big".into(),
                color: (1, 2, 3),
                points: vec![(0.0, -1e308), (1.0, 1e308), (1e300, 0.0)],
            }],
            ..Default::default()
        };
        svg(&extreme, false);
        let flat = ChartData {
            lines: vec![Line { label: "flat".into(), color: (1, 2, 3), points: vec![(0.0, 5.0), (1.0, 5.0)] }],
            ..sample()
        };
        svg(&flat, false);
        for size in [(0, 0), (1, 1), (30, 20), (600, 10)] {
            let mut s = String::new();
            draw(SVGBackend::with_string(&mut s, size), &sample(), false).expect("draws");
        }
    }

    #[test]
    fn caption_reads_the_latest_values_and_their_range() {
        let mut data = sample();
        data.lines[0].points.push((61.0, f64::NAN));
        let text = caption(&data);
        assert!(text.starts_with("Latency, at 59.9 seconds: p50 "), "{text}");
        assert!(text.contains(" ms, p90 ") && text.ends_with(" ms."), "{text}");
        // p50 swings between 0 and 20 ms (10 x (1 + sin)).
        assert!(text.contains(". From lowest to highest: p50 0.000 to 20.0 ms, p90 "), "{text}");
        assert_eq!(caption(&ChartData { title: "Errors".into(), ..Default::default() }), "Errors: no data yet.");
        let whole = ChartData {
            title: "Throughput".into(),
            unit: String::new(),
            lines: vec![Line { label: String::new(), color: (0, 0, 0), points: vec![(6.0, 1234.0)] }],
            y_min_zero: false,
        };
        assert_eq!(caption(&whole), "Throughput, at 6 seconds: 1,234. From lowest to highest: 1,234.");
        let util = ChartData {
            title: "Utilisation".into(),
            unit: "%".into(),
            lines: vec![Line {
                label: "workers".into(),
                color: (0, 0, 0),
                points: vec![(1.0, 40.0), (2.0, 100.0), (3.0, 62.5)],
            }],
            y_min_zero: true,
        };
        assert_eq!(
            caption(&util),
            "Utilisation, at 3 seconds: workers 62.5 %. From lowest to highest: workers 40.0 to 100 %."
        );
    }

    #[test]
    fn the_window_is_stated() {
        let mut data = many(2);
        assert_eq!(window_note(&data), "One point per simulated second, last 120 s");
        // The ring of 600 seconds, an hour into the run.
        data.lines[0].points = (3001..=3600).map(|t| (t as f64, 1.0)).collect();
        data.lines[1].points = (3100..=3600).map(|t| (t as f64, 1.0)).collect();
        assert_eq!(window_note(&data), "One point per simulated second, last 600 s");
        assert_eq!(window_note(&ChartData::default()), "One point per simulated second");
    }

    /// Not a timed assertion: prints how long `draw` takes for a full
    /// dashboard chart (600 points x 3 lines) into SVG.
    #[test]
    fn bench_draw_600_points_3_lines() {
        let data = sample();
        let runs = 200;
        let mut bytes = 0;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            bytes = svg(&data, false).len();
        }
        let per = start.elapsed().as_secs_f64() / runs as f64;
        println!("draw, 600 points x 3 lines into a 600x160 SVG: {:.1} µs per chart ({bytes} bytes of SVG)", per * 1e6);
    }
}
