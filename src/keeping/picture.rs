//! Pictures of the diagram: an SVG file for documents and editors, and a PNG
//! at twice the size for slides, optionally with the live numbers on the
//! boxes at that moment and a legend.
//!
//! **Made from the page's own SVG, not redrawn from the design.** The picture
//! is a copy of the diagram as drawn (`svg.diagram`), so it shows exactly the
//! boxes, wires, badges and figures the user sees, in the theme shown, and
//! cannot drift from the diagram when its drawing changes. Redrawing from the
//! design would mean a second drawing of every box and figure to keep in step
//! with `editor/diagram.rs`. The price is a list of what the copy drops (what
//! is only there to edit: ports, hit areas, the selection, the grid; and,
//! without numbers, the live figures), kept in one place below, and styles
//! that must be written into the copy: while the copy sits in the page for a
//! moment (hidden, and removed before the browser paints again), each
//! element's computed colours, strokes and fonts are written into its `style`
//! attribute, so the file needs no style sheet, font or image from outside.
//! Nothing in it runs: the diagram has no script, the copy gets no event
//! attribute, and user text (names) stays text, escaped by the serialiser.
//!
//! The PNG is that SVG drawn on a canvas from a `blob:` URL of the file
//! itself (same origin, so the canvas is not tainted), then `toBlob`.
//!
//! The pure parts (the frame, the legend's rows, the PNG's size) are tested
//! natively; the browser parts return errors as messages, never panic.

use crate::base::format;
use crate::editor::diagram::{View, HOT_ABOVE, WARM_ABOVE};
use crate::editor::Editor;
use crate::keeping::storage::{js_reason, text_blob};
use crate::state::Live;
use leptos::prelude::*;
use scalelab_engine::Scenario;
use wasm_bindgen::{JsCast, JsValue};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
/// Room around the drawing, in picture pixels.
pub const MARGIN: f64 = 24.0;
/// Between the drawing and the legend.
const LEGEND_GAP: f64 = 18.0;
/// One legend row.
const ROW_H: f64 = 22.0;
/// The legend's keys stand in a column this wide, their words after it.
const KEY_W: f64 = 52.0;
/// Device pixels per picture pixel in the PNG: sharp on slides and on
/// high-density screens.
pub const PNG_SCALE: f64 = 2.0;
/// The longest PNG side drawn: larger canvases fail in some browsers.
pub const MAX_PNG_SIDE: u32 = 16_384;
/// The most pixels a PNG is drawn with: Safari on phones refuses canvases
/// over about 16.7 million, and a check before drawing allocates nothing.
pub const MAX_PNG_PIXELS: u64 = 16_777_216;

/// What the picture shows besides the design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The live figures on the boxes and wires, as shown at that moment.
    pub numbers: bool,
    /// A legend under the drawing.
    pub legend: bool,
}

/// A legend row's key: what is drawn before its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// No key: a line of its own (the design's name, the numbers' window).
    Heading,
    Plain,
    /// A wire with its arrow.
    Wire,
    /// The load bar's three colours.
    Load,
    Spof,
    Down,
    Slowed,
}

/// What the legend has to explain, read from the drawing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub name: Option<String>,
    /// With numbers: the window they cover ("last 5 s") and the simulated time.
    pub numbers: Option<(String, f64)>,
    /// Wires are drawn by their flow (the animation is hidden) and labelled.
    pub flow: bool,
    /// A load bar is drawn.
    pub load: bool,
    pub spof: bool,
    pub down: bool,
    pub slowed: bool,
}

