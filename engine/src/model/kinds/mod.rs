//! The kinds of node: one file per kind, registered in one list below.
//!
//! A kind's file holds everything about the kind that is not run-time
//! behaviour (that is its module in `crate::components`): its settings (the
//! `…Spec` struct and its parts), how they are read from a file and what
//! they default to, what a node costs, what the inspector lets a user edit,
//! and [`About`]: its name and words, its icon, what it links to and in what
//! role, and what the diagram shows on it.
//!
//! The list below (`kinds!`, with the kind's `mod` line above it) makes
//! [`NodeKind`] and [`NodeSpec`], so a kind added there and given its file is
//! known to the parser, the wiring rules, the palette, the diagram and the
//! inspector; the compiler asks for what the kind must say (`Spec`,
//! [`Settings`]).
//! Kinds are strings only in files: [`NodeKind::name`] writes one,
//! [`NodeKind::from_name`] reads one.

use crate::blocks::autoscale::{AutoscaleError, AutoscalePolicy};
use crate::model::fields::Field;
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::{Node, Scenario, StationSpec};
use crate::model::spof::Graph;
use crate::model::validate::Wiring;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What is true of every node of a kind.
#[derive(Debug)]
pub struct About {
    /// The `kind` in scenario files (`"load_balancer"`).
    pub name: &'static str,
    /// The kind in words, within a sentence: "Added load balancer lb-1".
    pub label: &'static str,
    /// The kind in words on its own, as the palette names it: "Load balancer".
    pub title: &'static str,
    /// What the kind is for, in a sentence or two (the palette's explanation).
    pub blurb: &'static str,
    /// The start of ids the editor makes up for new nodes (`web` in `web-3`).
    pub id_prefix: &'static str,
    /// Its icon: SVG path data in a 24×24 box.
    pub icon: &'static str,
    /// Whether its nodes are stations: workers in front of a queue, with a
    /// service time (they can be busy, and slowed down).
    pub station: bool,
    /// Whether its nodes can be a single point of failure of a design: a
    /// machine of ours, whose failure stops requests (not a library in the
    /// application, a managed replicated service, or something that waits
    /// for its failure to pass).
    pub can_be_single_point: bool,
    /// The diagram's column for a node without a position: 0 users, 1 the
    /// site's entry, 2 web servers, 3 what they call, 4 the data.
    pub column: u8,
    /// The live figure the diagram shows on its nodes.
    pub figure: Figure,
    /// Settings a node added from the palette starts with, over the parser's
    /// defaults: a JSON object.
    pub placed: &'static str,
    /// The kinds it may send requests to, and in what role.
    pub links: &'static [(NodeKind, LinkRole)],
    /// Kinds that may send requests to it, and in what role (a kind that goes
    /// between two others says both of its links itself).
    pub linked_from: &'static [(NodeKind, LinkRole)],
    /// Why it may not link to a particular kind, when the general reasons
    /// below would say it less well.
    pub refuses: &'static [(NodeKind, &'static str)],
    /// Why a kind not in its `linked_from` (or in their `links`) may not link
    /// to it; `None`: the linking kind says why.
    pub only_from: Option<&'static str>,
    /// Why it may not link to a kind not in its `links`.
    pub calls: &'static str,
}

/// The one live figure the diagram puts on a node (its compact drawing), and
/// what its line under the name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// How busy its workers are (and how many wait).
    Busy,
    /// A cache's hit ratio (and how busy it is).
    Hits,
    /// The share of static requests answered at the edge.
    Edge,
    /// Jobs waiting (and the oldest one's age).
    Jobs,
    /// Requests it sends on per second, whatever becomes of them downstream.
    Rate,
}

/// What a node's settings must say, known from its kind alone.
pub(crate) trait Spec: Settings + Sized {
    const ABOUT: About;
    /// Reads the settings from a node's object (the parser has read `id`,
    /// `kind`, `dc`, `x` and `y`), reporting each problem with its path;
    /// absent fields take their defaults.
    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self>;
    /// Valid settings of this kind, whatever they are: what the parser checks
    /// the wiring of a node with wrong settings against.
    fn skeleton() -> Self;
}

