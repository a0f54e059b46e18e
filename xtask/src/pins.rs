//! Pinned tool versions and the small parsers that check them.

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// trunk 0.22 needs a newer rustc than the machines have; 0.21 works.
pub const TRUNK_SERIES: &str = "0.21.";
pub const TRUNK_REQUIREMENT: &str = "~0.21";
/// Debian's binaryen is too old for what rustc emits; npm's 132 is right.
pub const BINARYEN_PACKAGE: &str = "binaryen@132.0.0";
pub const WASM_OPT_VERSION: &str = "version_132";

/// Every version of package `name` in a Cargo.lock (a lock file may hold several).
pub fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let wanted = format!("name = \"{name}\"");
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")?.strip_suffix('"')) {
                versions.push(v.to_string());
            }
        }
    }
    versions
}

/// The one version of package `name` in a Cargo.lock; an error if it is absent or locked twice.
pub fn locked_version(lock: &str, name: &str) -> Result<String, String> {
    match locked_versions(lock, name).as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("Cargo.lock has no {name} entry")),
        many => Err(format!(
            "Cargo.lock holds {name} at several versions ({}); the wasm-bindgen CLI can match only one",
            many.join(", ")
        )),
    }
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

/// One installed-package entry of an npm lock file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NpmEntry {
    pub path: String,
    pub version: String,
    pub integrity: String,
    /// `"optional": true`: npm may skip it (another platform's binary, say).
    pub optional: bool,
}

/// The installed-package entries of an npm lock file (`package-lock.json`, or
/// npm's record of what it installed, `node_modules/.package-lock.json`),
/// sorted; the root entry "" is left out. Reads the layout npm writes, not
/// arbitrary JSON.
pub fn npm_lock_packages(lock: &str) -> Vec<NpmEntry> {
    let mut out = Vec::new();
    let mut current: Option<NpmEntry> = None;
    for line in lock.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("\"node_modules/") {
            out.extend(current.take());
            if let Some(name) = rest.strip_suffix("\": {") {
                current = Some(NpmEntry {
                    path: format!("node_modules/{name}"),
                    version: String::new(),
                    integrity: String::new(),
                    optional: false,
                });
            }
        } else if let Some(entry) = current.as_mut() {
            let value = |key: &str| t.strip_prefix(key).map(|v| v.trim_end_matches(',').trim_matches('"').to_string());
            if let (Some(v), true) = (value("\"version\": "), entry.version.is_empty()) {
                entry.version = v;
            } else if let (Some(v), true) = (value("\"integrity\": "), entry.integrity.is_empty()) {
                entry.integrity = v;
            } else if t.starts_with("\"optional\": true") {
                entry.optional = true;
            }
        }
    }
    out.extend(current);
    out.sort();
    out
}

/// Whether what npm installed (its `node_modules/.package-lock.json`) matches
/// the committed `package-lock.json`: every required package at the locked
/// version and integrity, and nothing installed that the lock file lacks.
pub fn npm_install_is_current(package_lock: &str, installed_lock: &str) -> bool {
    let locked = npm_lock_packages(package_lock);
    let installed = npm_lock_packages(installed_lock);
    let same = |a: &NpmEntry, b: &NpmEntry| a.path == b.path && a.version == b.version && a.integrity == b.integrity;
    !locked.is_empty()
        && locked.iter().filter(|l| !l.optional).all(|l| installed.iter().any(|i| same(l, i)))
        && installed.iter().all(|i| locked.iter().any(|l| same(l, i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.130\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Ok("0.2.130"));
        assert!(locked_version(lock, "leptos").unwrap_err().contains("no leptos"));
        let twice = format!("{lock}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.100\"\n");
        let err = locked_version(&twice, "wasm-bindgen").unwrap_err();
        assert!(err.contains("0.2.130, 0.2.100"), "{err}");
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

    const NPM_LOCK: &str = r#"{
  "name": "scalelab-e2e",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "scalelab-e2e",
      "devDependencies": {
        "playwright-core": "1.65.1"
      }
    },
    "node_modules/playwright-core": {
      "version": "1.65.1",
      "integrity": "sha512-abc==",
      "dev": true,
      "engines": {
        "node": ">=20"
      }
    },
    "node_modules/@scope/fsevents": {
      "version": "2.0.0",
      "integrity": "sha512-def==",
      "optional": true
    }
  }
}"#;

    fn installed(version: &str) -> String {
        format!(
            "{{\n  \"name\": \"scalelab-e2e\",\n  \"packages\": {{\n    \"node_modules/playwright-core\": {{\n      \"version\": \"{version}\",\n      \"integrity\": \"sha512-abc==\",\n      \"dev\": true\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn reads_npm_lock_files() {
        let entries = npm_lock_packages(NPM_LOCK);
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(
            entries[0],
            NpmEntry {
                path: "node_modules/@scope/fsevents".into(),
                version: "2.0.0".into(),
                integrity: "sha512-def==".into(),
                optional: true
            }
        );
        assert_eq!(
            entries[1],
            NpmEntry {
                path: "node_modules/playwright-core".into(),
                version: "1.65.1".into(),
                integrity: "sha512-abc==".into(),
                optional: false
            }
        );
    }

    #[test]
    fn tells_a_stale_npm_install() {
        assert!(npm_install_is_current(NPM_LOCK, &installed("1.65.1")), "optional packages may be absent");
        assert!(!npm_install_is_current(NPM_LOCK, &installed("1.64.0")), "another version is stale");
        assert!(!npm_install_is_current(NPM_LOCK, ""), "nothing installed is stale");
        let extra = installed("1.65.1").replace(
            "      \"dev\": true\n    }\n",
            "      \"dev\": true\n    },\n    \"node_modules/left-over\": {\n      \"version\": \"1.0.0\"\n    }\n",
        );
        assert!(!npm_install_is_current(NPM_LOCK, &extra), "a package the lock file dropped is stale: {extra}");
    }

    /// The playwright-core that tests/e2e/package.json pins exactly (its API is what harness.js uses).
    const PLAYWRIGHT_VERSION: &str = "1.65.1";

    #[test]
    fn the_e2e_lock_pins_playwright() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let lock = std::fs::read_to_string(root.join("tests/e2e/package-lock.json")).unwrap();
        let packages = npm_lock_packages(&lock);
        assert!(
            packages.iter().any(|e| e.path == "node_modules/playwright-core" && e.version == PLAYWRIGHT_VERSION),
            "{packages:?}"
        );
    }
}
