//! Pinned tool versions and the small parsers that check them.

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// trunk 0.22 needs a newer rustc than the machines have; 0.21 works.
pub const TRUNK_SERIES: &str = "0.21.";
pub const TRUNK_REQUIREMENT: &str = "~0.21";
/// Debian's binaryen is too old for what rustc emits; npm's 132 is right.
pub const BINARYEN_PACKAGE: &str = "binaryen@132.0.0";
pub const WASM_OPT_VERSION: &str = "version_132";
pub const PLAYWRIGHT_VERSION: &str = "1.65.1";

/// The version of package `name` in a Cargo.lock.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let v = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(v.to_string());
        }
    }
    None
}

/// Fails unless Trunk.toml's `wasm_bindgen` equals the locked wasm-bindgen version
/// (trunk runs the CLI of that version; a mismatch fails at build time).
pub fn check_trunk_pin(trunk_toml: &str, locked: &str) -> Result<(), String> {
    let pinned = trunk_toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("wasm_bindgen"))
        .and_then(|rest| rest.trim().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_string());
    match pinned {
        Some(v) if v == locked => Ok(()),
        Some(v) => Err(format!(
            "Trunk.toml pins wasm_bindgen = \"{v}\" but Cargo.lock has wasm-bindgen {locked}; make them equal"
        )),
        None => Err("Trunk.toml has no [tools] wasm_bindgen pin".into()),
    }
}

/// A top-level number in a JSON text, found by key (enough for our own reports).
pub fn json_number(text: &str, key: &str) -> Option<f64> {
    let needle = format!("\"{key}\":");
    let start = text.find(&needle)? + needle.len();
    let rest = text[start..].trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.130\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "leptos"), None);
    }

    #[test]
    fn the_repository_pins_agree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let trunk = std::fs::read_to_string(root.join("Trunk.toml")).unwrap();
        let locked = locked_version(&lock, "wasm-bindgen").unwrap();
        check_trunk_pin(&trunk, &locked).unwrap();
        let cargo_toml = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(cargo_toml.contains(&format!("wasm-bindgen = \"={locked}\"")), "Cargo.toml pins wasm-bindgen exactly");
    }

    #[test]
    fn a_mismatched_pin_is_named() {
        let err = check_trunk_pin("[tools]\nwasm_bindgen = \"0.2.100\"\n", "0.2.130").unwrap_err();
        assert!(err.contains("0.2.100") && err.contains("0.2.130"), "{err}");
    }

    #[test]
    fn finds_numbers_in_reports() {
        let t = "{\n  \"events\": 123,\n  \"wall_ms\": 4.5e1,\n \"x\": {\"events_per_s\": 7}}";
        assert_eq!(json_number(t, "events"), Some(123.0));
        assert_eq!(json_number(t, "wall_ms"), Some(45.0));
        assert_eq!(json_number(t, "events_per_s"), Some(7.0));
        assert_eq!(json_number(t, "missing"), None);
    }
}
