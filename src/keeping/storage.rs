//! Keeping scenarios outside the page: share links, autosave, files.
//!
//! Everything here moves scenario JSON *text*; reading it into a
//! [`scalelab_engine::Scenario`] (and reporting what is wrong with it) stays the
//! engine's job, so a damaged link or file is reported in two steps: this module
//! says when the container is broken (bad base64, corrupt compression, too
//! large), the engine says when the scenario inside is.
//!
//! - **Share links** carry the scenario in the URL fragment as
//!   `s=<base64url of raw DEFLATE of the compact JSON>`. The fragment is never
//!   sent to a server. Decoding is capped at [`MAX_SCENARIO_BYTES`] of output,
//!   so a crafted link (a "zip bomb") cannot freeze the page.
//! - **Autosave** keeps the last [`MAX_VERSIONS`] versions in `localStorage`
//!   under [`AUTOSAVE_KEY`]. Storage can be missing, blocked (a sandboxed
//!   third-party iframe throws on the mere `window.localStorage`) or full; every
//!   such case is an error value with a message to show, never a panic.
//! - **Files**: download as a file (a design's `.json`, a picture), and read a chosen file's text.
//!
//! The pure parts (fragment encoding, the autosave list) take and return plain
//! values and are tested natively; the browser parts are thin wrappers.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::{JsCast, JsValue};

/// The largest scenario accepted from a share link or a file: 1 MiB of text.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// Share links longer than this are not offered (some browsers, chat apps and
/// servers cut URLs around 8 KB); the UI offers a file download instead.
pub const MAX_SHARE_URL_CHARS: usize = 8000;

/// The key of the fragment parameter that carries the scenario.
const SHARE_KEY: &str = "s";

/// DEFLATE level: 10 is miniz's best ("uber"); scenarios are a few KB, so the
/// extra effort costs well under a millisecond.
const DEFLATE_LEVEL: u8 = 10;

/// The `localStorage` key of the autosave list.
pub const AUTOSAVE_KEY: &str = "scalelab.autosave.v1";

/// How many autosaved versions are kept.
pub const MAX_VERSIONS: usize = 5;

// ---------------------------------------------------------------------------
// Share links
// ---------------------------------------------------------------------------

/// Why a share link could not be opened. Each message says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// The fragment has no `s=` parameter (or it is empty).
    NoScenario,
    /// A character that is not base64url, at this position of the encoded data
    /// (counting from 0), or a length that base64 cannot have (`position: None`).
    NotBase64 { position: Option<usize> },
    /// The base64 was fine but the compressed data is cut short or corrupt.
    Corrupt,
    /// The data unpacks to something that is not UTF-8 text.
    NotText,
    /// The scenario would unpack to more than [`MAX_SCENARIO_BYTES`].
    TooLarge,
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const AGAIN: &str = "it may have been cut short or changed when it was copied; \
                             copy the whole link again, or ask for the scenario as a file";
        match self {
            ShareError::NoScenario => write!(
                f,
                "this link carries no scenario (expected \"#s=...\" at its end); \
                 copy the whole link again, or ask for the scenario as a file"
            ),
            ShareError::NotBase64 { position: Some(p) } => write!(
                f,
                "this share link is damaged (not valid base64: unexpected character at \
                 position {p}); {AGAIN}"
            ),
            ShareError::NotBase64 { position: None } => {
                write!(f, "this share link is damaged (not valid base64: wrong length); {AGAIN}")
            }
            ShareError::Corrupt => {
                write!(f, "this share link is damaged (its compressed data is incomplete or corrupt); {AGAIN}")
            }
            ShareError::NotText => write!(f, "this share link is damaged (it does not unpack to text); {AGAIN}"),
            ShareError::TooLarge => write!(
                f,
                "this share link's scenario is too large (over {} MiB once unpacked), \
                 so it was not opened",
                MAX_SCENARIO_BYTES >> 20
            ),
        }
    }
}

impl std::error::Error for ShareError {}

/// The URL fragment (without `#`) that carries `json`: `s=<base64url>`.
///
/// The JSON is made compact first (whitespace outside strings removed; numbers,
/// strings and key order kept byte for byte), then raw-DEFLATE compressed.
pub fn share_fragment(json: &str) -> String {
    let compact = compact_json(json);
    let packed = miniz_oxide::deflate::compress_to_vec(compact.as_bytes(), DEFLATE_LEVEL);
    let mut out = String::with_capacity(SHARE_KEY.len() + 1 + packed.len().div_ceil(3) * 4);
    out.push_str(SHARE_KEY);
    out.push('=');
    base64url_encode_into(&packed, &mut out);
    out
}

