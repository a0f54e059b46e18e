//! A web server's part of a request, step by step: each time it has finished
//! a part (its own service, or a call it made) it decides the next one.
//! Reads ask the cache first, then on a miss the database (a replica when
//! there is one) and fill the cache; writes go to the primary and then
//! invalidate the cached key; jobs go to a message queue; static files are
//! answered by the server itself. Sessions kept on the server are lost when
//! a user reaches another server; shared ones are read from a store first.

use crate::blocks::request::{Cause, Kind};
use crate::blocks::sharding::Router;
use crate::components::station::{Role, Station};
use crate::components::{cache, Component, Next, Work};
use crate::model::scenario::{Sessions, Waiting};

/// Where a web server is in a request: the step it continues at when the
/// answer of its call comes back (kept in the request's frame).
const SERVED: u8 = 0;
const ASKED_CACHE: u8 = 1;
const READ_DB: u8 = 2;
const WROTE_DB: u8 = 3;
const PUBLISHED: u8 = 4;
const SESSION_DONE: u8 = 5;
/// Coalescing misses: the read of the database that other readers of the
/// same key wait for (its return wakes them, `Simulation::wake_parked`).
pub(crate) const LEADING: u8 = 6;
/// Coalescing misses: waiting for another reader's database answer.
pub(crate) const PARKED: u8 = 7;

/// A web server's downstream links (wire indices), refreshed whenever the
/// wiring changes.
#[derive(Debug)]
pub struct WebCalls {
    pub waiting: Waiting,
    pub sessions: crate::model::scenario::Sessions,
    /// The shared session store's link (a NoSQL store, else a cache).
    pub session_store: Option<u16>,
    /// Links to cache nodes; a key goes to one of them by consistent hashing.
    pub caches: Vec<u16>,
    pub ring: Option<Router>,
    /// Links to databases: one primary and any of its replicas.
    pub databases: Vec<u16>,
    /// Links to message queues: jobs go to the first.
    pub queues: Vec<u16>,
    /// Round-robin position over the read replicas.
    pub next_read: usize,
    /// The server's call policy and its attempts' deadlines (`None`: each
    /// call is made once, and waited for).
    pub caller: Option<Box<crate::components::caller::Caller>>,
    /// Coalesced misses: per key, the read of it under way and the readers
    /// waiting for its answer. An entry lives while its leader's read is
    /// out, so there are never more entries, nor waiting readers, than
    /// requests at the server. Ordered, so a crash fails them in the same
    /// order every run. Boxed: a station's role stays small.
    #[allow(clippy::box_collection)]
    pub(crate) inflight: Box<std::collections::BTreeMap<u64, Flight>>,
    /// The run's seed and this node's slot (a policy added while running
    /// seeds its jitter's stream from them).
    seed: u64,
    slot: usize,
}

/// One key's read under way at a web server that coalesces misses: the
/// request reading it (slot, generation) and the readers waiting for it.
#[derive(Debug)]
pub(crate) struct Flight {
    pub leader: (u32, u32),
    /// Waiting readers: slot, generation, frame.
    pub parked: Vec<(u32, u32, u8)>,
}

impl WebCalls {
    pub fn new(spec: &crate::model::kinds::web_server::WebServerSpec, seed: u64, slot: usize) -> WebCalls {
        let (waiting, sessions) = (spec.waiting, spec.sessions);
        WebCalls {
            waiting,
            sessions,
            session_store: None,
            caches: Vec::new(),
            ring: None,
            databases: Vec::new(),
            queues: Vec::new(),
            next_read: 0,
            caller: crate::components::caller::for_policy(spec.calls, seed, slot),
            inflight: Box::default(),
            seed,
            slot,
        }
    }

    /// New settings while running. Returns whether the deadlines of the
    /// calls under way must be rebuilt (see [`crate::components::caller::retune`]).
    pub(crate) fn retune(&mut self, spec: &crate::model::kinds::web_server::WebServerSpec) -> bool {
        self.waiting = spec.waiting;
        self.sessions = spec.sessions;
        crate::components::caller::retune(&mut self.caller, spec.calls, self.seed, self.slot)
    }

