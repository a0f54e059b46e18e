//! A rate limiter: lets a request through to the one entry behind it, or
//! refuses it at once with `rate_limited` (an HTTP 429: the request's whole
//! latency is the way to the limiter and back). It holds no workers and adds
//! no delay; the decision is `crate::blocks::limiter`'s, which draws nothing
//! random. Answers pass back through it like through a balancer: lost if it
//! died while they were below (it holds the caller's connection).
//!
//! Per user, the key is the users node's slot and the user's id
//! (`slot << 32 | user`): ids are drawn from `0..population` in every users
//! node, so user 0 of one node is not user 0 of another.

use crate::base::time::secs_to_ns;
use crate::blocks::limiter::{Limiter, Rule};
use crate::blocks::request::{Cause, Request};
use crate::components::{pass_unless_died, Arrival, Reply, Visit};
use crate::model::kinds::rate_limiter::{LimitPer, LimiterAlgorithm, RateLimiterSpec};

#[derive(Debug)]
pub struct RateLimiter {
    /// The one entry it guards (`None` while the diagram leaves it
    /// unconnected: what it lets through then fails with `no_route`).
    pub link: Option<u16>,
    pub per: LimitPer,
    limiter: Limiter,
}

/// The limiter's rule for these settings. The parser has checked the
/// ranges, so this cannot fail; the fallback keeps the engine panic-free if
/// a future caller skips the parser.
fn rule(spec: &RateLimiterSpec) -> Rule {
    let rule = match spec.algorithm {
        LimiterAlgorithm::TokenBucket => Rule::token_bucket(spec.rate_rps, spec.burst()),
        LimiterAlgorithm::SlidingWindow => Rule::sliding_window(spec.rate_rps, secs_to_ns(spec.window_s)),
    };
    rule.unwrap_or(Rule::TokenBucket { milli_rps: 0, burst: 1 })
}

/// Whose limit a request counts against, per user: its users node's slot
/// and its user.
pub fn user_key(req: &Request) -> u64 {
    (u64::from(req.frames[0].node) << 32) | u64::from(req.user)
}

impl RateLimiter {
    pub fn new(spec: &RateLimiterSpec, link: Option<u16>) -> RateLimiter {
        RateLimiter { link, per: spec.per, limiter: Limiter::new(rule(spec)) }
    }

    /// New settings while running: the buckets or windows carry on when the
    /// rule is of the same kind (see `Limiter::set_rule`); a change between
    /// global and per user starts every limit afresh.
    pub fn retune(&mut self, spec: &RateLimiterSpec) {
        if spec.per != self.per {
            self.per = spec.per;
            self.limiter.clear();
        }
        self.limiter.set_rule(rule(spec));
    }

    /// It restarted: the counts it kept in memory are gone, so every
    /// caller starts with a full bucket (or empty windows).
    pub fn forget(&mut self) {
        self.limiter.clear();
    }

    /// Keys with a limit of their own, and buckets shared beyond the cap.
    pub fn keys(&self) -> (usize, usize) {
        self.limiter.keys()
    }

