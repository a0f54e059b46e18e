//! The kinds of node, and everything that is about a kind rather than about
//! one node: its name in files, its words for people, the palette's
//! explanation, the prefix of generated ids, whether it is a station, and what
//! it may link to and in what role ([`NodeKind::link_to`]).
//!
//! Every method is an exhaustive `match`, so a new kind does not compile
//! until each of them (and every other `match` on a kind, in the engine and
//! the page) says what the new kind does. Kinds are strings only in files:
//! [`NodeKind::name`] writes one, [`NodeKind::from_name`] reads one.

use serde::{Serialize, Serializer};
use std::fmt;

/// The kind of a node (a [`crate::model::scenario::NodeSpec`] without its
/// parameters). Declared in palette order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Users,
    Dns,
    Cdn,
    LoadBalancer,
    WebServer,
    Cache,
    Database,
    ShardRouter,
    Nosql,
    Queue,
    Workers,
}

impl NodeKind {
    /// Every kind, in palette order (the order they are declared in). A kind
    /// missing here could not be read from a file: the parser accepts only
    /// the names of these.
    pub const ALL: [NodeKind; 11] = [
        NodeKind::Users,
        NodeKind::Dns,
        NodeKind::Cdn,
        NodeKind::LoadBalancer,
        NodeKind::WebServer,
        NodeKind::Cache,
        NodeKind::Database,
        NodeKind::ShardRouter,
        NodeKind::Nosql,
        NodeKind::Queue,
        NodeKind::Workers,
    ];

    /// The names of [`ALL`](Self::ALL), in the same order: what a file's
    /// `kind` may be (and what "did you mean" picks from).
    pub const NAMES: [&'static str; 11] = {
        let mut names = [""; 11];
        let mut i = 0;
        while i < names.len() {
            names[i] = NodeKind::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The `kind` in scenario files (`"load_balancer"`).
    pub const fn name(self) -> &'static str {
        match self {
            NodeKind::Users => "users",
            NodeKind::Dns => "dns",
            NodeKind::Cdn => "cdn",
            NodeKind::LoadBalancer => "load_balancer",
            NodeKind::WebServer => "web_server",
            NodeKind::Cache => "cache",
            NodeKind::Database => "database",
            NodeKind::ShardRouter => "shard_router",
            NodeKind::Nosql => "nosql",
            NodeKind::Queue => "queue",
            NodeKind::Workers => "workers",
        }
    }

    /// The kind a file calls `name`, if any.
    pub fn from_name(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind in words, within a sentence: "Added load balancer lb-1".
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Users => "users",
            NodeKind::Dns => "DNS",
            NodeKind::Cdn => "CDN",
            NodeKind::LoadBalancer => "load balancer",
            NodeKind::WebServer => "web server",
            NodeKind::Cache => "cache",
            NodeKind::Database => "database",
            NodeKind::ShardRouter => "shard router",
            NodeKind::Nosql => "NoSQL store",
            NodeKind::Queue => "message queue",
            NodeKind::Workers => "workers",
        }
    }