/// The legend's rows, top to bottom: only what the picture shows.
pub fn legend_rows(f: &Facts) -> Vec<(Key, String)> {
    let mut rows = vec![(
        Key::Heading,
        match f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} · Scale Lab"),
            None => "A design in Scale Lab".to_string(),
        },
    )];
    rows.push(match &f.numbers {
        Some((window, t)) => (Key::Plain, format!("Numbers: {window} of simulated time, at t = {t:.1} s")),
        None => (Key::Plain, "The design without live numbers".to_string()),
    });
    let wire = if f.flow && f.numbers.is_some() {
        "Requests go along the arrows; thickness and labels: requests/s"
    } else {
        "Requests go along the arrows"
    };
    rows.push((Key::Wire, wire.to_string()));
    if f.load && f.numbers.is_some() {
        rows.push((
            Key::Load,
            format!(
                "Bar under a box: workers busy (green up to {:.0}%, amber up to {:.0}%, red above)",
                WARM_ABOVE * 100.0,
                HOT_ABOVE * 100.0
            ),
        ));
    }
    if f.spof {
        rows.push((Key::Spof, "Single point of failure: if it fails, some requests cannot be served".into()));
    }
    if f.down && f.numbers.is_some() {
        rows.push((Key::Down, "Failed (down)".into()));
    }
    if f.slowed && f.numbers.is_some() {
        rows.push((Key::Slowed, "Slowed down by a fault".into()));
    }
    rows
}

/// Where things go in the picture, in picture pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// The drawing's transform: its bounding box moved to the margin, at `scale`.
    pub content: String,
    /// The legend's transform, when there is one.
    pub legend: Option<String>,
}

