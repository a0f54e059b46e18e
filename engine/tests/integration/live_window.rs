//! The page's live figures: one window for every figure (the last whole
//! simulated seconds), the same value wherever a figure appears, and nothing
//! shown over less than a second.

use super::support::{exp_ms, scenario};
use scalelab_engine::recent::LIVE_WINDOW_S;
use scalelab_engine::Simulation;
use serde_json::json;

const S: u64 = 1_000_000_000;

/// Users at 8 requests/s (the rate at which quarter-second readings swung
/// from 0 to 18.8/s) through a balancer to two servers and a database.
fn slow_design() -> Simulation {
    Simulation::new(scenario(&json!({
        "version": 2, "name": "live window", "seed": 9, "duration_s": 600, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 8, "mix": {"read": 0.8, "write": 0.2}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
            {"id": "web-1", "kind": "web_server", "workers": 4, "service": exp_ms(20.0)},
            {"id": "web-2", "kind": "web_server", "workers": 4, "service": exp_ms(20.0)},
            {"id": "db", "kind": "database", "workers": 2, "service": exp_ms(5.0)}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 1},
            {"from": "lb", "to": "web-1", "latency_ms": 0.5},
            {"from": "lb", "to": "web-2", "latency_ms": 0.5},
            {"from": "web-1", "to": "db", "latency_ms": 0.5},
            {"from": "web-2", "to": "db", "latency_ms": 0.5}
        ]
    })))
}

#[test]
fn nothing_is_a_rate_before_the_first_whole_second() {
    let mut sim = slow_design();
    sim.run_until(S / 2, u64::MAX);
    let live = sim.live_snapshot();
    assert_eq!(live.span_s, 0.0);
    assert_eq!((live.sent_rps, live.ok_rps, live.failed_rps), (0.0, 0.0, 0.0));
    assert_eq!(live.latency_p99_ms, None);
    assert!(live.links.iter().all(|l| l.rps == 0.0));
    assert!(live.nodes.iter().all(|n| n.summary.arrivals == 0));
}

#[test]
fn the_window_is_the_last_whole_seconds_and_reading_it_changes_nothing() {
    let mut sim = slow_design();
    sim.run_until(2 * S + S / 3, u64::MAX);
    assert_eq!(sim.live_snapshot().span_s, 2.0, "fewer seconds at the start");
    sim.run_until(12 * S + S / 10, u64::MAX);
    let a = sim.live_snapshot();
    assert_eq!(a.span_s, LIVE_WINDOW_S as f64);
    // Within the same second the figures hold still, however often they are
    // read, and reading them does not disturb the interval readings.
    sim.run_until(12 * S + 9 * S / 10, u64::MAX);
    let b = sim.live_snapshot();
    assert_eq!((a.sent_rps, a.ok_rps, a.latency_p99_ms, &a.links), (b.sent_rps, b.ok_rps, b.latency_p99_ms, &b.links));
    assert!(b.now_s > a.now_s);

    // The same figures as the per-second series over seconds 8 to 12.
    let series: Vec<_> = sim.series().iter().filter(|p| (8..=12).contains(&p.t_s)).collect();
    assert_eq!(series.len(), 5);
    let sent: u64 = series.iter().map(|p| p.generated).sum();
    let ok: u64 = series.iter().map(|p| p.ok).sum();
    assert_eq!(b.sent_rps, sent as f64 / 5.0);
    assert_eq!(b.ok_rps, ok as f64 / 5.0);
}

#[test]
fn one_figure_reads_the_same_wherever_it_appears() {
    let mut sim = slow_design();
    for t in [7, 13, 21, 30] {
        sim.run_until(t * S + S / 4, u64::MAX);
        let live = sim.live_snapshot();
        let node = |id: &str| live.nodes.iter().find(|n| n.id == id).unwrap();
        let link = |from: &str, to: &str| live.links.iter().find(|l| l.from == from && l.to == to).unwrap().rps;
        let rate = |n: u64| n as f64 / live.span_s;
        // Requests/s: the card, the users node and the users' wire.
        assert_eq!(rate(node("users").summary.arrivals), live.sent_rps, "t = {t}");
        assert_eq!(link("users", "lb"), live.sent_rps, "t = {t}");
        // What the balancer sent down each wire is what each server received.
        for web in ["web-1", "web-2"] {
            assert_eq!(link("lb", web), rate(node(web).summary.arrivals), "t = {t}: {web}");
        }
        // The card's ok + failed are the requests that ended in the window,
        // which the users node counts as completed.
        let ended = live.ok_rps + live.failed_rps;
        assert!(
            (ended - node("users").summary.throughput_rps).abs() < 1e-9,
            "t = {t}: {ended} against {}",
            node("users").summary.throughput_rps
        );
    }
}

