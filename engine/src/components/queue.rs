//! A durable message queue and the worker pools that drain it.
//!
//! A job is not a request: the user's request ends when the web server has put
//! the job on the queue (that is the point of a queue: answer at once, work
//! later). The queue keeps only each job's publish time, oldest first, so its
//! memory is bounded by its capacity. Worker pools linked from the queue take
//! jobs whenever a worker is free; a pool that crashes puts the jobs it was
//! working on back at the front of their queue (they are redelivered, as a
//! durable queue does), and a queue that is down keeps its messages but
//! accepts and hands out nothing.

use crate::base::time::Nanos;
use crate::blocks::request::Cause;
use crate::components::net::Network;
use crate::components::station::{Role, Station};
use crate::components::{Arrival, Component, Visit};
use crate::metrics::stats::NodeStats;
use std::collections::VecDeque;

#[derive(Debug)]
pub struct QueueState {
    pub capacity: u64,
    /// Publish time of each waiting job, oldest first.
    pub backlog: VecDeque<Nanos>,
    /// Worker pools linked from this queue (node slots), in link order.
    pub pools: Vec<u16>,
    /// Jobs given back by a crashed pool.
    pub redelivered: u64,
}

impl QueueState {
    pub fn new(capacity: u64) -> QueueState {
        QueueState { capacity, backlog: VecDeque::new(), pools: Vec::new(), redelivered: 0 }
    }

    pub fn is_full(&self) -> bool {
        self.backlog.len() as u64 >= self.capacity
    }

    /// A web server publishes a job: it is put on the queue (or refused when
    /// the queue is full), and the web server is answered at once.
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        if self.is_full() {
            v.stats.counters.rejected += 1;
            return Arrival::Fail(Cause::Rejected);
        }
        self.backlog.push_back(v.now);
        v.stats.queued.set(v.now, self.backlog.len() as u64);
        v.stats.counters.completed += 1;
        Arrival::Publish
    }

    /// Age of the oldest waiting job at `now`.
    pub fn oldest_age(&self, now: Nanos) -> Option<Nanos> {
        self.backlog.front().map(|&t| now.saturating_sub(t))
    }
}

/// The jobs a worker pool has in hand: per worker, the job's publish time and
/// the queue it came from.
#[derive(Debug, Default)]
pub struct PoolState {
    /// Queues this pool takes jobs from (node slots), in link order.
    pub queues: Vec<u16>,
    pub jobs: Vec<Option<(Nanos, u16)>>,
    free: Vec<u32>,
}

impl PoolState {
    /// A worker for a job published at `published` from `queue`; `None` when
    /// all `workers` are busy.
    pub fn take(&mut self, workers: u32, published: Nanos, queue: u16) -> Option<u32> {
        let slot = match self.free.pop() {
            Some(s) => s,
            None if (self.jobs.len() as u32) < workers => {
                self.jobs.push(None);
                self.jobs.len() as u32 - 1
            }
            None => return None,
        };
        self.jobs[slot as usize] = Some((published, queue));
        Some(slot)
    }

    /// Worker `slot` finished; returns its job.
    pub fn finish(&mut self, slot: u32) -> Option<(Nanos, u16)> {
        let job = self.jobs.get_mut(slot as usize)?.take();
        if job.is_some() {
            self.free.push(slot);
        }
        job
    }

