//! One module per component kind: its run-time state and what it does with a
//! request that reaches it. The kernel (`crate::kernel::sim`) owns time and
//! bookkeeping: when a request or an answer reaches a node it asks the node's
//! component what should happen ([`Component::arrive`],
//! [`Component::answered`]; a station's role when its work is done,
//! [`station::served`]) and carries the decision out: it sends, fails,
//! queues, schedules and counts the outcome.
//!
//! Adding a kind: its module here (state, `arrive`, `answered`), a variant of
//! [`Component`] and its arm in each match below; the compiler lists the rest.

pub mod balancer;
pub mod cache;
pub mod caller;
pub mod cdn;
pub mod database;
pub mod dns;
pub mod net;
pub mod queue;
pub mod rate_limiter;
#[cfg(test)]
pub(crate) mod rig;
pub mod shard_router;
pub mod station;
pub mod users;
pub mod web;

use crate::base::time::Nanos;
use crate::blocks::geo::Region;
use crate::blocks::request::{Cause, Frame, Request, NO_KEY};
use crate::metrics::stats::NodeStats;
use crate::model::kinds::LinkRole;
use crate::model::scenario::NodeSpec;
use balancer::Balancer;
use net::Network;
use station::{Role, Station};
use users::Users;

/// The run-time side of a node.
#[derive(Debug)]
pub(crate) enum Component {
    Users(Users),
    Balancer(Balancer),
    Station(Station),
    Queue(queue::QueueState),
    ShardRouter(shard_router::ShardRouter),
    Dns(dns::DnsNode),
    Cdn(cdn::Cdn),
    RateLimiter(rate_limiter::RateLimiter),
}

/// What a node does with a request that reached it on its way down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Send it on over wire `link` to node `to` (the wire's end, unless a
    /// promoted replica stands in for it), leaving `delay` from now.
    Forward { link: u16, to: u16, delay: Nanos },
    /// Answered here: the response goes back up.
    Answer,
    /// It fails here with this cause; the failure goes back up.
    Fail(Cause),
    /// A station has a free worker: service starts now.
    Serve,
    /// A station's workers are busy: it waits in the station's queue.
    Wait,
    /// A message queue took the job: the caller is answered at once, and
    /// the queue's worker pools may take it.
    Publish,
}

/// What a node does with an answer coming back up through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Pass it on up.
    Pass,
    /// Pass it on up as a failure with this cause (the node died with the
    /// connection open).
    Fail(Cause),
    /// It reached the users who sent it: its one outcome is recorded.
    Finish,
    /// It reached users who had given up on it: nobody reads it.
    Drop,
    /// A station's call came back: the station's role takes the next step.
    Resume,
}

/// A station's next move after its own work or one of its calls: call a
/// node below (and continue at `step` when that answer comes back), answer,
/// or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Call over `link`; `free_worker`: the worker is released while waiting
    /// (an asynchronous server).
    Call {
        link: u16,
        step: u8,
        free_worker: bool,
    },
    /// The same, by a caller with a call policy: the call is sent as an
    /// attempt (a clone of the request), timed out and retried by the policy.
    Attempt {
        link: u16,
        step: u8,
        free_worker: bool,
    },
    /// A read missed at a cache that coalesces misses: the kernel sends
    /// the read to the database unless one for the key is under way, then
    /// the request waits for that one (`Simulation::coalesce`).
    Coalesce {
        free_worker: bool,
    },
    Answer,
    Fail(Cause),
}

/// What the kernel must do after a component took new settings
/// ([`Component::retune`]).
#[derive(Debug, Default)]
pub(crate) struct Retuned {
    /// Users: a new rate; the arrival already drawn is stale (its epoch moved on).
    pub rate: bool,
    /// Users: a new client timeout; their give-up sweep is due at another time.
    pub patience: bool,
    /// Users, web servers: a new call policy whose attempts' deadlines must be rebuilt.
    pub caller: bool,
    /// Balancer: new health-check settings; a new round of probes starts.
    pub health_checks: bool,
    /// Shard router: new routing over its shards (how many), moving this
    /// share of the keys.
    pub resharded: Option<(usize, f64)>,
    /// Station: new settings; `true` when its timeout changed (the deadlines
    /// of the requests there are rebuilt).
    pub station: Option<bool>,
}