    /// The cache link responsible for `key` (the same one every time while the
    /// set of caches stays the same), or `None` without caches.
    pub fn cache_link(&self, key: u64) -> Option<u16> {
        match self.caches.len() {
            0 => None,
            1 => Some(self.caches[0]),
            _ => {
                let shard = self.ring.as_ref().map_or(0, |r| r.shard_of(key) as usize);
                self.caches.get(shard).copied()
            }
        }
    }

    /// New wiring: its caches, databases (a NoSQL store holds the data when
    /// there is no relational database), queues and session store (a NoSQL
    /// store if there is one, else a cache).
    pub(crate) fn rewire(&mut self, links: crate::components::Links) {
        self.session_store = links.nosqls.first().or(links.caches.first()).copied();
        self.set_caches(links.caches);
        self.databases =
            if links.databases.is_empty() { links.nosqls.into_iter().take(1).collect() } else { links.databases };
        self.queues = links.queues;
    }

    /// New cache links: the ring is rebuilt (virtual nodes keep the keys that
    /// move to about 1/n when a cache is added).
    pub fn set_caches(&mut self, links: Vec<u16>) {
        if links != self.caches {
            self.ring =
                (links.len() > 1).then(|| Router::consistent_hash(links.len() as u32, CACHE_VNODES).ok()).flatten();
            self.caches = links;
        }
    }
}

/// Virtual nodes per cache on the consistent-hashing ring.
const CACHE_VNODES: u32 = 100;

/// User groups for local sessions: users are hashed into this many groups
/// (2 MB of memory); a population larger than this shares groups.
const SESSION_BUCKETS: usize = 1 << 20;
const NO_HOME: u16 = u16::MAX;

/// Which web server holds each user group's session, for servers that keep
/// sessions in memory (built on first use).
#[derive(Debug, Default)]
pub(crate) struct SessionHomes {
    homes: Option<Vec<u16>>,
}

impl SessionHomes {
    /// User `user` reaches web server `node`, which keeps sessions locally:
    /// whether their session was lost (it lived on another server, or died
    /// with one). It lives here from now on.
    fn visit(&mut self, user: u32, node: usize) -> bool {
        let bucket = (crate::blocks::sharding::key_hash(u64::from(user)) as usize) & (SESSION_BUCKETS - 1);
        let homes = self.homes.get_or_insert_with(|| vec![NO_HOME; SESSION_BUCKETS]);
        let home = homes[bucket];
        if home == node as u16 {
            return false;
        }
        homes[bucket] = node as u16;
        home != NO_HOME
    }

    /// Web server `node` crashed: every session it held is lost. Returns how
    /// many user groups lost theirs.
    pub(crate) fn drop_node(&mut self, node: usize) -> u64 {
        let Some(homes) = &mut self.homes else { return 0 };
        let mut lost = 0;
        for h in homes.iter_mut() {
            if *h == node as u16 {
                *h = NO_HOME;
                lost += 1;
            }
        }
        lost
    }
}

fn calls(components: &[Component], node: usize) -> Option<&WebCalls> {
    match &components[node] {
        Component::Station(Station { role: Role::Web(c), .. }) => Some(c),
        _ => None,
    }
}

