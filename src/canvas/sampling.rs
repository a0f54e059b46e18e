//! Which requests the animation follows, so that about a budget of dots is on
//! screen whatever the traffic and the speed.
//!
//! The engine follows a [`Share`] of the requests (about `taken` in every
//! `every`, chosen by a hash of the request number, decided when a request is
//! born) and logs each wire they cross as a hop. [`Sampler`] picks the share.
//!
//! **No lag in the loop.** A request is followed or not from its birth, so the
//! hops drained in a frame are of requests born under the shares of the last
//! second or more (at 0.1x a request of lesson 13 lives most of a wall
//! second). Tuning the share on the hops drained, as if they had been chosen
//! under the share in force, overshoots: after a slowdown from 1x to 0.1x the
//! count fell to 1,136 dots of a 10,000 budget and then swung to 12,851. So the
//! sampler remembers from which request number each share applies, and counts
//! each hop as the `1 / rate` hops of its request's share it stands for: the
//! sum estimates the traffic as if every request were followed, whatever the
//! shares in the pipe. By Little's law the dots on screen at a share are then
//!
//! ```text
//! dots = rate x sum over hops per wall second of (their wall life / their rate)
//! ```
//!
//! and the share that gives the budget is set at once, not halved or doubled a
//! step at a time. The estimate is averaged over about a second of wall
//! time and the share changes only when the dots it predicts leave a band of
//! ±7% around the budget, so it holds still on a steady stream. It restarts
//! from the last retuning's span when the speed changes by more than half.
//! When more than twice the budget floods in (at the start, following every
//! request, or after a speed-up) it retunes after three frames instead of
//! 250 ms: past that the dots ignore new hops, and a request whose hop is
//! ignored is drawn skipping a wire.
//!
//! **Fine shares.** Lesson 13 at 0.1x with a budget of 10,000 wants about one
//! request in 1.8: one in 1 would be 18,000 dots, one in 2 about 9,000. Below
//! one in 10 the share is therefore in hundredths (55 in 100); from one in 10
//! on it is one in a whole number, within 5% of the ideal.

use scalelab_engine::time::Nanos;
use scalelab_engine::{Hop, Share};
use std::collections::VecDeque;

/// Wall milliseconds between retunings of the share.
pub const RETUNE_EVERY_MS: f64 = 250.0;

/// Wall milliseconds over which the traffic estimate is averaged
/// (exponential decay).
const WINDOW_MS: f64 = 1000.0;

/// The share changes only when the dots it predicts leave this band around
/// the budget, so it does not flicker between neighbours.
const KEEP_BAND: (f64, f64) = (0.93, 1.07);

/// Wall milliseconds of frames (three at 60 fps) after which a flood of
/// hops, more than twice the budget, retunes the share early.
const FLOOD_AFTER_MS: f64 = 45.0;

/// Shares remembered with the request number they start at (4 a second at
/// most: 16 s and more).
const HISTORY: usize = 64;

#[derive(Debug)]
pub struct Sampler {
    share: Share,
    /// (first request followed under it, share), oldest first; never empty.
    history: VecDeque<(u64, Share)>,
    /// Wall lives (ms) of the hops drained recently, each over the rate its
    /// request was followed at, decaying over [`WINDOW_MS`].
    full_life_ms: f64,
    /// Wall milliseconds observed, decaying the same way.
    span_ms: f64,
    /// Since the last retuning: wall milliseconds, the lives over rates
    /// observed (undecayed), and the simulated time it started at.
    since_ms: f64,
    since_life_ms: f64,
    since_sim: Option<Nanos>,
    /// Simulated nanoseconds per wall millisecond over the last retuning's
    /// span.
    speed: Option<f64>,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::new()
    }
}

impl Sampler {
    /// Starts by following every request (the first retuning, after 250 ms
    /// of frames, thins it out).
    pub fn new() -> Sampler {
        Sampler {
            share: Share::ALL,
            history: VecDeque::from([(0, Share::ALL)]),
            full_life_ms: 0.0,
            span_ms: 0.0,
            since_ms: 0.0,
            since_life_ms: 0.0,
            since_sim: None,
            speed: None,
        }
    }

    /// The share to follow.
    pub fn share(&self) -> Share {
        self.share
    }

    /// The run restarted: request numbers start again at 0, and what was
    /// measured is of another run.
    pub fn restart(&mut self) {
        self.history = VecDeque::from([(0, self.share)]);
        self.full_life_ms = 0.0;
        self.span_ms = 0.0;
        self.since_ms = 0.0;
        self.since_life_ms = 0.0;
        self.since_sim = None;
        self.speed = None;
    }

