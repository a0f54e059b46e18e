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
use crate::components::{Arrival, Visit};
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
        jobs.sort_by_key(|j| std::cmp::Reverse(j.0));
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
