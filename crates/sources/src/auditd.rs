//! The Linux audit daemon's log (`/var/log/audit/audit.log`, rotated, gzip),
//! its records joined into one event per audited action.
//!
//! auditd logs one action (a system call, a login) as several records, one
//! a line, that share the event's `msg=audit(time:serial)`:
//!
//! ```text
//! type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes … comm="chmod" exe="/usr/bin/chmod" key="perm"
//! type=EXECVE msg=audit(1700000000.100:10): argc=3 a0="chmod" a1="777" a2=2F746D702F6120622E7368
//! type=CWD msg=audit(1700000000.100:10): cwd="/root"
//! type=PATH msg=audit(1700000000.100:10): item=0 name="/usr/bin/chmod" … nametype=NORMAL
//! type=PROCTITLE msg=audit(1700000000.100:10): proctitle=63686D6F6400373737…
//! type=EOE msg=audit(1700000000.100:10):
//! ```
//!
//! Every record of a serial goes into one event (product `linux`, `Channel`
//! `auditd`, `Computer` from `node=`, time from the stamp, position the line
//! of its first record). Its fields are the records' fields under auditd's
//! own names, which are the names SigmaHQ's auditd rules test:
//!
//! * `type` holds the type of each record (`SYSCALL`, `EXECVE`, `PATH`, …);
//! * a name that several records give is **one field whose value is the
//!   list** of their values, in the order of the records: `a0` of the
//!   SYSCALL record (a hex number) and `a0` of the EXECVE record (the
//!   program), `name` of each PATH record, `type`. Sigma matching takes a
//!   list as "any element matches", so `{type: EXECVE, a0: chmod, a1: 777}`
//!   and `{type: PATH, name: /etc/ld.so.preload}` match the joined event as
//!   they would match the record a per-record backend sees. The price is
//!   that a selection's conditions may be met by different records of the
//!   one action (`type: PATH` by a PATH record, `name` by an AVC's). Within
//!   one action that is rarely wrong, and the joined event shows the action
//!   whole (who ran what, on which files, from where), which per-record
//!   events never do;
//! * values auditd escapes (EXECVE's `aN`, `name`, `comm`, `exe`, `cwd`,
//!   `cmd`, `acct`, `key`, `proctitle`, …) are decoded: quoted text
//!   unquoted, hex decoded (`PROCTITLE`'s NULs between arguments made
//!   spaces), long arguments logged in parts (`a1[0]=… a1[1]=…`) joined,
//!   several keys of one audit rule (joined by `\x01`) made a list; other
//!   values are kept as written (SYSCALL's `a0` to `a3` are hex numbers
//!   and stay so, as rules write them);
//! * a user-space record's `msg='op=… acct="root" exe=… res=failed'` gives
//!   its fields as the record's own (`unit` of `SERVICE_STOP`, `acct`);
//! * the fields `log_format=ENRICHED` appends after `\x1d` are added under
//!   their upper-case names (`UID`, `AUID`, `SYSCALL`, `ARCH`); for raw
//!   x86_64 logs `SYSCALL` is named from the number, so rules testing
//!   `SYSCALL: memfd_create` match either.
//!
//! Records of one event are written together, but may be interleaved with
//! another event's: an event is complete at its `EOE` record, or once
//! [`join::WINDOW`] newer events have begun, or when the file ends; at most
//! that many events, of at most [`join::MAX_RECORDS`] records each, are held.
//! A record of an event already handed on (more than the window late) makes
//! an event of its own.
//!
//! `ausearch -i` output is read too: its `----` lines end events, its printed
//! date (in the zone of the machine it ran on, which it does not say) is read
//! as UTC, and its values, already interpreted, are taken as printed. It
//! prints them unquoted, so a value with a space is cut there, except the
//! process title, which is the rest of its line.
//!
//! Records forwarded to syslog by audispd or its `audisp-syslog` plugin
//! (`… audisp-syslog: type=EXECVE msg=audit(…): argc=2 a0="ls" …`) are read
//! by the syslog reader one line at a time, each record its own event with
//! the fields above ([`add_record_fields`]): a syslog file mixes other lines
//! between them, and a per-record event is what Sigma's auditd rules are
//! written for.
//!
//! A line that is not a record (no `msg=audit(…)`, a damaged stamp) is
//! skipped and reported; a record read with damage (a value neither quoted
//! nor hex, a line cut inside a quoted value) is kept and reported suspect.

mod join;
mod record;
mod syscalls;

use std::borrow::Cow;

use vigil_event::Event;

use crate::report::Emitter;
use crate::{lines, InputFile, SourceError};

use join::{Added, Joiner};

/// The shape of auditd's events, for the summary.
pub(crate) const SHAPE: &str = "auditd";

pub(crate) fn read(file: &InputFile, out: &mut Emitter) -> Result<(), SourceError> {
    let mut joiner = Joiner::default();
    lines::read(file, "auditd", out, &mut |bytes, number, out| {
        read_line(bytes, number, &mut joiner, out)
    })?;
    let source = out.source.clone();
    joiner.finish(&mut |open| out.event(open.into_event(source.clone(), SHAPE)));
    Ok(())
}

/// Adds the fields of the audit record `text` (a syslog message) to
/// `event`, if it is one: `type` and the decoded fields, named as in a
/// joined event.
pub(crate) fn add_record_fields(text: &str, event: &mut Event) {
    let starts = text.starts_with("type=") || text.starts_with("node=");
    if !starts || !text.contains("msg=audit(") {
        return;
    }
    if let Ok(record) = record::parse(text) {
        join::add_fields(std::slice::from_ref(&record), event);
    }
}

fn read_line(bytes: &[u8], number: u64, joiner: &mut Joiner, out: &mut Emitter) {
    let location = || format!("line {number}");
    let valid = std::str::from_utf8(bytes);
    let text = match valid {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let line = text.trim();
    if line.is_empty() {
        return;
    }
    let source = out.source.clone();
    let mut complete = |open: join::OpenEvent| out.event(open.into_event(source.clone(), SHAPE));
    if line == "----" {
        joiner.finish(&mut complete);
        return;
    }
    let mut record = match record::parse(line) {
        Ok(record) => record,
        Err(error) => {
            out.skipped(location(), format!("not an audit record: {error}"));
            return;
        }
    };
    let damage = std::mem::take(&mut record.damage);
    let added = joiner.add(record, number, &mut complete);
    if let Err(error) = valid {
        out.suspect(
            location(),
            format!(
                "not valid UTF-8 at byte {}; read with invalid bytes replaced by U+FFFD",
                error.valid_up_to() + 1
            ),
        );
    }
    for reason in damage {
        out.suspect(location(), reason);
    }
    if let Added::TooMany { serial } = added {
        out.skipped(
            location(),
            format!(
                "event {serial} has more than {} records; this one was not joined to it",
                join::MAX_RECORDS
            ),
        );
    }
}