/// What a node of some kind has or does, asked of its settings.
pub trait Settings {
    /// What one node costs a month ([`crate::model::cost`]).
    fn monthly_usd(&self, bill: &Bill) -> f64;
    /// Whether requests of kind `request` (0 read, 1 write, 2 static, 3 job)
    /// that users or DNS send to `node`, a node of this kind, are served
    /// with the nodes for which `up` is false down: how the single points of
    /// failure are found ([`crate::model::spof`]). Kinds nothing sends users'
    /// requests to say `false`.
    fn serves_as_entry(&self, graph: &Graph, node: usize, request: usize, up: &dyn Fn(usize) -> bool) -> bool;
    /// What the inspector lets a user edit, in groups, for these settings (a
    /// group may depend on them: health-check fields once checks are on).
    fn fields(&self) -> Vec<&'static [Field]>;
    /// The workers, queue and service time of nodes that serve requests.
    fn station(&self) -> Option<&StationSpec> {
        None
    }
    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        None
    }
    /// The station the simulation runs: as written, unless the kind says
    /// otherwise (a NoSQL store's workers are per partition).
    fn station_runtime(&self) -> Option<StationSpec> {
        self.station().cloned()
    }
    /// The autoscaling group's policy, for kinds that scale.
    fn autoscale_policy(&self) -> Option<Result<AutoscalePolicy, AutoscaleError>> {
        None
    }
    /// What is wrong with this node's links taken together, which each link
    /// on its own does not show (users with two entries); each message is
    /// reported at the node.
    fn wiring_problems(&self, wiring: &Wiring) -> Vec<String> {
        let _ = wiring;
        Vec::new()
    }
    /// Something about this node that does not stop a run but makes its
    /// requests fail (a balancer with no servers behind it).
    fn warning(&self, node: &Node, s: &Scenario) -> Option<String> {
        let _ = (node, s);
        None
    }
}

/// What a node's monthly bill depends on besides its settings.
#[derive(Clone, Copy, Debug)]
pub struct Bill {
    /// Machines it runs (an autoscaling group's current size; 1 otherwise).
    pub instances: u32,
    /// Static requests a second it serves, every second of the month, for
    /// kinds billed by traffic; `None`: the traffic is not known (the bill
    /// without it).
    pub static_rps: Option<f64>,
}

impl Bill {
    /// The instances, at least one, as a number to multiply by.
    pub fn machines(&self) -> f64 {
        f64::from(self.instances.max(1))
    }
}

impl NodeKind {
    /// The names of [`ALL`](Self::ALL), in the same order: what a file's
    /// `kind` may be (and what "did you mean" picks from).
    pub const NAMES: [&'static str; KINDS] = {
        let mut names = [""; KINDS];
        let mut i = 0;
        while i < names.len() {
            names[i] = NodeKind::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The `kind` in scenario files (`"load_balancer"`).
    pub const fn name(self) -> &'static str {
        self.about().name
    }

    /// The kind a file calls `name`, if any.
    pub fn from_name(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind in words, within a sentence: "Added load balancer lb-1".
    pub fn label(self) -> &'static str {
        self.about().label
    }

    /// The kind in words on its own, as the palette names it: "Load balancer".
    pub fn title(self) -> &'static str {
        self.about().title
    }

