//! `scalelab-bench`: the native measurements of `cargo xtask bench` that the
//! CLI cannot make. Not a user tool; every line it prints is one JSON object.
//!
//! ```text
//! scalelab-bench memory FILE [--hours 1,24]   live heap, arena and RSS at each simulated hour given
//! scalelab-bench run FILE [--duration S]      events, wall time and each node's mean wait
//! ```
//!
//! Heap figures come from a counting global allocator (bytes currently
//! allocated and the most ever allocated at once), RSS from /proc/self/status.

use scalelab_engine::{Scenario, Simulation};
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is passed straight to the system allocator; the counters
// only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A `kB` field of /proc/self/status (VmRSS, VmHWM), in bytes; 0 elsewhere.
fn proc_status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU time this process's main thread has run, in seconds, from
/// /proc/self/schedstat (nanoseconds): on a busy machine it shows what the
/// wall clock hides, the time the run actually had a core.
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()))
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn load(file: &str, duration: Option<f64>) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    if let (Some(d), Some(obj)) = (duration, value.as_object_mut()) {
        obj.insert("duration_s".into(), serde_json::Number::from_f64(d).ok_or("bad --duration")?.into());
    }
    scalelab_engine::parse::parse_value(&value).map_err(|e| format!("{file}: {e}"))
}

const SECOND: u64 = 1_000_000_000;

/// Runs to each simulated hour in `hours` (the scenario's duration is set to
/// the last) and prints the memory there.
fn memory(file: &str, hours: &[f64]) -> Result<(), String> {
    let last = hours.iter().cloned().fold(0.0, f64::max);
    let scenario = load(file, Some(last * 3600.0))?;
    let before = LIVE.load(Relaxed);
    let (start, cpu0) = (Instant::now(), cpu_s());
    let mut sim = Simulation::new(scenario);
    for &h in hours {
        let until = (h * 3600.0 * SECOND as f64) as u64;
        loop {
            let p = sim.run_until(until, 50_000_000);
            if p.reached || p.finished {
                break;
            }
        }
        println!(
            "{}",
            serde_json::json!({
                "sim_hours": h,
                "wall_s": start.elapsed().as_secs_f64(),
                "cpu_s": cpu_s() - cpu0,
                "events": sim.events(),
                "requests": sim.totals().generated,
                "heap_live_bytes": LIVE.load(Relaxed).saturating_sub(before),
                "heap_peak_bytes": PEAK.load(Relaxed),
                "arena_slots": sim.arena_capacity(),
                "live_requests": sim.live_requests(),
                "rss_bytes": proc_status_bytes("VmRSS:"),
                "rss_peak_bytes": proc_status_bytes("VmHWM:"),
            })
        );
    }
    Ok(())
}

/// Runs to the end and prints events, wall and CPU time and every node's arrivals and
/// mean wait (for the M/M/c comparison with a peer simulator).
fn run(file: &str, duration: Option<f64>) -> Result<(), String> {
    let scenario = load(file, duration)?;
    let (start, cpu0) = (Instant::now(), cpu_s());
    let mut sim = Simulation::new(scenario);
    sim.run_to_end();
    let wall_s = start.elapsed().as_secs_f64();
    let cpu_s = cpu_s() - cpu0;
    let report = sim.report();
    let nodes: serde_json::Map<String, serde_json::Value> = report
        .nodes
        .0
        .iter()
        .map(|(id, n)| {
            (id.clone(), serde_json::json!({"arrivals": n.summary.arrivals, "mean_wait_ms": n.summary.mean_wait_ms, "utilization": n.summary.utilization}))
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({"events": sim.events(), "wall_s": wall_s, "cpu_s": cpu_s, "requests": report.requests.generated, "nodes": nodes})
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let outcome = match (args.first().map(String::as_str), args.get(1)) {
        (Some("memory"), Some(file)) => {
            let hours: Result<Vec<f64>, _> =
                flag("--hours").unwrap_or_else(|| "1,24".into()).split(',').map(str::parse).collect();
            hours.map_err(|e| format!("--hours: {e}")).and_then(|h| memory(file, &h))
        }
        (Some("run"), Some(file)) => match flag("--duration").map(|d| d.parse::<f64>()).transpose() {
            Ok(d) => run(file, d),
            Err(e) => Err(format!("--duration: {e}")),
        },
        _ => Err("usage: scalelab-bench memory FILE [--hours 1,24] | run FILE [--duration S]".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scalelab-bench: {e}");
            ExitCode::from(2)
        }
    }
}
