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
pub mod cdn;
pub mod database;
pub mod dns;
pub mod net;
pub mod queue;
pub mod shard_router;
pub mod station;
pub mod users;
pub mod web;

use crate::base::time::Nanos;
use crate::blocks::request::{Cause, Frame, Request, NO_KEY};
use crate::metrics::stats::NodeStats;
use crate::model::scenario::NodeSpec;
use balancer::Balancer;
use net::Net;
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
    Answer,
    Fail(Cause),
}

/// A request at one node, as that node's component sees it.
pub(crate) struct Visit<'a> {
    pub now: Nanos,
    pub node: usize,
    /// The request's slot in the arena, and the request.
    pub id: u32,
    pub req: &'a mut Request,
    /// The request's frame index at this node, and the frame as it was when the visit began.
    pub f: u8,
    pub frame: Frame,
    pub net: Net<'a>,
    pub stats: &'a mut NodeStats,
    /// The users who sent it, who draw its key on first use.
    users: Option<&'a mut Users>,
}

impl<'a> Visit<'a> {
    /// Builds the visit of `req` (frame `f`) at `node`; `components` lends
    /// the node's component, returned beside the visit.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        now: Nanos,
        node: usize,
        id: u32,
        req: &'a mut Request,
        f: u8,
        components: &'a mut [Component],
        net: Net<'a>,
        stats: &'a mut NodeStats,
    ) -> (&'a mut Component, Visit<'a>) {
        let frame = req.frames[f as usize];
        let source = req.frames[0].node as usize;
        let (component, users) = with_source(components, node, source);
        (component, Visit { now, node, id, req, f, frame, net, stats, users })
    }

    /// The key the request reads or writes, drawn from its users the first time.
    pub fn key(&mut self) -> u64 {
        if self.req.key == NO_KEY {
            self.req.key = self.users.as_deref_mut().map_or(0, Users::draw_key);
        }
        self.req.key
    }

    /// Whether this node is serving.
    pub fn serving(&self) -> bool {
        self.net.nodes[self.node].serving()
    }
}

/// The component at `node`, and the users at `source` if that slot holds users.
fn with_source(components: &mut [Component], node: usize, source: usize) -> (&mut Component, Option<&mut Users>) {
    let (here, there) = if source == node {
        return (&mut components[node], None);
    } else if node < source {
        let (low, high) = components.split_at_mut(source);
        (&mut low[node], &mut high[0])
    } else {
        let (low, high) = components.split_at_mut(node);
        (&mut high[0], &mut low[source])
    };
    match there {
        Component::Users(u) => (here, Some(u)),
        _ => (here, None),
    }
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
    pub net: Net<'a>,
    pub stats: &'a mut [NodeStats],
    pub sessions: &'a mut web::SessionHomes,
}

impl Work<'_> {
    /// The key the request reads or writes, drawn from its users the first time.
    pub fn key(&mut self) -> u64 {
        if self.req.key == NO_KEY {
            let source = self.req.frames[0].node as usize;
            self.req.key = match &mut self.components[source] {
                Component::Users(u) => u.draw_key(),
                _ => 0,
            };
        }
        self.req.key
    }
}

impl Component {
    /// The run-time side of a node of `spec` in slot `slot`, at start-up or
    /// added while running: `outgoing` are its links in scenario order (a node
    /// added live has none yet; its links arrive as edits of their own).
    pub(crate) fn for_node(spec: &NodeSpec, outgoing: Vec<u16>, seed: u64, slot: usize) -> Component {
        match spec {
            NodeSpec::Users(spec) => Component::Users(Users::new(spec, outgoing.first().copied(), seed, slot)),
            NodeSpec::LoadBalancer(spec) => Component::Balancer(Balancer::new(spec, outgoing, seed, slot)),
            NodeSpec::Queue(q) => Component::Queue(queue::QueueState::new(q.capacity)),
            NodeSpec::ShardRouter(r) => Component::ShardRouter(shard_router::ShardRouter::new(r)),
            NodeSpec::Dns(d) => Component::Dns(dns::DnsNode::new(d, seed ^ slot as u64)),
            NodeSpec::Cdn(c) => Component::Cdn(cdn::Cdn::new(c)),
            spec @ (NodeSpec::WebServer(_)
            | NodeSpec::Cache(_)
            | NodeSpec::Database(_)
            | NodeSpec::Workers(_)
            | NodeSpec::Nosql(_)) => {
                let station = spec.station_runtime().expect("these kinds are stations");
                Component::Station(Station::new(&station, Role::for_spec(spec), seed, slot))
            }
        }
    }

    /// A request reached this (serving) node on its way down.
    #[inline]
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        match self {
            Component::Balancer(b) => b.arrive(v),
            Component::Station(st) => st.arrive(v),
            Component::Cdn(c) => c.arrive(v),
            Component::Dns(d) => d.arrive(v),
            Component::ShardRouter(r) => r.arrive(v),
            Component::Queue(q) => q.arrive(v),
            Component::Users(_) => unreachable!("validation: nothing sends requests to users"),
        }
    }

    /// The answer to a request this node passed down came back; `below` is
    /// the wire it came back on.
    #[inline]
    pub(crate) fn answered(&mut self, v: &mut Visit, below: u16) -> Reply {
        match self {
            Component::Users(_) if v.frame.abandoned => Reply::Drop,
            Component::Users(_) => Reply::Finish,
            Component::Balancer(b) => b.answered(v, below),
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

/// An answer passed back up through a node that holds no workers (a
/// balancer, a shard router, DNS): the request leaves it, answered if `ok`.
pub(crate) fn passed_up(v: &mut Visit, ok: bool) {
    let c = &mut v.stats.counters;
    c.depart(v.now - v.frame.arrived);
    if ok {
        c.completed += 1;
    }
}