/// A node's live outgoing links (wire indices) by the role each plays for it
/// (see `LinkRole`), and for queues and pools who consumes whom (slots).
/// Rebuilt after every change of wiring, so the hot path only reads it.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// Where its requests enter: the users' first hop, DNS targets, CDN
    /// origins, the entry behind a rate limiter.
    pub entries: Vec<u16>,
    /// Users: to their CDN, for static files.
    pub statics: Vec<u16>,
    /// Balancers: to their backends.
    pub balanced: Vec<u16>,
    pub caches: Vec<u16>,
    /// Web servers: databases, or a shard router standing in for them.
    pub databases: Vec<u16>,
    pub nosqls: Vec<u16>,
    pub queues: Vec<u16>,
    /// Shard routers: to their shards.
    pub shards: Vec<u16>,
    /// Queues: the worker pools consuming them (slots).
    pub pools: Vec<u16>,
    /// Worker pools: the queues they consume (slots).
    pub consumed: Vec<u16>,
}

/// Sorts wire `w` (`from` to `to`, in `role`) into the links of its ends,
/// or, for replication, into who replicates whom (`primary_of`).
pub(crate) fn sort_wire(
    links: &mut [Links],
    primary_of: &mut [Option<u16>],
    role: LinkRole,
    w: usize,
    from: usize,
    to: usize,
) {
    let wire = w as u16;
    match role {
        LinkRole::Entry | LinkRole::Resolve | LinkRole::Origin | LinkRole::Guard => links[from].entries.push(wire),
        LinkRole::Static => links[from].statics.push(wire),
        LinkRole::Balance => links[from].balanced.push(wire),
        LinkRole::CacheAside => links[from].caches.push(wire),
        // The router stands in for the data tier.
        LinkRole::Query | LinkRole::Route => links[from].databases.push(wire),
        LinkRole::KeyValue => links[from].nosqls.push(wire),
        LinkRole::Publish => links[from].queues.push(wire),
        LinkRole::Shard => links[from].shards.push(wire),
        LinkRole::Replicate => primary_of[to] = Some(from as u16),
        LinkRole::Consume => {
            links[from].pools.push(to as u16);
            links[to].consumed.push(from as u16);
        }
    }
}

/// A request at one node, as that node's component sees it.
pub(crate) struct Visit<'a> {
    pub now: Nanos,
    pub node: usize,
    /// The request's slot in the arena, and the request.
    pub id: u32,
    pub req: &'a mut Request,
    /// The request's frame index at this node.
    pub f: u8,
    pub net: &'a Network,
    pub stats: &'a mut NodeStats,
}

impl Visit<'_> {
    /// The key the request reads or writes: drawn before a component that
    /// routes by key sees the request (see [`Component::routes_by_key`]).
    pub fn key(&self) -> u64 {
        debug_assert!(self.req.key != NO_KEY, "drawn before a component routing by key decides");
        self.req.key
    }

    /// The request's frame at this node.
    pub fn frame(&self) -> &Frame {
        &self.req.frames[self.f as usize]
    }

    /// Whether this node is serving.
    pub fn serving(&self) -> bool {
        self.net.nodes[self.node].serving()
    }
}

/// The key `req` reads or writes, drawn from the users who sent it the first
/// time it is needed (so the key stream is consumed only by requests that
/// touch data, in the order they first do).
pub(crate) fn key_of(components: &mut [Component], req: &mut Request) -> u64 {
    if req.key == NO_KEY {
        req.key = match &mut components[req.frames[0].node as usize] {
            Component::Users(u) => u.draw_key(),
            _ => 0,
        };
    }
    req.key
}