    /// A request arrives: through to the entry behind, or refused.
    #[inline]
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        let Some(link) = self.link else { return Arrival::Fail(Cause::NoRoute) };
        let key = match self.per {
            LimitPer::Global => None,
            LimitPer::User => Some(user_key(v.req)),
        };
        if self.limiter.admit(key, v.now) {
            Arrival::Forward { link, to: v.net.end(link) as u16, delay: 0 }
        } else {
            v.stats.counters.rate_limited += 1;
            Arrival::Fail(Cause::RateLimited)
        }
    }

    /// The answer passes back through; lost if the limiter died meanwhile.
    #[inline]
    pub(crate) fn answered(&mut self, v: &mut Visit) -> Reply {
        pass_unless_died(v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::net::Health;
    use super::super::rig::Rig;
    use super::super::{Component, Links};
    use super::*;

    const WEB: &str =
        r#"{"id": "n2", "kind": "web_server", "workers": 1, "service": {"dist": "constant", "mean_ms": 1}}"#;

    fn rig(limiter: &str) -> Rig {
        let users = r#"{"id": "n0", "kind": "users", "rps": 10}"#;
        let mut rig = Rig::new(&format!("{users}, {limiter}, {WEB}"), &[(0, 1), (1, 2)]);
        rig.components[1].rewire(Links { entries: vec![1], ..Links::default() }, &rig.net);
        rig
    }

    #[test]
    fn it_lets_the_burst_through_then_refuses_at_once() {
        let mut rig = rig(r#"{"id": "n1", "kind": "rate_limiter", "rate_rps": 10, "burst": 3}"#);
        let arrivals: Vec<Arrival> = (0..5)
            .map(|k| {
                let id = rig.request(k, None, 1);
                rig.arrive(id)
            })
            .collect();
        let through = Arrival::Forward { link: 1, to: 2, delay: 0 };
        assert_eq!(
            arrivals,
            [through, through, through, Arrival::Fail(Cause::RateLimited), Arrival::Fail(Cause::RateLimited)]
        );
        assert_eq!(rig.stats[1].counters.rate_limited, 2);
    }

    #[test]
    fn per_user_each_user_of_each_users_node_has_a_limit() {
        let mut rig = rig(r#"{"id": "n1", "kind": "rate_limiter", "rate_rps": 1, "burst": 1, "per": "user"}"#);
        let mut from = |user: u32, users_slot: u16| {
            let id = rig.request(0, None, 1);
            let r = rig.arena.get_mut(id);
            r.user = user;
            r.frames[0].node = users_slot;
            rig.arrive(id)
        };
        assert!(matches!(from(7, 0), Arrival::Forward { .. }));
        assert_eq!(from(7, 0), Arrival::Fail(Cause::RateLimited), "user 7 spent its one request");
        assert!(matches!(from(8, 0), Arrival::Forward { .. }), "user 8 has its own");
        // Slot 2 stands in for a second users node: its user 7 is someone else.
        assert!(matches!(from(7, 2), Arrival::Forward { .. }));
    }

    #[test]
    fn without_an_entry_behind_it_fails_with_no_route() {
        let mut rig = rig(r#"{"id": "n1", "kind": "rate_limiter"}"#);
        rig.components[1].rewire(Links::default(), &rig.net);
        let id = rig.request(1, None, 1);
        assert_eq!(rig.arrive(id), Arrival::Fail(Cause::NoRoute));
        assert_eq!(rig.stats[1].counters.rate_limited, 0, "nothing was refused for its rate");
    }

    #[test]
    fn a_limiter_that_died_with_a_connection_open_loses_its_answer() {
        let mut rig = rig(r#"{"id": "n1", "kind": "rate_limiter"}"#);
        let id = rig.request(1, None, 1);
        assert!(matches!(rig.arrive(id), Arrival::Forward { .. }));
        rig.net.nodes[1].health = Health::Down;
        assert_eq!(rig.answered(id, 1), Reply::Fail(Cause::NodeDown));
        let c = &rig.stats[1].counters;
        assert_eq!((c.failed_down, c.completed, c.departed), (1, 0, 1));
    }

    #[test]
    fn a_restart_or_a_new_scope_forgets_the_counts() {
        let mut rig = rig(r#"{"id": "n1", "kind": "rate_limiter", "rate_rps": 1, "burst": 1}"#);
        let once = |rig: &mut Rig| {
            let id = rig.request(0, None, 1);
            rig.arrive(id)
        };
        assert!(matches!(once(&mut rig), Arrival::Forward { .. }));
        assert_eq!(once(&mut rig), Arrival::Fail(Cause::RateLimited));
        rig.components[1].forget();
        assert!(matches!(once(&mut rig), Arrival::Forward { .. }), "a full bucket after the restart");
        let Component::RateLimiter(l) = &mut rig.components[1] else { panic!("a rate limiter") };
        let spec =
            RateLimiterSpec { per: LimitPer::User, ..<RateLimiterSpec as crate::model::kinds::Spec>::skeleton() };
        l.retune(&RateLimiterSpec { rate_rps: 1.0, ..spec });
        assert!(matches!(once(&mut rig), Arrival::Forward { .. }), "per user now: user 7's own bucket");
    }
}