    /// The share request `number` was followed under.
    fn share_of(&self, number: u64) -> Share {
        let at = self.history.iter().rposition(|&(first, _)| first <= number).unwrap_or(0);
        self.history[at].1
    }

    /// Counts the hops drained this frame; `life_ms(hop)` is how long its dot
    /// stays on screen, in wall milliseconds.
    pub fn observe(&mut self, hops: &[Hop], life_ms: impl Fn(&Hop) -> f64) {
        // Hops of one request come together; look its share up once.
        let mut last: Option<(u64, f64)> = None;
        for hop in hops {
            let rate = match last {
                Some((r, rate)) if r == hop.request => rate,
                _ => {
                    let rate = self.share_of(hop.request).rate();
                    last = Some((hop.request, rate));
                    rate
                }
            };
            if rate > 0.0 {
                let full = life_ms(hop) / rate;
                self.full_life_ms += full;
                self.since_life_ms += full;
            }
        }
    }

    /// The dots there would be on screen if every request were followed, as
    /// measured over the last half second or so (`None` before any frame).
    pub fn dots_if_all(&self) -> Option<f64> {
        (self.span_ms > 0.0).then(|| self.full_life_ms / self.span_ms)
    }

    /// `wall_dt_ms` of wall time passed while playing (not while paused: no
    /// hops would read as no traffic), and the simulation is at `sim_now`.
    /// Every [`RETUNE_EVERY_MS`] it picks the share that keeps about `budget`
    /// dots on screen and returns it when it changed; `next_request` is the
    /// number the next request generated will have, the first the new share
    /// applies to.
    ///
    /// When the speed changed by more than half since the last retuning (the
    /// user slowed the run down or sped it up), the average restarts from the
    /// last 250 ms: what came in at the old speed says little about the new.
    pub fn tick(&mut self, wall_dt_ms: f64, sim_now: Nanos, budget: usize, next_request: u64) -> Option<Share> {
        if !(wall_dt_ms.is_finite() && wall_dt_ms > 0.0) {
            return None;
        }
        // The hops observed this frame came in over `wall_dt_ms`: both sums
        // take the frame and then decay together.
        let keep = (-wall_dt_ms / WINDOW_MS).exp();
        self.full_life_ms *= keep;
        self.span_ms = (self.span_ms + wall_dt_ms) * keep;
        self.since_ms += wall_dt_ms;
        let since_sim = *self.since_sim.get_or_insert(sim_now);
        // Past twice the budget the dots ignore new hops (and a request
        // whose hop is ignored skips a wire): at the start, following every
        // request, or when the run is sped up, retune as soon as a few frames
        // say so rather than after 250 ms.
        let budget_dots = budget.max(1) as f64;
        let flooding = self.since_ms >= FLOOD_AFTER_MS
            && self.share.rate() * self.since_life_ms / self.since_ms > 2.0 * budget_dots;
        if self.since_ms < RETUNE_EVERY_MS && !flooding {
            return None;
        }
        let speed = sim_now.saturating_sub(since_sim) as f64 / self.since_ms;
        if flooding || self.speed.is_some_and(|was| !(was / 1.5..=was * 1.5).contains(&speed)) {
            self.full_life_ms = self.since_life_ms;
            self.span_ms = self.since_ms;
        }
        self.speed = Some(speed);
        self.since_ms = 0.0;
        self.since_life_ms = 0.0;
        self.since_sim = Some(sim_now);
        let all = self.dots_if_all()?;
        let budget = budget_dots;
        let ratio = self.share.rate() * all / budget;
        let saturated = self.share == Share::ALL && ratio < KEEP_BAND.1;
        if saturated || (KEEP_BAND.0..=KEEP_BAND.1).contains(&ratio) {
            return None;
        }
        let share = share_for_rate(if all > 0.0 { budget / all } else { 1.0 });
        if share == self.share {
            return None;
        }
        self.share = share;
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back((next_request, share));
        Some(share)
    }
}

/// The share nearest to following `rate` of the requests: one in a whole
/// number from one in 10 down, hundredths above.
pub fn share_for_rate(rate: f64) -> Share {
    if !(rate.is_finite() && rate > 0.0) {
        return Share::one_in(u32::MAX);
    }
    if rate >= 0.995 {
        return Share::ALL;
    }
    if rate >= 0.1 {
        return Share { taken: (rate * 100.0).round().clamp(10.0, 99.0) as u32, every: 100 };
    }
    Share::one_in((1.0 / rate).round().clamp(10.0, u32::MAX as f64) as u32)
}

