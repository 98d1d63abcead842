//! The records of one audit event (one serial) joined into one event, within
//! a bounded window of events still open.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use vigil_event::{Event, FieldValue, Position};

use super::record::{Record, Stamp};
use super::syscalls;

/// How many events may be open at once. auditd writes an event's records
/// together, interleaved at most with the few events other CPUs log at the
/// same moment: an event not added to while this many newer ones began is
/// complete.
pub(super) const WINDOW: usize = 32;

/// The most records joined into one event; a syscall touching thousands of
/// paths gives the first ones and an issue.
pub(super) const MAX_RECORDS: usize = 1024;

/// An event being joined.
#[derive(Debug)]
pub(super) struct OpenEvent {
    stamp: Stamp,
    /// The line of its first record.
    pub(super) line: u64,
    /// The host that logged it: one log gathered from several hosts
    /// (`node=` names them) may repeat a time and serial.
    node: Option<String>,
    records: Vec<Record>,
}

/// What became of a record handed to [`Joiner::add`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Added {
    Joined,
    /// Its event had [`MAX_RECORDS`] records already: it was dropped.
    TooMany {
        serial: u64,
    },
}

/// Joins records into events, handing each event on once complete.
#[derive(Debug, Default)]
pub(super) struct Joiner {
    open: VecDeque<OpenEvent>,
}

impl Joiner {
    /// Adds `record`, read at `line`, to its event, and hands on (to
    /// `complete`) the events it completes: its own at `EOE`, the oldest
    /// open one when more than [`WINDOW`] are open.
    pub(super) fn add(
        &mut self,
        record: Record,
        line: u64,
        complete: &mut dyn FnMut(OpenEvent),
    ) -> Added {
        // The newest event is the likeliest: look from the back.
        let found = self
            .open
            .iter()
            .rposition(|open| open.stamp == record.stamp && open.node == record.node);
        if record.kind == "EOE" {
            if let Some(open) = found.and_then(|index| self.open.remove(index)) {
                complete(open);
            }
            return Added::Joined;
        }
        let index = match found {
            Some(index) => index,
            None => {
                if self.open.len() == WINDOW {
                    if let Some(oldest) = self.open.pop_front() {
                        complete(oldest);
                    }
                }
                self.open.push_back(OpenEvent {
                    stamp: record.stamp,
                    line,
                    node: record.node.clone(),
                    records: Vec::with_capacity(8),
                });
                self.open.len() - 1
            }
        };
        let open = &mut self.open[index];
        if open.records.len() == MAX_RECORDS {
            return Added::TooMany {
                serial: open.stamp.serial,
            };
        }
        open.records.push(record);
        Added::Joined
    }

    /// Hands on every open event, oldest first: the file has ended.
    pub(super) fn finish(&mut self, complete: &mut dyn FnMut(OpenEvent)) {
        while let Some(open) = self.open.pop_front() {
            complete(open);
        }
    }

    /// How many events are open.
    #[cfg(test)]
    pub(super) fn open(&self) -> usize {
        self.open.len()
    }
}

impl OpenEvent {
    /// The event of product `linux` and Channel `auditd` whose fields are
    /// the records' fields: once each, a list where records repeat a name.
    pub(super) fn into_event(self, source: Arc<str>, shape: &'static str) -> Event {
        let mut event = Event::new(source);
        event.product = Some("linux");
        event.shape = Some(shape);
        event.timestamp = Some(self.stamp.time);
        event.position = Position::Line(self.line);
        if let Some(node) = self.node {
            event.insert("Computer", FieldValue::Str(node));
        }
        event.insert("Channel", FieldValue::from("auditd"));
        add_fields(&self.records, &mut event);
        event
    }
}

