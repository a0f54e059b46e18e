//! `scalelab`: run or check a scenario from the command line.
//!
//! ```text
//! scalelab run FILE [--seed N] [--duration S]   print the JSON report
//! scalelab validate FILE                        check a scenario, list every problem
//! ```
//! Exit codes: 0 success, 1 invalid scenario, 2 bad command line or unreadable file.

use scalelab_engine::{Scenario, ScenarioError, Simulation};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage:
  scalelab run FILE [--seed N] [--duration SECONDS]   run a scenario, print the JSON report
  scalelab validate FILE                              check a scenario and list every problem";

struct Args {
    command: String,
    file: String,
    seed: Option<u64>,
    duration: Option<f64>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = args.next().ok_or("missing command")?;
    if command != "run" && command != "validate" {
        return Err(format!("unknown command \"{command}\""));
    }
    let mut file = None;
    let (mut seed, mut duration) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" if command == "run" => {
                let v = args.next().ok_or("--seed needs a value")?;
                seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed must be a whole number from 0 to {}, not \"{v}\"", u64::MAX))?,
                );
            }
            "--duration" if command == "run" => {
                let v = args.next().ok_or("--duration needs a value")?;
                let d: f64 = v.parse().map_err(|_| format!("--duration must be a number of seconds, not \"{v}\""))?;
                duration = Some(d);
            }
            other if other.starts_with("--") => return Err(format!("unknown option \"{other}\"")),
            other if file.is_none() => file = Some(other.to_string()),
            other => return Err(format!("unexpected argument \"{other}\"")),
        }
    }
    Ok(Args { command, file: file.ok_or("missing FILE")?, seed, duration })
}

fn load(args: &Args) -> Result<Scenario, ExitCode> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        eprintln!("scalelab: cannot read {}: {e}", args.file);
        ExitCode::from(2)
    })?;
    // Overrides are applied to the JSON before checking, so they are validated
    // (and named in messages) exactly like fields written in the file.
    // Size limit and syntax are checked exactly as the library checks them.
    let mut value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) if text.len() <= scalelab_engine::limits::MAX_DOCUMENT_BYTES => v,
        _ => {
            let err: ScenarioError = Scenario::from_json(&text).expect_err("too large or not JSON");
            eprintln!("scalelab: {}: {err}", args.file);
            return Err(ExitCode::from(1));
        }
    };
    if let Some(obj) = value.as_object_mut() {
        if let Some(seed) = args.seed {
            obj.insert("seed".into(), seed.into());
        }
        if let Some(d) = args.duration {
            obj.insert(
                "duration_s".into(),
                serde_json::Number::from_f64(d).map(Into::into).unwrap_or(serde_json::Value::Null),
            );
        }
    }
    scalelab_engine::parse::parse_value(&value).map_err(|err| {
        eprintln!("scalelab: {}: {err}", args.file);
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scalelab: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scenario = match load(&args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match args.command.as_str() {
        "validate" => {
            for w in scalelab_engine::warnings(&scenario) {
                println!("warning: {w}");
            }
            println!(
                "{}: valid scenario (format version {}, {} nodes, {} links)",
                args.file,
                scenario.version,
                scenario.nodes.len(),
                scenario.links.len()
            );
        }
        _ => {
            let started = Instant::now();
            let mut sim = Simulation::new(scenario);
            sim.run_to_end();
            let mut report = sim.report();
            report.wall_ms = started.elapsed().as_secs_f64() * 1e3;
            println!("{}", report.to_json_pretty());
        }
    }
    ExitCode::SUCCESS
}