    /// Every job in hand (a crash), newest publish time first so that pushing
    /// each back to the front of its queue restores the order.
    pub fn drain(&mut self) -> Vec<(Nanos, u16)> {
        let mut jobs: Vec<(Nanos, u16)> = self.jobs.iter_mut().filter_map(Option::take).collect();
        crate::base::order::sort_by_u64(&mut jobs, |j| !j.0);
        self.free = (0..self.jobs.len() as u32).rev().collect();
        jobs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_hands_out_at_most_its_workers_and_gives_everything_back_on_a_crash() {
        let mut p = PoolState::default();
        assert_eq!(p.take(2, 10, 0), Some(0));
        assert_eq!(p.take(2, 20, 0), Some(1));
        assert_eq!(p.take(2, 30, 0), None);
        assert_eq!(p.finish(0), Some((10, 0)));
        assert_eq!(p.finish(0), None, "finished once");
        assert_eq!(p.take(2, 40, 0), Some(0));
        assert_eq!(p.drain(), vec![(40, 0), (20, 0)]);
        assert_eq!(p.take(2, 50, 0), Some(0));
        assert_eq!(p.take(2, 60, 0), Some(1));
    }
}

/// A job handed to a worker: `worker` of `pool` (its `incarnation`) is busy
/// with it for `duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Handed {
    pub pool: u16,
    pub worker: u32,
    pub incarnation: u16,
    pub duration: Nanos,
}

/// Hands jobs from queue `queue` to its worker pools while they have free
/// workers (both must be up); `handed` is told of each job handed out.
pub(crate) fn feed_pools(
    components: &mut [Component],
    net: &Network,
    stats: &mut [NodeStats],
    queue: usize,
    now: Nanos,
    mut handed: impl FnMut(Handed),
) {
    if !net.nodes[queue].serving() {
        return;
    }
    let pools = match &components[queue] {
        Component::Queue(q) => q.pools.clone(),
        _ => return,
    };
    for pool in pools {
        let pool = pool as usize;
        if !net.nodes[pool].serving() {
            continue;
        }
        loop {
            let Component::Queue(q) = &mut components[queue] else { return };
            let Some(&published) = q.backlog.front() else { return };
            let Component::Station(st) = &mut components[pool] else { break };
            if st.busy >= st.workers {
                break; // (a pool that shrank still finishes the jobs it holds)
            }
            let workers = st.workers;
            let Role::Workers(p) = &mut st.role else { break };
            let Some(worker) = p.take(workers, published, queue as u16) else { break };
            st.busy += 1;
            let (busy, incarnation) = (st.busy as u64, st.incarnation);
            let factor = st.service_factor();
            let duration = st.service.sample(&mut st.rng, factor);
            let Component::Queue(q) = &mut components[queue] else { return };
            q.backlog.pop_front();
            stats[queue].queued.set(now, q.backlog.len() as u64);
            let c = &mut stats[pool];
            c.busy.set(now, busy);
            c.counters.arrivals += 1;
            c.counters.started += 1;
            c.counters.wait_sum += (now - published) as u128;
            handed(Handed { pool: pool as u16, worker, incarnation, duration });
        }
    }
}

/// Worker `worker` of pool `pool` finished its job, unless the pool crashed
/// since (a new `incarnation`: the job was given back to its queue already).
/// Returns the time from the job's publish to now (what a user waiting for
/// its result sees), and whether the pool had more busy than it has workers
/// (it shrank: one fewer is available now).
pub(crate) fn job_done(
    components: &mut [Component],
    stats: &mut [NodeStats],
    pool: usize,
    worker: u32,
    incarnation: u16,
    now: Nanos,
) -> Option<(Nanos, bool)> {
    let Component::Station(st) = &mut components[pool] else { return None };
    if st.incarnation != incarnation {
        return None;
    }
    let Role::Workers(p) = &mut st.role else { return None };
    let (published, _queue) = p.finish(worker)?;
    st.busy -= 1;
    let shrunk = st.busy >= st.workers;
    let c = &mut stats[pool];
    c.busy.set(now, st.busy as u64);
    c.counters.completed += 1;
    c.counters.depart(now - published);
    Some((now - published, shrunk))
}

/// The queues pool `pool` takes jobs from.
pub(crate) fn queues_of(components: &[Component], pool: usize) -> &[u16] {
    match &components[pool] {
        Component::Station(Station { role: Role::Workers(p), .. }) => &p.queues,
        _ => &[],
    }
}
