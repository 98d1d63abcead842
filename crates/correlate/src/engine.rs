//! Streaming evaluation: detections in, per-group windows updated, and
//! correlation detections out.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use vigil_event::{Detection, Event, FieldValue};

use crate::rule::{Correlation, Decide, Kind};
use crate::set::{CorrelationSet, Route};
use crate::window::{Entry, Group, Outcome, RecordRef, Value};

/// Bounds on the state the engine keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Groups one correlation tracks at once; past it the group whose
    /// window is oldest is evicted (and counted in [`Stats`]).
    pub max_groups_per_rule: usize,
    /// Events one group keeps; past it the oldest are dropped (and counted).
    pub max_events_per_group: usize,
    /// Record references listed in one correlation detection.
    pub max_record_ids: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_groups_per_rule: 100_000,
            max_events_per_group: 10_000,
            max_record_ids: 20,
        }
    }
}

/// How much state the engine holds and where its limits bit.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Groups held, over all correlations.
    pub groups: usize,
    /// Events held in windows, over all groups.
    pub events: usize,
    /// Detections for correlated rules whose event had no timestamp.
    pub untimed: u64,
    /// Contributions skipped because a group-by or aggregated field was missing.
    pub missing_fields: u64,
    pub rules: Vec<RuleStats>,
}

/// One correlation's share of [`Stats`].
#[derive(Debug, Clone)]
pub struct RuleStats {
    pub rule_id: Arc<str>,
    pub title: Arc<str>,
    pub groups: usize,
    /// Groups evicted because `max_groups_per_rule` was reached.
    pub evicted_groups: u64,
    /// Events dropped from full groups because of `max_events_per_group`.
    pub dropped_events: u64,
    /// Correlation detections this rule produced.
    pub fired: u64,
}

impl Stats {
    pub fn evicted_groups(&self) -> u64 {
        self.rules.iter().map(|r| r.evicted_groups).sum()
    }
}

/// One correlation's groups, and the order in which their windows end.
#[derive(Debug, Default)]
struct RuleState {
    groups: HashMap<Arc<str>, Group>,
    /// (deadline, group): one entry per live group, oldest first. A group
    /// whose deadline moved on is put back at the end when its entry comes up.
    deadlines: VecDeque<(i64, Arc<str>)>,
    evicted: u64,
    dropped: u64,
    fired: u64,
}

/// Host names, interned so that every event kept costs four bytes for it.
#[derive(Debug, Default)]
struct Hosts {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Hosts {
    fn intern(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return 0;
        };
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let name: Arc<str> = name.into();
        self.names.push(name.clone());
        let id = self.names.len() as u32;
        self.ids.insert(name, id);
        id
    }

    fn name(&self, id: u32) -> Option<&str> {
        id.checked_sub(1)
            .and_then(|i| self.names.get(i as usize))
            .map(|n| &**n)
    }
}

/// Where a contribution's fields are read: a base rule's event, or a
/// correlation detection's details (chained correlations).
enum Fields<'e> {
    Event(&'e Event),
    Detection(&'e Detection),
}

impl Fields<'_> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        match self {
            Fields::Event(e) => match e.get(name)? {
                FieldValue::Null => None,
                FieldValue::Str(s) => Some(Cow::Borrowed(s)),
                v => Some(Cow::Owned(v.to_string())),
            },
            Fields::Detection(d) => d
                .details
                .iter()
                .find(|(k, _)| k == name)
                .or_else(|| d.details.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| Cow::Borrowed(v.as_str()))
                .or_else(|| {
                    if name.eq_ignore_ascii_case("Computer") {
                        d.computer.as_deref().map(Cow::Borrowed)
                    } else {
                        None
                    }
                }),
        }
    }

    fn number(&self, name: &str) -> Option<f64> {
        match self {
            Fields::Event(e) => e.get(name)?.as_f64(),
            Fields::Detection(_) => self.text(name)?.trim().parse().ok(),
        }
    }
}

/// One event (or correlation detection) offered to a correlation.
struct Contribution<'e> {
    at: i64,
    record: RecordRef,
    host: u32,
    source: &'e Arc<str>,
    fields: Fields<'e>,
}

/// Streaming correlation state over one [`CorrelationSet`].
///
/// Feed it, in time order, every base-rule detection with the event it
/// matched ([`Engine::observe`]); call [`Engine::finish`] at the end of the
/// input. Windows slide: a group's window is the `timespan` before each
/// arriving event, bounds included, so a burst that straddles any clock
/// boundary is seen whole, and events spread one second wider than the
/// timespan are not.
pub struct Engine<'a> {
    set: &'a CorrelationSet,
    limits: Limits,
    states: Vec<RuleState>,
    hosts: Hosts,
    now: i64,
    untimed: u64,
    missing_fields: u64,
}

impl<'a> Engine<'a> {
    pub fn new(set: &'a CorrelationSet, limits: Limits) -> Self {
        let limits = Limits {
            max_groups_per_rule: limits.max_groups_per_rule.max(1),
            max_events_per_group: limits.max_events_per_group.max(1),
            ..limits
        };
        Engine {
            set,
            limits,
            states: (0..set.correlations.len())
                .map(|_| RuleState::default())
                .collect(),
            hosts: Hosts::default(),
            now: i64::MIN,
            untimed: 0,
            missing_fields: 0,
        }
    }

