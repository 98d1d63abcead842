use super::*;

fn read(xml: &str) -> Result<Event, NotWellFormed> {
    let mut event = Event::new("test");
    flatten(xml, &mut event).map(|()| event)
}

/// The event the tree alone makes of `xml`.
fn tree_only(xml: &str) -> Result<Event, NotWellFormed> {
    let mut event = Event::new("test");
    let mut scratch = Scratch::default();
    let tree = Tree::parse(xml, &mut scratch)?;
    tree.fill(&mut event, &mut Vec::new());
    Ok(event)
}

/// The event the one pass makes of `xml`, if it takes it.
fn one_pass_only(xml: &str) -> Option<Event> {
    let mut event = Event::new("test");
    super::super::stream::flatten(xml, &mut event, &mut Vec::new(), &mut Vec::new())
        .ok()
        .map(|()| event)
}

fn fields(event: &Event) -> Vec<(String, FieldValue)> {
    event
        .fields()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

fn text(value: &str) -> FieldValue {
    FieldValue::from(value)
}

/// A service install as `wevtutil` gives it: System's names, the IDs as
/// numbers, attributes as `Element_Attribute`, empty elements null, named
/// Data by their names, Binary by its own.
#[test]
fn a_record_gives_the_names_its_evtx_record_gives() {
    let event = read(concat!(
        r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>"#,
        r#"<Provider Name="Service Control Manager" Guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}"/>"#,
        r#"<EventID Qualifiers="16384">7045</EventID><Level>4</Level><Keywords>0x8080000000000000</Keywords>"#,
        r#"<TimeCreated SystemTime="2016-09-21T03:41:02.542968700Z"/><EventRecordID>8623</EventRecordID>"#,
        r#"<Correlation/><Execution ProcessID="488" ThreadID="352"/><Channel>System</Channel>"#,
        r#"<Computer>IE10Win7</Computer><Security UserID=""/></System><EventData>"#,
        r#"<Data Name="ServiceName">KgX</Data><Data Name="ImagePath">%SYSTEMROOT%\du.exe</Data>"#,
        r#"<Data Name="Empty"/><Binary>4E00</Binary></EventData></Event>"#
    ))
    .unwrap();
    assert_eq!(
        fields(&event),
        [
            ("Provider_Name", text("Service Control Manager")),
            (
                "Provider_Guid",
                text("{555908d1-a6d7-4695-8e1e-26931d2012f4}")
            ),
            ("EventID_Qualifiers", FieldValue::Int(16384)),
            ("EventID", FieldValue::Int(7045)),
            ("Level", text("4")),
            ("Keywords", text("0x8080000000000000")),
            (
                "TimeCreated_SystemTime",
                text("2016-09-21T03:41:02.542968700Z")
            ),
            ("EventRecordID", FieldValue::Int(8623)),
            ("Correlation", FieldValue::Null),
            ("Execution_ProcessID", text("488")),
            ("Execution_ThreadID", text("352")),
            ("Channel", text("System")),
            ("Computer", text("IE10Win7")),
            ("Security", FieldValue::Null),
            ("ServiceName", text("KgX")),
            ("ImagePath", text("%SYSTEMROOT%\\du.exe")),
            ("Empty", text("")),
            ("Binary", text("4E00")),
        ]
        .map(|(name, value)| (name.to_string(), value))
    );
    assert_eq!(event.product, Some("windows"));
    assert_eq!(
        event.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2016-09-21T03:41:02.542968700+00:00")
    );
}

#[test]
fn unnamed_data_repeats_and_user_data() {
    let positional = read(
        "<Event><System><EventID>1</EventID></System><EventData><Data>a</Data><Data></Data><Binary>00</Binary><Data>c</Data></EventData></Event>",
    )
    .unwrap();
    assert_eq!(
        fields(&positional)[1..],
        [
            (
                "Data".to_string(),
                FieldValue::List(vec![text("a"), text(""), text("c")])
            ),
            ("Binary".to_string(), text("00")),
        ]
    );
    let named = read(concat!(
        "<Event><System/><EventData><Data>dropped</Data><Data Name=\"A\">1</Data><Data Name=\"A\">2</Data>",
        "<Data Name=\"B\">3</Data><Data Name=\"A\">4</Data></EventData>",
        "<UserData><LogFileCleared xmlns=\"x\"><SubjectUserName>IEUser</SubjectUserName>",
        "<Application>a.exe</Application><Application>b.exe</Application><BackupPath></BackupPath>",
        "</LogFileCleared></UserData><RenderingInfo Culture=\"en-US\"><Message>rendered</Message></RenderingInfo></Event>"
    ))
    .unwrap();
    assert_eq!(
        fields(&named),
        [
            ("System", FieldValue::Null),
            ("A", FieldValue::List(vec![text("1"), text("2")])),
            ("B", text("3")),
            ("A_1", text("4")),
            ("SubjectUserName", text("IEUser")),
            ("Application", text("a.exe")),
            ("Application_1", text("b.exe")),
            ("BackupPath", FieldValue::Null),
        ]
        .map(|(name, value)| (name.to_string(), value))
    );
}

#[test]
fn entities_and_pretty_printing() {
    let event = read(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event>\n  <System>\n    <Channel>Security</Channel>\n  </System>\n",
        "  <EventData>\n    <Data Name=\"CommandLine\">cmd /c &quot;a&amp;b&quot; &lt;x&gt; &#x41;&#66;<![CDATA[<raw>]]></Data>\n",
        "    <Data Name=\"Spaces\">  </Data>\n  </EventData>\n</Event>\n"
    ))
    .unwrap();
    assert_eq!(event.channel(), Some("Security"));
    assert_eq!(
        event.get("CommandLine"),
        Some(&text("cmd /c \"a&b\" <x> AB<raw>"))
    );
    assert_eq!(event.get("Spaces"), Some(&text("  ")));
}