/// Frames a drawing whose bounding box is `content` (x, y, width, height in
/// diagram units), drawn at `scale`, with a legend of bounding box `legend`
/// (in its own units) under it: like Fit, the picture is as large as what it
/// shows plus a margin, in whole pixels.
pub fn frame(content: (f64, f64, f64, f64), scale: f64, legend: Option<(f64, f64, f64, f64)>) -> Frame {
    let (x, y, w, h) = content;
    let (dw, dh) = (w * scale, h * scale);
    let mut width = dw;
    let mut height = dh;
    let legend = legend.map(|(lx, ly, lw, lh)| {
        width = width.max(lw);
        let top = MARGIN + dh + LEGEND_GAP;
        height += LEGEND_GAP + lh;
        format!("translate({} {})", round2(MARGIN - lx), round2(top - ly))
    });
    Frame {
        width: (width + 2.0 * MARGIN).ceil(),
        height: (height + 2.0 * MARGIN).ceil(),
        content: format!("translate({} {}) scale({})", round2(MARGIN - x * scale), round2(MARGIN - y * scale), scale),
        legend,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The PNG's size for a picture of `width` × `height`: [`PNG_SCALE`] times
/// as many pixels each way, or why it cannot be made.
pub fn png_size(width: f64, height: f64) -> Result<(u32, u32), String> {
    let (w, h) = ((width * PNG_SCALE).ceil(), (height * PNG_SCALE).ceil());
    if !(w >= 1.0 && h >= 1.0) {
        return Err("the picture has no size".into());
    }
    if w > f64::from(MAX_PNG_SIDE) || h > f64::from(MAX_PNG_SIDE) {
        return Err(format!(
            "a PNG of this design would be {} × {} pixels, more than browsers draw (at most {} a side); \
             download the SVG instead, or zoom in on part of it",
            format::count(w as u64),
            format::count(h as u64),
            format::count(u64::from(MAX_PNG_SIDE))
        ));
    }
    if (w as u64) * (h as u64) > MAX_PNG_PIXELS {
        return Err(format!(
            "a PNG of this design would be {} × {} pixels, more than phones draw (at most {} million in all); \
             download the SVG instead, or zoom in on part of it",
            format::count(w as u64),
            format::count(h as u64),
            MAX_PNG_PIXELS / 1_000_000
        ));
    }
    Ok((w as u32, h as u32))
}

/// The picture's title: the design's name, else what it is.
pub fn title(scenario: &Scenario) -> String {
    // Characters XML 1.0 cannot carry (controls other than tab and line
    // ends) would make the file unreadable: left out.
    let name = scenario.name.as_deref().map(|n| {
        n.chars()
            .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
            .filter(|&c| c != '\u{FFFE}' && c != '\u{FFFF}')
            .collect::<String>()
    });
    match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => "A design in Scale Lab".to_string(),
    }
}

// ---------------------------------------------------------------------------
// The browser part
// ---------------------------------------------------------------------------

/// Inherited presentation properties copied from the computed style: an
/// element gets the ones that differ from its parent's.
const INHERITED: &[&str] = &[
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "letter-spacing",
    "font-variant-numeric",
];

/// Only there to edit: never in a picture.
const EDITING_PARTS: &str = ".port, .link-hit, .box-select, .link-preview, pattern, .grid-dot";
/// Live figures: dropped from a picture without numbers.
const LIVE_PARTS: &str = ".load, .node-figure, .flow-label";
/// Classes that mark the user's selection or a gesture under way.
const GESTURE_CLASSES: &[&str] = &["selected", "connecting"];
/// Classes that mark a node's live state.
const STATE_CLASSES: &[&str] = &["down", "degraded"];
/// Elements not drawn by themselves, whatever their computed `display`.
const NOT_DRAWN: &[&str] = &["defs", "marker", "title", "desc"];

/// A picture of the diagram, framed and styled, out of the page.
pub struct Picture {
    root: web_sys::Element,
    pub width: f64,
    pub height: f64,
}

impl Picture {
    /// The SVG file's text, drawn `scale` times the picture's size (the
    /// drawing is the same; only its width and height in pixels change).
    pub fn markup(&self, scale: f64) -> Result<String, String> {
        let fail = |e: JsValue| format!("the picture could not be written ({})", js_reason(&e));
        self.root.set_attribute("width", &(self.width * scale).to_string()).map_err(fail)?;
        self.root.set_attribute("height", &(self.height * scale).to_string()).map_err(fail)?;
        let text = web_sys::XmlSerializer::new().and_then(|s| s.serialize_to_string(&self.root)).map_err(fail)?;
        Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"))
    }
}

/// Draws the picture of the diagram as the page shows it now. `view` is the
/// diagram's view: a design drawn compact (zoomed far out) keeps the scale
/// its compact drawing was made for; otherwise the picture is at 1:1.
pub fn draw(editor: Editor, live: Live, view: View, options: Options) -> Result<Picture, String> {
    if editor.doc.with_untracked(|d| d.nodes.is_empty()) {
        return Err("the diagram is empty: there is nothing to draw".into());
    }
    let fail = |e: JsValue| format!("the picture could not be drawn ({})", js_reason(&e));
    let window = web_sys::window().ok_or("the picture could not be drawn (no window)")?;
    let document = window.document().ok_or("the picture could not be drawn (no document)")?;
    let diagram = document
        .query_selector("svg.diagram")
        .map_err(fail)?
        .ok_or("the picture could not be drawn (the diagram is not on the page)")?;
    let compact = diagram.class_list().contains("compact");
    let scale = if compact { view.scale } else { 1.0 };

    let root: web_sys::Element = diagram.clone_node_with_deep(true).map_err(fail)?.unchecked_into();
    strip(editor, &root, options).map_err(fail)?;
    // The drawing: the group the boxes are in (with the wires and data
    // centers), under the view's pan and zoom, which the frame replaces.
    let content = root
        .query_selector("[data-node]")
        .map_err(fail)?
        .and_then(|node| node.parent_element())
        .ok_or("the picture could not be drawn (the diagram has no boxes)")?;
    // The background first, under everything, whatever wraps it on the page.
    if let Some(bg) = root.query_selector(".grid-bg").map_err(fail)? {
        root.insert_before(&bg, root.first_child().as_ref()).map_err(fail)?;
    }

    // In the page for a moment, hidden, so that the style sheets apply and
    // sizes can be measured; out again before the browser paints.
    let holder = document.create_element("div").map_err(fail)?;
    holder
        .set_attribute(
            "style",
            "position:fixed;left:0;top:0;width:10px;height:10px;overflow:hidden;opacity:0;pointer-events:none",
        )
        .map_err(fail)?;
    holder.set_attribute("aria-hidden", "true").map_err(fail)?;
    let body = document.body().ok_or("the picture could not be drawn (no body)")?;
    body.append_child(&holder).map_err(fail)?;
    let made = (|| -> Result<(f64, f64), JsValue> {
        holder.append_child(&root)?;
        drop_hidden(&window, &root)?;
        let facts = Facts {
            name: editor.doc.with_untracked(|d| d.name.clone()),
            // Before the run's first numbers, there are none to explain.
            numbers: options
                .numbers
                .then(|| live.snapshot.with_untracked(|s| s.as_ref().map(|s| (format::window(s.span_s), s.now_s))))
                .flatten(),
            flow: root.query_selector(".flow-label")?.is_some(),
            load: root.query_selector(".node .load")?.is_some(),
            spof: root.query_selector(".spof-badge")?.is_some(),
            down: root.query_selector(".node.down")?.is_some(),
            slowed: root.query_selector(".node.degraded")?.is_some(),
        };
        let legend = if options.legend { Some(build_legend(&document, &root, &legend_rows(&facts))?) } else { None };
        let bbox = |el: &web_sys::Element| -> Result<(f64, f64, f64, f64), JsValue> {
            let r = el.unchecked_ref::<web_sys::SvgGraphicsElement>().get_b_box()?;
            Ok((f64::from(r.x()), f64::from(r.y()), f64::from(r.width()), f64::from(r.height())))
        };
        let boxed = bbox(&content)?;
        let legend_box = legend.as_ref().map(bbox).transpose()?;
        let f = frame(boxed, scale, legend_box);
        content.set_attribute("transform", &f.content)?;
        if let (Some(g), Some(t)) = (&legend, &f.legend) {
            g.set_attribute("transform", t)?;
        }
        if let Some(bg) = root.query_selector(".grid-bg")? {
            // Its fill is the page's background by the style sheet.
            bg.remove_attribute("fill")?;
            bg.set_attribute("width", &f.width.to_string())?;
            bg.set_attribute("height", &f.height.to_string())?;
        }
        inline_styles(&window, &root, None)?;
        if let Some(g) = &legend {
            // Keys drawn with the diagram's classes, renamed once styled:
            // the legend's box is not one of the design's nodes.
            for key in elements(&g.query_selector_all("[class]")?) {
                key.set_attribute("class", "legend-key")?;
            }
        }
        Ok((f.width, f.height))
    })();
    holder.remove();
    let (width, height) = made.map_err(fail)?;

    clean_attributes(&root).map_err(fail)?;
    let title = editor.doc.with_untracked(title);
    for (tag, text) in [
        (
            "desc",
            match options.numbers {
                true => "A diagram drawn by Scale Lab, with its live numbers at that moment".to_string(),
                false => "A diagram drawn by Scale Lab".to_string(),
            },
        ),
        ("title", title),
    ] {
        let el = document.create_element_ns(Some(SVG_NS), tag).map_err(fail)?;
        el.set_text_content(Some(&text));
        root.insert_before(&el, root.first_child().as_ref()).map_err(fail)?;
    }
    root.set_attribute("viewBox", &format!("0 0 {width} {height}")).map_err(fail)?;
    root.set_attribute("class", "scalelab-picture").map_err(fail)?;
    Ok(Picture { root, width, height })
}

/// The elements of a node list.
fn elements(list: &web_sys::NodeList) -> Vec<web_sys::Element> {
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok()).collect()
}