    /// Offers one base-rule detection and the event it matched. Appends the
    /// correlation detections this completes, including those of windows
    /// that this event's time closed, and those of chained correlations.
    /// Detections of correlations that only feed another one (`generate`
    /// not set on the outer one) are not appended.
    pub fn observe(&mut self, event: &Event, detection: &Detection, out: &mut Vec<Detection>) {
        let set = self.set;
        let routes = set.routes_for(detection);
        let Some(time) = event.timestamp.or(detection.timestamp) else {
            if !routes.is_empty() {
                self.untimed += 1;
            }
            return;
        };
        self.advance(time.timestamp_millis(), out);
        if routes.is_empty() {
            return;
        }
        let contribution = Contribution {
            at: time.timestamp_millis(),
            record: RecordRef::of(event),
            host: self.hosts.intern(event.computer()),
            source: &event.source,
            fields: Fields::Event(event),
        };
        self.feed(routes, &contribution, out);
    }

    /// Moves the clock on without an event (a live stream's idle tick):
    /// windows that ended before `now` are closed and decided.
    pub fn advance_to(&mut self, now: DateTime<Utc>, out: &mut Vec<Detection>) {
        self.advance(now.timestamp_millis(), out);
    }

    /// Ends the input: every open window is decided, and all state dropped.
    pub fn finish(&mut self, out: &mut Vec<Detection>) {
        // Closing one window may feed a chained correlation; repeat until
        // nothing is left open (chains are acyclic, so this ends).
        loop {
            let mut closed_any = false;
            for ci in 0..self.states.len() {
                let c = &self.set.correlations[ci];
                let state = &mut self.states[ci];
                state.deadlines.clear();
                if state.groups.is_empty() {
                    continue;
                }
                let mut groups: Vec<(Arc<str>, Group)> = state.groups.drain().collect();
                if c.decide != Decide::OnClose {
                    continue;
                }
                groups.sort_by(|a, b| a.1.opened.cmp(&b.1.opened).then(a.0.cmp(&b.0)));
                for (key, mut group) in groups {
                    closed_any = true;
                    if let Some(outcome) = group.close(c, self.limits.max_record_ids) {
                        self.fire(ci, &key, &group.source, outcome, out);
                    }
                }
            }
            if !closed_any {
                break;
            }
        }
    }

    pub fn stats(&self) -> Stats {
        let mut stats = Stats {
            untimed: self.untimed,
            missing_fields: self.missing_fields,
            ..Stats::default()
        };
        for (c, state) in self.set.correlations.iter().zip(&self.states) {
            stats.groups += state.groups.len();
            stats.events += state.groups.values().map(Group::size).sum::<usize>();
            stats.rules.push(RuleStats {
                rule_id: c.rule_id.clone(),
                title: c.title.clone(),
                groups: state.groups.len(),
                evicted_groups: state.evicted,
                dropped_events: state.dropped,
                fired: state.fired,
            });
        }
        stats
    }

    fn advance(&mut self, now: i64, out: &mut Vec<Detection>) {
        if now <= self.now {
            return;
        }
        self.now = now;
        for ci in 0..self.states.len() {
            self.expire(ci, out);
        }
    }

    /// Drops groups whose window ended before the clock, deciding those
    /// that are decided on close.
    fn expire(&mut self, ci: usize, out: &mut Vec<Detection>) {
        let c = &self.set.correlations[ci];
        loop {
            let state = &mut self.states[ci];
            match state.deadlines.front() {
                Some(&(deadline, _)) if deadline < self.now => {}
                _ => return,
            }
            let (_, key) = state.deadlines.pop_front().expect("front checked");
            let Some(group) = state.groups.get(&key) else {
                continue;
            };
            let deadline = deadline_of(c, group);
            if deadline >= self.now {
                state.deadlines.push_back((deadline, key));
                continue;
            }
            let mut group = state.groups.remove(&key).expect("present");
            if c.decide == Decide::OnClose {
                if let Some(outcome) = group.close(c, self.limits.max_record_ids) {
                    self.fire(ci, &key, &group.source, outcome, out);
                }
            }
        }
    }

    fn feed(&mut self, routes: &[Route], contribution: &Contribution, out: &mut Vec<Detection>) {
        for &(ci, slot) in routes {
            self.contribute(ci, slot, contribution, out);
        }
    }