/// A full share URL: `page_url` with any fragment it had replaced by the
/// scenario's. Check it with [`share_url_fits`] before offering it.
pub fn share_url(page_url: &str, json: &str) -> String {
    let base = page_url.split('#').next().unwrap_or(page_url);
    format!("{base}#{}", share_fragment(json))
}

/// Whether a share URL is short enough to offer ([`MAX_SHARE_URL_CHARS`]).
pub fn share_url_fits(url: &str) -> bool {
    url.len() <= MAX_SHARE_URL_CHARS
}

/// The scenario JSON text carried by a URL fragment, with or without the
/// leading `#`. Other `&`-separated parameters in the fragment are ignored.
///
/// Only the container is checked here; parse the text with
/// [`scalelab_engine::Scenario::from_json`] for the scenario's own errors.
pub fn scenario_from_fragment(fragment: &str) -> Result<String, ShareError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let encoded = fragment
        .split('&')
        .find_map(|part| part.strip_prefix(SHARE_KEY).and_then(|rest| rest.strip_prefix('=')))
        .ok_or(ShareError::NoScenario)?;
    if encoded.trim().is_empty() {
        return Err(ShareError::NoScenario);
    }
    // Deflate never expands much (stored blocks add 5 bytes per 64 KiB), so an
    // encoded text far above what the largest accepted scenario needs is refused
    // before decoding anything.
    if encoded.len() > (MAX_SCENARIO_BYTES + MAX_SCENARIO_BYTES / 8) / 3 * 4 {
        return Err(ShareError::TooLarge);
    }
    let packed = base64url_decode(encoded)?;
    let raw = inflate_capped(&packed, MAX_SCENARIO_BYTES)?;
    String::from_utf8(raw).map_err(|_| ShareError::NotText)
}

/// Raw-DEFLATE decompression refusing output above `limit` bytes. miniz grows
/// its buffer only up to the limit, so a bomb costs at most `limit` of memory.
fn inflate_capped(packed: &[u8], limit: usize) -> Result<Vec<u8>, ShareError> {
    use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};
    decompress_to_vec_with_limit(packed, limit).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => ShareError::TooLarge,
        _ => ShareError::Corrupt,
    })
}

/// `json` without whitespace outside strings. Everything else (numbers as
/// written, key order, escapes) is kept, so the shared scenario reads back
/// exactly as the original. Text that is not JSON passes through the same way
/// and is left for the engine to reject.
fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 §5), appended to `out`.
fn base64url_encode_into(bytes: &[u8], out: &mut String) {
    let sextet = |n: u32, shift: u32| BASE64URL[((n >> shift) & 63) as usize] as char;
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend([sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend([sextet(n, 18), sextet(n, 12)]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend([sextet(n, 18), sextet(n, 12), sextet(n, 6)]);
        }
        _ => {}
    }
}

/// Decodes base64url, forgiving what copying a link tends to do: the standard
/// alphabet's `+` and `/`, `=` padding at the end, and whitespace or line breaks
/// anywhere (a link wrapped in an e-mail).
fn base64url_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut count = 0usize; // sextets read
    let mut padding = false;
    for (position, byte) in text.bytes().enumerate() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' => continue,
            _ => return Err(ShareError::NotBase64 { position: Some(position) }),
        };
        if padding {
            // Data after padding: the link was spliced or changed.
            return Err(ShareError::NotBase64 { position: Some(position) });
        }
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if count % 4 == 1 {
        return Err(ShareError::NotBase64 { position: None });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Autosave
// ---------------------------------------------------------------------------

/// One autosaved version of the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedVersion {
    /// When it was saved, in milliseconds since the Unix epoch (`Date.now()`).
    pub saved_at_ms: u64,
    /// The scenario JSON text as it was given to [`autosave`].
    pub json: String,
}