    /// What the kind is for (the palette's explanation).
    pub fn blurb(self) -> &'static str {
        self.about().blurb
    }

    /// The start of ids the editor makes up for new nodes (`web` in `web-3`).
    pub fn id_prefix(self) -> &'static str {
        self.about().id_prefix
    }

    /// Whether nodes of this kind are stations.
    pub fn is_station(self) -> bool {
        self.about().station
    }

    /// Whether a node of this kind may link to some other node (the diagram
    /// gives it an output port). Caches, NoSQL stores and workers only answer.
    pub fn links_onward(self) -> bool {
        NodeKind::ALL.into_iter().any(|to| self.link_to(to).is_ok())
    }

    /// Whether a node of this kind may send requests to a node of kind `to`,
    /// and in what role; `Err` carries the reason, worded for the user (the
    /// editor shows it as it is). The reason is the linking kind's own for
    /// this pair if it has one; else, for a kind that calls nothing, that it
    /// calls nothing; else the linked kind's (who may link to it); else the
    /// linking kind's (what it links to).
    pub fn link_to(self, to: NodeKind) -> Result<LinkRole, &'static str> {
        let (from_about, to_about) = (self.about(), to.about());
        let declared = from_about.links.iter().find(|&&(k, _)| k == to);
        let declared = declared.or_else(|| to_about.linked_from.iter().find(|&&(k, _)| k == self));
        if let Some(&(_, role)) = declared {
            return Ok(role);
        }
        if let Some(&(_, why)) = from_about.refuses.iter().find(|&&(k, _)| k == to) {
            return Err(why);
        }
        // A kind that calls nothing says so, whatever it was linked to.
        if !self.calls_anything() {
            return Err(from_about.calls);
        }
        Err(to_about.only_from.unwrap_or(from_about.calls))
    }

    /// Whether some link from this kind is declared (by it, or by the kind
    /// it links to).
    fn calls_anything(self) -> bool {
        !self.about().links.is_empty()
            || NodeKind::ALL.into_iter().any(|to| to.about().linked_from.iter().any(|&(k, _)| k == self))
    }
}

/// What a link does: the role the node linked to plays for the node linking
/// to it. The simulation wires its components by these
/// (`components::sort_wire`), and the editor picks a link's latency by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkRole {
    /// Users send their requests to the site's entry: a load balancer, a web
    /// server, a rate limiter in front of one, or DNS that names one.
    Entry,
    /// Users fetch static files from a CDN.
    Static,
    /// DNS names an entry point (a load balancer, web server or rate limiter).
    Resolve,
    /// A CDN fetches what it misses from the origin.
    Origin,
    /// A load balancer spreads requests over its web servers.
    Balance,
    /// A rate limiter passes the requests it lets through to the entry it
    /// stands in front of (a load balancer or web server).
    Guard,
    /// A web server asks a cache before the data store and fills it on a miss.
    CacheAside,
    /// A web server reads and writes a database: the primary, or a read replica.
    Query,
    /// A web server reads and writes through a shard router, which stands in
    /// for the data tier.
    Route,
    /// A web server reads and writes a NoSQL store (sessions, or the data when
    /// it has no database).
    KeyValue,
    /// A web server puts jobs on a queue.
    Publish,
    /// A shard router sends each key to one database (a shard).
    Shard,
    /// A primary database sends its writes to a read replica.
    Replicate,
    /// A queue hands its jobs to a pool of workers.
    Consume,
}

impl LinkRole {
    /// A sensible one-way latency for a new link of this role, in
    /// milliseconds: users reach the site over the internet; links inside a
    /// data center are well under a millisecond, a little more to a database.
    pub fn typical_latency_ms(self) -> f64 {
        match self {
            LinkRole::Entry | LinkRole::Static => 20.0,
            LinkRole::Query | LinkRole::Shard | LinkRole::Replicate => 0.5,
            LinkRole::Resolve
            | LinkRole::Origin
            | LinkRole::Balance
            | LinkRole::Guard
            | LinkRole::CacheAside
            | LinkRole::Route
            | LinkRole::KeyValue
            | LinkRole::Publish
            | LinkRole::Consume => 0.2,
        }
    }
}

/// Written as its name, as in files.
impl Serialize for NodeKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Read back from its name, as [`Serialize`] writes it (the engine's worker
/// sends readings that name kinds).
impl<'de> Deserialize<'de> for NodeKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        NodeKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("no kind of node is called {name:?}")))
    }
}

/// Shown as its name in quotes (`"web_server"`), as files write it: the
/// engine's debug output (traces, test messages) reads as it did when kinds
/// were strings.
impl fmt::Debug for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name(), f)
    }
}

