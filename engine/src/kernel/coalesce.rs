//! Request coalescing at web servers (a cache's `coalesce`): on a miss, the
//! first reader of a key reads the database and the server's later readers
//! of that key wait (are parked) until its answer comes back. Then they are
//! answered from it; if its read failed, each reads the database alone.
//!
//! Every parked reader's one line is held by its place in the server's
//! `inflight` map, and ends exactly once:
//! - woken when its leader's read returns (`wake_parked`, from `resume`,
//!   whatever the leader's state: answered, failed, timed out there);
//! - if a station timeout at the server gave up on it meanwhile, the sweep
//!   sent the failure up and left an orphan line, which the wake-up ends;
//! - if the server crashes, `fail_parked` fails every parked reader at once
//!   and empties the map (the leaders' reads come back as orphans, and find
//!   no entry of theirs).

use crate::blocks::request::FrameState;
use crate::components::station::{Role, Station};
use crate::components::web::{self, Flight, PARKED};
use crate::components::{Component, Next, Work};
use crate::kernel::sim::Simulation;

fn flights(components: &mut [Component], node: usize) -> Option<&mut std::collections::BTreeMap<u64, Flight>> {
    match &mut components[node] {
        Component::Station(Station { role: Role::Web(c), .. }) => Some(&mut c.inflight),
        _ => None,
    }
}

impl Simulation {
    fn web_work(&mut self, node: usize, req: u32, f: u8) -> Work<'_> {
        Work {
            now: self.now,
            node,
            req: self.arena.get_mut(req),
            f,
            components: &mut self.components,
            net: &self.net,
            stats: &mut self.stats,
            sessions: &mut self.sessions,
        }
    }

    /// Web server `node` missed `req`'s key at a cache that coalesces: `req`
    /// waits for the read of that key under way, or leads one.
    #[cold]
    pub(crate) fn coalesce(&mut self, node: usize, req: u32, f: u8, free_worker: bool) {
        let r = self.arena.get(req);
        let (key, generation) = (r.key, r.generation);
        let Some(map) = flights(&mut self.components, node) else { return self.answer(node, req, f) };
        if let Some(flight) = map.get_mut(&key) {
            flight.parked.push((req, generation, f));
            let frame = &mut self.arena.get_mut(req).frames[f as usize];
            frame.step = PARKED;
            frame.state = FrameState::AwaitingDownstream;
            // A thread keeps its worker while it waits; an asynchronous
            // server frees it, as for a call.
            if frame.holding && free_worker {
                self.release_worker(node, req, f);
            }
            return;
        }
        let next = web::lead(&mut self.web_work(node, req, f));
        if matches!(next, Next::Call { .. } | Next::Attempt { .. }) {
            let map = flights(&mut self.components, node).expect("a web server");
            map.insert(key, Flight { leader: (req, generation), parked: Vec::new() });
        }
        self.carry_out(node, req, f, next);
    }

    /// The read `req` led (its frame `f` at web server `node`) came back:
    /// its waiting readers are answered from it when it succeeded and the
    /// server still holds it; otherwise each reads the database alone.
    /// Called before the leader goes on (its fill follows in `web::step`;
    /// nothing reads the cache in between, as all of this is one instant).
    #[cold]
    pub(crate) fn wake_parked(&mut self, node: usize, req: u32, f: u8) {
        let r = self.arena.get(req);
        let (key, generation, ok, frame) = (r.key, r.generation, r.failure.is_none(), r.frames[f as usize]);
        let Some(map) = flights(&mut self.components, node) else { return };
        // After a crash the map was emptied: a later entry for the key has
        // another leader.
        if map.get(&key).is_none_or(|fl| fl.leader != (req, generation)) {
            return;
        }
        let flight = map.remove(&key).expect("checked above");
        let Component::Station(st) = &self.components[node] else { return };
        let served = ok && !frame.abandoned && frame.incarnation == st.incarnation;
        for (p, p_gen, pf) in flight.parked {
            let pr = self.arena.get(p);
            debug_assert!(pr.generation == p_gen, "a parked reader's slot is held by its place");
            if pr.generation != p_gen {
                continue;
            }
            let pframe = pr.frames[pf as usize];
            if pframe.abandoned {
                // A timeout here gave up on it: its orphan line ends.
                if pframe.holding {
                    self.release_worker(node, p, pf);
                }
                self.end_line(p);
            } else if served {
                self.stats[node].counters.coalesced += 1;
                self.answer(node, p, pf);
            } else {
                let next = web::read_again(&mut self.web_work(node, p, pf));
                self.carry_out(node, p, pf, next);
            }
        }
    }

    /// Web server `node` crashed: every reader parked there fails now with
    /// `node_down` (one parked after a timeout gave up on it just ends its
    /// orphan line). Called before the crash's scan of the requests, which
    /// then passes them over (they are marked abandoned).
    pub(crate) fn fail_parked(&mut self, node: usize) {
        let Some(map) = flights(&mut self.components, node) else { return };
        if map.is_empty() {
            return;
        }
        let map = std::mem::take(map);
        for (_, flight) in map {
            for (p, p_gen, pf) in flight.parked {
                let pr = self.arena.get_mut(p);
                if pr.generation != p_gen {
                    continue;
                }
                let frame = &mut pr.frames[pf as usize];
                if frame.abandoned {
                    self.end_line(p);
                    continue;
                }
                frame.abandoned = true;
                let (holding, arrived) = (frame.holding, frame.arrived);
                let c = &mut self.stats[node].counters;
                c.failed_down += 1;
                if holding {
                    // Its worker is gone with the crash.
                    c.depart(self.now - arrived);
                }
                self.fail(p, node, crate::blocks::request::Cause::NodeDown);
                self.send_up(p, pf);
            }
        }
    }
}