/// Why autosave could not read or write. Each message says what still works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// The browser gives this page no storage: private browsing, storage
    /// disabled, or an embedded frame whose third-party storage is blocked.
    Unavailable,
    /// The browser's storage for this site is full.
    QuotaExceeded,
    /// Anything else the browser reported, with its text.
    Failed(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEEP: &str = "use Save to keep your work as a file";
        match self {
            // Lesson progress is kept in the same storage, so this one
            // message speaks for both (progress.rs reports nothing itself).
            StorageError::Unavailable => write!(
                f,
                "autosave is off and lesson progress will not be remembered: this browser \
                 does not let the page store data here (private browsing, or an embedded page); {KEEP}"
            ),
            StorageError::QuotaExceeded => {
                write!(f, "autosave failed: the browser's storage for this site is full; {KEEP}")
            }
            StorageError::Failed(detail) => write!(f, "autosave failed ({detail}); {KEEP}"),
        }
    }
}

impl std::error::Error for StorageError {}

/// The autosave list read from its stored text (`None`: nothing stored yet).
/// Content that is not a JSON array gives an empty list; entries in it that are
/// not versions are dropped, so one bad entry does not lose the others. The
/// result is newest first and at most [`MAX_VERSIONS`] long.
pub fn parse_versions(stored: Option<&str>) -> Vec<SavedVersion> {
    // Read through `serde_json::Value` by hand rather than a serde derive: the
    // engine already links the `Value` parser, so this adds almost no wasm.
    let Some(Ok(serde_json::Value::Array(items))) = stored.map(serde_json::from_str) else {
        return Vec::new();
    };
    let mut versions: Vec<SavedVersion> = items
        .iter()
        .filter_map(|item| {
            Some(SavedVersion {
                saved_at_ms: item.get("saved_at_ms")?.as_u64()?,
                json: item.get("json")?.as_str()?.to_owned(),
            })
        })
        .collect();
    // Stored newest first already; a stable sort also repairs a list written by
    // hand or by a clock that went backwards.
    scalelab_engine::order::sort_by_u64(&mut versions, |v| !v.saved_at_ms); // newest first
    versions.truncate(MAX_VERSIONS);
    versions
}

/// The stored text of an autosave list: `[{"saved_at_ms":…,"json":"…"},…]`.
pub fn versions_to_json(versions: &[SavedVersion]) -> String {
    let mut out = String::with_capacity(versions.iter().map(|v| v.json.len() + 48).sum::<usize>() + 2);
    out.push('[');
    for (i, v) in versions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"saved_at_ms\":");
        out.push_str(&v.saved_at_ms.to_string());
        out.push_str(",\"json\":");
        push_json_string(&mut out, &v.json);
        out.push('}');
    }
    out.push(']');
    out
}