/// The element children of `el`.
fn children(el: &web_sys::Element) -> Vec<web_sys::Element> {
    let c = el.children();
    (0..c.length()).filter_map(|i| c.item(i)).collect()
}

/// Drops from the copy what is only there to edit, the selection and, without
/// numbers, the live figures and states.
fn strip(editor: Editor, root: &web_sys::Element, options: Options) -> Result<(), JsValue> {
    for el in elements(&root.query_selector_all(EDITING_PARTS)?) {
        el.remove();
    }
    for class in GESTURE_CLASSES {
        for el in elements(&root.query_selector_all(&format!(".{class}"))?) {
            el.class_list().remove_1(class)?;
        }
    }
    if !options.numbers {
        for el in elements(&root.query_selector_all(LIVE_PARTS)?) {
            el.remove();
        }
        for class in STATE_CLASSES {
            for el in elements(&root.query_selector_all(&format!(".{class}"))?) {
                el.class_list().remove_1(class)?;
            }
        }
        // Wires at their plain width, not their flow's.
        for el in elements(&root.query_selector_all(".link-line")?) {
            el.set_attribute("stroke-width", "1.5")?;
        }
        // The line under a name says the kind, as before a run has numbers.
        for node in elements(&root.query_selector_all("[data-node]")?) {
            let id = node.get_attribute("data-node").unwrap_or_default();
            if let (Some(line), Some(n)) = (node.query_selector(".node-kind")?, editor.node(&id)) {
                line.set_text_content(Some(n.spec.kind().label()));
                // The live line may have been squeezed to fit; the kind's name
                // is short and drawn at its own width.
                line.remove_attribute("textLength")?;
                line.remove_attribute("lengthAdjust")?;
            }
        }
    }
    // Comments are the page's bookkeeping, not the picture's.
    remove_comments(root)
}

