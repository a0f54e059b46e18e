//! What the inspector lets a user edit on a node: each field's place in the
//! node's JSON, its words and unit, and how it is entered. Each kind's file
//! lists its own ([`crate::model::kinds::Settings::fields`]); the groups
//! several kinds share are here.

/// One editable field: where it sits in the node's JSON, how to show it.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub pointer: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub kind: FieldKind,
    pub help: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldKind {
    Number,
    /// A number or blank (null: none / unbounded).
    Optional(&'static str),
    Choice(&'static [&'static str]),
    /// true / false, shown as a checkbox.
    Toggle,
    /// An optional group of settings: a checkbox that sets the field to this
    /// JSON (the defaults) when ticked and to null when cleared.
    Enabled(&'static str),
    /// A machine size from this price list, or "custom" (workers set by hand).
    Size(crate::blocks::pricing::InstanceKind),
}

pub(crate) const STATION_FIELDS: &[Field] = &[
    Field { pointer: "/workers", label: "Workers", unit: "", kind: FieldKind::Number, help: "requests served at the same time" },
    Field { pointer: "/service/dist", label: "Service time", unit: "", kind: FieldKind::Choice(crate::model::scenario::DISTS), help: "how service times vary" },
    Field { pointer: "/service/mean_ms", label: "Mean service", unit: "ms", kind: FieldKind::Number, help: "one request on one worker" },
    Field { pointer: "/service/cv", label: "Variation (cv)", unit: "", kind: FieldKind::Optional("—"), help: "lognormal only: standard deviation / mean" },
    Field { pointer: "/queue_limit", label: "Queue limit", unit: "req", kind: FieldKind::Optional("unbounded"), help: "waiting requests beyond this are rejected at once, so an overloaded server fails fast instead of making everyone wait" },
    Field { pointer: "/timeout_ms", label: "Timeout", unit: "ms", kind: FieldKind::Optional("none"), help: "a request not answered within this long (queued, served and waiting on calls) fails with a timeout" },
    Field { pointer: "/discipline", label: "Queue order", unit: "", kind: FieldKind::Choice(crate::model::scenario::DISCIPLINES), help: "which waiting request is served next: the oldest (fifo), the newest (lifo), or the newest only while many wait (adaptive lifo: 10 or more, unless the file sets lifo_above)" },
    Field { pointer: "/max_wait_ms", label: "Max wait", unit: "ms", kind: FieldKind::Optional("none"), help: "a request that waited longer is dropped (shed) instead of served late, when its caller has probably given up" },
    Field { pointer: "/drop_abandoned", label: "Drop abandoned", unit: "", kind: FieldKind::Toggle, help: "drop a request whose caller has already given up instead of doing work nobody will use" },
];
/// A station's contention: the checkbox, and its settings while it is on.
const CONTENTION_FIELDS: &[Field] = &[
    Field {
        pointer: "/contention",
        label: "Contention",
        unit: "",
        kind: FieldKind::Enabled("{}"),
        help: "a crowded server works slower: with many requests in memory the garbage collector runs more, and threads queue for the same locks",
    },
    Field {
        pointer: "/contention/knee",
        label: "Slows from",
        unit: "req",
        kind: FieldKind::Number,
        help: "requests at the node (in service and waiting) it can hold at full speed; per machine in a group",
    },
    Field {
        pointer: "/contention/slope",
        label: "Slow-down per request",
        unit: "",
        kind: FieldKind::Number,
        help: "extra service time each request beyond that adds, as a share of the normal time (0.01: 1% more)",
    },
    Field {
        pointer: "/contention/max_factor",
        label: "At most",
        unit: "× slower",
        kind: FieldKind::Number,
        help: "the slowest it gets, as a multiple of the normal service time",
    },
];

/// The fields of a call policy ([`crate::model::scenario::CallPolicy`]) kept
/// under `$root` (users' `/retry`, a web server's `/calls`): the checkbox,
/// then what is on, and the function that picks the groups a policy uses.
macro_rules! policy_fields {
    ($group:ident, $root:literal, $on_label:literal, $on_help:literal, $per:literal, breaker: $breaker:literal) => {
        /// The group of a call policy: its checkbox, and what applies to
        /// the policy it has (the delays only with a backoff, the cap only
        /// when exponential, the budget's settings while it is on).
        pub(crate) fn $group(policy: Option<&crate::model::scenario::CallPolicy>) -> Vec<&'static [Field]> {
            use crate::model::scenario::BackoffKind;
            const ON: &[Field] =
                &[Field { pointer: $root, label: $on_label, unit: "", kind: FieldKind::Enabled("{}"), help: $on_help }];
            const FIELDS: &[Field] = &[
                Field {
                    pointer: concat!($root, "/attempt_timeout_ms"),
                    label: "Attempt timeout",
                    unit: "ms",
                    kind: FieldKind::Optional("none"),
                    help: "how long to wait for each attempt's answer, wires included; then it counts as failed (the work below goes on)",
                },
                Field {
                    pointer: concat!($root, "/max_attempts"),
                    label: "Attempts",
                    unit: "at most",
                    kind: FieldKind::Number,
                    help: concat!("attempts per ", $per, ", the first included (1: no retries); failures worth retrying are tried again while attempts remain"),
                },
                Field {
                    pointer: concat!($root, "/backoff"),
                    label: "Backoff",
                    unit: "",
                    kind: FieldKind::Choice(crate::model::scenario::BACKOFFS),
                    help: "the wait before a retry: none (at once), constant, or exponential (doubling each time, up to a cap)",
                },
            ];
            const DELAY: &[Field] = &[Field {
                pointer: concat!($root, "/backoff_ms"),
                label: "First wait",
                unit: "ms",
                kind: FieldKind::Number,
                help: "the wait before a retry (exponential: before the first, then doubled)",
            }];
            const CAP: &[Field] = &[Field {
                pointer: concat!($root, "/backoff_cap_ms"),
                label: "Longest wait",
                unit: "ms",
                kind: FieldKind::Number,
                help: "the exponential backoff stops doubling here",
            }];
            const JITTER: &[Field] = &[Field {
                pointer: concat!($root, "/jitter"),
                label: "Jitter",
                unit: "",
                kind: FieldKind::Choice(crate::model::scenario::JITTERS),
                help: "spreads the waits so retries do not come back together: full (anywhere from 0 to the wait) or equal (from half the wait to all of it)",
            }];
            const BUDGET_ON: &[Field] = &[Field {
                pointer: concat!($root, "/budget"),
                label: "Retry budget",
                unit: "",
                kind: FieldKind::Enabled("{}"),
                help: "each retry spends a token and each success earns back part of one, so retries stop when most attempts fail",
            }];
            const BUDGET: &[Field] = &[
                Field {
                    pointer: concat!($root, "/budget/tokens"),
                    label: "Tokens",
                    unit: "",
                    kind: FieldKind::Number,
                    help: "retries that may be spent at once (the bucket's size, full at the start)",
                },
                Field {
                    pointer: concat!($root, "/budget/refill"),
                    label: "Earned per success",
                    unit: "token",
                    kind: FieldKind::Number,
                    help: "what a successful attempt puts back (0.1: one retry per ten successes in the long run)",
                },
            ];
            const BREAKER_ON: &[Field] = &[Field {
                pointer: concat!($root, "/breaker"),
                label: "Circuit breaker",
                unit: "",
                kind: FieldKind::Enabled("{}"),
                help: "stops calling a dependency that keeps failing: for a while each call fails at once without being sent, then a few trial calls check whether it is back",
            }];
            const BREAKER: &[Field] = &[
                Field {
                    pointer: concat!($root, "/breaker/window_s"),
                    label: "Window",
                    unit: "s",
                    kind: FieldKind::Number,
                    help: "the calls of this many recent seconds are counted",
                },
                Field {
                    pointer: concat!($root, "/breaker/min_calls"),
                    label: "At least",
                    unit: "calls",
                    kind: FieldKind::Number,
                    help: "it never opens on fewer calls than this in the window",
                },
                Field {
                    pointer: concat!($root, "/breaker/threshold"),
                    label: "Opens at",
                    unit: "failed",
                    kind: FieldKind::Number,
                    help: "the share of the window's calls that failed which opens it (0.5: half); a 429 is not a failure",
                },
                Field {
                    pointer: concat!($root, "/breaker/cooldown_s"),
                    label: "Open for",
                    unit: "s",
                    kind: FieldKind::Number,
                    help: "how long it refuses every call before trying again",
                },
                Field {
                    pointer: concat!($root, "/breaker/trial_calls"),
                    label: "Trial calls",
                    unit: "",
                    kind: FieldKind::Number,
                    help: "calls let through after that: all succeed, it closes; one fails, it opens again",
                },
            ];
            const POOL_ON: &[Field] = &[Field {
                pointer: concat!($root, "/pool"),
                label: "Connection pool",
                unit: "",
                kind: FieldKind::Enabled("{}"),
                help: "calls share a fixed set of open connections to each tier; when all are taken a call waits in line for one, and that wait is part of the request's time",
            }];
            const POOL: &[Field] = &[
                Field {
                    pointer: concat!($root, "/pool/size"),
                    label: "Connections",
                    unit: "per wire",
                    kind: FieldKind::Number,
                    help: "calls that can be out at once to each node this server calls",
                },
                Field {
                    pointer: concat!($root, "/pool/max_wait_ms"),
                    label: "Max wait",
                    unit: "ms",
                    kind: FieldKind::Optional("none"),
                    help: "a call that has waited this long for a connection fails (a timeout, not retried) instead of waiting on",
                },
            ];
            let Some(p) = policy else { return vec![ON] };
            let mut groups = vec![ON, FIELDS];
            match p.backoff {
                BackoffKind::None => {}
                BackoffKind::Constant => groups.extend([DELAY, JITTER]),
                BackoffKind::Exponential => groups.extend([DELAY, CAP, JITTER]),
            }
            groups.push(BUDGET_ON);
            if p.budget.is_some() {
                groups.push(BUDGET);
            }
            if $breaker {
                groups.push(BREAKER_ON);
                if p.breaker.is_some() {
                    groups.push(BREAKER);
                }
                groups.push(POOL_ON);
                if p.pool.is_some() {
                    groups.push(POOL);
                }
            }
            groups
        }
    };
}

