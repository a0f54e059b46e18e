//! Users: a population sending requests (a rate, or daily users at their
//! busiest hour), what they read and write, where they are, and how long
//! they wait.

use crate::base::limits::*;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, NodeSpec, Settings, Spec};
use crate::model::parse::{join, Obj, Parser};
use crate::model::scenario::{CallPolicy, Node, RegionShare, Scenario};
use crate::model::spof::Graph;
use crate::model::validate::Wiring;
use serde::Serialize;
use serde_json::Value;

/// A traffic source: a population of users sending requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsersSpec {
    /// How much traffic: a request rate, or a number of daily users.
    #[serde(flatten)]
    pub rate: Rate,
    pub arrivals: Arrivals,
    pub mix: Mix,
    /// Distinct users the requests come from (sticky routing hashes the user).
    pub population: u64,
    /// Which data each request reads or writes (caches and replicas need it).
    pub keys: Keys,
    /// How the rate changes over time (a multiplier of the rate above).
    #[serde(skip_serializing_if = "is_steady")]
    pub profile: crate::blocks::profile::Profile,
    /// Where the users are; empty: nowhere in particular (no cross-region latency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionShare>,
    /// Share of requests from mobile apps (the rest from browsers): a mobile
    /// network adds `MOBILE_EXTRA_MS` each way on the first hop.
    pub mobile_share: f64,
    /// How long the users wait for an answer before they give up (cause
    /// `client_timeout`); `None`: they wait for ever. Absent from a document:
    /// [`DEFAULT_CLIENT_TIMEOUT_MS`]. Always written, `null` included, so a
    /// saved "never" stays never.
    pub client_timeout_ms: Option<f64>,
    /// How the users' client calls the site: a timeout per attempt and
    /// attempts per request (see [`CallPolicy`]); `None`: one attempt, as
    /// long as the users wait. Left out of a document when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<CallPolicy>,
}

/// How long users wait by default before giving up on a request: about the
/// limit of a person's attention on a page that does not answer (they reload
/// or leave), and the read timeout many mobile HTTP clients ship with. It is
/// longer than every server timeout in the lessons (2 to 5 s), so a server's
/// own timeout answers first and the users' patience is the last resort.
pub const DEFAULT_CLIENT_TIMEOUT_MS: f64 = 10_000.0;

/// Extra one-way latency of a mobile network over a fixed line, in milliseconds.
pub const MOBILE_EXTRA_MS: f64 = 30.0;

fn is_steady(p: &crate::blocks::profile::Profile) -> bool {
    *p == crate::blocks::profile::Profile::Steady
}

/// The data keys requests touch: `count` keys whose popularity follows Zipf's
/// law with exponent `zipf` (0: all equally popular; about 1: typical web
/// content), plus a `celebrity_share` of all requests that go to one key.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Keys {
    pub count: u64,
    pub zipf: f64,
    pub celebrity_share: f64,
}

impl Keys {
    pub const DEFAULT: Keys = Keys { count: 100_000, zipf: 0.9, celebrity_share: 0.0 };
}

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;

/// Traffic of a users node: either a request rate directly (`rps`), or daily
/// active users (`dau`) who each make `requests_per_user_per_day` requests, with
/// the busiest hour `peak_factor` times the day's average. The simulation runs
/// at the peak rate: that is what the architecture must survive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rate {
    Rps { rps: f64 },
    Users { dau: f64, requests_per_user_per_day: f64, peak_factor: f64 },
}

impl Rate {
    /// Requests per day of one user when only `dau` is given: a user who opens
    /// the site a few times a day, each visit a burst of page and API requests.
    pub const DEFAULT_REQUESTS_PER_USER_PER_DAY: f64 = 432.0;
    /// The busiest hour carries twice the day's average traffic.
    pub const DEFAULT_PEAK_FACTOR: f64 = 2.0;

    /// Daily users with the default habits.
    pub fn users(dau: f64) -> Rate {
        Rate::Users {
            dau,
            requests_per_user_per_day: Self::DEFAULT_REQUESTS_PER_USER_PER_DAY,
            peak_factor: Self::DEFAULT_PEAK_FACTOR,
        }
    }

    /// The request rate the simulation runs at (requests per second).
    pub fn rps(&self) -> f64 {
        match *self {
            Rate::Rps { rps } => rps,
            Rate::Users { dau, requests_per_user_per_day, peak_factor } => {
                dau * requests_per_user_per_day * peak_factor / DAY_S
            }
        }
    }
}