    fn contribute(
        &mut self,
        ci: usize,
        slot: usize,
        input: &Contribution,
        out: &mut Vec<Detection>,
    ) {
        let c = &self.set.correlations[ci];
        let mut key = String::new();
        for (p, field) in c.slots[slot].group_fields.iter().enumerate() {
            let Some(value) = input.fields.text(field) else {
                self.missing_fields += 1;
                return;
            };
            if p > 0 {
                key.push('\u{1f}');
            }
            key.push_str(&value);
        }
        let value = match c.kind {
            Kind::ValueCount | Kind::ValuePercentile => {
                let mut parts = Vec::with_capacity(c.fields.len());
                for field in &c.fields {
                    match input.fields.text(field) {
                        Some(v) => parts.push(v.into_owned()),
                        None => {
                            self.missing_fields += 1;
                            return;
                        }
                    }
                }
                Value::Text(parts.join("\u{1f}").into())
            }
            Kind::ValueSum | Kind::ValueAvg => match input.fields.number(&c.fields[0]) {
                Some(n) => Value::Number(n),
                None => {
                    self.missing_fields += 1;
                    return;
                }
            },
            _ => Value::None,
        };
        let entry = Entry {
            at: input.at,
            record: input.record.clone(),
            host: input.host,
            value,
        };

        let limits = self.limits;
        let state = &mut self.states[ci];
        if !state.groups.contains_key(key.as_str()) {
            while state.groups.len() >= limits.max_groups_per_rule {
                let Some((_, oldest)) = state.deadlines.pop_front() else {
                    break;
                };
                if state.groups.remove(&oldest).is_some() {
                    state.evicted += 1;
                }
            }
            let key: Arc<str> = key.as_str().into();
            let group = Group::new(input.at, input.source.clone(), c.slots.len(), c.kind);
            state
                .deadlines
                .push_back((deadline_of(c, &group), key.clone()));
            state.groups.insert(key, group);
        }
        let group = state.groups.get_mut(key.as_str()).expect("inserted above");
        group.source = input.source.clone();
        let (outcome, dropped) = match c.decide {
            Decide::OnArrival => group.arrive(c, slot, entry, limits.max_events_per_group),
            Decide::OnClose => {
                group.collect(c, entry, limits.max_events_per_group, limits.max_record_ids)
            }
        };
        state.dropped += dropped;
        if let Some(outcome) = outcome {
            let source = input.source.clone();
            self.fire(ci, &key, &source, outcome, out);
        }
    }

    /// Turns what a group's window held into a detection, outputs it unless
    /// it only feeds another correlation, and feeds chained correlations.
    fn fire(
        &mut self,
        ci: usize,
        key: &str,
        source: &Arc<str>,
        outcome: Outcome,
        out: &mut Vec<Detection>,
    ) {
        let set = self.set;
        let c = &set.correlations[ci];
        self.states[ci].fired += 1;
        let detection = self.detection(c, key, source, &outcome);
        // Output in causal order: this detection before those it completes.
        let position = out.len();
        let routes = &set.chained_routes[ci];
        if !routes.is_empty() {
            let records = detection
                .details
                .iter()
                .find(|(k, _)| k == "records")
                .map_or("", |(_, v)| v.as_str());
            let contribution = Contribution {
                at: outcome.end,
                record: RecordRef::Chained(records.into()),
                host: self.hosts.intern(detection.computer.as_deref()),
                source,
                fields: Fields::Detection(&detection),
            };
            self.feed(routes, &contribution, out);
        }
        if c.emit {
            out.insert(position, detection);
        }
    }

    fn detection(
        &self,
        c: &Correlation,
        key: &str,
        source: &Arc<str>,
        outcome: &Outcome,
    ) -> Detection {
        let values: Vec<&str> = if c.group_by.is_empty() {
            Vec::new()
        } else {
            key.split('\u{1f}').collect()
        };
        let mut details: Vec<(String, String)> = c
            .group_by
            .iter()
            .zip(&values)
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect();
        details.push(("window_start".into(), time_text(outcome.start)));
        details.push(("window_end".into(), time_text(outcome.end)));
        details.push((c.kind.as_str().into(), outcome.aggregate.clone()));
        details.extend(outcome.extra.iter().cloned());
        let records: Vec<String> = outcome
            .entries
            .iter()
            .take(self.limits.max_record_ids)
            .map(|e| e.record.to_string())
            .collect();
        details.push(("records".into(), records.join(", ")));
        details.push(("record_count".into(), outcome.entries.len().to_string()));

        let shared_host = outcome
            .entries
            .first()
            .map(|e| e.host)
            .filter(|&h| h != 0 && outcome.entries.iter().all(|e| e.host == h));
        let computer = match c.host_group {
            Some(p) => values.get(p).map(|v| v.to_string()),
            None => shared_host
                .and_then(|h| self.hosts.name(h))
                .map(str::to_string),
        };
        Detection {
            timestamp: DateTime::from_timestamp_millis(outcome.end),
            computer,
            channel: None,
            event_id: None,
            record_id: None,
            rule_id: c.rule_id.clone(),
            rule_title: c.title.clone(),
            level: c.level,
            tags: c.tags.clone(),
            source: source.clone(),
            details,
        }
    }
}

/// When a group's state is of no further use unless another event comes.
fn deadline_of(c: &Correlation, group: &Group) -> i64 {
    match c.decide {
        Decide::OnArrival => group.last.saturating_add(c.timespan_ms),
        Decide::OnClose => group.opened.saturating_add(c.timespan_ms),
    }
}

fn time_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}