#[test]
fn at_eight_requests_a_second_the_live_rate_stays_near_eight() {
    // Over five seconds, 40 requests on average: the rate read each whole
    // second stays within Poisson's spread (4 standard deviations: 8 ± 5.1),
    // where quarter-second readings ran from 0 to 18.8/s.
    let mut sim = slow_design();
    let mut rates = Vec::new();
    for t in 5..=300 {
        sim.run_until(t * S, u64::MAX);
        rates.push(sim.live_snapshot().sent_rps);
    }
    let sd = (8.0f64 / 5.0).sqrt();
    for r in &rates {
        assert!((r - 8.0).abs() <= 4.0 * sd, "{r}/s over 5 s at 8/s");
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    assert!((mean - 8.0).abs() < 0.5, "mean {mean}/s");
}

/// Each node's cost and the total in a reading are exactly (bit for bit)
/// what a search by id over the monthly costs gives, as the reading did
/// before it kept them by slot: for every shipped design, while running,
/// and after a node is taken out and put back (its old slot stays, removed,
/// beside a new one of the same id).
#[test]
fn each_node_costs_what_a_search_by_id_gives() {
    use scalelab_engine::scenario::NodeSpec;
    use scalelab_engine::{Edit, Scenario};
    // The costs as they were worked out before: a search per node.
    let by_search = |sim: &Simulation| -> Vec<(String, f64)> {
        let s = sim.scenario();
        let slots = sim.node_slots();
        s.nodes
            .iter()
            .map(|n| {
                let slot = slots.iter().position(|(id, _, removed)| !removed && *id == n.id);
                let instances = slot.map_or(1, |slot| sim.instances(slot));
                let static_rps: f64 = s
                    .links
                    .iter()
                    .filter(|l| l.to == n.id)
                    .filter_map(|l| s.node_index(&l.from))
                    .filter_map(|u| match &s.nodes[u].spec {
                        NodeSpec::Users(users) => {
                            let shares = users.mix.shares();
                            Some(users.rps() * shares[2] / shares.iter().sum::<f64>().max(f64::MIN_POSITIVE))
                        }
                        _ => None,
                    })
                    .sum();
                (n.id.clone(), scalelab_engine::cost::node_monthly_usd_with_traffic(&n.spec, instances, static_rps))
            })
            .collect()
    };
    let check = |sim: &Simulation, what: &str| {
        let costs = by_search(sim);
        assert_eq!(sim.monthly_costs(), costs, "{what}: monthly costs");
        let live = sim.live_snapshot();
        for n in &live.nodes {
            let c = costs.iter().find(|(id, _)| *id == n.id).map_or(0.0, |(_, c)| *c);
            assert_eq!(n.cost_per_month_usd.to_bits(), c.to_bits(), "{what}: {}", n.id);
        }
        let total: f64 = costs.iter().map(|(_, c)| c).sum();
        assert_eq!(live.cost_per_month_usd.to_bits(), total.to_bits(), "{what}: total");
    };
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut checked = 0;
    for dir in ["lessons", "examples", "blueprints"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let what = file.display().to_string();
            let scenario = Scenario::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let mut sim = Simulation::new(scenario.clone());
            check(&sim, &what);
            sim.run_until(2 * S, u64::MAX);
            check(&sim, &what);
            // Out and back: a removed slot and a new one with the same id
            // (the first node that may be taken out: a fault may name one).
            let node = scenario
                .nodes
                .iter()
                .find(|n| sim.apply(Edit::RemoveNode { id: n.id.clone() }).is_ok())
                .unwrap_or_else(|| panic!("{what}: no node may be taken out"))
                .clone();
            sim.run_until(3 * S, u64::MAX);
            check(&sim, &what);
            sim.sync_to(&scenario).unwrap();
            sim.run_until(4 * S, u64::MAX);
            let slots = sim.node_slots();
            assert!(slots.iter().any(|(id, _, removed)| *removed && *id == node.id), "{what}: a removed slot");
            assert!(slots.iter().any(|(id, _, removed)| !*removed && *id == node.id), "{what}: back");
            check(&sim, &what);
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} designs");
}
