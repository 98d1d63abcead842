//! Correlation in `hunt`: detections that feed correlation rules are held,
//! with only the event fields those rules read, while the files are swept in
//! parallel; then they are put in one time order across every file and run
//! through the correlation engine. The order is a total one (time, file,
//! record, rule), so the result depends neither on the order the files were
//! named in nor on the number of threads.

use vigil_correlate::{CorrelationSet, Engine, Limits, Stats};
use vigil_event::{Detection, Event};

/// A base detection kept for the correlation pass, with the part of its
/// event that correlations read.
pub struct Held {
    event: Event,
    detection: Detection,
}

/// Keeps, of the detections `found` for `event`, those some correlation
/// listens to.
pub fn hold(set: &CorrelationSet, event: &Event, found: &[Detection], held: &mut Vec<Held>) {
    for detection in found.iter().filter(|d| set.wants(d)) {
        held.push(Held {
            event: project(event, &set.event_fields(detection)),
            detection: detection.clone(),
        });
    }
}

/// The event reduced to its source, position, time, host, record id and
/// the named fields.
fn project(event: &Event, fields: &[&str]) -> Event {
    let mut kept = Event::new(event.source.clone());
    kept.position = event.position;
    kept.timestamp = event.timestamp;
    kept.product = event.product;
    for name in ["Computer", "EventRecordID"].iter().chain(fields) {
        if let Some(value) = event.get(name) {
            kept.insert(*name, value.clone());
        }
    }
    kept
}

/// The correlation detections over everything held, and the engine's
/// statistics (groups evicted or events dropped when its limits bit).
pub fn evaluate(
    set: &CorrelationSet,
    mut held: Vec<Held>,
    limits: Limits,
) -> (Vec<Detection>, Stats) {
    held.sort_by(|a, b| {
        let time = |h: &Held| h.event.timestamp.or(h.detection.timestamp);
        time(a)
            .cmp(&time(b))
            .then_with(|| a.event.source.cmp(&b.event.source))
            .then_with(|| a.event.record_id().cmp(&b.event.record_id()))
            .then_with(|| a.detection.rule_id.cmp(&b.detection.rule_id))
    });
    let mut engine = Engine::new(set, limits);
    let mut fired = Vec::new();
    for h in &held {
        engine.observe(&h.event, &h.detection, &mut fired);
    }
    let stats = engine.stats();
    engine.finish(&mut fired);
    // Counts of what the limits cost are kept through `finish`, which only
    // drops state; the live figures (groups open) are those before it.
    let mut closing = engine.stats();
    closing.groups = stats.groups;
    closing.events = stats.events;
    (fired, closing)
}
