//! Layers as folders: in a layered crate every module lives in one folder of
//! its source root, the folders are ranked from the bottom up, and a module
//! imports only from its own folder or from folders ranked below it. Folders
//! of equal rank are independent: neither may import the other.
//!
//! The check reads the sources (no compiler): it blanks out comments and
//! string and character literals, then follows every path that starts at the
//! crate root, `crate::x` (in `use` lines, inline paths, `view!` tags alike)
//! or a chain of `super::` that climbs to it, and finds the folder `x` lives
//! in: `x` itself when it is a folder of the table, or the folder a `pub use`
//! of the crate's `lib.rs` re-exports it from (so root aliases kept for old
//! paths count where the module really is). A root name that is neither is
//! reported too, and so is a folder missing from the table, so that a new
//! folder has to take its place in the order. The crate root files (`lib.rs`,
//! `main.rs`: the facade and the entry point) are exempt.

use std::collections::HashMap;
use std::path::Path;

/// A crate whose source folders are layers.
pub struct Layered {
    /// The source root, from the repository root.
    pub root: &'static str,
    /// Each folder (a top-level module) and its rank: lower ranks are below.
    pub layers: &'static [(&'static str, u32)],
    /// Paths under the root in no layer: the crate root files, binaries.
    pub exempt: &'static [&'static str],
}

/// The crates checked.
pub const LAYERED: &[Layered] = &[ENGINE, APP];

/// The engine, from the bottom up (ARCHITECTURE.md says what each folder
/// holds and may not do).
const ENGINE: Layered = Layered {
    root: "engine/src",
    layers: &[
        ("base", 0),
        ("blocks", 1),
        ("model", 2),
        ("metrics", 3),
        ("components", 4),
        ("kernel", 5),
        ("analysis", 6),
    ],
    exempt: &["lib.rs", "bin"],
};

/// The web app, from the bottom up (ARCHITECTURE.md says what each folder
/// holds and may not do).
const APP: Layered = Layered {
    root: "src",
    layers: &[
        ("base", 0),
        ("state", 1),
        ("lessons", 2),
        ("run", 3),
        ("canvas", 4),
        ("editor", 5),
        ("keeping", 6),
        ("panels", 7),
        ("shell", 8),
    ],
    exempt: &["lib.rs", "main.rs"],
};