fn remove_comments(node: &web_sys::Node) -> Result<(), JsValue> {
    let kids = node.child_nodes();
    let all: Vec<web_sys::Node> = (0..kids.length()).filter_map(|i| kids.item(i)).collect();
    for child in all {
        if child.node_type() == web_sys::Node::COMMENT_NODE {
            node.remove_child(&child)?;
        } else {
            remove_comments(&child)?;
        }
    }
    Ok(())
}

/// Removes what the style sheets hide (the details a compact drawing leaves
/// out, for one): a picture holds only what is drawn.
fn drop_hidden(window: &web_sys::Window, el: &web_sys::Element) -> Result<(), JsValue> {
    for child in children(el) {
        if NOT_DRAWN.contains(&child.local_name().as_str()) {
            continue;
        }
        let hidden = window.get_computed_style(&child)?.is_some_and(|s| {
            s.get_property_value("display").is_ok_and(|d| d == "none")
                || s.get_property_value("visibility").is_ok_and(|v| v == "hidden")
        });
        if hidden {
            child.remove();
        } else {
            drop_hidden(window, &child)?;
        }
    }
    Ok(())
}

/// Writes each element's computed presentation into its `style` attribute
/// (only what differs from its parent's), so the file looks as the page
/// does without the page's style sheets.
fn inline_styles(window: &web_sys::Window, el: &web_sys::Element, parent: Option<&[String]>) -> Result<(), JsValue> {
    let Some(computed) = window.get_computed_style(el)? else { return Ok(()) };
    let values: Vec<String> = INHERITED.iter().map(|p| computed.get_property_value(p).unwrap_or_default()).collect();
    let mut style = String::new();
    for (i, property) in INHERITED.iter().enumerate() {
        let v = &values[i];
        if !v.is_empty() && parent.is_none_or(|p| p[i] != *v) {
            style.push_str(&format!("{property}:{v};"));
        }
    }
    // Not inherited: every element says its own.
    if let Ok(opacity) = computed.get_property_value("opacity") {
        if !opacity.is_empty() && opacity != "1" {
            style.push_str(&format!("opacity:{opacity};"));
        }
    }
    if style.is_empty() {
        el.remove_attribute("style")?;
    } else {
        el.set_attribute("style", &style)?;
    }
    for child in children(el) {
        inline_styles(window, &child, Some(&values))?;
    }
    Ok(())
}

/// Drops the page's attributes that mean nothing in a file (test ids, focus
/// and accessibility for the live editor) and any event attribute.
fn clean_attributes(el: &web_sys::Element) -> Result<(), JsValue> {
    let names = el.get_attribute_names();
    for name in names.iter().filter_map(|n| n.as_string()) {
        let lower = name.to_ascii_lowercase();
        let drop = lower.starts_with("on")
            || lower.starts_with("aria-")
            || matches!(lower.as_str(), "data-testid" | "tabindex" | "role" | "focusable");
        if drop {
            el.remove_attribute(&name)?;
        }
    }
    for child in children(el) {
        clean_attributes(&child)?;
    }
    Ok(())
}