/// A station's work on a request, with every component in reach: a web
/// server calls caches and databases, fills and invalidates caches; a
/// primary ships its writes to its replicas.
pub(crate) struct Work<'a> {
    pub now: Nanos,
    pub node: usize,
    pub req: &'a mut Request,
    /// The request's frame index at this node.
    pub f: u8,
    pub components: &'a mut [Component],
    pub net: &'a Network,
    pub stats: &'a mut [NodeStats],
    pub sessions: &'a mut web::SessionHomes,
}

impl Work<'_> {
    /// The key the request reads or writes, drawn from its users the first time.
    pub fn key(&mut self) -> u64 {
        key_of(self.components, self.req)
    }
}

impl Component {
    /// The run-time side of a node of `spec` in slot `slot`, at start-up or
    /// added while running: `outgoing` are its links in scenario order (a node
    /// added live has none yet; its links arrive as edits of their own).
    pub(crate) fn for_node(spec: &NodeSpec, outgoing: Vec<u16>, seed: u64, slot: usize) -> Component {
        let station = |spec: &NodeSpec, role: Role| {
            let station = spec.station_runtime().expect("a station's spec has station settings");
            Component::Station(Station::new(&station, role, seed, slot))
        };
        match spec {
            NodeSpec::Users(spec) => Component::Users(Users::new(spec, outgoing.first().copied(), seed, slot)),
            NodeSpec::LoadBalancer(spec) => Component::Balancer(Balancer::new(spec, outgoing, seed, slot)),
            NodeSpec::Queue(q) => Component::Queue(queue::QueueState::new(q.capacity)),
            NodeSpec::ShardRouter(r) => Component::ShardRouter(shard_router::ShardRouter::new(r)),
            NodeSpec::Dns(d) => Component::Dns(dns::DnsNode::new(d, seed ^ slot as u64)),
            NodeSpec::Cdn(c) => Component::Cdn(cdn::Cdn::new(c)),
            NodeSpec::RateLimiter(r) => {
                Component::RateLimiter(rate_limiter::RateLimiter::new(r, outgoing.first().copied()))
            }
            NodeSpec::WebServer(w) => station(spec, Role::Web(web::WebCalls::new(w, seed, slot))),
            NodeSpec::Cache(c) => station(spec, Role::Cache(Box::new(cache::CacheState::new(c, seed, slot)))),
            NodeSpec::Database(d) => station(spec, Role::Database(Box::new(database::DbState::new(d)))),
            // A NoSQL store serves like a database without replicas.
            NodeSpec::Nosql(_) => station(spec, Role::Database(Box::default())),
            NodeSpec::Workers(_) => station(spec, Role::Workers(Box::default())),
        }
    }