/// Every import of `files` (paths relative to the crate's source root, with
/// `/`, and their text) that points up or sideways, or that the table cannot
/// place, as `root/path:line: what`.
pub fn check(krate: &Layered, files: &[(String, String)]) -> Vec<String> {
    let rank: HashMap<&str, u32> = krate.layers.iter().copied().collect();
    let aliases = files
        .iter()
        .find(|(path, _)| path == "lib.rs")
        .map(|(_, text)| root_aliases(&blank(text), &rank))
        .unwrap_or_default();
    let mut problems = Vec::new();
    for (path, text) in files {
        if krate.exempt.iter().any(|e| path == e || path.starts_with(&format!("{e}/"))) {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let layer = parts[0].strip_suffix(".rs").unwrap_or(parts[0]);
        let Some(&own) = rank.get(layer) else {
            problems.push(format!(
                "{}/{path}: `{layer}` is in no layer: give it a rank in xtask/src/layers.rs (or exempt it)",
                krate.root
            ));
            continue;
        };
        // The depth of the file's module below the crate root.
        let depth = parts.len() - usize::from(parts.last() == Some(&"mod.rs"));
        let code = blank(text);
        for (at, shown) in root_paths(&code, depth) {
            let top = ident_at(shown.trim_start_matches("crate::").trim_start_matches("super::"), 0).to_string();
            let line = code[..at].matches('\n').count() + 1;
            let target = if rank.contains_key(top.as_str()) {
                top.clone()
            } else if let Some(folder) = aliases.get(&top) {
                folder.clone()
            } else {
                problems.push(format!(
                    "{}/{path}:{line}: `{shown}`: `{top}` is neither a layer folder nor re-exported from one in lib.rs",
                    krate.root
                ));
                continue;
            };
            let theirs = rank[target.as_str()];
            if target == layer || theirs < own {
                continue;
            }
            let how = if theirs == own { "a layer of the same rank" } else { "a layer above it" };
            problems.push(format!(
                "{}/{path}:{line}: `{layer}` (rank {own}) imports from `{target}` (rank {theirs}), {how}: `{shown}`",
                krate.root
            ));
        }
    }
    problems
}

/// The Rust files under `dir`, as (path relative to `dir` with `/`, text).
pub fn read_sources(dir: &Path) -> Vec<(String, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(base).expect("under the base").to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// The names lib.rs re-exports from a layer folder (`pub use base::{format,
/// input};` makes `crate::format` a path into `base`), by name.
fn root_aliases(lib: &str, rank: &HashMap<&str, u32>) -> HashMap<String, String> {
    let mut aliases = HashMap::new();
    let mut rest = lib;
    while let Some(i) = find_word(rest, "use") {
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else { break };
        let tree = after[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        let tree = tree.strip_prefix("crate::").or_else(|| tree.strip_prefix("self::")).unwrap_or(&tree);
        if let Some((first, _)) = tree.split_once("::") {
            if rank.contains_key(first.trim()) {
                for name in leaf_names(tree) {
                    aliases.insert(name, first.trim().to_string());
                }
            }
        }
        rest = &after[end..];
    }
    aliases
}

/// The names a use tree brings into scope: `a::{b, c::d as e, self}` gives
/// `b`, `e`, `a`.
fn leaf_names(tree: &str) -> Vec<String> {
    fn walk(tree: &str, parent: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(open) = tree.find('{') {
            let prefix = tree[..open].trim_end().trim_end_matches("::");
            let last = prefix.rsplit("::").next().map_or(parent, str::trim);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let (mut level, mut start) = (0, 0);
            for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        walk(&inner[start..i], last, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else if let Some((_, alias)) = tree.split_once(" as ") {
            out.push(alias.trim().to_string());
        } else {
            let last = tree.rsplit("::").next().map_or(tree, str::trim);
            if last == "self" {
                out.push(parent.to_string());
            } else if last != "*" {
                out.push(last.to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(tree, "", &mut out);
    out
}

/// Each path in `code` (already blanked) that starts at the crate root, as
/// (byte offset, the path as written, one per item of a `{...}` group). A
/// file's module sits `depth` below the root; inline `mod x { ... }` blocks
/// add one each.
fn root_paths(code: &str, depth: usize) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut found = Vec::new();
    let (mut braces, mut mod_braces, mut mod_opens) = (0usize, Vec::new(), false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                braces += 1;
                if mod_opens {
                    mod_braces.push(braces);
                    mod_opens = false;
                }
                i += 1;
            }
            b'}' => {
                if mod_braces.last() == Some(&braces) {
                    mod_braces.pop();
                }
                braces = braces.saturating_sub(1);
                i += 1;
            }
            b';' => {
                mod_opens = false; // `mod x;`: a file, not a block
                i += 1;
            }
            c if is_ident(c) && (i == 0 || !is_ident(b[i - 1])) => {
                let word = ident_at(code, i);
                let next = i + word.len();
                match word {
                    "mod" => mod_opens = true,
                    "crate" if code[next..].starts_with("::") => {
                        for item in paths_at(&code[next + 2..]) {
                            found.push((i, format!("crate::{item}")));
                        }
                    }
                    "super" if code[next..].starts_with("::") => {
                        let mut climbs = 1;
                        let mut at = next + 2;
                        while code[at..].starts_with("super::") {
                            climbs += 1;
                            at += "super::".len();
                        }
                        if climbs >= depth + mod_braces.len() {
                            for item in paths_at(&code[at..]) {
                                found.push((i, format!("{}{item}", "super::".repeat(climbs))));
                            }
                        }
                        i = at;
                        continue;
                    }
                    _ => {}
                }
                i = next;
            }
            _ => i += 1,
        }
    }
    found
}

/// The path at the start of `rest` (`a::b::C`), or each path of a `{...}`
/// group.
fn paths_at(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let (mut level, mut start, mut out) = (0, 0, Vec::new());
        for (i, c) in group.char_indices() {
            match c {
                '{' => level += 1,
                '}' if level == 0 => {
                    out.extend(Some(path_text(&group[start..i])).filter(|s| !s.is_empty()));
                    break;
                }
                '}' => level -= 1,
                ',' if level == 0 => {
                    out.extend(Some(path_text(&group[start..i])).filter(|s| !s.is_empty()));
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.into_iter().map(str::to_string).collect()
    } else {
        vec![path_text(rest).to_string()]
    }
}

/// The path at the start of `s` (names and `::`), without what follows it.
fn path_text(s: &str) -> &str {
    let s = s.trim_start();
    let len = s.bytes().take_while(|&c| is_ident(c) || c == b':').count();
    s[..len].trim_end_matches(':')
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_at(s: &str, i: usize) -> &str {
    let len = s.as_bytes()[i..].iter().take_while(|&&c| is_ident(c)).count();
    &s[i..i + len]
}

fn find_word(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    s.match_indices(word)
        .map(|(i, _)| i)
        .find(|&i| (i == 0 || !is_ident(b[i - 1])) && b.get(i + word.len()).is_none_or(|&c| !is_ident(c)))
}

/// `src` with comments and string and character literals turned into spaces
/// (line breaks kept, so lines and byte offsets stay where they were).
pub fn blank(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let clear = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let starts_word = i == 0 || !is_ident(b[i - 1]);
        if b[i..].starts_with(b"//") {
            let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
            clear(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let (mut level, mut j) = (1, i + 2);
            while j < b.len() && level > 0 {
                if b[j..].starts_with(b"/*") {
                    level += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    level -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            clear(&mut out, i, j);
            i = j;
        } else if starts_word && (b[i] == b'r' || b[i..].starts_with(b"br")) && raw_string_at(b, i).is_some() {
            let end = raw_string_at(b, i).unwrap();
            clear(&mut out, i, end);
            i = end;
        } else if b[i] == b'"' || (starts_word && b[i..].starts_with(b"b\"")) {
            let mut j = i + if b[i] == b'b' { 2 } else { 1 };
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            clear(&mut out, i, j + 1);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '"'), else a lifetime or label.
            let end = if b.get(i + 1) == Some(&b'\\') {
                // The escaped character may itself be a quote: '\''.
                b.get(i + 3..).and_then(|rest| rest.iter().position(|&c| c == b'\'')).map(|n| i + 3 + n + 1)
            } else {
                src[i + 1..]
                    .chars()
                    .next()
                    .map(|c| i + 1 + c.len_utf8())
                    .filter(|&j| b.get(j) == Some(&b'\''))
                    .map(|j| j + 1)
            };
            match end {
                Some(end) => {
                    clear(&mut out, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced, and whole characters")
}

/// The end of a raw string literal (`r"..."`, `r#"..."#`, `br#"..."#`) that
/// starts at `i`, if one does.
fn raw_string_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + if b[i] == b'b' { 2 } else { 1 };
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    j += hashes;
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
    let end = b[j + 1..].windows(close.len()).position(|w| w == close.as_slice())?;
    Some(j + 1 + end + close.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
    }

    const TINY: Layered = Layered {
        root: "tiny",
        layers: &[("base", 0), ("panels", 1), ("tools", 1), ("shell", 2)],
        exempt: &["lib.rs", "bin"],
    };

    /// The check itself, on the real sources: run with
    /// `cargo test -p xtask layers`.
    #[test]
    fn every_import_points_down() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent");
        for krate in LAYERED {
            let sources = read_sources(&repo.join(krate.root));
            assert!(sources.len() > krate.layers.len(), "{}: too few sources read", krate.root);
            let problems = check(krate, &sources);
            assert!(
                problems.is_empty(),
                "imports that point up (a module imports only from its own folder or the folders below it; \
                 ARCHITECTURE.md):\n{}",
                problems.join("\n")
            );
        }
    }

    #[test]
    fn the_checker_finds_imports_that_point_up() {
        let sources = files(&[
            ("lib.rs", "pub mod base;\npub mod panels;\npub mod shell;\npub use base::{format, input as keys};\n"),
            ("bin/tool.rs", "use crate::shell::x; // a separate crate\n"),
            ("base/mod.rs", "pub mod format;\npub mod page;\n"),
            (
                "base/format.rs",
                "// crate::shell::app in a comment\n/* and /* nested */ crate::shell */\n\
                 const S: &str = \"crate::shell::app\";\nconst R: &str = r#\"crate::shell \"# ;\n\
                 fn f<'a>(x: &'a str) -> char { '\"' }\nconst C: char = '\\'';\npub fn number() {}\n",
            ),
            ("base/page.rs", "use super::format;\nfn g() {\n    crate::panels::chart::draw();\n}\n"),
            ("panels/mod.rs", "pub mod chart;\npub mod table;\nuse super::shell::app;\n"),
            (
                "panels/chart.rs",
                "use crate::base::format;\nuse super::table;\npub fn draw() { crate::format::number(); crate::keys::x(); }\n\
                 #[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::table::T;\n}\n",
            ),
            ("panels/table.rs", "use crate::{base::page, shell::app::App};\nuse crate::tools::T;\n"),
            ("tools/mod.rs", "pub struct T;\n"),
            ("shell/app.rs", "use crate::{base::format, panels::chart};\nfn f() { let _ = crate::mount; }\n"),
            ("extra.rs", "pub fn nothing() {}\n"),
        ]);
        let problems = check(&TINY, &sources);
        let expected = [
            "tiny/base/page.rs:3: `base` (rank 0) imports from `panels` (rank 1), a layer above it: `crate::panels::chart::draw`",
            "tiny/panels/mod.rs:3: `panels` (rank 1) imports from `shell` (rank 2), a layer above it: `super::shell::app`",
            "tiny/panels/table.rs:1: `panels` (rank 1) imports from `shell` (rank 2), a layer above it: `crate::shell::app::App`",
            "tiny/panels/table.rs:2: `panels` (rank 1) imports from `tools` (rank 1), a layer of the same rank: `crate::tools::T`",
            "tiny/shell/app.rs:2: `crate::mount`: `mount` is neither a layer folder nor re-exported from one in lib.rs",
            "tiny/extra.rs: `extra` is in no layer: give it a rank in xtask/src/layers.rs (or exempt it)",
        ];
        let mut got = problems.clone();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{}", problems.join("\n"));
    }

    #[test]
    fn blanking_keeps_lines_and_code() {
        let src = "let a = \"x\\\"y\"; // c\nlet b = 'q'; let l: &'static str = r\"z\";\n/* m\n */ crate::a::b";
        let out = blank(src);
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(out.contains("let a =") && !out.contains('x') && !out.contains("// c"));
        assert!(out.contains("&'static str") && !out.contains('q') && !out.contains('z'));
        assert!(out.ends_with("crate::a::b"));
    }

    #[test]
    fn use_trees_name_their_leaves() {
        assert_eq!(
            leaf_names("base::{format, input as keys, page::{self, Options}}"),
            ["format", "keys", "page", "Options"]
        );
        assert_eq!(leaf_names("canvas::particles"), ["particles"]);
        assert_eq!(leaf_names("run::{runner, trial,}"), ["runner", "trial"]);
        assert!(leaf_names("run::*").is_empty());
    }
}