/// Builds the legend under the drawing, its keys drawn with the diagram's
/// own classes so that the style sheets colour them as on the page.
fn build_legend(
    document: &web_sys::Document,
    root: &web_sys::Element,
    rows: &[(Key, String)],
) -> Result<web_sys::Element, JsValue> {
    // A new SVG element with these attributes, the last child of `parent`.
    let add = |parent: &web_sys::Element, tag: &str, attrs: &[(&str, &str)]| -> Result<web_sys::Element, JsValue> {
        let el = document.create_element_ns(Some(SVG_NS), tag)?;
        for (k, v) in attrs {
            el.set_attribute(k, v)?;
        }
        parent.append_child(&el)?;
        Ok(el)
    };
    let g = add(root, "g", &[("class", "legend")])?;
    for (i, (key, words)) in rows.iter().enumerate() {
        // Each row's words stand on y = 0; its key is centred on their middle.
        let row = add(&g, "g", &[("transform", &format!("translate(0 {})", i as f64 * ROW_H))])?;
        match key {
            Key::Heading | Key::Plain => {}
            Key::Wire => {
                let wire = add(&row, "g", &[("class", "link")])?;
                add(
                    &wire,
                    "path",
                    &[
                        ("class", "link-line"),
                        ("d", "M0 -4 H40"),
                        ("marker-end", "url(#arrow)"),
                        ("stroke-width", "1.5"),
                    ],
                )?;
            }
            Key::Load => {
                for (j, level) in ["calm", "warm", "hot"].iter().enumerate() {
                    let x = (j as f64 * 14.0).to_string();
                    let class = format!("load {level}");
                    add(&row, "rect", &[("class", &class), ("x", &x), ("y", "-7"), ("width", "14"), ("height", "6")])?;
                }
            }
            Key::Spof => {
                let badge = add(&row, "g", &[("class", "spof-badge")])?;
                add(&badge, "rect", &[("x", "0"), ("y", "-12"), ("width", "40"), ("height", "16"), ("rx", "4")])?;
                add(&badge, "text", &[("x", "20"), ("y", "0"), ("text-anchor", "middle")])?
                    .set_text_content(Some("SPOF"));
            }
            Key::Down | Key::Slowed => {
                let class = if *key == Key::Down { "node down" } else { "node degraded" };
                let node = add(&row, "g", &[("class", class)])?;
                let attrs =
                    [("class", "node-box"), ("x", "2"), ("y", "-13"), ("width", "36"), ("height", "18"), ("rx", "4")];
                add(&node, "rect", &attrs)?;
            }
        }
        let (x, class) = match key {
            Key::Heading => ("0".to_string(), "node-id"),
            Key::Plain => ("0".to_string(), "flow-label"),
            _ => (KEY_W.to_string(), "flow-label"),
        };
        add(&row, "text", &[("class", class), ("x", &x), ("y", "0")])?.set_text_content(Some(words));
    }
    Ok(g)
}

/// Draws the SVG `markup` (already `width` × `height` pixels) on a canvas and
/// returns it as a PNG.
async fn png(markup: &str, width: u32, height: u32) -> Result<web_sys::Blob, String> {
    use wasm_bindgen_futures::JsFuture;
    let fail = |e: JsValue| format!("the PNG could not be made ({})", js_reason(&e));
    let document = web_sys::window().and_then(|w| w.document()).ok_or("the PNG could not be made (no document)")?;
    let blob = text_blob(markup, "image/svg+xml;charset=utf-8").map_err(fail)?;
    // A blob: URL of the picture itself: same origin, so the canvas stays
    // readable (a canvas that drew a foreign image cannot be saved).
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let image = web_sys::HtmlImageElement::new().map_err(fail)?;
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    decoded.map_err(|e| format!("the browser could not read the picture back ({})", js_reason(&e)))?;

    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").map_err(fail)?.unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(fail)?
        .ok_or("the PNG could not be made (the browser gave no canvas to draw on)")?
        .unchecked_into();
    context
        .draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, f64::from(width), f64::from(height))
        .map_err(fail)?;
    let made = js_sys::Promise::new(&mut |resolve, _reject| {
        let done = resolve.clone();
        let callback = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = done.call1(&JsValue::NULL, &blob);
        });
        if let Err(e) = canvas.to_blob_with_type(callback.unchecked_ref(), "image/png") {
            let _ = resolve.call1(&JsValue::NULL, &e);
        }
    });
    let out = JsFuture::from(made).await.map_err(fail)?;
    match out.dyn_into::<web_sys::Blob>() {
        Ok(png) => Ok(png),
        Err(e) if e.is_null() => {
            Err(format!("the browser could not make a PNG of {width} × {height} pixels; download the SVG instead"))
        }
        Err(e) => Err(fail(e)),
    }
}