/// `text` as a JSON string literal (RFC 8259 escapes), appended to `out`.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(HEX[n >> 4] as char);
                out.push(HEX[n & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The list after saving `json` at `now_ms`, or `None` when `json` equals the
/// newest version (nothing to write). An older identical version is moved to
/// the front rather than kept twice, so the list holds distinct versions; only
/// the [`MAX_VERSIONS`] newest are kept.
pub fn push_version(mut versions: Vec<SavedVersion>, json: &str, now_ms: u64) -> Option<Vec<SavedVersion>> {
    if versions.first().is_some_and(|newest| newest.json == json) {
        return None;
    }
    versions.retain(|v| v.json != json);
    versions.insert(0, SavedVersion { saved_at_ms: now_ms, json: json.to_owned() });
    versions.truncate(MAX_VERSIONS);
    Some(versions)
}

/// `window.localStorage`, or why not. Reading the property itself throws in a
/// sandboxed or third-party frame; `web-sys` turns that into an `Err`.
pub(crate) fn local_storage() -> Result<web_sys::Storage, StorageError> {
    let window = web_sys::window().ok_or(StorageError::Unavailable)?;
    match window.local_storage() {
        Ok(Some(storage)) => Ok(storage),
        Ok(None) | Err(_) => Err(StorageError::Unavailable),
    }
}

/// Classifies an exception thrown by a `Storage` method.
pub(crate) fn storage_error(err: &JsValue) -> StorageError {
    if let Some(dom) = err.dyn_ref::<web_sys::DomException>() {
        let name = dom.name();
        // Chrome and Safari: QuotaExceededError (code 22); old Firefox:
        // NS_ERROR_DOM_QUOTA_REACHED (code 1014).
        if name == "QuotaExceededError" || name == "NS_ERROR_DOM_QUOTA_REACHED" || matches!(dom.code(), 22 | 1014) {
            return StorageError::QuotaExceeded;
        }
        if name == "SecurityError" {
            return StorageError::Unavailable;
        }
        return StorageError::Failed(dom.message());
    }
    StorageError::Failed(err.as_string().unwrap_or_else(|| "unknown error".to_owned()))
}

/// Whether autosave can work here: storage exists and a test write succeeds
/// (some browsers give private windows a storage that refuses every write).
pub fn storage_available() -> bool {
    const PROBE: &str = "scalelab.probe";
    let Ok(storage) = local_storage() else {
        return false;
    };
    let ok = storage.set_item(PROBE, "1").is_ok();
    let _ = storage.remove_item(PROBE);
    ok
}

/// Set by the panic hook (`crash.rs`) and never cleared. It lives here, with
/// the autosave it stops, so that storage needs nothing from the crash screen.
static CRASHED: AtomicBool = AtomicBool::new(false);

/// Whether the page has panicked. Once true it stays true until the page is
/// reloaded.
pub fn crashed() -> bool {
    CRASHED.load(Ordering::SeqCst)
}

/// Records a panic (the panic hook calls it first); `true` the first time.
pub fn mark_crashed() -> bool {
    !CRASHED.swap(true, Ordering::SeqCst)
}

/// Saves `json` as the newest version, unless it equals the newest already.
///
/// When the storage is full, it retries keeping only this newest version
/// (dropping the older ones) before giving up. Pass only scenarios the engine
/// accepted: the list is for recovering good work.
///
/// After a panic ([`crashed`]) nothing is written: the state a
/// panic leaves behind is not trusted, and the last version saved before it
/// is what the recovery reload brings back. (The crash overlay has told the
/// user; there is nothing more to report, so this returns `Ok`.)
pub fn autosave(json: &str) -> Result<(), StorageError> {
    if crashed() {
        return Ok(());
    }
    let storage = local_storage()?;
    let stored = storage.get_item(AUTOSAVE_KEY).map_err(|e| storage_error(&e))?;
    let versions = parse_versions(stored.as_deref());
    let Some(next) = push_version(versions, json, now_ms()) else {
        return Ok(());
    };
    match storage.set_item(AUTOSAVE_KEY, &versions_to_json(&next)) {
        Ok(()) => Ok(()),
        Err(err) => match storage_error(&err) {
            StorageError::QuotaExceeded if next.len() > 1 => {
                storage.set_item(AUTOSAVE_KEY, &versions_to_json(&next[..1])).map_err(|e| storage_error(&e))
            }
            other => Err(other),
        },
    }
}

/// The autosaved versions, newest first. Damaged stored content gives an empty
/// list; only storage that cannot be read at all is an error.
pub fn autosaved_versions() -> Result<Vec<SavedVersion>, StorageError> {
    let storage = local_storage()?;
    let stored = storage.get_item(AUTOSAVE_KEY).map_err(|e| storage_error(&e))?;
    Ok(parse_versions(stored.as_deref()))
}

fn now_ms() -> u64 {
    // `as` saturates, and maps NaN to 0.
    js_sys::Date::now() as u64
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Offers `json` as a download named `file_name`.
pub fn download_json(file_name: &str, json: &str) -> Result<(), String> {
    download_text(file_name, json, "application/json")
}

/// Offers `text` as a download named `file_name`, of media type `mime`.
pub fn download_text(file_name: &str, text: &str, mime: &str) -> Result<(), String> {
    let blob = text_blob(text, mime).map_err(|e| save_failed("blob", &e))?;
    download_blob(file_name, &blob)
}

/// `text` as a blob of type `mime`.
pub fn text_blob(text: &str, mime: &str) -> Result<web_sys::Blob, JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&JsValue::from_str(text)), &options)
}

