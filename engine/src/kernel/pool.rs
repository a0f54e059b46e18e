//! Connection pools on a web server's calls (`calls.pool`): one pool per
//! wire the server calls over, kept by its `Caller` (`blocks/pool.rs`).
//!
//! A call (`send_attempt`, after the in-flight cap and the breaker) takes a
//! free connection, or waits in its pool's line: its parent stays
//! `AwaitingDownstream` at the server, a thread-mode server's worker still
//! held (that is how a slow database runs a web tier out of workers), an
//! async server's already free. The attempt that goes out holds the
//! connection (`Frame::pooled` on its base frame) until it ends for the
//! caller: its answer comes back, or its attempt timeout fires. Then the
//! connection goes to the first live waiter.
//!
//! Each waiter's one line is held by its place in line, and ends once:
//! - given a connection, it is sent (`launch_attempt`);
//! - the server no longer holds its request (its own timeout gave up on it,
//!   or, with `drop_abandoned`, the server's caller did): skipped when its
//!   turn comes, its connection going to the next;
//! - it waited `max_wait_ms`: it fails with `timeout` (counted as a pool
//!   timeout at the server, not retried: another wait in the same line
//!   would only add to it);
//! - the pool is removed by a live edit: it is sent without one;
//! - the server crashes: `crash` fails it with the rest and ends the line.

use crate::blocks::pool::Waiter;
use crate::blocks::request::{Cause, FrameState};
use crate::components::Component;
use crate::kernel::sim::Simulation;
use crate::kernel::trace::Mark;

impl Simulation {
    /// A call of `parent` (its frame `f`) at `caller` over `wire` takes a
    /// connection (true), or waits in line for one (false).
    pub(crate) fn take_connection(&mut self, caller: usize, parent: u32, f: u8, wire: u16) -> bool {
        let p = self.arena.get(parent);
        let (generation, trace) = (p.generation, p.trace);
        let w = Waiter { slot: parent, generation, frame: f, since: self.now };
        let Some(cl) = self.components[caller].caller_mut() else { return true };
        let granted = cl.acquire(wire, w);
        let expiry = cl.next_expiry();
        let c = &mut self.stats[caller].counters;
        c.pool_calls += 1;
        if granted {
            return true;
        }
        c.pool_waits += 1;
        if trace != crate::blocks::request::NO_TRACE {
            self.traces.push(trace, Mark::Pool { depth: f, start: self.now });
        }
        if let Some(at) = expiry {
            self.schedule_attempt_sweep(caller, at);
        }
        false
    }

    /// A call of `caller` over `wire` that held a connection ended: the
    /// connection goes to the first live waiter. A connection freed while
    /// waiters are being sent (an answer that came back at once) is handed
    /// out by the loop already running, never by a nested one.
    pub(crate) fn connection_back(&mut self, caller: usize, wire: u16) {
        if let Some(cl) = self.components[caller].caller_mut() {
            cl.release(wire);
        }
        self.wake_pool(caller, wire);
    }

    /// Sends the waiters on `caller`'s pool over `wire` while it has free
    /// connections.
    pub(crate) fn wake_pool(&mut self, caller: usize, wire: u16) {
        self.pool_wakes.push((caller as u16, wire));
        if self.waking {
            return;
        }
        self.waking = true;
        while let Some((c, w)) = self.pool_wakes.pop() {
            let c = c as usize;
            while let Some(waiter) = self.components[c].caller_mut().and_then(|cl| cl.next_waiter(w)) {
                self.send_waiter(c, w, waiter, true);
            }
        }
        self.waking = false;
    }

    /// The end of `w`'s wait for a connection at `caller` (it leaves the
    /// line now): counted at the server, and whether the server still
    /// holds its request.
    fn waited(&mut self, caller: usize, w: Waiter) -> bool {
        let r = self.arena.get(w.slot);
        debug_assert!(r.generation == w.generation, "a waiter holds its request's line");
        let c = &mut self.stats[caller].counters;
        c.pool_wait_sum += u128::from(self.now - w.since);
        let f = w.frame as usize;
        let drop_abandoned = matches!(&self.components[caller], Component::Station(st) if st.drop_abandoned);
        let above_gone = drop_abandoned && r.frames[..f].iter().any(|fr| fr.abandoned);
        !(self.call_parent_gone(caller, w.slot, w.frame) || above_gone)
    }

    /// Waiter `w` leaves the line at `caller` on `wire`, holding a
    /// connection if `pooled`: it is sent, unless the server no longer
    /// holds its request (then the connection goes back and its line ends
    /// where the server's own timeout or its caller's left it).
    pub(crate) fn send_waiter(&mut self, caller: usize, wire: u16, w: Waiter, pooled: bool) {
        if !self.waited(caller, w) {
            return self.skip_waiter(caller, wire, w, pooled);
        }
        if self.net.wires[wire as usize].removed {
            // Unlinked while it waited: the call goes where a first call
            // would go now (another wire's pool, or no call at all).
            if pooled {
                if let Some(cl) = self.components[caller].caller_mut() {
                    cl.release(wire);
                }
            }
            self.withdraw_waiter(caller, wire, w);
            return self.call_again(caller, w.slot, w.frame, false);
        }
        if self.arena.live() >= crate::base::limits::MAX_IN_FLIGHT {
            // No slot for the call: it fails as `send_attempt` fails one.
            if pooled {
                if let Some(cl) = self.components[caller].caller_mut() {
                    cl.release(wire);
                }
            }
            let in_window = self.arena.get(w.slot).in_window;
            self.count_sent(w.frame, in_window);
            self.attempt_counted(w.frame, in_window, Some(Cause::Overflow));
            self.fail(w.slot, caller, Cause::Overflow);
            self.withdraw_waiter(caller, wire, w);
            self.decided(w.slot, caller, w.frame);
            return;
        }
        self.launch_attempt(w.slot, w.frame, wire, pooled);
    }

