//! A traffic source: Poisson arrivals at `rps`, each request given a kind drawn
//! from the `mix` and a user id drawn from the population. The users give up
//! on a request after their client timeout (`Simulation::on_give_up_sweep`).

use crate::base::rng::{Stream, StreamPurpose};
use crate::base::time::Nanos;
use crate::blocks::keys::KeyPopularity;
use crate::blocks::request::Kind;
use crate::model::scenario::UsersSpec;
use std::collections::VecDeque;
use std::num::NonZeroU64;

#[derive(Debug)]
pub struct Users {
    pub rps: f64,
    /// `1.0 / rps`, the mean gap in seconds, set with `rps`: one division
    /// per request less (the same value, so the same draws).
    mean_gap_s: f64,
    /// The one link the users send into (`None` while the diagram leaves them
    /// unconnected: their requests then fail with `no_route`).
    pub link: Option<u16>,
    /// The CDN its static requests go to, if linked to one.
    pub cdn_link: Option<u16>,
    /// Cumulative shares of read, write, static, job (last one is 1).
    cumulative_mix: [f64; 4],
    /// The only kind, when the mix has one (saves a draw per request).
    single_kind: Option<Kind>,
    population: u64,
    arrivals: Stream,
    attributes: Stream,
    keys_spec: crate::model::scenario::Keys,
    /// A rate that changes over time (`None`: steady, plain exponential gaps).
    profiled: Option<crate::blocks::profile::ProfiledArrivals>,
    keys: KeyPopularity,
    key_rng: Stream,
    /// Cumulative shares of the users' regions (empty: no regions).
    regions: Vec<(f64, crate::blocks::geo::Region)>,
    region_rng: Stream,
    mobile_share: f64,
    client_rng: Stream,
    /// Bumped when the rate changes, so the arrival already scheduled is ignored.
    pub epoch: u32,
    /// Requests generated so far (numbers the requests for sampling).
    pub generated: u64,
    /// How long the users wait for an answer (`None`: for ever). Never zero,
    /// which keeps the option in 8 bytes.
    pub client_timeout: Option<NonZeroU64>,
    /// Requests sent and maybe not yet answered, oldest first, as (arena
    /// slot, generation), from the last scan of the arena: each is given up
    /// on at its birth plus `client_timeout` (the current one: a new setting
    /// applies to requests already waiting). See `Simulation::on_give_up_sweep`.
    pub waiting: VecDeque<(u32, u32)>,
    /// When the next give-up sweep is scheduled, if one is.
    pub sweep_at: Option<Nanos>,
    /// The client's call policy and its attempts' deadlines (`None`: each
    /// request is sent as it is, once).
    pub caller: Option<Box<crate::components::caller::Caller>>,
    /// The run's seed and this node's slot (a policy added while running
    /// seeds its jitter's stream from them).
    seed: u64,
    slot: usize,
}

fn client_timeout(spec: &UsersSpec) -> Option<NonZeroU64> {
    spec.client_timeout_ms.and_then(|ms| NonZeroU64::new(crate::base::time::ms_to_ns(ms).max(1)))
}

impl Users {
    pub fn new(spec: &UsersSpec, link: Option<u16>, seed: u64, index: usize) -> Users {
        let (cumulative_mix, single_kind) = mix_tables(spec);
        Users {
            rps: spec.rps(),
            mean_gap_s: 1.0 / spec.rps(),
            link,
            cdn_link: None,
            cumulative_mix,
            single_kind,
            population: spec.population,
            arrivals: Stream::new(seed, index, StreamPurpose::Arrivals),
            attributes: Stream::new(seed, index, StreamPurpose::RequestKind),
            keys_spec: spec.keys,
            profiled: profiled(spec),
            keys: popularity(&spec.keys),
            key_rng: Stream::new(seed, index, StreamPurpose::Keys),
            regions: region_table(spec),
            region_rng: Stream::new(seed, index, StreamPurpose::Regions),
            mobile_share: spec.mobile_share,
            client_rng: Stream::new(seed, index, StreamPurpose::Clients),
            epoch: 0,
            generated: 0,
            client_timeout: client_timeout(spec),
            waiting: VecDeque::new(),
            sweep_at: None,
            caller: crate::components::caller::for_policy(spec.retry, seed, index),
            seed,
            slot: index,
        }
    }

    /// A new call policy while running. Returns whether the deadlines of the
    /// attempts under way must be rebuilt: the timeout changed, or the
    /// policy came or went (attempts sent without one have no deadline; with
    /// none, attempts under way wait for their answers).
    pub fn update_policy(&mut self, spec: &UsersSpec) -> bool {
        crate::components::caller::retune(&mut self.caller, spec.retry, self.seed, self.slot)
    }

