//! A load balancer: picks a backend for each request. It holds no workers and adds
//! no delay of its own; it counts open connections per backend for
//! `least_connections`.

use crate::rng::{Stream, StreamPurpose};
use crate::scenario::Algorithm;

#[derive(Debug)]
pub struct Backend {
    pub link: u16,
    /// Requests sent to this backend whose responses have not come back.
    pub open: u32,
}

#[derive(Debug)]
pub struct Balancer {
    pub algorithm: Algorithm,
    pub backends: Vec<Backend>,
    next: usize,
    rng: Stream,
}

/// A well-mixed hash of a user id, so sticky routing spreads users evenly.
fn hash_user(user: u32) -> u64 {
    let mut z = (user as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Balancer {
    pub fn new(algorithm: Algorithm, links: Vec<u16>, seed: u64, index: usize) -> Balancer {
        Balancer {
            algorithm,
            backends: links.into_iter().map(|link| Backend { link, open: 0 }).collect(),
            next: 0,
            rng: Stream::new(seed, index, StreamPurpose::Routing),
        }
    }

    /// The backend (index into `backends`) for a request from `user`; `None`
    /// when there is no backend.
    pub fn choose(&mut self, user: u32) -> Option<usize> {
        let n = self.backends.len();
        if n == 0 {
            return None;
        }
        Some(self.pick(user, n))
    }

    fn pick(&mut self, user: u32, n: usize) -> usize {
        match self.algorithm {
            Algorithm::RoundRobin => {
                let i = self.next % n;
                self.next = (i + 1) % n;
                i
            }
            Algorithm::Random => self.rng.below(n as u32) as usize,
            Algorithm::Sticky => (hash_user(user) % n as u64) as usize,
            Algorithm::LeastConnections => {
                // Fewest open connections; ties go to the first after the last pick,
                // so equal backends share the load instead of the first one taking it.
                let start = self.next % n;
                let mut best = start;
                for k in 1..n {
                    let i = (start + k) % n;
                    if self.backends[i].open < self.backends[best].open {
                        best = i;
                    }
                }
                self.next = (best + 1) % n;
                best
            }
        }
    }

    pub fn add_backend(&mut self, link: u16) {
        self.backends.push(Backend { link, open: 0 });
    }

    /// Stops sending to the backend behind `link`; responses already on their
    /// way back still pass (they find no backend to decrement, which is fine).
    pub fn remove_backend(&mut self, link: u16) {
        self.backends.retain(|b| b.link != link);
        self.next = 0;
    }

    pub fn backend_of_link(&self, link: u16) -> Option<usize> {
        self.backends.iter().position(|b| b.link == link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_cycles_and_sticky_is_stable() {
        let mut b = Balancer::new(Algorithm::RoundRobin, vec![0, 1, 2], 1, 0);
        let picks: Vec<usize> = (0..6).map(|_| b.choose(0).unwrap()).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        let mut s = Balancer::new(Algorithm::Sticky, vec![0, 1, 2], 1, 0);
        for user in 0..100 {
            let first = s.choose(user);
            assert_eq!(s.choose(user), first);
            assert!(first.is_some());
        }
        let spread: std::collections::HashSet<usize> = (0..100).map(|u| s.choose(u).unwrap()).collect();
        assert_eq!(spread.len(), 3);
    }

    #[test]
    fn least_connections_prefers_the_idle_backend() {
        let mut b = Balancer::new(Algorithm::LeastConnections, vec![0, 1], 1, 0);
        b.backends[0].open = 5;
        assert_eq!(b.choose(0), Some(1));
        b.backends[1].open = 9;
        assert_eq!(b.choose(0), Some(0));
        b.remove_backend(0);
        b.remove_backend(1);
        assert_eq!(b.choose(0), None);
    }
}