#[test]
fn what_is_not_a_well_formed_event_says_why() {
    let deep = format!(
        "<Event>{}{}</Event>",
        "<a>".repeat(MAX_DEPTH + 5),
        "</a>".repeat(MAX_DEPTH + 5)
    );
    for (xml, reason) in [
        ("<Event><System></Event>", "expected `</System>`"),
        ("<Event><System>", "is not closed"),
        ("<Event><Data>&xxe;</Data></Event>", "unknown entity &xxe;"),
        (
            "<!DOCTYPE Event [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><Event>&xxe;</Event>",
            "document type declaration",
        ),
        ("<Events></Events>", "not <Event>"),
        ("<Event/><Event/>", "after the end of <Event>"),
        ("<Event></Event> trailing", "text outside"),
        ("<Event a=\"1\" a=\"2\"/>", "Event"),
        ("", "no <Event>"),
        (deep.as_str(), "nested deeper"),
    ] {
        let error = read(xml).unwrap_err();
        assert!(error.0.contains(reason), "{xml}: {error}");
    }
}

/// Random damage to a real record: whatever is read or refused, nothing
/// panics; some damaged copies still read and some do not; what the one
/// pass reads, the tree reads the same.
#[test]
fn damaged_records_never_panic() {
    let record = concat!(
        r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/>"#,
        r#"<EventID>1</EventID><TimeCreated SystemTime="2026-03-02T08:00:00.000000Z"/><EventRecordID>42</EventRecordID>"#,
        r#"<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws-01</Computer></System>"#,
        r#"<EventData><Data Name="Image">C:\Windows\System32\cmd.exe</Data><Data Name="CommandLine">cmd /c &quot;echo é&quot;</Data>"#,
        r#"<Data>x</Data><Data Name="A">1</Data><Data Name="A">2</Data></EventData></Event>"#
    );
    let alphabet = b"<>/=\"'&;#x![]-?Event Data Name:\x00\xc3\xa9";
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut read_ok, mut refused, mut one_pass) = (0, 0, 0);
    // The usual shape, which the one pass reads, and the record above, which
    // only the tree reads (an unnamed Data among named ones, a run of A).
    let usual = concat!(
        r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/>"#,
        r#"<EventID Qualifiers="">4625</EventID><Correlation/><Security UserID="S-1-5-18"/><EventRecordID>7</EventRecordID></System>"#,
        r#"<EventData><Data Name="TargetUserName">bob &amp; eve</Data><Data Name="IpAddress">10.0.0.9</Data><Data Name="Empty"/></EventData>"#,
        r#"<UserData><X xmlns="y"><A>1</A><A>2</A></X></UserData><RenderingInfo><Message>m</Message></RenderingInfo></Event>"#
    );
    for round in 0..20_000 {
        let base = if round % 2 == 0 { usual } else { record };
        let mut bytes = base.as_bytes().to_vec();
        if round % 5 == 0 {
            bytes.truncate((next() % bytes.len() as u64) as usize);
        }
        for _ in 0..1 + next() % 3 {
            if bytes.is_empty() {
                break;
            }
            let at = (next() % bytes.len() as u64) as usize;
            let byte = alphabet[(next() % alphabet.len() as u64) as usize];
            match next() % 3 {
                0 => bytes[at] = byte,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        match read(&text) {
            Ok(_) => read_ok += 1,
            Err(_) => refused += 1,
        }
        // Whatever the one pass takes, the tree takes, and reads alike.
        if let Some(fast) = one_pass_only(&text) {
            one_pass += 1;
            let tree = tree_only(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(fields(&fast), fields(&tree), "{text}");
        }
    }
    assert!(
        read_ok > 1_000 && refused > 1_000 && one_pass > 1_000,
        "{read_ok} read, {refused} refused, {one_pass} in one pass"
    );
}

/// Recycling keeps the allocation, so a file's records reuse one tree's room.
#[test]
fn recycled_vectors_keep_their_room() {
    let mut scratch = Scratch::default();
    // Two unnamed Data: read through the tree.
    let xml = "<Event><System><EventID>1</EventID></System><EventData><Data>a</Data><Data>b</Data></EventData></Event>";
    flatten_reusing(xml, &mut Event::new("t"), &mut scratch).unwrap();
    let (elements, attributes) = (scratch.elements.as_ptr(), scratch.attributes.capacity());
    assert!(scratch.elements.capacity() >= 3);
    flatten_reusing(xml, &mut Event::new("t"), &mut scratch).unwrap();
    assert_eq!(scratch.elements.as_ptr(), elements);
    assert_eq!(scratch.attributes.capacity(), attributes);
}
