//! Windows events as `evtx_dump` renders them to JSON, one object per line,
//! and the per-host files they are written to.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::clock::{self, Micros};

/// The event logs the simulator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Log {
    Sysmon,
    Security,
    System,
    PowerShell,
}

impl Log {
    const ALL: usize = 4;

    fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn channel(self) -> &'static str {
        match self {
            Log::Sysmon => "Microsoft-Windows-Sysmon/Operational",
            Log::Security => "Security",
            Log::System => "System",
            Log::PowerShell => "Microsoft-Windows-PowerShell/Operational",
        }
    }

    fn provider(self) -> (&'static str, &'static str) {
        match self {
            Log::Sysmon => (
                "Microsoft-Windows-Sysmon",
                "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
            ),
            Log::Security => (
                "Microsoft-Windows-Security-Auditing",
                "{54849625-5478-4994-A5BA-3E3B0328C30D}",
            ),
            Log::System => (
                "Service Control Manager",
                "{555908D1-A6D7-4695-8E1E-26931D2012F4}",
            ),
            Log::PowerShell => (
                "Microsoft-Windows-PowerShell",
                "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}",
            ),
        }
    }
}

/// A field value: text or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Text(Cow<'static, str>),
    Int(i64),
}

impl From<&'static str> for Value {
    fn from(text: &'static str) -> Value {
        Value::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(Cow::Owned(text))
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Value {
        Value::Text(Cow::Owned(text.clone()))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(i64::from(n))
    }
}

/// One Windows event before it is numbered and written.
#[derive(Debug, Clone)]
pub(crate) struct WinEvent {
    pub time: Micros,
    pub log: Log,
    pub id: u16,
    /// An audit failure (4625) rather than a success.
    pub failure: bool,
    /// `EventData`, in the order Windows writes it.
    pub data: Vec<(&'static str, Value)>,
}

impl WinEvent {
    pub(crate) fn new(time: Micros, log: Log, id: u16) -> WinEvent {
        WinEvent {
            time,
            log,
            id,
            failure: false,
            data: Vec::with_capacity(16),
        }
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<Value>) -> WinEvent {
        self.data.push((name, value.into()));
        self
    }

    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| match v {
                Value::Text(text) => Some(text.as_ref()),
                Value::Int(_) => None,
            })
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.data
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| match v {
                Value::Int(n) => Some(*n),
                Value::Text(_) => None,
            })
    }

    /// `(Version, Task, Level, Keywords)` of the event's `System` element.
    fn header(&self) -> (u8, u16, u8, &'static str) {
        match (self.log, self.id) {
            (Log::Sysmon, 1 | 3 | 22) => (5, self.id, 4, "0x8000000000000000"),
            (Log::Sysmon, 10) => (3, 10, 4, "0x8000000000000000"),
            (Log::Sysmon, id) => (2, id, 4, "0x8000000000000000"),
            (Log::Security, _) if self.failure => (0, 12544, 0, "0x8010000000000000"),
            (Log::Security, 4624) => (2, 12544, 0, "0x8020000000000000"),
            (Log::Security, 4634) => (0, 12545, 0, "0x8020000000000000"),
            (Log::Security, 4648) => (0, 12544, 0, "0x8020000000000000"),
            (Log::Security, 4672) => (0, 12548, 0, "0x8020000000000000"),
            (Log::Security, 4688) => (2, 13312, 0, "0x8020000000000000"),
            (Log::Security, 4697) => (1, 12289, 0, "0x8020000000000000"),
            (Log::Security, 4698) => (1, 12804, 0, "0x8020000000000000"),
            (Log::Security, 4720 | 4722 | 4724) => (0, 13824, 0, "0x8020000000000000"),
            (Log::Security, 4728 | 4732) => (0, 13826, 0, "0x8020000000000000"),
            (Log::Security, _) => (0, 0, 0, "0x8020000000000000"),
            (Log::System, _) => (0, 0, 4, "0x8080000000000000"),
            (Log::PowerShell, _) => (1, 2, 5, "0x0"),
        }
    }
}

