//! The site's Content-Security-Policy, written into the built `index.html`
//! as a `<meta http-equiv>` (a static site cannot count on setting headers).
//!
//! Trunk loads the wasm with one inline module script, whose text changes
//! with every build (it names the hashed file names). Rather than allowing
//! inline script in general, the policy lists the SHA-256 of each inline
//! script the build produced, so that script runs and no other inline
//! script, injected markup or `eval` can. The policy:
//!
//! - `script-src 'self' 'wasm-unsafe-eval' 'sha256-…'`: our files, compiling
//!   WebAssembly (which browsers gate behind this keyword), and trunk's loader.
//! - `style-src 'self'` with `style-src-attr 'unsafe-inline'`: style sheets
//!   only from the site, no `<style>` elements; style *attributes* are
//!   allowed because the UI sets a few computed ones (bar widths, chart and
//!   drag-ghost positions). An attribute cannot run script or load anything
//!   (`img-src` and `font-src` still apply), and user text never becomes
//!   markup, so this is the small, safe exception.
//! - `img-src 'self' data: blob:`, `connect-src 'self'` (the wasm is fetched),
//!   `object-src 'none'`, `base-uri 'self'`, `form-action 'self'`, and
//!   `default-src 'self'` for the rest. `frame-ancestors` cannot be set in a
//!   meta tag; the playground is meant to be embedded anyway.
//!
//! With `--base https://cdn.example/…` the site's files come from that
//! origin, which is then allowed beside `'self'`.

use std::path::Path;

use sha2::{Digest, Sha256};

/// Adds (or replaces) the policy in the built page at `index`.
pub fn apply(index: &Path, base: &str) -> Result<(), String> {
    let html = std::fs::read_to_string(index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let out = with_policy(&html, base)?;
    std::fs::write(index, out).map_err(|e| format!("writing {}: {e}", index.display()))?;
    println!("xtask: Content-Security-Policy written into {}", index.display());
    Ok(())
}

/// `html` with the policy's meta tag right after `<meta charset…>` (or at
/// the start of `<head>`), before any script, replacing one already there.
pub fn with_policy(html: &str, base: &str) -> Result<String, String> {
    let html = remove_policy(html);
    let hashes: Vec<String> = inline_scripts(&html).iter().map(|s| sha256_source(s)).collect();
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\" />", policy(&hashes, base));
    let at = match html.find("<meta charset") {
        Some(i) => i + html[i..].find('>').ok_or("index.html: unterminated <meta charset>")? + 1,
        None => {
            let i = html.find("<head>").ok_or("index.html has no <head>")?;
            i + "<head>".len()
        }
    };
    if html.find("<script").is_some_and(|s| s < at) {
        return Err("index.html has a script before <meta charset>; the policy would not cover it".into());
    }
    Ok(format!("{}\n    {meta}{}", &html[..at], &html[at..]))
}

fn remove_policy(html: &str) -> String {
    const START: &str = "<meta http-equiv=\"Content-Security-Policy\"";
    match html.find(START) {
        Some(i) => match html[i..].find('>') {
            Some(j) => {
                let before = html[..i].trim_end_matches([' ', '\n']);
                format!("{before}{}", &html[i + j + 1..])
            }
            None => html.to_string(),
        },
        None => html.to_string(),
    }
}

/// The policy written into a built page, as the value of a
/// `Content-Security-Policy` header (`None` if the page carries none).
pub fn policy_in(html: &str) -> Option<&str> {
    const START: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
    let i = html.find(START)? + START.len();
    let len = html[i..].find('"')?;
    Some(&html[i..i + len])
}

/// The text of every `<script>` without a `src`, exactly as written (the
/// browser hashes these very bytes).
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<script") {
        let after = &rest[i..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script") else {
            break;
        };
        if !tag.contains(" src=") && !tag.contains(" src ") {
            out.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close..];
    }
    out
}

/// `'sha256-<base64>'` of a script's text.
pub fn sha256_source(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// The policy for a site served at `base`, allowing the inline scripts whose
/// sources are `hashes`.
pub fn policy(hashes: &[String], base: &str) -> String {
    let own = match origin_of(base) {
        Some(o) => format!("'self' {o}"),
        None => "'self'".to_string(),
    };
    let mut script = format!("{own} 'wasm-unsafe-eval'");
    for h in hashes {
        script.push(' ');
        script.push_str(h);
    }
    [
        format!("default-src {own}"),
        format!("script-src {script}"),
        format!("style-src {own}"),
        "style-src-attr 'unsafe-inline'".to_string(),
        format!("img-src {own} data: blob:"),
        format!("font-src {own}"),
        format!("connect-src {own}"),
        "object-src 'none'".to_string(),
        "base-uri 'self'".to_string(),
        "form-action 'self'".to_string(),
    ]
    .join("; ")
}

/// `https://cdn.example` for a base that is a full URL; `None` for a path.
fn origin_of(base: &str) -> Option<String> {
    let (scheme, rest) = base.split_once("://")?;
    let host = rest.split('/').next().unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset=\"utf-8\" />\n    <title>x</title>\n<script type=\"module\">\nimport init from '/a.js';\nawait init();\n</script>\n<script src=\"/b.js\"></script>\n  </head>\n  <body></body>\n</html>\n";

    #[test]
    fn hashes_match_what_browsers_compute() {
        // `printf 'alert(1)' | openssl dgst -sha256 -binary | base64`
        assert_eq!(sha256_source("alert(1)"), "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
        assert_eq!(sha256_source(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn only_inline_scripts_are_hashed_exactly_as_written() {
        assert_eq!(inline_scripts(PAGE), vec!["\nimport init from '/a.js';\nawait init();\n"]);
    }

    #[test]
    fn the_policy_goes_before_every_script_once() {
        let out = with_policy(PAGE, "/").unwrap();
        let meta = out.find("Content-Security-Policy").unwrap();
        assert!(meta > out.find("<meta charset").unwrap() && meta < out.find("<script").unwrap());
        let hash = sha256_source("\nimport init from '/a.js';\nawait init();\n");
        assert!(out.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {hash};")), "{out}");
        assert!(!out.contains("'unsafe-inline'; ") || out.contains("style-src-attr 'unsafe-inline'"));
        assert!(!out.contains("script-src 'self' 'unsafe-inline'"));
        // Applying it again replaces it: still one policy, same page.
        assert_eq!(with_policy(&out, "/").unwrap(), out);
        assert_eq!(out.matches("Content-Security-Policy").count(), 1);
    }

    #[test]
    fn the_policy_a_page_carries_is_read_back_for_the_header() {
        let out = with_policy(PAGE, "/").unwrap();
        let hash = sha256_source("\nimport init from '/a.js';\nawait init();\n");
        assert_eq!(policy_in(&out), Some(policy(&[hash], "/").as_str()));
        assert_eq!(policy_in(PAGE), None);
    }

    #[test]
    fn a_site_on_another_origin_allows_that_origin() {
        let p = policy(&[], "https://cdn.example/scale-lab/");
        assert!(p.contains("script-src 'self' https://cdn.example 'wasm-unsafe-eval'"), "{p}");
        assert!(p.contains("connect-src 'self' https://cdn.example"), "{p}");
        assert!(policy(&[], "/scale-lab/")
            .starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';"));
    }
}
