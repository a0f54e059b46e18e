//! The engine's integration tests, in one binary (one link step, shared helpers).
//! Run them in release mode: `cargo test --release -p scalelab-engine`
//! (add `-- --nocapture` to see every simulated value next to its theory).
//!
//! - `queueing`: M/M/1, M/M/c (Erlang C), M/D/1 and M/G/1 (Pollaczek–Khinchine),
//!   M/M/1/K and M/G/c/c (Erlang B) blocking, timeouts, Poisson splitting by a
//!   random balancer, E2/M/1 under round robin; formulas in `theory`, the
//!   statistical rule (5 standard errors over 20-40 replications, plus a
//!   stated resolution) in `support::check`.
//! - `little`: Little's law at every station, with and without failures, and
//!   end-to-end latency as the sum of its parts.
//! - `invariants`: conservation (against a scan of the request arena) and
//!   chunked stepping over random scenarios (proptest), memory, sampling.
//! - `determinism`: same seed same bytes, other seed other run, independent
//!   random streams per node.
//! - `invalid`: bad documents, each named by the path of its field.
//! - `fuzz`: arbitrary and mutated documents never panic the reader, are
//!   refused by field or run with finite, balanced numbers
//!   (`SCALELAB_FUZZ_CASES=N` for more cases).
//! - `blueprints`: the designs of real systems (`blueprints/`): each preset
//!   meets or misses its goal as its note says on three seeds, the note's
//!   change flips it, and the note quotes the envelope's arithmetic.
//! - `golden`: every shipped scenario and lesson, and scripted live edits,
//!   give the bytes recorded in `tests/golden_outputs.txt` (a guard for
//!   changes that must not change a number).
//! - `formats`: scenario format versions: version 1 migrated to the
//!   current one, newer versions refused.
//! - `cli`: the `scalelab` binary: report keys, overrides, exit codes.
//! - `client_timeout`: users who give up: one outcome each, the late answers
//!   and later server timeouts dropped, the default, edits, traces.
//! - `edits`: live edits and faults on a running simulation.
//! - `faults`: injected errors (the share asked for) and latency spikes
//!   (they end by themselves, at the speed before them).
//! - `compare`: A/B figures and the table of differences.
//! - `reliability`: nonsense parameters refused by field, the in-flight cap,
//!   bounded memory over long runs.
//! - `overload`: the overload examples (`examples/`): each fails as shipped
//!   and recovers with the change its note suggests.
//! - `limiter`: the rate limiter against its algorithms (token bucket: the
//!   rate and at most the burst more; sliding window: the rate within 2%),
//!   per user, a refusal's latency, conservation and determinism.
//! - `contention`: a station slower when crowded: capacity at a held number
//!   of requests is c / (S0 · m(n)); the tipping-point example stays down
//!   after a spike unless its queue is kept under the tipping point.
//! - `shedding`: FIFO and LIFO share the M/M/1 mean wait but not the tail,
//!   the maximum wait holds, LIFO's memory stays flat, goodput collapse.
//! - `pools`: connection pools on a web server's calls: an M/M/c queue
//!   (Erlang C) in front of a database that never queues, the longest wait,
//!   crashes and edits with calls waiting, traces and the breakdown.
//! - `attempts`: users with a call policy: attempts timed out at the M/M/1
//!   response-time tail, one attempt without a timeout the same run as none,
//!   requests and attempts each conserved, policy edits while running.
//! - `retries`: retries at the users: attempts per request (1 − pⁿ)/(1 − p)
//!   and success 1 − pⁿ under independent failures, the retry budget's
//!   bound, backoff and jitter in traces, causes not retried, both books.
//! - `schema`: the scenario format's JSON Schema (`public/schema/scenario.json`):
//!   every shipped scenario follows it, it is the current format version,
//!   and it agrees with the parser on a sample of the fuzz corpus (what the
//!   parser accepts it accepts; what the parser refuses it refuses, but for
//!   wiring, references and limits relating two fields, which are counted).
//! - `calls`: web servers' call policy (`calls`): retries amplify the
//!   database's load by (1 − pⁿ)/(1 − p), a retry picks its replica again
//!   (a live one after a crash), the calls' own books through timeouts,
//!   give-ups, crashes, edits and any stepping, traces that keep the users'
//!   attempt numbers.
//! - `utilization`: busy over available workers: autoscaling groups at their
//!   size at each instant, servers that are down left out, never above 100%.

mod attempts;
mod blueprints;
mod breaker;
mod calls;
mod cli;
mod client_timeout;
mod compare;
mod components;
mod contention;
mod determinism;
mod edits;
mod faults;
mod formats;
mod fuzz;
mod golden;
mod invalid;
mod invariants;
mod lesson_goals;
mod lessons;
mod limiter;
mod little;
mod live_window;
mod node_theory;
mod overload;
mod pools;
mod queueing;
mod reliability;
mod resilience;
mod resilience_progress;
mod retries;
mod schema;
mod shedding;
mod support;
mod theory;
mod traces;
mod utilization;