/// Web server `w.node`'s next move for `w.req`, each time it has finished a
/// part: its own service (step `SERVED`), or a call whose answer came back.
pub(crate) fn step(w: &mut Work) -> Next {
    let node = w.node;
    let (kind, mut step) = (w.req.kind, w.req.frames[w.f as usize].step);
    let Some(c) = calls(w.components, node) else { return Next::Answer };
    let (sessions, store) = (c.sessions, c.session_store);
    let (has_caches, has_databases) = (!c.caches.is_empty(), !c.databases.is_empty());
    // An asynchronous server frees its worker while it waits for a call.
    let free_worker = c.waiting == Waiting::Async;
    // With a call policy each call goes out as an attempt the policy times
    // out and retries.
    let with_policy = c.caller.is_some();
    let call = move |link: u16, step: u8| {
        if with_policy {
            Next::Attempt { link, step, free_worker }
        } else {
            Next::Call { link, step, free_worker }
        }
    };
    if step == SERVED && kind != Kind::Static {
        // Whose session is this? Locally kept: it must be here. Shared: ask the store first.
        match (sessions, store) {
            (Sessions::Local, _) => {
                let lost = w.sessions.visit(w.req.user, node);
                w.stats[node].counters.sessions_lost += u64::from(lost);
            }
            (Sessions::Shared, Some(link)) => {
                w.req.session_call = true;
                return call(link, SESSION_DONE);
            }
            _ => {}
        }
    }
    if step == SESSION_DONE {
        w.req.session_call = false;
        step = SERVED;
    }
    match (kind, step) {
        // A server without caches or databases keeps its data itself.
        (Kind::Read | Kind::Write, SERVED) if !has_caches && !has_databases => Next::Answer,
        (Kind::Read, SERVED) => match serving_cache(w, has_caches) {
            Some(link) => call(link, ASKED_CACHE),
            None => read_target(w).map_or(Next::Answer, |link| call(link, READ_DB)),
        },
        (Kind::Read, ASKED_CACHE) if w.req.cache_miss => {
            if coalescing(w) {
                // The kernel leads the read or waits for the one under way.
                return Next::Coalesce { free_worker };
            }
            read_target(w).map_or(Next::Answer, |link| call(link, READ_DB))
        }
        (Kind::Read, READ_DB | LEADING) => {
            // Read-through: the answer is put in the cache on its way out.
            if let Some(link) = serving_cache(w, has_caches) {
                let key = w.key();
                // How long the fill took, counted from the reader's arrival
                // here (see `cache::CacheState::last_fill`).
                let took = w.now.saturating_sub(w.req.frames[w.f as usize].arrived).max(1);
                cache::fill(w.components, w.net.end(link), key, w.now, took);
            }
            Next::Answer
        }
        (Kind::Write, SERVED) => match write_target(w) {
            Ok(Some(link)) => call(link, WROTE_DB),
            Ok(None) => Next::Answer,
            Err(cause) => Next::Fail(cause),
        },
        (Kind::Write, WROTE_DB) => {
            after_write(w);
            Next::Answer
        }
        (Kind::Job, SERVED) => {
            // The first queue that is up (a second queue is a spare).
            let queues = calls(w.components, node).map_or(&[][..], |c| &c.queues[..]);
            let queue = queues.iter().copied().find(|&l| w.net.end_serving(l)).or(queues.first().copied());
            queue.map_or(Next::Answer, |link| call(link, PUBLISHED))
        }
        _ => Next::Answer,
    }
}

/// Where web server `w.node` sends the retry of the call its frame waits
/// on (the step it continues at says which), chosen now as the first call
/// would be: a replica that went down since is passed over, a cache that
/// went down sends the read to the database. When the wiring changed
/// since, the retry meets what a first call would meet now: a server left
/// without a database answers by itself (it keeps its data), a job with no
/// queue is done in place, a write with only replicas fails `no_route`.
pub(crate) fn retry_target(w: &mut Work) -> Next {
    let step = w.req.frames[w.f as usize].step;
    let Some(c) = calls(w.components, w.node) else { return Next::Answer };
    let (free_worker, store, has_caches) = (c.waiting == Waiting::Async, c.session_store, !c.caches.is_empty());
    let has_databases = !c.databases.is_empty();
    let attempt = |link: u16, step: u8| Next::Attempt { link, step, free_worker };
    match step {
        SESSION_DONE => match store {
            Some(link) => attempt(link, SESSION_DONE),
            // No store any more: the session is not read (as for a first
            // request now), and the data call is retried in its place.
            None => {
                w.req.session_call = false;
                w.req.frames[w.f as usize].step = SERVED;
                first_data_call(w, has_caches, has_databases, attempt)
            }
        },
        // A coalescing server's own read of a missed key is retried as itself.
        READ_DB | LEADING => read_target(w).map_or(Next::Answer, |link| attempt(link, step)),
        ASKED_CACHE | WROTE_DB | PUBLISHED => first_data_call(w, has_caches, has_databases, attempt),
        _ => Next::Answer,
    }
}

