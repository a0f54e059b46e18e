//! A station: `workers` identical workers in front of one FIFO queue, the model of
//! both web servers and databases. A request that finds a free worker starts at
//! once; otherwise it waits, unless `queue_limit` requests already wait, in which
//! case it is rejected. With `timeout_ms`, the caller gives up that long after the
//! request arrived here. With contention, service slows down as requests pile up.

use crate::base::rng::{Stream, StreamPurpose};
use crate::base::time::{ms_to_ns, Nanos};
use crate::blocks::request::{Cause, FrameState};
use crate::components::cache::CacheState;
use crate::components::database::DbState;
use crate::components::web::WebCalls;
use crate::components::{Arrival, Component, Next, Visit, Work};
use crate::model::scenario::{Contention, Discipline, Dist, StationSpec};
use std::collections::VecDeque;

/// Draws service times for one station.
#[derive(Clone, Copy, Debug)]
pub struct ServiceTime {
    dist: Dist,
    mean_ns: f64,
    /// Lognormal parameters of the underlying normal.
    mu: f64,
    sigma: f64,
}

impl ServiceTime {
    pub fn new(dist: Dist, mean_ms: f64, cv: Option<f64>) -> ServiceTime {
        let mean_ns = mean_ms * 1e6;
        let cv = cv.unwrap_or(1.0);
        // For a lognormal with mean m and coefficient of variation c:
        // sigma^2 = ln(1 + c^2) and mu = ln(m) - sigma^2 / 2.
        let sigma2 = libm::log(1.0 + cv * cv);
        ServiceTime { dist, mean_ns, mu: libm::log(mean_ns) - sigma2 / 2.0, sigma: libm::sqrt(sigma2) }
    }

    /// The mean service time, in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        self.mean_ns
    }

    #[inline]
    pub fn sample(&self, rng: &mut Stream, slowdown: f64) -> Nanos {
        let ns = match self.dist {
            Dist::Constant => self.mean_ns,
            Dist::Exponential => rng.exponential(self.mean_ns),
            Dist::Lognormal => libm::exp(self.mu + self.sigma * rng.standard_normal()),
        };
        (ns * slowdown + 0.5) as Nanos
    }
}

/// A request waiting for a deadline check: the slot, the generation it had, and
/// the frame index of this station in its path.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    pub at: Nanos,
    pub req: u32,
    pub generation: u32,
    pub frame: u8,
}

#[derive(Debug)]
pub struct Station {
    pub workers: u32,
    pub busy: u32,
    /// Waiting requests, oldest first. Entries whose caller gave up stay here
    /// until they reach the front (removing from the middle would cost O(n)),
    /// so the live count is kept separately.
    pub queue: VecDeque<(u32, u8)>,
    pub waiting: u32,
    pub queue_limit: Option<u32>,
    pub timeout: Option<Nanos>,
    /// Admitted requests in arrival order, for timeouts. Deadlines are arrival
    /// time plus one constant, so this order is also deadline order and one
    /// scheduled sweep at the front's deadline is enough.
    pub deadlines: VecDeque<Deadline>,
    /// When the one live deadline sweep of this station is due; any other sweep
    /// event for the station is stale and ignored.
    pub sweep_at: Option<Nanos>,
    pub service: ServiceTime,
    pub rng: Stream,
    /// What the station is: what it does after serving a request.
    pub role: Role,
    /// Service times are multiplied by this (1 when healthy; more when the node
    /// is slowed down by a fault).
    pub slowdown: f64,
    /// Bumped on every crash; see `Frame::incarnation`.
    pub incarnation: u16,
    /// An autoscaling group: `workers` is then its running machines times
    /// the workers of one machine.
    pub group: Option<Box<Group>>,
    /// Which waiting request is taken next, and what is shed from the queue.
    pub discipline: Discipline,
    pub lifo_above: u32,
    pub max_wait: Option<Nanos>,
    pub drop_abandoned: bool,
    /// FIFO with nothing shed: the queue is popped at its front and nothing
    /// else is looked at (the path every station took before shedding).
    pub plain: bool,
    /// Queue entries whose own caller timed out here and that are still in
    /// the queue (their place is freed when they are reached). LIFO may not
    /// reach them for a long time: the kernel sweeps them out when they
    /// outnumber the live ones.
    pub dead: u32,
    /// Service slower with more requests at the node; `None` on the plain path.
    pub contention: Option<Contention>,
}

/// The state of an autoscaling group of stations.
#[derive(Debug)]
pub struct Group {
    pub scaler: crate::blocks::autoscale::Autoscaler,
    /// Workers of one machine.
    pub per_instance: u32,
    /// The busy-worker integral and the time at the last check (utilisation
    /// since then is what the group tracks).
    pub last_busy_area: u128,
    pub last_arrivals: u64,
    pub last_check: Nanos,
    /// Bumped when the settings change, so older callbacks are ignored.
    pub epoch: u32,
}