    /// New settings for this node, of the same kind (`edited()` refuses a
    /// change of kind). Requests already here keep going. Returns what the
    /// kernel must do about it.
    pub(crate) fn retune(&mut self, spec: &NodeSpec) -> Retuned {
        const SAME_KIND: &str = "edited() refuses a change of kind";
        let mut r = Retuned::default();
        match self {
            Component::Users(u) => {
                let NodeSpec::Users(spec) = spec else { unreachable!("{SAME_KIND}") };
                let patience = u.client_timeout;
                r.rate = u.update(spec);
                r.patience = u.client_timeout != patience;
                r.caller = u.update_policy(spec);
                if r.rate {
                    u.epoch = u.epoch.wrapping_add(1);
                }
            }
            Component::Balancer(b) => {
                let NodeSpec::LoadBalancer(spec) = spec else { unreachable!("{SAME_KIND}") };
                r.health_checks = b.update(spec);
            }
            Component::Queue(q) => {
                let NodeSpec::Queue(spec) = spec else { unreachable!("{SAME_KIND}") };
                // A smaller capacity refuses new jobs until the backlog is below it.
                q.capacity = spec.capacity;
            }
            Component::Cdn(c) => {
                let NodeSpec::Cdn(spec) = spec else { unreachable!("{SAME_KIND}") };
                c.retune(spec);
            }
            Component::RateLimiter(l) => {
                let NodeSpec::RateLimiter(spec) = spec else { unreachable!("{SAME_KIND}") };
                l.retune(spec);
            }
            Component::Dns(d) => {
                let NodeSpec::Dns(spec) = spec else { unreachable!("{SAME_KIND}") };
                let (links, regions) = (d.links.clone(), d.regions().to_vec());
                d.configure(spec, links, regions);
            }
            Component::ShardRouter(router) => {
                let NodeSpec::ShardRouter(spec) = spec else { unreachable!("{SAME_KIND}") };
                let shards = router.links.len();
                r.resharded = router.update(spec).map(|moved| (shards, moved));
            }
            Component::Station(st) => {
                let Some(settings) = spec.station_runtime() else { unreachable!("{SAME_KIND}") };
                let (old_timeout, workers) = (st.timeout, st.workers);
                st.update(&settings);
                if st.group.is_some() {
                    st.workers = workers; // the group sets its size (`set_group`)
                }
                match (&mut st.role, spec) {
                    (Role::Web(w), NodeSpec::WebServer(web)) => r.caller = w.retune(web),
                    (Role::Database(db), NodeSpec::Database(d)) => db.retune(d),
                    (Role::Cache(c), NodeSpec::Cache(cache)) => c.retune(cache),
                    // NoSQL stores and worker pools have nothing beyond the station's settings.
                    (Role::Database(_), NodeSpec::Nosql(_)) | (Role::Workers(_), NodeSpec::Workers(_)) => {}
                    _ => unreachable!("{SAME_KIND}"),
                }
                r.station = Some(st.timeout != old_timeout);
            }
        }
        r
    }

    /// The wiring changed: the component keeps the links it uses. A shard
    /// router whose number of shards changed returns (before, after, share
    /// of the keys that move).
    pub(crate) fn rewire(&mut self, links: Links, net: &Network) -> Option<(usize, usize, f64)> {
        match self {
            Component::Users(u) => {
                u.link = links.entries.first().copied();
                u.cdn_link = links.statics.first().copied();
            }
            Component::Station(Station { role: Role::Web(w), .. }) => w.rewire(links),
            Component::Station(Station { role: Role::Workers(p), .. }) => p.queues = links.consumed,
            Component::Queue(q) => q.pools = links.pools,
            Component::Dns(d) => {
                let spec = d.spec.clone();
                let regions =
                    links.entries.iter().map(|&l| net.slot_region[net.end(l)].unwrap_or(Region::UsEast)).collect();
                d.configure(&spec, links.entries, regions);
            }
            Component::Cdn(c) => c.origins = links.entries,
            Component::RateLimiter(l) => l.link = links.entries.first().copied(),
            Component::ShardRouter(r) => {
                let before = r.links.len();
                let after = links.shards.len();
                return r.set_links(links.shards).map(|moved| (before, after, moved));
            }
            Component::Balancer(b) => b.rewire(&links.balanced),
            // Caches and databases call nothing.
            Component::Station(Station { role: Role::Cache(_) | Role::Database(_), .. }) => {}
        }
        None
    }

    /// The node crashed: what the component kept in memory is gone (a cache
    /// and a CDN's edges come back cold). What the kernel holds for it (its
    /// queue, its workers' work, jobs to hand back) the kernel clears itself.
    pub(crate) fn forget(&mut self) {
        match self {
            Component::Cdn(c) => c.flush(),
            Component::Station(Station { role: Role::Cache(c), .. }) => c.flush(),
            // A limiter keeps its counts in memory: after a restart every
            // caller starts with a full bucket.
            Component::RateLimiter(l) => l.forget(),
            // So does a web server its retry budget.
            Component::Station(Station { role: Role::Web(w), .. }) => {
                if let Some(c) = w.caller.as_deref_mut() {
                    c.restarted();
                }
            }
            // Nothing kept in memory that a restart loses: users are not a
            // machine, a balancer's open connections fail as their answers
            // come back through it, routers and DNS keep no state of their
            // own, a queue is durable, and a station's work is the kernel's.
            Component::Users(_)
            | Component::Balancer(_)
            | Component::Queue(_)
            | Component::ShardRouter(_)
            | Component::Dns(_)
            | Component::Station(Station { role: Role::Database(_) | Role::Workers(_), .. }) => {}
        }
    }