    /// The kind in words on its own, as the palette names it: "Load balancer".
    pub fn title(self) -> &'static str {
        match self {
            NodeKind::Users => "Users",
            NodeKind::Dns => "DNS",
            NodeKind::Cdn => "CDN",
            NodeKind::LoadBalancer => "Load balancer",
            NodeKind::WebServer => "Web server",
            NodeKind::Cache => "Cache",
            NodeKind::Database => "Database",
            NodeKind::ShardRouter => "Shard router",
            NodeKind::Nosql => "NoSQL store",
            NodeKind::Queue => "Message queue",
            NodeKind::Workers => "Workers",
        }
    }

    /// What the kind is for, in a sentence or two (the palette's explanation).
    /// The web server's and the users' mention the page's defaults for a new
    /// node (a test there keeps them in step).
    pub fn blurb(self) -> &'static str {
        match self {
            NodeKind::Users => "People sending requests: a request rate, or daily users at their busiest hour. They give up waiting for an answer after 10 s.",
            NodeKind::Dns => "Turns the site's name into an address; resolvers keep the answer for its TTL, even after a failure.",
            NodeKind::Cdn => "Edge servers near the users keep static files (images, scripts) so they need not come from the site.",
            NodeKind::LoadBalancer => "Spreads requests over several servers, so one can fail or be added without downtime.",
            NodeKind::WebServer => "Runs the application: a pool of workers, each handling one request at a time. Holds at most 500 waiting requests and gives each 3 s, as real servers do, so overload shows as errors rather than endless waits.",
            NodeKind::Cache => "Keeps popular data in memory: web servers ask it before the database and fill it on a miss.",
            NodeKind::Database => "Stores the data. Link one database to another to make it a read replica.",
            NodeKind::ShardRouter => "Splits the data over several databases by key (user id): each shard holds a part.",
            NodeKind::Nosql => "A key-value store with partitions: fast single-key reads and writes; a home for sessions.",
            NodeKind::Queue => "Holds jobs so web servers can answer at once; workers take them off later.",
            NodeKind::Workers => "A pool that processes jobs from a queue, one job per worker at a time.",
        }
    }

    /// The start of ids the editor makes up for new nodes (`web` in `web-3`).
    pub fn id_prefix(self) -> &'static str {
        match self {
            NodeKind::Users => "users",
            NodeKind::Dns => "dns",
            NodeKind::Cdn => "cdn",
            NodeKind::LoadBalancer => "lb",
            NodeKind::WebServer => "web",
            NodeKind::Cache => "cache",
            NodeKind::Database => "db",
            NodeKind::ShardRouter => "shards",
            NodeKind::Nosql => "nosql",
            NodeKind::Queue => "queue",
            NodeKind::Workers => "workers",
        }
    }

    /// Whether nodes of this kind are stations: workers in front of a queue,
    /// with a service time (they can be busy, and slowed down).
    pub fn is_station(self) -> bool {
        match self {
            NodeKind::WebServer | NodeKind::Cache | NodeKind::Database | NodeKind::Nosql | NodeKind::Workers => true,
            NodeKind::Users
            | NodeKind::Dns
            | NodeKind::Cdn
            | NodeKind::LoadBalancer
            | NodeKind::ShardRouter
            | NodeKind::Queue => false,
        }
    }

    /// Whether a node of this kind may link to some other node (the diagram
    /// gives it an output port). Caches, NoSQL stores and workers only answer.
    pub fn links_onward(self) -> bool {
        NodeKind::ALL.into_iter().any(|to| self.link_to(to).is_ok())
    }

    /// Whether a node of this kind may send requests to a node of kind `to`,
    /// and in what role; `Err` carries the reason, worded for the user (the
    /// editor shows it as it is).
    pub fn link_to(self, to: NodeKind) -> Result<LinkRole, &'static str> {
        use NodeKind::*;
        match self {
            Users => match to {
                LoadBalancer | WebServer | Dns => Ok(LinkRole::Entry),
                Cdn => Ok(LinkRole::Static),
                Users => Err(NOTHING_CALLS_USERS),
                Cache => Err(CACHE_FROM_WEB),
                Database => Err("users cannot call a database directly; put a web server in between"),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Queue => Err(QUEUE_FROM_WEB),
                Workers => Err(WORKERS_FROM_QUEUE),
            },
            Dns => match to {
                LoadBalancer | WebServer => Ok(LinkRole::Resolve),
                Cdn => Err(CDN_FROM_USERS),
                Users | Dns | Cache | Database | ShardRouter | Nosql | Queue | Workers => {
                    Err("DNS points users at the site's entry points: load balancers or web servers")
                }
            },
            Cdn => match to {
                LoadBalancer | WebServer => Ok(LinkRole::Origin),
                Users | Dns | Cdn | Cache | Database | ShardRouter | Nosql | Queue | Workers => {
                    Err("a CDN fetches what it misses from the origin: a load balancer or web server")
                }
            },
            LoadBalancer => match to {
                WebServer => Ok(LinkRole::Balance),
                Users => Err(NOTHING_CALLS_USERS),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                LoadBalancer => Err("a load balancer forwards to web servers, not to another load balancer"),
                Cache => Err(CACHE_FROM_WEB),
                Database => Err("a load balancer forwards only to web servers"),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Queue => Err(QUEUE_FROM_WEB),
                Workers => Err(WORKERS_FROM_QUEUE),
            },
            WebServer => match to {
                Cache => Ok(LinkRole::CacheAside),
                Database => Ok(LinkRole::Query),
                ShardRouter => Ok(LinkRole::Route),
                Nosql => Ok(LinkRole::KeyValue),
                Queue => Ok(LinkRole::Publish),
                Users => Err(NOTHING_CALLS_USERS),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                LoadBalancer | WebServer => Err("a web server calls caches, databases and queues"),
                Workers => Err(WORKERS_FROM_QUEUE),
            },
            Cache => match to {
                Users => Err(NOTHING_CALLS_USERS),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Workers => Err(WORKERS_FROM_QUEUE),
                LoadBalancer | WebServer | Cache | Database | Queue => Err(
                    "a cache answers from memory; on a miss the web server reads the database itself, so link the web server to the database",
                ),
            },
            // Replication: the primary sends its writes to the replica.
            Database => match to {
                Database => Ok(LinkRole::Replicate),
                Users => Err(NOTHING_CALLS_USERS),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Workers => Err(WORKERS_FROM_QUEUE),
                LoadBalancer | WebServer | Cache | Queue => Err(
                    "a database answers requests and does not call other nodes; its only link out is to a read replica (another database)",
                ),
            },
            ShardRouter => match to {
                Database => Ok(LinkRole::Shard),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Users | LoadBalancer | WebServer | Cache | Queue | Workers => {
                    Err("a shard router sends each key to one of the databases (shards) linked to it")
                }
            },
            Nosql => match to {
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                Nosql => Err(NOSQL_FROM_WEB),
                Users | LoadBalancer | WebServer | Cache | Database | ShardRouter | Queue | Workers => {
                    Err("a NoSQL store answers requests and calls nothing")
                }
            },
            Queue => match to {
                Workers => Ok(LinkRole::Consume),
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Users | LoadBalancer | WebServer | Cache | Database | Queue => {
                    Err("a queue hands its jobs only to workers")
                }
            },
            Workers => match to {
                Dns => Err(DNS_FROM_USERS),
                Cdn => Err(CDN_FROM_USERS),
                ShardRouter => Err(ROUTER_FROM_WEB),
                Nosql => Err(NOSQL_FROM_WEB),
                Workers => Err(WORKERS_FROM_QUEUE),
                Users | LoadBalancer | WebServer | Cache | Database | Queue => {
                    Err("workers process jobs from their queue and call nothing here")
                }
            },
        }
    }
}