    /// New parameters while running; the random streams carry on. Returns
    /// whether the rate changed (the next arrival must then be redrawn).
    pub fn update(&mut self, spec: &UsersSpec) -> bool {
        let (cumulative_mix, single_kind) = mix_tables(spec);
        self.cumulative_mix = cumulative_mix;
        self.single_kind = single_kind;
        self.population = spec.population;
        self.regions = region_table(spec);
        self.mobile_share = spec.mobile_share;
        self.client_timeout = client_timeout(spec);
        if self.keys_spec != spec.keys {
            self.keys_spec = spec.keys;
            self.keys = popularity(&spec.keys);
        }
        let profile_changed = self.profiled.as_ref().map(|p| *p.profile()) != profiled(spec).map(|p| *p.profile());
        let rate_changed = self.rps != spec.rps() || profile_changed;
        self.rps = spec.rps();
        self.mean_gap_s = 1.0 / self.rps;
        if rate_changed {
            self.profiled = profiled(spec);
        }
        rate_changed
    }
}

fn region_table(spec: &UsersSpec) -> Vec<(f64, crate::blocks::geo::Region)> {
    let total: f64 = spec.regions.iter().map(|r| r.share).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut acc = 0.0;
    let mut table: Vec<(f64, crate::blocks::geo::Region)> = spec
        .regions
        .iter()
        .map(|r| {
            acc += r.share / total;
            (acc, r.region)
        })
        .collect();
    if let Some(last) = table.last_mut() {
        last.0 = 1.0;
    }
    table
}

fn profiled(spec: &UsersSpec) -> Option<crate::blocks::profile::ProfiledArrivals> {
    if spec.profile == crate::blocks::profile::Profile::Steady {
        return None;
    }
    crate::blocks::profile::ProfiledArrivals::new(spec.rps(), spec.profile).ok()
}

/// The parser has checked the ranges, so this cannot fail; the fallback keeps
/// the engine panic-free if a future caller skips the parser.
fn popularity(k: &crate::model::scenario::Keys) -> KeyPopularity {
    KeyPopularity::new(k.count, k.zipf, k.celebrity_share)
        .or_else(|_| {
            KeyPopularity::new(
                crate::model::scenario::Keys::DEFAULT.count,
                crate::model::scenario::Keys::DEFAULT.zipf,
                0.0,
            )
        })
        .expect("the default key popularity is valid")
}

/// Cumulative shares of the request kinds, and the only kind when there is one.
fn mix_tables(spec: &UsersSpec) -> ([f64; 4], Option<Kind>) {
    let shares = spec.mix.shares();
    let total: f64 = shares.iter().sum();
    let mut cumulative = [0.0; 4];
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s / total;
        cumulative[i] = acc;
    }
    cumulative[3] = 1.0;
    let nonzero: Vec<usize> = (0..4).filter(|&i| shares[i] > 0.0).collect();
    (cumulative, (nonzero.len() == 1).then(|| Kind::ALL[nonzero[0]]))
}

impl Users {
    /// When the next request comes after `now`, or `None` when no more come.
    #[inline]
    pub fn next_arrival(&mut self, now: Nanos) -> Option<Nanos> {
        if let Some(p) = &mut self.profiled {
            return p.next_arrival(now, &mut self.arrivals);
        }
        self.next_gap().map(|gap| now.saturating_add(gap))
    }

    /// Time until the next request at the steady rate, or `None` when it is zero.
    #[inline]
    pub fn next_gap(&mut self) -> Option<Nanos> {
        if self.rps <= 0.0 {
            return None;
        }
        let gap_s = self.arrivals.exponential(self.mean_gap_s);
        Some((gap_s * 1e9 + 0.5) as Nanos)
    }

    /// The data key of one request (keys are drawn only when a node needs
    /// one, from a stream of their own, so designs without caches or replicas
    /// draw no keys and their results do not change).
    #[inline]
    pub fn draw_key(&mut self) -> u64 {
        self.keys.sample(&mut self.key_rng)
    }

    /// The region a new request comes from (`None` when the users have none).
    /// Drawn from a stream of its own, so adding regions changes nothing else.
    #[inline]
    pub fn draw_region(&mut self) -> Option<crate::blocks::geo::Region> {
        match self.regions.len() {
            0 => None,
            1 => Some(self.regions[0].1),
            _ => {
                let u = self.region_rng.uniform();
                self.regions.iter().find(|(c, _)| u < *c).or(self.regions.last()).map(|(_, r)| *r)
            }
        }
    }

    /// Whether a new request comes from a mobile app (drawn from its own
    /// stream, and only when some requests do).
    #[inline]
    pub fn draw_mobile(&mut self) -> bool {
        self.mobile_share > 0.0 && (self.mobile_share >= 1.0 || self.client_rng.uniform() < self.mobile_share)
    }

    /// Kind and user of a new request.
    #[inline]
    pub fn draw_request(&mut self) -> (Kind, u32) {
        let user = (self.attributes.uniform() * self.population as f64) as u32;
        let kind = match self.single_kind {
            Some(k) => k,
            None => {
                let u = self.attributes.uniform();
                let i = self.cumulative_mix.iter().position(|&c| u < c).unwrap_or(3);
                Kind::ALL[i]
            }
        };
        (kind, user)
    }
}