impl UsersSpec {
    pub fn rps(&self) -> f64 {
        self.rate.rps()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Independent arrivals: exponential gaps between requests.
    Poisson,
}

/// Shares of request kinds; they need not sum to 1 (they are normalised).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Mix {
    pub read: f64,
    pub write: f64,
    #[serde(rename = "static")]
    pub static_: f64,
    pub job: f64,
}

impl Mix {
    pub const ALL_READ: Mix = Mix { read: 1.0, write: 0.0, static_: 0.0, job: 0.0 };

    pub fn shares(&self) -> [f64; 4] {
        [self.read, self.write, self.static_, self.job]
    }
}

impl Spec for UsersSpec {
    const ABOUT: About = About {
        name: "users",
        label: "users",
        title: "Users",
        blurb: "People sending requests: a request rate, or daily users at their busiest hour. They give up waiting for an answer after 10 s.",
        id_prefix: "users",
        icon: "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 19c0-3 3-5 6-5s6 2 6 5v1H2zm12 1v-1c0-1.6-.6-3-1.7-4 .9-.6 2.2-1 3.7-1 3 0 6 2 6 5v1z",
        station: false,
        can_be_single_point: false,
        column: 0,
        figure: Figure::Rate,
        placed: r#"{"dau": 10000}"#,
        links: &[(NodeKind::LoadBalancer, LinkRole::Entry), (NodeKind::WebServer, LinkRole::Entry), (NodeKind::Dns, LinkRole::Entry), (NodeKind::Cdn, LinkRole::Static)],
        linked_from: &[],
        refuses: &[(NodeKind::Database, "users cannot call a database directly; put a web server in between")],
        only_from: Some("users only send requests; nothing sends requests to users"),
        calls: "users send their requests to the site's entry (a load balancer, a web server, a rate limiter or DNS) and static files to a CDN",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        p.users(obj)
    }

    fn skeleton() -> Self {
        UsersSpec {
            rate: Rate::Rps { rps: 0.0 },
            arrivals: Arrivals::Poisson,
            mix: Mix::ALL_READ,
            population: 1,
            keys: Keys::DEFAULT,
            profile: crate::blocks::profile::Profile::Steady,
            regions: Vec::new(),
            mobile_share: 0.0,
            client_timeout_ms: None,
            retry: None,
        }
    }
}

impl Settings for UsersSpec {
    /// People cost the design nothing.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        0.0
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        let rate = match self.rate {
            Rate::Rps { .. } => USERS_RPS_FIELDS,
            Rate::Users { .. } => USERS_DAU_FIELDS,
        };
        let profile: &[Field] = match self.profile {
            crate::blocks::profile::Profile::Steady => &[],
            crate::blocks::profile::Profile::Ramp { .. } => PROFILE_RAMP,
            crate::blocks::profile::Profile::Spike { .. } => PROFILE_SPIKE,
            crate::blocks::profile::Profile::Daily { .. } => PROFILE_DAILY,
        };
        let mut groups = vec![rate, PROFILE_SHAPE, profile, USERS_MIX_FIELDS, USERS_CLIENT_FIELDS, USERS_KEY_FIELDS];
        groups.extend(crate::model::fields::retry_fields(self.retry.as_ref()));
        groups
    }

    /// One entry for the site, and at most one CDN for static files.
    fn wiring_problems(&self, wiring: &Wiring) -> Vec<String> {
        let targets = wiring.targets();
        let cdns = targets.iter().filter(|&&t| matches!(wiring.s.nodes[t].spec, NodeSpec::Cdn(_))).count();
        let entries = targets.len() - cdns;
        if entries > 1 || cdns > 1 {
            return vec![format!(
                "users \"{}\" are linked to {} nodes; link them to one entry (a load balancer or DNS spreads traffic) and at most one CDN",
                wiring.node.id,
                targets.len()
            )];
        }
        Vec::new()
    }

    fn warning(&self, node: &Node, s: &Scenario) -> Option<String> {
        let linked = s.links.iter().any(|l| l.from == node.id);
        (!linked).then(|| {
            format!(
                "users \"{}\" are not linked to anything, so their requests fail; link them to a load balancer or web server",
                node.id
            )
        })
    }
}