    /// A waiter the server no longer needs: nothing is sent. Its own
    /// timeout at the server already sent the failure up (the line left
    /// here is an orphan, which `resume` ends); a caller that gave up
    /// (with `drop_abandoned`) gets its request shed here.
    fn skip_waiter(&mut self, caller: usize, wire: u16, w: Waiter, pooled: bool) {
        if pooled {
            if let Some(cl) = self.components[caller].caller_mut() {
                cl.release(wire);
            }
        }
        self.withdraw_waiter(caller, wire, w);
        if self.call_parent_gone(caller, w.slot, w.frame) {
            self.resume(caller, w.slot, w.frame);
        } else {
            self.stats[caller].counters.shed += 1;
            self.fail(w.slot, caller, Cause::Shed);
            self.answer(caller, w.slot, w.frame);
        }
    }

    /// A waiter never sent: the breaker that let it through forgets it
    /// (a half-open breaker's trial gives its place back).
    fn withdraw_waiter(&mut self, caller: usize, wire: u16, w: Waiter) {
        if let Some(cl) = self.components[caller].caller_mut() {
            cl.withdraw(wire, w.since);
        }
    }

    /// Caller `node`'s waiters that have waited their pool's `max_wait_ms`
    /// fail with `timeout` (skipped if the server no longer needs them).
    pub(crate) fn expire_waiters(&mut self, node: usize) {
        while let Some((wire, w)) = self.components[node].caller_mut().and_then(|cl| cl.expired_waiter(self.now)) {
            if !self.waited(node, w) {
                self.skip_waiter(node, wire, w, false);
                continue;
            }
            let in_window = self.arena.get(w.slot).in_window;
            self.count_sent(w.frame, in_window);
            self.attempt_counted(w.frame, in_window, Some(Cause::Timeout));
            self.stats[node].counters.pool_timeouts += 1;
            self.withdraw_waiter(node, wire, w);
            self.fail(w.slot, node, Cause::Timeout);
            self.decided(w.slot, node, w.frame);
        }
    }

    /// Attempts of `node` under way that hold pooled connections no longer
    /// do (the pools went away: a crash, or a live edit that removed them):
    /// their ends give nothing back to a pool made later. A scan of the live
    /// requests, as rare as the edits.
    pub(crate) fn unpool_attempts(&mut self, node: usize) {
        for slot in self.arena.live_ids() {
            let r = self.arena.get_mut(slot);
            let base = r.base as usize;
            if r.is_attempt() && r.frames[base].node as usize == node && r.frames[base].state == FrameState::Caller {
                r.frames[base].pooled = false;
            }
        }
    }

    /// A live edit of web server `slot` to `spec`, before it is applied:
    /// if it takes the pool away, the waiters are taken out of line (to
    /// be sent by [`Simulation::pools_edited`]) and the calls under way
    /// no longer hold connections.
    pub(crate) fn pools_before_edit(
        &mut self,
        slot: usize,
        spec: &crate::model::kinds::NodeSpec,
    ) -> Vec<(u16, Waiter)> {
        let pooled = self.components[slot].caller().is_some_and(|c| c.pooled());
        let keeps =
            matches!(spec, crate::model::kinds::NodeSpec::WebServer(w) if w.calls.is_some_and(|c| c.pool.is_some()));
        if !pooled || keeps {
            return Vec::new();
        }
        self.unpool_attempts(slot);
        self.components[slot].caller_mut().map_or_else(Vec::new, |cl| cl.take_waiters())
    }

    /// After a live edit of web server `slot`: the waiters of a pool taken
    /// away are sent without one, and a bigger pool lets waiters in (a
    /// smaller one lets the calls in use finish).
    pub(crate) fn pools_edited(&mut self, slot: usize, orphans: Vec<(u16, Waiter)>) {
        for (wire, w) in orphans {
            self.send_waiter(slot, wire, w, false);
        }
        let wires = self.components[slot].caller().map_or_else(Vec::new, |cl| cl.pool_wires());
        for wire in wires {
            self.wake_pool(slot, wire);
        }
        // A new longest wait applies to the waiters already in line.
        let expiry = self.components[slot].caller().and_then(|cl| cl.next_expiry());
        if let Some(at) = expiry {
            self.schedule_attempt_sweep(slot, at.max(self.now));
        }
    }

    /// Web server `slot` crashes: its pools' waiters are taken out of line
    /// and its calls under way no longer hold connections (they died with
    /// the process). The crash fails the waiters' requests as it fails
    /// every request the server held; [`Simulation::pools_crashed`] then
    /// ends the lines their places held.
    pub(crate) fn pools_before_crash(&mut self, slot: usize) -> Vec<(u16, Waiter)> {
        if !self.components[slot].caller().is_some_and(|c| c.pooled()) {
            return Vec::new();
        }
        self.unpool_attempts(slot);
        self.components[slot].caller_mut().map_or_else(Vec::new, |cl| cl.take_waiters())
    }

    pub(crate) fn pools_crashed(&mut self, slot: usize, waiters: Vec<(u16, Waiter)>) {
        // (The crash closed the breakers: nothing to withdraw.)
        for (_, w) in waiters {
            let c = &mut self.stats[slot].counters;
            c.pool_wait_sum += u128::from(self.now - w.since);
            self.end_line(w.slot);
        }
    }
}