/// Saves the picture as an SVG file and says so (or why not).
pub fn save_svg(editor: Editor, live: Live, view: View, options: Options) {
    let made = draw(editor, live, view, options).and_then(|p| {
        let name = editor.doc.with_untracked(|d| super::file_name_with(d, "svg"));
        let markup = p.markup(1.0)?;
        super::storage::download_text(&name, &markup, "image/svg+xml")?;
        Ok(format!("Saved the diagram as {name} ({} × {} px)", p.width, p.height))
    });
    match made {
        Ok(done) => editor.say(done),
        Err(e) => editor.refuse(format!("No picture: {e}")),
    }
}

/// Saves the picture as a PNG at [`PNG_SCALE`] times its size; `busy` is
/// true while the browser draws it.
pub fn save_png(editor: Editor, live: Live, view: View, options: Options, busy: RwSignal<bool>) {
    // The drawing is taken now, at the moment of the click; only the
    // rasterising waits for the browser.
    let taken = draw(editor, live, view, options).and_then(|p| {
        let (w, h) = png_size(p.width, p.height)?;
        Ok((p.markup(PNG_SCALE)?, w, h))
    });
    let (markup, w, h) = match taken {
        Ok(t) => t,
        Err(e) => return editor.refuse(format!("No picture: {e}")),
    };
    let name = editor.doc.with_untracked(|d| super::file_name_with(d, "png"));
    busy.set(true);
    leptos::task::spawn_local(async move {
        let saved = match png(&markup, w, h).await {
            Ok(blob) => super::storage::download_blob(&name, &blob),
            Err(e) => Err(e),
        };
        let _ = busy.try_set(false);
        match saved {
            Ok(()) => editor.say(format!("Saved the diagram as {name} ({w} × {h} px)")),
            Err(e) => editor.refuse(format!("No picture: {e}")),
        }
    });
}

