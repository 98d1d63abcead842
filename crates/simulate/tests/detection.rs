//! The built-in rules against the simulator: quiet on the background, and
//! every attack step found where and when it happened.

mod common;

use chrono::Duration;
use vigil_event::Level;

#[test]
fn background_alone_raises_nothing_high() {
    let out = tempfile::tempdir().unwrap();
    vigil_simulate::generate(&common::small(3, false), out.path()).unwrap();
    let detections = common::detections(out.path());
    let loud: Vec<_> = detections
        .iter()
        .filter(|d| d.level >= Level::High)
        .collect();
    assert!(
        loud.is_empty(),
        "{} high/critical detections on benign activity, first: {:?}",
        loud.len(),
        loud.first()
    );
}

#[test]
fn every_attack_step_is_detected_and_alerts_stay_in_scope() {
    for seed in [3, 4] {
        let out = tempfile::tempdir().unwrap();
        let truth = vigil_simulate::generate(&common::small(seed, true), out.path())
            .unwrap()
            .truth;
        let detections = common::detections(out.path());
        let window = Duration::minutes(2);
        for step in &truth.steps {
            let found = detections.iter().any(|d| {
                common::host_of(d) == step.host
                    && d.timestamp
                        .is_some_and(|t| t >= step.time - window && t <= step.time + window)
            });
            assert!(found, "seed {seed}: step not detected: {step:?}");
        }
        for detection in detections.iter().filter(|d| d.level >= Level::High) {
            let host = common::host_of(detection);
            let time = detection.timestamp.unwrap();
            let scope = truth.compromised_hosts.iter().find(|c| c.host == host);
            assert!(
                scope.is_some_and(|c| c.first_malicious <= time && time <= c.last_malicious),
                "seed {seed}: {} at {time} on {host} is outside the compromise",
                detection.rule_title
            );
        }
    }
}