// Reasons shared by several pairs: they are about the node linked to.
const NOTHING_CALLS_USERS: &str = "users only send requests; nothing sends requests to users";
const DNS_FROM_USERS: &str = "only users look up the site's name in DNS";
const CDN_FROM_USERS: &str = "users fetch static files from a CDN; link the users to it";
const CACHE_FROM_WEB: &str = "only web servers use a cache; link the cache from a web server";
const ROUTER_FROM_WEB: &str = "web servers send their reads and writes to a shard router";
const NOSQL_FROM_WEB: &str = "only web servers read and write a NoSQL store";
const QUEUE_FROM_WEB: &str = "jobs are put on a queue by web servers; link a web server to the queue";
const WORKERS_FROM_QUEUE: &str = "workers take their jobs from a queue; link a queue to the workers";

/// What a link does: the role the node linked to plays for the node linking
/// to it. The simulation wires its components by these
/// (`Simulation::refresh_roles`), and the editor picks a link's latency by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkRole {
    /// Users send their requests to the site's entry: a load balancer, a web
    /// server, or DNS that names one.
    Entry,
    /// Users fetch static files from a CDN.
    Static,
    /// DNS names an entry point (a load balancer or web server).
    Resolve,
    /// A CDN fetches what it misses from the origin.
    Origin,
    /// A load balancer spreads requests over its web servers.
    Balance,
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