/// Makes, from one line per kind (`Variant = module::SpecType`, in palette
/// order), [`NodeKind`], [`NodeSpec`] and what dispatches from them to each
/// kind's `Spec` and [`Settings`].
macro_rules! kinds {
    ($($kind:ident = $module:ident :: $spec:ident,)+) => {
        /// The kind of a node (a [`NodeSpec`] without its settings).
        /// Declared in palette order.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum NodeKind {
            $($kind,)+
        }

        /// How many kinds there are.
        pub const KINDS: usize = [$(NodeKind::$kind),+].len();

        impl NodeKind {
            /// Every kind, in palette order (the order they are declared in).
            pub const ALL: [NodeKind; KINDS] = [$(NodeKind::$kind),+];

            /// Everything about the kind that is not about one node.
            pub const fn about(self) -> &'static About {
                match self {
                    $(NodeKind::$kind => &<$module::$spec as Spec>::ABOUT,)+
                }
            }

            pub(crate) fn parse(self, p: &mut Parser, obj: &mut Obj<'_>) -> Option<NodeSpec> {
                match self {
                    $(NodeKind::$kind => <$module::$spec as Spec>::parse(p, obj).map(NodeSpec::$kind),)+
                }
            }

            /// Valid settings of this kind (see [`Spec::skeleton`]).
            pub(crate) fn skeleton(self) -> NodeSpec {
                match self {
                    $(NodeKind::$kind => NodeSpec::$kind(<$module::$spec as Spec>::skeleton()),)+
                }
            }
        }

        /// The kind of a node and its settings.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum NodeSpec {
            $($kind($module::$spec),)+
        }

        impl NodeSpec {
            /// The node's kind: its name, words, wiring rules ([`NodeKind`]).
            pub fn kind(&self) -> NodeKind {
                match self {
                    $(NodeSpec::$kind(_) => NodeKind::$kind,)+
                }
            }

            /// What every kind's settings answer ([`Settings`]).
            pub fn settings(&self) -> &dyn Settings {
                match self {
                    $(NodeSpec::$kind(s) => s,)+
                }
            }

            pub(crate) fn settings_mut(&mut self) -> &mut dyn Settings {
                match self {
                    $(NodeSpec::$kind(s) => s,)+
                }
            }
        }
    };
}

// Declared here rather than by the macro, so that rustfmt reaches them.
pub mod cache;
pub mod cdn;
pub mod database;
pub mod dns;
pub mod load_balancer;
pub mod nosql;
pub mod queue;
pub mod rate_limiter;
pub mod shard_router;
pub mod users;
pub mod web_server;
pub mod workers;

kinds! {
    Users = users::UsersSpec,
    Dns = dns::DnsSpec,
    Cdn = cdn::CdnSpec,
    RateLimiter = rate_limiter::RateLimiterSpec,
    LoadBalancer = load_balancer::LoadBalancerSpec,
    WebServer = web_server::WebServerSpec,
    Cache = cache::CacheSpec,
    Database = database::DatabaseSpec,
    ShardRouter = shard_router::ShardRouterSpec,
    Nosql = nosql::NosqlSpec,
    Queue = queue::QueueSpec,
    Workers = workers::WorkersSpec,
}

impl NodeSpec {
    /// The workers, queue and service time of nodes that serve requests.
    pub fn station(&self) -> Option<&StationSpec> {
        self.settings().station()
    }

    pub fn station_mut(&mut self) -> Option<&mut StationSpec> {
        self.settings_mut().station_mut()
    }

    /// The station the simulation runs for this node: as written, except a
    /// NoSQL store, whose workers are per partition.
    pub fn station_runtime(&self) -> Option<StationSpec> {
        self.settings().station_runtime()
    }

    /// The autoscaling group settings of web servers and worker pools, as the
    /// engine's policy (utilisation for servers, backlog for workers).
    pub fn autoscale_policy(&self) -> Option<Result<AutoscalePolicy, AutoscaleError>> {
        self.settings().autoscale_policy()
    }
}

// `ALL` is in declaration order, each kind once (so `k as usize` is its
// place in `ALL`).
const _: () = {
    let mut i = 0;
    while i < NodeKind::ALL.len() {
        assert!(NodeKind::ALL[i] as usize == i);
        i += 1;
    }
};

#[cfg(test)]
mod tests;