    /// The caller kept by this node when it has a call policy (users with
    /// `retry`, a web server with `calls`).
    pub(crate) fn caller_mut(&mut self) -> Option<&mut caller::Caller> {
        match self {
            Component::Users(u) => u.caller.as_deref_mut(),
            Component::Station(Station { role: Role::Web(w), .. }) => w.caller.as_deref_mut(),
            _ => None,
        }
    }

    pub(crate) fn caller(&self) -> Option<&caller::Caller> {
        match self {
            Component::Users(u) => u.caller.as_deref(),
            Component::Station(Station { role: Role::Web(w), .. }) => w.caller.as_deref(),
            _ => None,
        }
    }

    /// Whether the component routes requests by their key (a CDN edge looks
    /// it up, a shard router picks the shard holding it): the key is then
    /// drawn before it decides.
    fn routes_by_key(&self) -> bool {
        match self {
            Component::Cdn(_) | Component::ShardRouter(_) => true,
            Component::Users(_)
            | Component::Balancer(_)
            | Component::Station(_)
            | Component::Queue(_)
            | Component::Dns(_)
            | Component::RateLimiter(_) => false,
        }
    }

    /// A request reached serving node `v.node` on its way down: what happens.
    #[inline]
    pub(crate) fn arrive(components: &mut [Component], v: &mut Visit) -> Arrival {
        if components[v.node].routes_by_key() {
            key_of(components, v.req);
        }
        match &mut components[v.node] {
            Component::Balancer(b) => b.arrive(v),
            Component::Station(st) => st.arrive(v),
            Component::Cdn(c) => c.arrive(v),
            Component::Dns(d) => d.arrive(v),
            Component::ShardRouter(r) => r.arrive(v),
            Component::Queue(q) => q.arrive(v),
            Component::RateLimiter(l) => l.arrive(v),
            Component::Users(_) => unreachable!("validation: nothing sends requests to users"),
        }
    }

    /// The answer to a request node `v.node` passed down came back; `below`
    /// is the wire it came back on.
    #[inline]
    pub(crate) fn answered(components: &mut [Component], v: &mut Visit, below: u16) -> Reply {
        match &mut components[v.node] {
            Component::Users(_) if v.frame().abandoned => Reply::Drop,
            Component::Users(_) => Reply::Finish,
            Component::Balancer(b) => b.answered(v, below),
            Component::RateLimiter(l) => l.answered(v),
            Component::Cdn(c) => c.answered(v),
            Component::ShardRouter(_) | Component::Dns(_) => {
                let ok = v.req.failure.is_none();
                passed_up(v, ok);
                Reply::Pass
            }
            Component::Station(_) => Reply::Resume,
            Component::Queue(_) => unreachable!("validation: a queue calls nothing, so no answer comes back to it"),
        }
    }
}

/// An answer passing back up through a node that holds the caller's
/// connection (a balancer, a rate limiter): lost, failing with `node_down`,
/// if the node died while it was below.
pub(crate) fn pass_unless_died(v: &mut Visit) -> Reply {
    let (ok, serving) = (v.req.failure.is_none(), v.serving());
    if !serving && ok {
        v.stats.counters.failed_down += 1;
    }
    passed_up(v, ok && serving);
    if !serving && ok {
        Reply::Fail(Cause::NodeDown)
    } else {
        Reply::Pass
    }
}

/// An answer passed back up through a node that holds no workers (a
/// balancer, a shard router, DNS): the request leaves it, answered if `ok`.
pub(crate) fn passed_up(v: &mut Visit, ok: bool) {
    let stayed = v.now - v.frame().arrived;
    let c = &mut v.stats.counters;
    c.depart(stayed);
    if ok {
        c.completed += 1;
    }
}

/// Each kind's decisions, tested on their own: no event loop, only a
/// network, the components and one request at a time.
#[cfg(test)]
mod tests {
    use super::net::Health;
    use super::rig::Rig;
    use super::*;