/// Shown as its name in quotes (`"web_server"`), as files write it: the
/// engine's debug output (traces, test messages) reads as it did when kinds
/// were strings.
impl fmt::Debug for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name(), f)
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
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_round_trip_and_nothing_else_is_a_kind() {
        for k in NodeKind::ALL {
            assert_eq!(NodeKind::from_name(k.name()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.name()));
            assert_eq!(format!("{k:?}"), format!("\"{}\"", k.name()));
        }
        assert_eq!(NodeKind::NAMES.to_vec(), NodeKind::ALL.map(NodeKind::name).to_vec());
        for not_a_kind in ["", "Users", "web server", "webserver", "load-balancer", "node"] {
            assert_eq!(NodeKind::from_name(not_a_kind), None, "{not_a_kind}");
        }
    }

    #[test]
    fn all_lists_every_kind_once_in_palette_order() {
        let distinct: HashSet<NodeKind> = NodeKind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), NodeKind::ALL.len());
        assert_eq!(
            NodeKind::NAMES,
            [
                "users",
                "dns",
                "cdn",
                "load_balancer",
                "web_server",
                "cache",
                "database",
                "shard_router",
                "nosql",
                "queue",
                "workers"
            ]
        );
    }

    #[test]
    fn words_and_prefixes_tell_kinds_apart() {
        for words in [NodeKind::label, NodeKind::title, NodeKind::blurb, NodeKind::id_prefix] {
            let distinct: HashSet<&str> = NodeKind::ALL.into_iter().map(words).collect();
            assert_eq!(distinct.len(), NodeKind::ALL.len(), "{distinct:?}");
        }
        for k in NodeKind::ALL {
            // The palette's title is the label, capitalised (acronyms kept).
            let mut title = k.label().chars();
            let first = title.next().unwrap().to_uppercase().collect::<String>();
            assert_eq!(k.title(), first + title.as_str(), "{k:?}");
            let prefix = k.id_prefix();
            assert!(prefix.chars().all(|c| c.is_ascii_lowercase()), "{prefix}: a valid start of an id");
            assert!(k.blurb().ends_with('.'), "{k:?}");
        }
    }

    #[test]
    fn stations_are_the_kinds_with_workers_and_only_callers_link_onwards() {
        let stations: Vec<NodeKind> = NodeKind::ALL.into_iter().filter(|k| k.is_station()).collect();
        use NodeKind::*;
        assert_eq!(stations, [WebServer, Cache, Database, Nosql, Workers]);
        let ends: Vec<NodeKind> = NodeKind::ALL.into_iter().filter(|k| !k.links_onward()).collect();
        assert_eq!(ends, [Cache, Nosql, Workers]);
        // Nothing links to users; users link to nothing but entries and a CDN.
        for k in NodeKind::ALL {
            assert!(k.link_to(Users).is_err(), "{k:?}");
        }
    }

    #[test]
    fn links_have_their_roles() {
        use LinkRole as R;
        use NodeKind::*;
        let cases = [
            (Users, LoadBalancer, R::Entry),
            (Users, WebServer, R::Entry),
            (Users, Dns, R::Entry),
            (Users, Cdn, R::Static),
            (Dns, LoadBalancer, R::Resolve),
            (Dns, WebServer, R::Resolve),
            (Cdn, LoadBalancer, R::Origin),
            (Cdn, WebServer, R::Origin),
            (LoadBalancer, WebServer, R::Balance),
            (WebServer, Cache, R::CacheAside),
            (WebServer, Database, R::Query),
            (WebServer, ShardRouter, R::Route),
            (WebServer, Nosql, R::KeyValue),
            (WebServer, Queue, R::Publish),
            (ShardRouter, Database, R::Shard),
            (Database, Database, R::Replicate),
            (Queue, Workers, R::Consume),
        ];
        for (from, to, role) in cases {
            assert_eq!(from.link_to(to), Ok(role), "{from:?} to {to:?}");
        }
        // Every pair not listed is refused.
        let allowed: HashSet<(NodeKind, NodeKind)> = cases.iter().map(|&(f, t, _)| (f, t)).collect();
        for from in NodeKind::ALL {
            for to in NodeKind::ALL {
                assert_eq!(from.link_to(to).is_ok(), allowed.contains(&(from, to)), "{from:?} to {to:?}");
            }
        }
        assert_eq!(R::Entry.typical_latency_ms(), 20.0);
        assert_eq!(R::Query.typical_latency_ms(), 0.5);
        assert_eq!(R::Balance.typical_latency_ms(), 0.2);
    }

    #[test]
    fn a_refused_link_says_why_in_terms_of_the_kinds() {
        use NodeKind::*;
        let why = |from: NodeKind, to: NodeKind| from.link_to(to).unwrap_err();
        assert_eq!(why(Users, Database), "users cannot call a database directly; put a web server in between");
        assert_eq!(
            why(LoadBalancer, LoadBalancer),
            "a load balancer forwards to web servers, not to another load balancer"
        );
        assert_eq!(why(LoadBalancer, Database), "a load balancer forwards only to web servers");
        // About the node linked to, whoever links: a CDN is for users.
        assert_eq!(why(Dns, Cdn), CDN_FROM_USERS);
        assert_eq!(why(WebServer, Cdn), CDN_FROM_USERS);
        // About the node linking: a CDN fetches only from the origin.
        assert_eq!(why(Cdn, Cdn), "a CDN fetches what it misses from the origin: a load balancer or web server");
        assert_eq!(
            why(ShardRouter, Workers),
            "a shard router sends each key to one of the databases (shards) linked to it"
        );
        assert_eq!(why(Nosql, ShardRouter), "a NoSQL store answers requests and calls nothing");
        assert_eq!(why(Workers, Workers), WORKERS_FROM_QUEUE);
    }
}
