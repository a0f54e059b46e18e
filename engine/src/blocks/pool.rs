//! A connection pool: `size` connections, and the calls waiting for one in
//! the order they came (first come, first served). It knows no requests:
//! a waiter is whatever its caller needs to find the call again, and the
//! caller decides what to do with a waiter handed back (send it, or skip
//! it when nobody needs the call any more).
//!
//! Invariant kept by its users: calls wait only while every connection is
//! taken (`in_use >= size`), so a free connection always goes to the front
//! of the line. A smaller size leaves the extra connections in use until
//! they come back (they are not taken from the calls holding them).

use crate::base::time::Nanos;
use std::collections::VecDeque;

/// A call waiting for a connection since `since`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    pub slot: u32,
    pub generation: u32,
    /// The caller's frame the call is made from.
    pub frame: u8,
    pub since: Nanos,
}

#[derive(Clone, Debug)]
pub struct Pool {
    size: u32,
    in_use: u32,
    waiting: VecDeque<Waiter>,
}

impl Pool {
    pub fn new(size: u32) -> Pool {
        Pool { size, in_use: 0, waiting: VecDeque::new() }
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Takes a free connection (true), or puts `w` at the back of the line
    /// (false).
    pub fn acquire(&mut self, w: Waiter) -> bool {
        if self.in_use < self.size && self.waiting.is_empty() {
            self.in_use += 1;
            true
        } else {
            self.waiting.push_back(w);
            false
        }
    }

    /// A connection comes back.
    pub fn release(&mut self) {
        debug_assert!(self.in_use > 0, "a connection came back that was not out");
        self.in_use = self.in_use.saturating_sub(1);
    }

    /// The front waiter, given a connection now, if one is free.
    pub fn grant_next(&mut self) -> Option<Waiter> {
        if self.in_use >= self.size {
            return None;
        }
        let w = self.waiting.pop_front()?;
        self.in_use += 1;
        Some(w)
    }

    /// The front waiter, taken out of the line without a connection, if it
    /// has waited since `at` or earlier (a waiter past its longest wait).
    pub fn expired(&mut self, at: Nanos) -> Option<Waiter> {
        if self.waiting.front()?.since <= at {
            self.waiting.pop_front()
        } else {
            None
        }
    }

    /// When the front waiter began to wait.
    pub fn oldest(&self) -> Option<Nanos> {
        self.waiting.front().map(|w| w.since)
    }

    /// A new size: a bigger pool lets waiters in at the next [`Pool::grant_next`];
    /// a smaller one lets the calls in use finish.
    pub fn resize(&mut self, size: u32) {
        self.size = size;
    }

    /// Every waiter, taken out of the line (the pool goes away).
    pub fn drain(&mut self) -> Vec<Waiter> {
        self.waiting.drain(..).collect()
    }

    /// The waiters, oldest first.
    pub fn waiters(&self) -> impl Iterator<Item = &Waiter> {
        self.waiting.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(slot: u32, since: Nanos) -> Waiter {
        Waiter { slot, generation: 0, frame: 1, since }
    }

    #[test]
    fn calls_take_free_connections_then_wait_in_order() {
        let mut p = Pool::new(2);
        assert!(p.acquire(w(1, 0)));
        assert!(p.acquire(w(2, 0)));
        assert!(!p.acquire(w(3, 5)));
        assert!(!p.acquire(w(4, 6)));
        assert_eq!((p.in_use(), p.waiting()), (2, 2));
        assert_eq!(p.grant_next(), None, "nothing is free");
        p.release();
        assert_eq!(p.grant_next().map(|w| w.slot), Some(3), "first come, first served");
        assert_eq!(p.grant_next(), None);
        assert_eq!(p.in_use(), 2);
    }

    #[test]
    fn a_waiter_never_loses_its_place_to_a_newcomer() {
        let mut p = Pool::new(1);
        assert!(p.acquire(w(1, 0)));
        assert!(!p.acquire(w(2, 1)));
        p.release();
        // A connection is free, but someone waits: the newcomer queues.
        assert!(!p.acquire(w(3, 2)));
        assert_eq!(p.grant_next().map(|w| w.slot), Some(2));
    }

    #[test]
    fn resizing_lets_waiters_in_or_lets_the_extra_drain() {
        let mut p = Pool::new(1);
        assert!(p.acquire(w(1, 0)));
        assert!(!p.acquire(w(2, 0)));
        assert!(!p.acquire(w(3, 0)));
        p.resize(3);
        assert_eq!(p.grant_next().map(|w| w.slot), Some(2));
        assert_eq!(p.grant_next().map(|w| w.slot), Some(3));
        assert_eq!(p.in_use(), 3);
        p.resize(1);
        p.release();
        assert!(!p.acquire(w(4, 0)), "two still in use for a pool of one");
        p.release();
        p.release();
        assert_eq!(p.grant_next().map(|w| w.slot), Some(4));
    }

    #[test]
    fn waiters_past_their_longest_wait_leave_from_the_front() {
        let mut p = Pool::new(0);
        assert!(!p.acquire(w(1, 10)));
        assert!(!p.acquire(w(2, 20)));
        assert_eq!(p.oldest(), Some(10));
        assert_eq!(p.expired(5), None);
        assert_eq!(p.expired(15).map(|w| w.slot), Some(1));
        assert_eq!(p.expired(15), None);
        assert_eq!(p.drain().len(), 1);
        assert_eq!(p.oldest(), None);
    }
}