    const USERS: &str = r#"{"id": "n0", "kind": "users", "rps": 10}"#;

    fn web(i: usize) -> String {
        format!(
            r#"{{"id": "n{i}", "kind": "web_server", "workers": 1, "service": {{"dist": "constant", "mean_ms": 1}}}}"#
        )
    }

    #[test]
    fn a_cdn_edge_fetches_a_miss_from_the_nearest_origin_and_then_answers_it() {
        let cdn =
            r#"{"id": "n1", "kind": "cdn", "capacity": 100, "ttl_s": 60, "fallback_to_origin": true, "object_kb": 10}"#;
        let mut rig = Rig::new(&format!("{USERS}, {cdn}, {}, {}", web(2), web(3)), &[(0, 1), (1, 2), (1, 3)]);
        rig.net.slot_region[2] = Some(Region::UsEast);
        rig.net.slot_region[3] = Some(Region::Europe);
        let Component::Cdn(c) = &mut rig.components[1] else { panic!("a CDN") };
        c.origins = vec![1, 2];

        let first = rig.request(42, Some(Region::Europe), 1);
        assert_eq!(rig.arrive(first), Arrival::Forward { link: 2, to: 3, delay: 0 }, "a miss goes to the EU origin");
        assert_eq!(rig.answered(first, 2), Reply::Pass);
        let again = rig.request(42, Some(Region::Europe), 1);
        assert_eq!(rig.arrive(again), Arrival::Answer, "the EU edge keeps what it fetched");
        let elsewhere = rig.request(42, Some(Region::UsEast), 1);
        assert_eq!(
            rig.arrive(elsewhere),
            Arrival::Forward { link: 1, to: 2, delay: 0 },
            "each region has its own edge"
        );
        let c = &rig.stats[1].counters;
        assert_eq!((c.hits, c.misses, c.completed), (1, 2, 2));

        rig.net.nodes[3].health = Health::Down;
        let other = rig.request(43, Some(Region::Europe), 1);
        assert_eq!(rig.arrive(other), Arrival::Forward { link: 1, to: 2, delay: 0 }, "the EU origin is down");
        rig.net.nodes[2].health = Health::Down;
        let none = rig.request(44, Some(Region::Europe), 1);
        assert_eq!(
            rig.arrive(none),
            Arrival::Forward { link: 1, to: 2, delay: 0 },
            "none is up: the first, to fail there"
        );
    }

    #[test]
    fn a_station_serves_while_it_has_workers_then_queues_then_refuses() {
        let station = r#"{"id": "n1", "kind": "web_server", "workers": 1, "queue_limit": 1, "service": {"dist": "constant", "mean_ms": 1}}"#;
        let mut rig = Rig::new(&format!("{USERS}, {station}"), &[(0, 1)]);
        let a = rig.request(1, None, 1);
        assert_eq!(rig.arrive(a), Arrival::Serve);
        let Component::Station(st) = &mut rig.components[1] else { panic!("a station") };
        st.busy = 1; // the kernel started its service
        let b = rig.request(2, None, 1);
        assert_eq!(rig.arrive(b), Arrival::Wait);
        assert_eq!(rig.arena.get(b).frames[1].state, crate::blocks::request::FrameState::Queued);
        let c = rig.request(3, None, 1);
        assert_eq!(rig.arrive(c), Arrival::Fail(Cause::Rejected));
        let Component::Station(st) = &rig.components[1] else { panic!("a station") };
        assert_eq!((st.waiting, st.queue.len()), (1, 1));
        assert_eq!(rig.stats[1].counters.rejected, 1);
        assert_eq!(rig.stats[1].queued.value(), 1);
    }