/// The browser's reason in an error it threw, in words.
pub fn js_reason(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// "could not save the file (what: the browser's reason)".
fn save_failed(what: &str, err: &JsValue) -> String {
    format!("could not save the file ({what}: {})", js_reason(err))
}

/// Offers `blob` as a download named `file_name`: every file the page saves
/// (designs, pictures) leaves through here.
pub fn download_blob(file_name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let window = web_sys::window().ok_or("could not save the file (no window)")?;
    let document = window.document().ok_or("could not save the file (no document)")?;
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|e| save_failed("url", &e))?;

    let clicked = (|| -> Result<(), JsValue> {
        let anchor: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
        anchor.set_href(&url);
        anchor.set_download(file_name);
        // Attached while clicked: some browsers ignore clicks on detached links.
        let body = document.body().ok_or_else(|| JsValue::from_str("no body"))?;
        body.append_child(&anchor)?;
        anchor.click();
        anchor.remove();
        Ok(())
    })();

    // Revoke later, not at once: some browsers still read the blob after the
    // click returns. Holding a file of a few hundred KB a while costs nothing.
    let revoke_url = url.clone();
    gloo_timers::callback::Timeout::new(30_000, move || {
        let _ = web_sys::Url::revoke_object_url(&revoke_url);
    })
    .forget();

    clicked.map_err(|e| save_failed("download", &e))
}