/// What a station does besides queueing and serving.
#[derive(Debug)]
pub enum Role {
    /// Calls its caches and databases for reads and writes (a NoSQL store
    /// serves like a database without replicas).
    Web(WebCalls),
    /// Looks the request's key up in its store.
    Cache(Box<CacheState>),
    Database(Box<DbState>),
    /// Takes jobs from its queues instead of receiving requests.
    Workers(Box<crate::components::queue::PoolState>),
}

impl Station {
    pub fn new(spec: &StationSpec, role: Role, seed: u64, index: usize) -> Station {
        Station {
            workers: spec.workers,
            busy: 0,
            queue: VecDeque::new(),
            waiting: 0,
            queue_limit: spec.queue_limit,
            timeout: spec.timeout_ms.map(ms_to_ns),
            deadlines: VecDeque::new(),
            sweep_at: None,
            service: ServiceTime::new(spec.service.dist, spec.service.mean_ms, spec.service.cv),
            rng: Stream::new(seed, index, StreamPurpose::Service),
            role,
            slowdown: 1.0,
            incarnation: 0,
            group: None,
            discipline: spec.discipline,
            lifo_above: spec.lifo_above.unwrap_or(Discipline::DEFAULT_LIFO_ABOVE),
            max_wait: spec.max_wait_ms.map(ms_to_ns),
            drop_abandoned: spec.drop_abandoned,
            plain: is_plain(spec),
            dead: 0,
            contention: spec.contention,
        }
    }

    /// New parameters while running. Requests already waiting or in service
    /// keep going; a new timeout applies to everything at the node (so the
    /// deadline list stays in order), and the caller reschedules the sweep.
    pub fn update(&mut self, spec: &StationSpec) {
        self.workers = spec.workers;
        self.queue_limit = spec.queue_limit;
        self.service = ServiceTime::new(spec.service.dist, spec.service.mean_ms, spec.service.cv);
        self.timeout = spec.timeout_ms.map(ms_to_ns);
        self.discipline = spec.discipline;
        self.lifo_above = spec.lifo_above.unwrap_or(Discipline::DEFAULT_LIFO_ABOVE);
        self.max_wait = spec.max_wait_ms.map(ms_to_ns);
        self.drop_abandoned = spec.drop_abandoned;
        self.plain = is_plain(spec);
        self.contention = spec.contention;
    }

    /// What a service time starting now is multiplied by: the fault's
    /// slow-down, times the contention's m(n) when the node has contention
    /// (n: the requests at the node, counting the one starting, which the
    /// caller has already made busy). One branch when it has none.
    #[inline]
    pub fn service_factor(&self) -> f64 {
        match &self.contention {
            None => self.slowdown,
            Some(c) => self.contended(c),
        }
    }

    /// The slow-down times m(n), out of line so that the path without
    /// contention stays short.
    #[cold]
    #[inline(never)]
    fn contended(&self, c: &Contention) -> f64 {
        self.slowdown * c.factor(self.load_per_machine())
    }

    /// Busy plus waiting requests, per running machine in an autoscaling
    /// group (its `workers` are its machines' together).
    fn load_per_machine(&self) -> f64 {
        let n = f64::from(self.busy) + f64::from(self.waiting);
        match &self.group {
            Some(g) if self.workers > g.per_instance => n * f64::from(g.per_instance) / f64::from(self.workers),
            _ => n,
        }
    }

    /// Whether the next request is the newest (LIFO now) or the oldest.
    pub fn takes_newest(&self) -> bool {
        match self.discipline {
            Discipline::Fifo => false,
            Discipline::Lifo => true,
            Discipline::AdaptiveLifo => self.waiting >= self.lifo_above,
        }
    }

    pub fn has_free_worker(&self) -> bool {
        self.busy < self.workers
    }

    pub fn queue_is_full(&self) -> bool {
        self.queue_limit.is_some_and(|limit| self.waiting >= limit)
    }

    /// A request arrives: served at once by a free worker, else it waits its
    /// turn, unless the queue is full and it is refused.
    #[inline]
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        if !self.plain && self.drop_abandoned && v.req.frames[..v.f as usize].iter().any(|fr| fr.abandoned) {
            // Its caller gave up on the way here: no work for nobody.
            v.stats.counters.shed += 1;
            return Arrival::Fail(Cause::Shed);
        }
        if self.has_free_worker() {
            Arrival::Serve
        } else if self.queue_is_full() {
            v.stats.counters.rejected += 1;
            Arrival::Fail(Cause::Rejected)
        } else {
            self.queue.push_back((v.id, v.f));
            self.waiting += 1;
            v.stats.queued.set(v.now, self.waiting as u64);
            v.req.frames[v.f as usize].state = FrameState::Queued;
            Arrival::Wait
        }
    }
}