/// "Picture…": the choices and the two downloads.
#[component]
pub fn PictureDialog(view: RwSignal<View>, on_close: Callback<()>) -> impl IntoView {
    let editor = expect_context::<Editor>();
    let live = expect_context::<Live>();
    let numbers = RwSignal::new(true);
    let legend = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let options = move || Options { numbers: numbers.get_untracked(), legend: legend.get_untracked() };
    let moment = move || {
        live.snapshot.with(|s| match s {
            Some(s) => format!(" (t = {:.1} s, {})", s.now_s, format::window(s.span_s)),
            None => String::new(),
        })
    };
    let first = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = first.get() {
            let _ = b.focus();
        }
    });
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Picture of the diagram" data-testid="picture-dialog"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { on_close.run(()) }>
                <h2>"Picture of the diagram"</h2>
                <p>"The whole diagram as drawn now, in this theme: SVG for documents and drawing programs, PNG at twice the size for slides. Made in this browser; nothing is uploaded."</p>
                <div class="picture-choices">
                    <label><input type="checkbox" data-testid="picture-numbers" prop:checked=move || numbers.get()
                        on:change=move |ev| numbers.set(event_target_checked(&ev)) />
                        {move || format!(" Live numbers on the boxes{}", moment())}</label>
                    <label><input type="checkbox" data-testid="picture-legend" prop:checked=move || legend.get()
                        on:change=move |ev| legend.set(event_target_checked(&ev)) />" Legend under the diagram"</label>
                </div>
                <div class="dialog-actions picture-actions">
                    <button class="primary" data-testid="picture-download-svg" node_ref=first
                        on:click=move |_| save_svg(editor, live, view.get_untracked(), options())>"Download SVG"</button>
                    <button class="primary" data-testid="picture-download-png" disabled=move || busy.get()
                        on:click=move |_| save_png(editor, live, view.get_untracked(), options(), busy)>
                        {move || if busy.get() { "Drawing the PNG…" } else { "Download PNG (2×)" }}</button>
                    <button data-testid="picture-close" on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_fits_the_drawing_with_a_margin_in_whole_pixels() {
        let f = frame((-10.0, 40.0, 700.5, 200.0), 1.0, None);
        assert_eq!((f.width, f.height), ((700.5 + 2.0 * MARGIN).ceil(), 200.0 + 2.0 * MARGIN));
        assert_eq!(f.content, format!("translate({} {}) scale(1)", MARGIN + 10.0, MARGIN - 40.0));
        assert_eq!(f.legend, None);
        // A compact drawing keeps its scale: the box shrinks with it.
        let f = frame((0.0, 0.0, 1000.0, 500.0), 0.5, None);
        assert_eq!((f.width, f.height), (500.0 + 2.0 * MARGIN, 250.0 + 2.0 * MARGIN));
        assert_eq!(f.content, format!("translate({MARGIN} {MARGIN}) scale(0.5)"));
    }

    #[test]
    fn the_legend_goes_under_the_drawing_and_may_widen_the_picture() {
        let f = frame((0.0, 0.0, 300.0, 100.0), 1.0, Some((0.0, -12.0, 420.0, 66.0)));
        assert_eq!(f.width, 420.0 + 2.0 * MARGIN);
        assert_eq!(f.height, 100.0 + LEGEND_GAP + 66.0 + 2.0 * MARGIN);
        let top = MARGIN + 100.0 + LEGEND_GAP;
        assert_eq!(f.legend.as_deref(), Some(format!("translate({MARGIN} {})", top + 12.0).as_str()));
    }

    #[test]
    fn the_png_is_twice_the_size_or_refused_when_too_large() {
        assert_eq!(png_size(748.0, 300.0), Ok((1496, 600)));
        assert_eq!(png_size(100.2, 10.0), Ok((201, 20)));
        let err = png_size(9000.0, 300.0).unwrap_err();
        assert!(err.contains("18,000 × 600") && err.contains("SVG"), "{err}");
        assert!(png_size(0.0, 10.0).is_err());
        // Each side within the limit, but too many pixels in all.
        assert_eq!(png_size(2048.0, 2048.0), Ok((4096, 4096)), "exactly the limit");
        assert!(png_size(2048.0, 2049.0).is_err());
        assert!(png_size(6000.0, 6000.0).unwrap_err().contains("16 million"));
        assert!(png_size(f64::NAN, 10.0).is_err());
    }

    #[test]
    fn the_legend_explains_only_what_is_drawn() {
        let plain = Facts { name: Some("Shop".into()), ..Facts::default() };
        let rows = legend_rows(&plain);
        assert_eq!(rows[0], (Key::Heading, "Shop · Scale Lab".to_string()));
        assert_eq!(rows[1].1, "The design without live numbers");
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [Key::Heading, Key::Plain, Key::Wire]);
        // Without numbers, live states and bars are not explained even if asked.
        let still = Facts { load: true, down: true, flow: true, ..plain.clone() };
        assert_eq!(legend_rows(&still).len(), 3);
        assert_eq!(legend_rows(&still)[2].1, "Requests go along the arrows");

        let live = Facts {
            numbers: Some(("last 5 s".into(), 42.04)),
            flow: true,
            load: true,
            spof: true,
            down: true,
            slowed: false,
            name: None,
        };
        let rows = legend_rows(&live);
        assert_eq!(rows[0].1, "A design in Scale Lab");
        assert_eq!(rows[1].1, "Numbers: last 5 s of simulated time, at t = 42.0 s");
        assert!(rows[2].1.contains("requests/s"));
        assert_eq!(
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            [Key::Heading, Key::Plain, Key::Wire, Key::Load, Key::Spof, Key::Down]
        );
        assert!(rows[3].1.contains("70%") && rows[3].1.contains("90%"), "{}", rows[3].1);
    }

    #[test]
    fn the_title_is_the_designs_name() {
        let mut s = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        s.name = Some("  Shop  ".into());
        assert_eq!(title(&s), "Shop");
        s.name = Some(" ".into());
        assert_eq!(title(&s), "A design in Scale Lab");
        s.name = Some("Sh\u{1}op\u{FFFF}".into());
        assert_eq!(title(&s), "Shop", "characters XML cannot carry are left out");
    }
}
