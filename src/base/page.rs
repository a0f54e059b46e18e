//! What the page's address asks for: `?lesson=4&embed=1&edit=1&palette=1&origin=https://course.example`,
//! or `?example=sinkholing` or `?blueprint=url-shortener` instead of a lesson.
//!
//! Parsed once at start-up. Unknown parameters are ignored (a course platform
//! may add its own); a bad value is reported in words and otherwise ignored, so
//! a mistyped link still opens the playground.

use leptos::prelude::*;

/// The highest lesson number.
pub const LESSONS: u32 = 16;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageOptions {
    /// `?lesson=N`: open lesson N (1..=16).
    pub lesson: Option<u32>,
    /// `?example=NAME`: open the example NAME (checked against the list by
    /// the page, which says so when there is none by that name).
    pub example: Option<String>,
    /// `?blueprint=NAME`: open the blueprint NAME (checked like an example).
    pub blueprint: Option<String>,
    /// `?embed=1`: the compact layout for an iframe.
    pub embed: bool,
    /// `?edit=1`: an embedded design may be edited (embedded designs are read-only otherwise).
    pub edit: bool,
    /// `?palette=1`: show the palette in the embedded layout.
    pub palette: bool,
    /// `?origin=https://a.example,https://b.example`: host pages whose messages
    /// are obeyed, besides the playground's own origin.
    pub origins: Vec<String>,
    /// What was wrong with the address, in words, if anything.
    pub problems: Vec<String>,
}

/// Whether the page is embedded in course material (`?embed=1`), as the
/// page's options in context say; the analysis tools stay out of that layout.
pub fn embedded() -> bool {
    use_context::<PageOptions>().is_some_and(|o| o.embed)
}

impl PageOptions {
    /// Reads a query string (`location.search`, with or without the leading `?`).
    pub fn from_query(search: &str) -> PageOptions {
        let mut o = PageOptions::default();
        let search = search.strip_prefix('?').unwrap_or(search);
        for pair in search.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "lesson" => match value.trim().parse::<u32>() {
                    Ok(n) if (1..=LESSONS).contains(&n) => o.lesson = Some(n),
                    _ => {
                        o.problems.push(format!("There is no lesson \"{value}\": lessons are numbered 1 to {LESSONS}"))
                    }
                },
                "example" => o.example = Some(value.trim().to_string()),
                "blueprint" => o.blueprint = Some(value.trim().to_string()),
                "embed" => o.embed = flag(&value),
                "edit" => o.edit = flag(&value),
                "palette" => o.palette = flag(&value),
                "origin" => {
                    for origin in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        match normalise_origin(origin) {
                            Some(ok) => o.origins.push(ok),
                            None => o.problems.push(format!(
                                "\"{origin}\" is not an origin (write it like https://course.example.edu, without a path)"
                            )),
                        }
                    }
                }
                _ => {}
            }
        }
        o
    }

    /// Outside an iframe, or with `edit=1`, the diagram can be changed.
    pub fn editable(&self) -> bool {
        !self.embed || self.edit
    }
}

/// `1`, `true`, `yes` or an empty value (`?embed`) turn a flag on.
fn flag(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "" | "1" | "true" | "yes" | "on")
}