/// FIFO with nothing shed.
fn is_plain(spec: &StationSpec) -> bool {
    spec.discipline == Discipline::Fifo && spec.max_wait_ms.is_none() && !spec.drop_abandoned
}

/// Station `w.node` has served `w.req`: what its role does next (a web
/// server makes its calls, a cache looks the key up, a database replicates).
#[inline]
pub(crate) fn served(w: &mut Work) -> Next {
    // Only stations serve: the kernel calls this for nothing else.
    let Component::Station(st) = &w.components[w.node] else { return Next::Answer };
    let role = &st.role;
    match role {
        Role::Web(_) => crate::components::web::step(w),
        Role::Cache(_) => {
            crate::components::cache::lookup(w);
            Next::Answer
        }
        Role::Database(_) => {
            crate::components::database::replicate(w);
            Next::Answer
        }
        // Pools receive no requests (validation: nothing links to them but
        // queues, which send jobs).
        Role::Workers(_) => Next::Answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_has_the_requested_mean_and_cv() {
        let st = ServiceTime::new(Dist::Lognormal, 4.0, Some(2.0));
        let mut rng = Stream::new(3, 0, StreamPurpose::Service);
        let n = 2_000_000;
        let xs: Vec<f64> = (0..n).map(|_| st.sample(&mut rng, 1.0) as f64 / 1e6).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        let cv = var.sqrt() / mean;
        // The sample cv of a heavy-tailed lognormal converges slowly; 3% on the mean
        // and 10% on the cv are about 4 standard errors at this sample size.
        assert!((mean - 4.0).abs() / 4.0 < 0.03, "mean {mean}");
        assert!((cv - 2.0).abs() / 2.0 < 0.10, "cv {cv}");
    }

    #[test]
    fn contention_counts_the_starting_request_and_the_waiting_ones() {
        let c = Contention { slope: 0.02, knee: 8, max_factor: 1.5 };
        let mut spec = StationSpec::skeleton();
        spec.workers = 8;
        spec.contention = Some(c);
        let mut st = Station::new(&spec, Role::Workers(Box::default()), 1, 0);
        st.slowdown = 2.0;
        // Up to the knee: only the fault's slow-down.
        st.busy = 8;
        assert_eq!(st.service_factor(), 2.0);
        // 8 busy (the starting one among them) and 16 waiting: 16 beyond the
        // knee, 1 + 0.02 * 16 = 1.32.
        st.waiting = 16;
        assert!((st.service_factor() - 2.0 * 1.32).abs() < 1e-12);
        // Capped at max_factor.
        st.waiting = 1000;
        assert_eq!(st.service_factor(), 3.0);
        // Without contention, the slow-down alone however crowded.
        spec.contention = None;
        st.update(&spec);
        assert_eq!(st.service_factor(), 2.0);
        // Four partitions pooled: per partition the same factor.
        let p = c.pooled(4);
        assert!((p.factor(4.0 * 24.0) - c.factor(24.0)).abs() < 1e-12 && p.factor(32.0) == 1.0);
    }

    #[test]
    fn a_group_counts_contention_per_machine() {
        let mut spec = StationSpec::skeleton();
        spec.workers = 4;
        spec.contention = Some(Contention { slope: 0.1, knee: 4, max_factor: 10.0 });
        let mut st = Station::new(&spec, Role::Workers(Box::default()), 1, 0);
        st.group = Some(Box::new(Group {
            scaler: crate::blocks::autoscale::Autoscaler::with_running(
                crate::blocks::autoscale::AutoscalePolicy::utilization(1, 10, 0.5).unwrap(),
                3,
                0,
            )
            .unwrap(),
            per_instance: 4,
            last_busy_area: 0,
            last_arrivals: 0,
            last_check: 0,
            epoch: 0,
        }));
        // Three machines, 12 busy and 18 waiting: 10 per machine, 6 beyond.
        st.workers = 12;
        st.busy = 12;
        st.waiting = 18;
        assert!((st.service_factor() - 1.6).abs() < 1e-12);
    }

    #[test]
    fn constant_is_constant() {
        let st = ServiceTime::new(Dist::Constant, 2.5, None);
        let mut rng = Stream::new(3, 0, StreamPurpose::Service);
        assert!((0..10).all(|_| st.sample(&mut rng, 1.0) == 2_500_000));
    }
}
