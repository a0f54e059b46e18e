//! Queueing theory, for two uses: the tests check the simulation against it,
//! and the inspector shows what it predicts for a node beside what the
//! simulation measured, with its assumptions, or says plainly why it does not
//! apply. The formulas are the textbook results (Kleinrock, *Queueing Systems*
//! vol. 1; Gross & Harris, *Fundamentals of Queueing Theory*), each unit-tested
//! against a value that can be worked by hand. Rates and times may be in any
//! consistent unit.

/// M/M/1 with arrival rate `lambda` and service rate `mu` (`lambda < mu`).
#[derive(Clone, Copy, Debug)]
pub struct Mm1 {
    pub lambda: f64,
    pub mu: f64,
}

impl Mm1 {
    pub fn rho(&self) -> f64 {
        self.lambda / self.mu
    }
    /// The response (sojourn) time is exponential with rate mu - lambda.
    pub fn response_mean(&self) -> f64 {
        1.0 / (self.mu - self.lambda)
    }
    /// The q-quantile of the response time: -ln(1 - q) / (mu - lambda).
    pub fn response_quantile(&self, q: f64) -> f64 {
        -(1.0 - q).ln() / (self.mu - self.lambda)
    }
    /// Mean wait before service: rho / (mu - lambda).
    pub fn wait_mean(&self) -> f64 {
        self.rho() / (self.mu - self.lambda)
    }
    /// Time-average number waiting: rho^2 / (1 - rho).
    pub fn queue_len_mean(&self) -> f64 {
        let r = self.rho();
        r * r / (1.0 - r)
    }
    /// Time-average number in the system: rho / (1 - rho).
    pub fn in_system_mean(&self) -> f64 {
        let r = self.rho();
        r / (1.0 - r)
    }
    /// Asymptotic variance of the time-average number in system: over a run of
    /// length t, Var(L_t) ~ sigma^2 / t with sigma^2 = 2 rho (1 + rho) / (mu (1 - rho)^4)
    /// (Whitt, "Planning queueing simulations", Management Science 35, 1989).
    /// This is what sizes the runs: the number in system is strongly
    /// autocorrelated near rho = 1, far more than the departure count suggests.
    pub fn in_system_asymptotic_variance(&self) -> f64 {
        let r = self.rho();
        2.0 * r * (1.0 + r) / (self.mu * (1.0 - r).powi(4))
    }
    /// The relaxation time 1 / (mu (1 - sqrt(rho))^2): how long the queue takes
    /// to forget where it started; warm-ups and runs are many of these.
    pub fn relaxation_time(&self) -> f64 {
        1.0 / (self.mu * (1.0 - self.rho().sqrt()).powi(2))
    }
}

/// Erlang B: the probability that all `c` servers are busy in an M/G/c/c loss
/// system with offered load `a` = lambda / mu erlangs (the blocking probability).
/// Insensitive to the service distribution beyond its mean.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    // The stable recurrence B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    b
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load `a` erlangs (a < c).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / c as f64;
    b / (1.0 - rho + rho * b)
}

/// M/M/c with `c` workers, arrival rate `lambda`, service rate `mu` per worker.
#[derive(Clone, Copy, Debug)]
pub struct Mmc {
    pub c: u32,
    pub lambda: f64,
    pub mu: f64,
}