/// The text of a file the user chose, refusing files over [`MAX_SCENARIO_BYTES`]
/// before reading them.
pub async fn read_file_text(file: web_sys::File) -> Result<String, String> {
    let name = file.name();
    let size = file.size();
    if size > MAX_SCENARIO_BYTES as f64 {
        return Err(format!(
            "\"{name}\" is too large ({:.1} MiB); a scenario file is at most {} MiB",
            size / f64::from(1u32 << 20),
            MAX_SCENARIO_BYTES >> 20
        ));
    }
    if size == 0.0 {
        return Err(format!("\"{name}\" is empty"));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| format!("could not read \"{name}\" (the browser refused to read it)"))?;
    text.as_string().ok_or_else(|| format!("could not read \"{name}\" as text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario_text(name: &str) -> String {
        let path = format!("{}/engine/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fragment_of_bytes(bytes: &[u8]) -> String {
        let packed = miniz_oxide::deflate::compress_to_vec(bytes, 6);
        let mut out = String::from("s=");
        base64url_encode_into(&packed, &mut out);
        out
    }

    #[test]
    fn storage_share_round_trip_of_a_real_scenario() {
        for name in ["determinism-mixed.json", "design-example.json", "bench-tiers.json"] {
            let text = scenario_text(name);
            let original = scalelab_engine::Scenario::from_json(&text).expect("valid scenario");
            let pretty = original.to_json_pretty();

            let fragment = share_fragment(&pretty);
            assert!(fragment.starts_with("s="), "{fragment}");
            assert!(
                fragment.bytes().skip(2).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "fragment must be URL-safe: {fragment}"
            );
            let url = share_url("https://example.org/scalelab/?embed=1#old", &pretty);
            assert_eq!(url, format!("https://example.org/scalelab/?embed=1#{fragment}"));
            assert!(share_url_fits(&url), "{name}: {} chars", url.len());
            println!(
                "{name}: {} bytes pretty (file {} bytes) -> fragment {} chars, url {} chars",
                pretty.len(),
                text.len(),
                fragment.len(),
                url.len()
            );

            // With and without '#', and among other fragment parameters.
            for f in [fragment.clone(), format!("#{fragment}"), format!("#x=1&{fragment}&y")] {
                let back = scenario_from_fragment(&f).expect("decodes");
                assert_eq!(back, compact_json(&pretty));
                let parsed = scalelab_engine::Scenario::from_json(&back).expect("parses");
                assert_eq!(parsed, original);
                assert_eq!(parsed.to_json_pretty(), pretty);
            }
        }
    }

    #[test]
    fn storage_share_fragment_is_short() {
        let pretty =
            scalelab_engine::Scenario::from_json(&scenario_text("determinism-mixed.json")).unwrap().to_json_pretty();
        let fragment = share_fragment(&pretty);
        println!("determinism-mixed.json share fragment: {} chars", fragment.len());
        assert!(fragment.len() < 1200, "fragment is {} chars", fragment.len());
    }

    #[test]
    fn storage_compact_json_keeps_strings_and_numbers() {
        let text = "{\n  \"a b\" : [1.50, -2e3 ,\t\"x \\\" y\\\\\" ],\r\n \"c\": \"\\\\\"\n}";
        assert_eq!(compact_json(text), "{\"a b\":[1.50,-2e3,\"x \\\" y\\\\\"],\"c\":\"\\\\\"}");
        let before: serde_json::Value = serde_json::from_str(text).unwrap();
        let after: serde_json::Value = serde_json::from_str(&compact_json(text)).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn storage_base64url_round_trip_all_lengths() {
        let data: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for len in 0..40 {
            let mut s = String::new();
            base64url_encode_into(&data[..len], &mut s);
            assert_eq!(s.len(), (len * 4).div_ceil(3));
            assert_eq!(base64url_decode(&s).unwrap(), &data[..len]);
        }
        // Known vector (RFC 4648 test "foobar") and the url alphabet.
        let mut s = String::new();
        base64url_encode_into(b"foobar", &mut s);
        assert_eq!(s, "Zm9vYmFy");
        let mut s = String::new();
        base64url_encode_into(&[0xfb, 0xff], &mut s);
        assert_eq!(s, "-_8");
        // Standard alphabet, padding and line breaks are forgiven.
        assert_eq!(base64url_decode("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("Zm9v\r\nYmE=").unwrap(), b"fooba");
    }

    #[test]
    fn storage_damaged_links_give_the_right_error() {
        let pretty =
            scalelab_engine::Scenario::from_json(&scenario_text("determinism-mixed.json")).unwrap().to_json_pretty();
        let fragment = share_fragment(&pretty);
        let payload = &fragment[2..];

        // No scenario at all.
        for f in ["", "#", "#s=", "#s=  ", "#t=abc", "#scenario=abc", "#embed"] {
            assert_eq!(scenario_from_fragment(f), Err(ShareError::NoScenario), "{f:?}");
        }
        // A character that is not base64, with its position.
        let mut bad = payload.to_owned();
        bad.replace_range(10..11, "!");
        assert_eq!(scenario_from_fragment(&format!("s={bad}")), Err(ShareError::NotBase64 { position: Some(10) }));
        // Percent-encoded junk, data after padding.
        assert!(matches!(scenario_from_fragment("s=ab%20cd"), Err(ShareError::NotBase64 { position: Some(2) })));
        assert!(matches!(scenario_from_fragment("s=ab=cd"), Err(ShareError::NotBase64 { position: Some(3) })));
        // A length base64 cannot have (one character past a group of four).
        let odd = &payload[..(payload.len() / 4) * 4 + 1];
        assert_eq!(scenario_from_fragment(&format!("s={odd}")), Err(ShareError::NotBase64 { position: None }));
        // Cut short at a length that is valid base64: the deflate stream ends early.
        let cut = &payload[..payload.len() / 2 / 4 * 4];
        assert_eq!(scenario_from_fragment(&format!("s={cut}")), Err(ShareError::Corrupt));
        // Valid base64 of bytes that are not deflate data (block type 3 is reserved).
        assert_eq!(scenario_from_fragment("s=____"), Err(ShareError::Corrupt));
        // A changed character in the middle: corrupt, or at worst different text
        // that the engine then rejects; never a panic.
        for i in (0..payload.len()).step_by(7) {
            let mut changed = payload.as_bytes().to_vec();
            changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            if let Ok(text) = scenario_from_fragment(&format!("s={changed}")) {
                let _ = scalelab_engine::Scenario::from_json(&text);
            }
        }
        // Unpacks to bytes that are not UTF-8.
        assert_eq!(scenario_from_fragment(&fragment_of_bytes(&[b'{', 0xff, 0xfe, b'}'])), Err(ShareError::NotText));
        // Every message says what happened.
        assert!(ShareError::NotBase64 { position: Some(3) }
            .to_string()
            .starts_with("this share link is damaged (not valid base64"));
        assert!(ShareError::TooLarge.to_string().contains("too large"));
    }

    #[test]
    fn storage_inflation_bomb_is_refused() {
        // 64 MiB of spaces packs into about 64 KB.
        let bomb = fragment_of_bytes(&vec![b' '; 64 << 20]);
        println!("bomb fragment: {} chars for 64 MiB", bomb.len());
        let start = std::time::Instant::now();
        assert_eq!(scenario_from_fragment(&bomb), Err(ShareError::TooLarge));
        assert!(start.elapsed().as_secs_f64() < 2.0);

        // The limit is exact: 1 MiB is accepted, one byte more is not.
        let at_limit = scenario_from_fragment(&fragment_of_bytes(&vec![b' '; MAX_SCENARIO_BYTES]));
        assert_eq!(at_limit.map(|s| s.len()), Ok(MAX_SCENARIO_BYTES));
        assert_eq!(
            scenario_from_fragment(&fragment_of_bytes(&vec![b' '; MAX_SCENARIO_BYTES + 1])),
            Err(ShareError::TooLarge)
        );
        // An absurdly long fragment is refused before decoding.
        let long = format!("s={}", "A".repeat(2 * MAX_SCENARIO_BYTES));
        assert_eq!(scenario_from_fragment(&long), Err(ShareError::TooLarge));
    }

    #[test]
    fn storage_share_url_fits_limit() {
        assert!(share_url_fits(&"x".repeat(MAX_SHARE_URL_CHARS)));
        assert!(!share_url_fits(&"x".repeat(MAX_SHARE_URL_CHARS + 1)));
    }

    fn v(t: u64, json: &str) -> SavedVersion {
        SavedVersion { saved_at_ms: t, json: json.to_owned() }
    }

    #[test]
    fn storage_versions_keep_five_newest() {
        let mut list = Vec::new();
        for i in 0..8u64 {
            list = push_version(list, &format!("{{\"n\":{i}}}"), 1000 + i).expect("new version");
            assert!(list.len() <= MAX_VERSIONS);
        }
        let times: Vec<u64> = list.iter().map(|v| v.saved_at_ms).collect();
        assert_eq!(times, [1007, 1006, 1005, 1004, 1003]);
        assert_eq!(list[0].json, "{\"n\":7}");

        // Stored and read back unchanged.
        let stored = versions_to_json(&list);
        assert_eq!(parse_versions(Some(&stored)), list);
    }

    #[test]
    fn storage_versions_escape_any_text() {
        let tricky = "{\"name\": \"a \\\"b\\\" c\\\\\"}\n\t\r\u{1}\u{1f} é ✓ 😀 \u{7f}";
        let list = vec![v(u64::MAX, tricky), v(0, ""), v(3, "[]")];
        let stored = versions_to_json(&list);
        // serde_json reads it as the same strings and numbers.
        let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(value[0]["json"].as_str(), Some(tricky));
        assert_eq!(value[0]["saved_at_ms"].as_u64(), Some(u64::MAX));
        let mut newest_first = list.clone();
        newest_first.sort_by_key(|v| std::cmp::Reverse(v.saved_at_ms));
        assert_eq!(parse_versions(Some(&stored)), newest_first);
        assert_eq!(versions_to_json(&[]), "[]");
    }

    #[test]
    fn storage_versions_dedupe() {
        let list = push_version(Vec::new(), "a", 1).unwrap();
        let list = push_version(list, "b", 2).unwrap();
        // Same as the newest: nothing to write.
        assert_eq!(push_version(list.clone(), "b", 3), None);
        // Same as an older one: moved to the front, not kept twice.
        let list = push_version(list, "a", 4).unwrap();
        assert_eq!(list, vec![v(4, "a"), v(2, "b")]);
    }

    #[test]
    fn storage_corrupt_versions_read_as_empty() {
        assert_eq!(parse_versions(None), vec![]);
        for bad in ["", "null", "{}", "[", "not json", "{\"saved_at_ms\":1,\"json\":\"x\"}", "\"[]\""] {
            assert_eq!(parse_versions(Some(bad)), vec![], "{bad:?}");
        }
        // Bad entries are dropped, good ones kept, newest first, at most five.
        let mixed = r#"[{"saved_at_ms":5,"json":"e"},7,{"json":"no time"},
            {"saved_at_ms":9,"json":"i"},{"saved_at_ms":-1,"json":"neg"},
            {"saved_at_ms":1,"json":"a"},{"saved_at_ms":2,"json":"b"},
            {"saved_at_ms":3,"json":"c"},{"saved_at_ms":4,"json":"d"}]"#;
        let list = parse_versions(Some(mixed));
        let times: Vec<u64> = list.iter().map(|v| v.saved_at_ms).collect();
        assert_eq!(times, [9, 5, 4, 3, 2]);
    }

    #[test]
    fn storage_error_messages_say_what_to_do() {
        for e in [StorageError::Unavailable, StorageError::QuotaExceeded, StorageError::Failed("x".into())] {
            assert!(e.to_string().contains("use Save"), "{e}");
        }
    }
}