/// `scheme://host[:port]` in lower case, or `None` when `s` is not an origin.
pub fn normalise_origin(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('/');
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !(scheme == "https" || scheme == "http") || rest.is_empty() {
        return None;
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        return None;
    }
    if let Some(p) = port {
        p.parse::<u16>().ok()?;
    }
    Some(format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

/// The origin of a web page's address, as a teacher would paste it from the
/// browser's address bar: `https://course.example.edu/week3?x#y` gives
/// `https://course.example.edu`. A page receives messages by its origin only,
/// so the path, query and fragment are dropped; anything that is not an http
/// or https address is refused with the reason in words.
pub fn origin_of_address(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("enter the address of the page the frame goes in".into());
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!("\"{s}\" is not a web address: start it with https:// (or http://)"));
    };
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(format!("only http and https pages can receive messages, and \"{s}\" is not one"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    normalise_origin(&format!("{scheme}://{}", &rest[..end])).ok_or_else(|| {
        format!("\"{s}\" is not a web address that a browser can open (write it like https://course.example.edu/week3)")
    })
}

/// Percent-encodes a query value: everything but the unreserved characters
/// of RFC 3986, so `https://a.example:8443` stays one value of `origin=`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding for query values (`+` is a space); bad escapes are kept as written.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The page's options, read from the address once (provided as context by `App`).
pub fn from_browser() -> PageOptions {
    PageOptions::from_query(&window().location().search().unwrap_or_default())
}

/// Which lesson is open (`None`: the user's own design). Provided as context by `App`.
#[derive(Clone, Copy)]
pub struct OpenLesson(pub RwSignal<Option<u32>>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lesson_embed_edit_palette_and_origins() {
        let o = PageOptions::from_query(
            "?lesson=4&embed=1&edit=1&palette&origin=https%3A%2F%2FCourse.Example.edu,http://localhost:8080",
        );
        assert_eq!(o.lesson, Some(4));
        assert_eq!(o.example, None);
        assert!(o.embed && o.edit && o.palette);
        assert_eq!(o.origins, vec!["https://course.example.edu".to_string(), "http://localhost:8080".to_string()]);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert!(o.editable());
    }

    #[test]
    fn reads_an_example_by_name() {
        let o = PageOptions::from_query("?example=sinkholing&embed=1");
        assert_eq!(o.example.as_deref(), Some("sinkholing"));
        assert_eq!(o.lesson, None);
        assert!(o.embed && o.problems.is_empty());
    }

    #[test]
    fn reads_a_blueprint_by_name() {
        let o = PageOptions::from_query("?blueprint=url-shortener&embed=1");
        assert_eq!(o.blueprint.as_deref(), Some("url-shortener"));
        assert_eq!((o.lesson, o.example.as_deref()), (None, None));
        assert!(o.embed && o.problems.is_empty());
    }

    #[test]
    fn an_embedded_design_is_read_only_unless_edit_is_given() {
        assert!(!PageOptions::from_query("embed=1").editable());
        assert!(!PageOptions::from_query("embed=1&edit=0").editable());
        assert!(PageOptions::from_query("").editable());
    }

    #[test]
    fn bad_values_are_reported_in_words_and_ignored() {
        let o = PageOptions::from_query(
            "lesson=17&origin=javascript:alert(1),https://a.example/path,https://ok.example&x=%zz",
        );
        assert_eq!(o.lesson, None);
        assert_eq!(o.origins, vec!["https://ok.example".to_string()]);
        assert_eq!(o.problems.len(), 3, "{:?}", o.problems);
        assert!(o.problems[0].contains("lessons are numbered 1 to 16"));
        assert!(PageOptions::from_query("lesson=abc").problems[0].contains("\"abc\""));
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(normalise_origin("https://A.example:8443/"), Some("https://a.example:8443".into()));
        for bad in ["ftp://a.example", "https://", "https://a.example:99999", "https://user@a.example", "null", "*"] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_page_address_gives_its_origin_and_other_schemes_are_refused() {
        for (address, origin) in [
            ("https://course.example.edu/week3", "https://course.example.edu"),
            ("  HTTPS://Course.Example.edu:8443/a/b?c=d#e ", "https://course.example.edu:8443"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://course.example.edu?x=1", "https://course.example.edu"),
            ("https://course.example.edu#top", "https://course.example.edu"),
        ] {
            assert_eq!(origin_of_address(address).as_deref(), Ok(origin), "{address}");
        }
        for (bad, says) in [
            ("", "enter the address"),
            ("course.example.edu/week3", "start it with https://"),
            ("ftp://files.example.edu/x", "only http and https"),
            ("javascript://alert(1)", "only http and https"),
            ("https://", "not a web address"),
            ("https://user@course.example.edu/", "not a web address"),
            ("https://course example.edu/", "not a web address"),
        ] {
            let e = origin_of_address(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn an_encoded_origin_reads_back_as_the_same_origin() {
        let o = "https://course.example.edu:8443";
        assert_eq!(encode(o), "https%3A%2F%2Fcourse.example.edu%3A8443");
        assert_eq!(PageOptions::from_query(&format!("?embed=1&origin={}", encode(o))).origins, vec![o.to_string()]);
    }

    #[test]
    fn percent_escapes_decode_and_broken_ones_stay() {
        assert_eq!(decode("a%20b+c"), "a b c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
    }
}