/// The share as the page says it: "every request", "about 55% of requests",
/// "about 1 in 30 requests".
pub fn describe(share: Share) -> String {
    if share.every == 0 {
        "no requests".to_string()
    } else if share.taken >= share.every {
        "every request".to_string()
    } else if share.taken == 1 {
        format!("about 1 in {} requests", crate::base::format::count(share.every.into()))
    } else {
        format!("about {:.0}% of requests", share.rate() * 100.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::canvas::particles::{Particles, Wire};
    use scalelab_engine::{Kind, Scenario, Simulation};

    fn wire(_: &Hop) -> Option<Wire> {
        Some(Wire::line((100.0, 200.0), (300.0, 600.0)))
    }

    /// A steady stream: `rate` requests per simulated second, evenly spaced,
    /// each crossing wires of the durations given one after the other; the
    /// requests followed chosen by the engine's rule for the sampler's share;
    /// 60 frames a second, as the page runs it, unless `frame_ms` says
    /// otherwise.
    pub(crate) struct Stream {
        pub particles: Particles,
        pub frame_ms: f64,
        pub sampler: Sampler,
        pub share: Share,
        request: u64,
        pub now: Nanos,
        pub buf: Vec<Hop>,
    }

    impl Stream {
        pub fn new(budget: usize) -> Stream {
            let mut particles = Particles::new();
            particles.budget = budget;
            let sampler = Sampler::new();
            Stream {
                particles,
                frame_ms: 1000.0 / 60.0,
                share: sampler.share(),
                sampler,
                request: 0,
                now: 0,
                buf: Vec::new(),
            }
        }

        /// Runs `seconds` of wall time at `speed`; the dots on screen each frame.
        pub fn run(&mut self, seconds: f64, rate: f64, speed: f64, hop_ns: &[Nanos]) -> Vec<usize> {
            let dt = self.frame_ms;
            let mut counts = Vec::new();
            for _ in 0..(seconds * 1000.0 / dt).round() as usize {
                let next = self.now + (dt * 1e6 * speed) as Nanos;
                let born_until = (next as f64 * rate / 1e9) as u64;
                self.buf.clear();
                while self.request < born_until {
                    let number = self.request;
                    self.request += 1;
                    if self.share.follows(number) {
                        let mut s = (number as f64 * 1e9 / rate) as Nanos;
                        for (i, &d) in hop_ns.iter().enumerate() {
                            // Logged with start <= now, as the engine does.
                            let start = s.min(next);
                            self.buf.push(Hop {
                                link: 0,
                                from: 0,
                                to: 1,
                                start,
                                end: start + d,
                                kind: Kind::ALL[i % 4],
                                response: false,
                                failed: i == 3,
                                request: number,
                            });
                            s += d;
                        }
                    }
                }
                self.now = next;
                self.particles.advance(self.now, dt);
                let particles = &self.particles;
                self.sampler.observe(&self.buf, |h| particles.wall_life_ms(h));
                self.particles.ingest(&self.buf, &wire);
                if let Some(share) = self.sampler.tick(dt, self.now, self.particles.budget, self.request) {
                    self.share = share;
                }
                counts.push(self.particles.on_screen());
            }
            counts
        }
    }

    fn mean(v: &[usize]) -> f64 {
        v.iter().sum::<usize>() as f64 / v.len() as f64
    }

    #[test]
    fn shares_are_hundredths_above_one_in_ten_and_whole_below() {
        assert_eq!(share_for_rate(1.0), Share::ALL);
        assert_eq!(share_for_rate(3.0), Share::ALL);
        assert_eq!(share_for_rate(0.554), Share { taken: 55, every: 100 });
        assert_eq!(share_for_rate(0.1), Share { taken: 10, every: 100 });
        assert_eq!(share_for_rate(0.099), Share::one_in(10));
        assert_eq!(share_for_rate(1.0 / 37.4), Share::one_in(37));
        assert_eq!(share_for_rate(0.0), Share::one_in(u32::MAX));
        assert_eq!(share_for_rate(f64::NAN), Share::one_in(u32::MAX));
        assert_eq!(share_for_rate(1e-12), Share::one_in(u32::MAX));
        for rate in [0.9, 0.55, 0.2, 0.1, 0.05, 0.01, 1e-4] {
            let got = share_for_rate(rate).rate();
            assert!((got / rate - 1.0).abs() <= 0.05, "{rate}: {got}");
        }
        assert_eq!(describe(Share::ALL), "every request");
        assert_eq!(describe(Share { taken: 55, every: 100 }), "about 55% of requests");
        assert_eq!(describe(Share::one_in(1234)), "about 1 in 1,234 requests");
    }

    /// The share a hop's request was born under is the one that counts: hops
    /// of requests followed one in 1 stand for one hop each, those of one in
    /// 10 for ten, whatever the share now.
    #[test]
    fn each_hop_counts_for_the_share_of_its_request() {
        let mut s = Sampler::new();
        s.history.push_back((100, Share::one_in(10)));
        let hop = |request| Hop {
            link: 0,
            from: 0,
            to: 1,
            start: 0,
            end: 0,
            kind: Kind::Read,
            response: false,
            failed: false,
            request,
        };
        s.observe(&[hop(99), hop(99)], |_| 150.0);
        assert_eq!(s.full_life_ms, 300.0);
        s.observe(&[hop(100), hop(250)], |_| 150.0);
        assert_eq!(s.full_life_ms, 300.0 + 2.0 * 1500.0);
        s.restart();
        assert_eq!(s.full_life_ms, 0.0);
        assert_eq!(s.share_of(5), s.share());
    }

    /// Short hops (every dot lives the minimum 150 ms) at 23,000 requests/s:
    /// the share settles and holds still, the mean count is within 7% of the
    /// budget, and every frame within 20% (about 480 followed requests of 4
    /// dots each are on screen at once, chosen by hash: the count's own
    /// spread is about 4.5%, so 20% is over four of those).
    #[test]
    fn a_steady_stream_holds_the_budget() {
        let budget = crate::canvas::particles::DEFAULT_BUDGET;
        let hops = [1_000_000, 0, 500_000, 2_000_000];
        let mut s = Stream::new(budget);
        s.run(3.0, 23_000.0, 1.0, &hops);
        let settled = s.share;
        let tail = s.run(10.0, 23_000.0, 1.0, &hops);
        let (lo, hi) = (*tail.iter().min().unwrap(), *tail.iter().max().unwrap());
        let b = budget as f64;
        println!("busy: share {settled:?}, on screen {lo}..{hi}, mean {:.0}", mean(&tail));
        assert!((0.93 * b..=1.07 * b).contains(&mean(&tail)), "mean {}", mean(&tail));
        assert!(lo as f64 >= 0.8 * b && hi as f64 <= 1.2 * b, "{lo}..{hi}");
        assert_eq!(s.share, settled, "the share holds still on a steady stream");

        // Light traffic: every request is followed.
        let mut s = Stream::new(budget);
        s.run(3.0, 50.0, 1.0, &[1_000_000, 1_000_000]);
        assert_eq!(s.share, Share::ALL);
    }

    /// The same stream on a machine whose frames come slowly (a busy laptop:
    /// 30, 12 and 8 frames a second): a dot lives its 150 ms of wall time
    /// from the moment the simulation reached its hop, not from the frame
    /// that drew it first, so the count holds the budget whatever the frame
    /// rate. (Counting from the frame, a dot of a 120 ms frame lived two
    /// frames, 240 ms, and the screen held 1.6 times the budget: 3,141 dots
    /// of 2,000 in a browser test beside another.)
    #[test]
    fn slow_frames_hold_the_budget() {
        let budget = crate::canvas::particles::DEFAULT_BUDGET;
        let b = budget as f64;
        let hops = [1_000_000, 0, 500_000, 2_000_000];
        for frame_ms in [1000.0 / 30.0, 1000.0 / 12.0, 120.0] {
            let mut s = Stream::new(budget);
            s.frame_ms = frame_ms;
            s.run(4.0, 23_000.0, 1.0, &hops);
            let tail = s.run(10.0, 23_000.0, 1.0, &hops);
            let (lo, hi) = (*tail.iter().min().unwrap(), *tail.iter().max().unwrap());
            println!("frames of {frame_ms:.0} ms: share {:?}, on screen {lo}..{hi}, mean {:.0}", s.share, mean(&tail));
            assert!((0.93 * b..=1.07 * b).contains(&mean(&tail)), "{frame_ms} ms: mean {}", mean(&tail));
            assert!(lo as f64 >= 0.8 * b && hi as f64 <= 1.2 * b, "{frame_ms} ms: {lo}..{hi}");
        }
    }

    /// Long hops in slow motion (1 s simulated at 0.1x: 10 s on screen, so
    /// the hops drained lag the share by 10 s), starting from following every
    /// request: the count rises to the budget without overshooting past the
    /// hard cap, and stays.
    #[test]
    fn slow_motion_with_long_hops_reaches_the_budget_and_stays() {
        let budget = crate::canvas::particles::DEFAULT_BUDGET;
        let b = budget as f64;
        let hops = [1_000_000_000, 1_000_000_000];
        let mut s = Stream::new(budget);
        let first = s.run(30.0, 5_000.0, 0.1, &hops);
        let tail = s.run(20.0, 5_000.0, 0.1, &hops);
        println!("slow: share {:?}, mean on screen {:.0}", s.share, mean(&tail));
        assert!(first.iter().all(|&n| n <= 2 * budget));
        assert!((0.93 * b..=1.07 * b).contains(&mean(&tail)), "mean {}", mean(&tail));
        let (lo, hi) = (*tail.iter().min().unwrap(), *tail.iter().max().unwrap());
        assert!(lo as f64 >= 0.85 * b && hi as f64 <= 1.15 * b, "{lo}..{hi}");
    }

    /// Sped up from 0.1x (every request followed, under the budget) to 10x:
    /// a hundred times the hops, 15,333 a frame. Past twice the budget new hops
    /// are ignored; the flood is seen after three frames (not after the 250
    /// ms of a retuning: there 65,680 hops were ignored over 15 frames), so no
    /// more than three frames' hops are ignored, and the dots stay at the cap
    /// no longer than those three frames and the 150 ms (9 frames) the dots
    /// then admitted live. Then the budget holds.
    #[test]
    fn a_hundredfold_speed_up_is_seen_within_three_frames() {
        let budget = crate::canvas::particles::DEFAULT_BUDGET;
        let hops = [1_000_000, 0, 500_000, 2_000_000];
        let mut s = Stream::new(budget);
        s.run(5.0, 23_000.0, 0.1, &hops);
        assert_eq!(s.share, Share::ALL);
        let skipped = s.particles.skipped();
        let jump = s.run(5.0, 23_000.0, 10.0, &hops);
        let at_cap = jump.iter().filter(|&&n| n >= s.particles.hard_cap()).count();
        let ignored = s.particles.skipped() - skipped;
        println!("speed-up: {at_cap} frames at the cap, {ignored} hops ignored");
        assert!(ignored <= 3 * 15_333, "{ignored} hops ignored");
        assert!(at_cap <= 12, "{at_cap} frames at the cap");
        let tail = &jump[2 * 60..];
        let b = budget as f64;
        assert!((0.93 * b..=1.07 * b).contains(&mean(tail)), "mean {}", mean(tail));
    }

    /// What the bench measures, natively: lesson 13 with a budget of 10,000
    /// dots, 3 s at 1x, then slowed to 0.1x (about 10,000 requests and
    /// 100,000 hops a wall second). From 2 s after the slowdown the count
    /// stays within ±15% of the budget every frame, and averages within ±5%.
    /// (Before the share was counted per request it fell to 1,181 and swung
    /// to 12,693, and with whole shares only it settled at one in 2: 9,100.)
    #[test]
    fn lesson_13_slowed_to_a_tenth_holds_10000_dots() {
        let doc = Scenario::from_json(include_str!("../../lessons/13-millions-of-users.json")).unwrap();
        let mut sim = Simulation::new(doc);
        let mut particles = Particles::new();
        particles.budget = 10_000;
        let mut sampler = Sampler::new();
        let mut hops = Vec::new();
        let dt = 1000.0 / 60.0;
        let mut t: Nanos = 0;
        let mut counts = Vec::new();
        let mut skipped_before = 0;
        for frame in 0..(13 * 60) {
            let speed = if frame < 3 * 60 { 1.0 } else { 0.1 };
            t += (dt * 1e6 * speed) as Nanos;
            sim.set_sample_share(sampler.share());
            sim.run_until(t, u64::MAX);
            particles.advance(sim.now(), dt);
            sim.drain_hops(&mut hops);
            sampler.observe(&hops, |h| particles.wall_life_ms(h));
            particles.ingest(&hops, &wire);
            sampler.tick(dt, sim.now(), particles.budget, sim.totals().generated);
            if frame == 5 * 60 {
                skipped_before = particles.skipped();
            }
            if frame >= 5 * 60 {
                counts.push(particles.on_screen());
            }
        }
        let (lo, hi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
        println!("lesson 13 at 0.1x: share {:?}, on screen {lo}..{hi}, mean {:.0}", sampler.share(), mean(&counts));
        assert!((9_500.0..=10_500.0).contains(&mean(&counts)), "mean {}", mean(&counts));
        assert!(lo >= 8_500 && hi <= 11_500, "{lo}..{hi}");
        assert_eq!(particles.skipped(), skipped_before, "no hop was ignored at the hard cap");
    }
}
