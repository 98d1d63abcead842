//! Sysmon for Linux's events, as it logs them to syslog (`sysmon:` and the
//! event's XML), read as Linux events that SigmaHQ's Linux process_creation
//! rules match by their fields, and only on Sysmon's process creations.

use std::collections::BTreeSet;

use vigil_event::{Event, FieldValue};
use vigil_sigma::{RuleSetBuilder, RuleSetOptions};
use vigil_sources::{discover, read_file, Format};

/// A syslog line as Sysmon for Linux writes one (its documented XML: System
/// as Windows Sysmon's, `Linux-Sysmon` and its channel, EventData by names).
fn sysmon_line(record: u64, event_id: u32, image: &str, command_line: &str) -> String {
    format!(
        concat!(
            "Mar  1 10:00:0{record} web1 sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{{ff032593-a8d3-4f13-b0d6-01fc615a0f97}}\"/>",
            "<EventID>{id}</EventID><Version>5</Version><Level>4</Level><Task>{id}</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>",
            "<TimeCreated SystemTime=\"2024-03-01T10:00:0{record}.123456000Z\"/><EventRecordID>{record}</EventRecordID><Correlation/>",
            "<Execution ProcessID=\"812\" ThreadID=\"812\"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web1.clinic.example</Computer>",
            "<Security UserId=\"0\"/></System><EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2024-03-01 10:00:0{record}.123</Data>",
            "<Data Name=\"ProcessGuid\">{{6a1f0c5e-2a4b-65e1-1d2c-000000000000}}</Data><Data Name=\"ProcessId\">424{record}</Data>",
            "<Data Name=\"Image\">{image}</Data><Data Name=\"FileVersion\">-</Data><Data Name=\"Description\">-</Data>",
            "<Data Name=\"Product\">-</Data><Data Name=\"Company\">-</Data><Data Name=\"OriginalFileName\">-</Data>",
            "<Data Name=\"CommandLine\">{command_line}</Data><Data Name=\"CurrentDirectory\">/tmp</Data><Data Name=\"User\">root</Data>",
            "<Data Name=\"LogonGuid\">{{6a1f0c5e-0000-0000-0000-000000000000}}</Data><Data Name=\"LogonId\">0</Data>",
            "<Data Name=\"TerminalSessionId\">3</Data><Data Name=\"IntegrityLevel\">no level</Data><Data Name=\"Hashes\">-</Data>",
            "<Data Name=\"ParentProcessGuid\">{{6a1f0c5e-2a4a-65e1-0d2c-000000000000}}</Data><Data Name=\"ParentProcessId\">4000</Data>",
            "<Data Name=\"ParentImage\">/usr/bin/bash</Data><Data Name=\"ParentCommandLine\">-bash</Data><Data Name=\"ParentUser\">root</Data>",
            "</EventData></Event>"
        ),
        record = record,
        id = event_id,
        image = image,
        command_line = command_line,
    )
}

fn read(text: &str) -> (Vec<Event>, Vec<String>) {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("syslog"), text).unwrap();
    let (files, issues) = discover(&[folder.path().to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(files[0].format, Format::Syslog);
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    read_file(&files[0], &mut |e| events.push(e), &mut |i| {
        problems.push(format!("{}: {}", i.location, i.reason))
    })
    .unwrap();
    (events, problems)
}

#[test]
fn sysmon_lines_are_linux_events_with_sysmons_fields() {
    let lines = [
        sysmon_line(1, 1, "/usr/bin/base64", "base64 -d /tmp/payload.b64"),
        "Mar  1 10:00:05 web1 sshd[7]: Server listening on 0.0.0.0 port 22.".to_string(),
        // Cut short: named by its line, and reading goes on.
        sysmon_line(2, 1, "/usr/bin/id", "id")[..400].to_string(),
        sysmon_line(3, 1, "/usr/bin/id", "id &amp;&amp; echo &lt;ok&gt; &#x41;"),
    ];
    let (events, problems) = read(&lines.join("\n"));
    assert_eq!(events.len(), 3);
    let sysmon = &events[0];
    assert_eq!(sysmon.product, Some("linux"));
    assert_eq!(sysmon.shape, Some("Sysmon for Linux"));
    assert_eq!(sysmon.channel(), Some("Linux-Sysmon/Operational"));
    assert_eq!(sysmon.computer(), Some("web1.clinic.example"));
    assert_eq!(sysmon.event_id(), Some(1));
    assert_eq!(sysmon.get("EventRecordID"), Some(&FieldValue::Int(1)));
    assert_eq!(sysmon.get("Security_UserId"), Some(&FieldValue::from("0")));
    assert_eq!(
        sysmon.get("Image"),
        Some(&FieldValue::from("/usr/bin/base64"))
    );
    assert_eq!(
        sysmon.get("ParentImage"),
        Some(&FieldValue::from("/usr/bin/bash"))
    );
    assert_eq!(
        sysmon.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-03-01T10:00:01.123456+00:00")
    );
    assert_eq!(events[1].channel(), Some("sshd"));
    assert_eq!(events[1].shape, Some("syslog"));
    assert_eq!(
        events[2].get("CommandLine"),
        Some(&FieldValue::from("id && echo <ok> A"))
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("line 3: the line's event XML (Sysmon for Linux) is not well-formed:"),
        "{problems:?}"
    );
}

/// Base64 decoding fires "Decode Base64 Encoded Text"; the same process as
/// Sysmon's process-terminated event (EventID 5) fires nothing, since
/// process_creation means EventID 1 (`vigil-sigma`'s `data/linux.yml`);
/// deleting a shell's history fires both rules about it; a harmless process
/// fires nothing.
#[test]
fn sigmahq_process_creation_rules_match_sysmon_for_linux() {
    let Some(rules) = vigil_testdata::shared_dir("sigma/rules/linux/process_creation") else {
        return;
    };
    let mut builder = RuleSetBuilder::new(RuleSetOptions::default());
    builder.add_path(&rules);
    let (rules, report) = builder.build();
    assert!(report.failed.is_empty() && report.rules > 100, "{report:?}");
    let lines = [
        sysmon_line(1, 1, "/usr/bin/base64", "base64 -d /tmp/payload.b64"),
        sysmon_line(2, 5, "/usr/bin/base64", "base64 -d /tmp/payload.b64"),
        sysmon_line(3, 1, "/usr/bin/rm", "rm /root/.bash_history"),
        sysmon_line(4, 1, "/usr/bin/ls", "ls -la /tmp"),
    ];
    let (events, problems) = read(&lines.join("\n"));
    assert!(problems.is_empty(), "{problems:?}");
    let mut found = BTreeSet::new();
    for event in &events {
        let mut out = Vec::new();
        rules.detect(event, &mut out);
        for detection in out {
            found.insert((detection.record_id, detection.rule_title.to_string()));
        }
    }
    let expected: BTreeSet<_> = [
        (Some(1), "Decode Base64 Encoded Text".to_string()),
        (Some(3), "File Deletion".to_string()),
        (Some(3), "History File Deletion".to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected);
}