impl Mmc {
    pub fn rho(&self) -> f64 {
        self.lambda / (self.c as f64 * self.mu)
    }
    pub fn p_wait(&self) -> f64 {
        erlang_c(self.c, self.lambda / self.mu)
    }
    /// The rate of the (exponential) wait of those who wait: c mu - lambda.
    fn theta(&self) -> f64 {
        self.c as f64 * self.mu - self.lambda
    }
    /// Mean wait: C(c, a) / (c mu - lambda).
    pub fn wait_mean(&self) -> f64 {
        self.p_wait() / self.theta()
    }
    /// Time-average number waiting, by Little: lambda Wq.
    pub fn queue_len_mean(&self) -> f64 {
        self.lambda * self.wait_mean()
    }
    /// Time-average number in the system: Lq + a.
    pub fn in_system_mean(&self) -> f64 {
        self.queue_len_mean() + self.lambda / self.mu
    }
    pub fn response_mean(&self) -> f64 {
        self.wait_mean() + 1.0 / self.mu
    }
    /// P(response > t). The response is S + W with S ~ Exp(mu) and W = 0 with
    /// probability 1 - C, else Exp(theta), theta = c mu - lambda; so
    /// P(T > t) = (1 - C) e^{-mu t} + C P(Exp(theta) + Exp(mu) > t), and the
    /// hypoexponential tail is (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu).
    pub fn response_tail(&self, t: f64) -> f64 {
        let (c, mu, th) = (self.p_wait(), self.mu, self.theta());
        let hypo = if (th - mu).abs() < 1e-9 * mu {
            (1.0 + mu * t) * (-mu * t).exp() // the limit theta -> mu (Erlang-2)
        } else {
            (th * (-mu * t).exp() - mu * (-th * t).exp()) / (th - mu)
        };
        (1.0 - c) * (-mu * t).exp() + c * hypo
    }
    /// The q-quantile of the response time (bisection on the tail).
    pub fn response_quantile(&self, q: f64) -> f64 {
        let target = 1.0 - q;
        let (mut lo, mut hi) = (0.0, 1.0 / self.mu);
        while self.response_tail(hi) > target {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.response_tail(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// Pollaczek–Khinchine: the mean wait of M/G/1 is lambda E[S^2] / (2 (1 - rho)),
/// rho = lambda E[S].
pub fn pk_wait_mean(lambda: f64, mean_s: f64, second_moment_s: f64) -> f64 {
    let rho = lambda * mean_s;
    debug_assert!(rho < 1.0);
    lambda * second_moment_s / (2.0 * (1.0 - rho))
}

/// E[S^2] of a service time with mean `m` and coefficient of variation `cv`:
/// Var + m^2 = m^2 (1 + cv^2) (exponential: cv 1; constant: cv 0).
pub fn second_moment(m: f64, cv: f64) -> f64 {
    m * m * (1.0 + cv * cv)
}

/// M/M/1/K (room for K requests in all, one in service): an arrival finds the
/// system full with probability P_K = (1 - rho) rho^K / (1 - rho^(K+1))
/// (for rho = 1: 1 / (K + 1)).
pub fn mm1k_blocking(rho: f64, k: u32) -> f64 {
    if (rho - 1.0).abs() < 1e-12 {
        return 1.0 / (k as f64 + 1.0);
    }
    (1.0 - rho) * rho.powi(k as i32) / (1.0 - rho.powi(k as i32 + 1))
}

/// M/M/1/K: time-average number in the system,
/// rho / (1 - rho) - (K + 1) rho^(K+1) / (1 - rho^(K+1)).
pub fn mm1k_in_system(rho: f64, k: u32) -> f64 {
    let k1 = rho.powi(k as i32 + 1);
    rho / (1.0 - rho) - (k as f64 + 1.0) * k1 / (1.0 - k1)
}

/// GI/M/1 with service rate `mu` and interarrival times whose Laplace–Stieltjes
/// transform is `lst`: sigma is the root in (0, 1) of sigma = A*(mu (1 - sigma)).
/// The response time is then exponential with rate mu (1 - sigma), and the mean
/// wait is sigma / (mu (1 - sigma)).
pub fn gi_m_1_sigma(mu: f64, lst: impl Fn(f64) -> f64) -> f64 {
    // f(s) = A*(mu (1 - s)) - s is positive near 0 and negative just below 1
    // (when the load is below 1); bisect.
    let f = |s: f64| lst(mu * (1.0 - s)) - s;
    let (mut lo, mut hi) = (1e-12, 1.0 - 1e-12);
    assert!(f(lo) > 0.0 && f(hi) < 0.0, "GI/M/1 root not bracketed (load >= 1?)");
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// LST of the gap between every k-th arrival of a Poisson stream of rate
/// `lambda` (an Erlang-k gap): (lambda / (lambda + s))^k. Round robin over k
/// servers gives each server exactly these gaps.
pub fn erlang_gap_lst(k: u32, lambda: f64) -> impl Fn(f64) -> f64 {
    move |s: f64| (lambda / (lambda + s)).powi(k as i32)
}

/// Attempts per request when each attempt fails independently with
/// probability `p` and a request makes up to `n` attempts, retrying at once
/// after each failure: 1 + p + ... + p^(n-1) = (1 − pⁿ)/(1 − p) (n for p = 1).
/// The request then succeeds with probability 1 − pⁿ. With p = 0.5 and four
/// attempts, the callee sees 1.875 times the load the users send.
pub fn retry_amplification(n: u32, p: f64) -> f64 {
    if p >= 1.0 {
        return f64::from(n);
    }
    (1.0 - p.powi(n as i32)) / (1.0 - p)
}

/// What a caller's retry policy does to the load on what it calls, in
/// words for the inspector (`None` without retries): attempts per request
/// at a few shares of failing attempts, from [`retry_amplification`], which
/// assumes attempts fail independently (a struggling callee fails more as
/// the retries add to its load, so this is the least it costs), and what a
/// budget caps it at.
pub fn retry_load(policy: &crate::model::scenario::CallPolicy) -> Option<String> {
    load_words(policy, "request")
}

/// The same for a web server's policy on its calls (`calls`): attempts per
/// call to its cache, data and queue tiers.
pub fn calls_load(policy: &crate::model::scenario::CallPolicy) -> Option<String> {
    load_words(policy, "call")
}

fn load_words(policy: &crate::model::scenario::CallPolicy, per: &str) -> Option<String> {
    let n = policy.max_attempts;
    if n <= 1 {
        return None;
    }
    let times = |p: f64| format!("×{:.2}", retry_amplification(n, p));
    let mut words = format!(
        "Up to ×{n} attempts per {per}: if 10% of attempts fail, what it calls gets {} the load; at 50%, {}; when all fail, ×{n}.",
        times(0.1),
        times(0.5)
    );
    if let Some(b) = policy.budget {
        let then = if b.refill > 0.0 {
            format!("then about one retry per {} successful attempts", short(1.0 / b.refill))
        } else {
            "then none".to_string()
        };
        words.push_str(&format!(" The budget caps that: at most {} retries at once, {then}.", b.tokens));
    }
    Some(words)
}

/// For an exponential service time with mean `m` and a caller that gives up
/// `t` after arrival (no waiting): P(S > t) and E[S | S <= t].
pub fn exp_timeout_fraction(m: f64, t: f64) -> f64 {
    (-t / m).exp()
}
pub fn exp_mean_below(m: f64, t: f64) -> f64 {
    let p = (-t / m).exp();
    m - t * p / (1.0 - p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_amplification_is_the_geometric_sum() {
        assert!((retry_amplification(4, 0.5) - 1.875).abs() < 1e-12);
        assert!((retry_amplification(4, 0.3) - 1.417).abs() < 1e-12);
        assert_eq!(retry_amplification(1, 0.7), 1.0, "one attempt, no amplification");
        assert_eq!(retry_amplification(3, 0.0), 1.0);
        assert_eq!(retry_amplification(3, 1.0), 3.0, "everything fails: every attempt is made");
    }

    #[test]
    fn the_retry_load_is_said_in_numbers() {
        use crate::model::scenario::{CallPolicy, RetryBudget};
        assert_eq!(retry_load(&CallPolicy::attempts(1, Some(200.0))), None, "no retries, no extra load");
        let four = CallPolicy::attempts(4, None);
        assert_eq!(
            retry_load(&four).unwrap(),
            "Up to ×4 attempts per request: if 10% of attempts fail, what it calls gets ×1.11 the load; at 50%, ×1.88; when all fail, ×4."
        );
        let budgeted = CallPolicy { budget: Some(RetryBudget { tokens: 10, refill: 0.1 }), ..four };
        assert!(retry_load(&budgeted).unwrap().ends_with(
            "The budget caps that: at most 10 retries at once, then about one retry per 10 successful attempts."
        ));
        let empty = CallPolicy { budget: Some(RetryBudget { tokens: 3, refill: 0.0 }), ..four };
        assert!(retry_load(&empty).unwrap().ends_with("at most 3 retries at once, then none."));
        // A web server's calls: the same numbers, per call.
        assert_eq!(calls_load(&budgeted).unwrap(), retry_load(&budgeted).unwrap().replace("per request", "per call"));
        assert_eq!(calls_load(&CallPolicy::attempts(1, Some(100.0))), None);
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn erlang_b_and_c_match_hand_values() {
        // One server: B = a / (1 + a), C = rho.
        assert!(close(erlang_b(1, 0.7), 0.7 / 1.7, 1e-12));
        assert!(close(erlang_c(1, 0.7), 0.7, 1e-12));
        // Two servers, a = 1: B = (1/2) / (1 + 1 + 1/2) = 1/5, C = 1/3.
        assert!(close(erlang_b(2, 1.0), 0.2, 1e-12));
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
        // Four servers, a = 3.2, against the textbook sum
        // C = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))).
        let (c, a) = (4u32, 3.2f64);
        let fact = |n: u32| (1..=n).map(|i| i as f64).product::<f64>();
        let top = a.powi(c as i32) / fact(c) * (c as f64 / (c as f64 - a));
        let sum: f64 = (0..c).map(|k| a.powi(k as i32) / fact(k)).sum();
        assert!(close(erlang_c(c, a), top / (sum + top), 1e-12));
        let b_direct = a.powi(4) / fact(4) / (0..=4).map(|k| a.powi(k) / fact(k as u32)).sum::<f64>();
        assert!(close(erlang_b(4, 3.2), b_direct, 1e-12));
    }

    #[test]
    fn mmc_with_one_worker_is_mm1() {
        let one = Mmc { c: 1, lambda: 0.6, mu: 1.0 };
        let mm1 = Mm1 { lambda: 0.6, mu: 1.0 };
        assert!(close(one.wait_mean(), mm1.wait_mean(), 1e-12));
        assert!(close(one.queue_len_mean(), mm1.queue_len_mean(), 1e-12));
        assert!(close(one.in_system_mean(), mm1.in_system_mean(), 1e-12));
        for q in [0.5, 0.9, 0.99] {
            assert!(close(one.response_quantile(q), mm1.response_quantile(q), 1e-9));
        }
        // The theta = mu limit is continuous.
        let edge = Mmc { c: 2, lambda: 1.0, mu: 1.0 };
        let near = Mmc { c: 2, lambda: 1.0 + 1e-6, mu: 1.0 };
        assert!(close(edge.response_tail(1.3), near.response_tail(1.3), 1e-5));
        assert!(close(edge.response_tail(0.0), 1.0, 1e-12));
    }

    #[test]
    fn pollaczek_khinchine_with_exponential_service_is_mm1() {
        let mm1 = Mm1 { lambda: 0.7, mu: 1.0 };
        assert!(close(pk_wait_mean(0.7, 1.0, second_moment(1.0, 1.0)), mm1.wait_mean(), 1e-12));
        // M/D/1 waits half as long as M/M/1.
        assert!(close(pk_wait_mean(0.7, 1.0, second_moment(1.0, 0.0)), mm1.wait_mean() / 2.0, 1e-12));
    }

    #[test]
    fn mm1k_limits() {
        // K = 1 is the Erlang loss system with one server.
        assert!(close(mm1k_blocking(0.5, 1), erlang_b(1, 0.5), 1e-12));
        // Large K: no blocking, and L tends to the M/M/1 value.
        assert!(mm1k_blocking(0.5, 60) < 1e-18);
        assert!(close(mm1k_in_system(0.5, 60), 1.0, 1e-12));
        // rho = 1 is continuous.
        assert!(close(mm1k_blocking(1.0 + 1e-7, 4), 0.2, 1e-5));
        // Probabilities sum to one: P_n = (1 - rho) rho^n / (1 - rho^(K+1)).
        let (rho, k) = (1.2f64, 9u32);
        let p = |n: u32| (1.0 - rho) * rho.powi(n as i32) / (1.0 - rho.powi(k as i32 + 1));
        assert!(close((0..=k).map(p).sum::<f64>(), 1.0, 1e-12));
        assert!(close((0..=k).map(|n| n as f64 * p(n)).sum::<f64>(), mm1k_in_system(rho, k), 1e-12));
    }

    #[test]
    fn gi_m_1_with_poisson_arrivals_is_mm1_and_erlang_2_is_better() {
        // Exponential gaps: sigma = rho.
        let s = gi_m_1_sigma(1.0, erlang_gap_lst(1, 0.6));
        assert!(close(s, 0.6, 1e-9));
        // Erlang-2 gaps at the same rate (every other arrival of a 1.2 stream):
        // sigma = (1.2 / (2.2 - sigma))^2, whose root is 1.7 - sqrt(1.45) ~ 0.4958.
        let s2 = gi_m_1_sigma(1.0, erlang_gap_lst(2, 1.2));
        assert!(close(s2, 1.7 - 1.45f64.sqrt(), 1e-9), "{s2}");
    }

    #[test]
    fn mm1_numbers() {
        let m = Mm1 { lambda: 0.9, mu: 1.0 };
        assert!(close(m.response_mean(), 10.0, 1e-12));
        assert!(close(m.response_quantile(0.99), 10.0 * 100f64.ln(), 1e-12));
        assert!(close(m.queue_len_mean(), 8.1, 1e-12));
        assert!(close(m.in_system_asymptotic_variance(), 2.0 * 0.9 * 1.9 / 1e-4, 1e-9));
        assert!(close(exp_mean_below(1.0, 2.0), 1.0 - 2.0 * (-2f64).exp() / (1.0 - (-2f64).exp()), 1e-12));
    }
}

/// What theory predicts for one node: `workers` identical workers, one FIFO
/// queue, Poisson arrivals, service times with mean `service_ms` and
/// coefficient of variation `cv`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    /// The model in queueing notation, and the formula used.
    pub model: String,
    /// Exact for this model (Erlang C, Pollaczek–Khinchine), or an approximation.
    pub exact: bool,
    pub workers: u32,
    pub arrival_rps: f64,
    pub service_ms: f64,
    pub cv: f64,
    pub utilization: f64,
    /// Mean wait before service, and mean time at the node.
    pub wait_ms: f64,
    pub response_ms: f64,
}

/// Whether theory describes a node, and what it says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum NodeTheory {
    /// The model applies under the assumptions listed.
    Applies { prediction: Prediction, assumptions: Vec<String> },
    /// Arrivals outpace the workers (utilisation at least 1): no steady state,
    /// the queue grows until something turns requests away.
    Overloaded { utilization: f64, assumptions: Vec<String> },
    /// The node breaks an assumption the formulas cannot do without.
    DoesNotApply { reasons: Vec<String> },
}

/// The M/G/c prediction: Erlang C for exponential service, Pollaczek–Khinchine
/// for one worker, and otherwise the Allen–Cunneen approximation
/// Wq ≈ Wq(M/M/c) · (1 + cv²) / 2. `Err(utilisation)` when overloaded.
pub fn predict(workers: u32, arrival_rps: f64, service_ms: f64, cv: f64) -> Result<Prediction, f64> {
    let c = workers.max(1);
    let mean_s = service_ms / 1e3;
    let rho = arrival_rps * mean_s / c as f64;
    if rho.is_nan() || rho >= 1.0 {
        return Err(rho);
    }
    let mmc = Mmc { c, lambda: arrival_rps, mu: 1.0 / mean_s };
    let exponential = (cv - 1.0).abs() < 1e-9;
    let (wait_s, model, exact) = if c == 1 {
        let name = if cv == 0.0 {
            "M/D/1"
        } else if exponential {
            "M/M/1"
        } else {
            "M/G/1"
        };
        (pk_wait_mean(arrival_rps, mean_s, second_moment(mean_s, cv)), format!("{name} (Pollaczek–Khinchine)"), true)
    } else if exponential {
        (mmc.wait_mean(), format!("M/M/{c} (Erlang C)"), true)
    } else {
        (mmc.wait_mean() * (1.0 + cv * cv) / 2.0, format!("M/G/{c} (Allen–Cunneen approximation)"), false)
    };
    Ok(Prediction {
        model,
        exact,
        workers: c,
        arrival_rps,
        service_ms,
        cv,
        utilization: rho,
        wait_ms: wait_s * 1e3,
        response_ms: (wait_s + mean_s) * 1e3,
    })
}

#[cfg(test)]
mod prediction_tests {
    use super::*;

    #[test]
    fn the_model_follows_the_workers_and_the_service_spread() {
        let p = predict(4, 320.0, 10.0, 1.0).unwrap();
        assert_eq!((p.model.as_str(), p.exact), ("M/M/4 (Erlang C)", true));
        let mmc = Mmc { c: 4, lambda: 320.0, mu: 100.0 };
        assert!((p.wait_ms - mmc.wait_mean() * 1e3).abs() < 1e-9 && (p.utilization - 0.8).abs() < 1e-12);
        assert!((p.response_ms - p.wait_ms - 10.0).abs() < 1e-9);
        // One constant-time worker: M/D/1 waits half as long as M/M/1.
        let d = predict(1, 70.0, 10.0, 0.0).unwrap();
        let m = predict(1, 70.0, 10.0, 1.0).unwrap();
        assert_eq!(d.model, "M/D/1 (Pollaczek–Khinchine)");
        assert!((d.wait_ms * 2.0 - m.wait_ms).abs() < 1e-9);
        // Several workers and lognormal service: an approximation, said so.
        let g = predict(4, 320.0, 10.0, 0.5).unwrap();
        assert!(!g.exact && g.model.contains("Allen–Cunneen"));
        assert!((g.wait_ms - p.wait_ms * 0.625).abs() < 1e-9);
        assert_eq!(predict(2, 200.0, 10.0, 1.0), Err(1.0));
    }
}

impl crate::kernel::sim::Simulation {
    /// What queueing theory says about node `id` at `arrival_rps` (measured
    /// by the caller over some window), or `None` if the node has no workers
    /// of its own (users, balancers, DNS, CDN, queues, routers).
    pub fn theory(&self, id: &str, arrival_rps: f64) -> Option<NodeTheory> {
        use crate::model::scenario::{Algorithm, NodeSpec, Tipping, Waiting};
        let s = &self.scenario;
        let node = &s.nodes[s.node_index(id)?];
        let station = node.spec.station()?;
        let slot = self.slot_of(id)?;
        let mut reasons = Vec::new();
        let mut assumptions = vec!["arrivals are random and independent (Poisson)".to_string()];
        let factor = match self.net.nodes[slot].health {
            crate::kernel::sim::Health::Down => {
                reasons.push("it is down: nothing is served".to_string());
                1.0
            }
            crate::kernel::sim::Health::Degraded { factor } => {
                assumptions.push(format!("service slowed down {factor}x"));
                factor
            }
            crate::kernel::sim::Health::Up => 1.0,
        };
        let calls = s.links.iter().filter(|l| l.from == id).count();
        if let NodeSpec::WebServer(w) = &node.spec {
            if calls > 0 {
                reasons.push(match w.waiting {
                    Waiting::Thread => "its workers also wait for the calls it makes to other nodes, so the time a request holds a worker depends on them".to_string(),
                    Waiting::Async => "it calls other nodes between turns on a worker, so a request is served in several visits that depend on them".to_string(),
                });
            }
            if let Some(a) = &w.autoscale {
                assumptions.push(format!("the group's size now ({} to {} machines as load changes)", a.min, a.max));
            }
        }
        let retrying = s
            .nodes
            .iter()
            .any(|n| matches!(&n.spec, NodeSpec::Users(u) if u.retry.is_some_and(|r| r.max_attempts > 1)));
        if retrying {
            assumptions.push(
                "users retry failed attempts: the arrivals include the retries, which follow failures rather than come independently, so they bunch when the node struggles".to_string(),
            );
        }
        // A web server linked to this node that retries its calls.
        let calling = s.links.iter().filter(|l| l.to == id).any(|l| {
            s.node_index(&l.from).is_some_and(
                |i| matches!(&s.nodes[i].spec, NodeSpec::WebServer(w) if w.calls.is_some_and(|c| c.max_attempts > 1)),
            )
        });
        if calling {
            assumptions.push(
                "web servers retry their failed calls here: the arrivals include the retries, which follow failures rather than come independently, so they bunch when the node struggles".to_string(),
            );
        }
        for l in s.links.iter().filter(|l| l.to == id) {
            if let Some(i) = s.node_index(&l.from) {
                if let NodeSpec::LoadBalancer(b) = &s.nodes[i].spec {
                    match b.algorithm {
                        Algorithm::RoundRobin => assumptions.push(format!(
                            "{} deals requests out in turn, which is smoother than random: the real wait is a little shorter",
                            l.from
                        )),
                        Algorithm::LeastConnections => assumptions.push(format!(
                            "{} sends to the least busy server, which is smoother than random: the real wait is shorter",
                            l.from
                        )),
                        Algorithm::TwoChoices => assumptions.push(format!(
                            "{} sends to the less busy of two servers drawn at random, which is much smoother than random: the real wait is shorter",
                            l.from
                        )),
                        Algorithm::Random | Algorithm::Sticky => {}
                    }
                }
            }
        }
        if let Some(c) = &station.contention {
            // The tipping point needs the time a request holds a worker: not
            // known for a group (its size moves) nor for a web server that
            // waits on its calls (the calls' time adds to the service).
            let grouped = matches!(&node.spec, NodeSpec::WebServer(w) if w.autoscale.is_some());
            let waits_on_calls = matches!(&node.spec, NodeSpec::WebServer(_)) && calls > 0;
            // Pooled over a NoSQL store's partitions, as the run serves it,
            // with the workers it has now.
            let pooled = node.spec.station_runtime().and_then(|r| r.contention);
            let tipping = pooled
                .filter(|_| !grouped && !waits_on_calls && arrival_rps > 0.0)
                .map(|p| p.tipping_point(self.workers_of(slot), station.service.mean_ms * factor, arrival_rps));
            // The rate is the one the caller states with its window.
            let tips = match tipping {
                Some(Tipping::Beyond(n)) => format!(
                    ": at this rate it falls behind beyond about {} requests at the node, and then only gets slower",
                    n.floor()
                ),
                Some(Tipping::Always) => ": at this rate it cannot keep up even at full speed".to_string(),
                Some(Tipping::Never) | None => String::new(),
            };
            let per = if matches!(&node.spec, NodeSpec::Nosql(_)) { " per partition" } else { "" };
            reasons.push(format!(
                "its service slows down as requests pile up (contention: {}% more per request beyond {}{per}, up to {}x), which the formulas leave out{tips}",
                short(c.slope * 100.0),
                c.knee,
                short(c.max_factor)
            ));
        }
        match station.discipline {
            crate::model::scenario::Discipline::Fifo => {}
            _ => assumptions.push(
                "requests are served oldest first (here the newest may go first: the mean wait is the same, but the slowest requests wait far longer)".to_string(),
            ),
        }
        if let Some(w) = station.max_wait_ms {
            assumptions.push(format!(
                "nobody is dropped from the queue (here requests that waited over {w} ms are shed, which shortens the wait of the rest: fine while few are)"
            ));
        }
        if station.drop_abandoned {
            assumptions.push(
                "every request is served (here those whose caller gave up are dropped: fine while few give up)"
                    .to_string(),
            );
        }
        if let Some(limit) = station.queue_limit {
            assumptions.push(format!("no limit on waiting requests (here {limit}: fine while few are turned away)"));
        }
        if let Some(t) = station.timeout_ms {
            assumptions.push(format!("nobody gives up waiting (here callers give up after {} ms)", t));
        }
        if !reasons.is_empty() {
            return Some(NodeTheory::DoesNotApply { reasons });
        }
        let cv = match station.service.dist {
            crate::model::scenario::Dist::Exponential => 1.0,
            crate::model::scenario::Dist::Constant => 0.0,
            crate::model::scenario::Dist::Lognormal => station.service.cv.unwrap_or(1.0),
        };
        let workers = self.workers_of(slot);
        Some(match predict(workers, arrival_rps, station.service.mean_ms * factor, cv) {
            Ok(prediction) => NodeTheory::Applies { prediction, assumptions },
            Err(utilization) => NodeTheory::Overloaded { utilization, assumptions },
        })
    }
}

/// `x` with at most three decimals, without trailing zeros: 0.25, 5, 1.5.
fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Theory beside the simulation for one node, over the last seconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TheoryCheck {
    /// Seconds measured (up to the window asked for).
    pub window_s: u32,
    /// Requests served per second over the window: the arrival rate fed to the theory.
    pub arrival_rps: f64,
    /// Busy over available workers over the window (seconds a node was down
    /// do not lower it).
    pub simulated_utilization: f64,
    /// Mean wait before service, by Little's law from the mean queue length.
    pub simulated_wait_ms: Option<f64>,
    pub theory: NodeTheory,
}

impl crate::kernel::sim::Simulation {
    /// [`theory`](Self::theory) at the node's measured rate over the last
    /// `window_s` simulated seconds, with the simulated figures of the same
    /// seconds beside it (`None`: not a node with workers, or no seconds yet).
    pub fn theory_check(&self, id: &str, window_s: u32) -> Option<TheoryCheck> {
        let slot = self.slot_of(id)?;
        let series = self.series();
        let skip = series.len().saturating_sub(window_s as usize);
        let points: Vec<&crate::metrics::series::NodePoint> =
            series.iter().skip(skip).filter_map(|p| p.nodes.get(slot)).collect();
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        let rate = points.iter().map(|p| p.throughput_rps).sum::<f64>() / n;
        // Busy over available over the whole window, as each second's is.
        let available = points.iter().map(|p| p.available_workers).sum::<f64>();
        let utilization =
            if available > 0.0 { points.iter().map(|p| p.busy_workers).sum::<f64>() / available } else { 0.0 };
        let queue = points.iter().map(|p| p.mean_queue_len).sum::<f64>() / n;
        let theory = self.theory(id, rate)?;
        Some(TheoryCheck {
            window_s: points.len() as u32,
            arrival_rps: rate,
            simulated_utilization: utilization,
            simulated_wait_ms: (rate > 0.0).then(|| queue / rate * 1e3),
            theory,
        })
    }
}