impl Parser {
    fn users(&mut self, obj: &mut Obj<'_>) -> Option<UsersSpec> {
        let has_rps = obj.map.contains_key("rps");
        let has_dau = obj.map.contains_key("dau");
        let rate = if has_dau {
            if has_rps {
                self.issue(join(&obj.path, "rps"), "give either rps or dau (daily users), not both");
            }
            let _ = self.get(obj, "rps");
            let dau = self.number(obj, "dau", None, 0.0, MAX_DAU);
            let per_user =
                self.number(obj, "requests_per_user_per_day", Some(Rate::DEFAULT_REQUESTS_PER_USER_PER_DAY), 0.0, 1e6);
            let peak = self.number(obj, "peak_factor", Some(Rate::DEFAULT_PEAK_FACTOR), 1.0, 100.0);
            match (dau, per_user, peak) {
                (Some(dau), Some(requests_per_user_per_day), Some(peak_factor)) => {
                    let rate = Rate::Users { dau, requests_per_user_per_day, peak_factor };
                    if rate.rps() > MAX_RPS {
                        self.issue(
                            join(&obj.path, "dau"),
                            format!(
                                "these users make {:.0} requests/s at peak; at most {MAX_RPS} can be simulated",
                                rate.rps()
                            ),
                        );
                        None
                    } else {
                        Some(rate)
                    }
                }
                _ => None,
            }
        } else {
            for field in ["requests_per_user_per_day", "peak_factor"] {
                if obj.map.contains_key(field) {
                    self.issue(join(&obj.path, field), "applies only with dau (daily users)");
                }
                let _ = self.get(obj, field);
            }
            self.number(obj, "rps", Some(100.0), 0.0, MAX_RPS).map(|rps| Rate::Rps { rps })
        };
        let arrivals = self.choice(obj, "arrivals", Some("poisson"), &["poisson"]);
        let default_population = match rate {
            Some(Rate::Users { dau, .. }) => (dau.round() as u64).clamp(1, MAX_POPULATION),
            _ => 10_000,
        };
        let population = self.integer(obj, "population", Some(default_population), 1, MAX_POPULATION);
        let mix_path = join(&obj.path, "mix");
        let mix = match self.get(obj, "mix") {
            None => Some(Mix::ALL_READ),
            Some(v) => self.mix(v, &mix_path),
        };
        let keys_path = join(&obj.path, "keys");
        let keys = match self.get(obj, "keys") {
            None => Some(Keys::DEFAULT),
            Some(v) => self.keys(v, &keys_path),
        };
        let regions_path = join(&obj.path, "regions");
        let regions = match self.get(obj, "regions") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) if items.len() <= crate::blocks::geo::Region::ALL.len() => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{regions_path}[{i}]");
                    let Some(mut o) = self.object(item, &p) else {
                        ok = false;
                        continue;
                    };
                    let region = self.region(&mut o, "region");
                    let share = self.number(&mut o, "share", None, 0.0, 1e9);
                    self.finish(o);
                    match (region, share) {
                        (Some(region), Some(share)) => out.push(RegionShare { region, share }),
                        _ => ok = false,
                    }
                }
                if ok && !out.is_empty() && out.iter().map(|r| r.share).sum::<f64>() <= 0.0 {
                    self.issue(&regions_path, "needs at least one share above 0");
                    ok = false;
                }
                ok.then_some(out)
            }
            Some(_) => {
                self.issue(&regions_path, "must be a list of {\"region\", \"share\"} entries, one per region");
                None
            }
        };
        let mobile_share = self.number(obj, "mobile_share", Some(0.0), 0.0, 1.0);
        let profile_path = join(&obj.path, "profile");
        let profile = match self.get(obj, "profile") {
            None | Some(Value::Null) => Some(crate::blocks::profile::Profile::Steady),
            Some(v) => self.profile(v, &profile_path),
        };
        if let (Some(rate), Some(profile)) = (&rate, &profile) {
            let peak = rate.rps() * profile.max_multiplier();
            if peak > MAX_RPS {
                self.issue(
                    &profile_path,
                    format!(
                        "at its peak this profile asks for {peak:.0} requests/s; at most {MAX_RPS} can be simulated"
                    ),
                );
                return None;
            }
        }
        let client_timeout_ms =
            self.timeout(obj, "client_timeout_ms", Some(DEFAULT_CLIENT_TIMEOUT_MS), "users who never give up");
        let retry = self.call_policy(obj, "retry");
        let retry = match retry {
            Some(Some(p)) if p.pool.is_some() => {
                self.issue(
                    join(&join(&obj.path, "retry"), "pool"),
                    "users have no connection pool: each user has its own connection (a pool belongs in a web server's calls)",
                );
                None
            }
            r => r,
        };
        arrivals?;
        Some(UsersSpec {
            rate: rate?,
            arrivals: Arrivals::Poisson,
            mix: mix?,
            population: population?,
            keys: keys?,
            profile: profile?,
            regions: regions?,
            mobile_share: mobile_share?,
            client_timeout_ms: client_timeout_ms?,
            retry: retry?,
        })
    }

    /// A traffic profile: `shape` and its parameters, each with a default so
    /// that picking a shape in the editor gives something that runs.
    fn profile(&mut self, v: &Value, path: &str) -> Option<crate::blocks::profile::Profile> {
        use crate::blocks::profile::Profile;
        let mut obj = self.object(v, path)?;
        let shape = self.choice(&mut obj, "shape", None, &["steady", "ramp", "spike", "daily"]);
        let big = crate::blocks::profile::MAX_MULTIPLIER;
        let built = match shape? {
            "steady" => Ok(Profile::Steady),
            "ramp" => {
                let from = self.number(&mut obj, "from", Some(0.2), 0.0, big);
                let to = self.number(&mut obj, "to", Some(1.0), 0.0, big);
                let start_s = self.number(&mut obj, "start_s", Some(0.0), 0.0, MAX_DURATION_S);
                let end_s = self.number(&mut obj, "end_s", Some(60.0), 0.0, MAX_DURATION_S);
                Profile::ramp(from?, to?, start_s?, end_s?)
            }
            "spike" => {
                let at_s = self.number(&mut obj, "at_s", Some(30.0), 0.0, MAX_DURATION_S);
                let duration_s = self.number(&mut obj, "duration_s", Some(10.0), 0.0, MAX_DURATION_S);
                let multiplier = self.number(&mut obj, "multiplier", Some(5.0), 0.0, big);
                Profile::spike(at_s?, duration_s?, multiplier?)
            }
            _ => {
                let period_s = self.number(
                    &mut obj,
                    "period_s",
                    Some(120.0),
                    crate::blocks::profile::MIN_PERIOD_S,
                    MAX_DURATION_S,
                );
                let trough = self.number(&mut obj, "trough", Some(0.0), 0.0, 1.0);
                Profile::daily(period_s?, trough?)
            }
        };
        self.finish(obj);
        match built {
            Ok(p) => Some(p),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }

    fn keys(&mut self, v: &Value, path: &str) -> Option<Keys> {
        let mut obj = self.object(v, path)?;
        let count = self.integer(&mut obj, "count", Some(Keys::DEFAULT.count), 1, crate::blocks::keys::MAX_KEYS);
        let zipf = self.number(&mut obj, "zipf", Some(Keys::DEFAULT.zipf), 0.0, crate::blocks::keys::MAX_EXPONENT);
        let celebrity_share = self.number(&mut obj, "celebrity_share", Some(0.0), 0.0, 1.0);
        self.finish(obj);
        if celebrity_share == Some(1.0) {
            self.issue(join(path, "celebrity_share"), "must be less than 1 (the celebrity cannot take every request)");
            return None;
        }
        Some(Keys { count: count?, zipf: zipf?, celebrity_share: celebrity_share? })
    }

    fn mix(&mut self, v: &Value, path: &str) -> Option<Mix> {
        let mut obj = self.object(v, path)?;
        let read = self.number(&mut obj, "read", Some(0.0), 0.0, 1e9);
        let write = self.number(&mut obj, "write", Some(0.0), 0.0, 1e9);
        let static_ = self.number(&mut obj, "static", Some(0.0), 0.0, 1e9);
        let job = self.number(&mut obj, "job", Some(0.0), 0.0, 1e9);
        self.finish(obj);
        let mix = Mix { read: read?, write: write?, static_: static_?, job: job? };
        if mix.shares().iter().sum::<f64>() <= 0.0 {
            self.issue(path, "needs at least one share above 0 (read, write, static or job)");
            return None;
        }
        Some(mix)
    }
}