    #[test]
    fn a_web_servers_crash_fills_its_retry_budget_again_and_users_keep_theirs() {
        let calls = r#"{"id": "n1", "kind": "web_server", "workers": 1, "service": {"dist": "constant", "mean_ms": 1},
            "calls": {"max_attempts": 4, "budget": {"tokens": 2, "refill": 0.1}}}"#;
        let users = r#"{"id": "n0", "kind": "users", "rps": 10, "retry": {"max_attempts": 4, "budget": {"tokens": 2, "refill": 0.1}}}"#;
        let mut rig = Rig::new(&format!("{users}, {calls}"), &[(0, 1)]);
        for c in &mut rig.components {
            let caller = c.caller_mut().expect("both have a policy");
            assert!(caller.retry_after(Cause::Error, 1).is_some() && caller.retry_after(Cause::Error, 1).is_some());
            assert_eq!(caller.retry_after(Cause::Error, 1), None, "spent");
            c.forget();
        }
        assert_eq!(
            rig.components[1].caller().and_then(|c| c.tokens()),
            Some(2.0),
            "a restarted server's budget is full"
        );
        assert_eq!(rig.components[0].caller().and_then(|c| c.tokens()), Some(0.0), "users are not a machine");
    }

    #[test]
    fn a_queue_takes_jobs_until_it_is_full() {
        let queue = r#"{"id": "n1", "kind": "queue", "capacity": 2}"#;
        let mut rig = Rig::new(&format!("{USERS}, {queue}"), &[]);
        let arrivals: Vec<Arrival> = (0..3)
            .map(|k| {
                let id = rig.request(k, None, 1);
                rig.arrive(id)
            })
            .collect();
        assert_eq!(arrivals, [Arrival::Publish, Arrival::Publish, Arrival::Fail(Cause::Rejected)]);
        let c = &rig.stats[1].counters;
        assert_eq!((c.completed, c.rejected), (2, 1));
    }

    #[test]
    fn a_shard_router_sends_a_key_to_its_shard_or_the_replica_promoted_there() {
        let router = r#"{"id": "n1", "kind": "shard_router", "routing": "modulo"}"#;
        let db = |i: usize| {
            format!(
                r#"{{"id": "n{i}", "kind": "database", "workers": 1, "service": {{"dist": "constant", "mean_ms": 1}}}}"#
            )
        };
        let mut rig = Rig::new(&format!("{USERS}, {router}, {}, {}", db(2), db(3)), &[(0, 1), (1, 2), (1, 3)]);
        rig.components[1].rewire(Links { shards: vec![1, 2], ..Links::default() }, &rig.net);
        let id = rig.request(5, None, 1);
        let Arrival::Forward { link, to, delay: 0 } = rig.arrive(id) else { panic!("forwarded") };
        assert_eq!(to as usize, rig.net.end(link), "to the shard at the end of its link");
        // The shard's primary failed and its replica (slot 0 stands in) was promoted.
        rig.net.primary_of[to as usize] = Some(0);
        let again = rig.request(5, None, 1);
        assert_eq!(rig.arrive(again), Arrival::Forward { link, to: 0, delay: 0 }, "the same key, the promoted replica");
    }

    #[test]
    fn a_balancer_that_died_with_a_connection_open_loses_its_answer() {
        let lb = r#"{"id": "n1", "kind": "load_balancer", "algorithm": "least_connections"}"#;
        let mut rig = Rig::new(&format!("{USERS}, {lb}, {}", web(2)), &[(0, 1), (1, 2)]);
        let Component::Balancer(b) = &mut rig.components[1] else { panic!("a balancer") };
        b.add_backend(1);
        let id = rig.request(1, None, 1);
        assert_eq!(rig.arrive(id), Arrival::Forward { link: 1, to: 2, delay: 0 });
        let Component::Balancer(b) = &rig.components[1] else { panic!("a balancer") };
        assert_eq!(b.backends()[0].open, 1);
        rig.net.nodes[1].health = Health::Down;
        assert_eq!(rig.answered(id, 1), Reply::Fail(Cause::NodeDown));
        let Component::Balancer(b) = &rig.components[1] else { panic!("a balancer") };
        assert_eq!(b.backends()[0].open, 0, "the connection is closed either way");
        let c = &rig.stats[1].counters;
        assert_eq!((c.failed_down, c.completed, c.departed), (1, 0, 1));
    }
}