/// The data call a web server makes first for `w.req` (after its own
/// service and any session read), as [`step`] makes it at `SERVED`.
fn first_data_call(w: &mut Work, has_caches: bool, has_databases: bool, call: impl Fn(u16, u8) -> Next) -> Next {
    match w.req.kind {
        Kind::Read | Kind::Write if !has_caches && !has_databases => Next::Answer,
        Kind::Read => match serving_cache(w, has_caches) {
            Some(link) => call(link, ASKED_CACHE),
            None => read_target(w).map_or(Next::Answer, |link| call(link, READ_DB)),
        },
        Kind::Write => match write_target(w) {
            Ok(Some(link)) => call(link, WROTE_DB),
            Ok(None) => Next::Answer,
            Err(cause) => Next::Fail(cause),
        },
        Kind::Job => {
            let queues = calls(w.components, w.node).map_or(&[][..], |c| &c.queues[..]);
            let queue = queues.iter().copied().find(|&l| w.net.end_serving(l)).or(queues.first().copied());
            queue.map_or(Next::Answer, |link| call(link, PUBLISHED))
        }
        Kind::Static => Next::Answer,
    }
}

/// Whether the cache that missed `w.req`'s key coalesces misses (asked
/// again: the cache serving the key now).
fn coalescing(w: &mut Work) -> bool {
    let has_caches = calls(w.components, w.node).is_some_and(|c| !c.caches.is_empty());
    serving_cache(w, has_caches).is_some_and(|link| cache::coalesces(w.components, w.net.end(link)))
}

/// A coalescing server's read of the database for a missed key that no
/// other reader is reading: the call (continuing at `LEADING`), or an
/// answer when the server has no database.
pub(crate) fn lead(w: &mut Work) -> Next {
    read_alone(w, LEADING)
}

/// After the read another reader led failed, each reader that waited for it
/// reads the database alone, as without coalescing.
pub(crate) fn read_again(w: &mut Work) -> Next {
    read_alone(w, READ_DB)
}

/// A read of the database for `w.req`'s key, continuing at `step`.
fn read_alone(w: &mut Work, step: u8) -> Next {
    let Some(c) = calls(w.components, w.node) else { return Next::Answer };
    let (with_policy, free_worker) = (c.caller.is_some(), c.waiting == Waiting::Async);
    match read_target(w) {
        Some(link) if with_policy => Next::Attempt { link, step, free_worker },
        Some(link) => Next::Call { link, step, free_worker },
        None => Next::Answer,
    }
}

/// The cache link for the request's key, if the server has caches and that
/// cache is up (a cache that is down is skipped: reads go to the database).
fn serving_cache(w: &mut Work, has_caches: bool) -> Option<u16> {
    if !has_caches {
        return None;
    }
    let key = w.key();
    let link = calls(w.components, w.node)?.cache_link(key)?;
    w.net.end_serving(link).then_some(link)
}

/// Where a read goes: round robin over the linked replicas that are up, else
/// the primary. `None`: the server has no database and answers by itself
/// (it keeps its data locally).
fn read_target(w: &mut Work) -> Option<u16> {
    let net = w.net;
    let is_up_replica = |&l: &u16| {
        let to = net.end(l);
        net.primary_of[to].is_some() && net.nodes[to].serving()
    };
    let Component::Station(Station { role: Role::Web(c), .. }) = &mut w.components[w.node] else { return None };
    if c.databases.is_empty() {
        return None;
    }
    let replicas = c.databases.iter().filter(|l| is_up_replica(l)).count();
    if replicas == 0 {
        let primary = c.databases.iter().copied().find(|&l| net.primary_of[net.end(l)].is_none());
        return primary.or_else(|| c.databases.first().copied());
    }
    let i = c.next_read % replicas;
    c.next_read = (i + 1) % replicas;
    c.databases.iter().copied().filter(is_up_replica).nth(i)
}

/// The link to the primary database for a write: `Ok(None)` when the server
/// has no database, `Err(no_route)` when it is linked only to replicas.
fn write_target(w: &Work) -> Result<Option<u16>, Cause> {
    let Some(c) = calls(w.components, w.node) else { return Ok(None) };
    if c.databases.is_empty() {
        return Ok(None);
    }
    let net = w.net;
    c.databases.iter().copied().find(|&l| net.primary_of[net.end(l)].is_none()).map(Some).ok_or(Cause::NoRoute)
}

/// After a successful write, the cached copy of the key is removed, or,
/// when the cache does not invalidate on writes, marked stale.
fn after_write(w: &mut Work) {
    if w.req.failure.is_some() || calls(w.components, w.node).is_none_or(|c| c.caches.is_empty()) {
        return;
    }
    let key = w.key();
    let Some(link) = calls(w.components, w.node).and_then(|c| c.cache_link(key)) else { return };
    cache::written(w.components, w.net.end(link), key, w.now);
}
