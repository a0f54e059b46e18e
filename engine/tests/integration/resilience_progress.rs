//! What the page reads while a resilience report is computed: which trial is
//! running (`ResilienceRun::current`), in the order the trials run, and that
//! it names the same failures the finished report lists.

use scalelab_engine::resilience::{ResilienceOptions, ResilienceRun};
use scalelab_engine::Scenario;
use serde_json::json;

#[test]
fn the_run_names_each_trial_while_it_runs_baseline_first() {
    let doc = json!({
        "version": 1, "seed": 4, "duration_s": 600,
        "data_centers": [{"id": "east", "region": "us-east"}],
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200, "mix": {"read": 0.9, "write": 0.1}},
            {"id": "app", "kind": "web_server", "workers": 8, "dc": "east", "service": {"dist": "exponential", "mean_ms": 4}},
            {"id": "db", "kind": "database", "workers": 8, "dc": "east", "service": {"dist": "exponential", "mean_ms": 2}}
        ],
        "links": [{"from": "users", "to": "app"}, {"from": "app", "to": "db"}]
    });
    let scenario = Scenario::from_json(&doc.to_string()).unwrap();
    let mut run = ResilienceRun::new(&scenario, ResilienceOptions { warmup_s: 3, after_s: 6 });
    // Baseline, then the nodes but the users (scenario order), then the data centers.
    let expected =
        [(None, "nothing"), (Some("app"), "web_server"), (Some("db"), "database"), (Some("east"), "data center")];
    assert_eq!(run.total(), expected.len());
    let mut seen: Vec<(Option<String>, &'static str)> = Vec::new();
    loop {
        match run.current() {
            Some((id, kind)) => {
                // The trial named is the one after those finished.
                assert_eq!((id, kind.name()), expected[run.finished()]);
                let t = (id.map(str::to_string), kind.name());
                if seen.last() != Some(&t) {
                    seen.push(t);
                }
            }
            None => {
                assert_eq!(run.finished(), run.total());
                break;
            }
        }
        // Small slices: every trial is seen running.
        run.step(200);
    }
    let named: Vec<(Option<&str>, &str)> = seen.iter().map(|(id, k)| (id.as_deref(), *k)).collect();
    assert_eq!(named, expected);
    let report = run.report().unwrap();
    let mut failed: Vec<Option<String>> = report.trials.iter().map(|t| t.failed.clone()).collect();
    failed.sort();
    assert_eq!(failed, vec![Some("app".to_string()), Some("db".to_string()), Some("east".to_string())]);
    assert_eq!(report.baseline.failed, None);
}