/// Adds records' fields to `event`: `type` and each field's name once, a
/// list where records repeat it; and `SYSCALL` named for raw x86_64 records.
pub(super) fn add_fields(records: &[Record], event: &mut Event) {
    let fields = || {
        records.iter().flat_map(|record| {
            std::iter::once(("type", record.kind.as_str())).chain(record.fields())
        })
    };
    let syscall_name = syscall_name(fields);
    let count = records.iter().map(|record| record.len() + 1).sum();
    let mut joined: Vec<(&str, FieldValue)> = Vec::with_capacity(count);
    // An event has a hundred fields and more: a name's place is looked up,
    // not searched for.
    let mut places: HashMap<&str, usize> = HashMap::with_capacity(count);
    for (name, value) in fields() {
        let value = FieldValue::from(value);
        match places.get(name).map(|&place| &mut joined[place].1) {
            // Every value starts as text: a list is one this made.
            Some(FieldValue::List(values)) => values.push(value),
            Some(single) => {
                let first = std::mem::replace(single, FieldValue::Null);
                *single = FieldValue::List(vec![first, value]);
            }
            None => {
                places.insert(name, joined.len());
                joined.push((name, value));
            }
        }
    }
    event.reserve(joined.len() + 1);
    for (name, value) in joined {
        event.insert(name, value);
    }
    if let Some(name) = syscall_name {
        event.insert("SYSCALL", FieldValue::from(name));
    }
}