const PROFILE_SHAPE: &[Field] = &[Field {
    pointer: "/profile/shape",
    label: "Traffic shape",
    unit: "",
    kind: FieldKind::Choice(&["steady", "ramp", "spike", "daily"]),
    help: "how the rate above changes over time",
}];
const PROFILE_RAMP: &[Field] = &[
    Field {
        pointer: "/profile/from",
        label: "From",
        unit: "x",
        kind: FieldKind::Number,
        help: "multiplier of the rate at the start",
    },
    Field {
        pointer: "/profile/to",
        label: "To",
        unit: "x",
        kind: FieldKind::Number,
        help: "multiplier of the rate at the end",
    },
    Field {
        pointer: "/profile/start_s",
        label: "Start",
        unit: "s",
        kind: FieldKind::Number,
        help: "when the ramp starts",
    },
    Field {
        pointer: "/profile/end_s",
        label: "End",
        unit: "s",
        kind: FieldKind::Number,
        help: "when it reaches its end",
    },
];
const PROFILE_SPIKE: &[Field] = &[
    Field { pointer: "/profile/at_s", label: "At", unit: "s", kind: FieldKind::Number, help: "when the spike starts" },
    Field {
        pointer: "/profile/duration_s",
        label: "For",
        unit: "s",
        kind: FieldKind::Number,
        help: "how long it lasts",
    },
    Field {
        pointer: "/profile/multiplier",
        label: "Multiplier",
        unit: "x",
        kind: FieldKind::Number,
        help: "traffic during the spike",
    },
];
const PROFILE_DAILY: &[Field] = &[
    Field {
        pointer: "/profile/period_s",
        label: "A day lasts",
        unit: "s",
        kind: FieldKind::Number,
        help: "compress a day to watch it pass",
    },
    Field {
        pointer: "/profile/trough",
        label: "Quietest",
        unit: "x",
        kind: FieldKind::Number,
        help: "the night's traffic, as a share of the peak",
    },
];
const USERS_CLIENT_FIELDS: &[Field] = &[
    Field {
        pointer: "/mobile_share",
        label: "Mobile share",
        unit: "0..1",
        kind: FieldKind::Number,
        help: "requests from mobile apps: their network adds 30 ms each way",
    },
    Field {
        pointer: "/client_timeout_ms",
        label: "Give up after",
        unit: "ms",
        kind: FieldKind::Optional("never"),
        help: "how long people wait for an answer before giving up, as real users and apps do (10 s by default; empty: for ever); the servers are not told and finish the work anyway",
    },
];
const USERS_KEY_FIELDS: &[Field] = &[
    Field {
        pointer: "/keys/count",
        label: "Data keys",
        unit: "",
        kind: FieldKind::Number,
        help: "distinct items (users, posts) requests read and write",
    },
    Field {
        pointer: "/keys/zipf",
        label: "Popularity skew",
        unit: "",
        kind: FieldKind::Number,
        help: "Zipf exponent: 0 all alike, about 1 a few items are very popular",
    },
    Field {
        pointer: "/keys/celebrity_share",
        label: "Celebrity share",
        unit: "",
        kind: FieldKind::Number,
        help: "share of all requests that go to one item",
    },
];
const USERS_RPS_FIELDS: &[Field] = &[Field {
    pointer: "/rps",
    label: "Request rate",
    unit: "req/s",
    kind: FieldKind::Number,
    help: "all request kinds together",
}];
const USERS_DAU_FIELDS: &[Field] = &[
    Field { pointer: "/dau", label: "Daily users", unit: "", kind: FieldKind::Number, help: "active users a day" },
    Field {
        pointer: "/requests_per_user_per_day",
        label: "Requests per user",
        unit: "/day",
        kind: FieldKind::Number,
        help: "pages, API calls and assets",
    },
    Field {
        pointer: "/peak_factor",
        label: "Peak factor",
        unit: "x",
        kind: FieldKind::Number,
        help: "busiest hour over the day's average",
    },
];
const USERS_MIX_FIELDS: &[Field] = &[
    Field {
        pointer: "/mix/read",
        label: "Reads",
        unit: "share",
        kind: FieldKind::Number,
        help: "pages that read the database",
    },
    Field {
        pointer: "/mix/write",
        label: "Writes",
        unit: "share",
        kind: FieldKind::Number,
        help: "changes saved to the database",
    },
    Field {
        pointer: "/mix/static",
        label: "Static",
        unit: "share",
        kind: FieldKind::Number,
        help: "images, scripts, styles",
    },
    Field { pointer: "/mix/job", label: "Jobs", unit: "share", kind: FieldKind::Number, help: "background work" },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_give_up_field_states_the_default() {
        let field = USERS_CLIENT_FIELDS.iter().find(|f| f.pointer == "/client_timeout_ms").expect("users can set it");
        let default_s = DEFAULT_CLIENT_TIMEOUT_MS / 1000.0;
        assert!(field.help.contains(&format!("({default_s} s by default")), "{}", field.help);
    }
}