/// One host's Windows event file, numbering records per channel from 1.
pub(crate) struct HostLog {
    file: BufWriter<File>,
    computer: String,
    next_record: [u64; Log::ALL],
    /// `(ProcessID, ThreadID)` of the process that writes each log.
    writers: [(u32, u32); Log::ALL],
    line: String,
    pub events: u64,
    pub bytes: u64,
}

impl HostLog {
    pub(crate) fn create(path: &Path, computer: String, host_index: usize) -> io::Result<HostLog> {
        let base = 600 + 4 * host_index as u32 % 400;
        Ok(HostLog {
            file: BufWriter::with_capacity(256 << 10, File::create(path)?),
            computer,
            next_record: [1; Log::ALL],
            writers: [
                (2800 + base, 3900 + base),
                (base + 52, base + 1010),
                (base + 40, base + 2220),
                (5100 + base, 6200 + base),
            ],
            line: String::with_capacity(2048),
            events: 0,
            bytes: 0,
        })
    }

    pub(crate) fn write(&mut self, event: &WinEvent) -> io::Result<()> {
        let slot = event.log.index();
        let record = self.next_record[slot];
        self.next_record[slot] += 1;
        let line = &mut self.line;
        line.clear();
        render(event, record, &self.computer, self.writers[slot], line);
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.events += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn render(event: &WinEvent, record: u64, computer: &str, writer: (u32, u32), out: &mut String) {
    use std::fmt::Write as _;
    let (name, guid) = event.log.provider();
    let (version, task, level, keywords) = event.header();
    out.push_str(r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":""##);
    out.push_str(name);
    out.push_str(r##"","Guid":""##);
    out.push_str(guid);
    if event.log == Log::System {
        out.push_str(r##"","EventSourceName":"Service Control Manager"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":"##);
        let _ = write!(out, "{}}}", event.id);
    } else {
        let _ = write!(out, r##""}}}},"EventID":{}"##, event.id);
    }
    let _ = write!(
        out,
        r##","Version":{version},"Level":{level},"Task":{task},"Opcode":0,"Keywords":"{keywords}","TimeCreated":{{"#attributes":{{"SystemTime":"{}"}}}},"EventRecordID":{record},"Correlation":null,"Execution":{{"#attributes":{{"ProcessID":{},"ThreadID":{}}}}},"Channel":""##,
        clock::iso(event.time),
        writer.0,
        writer.1
    );
    out.push_str(event.log.channel());
    out.push_str(r##"","Computer":""##);
    out.push_str(computer);
    out.push('"');
    match event.log {
        Log::Sysmon | Log::System => {
            out.push_str(r##","Security":{"#attributes":{"UserID":"S-1-5-18"}}"##)
        }
        Log::Security | Log::PowerShell => out.push_str(r##","Security":null"##),
    }
    out.push_str(r##"},"EventData":{"##);
    for (i, (key, value)) in event.data.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        match value {
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Text(text) => json_string(text, out),
        }
    }
    out.push_str("}}}");
}

/// Appends `text` as a JSON string literal.
pub(crate) fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_event_is_valid_json_in_the_evtx_dump_shape() {
        let event = WinEvent::new(1_772_438_401_123_456, Log::System, 7045)
            .with("ServiceName", "PSEXESVC")
            .with("ImagePath", "%SystemRoot%\\PSEXESVC.exe \"quoted\"");
        let mut line = String::new();
        render(&event, 7, "DB-01.clinic.example", (640, 700), &mut line);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let system = &value["Event"]["System"];
        assert_eq!(system["EventID"]["#text"], 7045);
        assert_eq!(system["EventRecordID"], 7);
        assert_eq!(system["Channel"], "System");
        assert_eq!(
            system["TimeCreated"]["#attributes"]["SystemTime"],
            "2026-03-02T08:00:01.123456Z"
        );
        assert_eq!(
            value["Event"]["EventData"]["ImagePath"],
            "%SystemRoot%\\PSEXESVC.exe \"quoted\""
        );
    }
}