policy_fields!(
    retry_fields,
    "/retry",
    "Timeouts and retries",
    "give up on each attempt after a while, and try again when an attempt fails",
    "request",
    breaker: false
);
policy_fields!(
    calls_fields,
    "/calls",
    "Calls: timeouts and retries",
    "give up on each call to the cache, database or queue after a while, and try the call again when it fails (the server keeps trying even after its user has given up)",
    "call",
    breaker: true
);

/// The contention group of a station: only its checkbox while it is off.
pub(crate) fn contention_fields(station: &crate::model::scenario::StationSpec) -> &'static [Field] {
    if station.contention.is_some() {
        CONTENTION_FIELDS
    } else {
        &CONTENTION_FIELDS[..1]
    }
}

pub(crate) const AUTOSCALE_FIELDS: &[Field] = &[
    Field {
        pointer: "/autoscale/min",
        label: "Minimum",
        unit: "machines",
        kind: FieldKind::Number,
        help: "never fewer",
    },
    Field {
        pointer: "/autoscale/max",
        label: "Maximum",
        unit: "machines",
        kind: FieldKind::Number,
        help: "never more",
    },
    Field {
        pointer: "/autoscale/target",
        label: "Target",
        unit: "",
        kind: FieldKind::Number,
        help: "web servers: utilisation 0..1 to keep; workers: waiting jobs per machine",
    },
    Field {
        pointer: "/autoscale/boot_s",
        label: "Boot time",
        unit: "s",
        kind: FieldKind::Number,
        help: "a new machine serves this long after it is started",
    },
    Field {
        pointer: "/autoscale/cooldown_s",
        label: "Cooldown",
        unit: "s",
        kind: FieldKind::Number,
        help: "lower load must last this long before machines are stopped",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::{BackoffKind, CallPolicy, RetryBudget};

    fn pointers(groups: Vec<&'static [Field]>) -> Vec<&'static str> {
        groups.concat().iter().map(|f| f.pointer).collect()
    }

    /// Each setting is offered only where the policy uses it, so the
    /// inspector never shows a field the parser would refuse or ignore.
    #[test]
    fn the_calls_group_is_the_retry_group_under_calls_and_a_breaker() {
        assert_eq!(pointers(calls_fields(None)), ["/calls"]);
        let budgeted = crate::model::scenario::CallPolicy {
            backoff: crate::model::scenario::BackoffKind::Exponential,
            budget: Some(crate::model::scenario::RetryBudget { tokens: 10, refill: 0.1 }),
            ..crate::model::scenario::CallPolicy::attempts(4, Some(100.0))
        };
        let mut retry: Vec<String> =
            pointers(retry_fields(Some(&budgeted))).iter().map(|p| p.replace("/retry", "/calls")).collect();
        retry.push("/calls/breaker".into());
        retry.push("/calls/pool".into());
        assert_eq!(pointers(calls_fields(Some(&budgeted))), retry);
    }

    #[test]
    fn the_retry_group_shows_what_the_policy_uses() {
        assert_eq!(pointers(retry_fields(None)), ["/retry"]);
        let plain = CallPolicy::attempts(3, None);
        assert_eq!(
            pointers(retry_fields(Some(&plain))),
            ["/retry", "/retry/attempt_timeout_ms", "/retry/max_attempts", "/retry/backoff", "/retry/budget"]
        );
        let constant = CallPolicy { backoff: BackoffKind::Constant, backoff_ms: Some(50.0), ..plain };
        assert!(pointers(retry_fields(Some(&constant))).contains(&"/retry/jitter"));
        assert!(!pointers(retry_fields(Some(&constant))).contains(&"/retry/backoff_cap_ms"));
        let exponential = CallPolicy {
            backoff: BackoffKind::Exponential,
            backoff_cap_ms: Some(2000.0),
            budget: Some(RetryBudget::DEFAULT),
            ..constant
        };
        let all = pointers(retry_fields(Some(&exponential)));
        for p in [
            "/retry/backoff_ms",
            "/retry/backoff_cap_ms",
            "/retry/jitter",
            "/retry/budget/tokens",
            "/retry/budget/refill",
        ] {
            assert!(all.contains(&p), "{p} in {all:?}");
        }
    }

    #[test]
    fn a_web_servers_calls_offer_a_breaker_and_its_settings_once_ticked() {
        use crate::model::scenario::BreakerSpec;
        let plain = CallPolicy::attempts(3, None);
        assert!(pointers(calls_fields(Some(&plain))).ends_with(&["/calls/breaker", "/calls/pool"]));
        assert!(!pointers(retry_fields(Some(&plain))).iter().any(|p| p.contains("breaker")), "users: files only");
        let guarded = CallPolicy { breaker: Some(BreakerSpec::DEFAULT), ..plain };
        let all = pointers(calls_fields(Some(&guarded)));
        for f in ["window_s", "min_calls", "threshold", "cooldown_s", "trial_calls"] {
            assert!(all.contains(&format!("/calls/breaker/{f}").as_str()), "{f} in {all:?}");
        }
    }

    #[test]
    fn a_web_servers_calls_offer_a_pool_and_its_settings_once_ticked() {
        use crate::model::scenario::PoolSpec;
        let plain = CallPolicy::attempts(1, None);
        assert!(!pointers(calls_fields(Some(&plain))).contains(&"/calls/pool/size"));
        assert!(!pointers(retry_fields(Some(&plain))).iter().any(|p| p.contains("pool")), "users have no pool");
        let pooled = CallPolicy { pool: Some(PoolSpec::DEFAULT), ..plain };
        assert!(pointers(calls_fields(Some(&pooled))).ends_with(&[
            "/calls/pool",
            "/calls/pool/size",
            "/calls/pool/max_wait_ms"
        ]));
    }
}