/// The name of the system call of a raw (not enriched) x86_64 SYSCALL
/// record, which gives only its number.
fn syscall_name<'a, I>(fields: impl Fn() -> I) -> Option<&'static str>
where
    I: Iterator<Item = (&'a str, &'a str)>,
{
    let value = |wanted: &str| {
        fields()
            .find(|(name, _)| *name == wanted)
            .map(|(_, value)| value)
    };
    if value("SYSCALL").is_some() || value("arch") != Some(syscalls::X86_64) {
        return None;
    }
    syscalls::x86_64_name(value("syscall")?.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::super::record::parse;
    use super::*;

    fn join(lines: &[&str]) -> (Vec<Event>, Joiner) {
        let mut joiner = Joiner::default();
        let mut events = Vec::new();
        for (line, text) in (1..).zip(lines) {
            let record = parse(text).unwrap();
            let added = joiner.add(record, line, &mut |open| {
                events.push(open.into_event(Arc::from("audit.log"), "auditd"))
            });
            assert_eq!(added, Added::Joined);
        }
        (events, joiner)
    }

    fn text(event: &Event, name: &str) -> String {
        event.get(name).map(|v| v.to_string()).unwrap_or_default()
    }

    #[test]
    fn records_of_one_serial_are_one_event_closed_by_eoe() {
        let (events, mut joiner) = join(&[
            r#"type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes a0=55d0 comm="chmod" exe="/usr/bin/chmod" key=(null)"#,
            r#"type=EXECVE msg=audit(1700000000.100:10): argc=3 a0="chmod" a1="777" a2="/tmp/x""#,
            r#"type=USER_CMD msg=audit(1700000000.101:11): pid=1 uid=0 msg='cwd="/" cmd=6964 res=success'"#,
            r#"type=PATH msg=audit(1700000000.100:10): item=0 name="/usr/bin/chmod" nametype=NORMAL"#,
            r#"type=PATH msg=audit(1700000000.100:10): item=1 name="/lib64/ld-linux-x86-64.so.2" nametype=NORMAL"#,
            "type=EOE msg=audit(1700000000.100:10): ",
        ]);
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.position, Position::Line(1));
        assert_eq!(event.channel(), Some("auditd"));
        assert_eq!(text(event, "type"), "SYSCALL, EXECVE, PATH, PATH");
        assert_eq!(text(event, "a0"), "55d0, chmod");
        assert_eq!(text(event, "a1"), "777");
        assert_eq!(
            text(event, "name"),
            "/usr/bin/chmod, /lib64/ld-linux-x86-64.so.2"
        );
        assert_eq!(text(event, "SYSCALL"), "execve");
        assert_eq!(joiner.open(), 1);
        let mut rest = Vec::new();
        joiner.finish(&mut |open| rest.push(open.into_event(Arc::from("a"), "auditd")));
        assert_eq!(text(&rest[0], "type"), "USER_CMD");
        assert_eq!(text(&rest[0], "cmd"), "id");
        assert_eq!(rest[0].position, Position::Line(3));
    }

    #[test]
    fn one_serial_of_two_hosts_is_two_events() {
        let (events, mut joiner) = join(&[
            r#"node=a type=SYSCALL msg=audit(1.0:1): syscall=2 comm="x""#,
            r#"node=b type=SYSCALL msg=audit(1.0:1): syscall=2 comm="y""#,
            "node=a type=EOE msg=audit(1.0:1): ",
        ]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].computer(), Some("a"));
        assert_eq!(text(&events[0], "comm"), "x");
        let mut rest = Vec::new();
        joiner.finish(&mut |open| rest.push(open.into_event(Arc::from("a"), "auditd")));
        assert_eq!(rest[0].computer(), Some("b"));
        assert_eq!(text(&rest[0], "comm"), "y");
    }

    #[test]
    fn enriched_syscall_names_are_kept_and_other_arches_not_named() {
        let (_, mut joiner) = join(&[
            "type=SYSCALL msg=audit(1.0:1): arch=c000003e syscall=59\x1dSYSCALL=execveat",
            "type=SYSCALL msg=audit(1.0:2): arch=40000003 syscall=11",
            "type=SYSCALL msg=audit(1.0:3): arch=c000003e syscall=319",
        ]);
        let mut events = Vec::new();
        joiner.finish(&mut |open| events.push(open.into_event(Arc::from("a"), "auditd")));
        let names: Vec<_> = events.iter().map(|e| text(e, "SYSCALL")).collect();
        assert_eq!(names, ["execveat", "11", "memfd_create"]);
    }

    #[test]
    fn the_table_names_x86_64_calls() {
        assert_eq!(syscalls::x86_64_name(0), Some("read"));
        assert_eq!(syscalls::x86_64_name(135), Some("personality"));
        assert_eq!(syscalls::x86_64_name(334), Some("rseq"));
        assert_eq!(syscalls::x86_64_name(335), None);
        assert_eq!(syscalls::x86_64_name(435), Some("clone3"));
        assert_eq!(syscalls::x86_64_name(450), Some("set_mempolicy_home_node"));
        assert_eq!(syscalls::x86_64_name(451), None);
        assert_eq!(syscalls::x86_64_name(u64::MAX), None);
    }

    /// Serials that never see their EOE are handed on as newer ones come,
    /// so no more than the window is ever held.
    #[test]
    fn a_flood_of_unfinished_serials_holds_no_more_than_the_window() {
        let mut joiner = Joiner::default();
        let mut completed = 0u64;
        for serial in 0..100_000u64 {
            let line = format!("type=SYSCALL msg=audit(1700000000.000:{serial}): syscall=1");
            joiner.add(parse(&line).unwrap(), serial + 1, &mut |_| completed += 1);
            assert!(joiner.open() <= WINDOW);
        }
        assert_eq!(completed, 100_000 - WINDOW as u64);
        joiner.finish(&mut |_| completed += 1);
        assert_eq!(completed, 100_000);
    }

    #[test]
    fn an_event_of_too_many_records_keeps_the_first() {
        let mut joiner = Joiner::default();
        let path = "type=PATH msg=audit(1.0:5): name=\"/x\"";
        for line in 0..MAX_RECORDS as u64 {
            let added = joiner.add(parse(path).unwrap(), line, &mut |_| panic!("open"));
            assert_eq!(added, Added::Joined);
        }
        let added = joiner.add(parse(path).unwrap(), 0, &mut |_| panic!("open"));
        assert_eq!(added, Added::TooMany { serial: 5 });
    }
}
