use prost::Message;
use serde_json::{json, Value};

use crate::proto::{
    AnyValue, ExportLogsServiceRequest, KeyValue, KeyValueList, LogRecord, Resource, ResourceLogs,
    ScopeLogs,
};
use crate::{decode, Encoding};

fn string(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(crate::proto::Value::String(s.into())),
    })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value,
    }
}

fn export(body: Option<AnyValue>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("host.name", string("WS-DOC-02"))],
            }),
            scope_logs: vec![ScopeLogs {
                scope: None,
                log_records: vec![LogRecord {
                    time_unix_nano: 1_772_530_202_000_000_000,
                    severity_number: 9,
                    severity_text: "INFO".into(),
                    body,
                    attributes: vec![kv("log.file.name", string("app.log"))],
                    observed_time_unix_nano: 0,
                    event_name: String::new(),
                }],
            }],
        }],
    }
}

#[test]
fn a_protobuf_export_decodes_into_its_records() {
    let bytes = export(string("hello")).encode_to_vec();
    let records = decode(&bytes, Encoding::Protobuf).unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.body, json!("hello"));
    assert_eq!(r.host(), Some("WS-DOC-02"));
    assert_eq!(r.severity.as_deref(), Some("INFO"));
    assert_eq!(r.time.unwrap().to_rfc3339(), "2026-03-03T09:30:02+00:00");
    assert_eq!(r.attributes["log.file.name"], json!("app.log"));
    // An application's message is not a line of a known shape: it becomes
    // an object with the record's time and host.
    let line: Value = serde_json::from_str(&r.line()).unwrap();
    assert_eq!(line["message"], "hello");
    assert_eq!(line["host"]["name"], "WS-DOC-02");
    assert_eq!(line["@timestamp"], "2026-03-03T09:30:02+00:00");
}

#[test]
fn the_json_encoding_gives_the_same_records_as_protobuf() {
    let body = AnyValue {
        value: Some(crate::proto::Value::Kvlist(KeyValueList {
            values: vec![
                kv("user", string("adm-s.widmer")),
                kv(
                    "count",
                    Some(AnyValue {
                        value: Some(crate::proto::Value::Int(3)),
                    }),
                ),
            ],
        })),
    };
    let from_proto = decode(&export(Some(body)).encode_to_vec(), Encoding::Protobuf).unwrap();
    let text = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"WS-DOC-02"}}]},
        "scopeLogs":[{"scope":{"name":"x"},"logRecords":[{"timeUnixNano":"1772530202000000000","severityNumber":9,
        "severityText":"INFO","traceId":"5b8efff798038103d269b633813fc60c",
        "body":{"kvlistValue":{"values":[{"key":"user","value":{"stringValue":"adm-s.widmer"}},{"key":"count","value":{"intValue":"3"}}]}},
        "attributes":[{"key":"log.file.name","value":{"stringValue":"app.log"}}],"unknownField":1}]}]}]}"#;
    let from_json = decode(text.as_bytes(), Encoding::Json).unwrap();
    assert_eq!(from_json, from_proto);
    let line: Value = serde_json::from_str(&from_json[0].line()).unwrap();
    assert_eq!(line["user"], "adm-s.widmer");
    assert_eq!(line["count"], 3);
    assert_eq!(line["host"]["name"], "WS-DOC-02");
}

#[test]
fn text_bodies_of_known_shapes_pass_as_the_collector_read_them() {
    for text in [
        r#"{"Event":{"System":{"EventID":4624}}}"#,
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System/></Event>",
        "Mar  3 09:30:02 web-01 sshd[811]: Failed password for root from 203.0.113.9 port 4711 ssh2",
        "<34>1 2026-03-03T09:30:02Z web-01 sshd 811 - - Failed password",
        "2026-03-03T09:30:02+00:00 web-01 sshd[811]: Accepted publickey for deploy",
    ] {
        let records = decode(&export(string(text)).encode_to_vec(), Encoding::Protobuf).unwrap();
        assert_eq!(records[0].line(), text);
    }
    // A line break in a body would split it into two events.
    let records = decode(
        &export(string("{\"a\":\n1}")).encode_to_vec(),
        Encoding::Protobuf,
    )
    .unwrap();
    assert_eq!(records[0].line(), "{\"a\": 1}");
}

#[test]
fn the_collectors_windows_map_becomes_the_evtx_dump_record() {
    let body = json!({
        "channel": "Security",
        "computer": "DC-01.clinic.example",
        "event_id": {"id": 4624, "qualifiers": 0},
        "provider": {"name": "Microsoft-Windows-Security-Auditing", "guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}", "event_source": ""},
        "record_id": 1861,
        "system_time": "2026-03-03T12:53:26.000000000Z",
        "level": "Information",
        "keywords": ["Audit Success"],
        "execution": {"process_id": 652, "thread_id": 1610},
        "event_data": {
            "TargetUserName": "adm-s.widmer",
            "LogonType": "3",
            "IpAddress": "10.20.10.12",
            "data": [{"Extra": "x"}, "unnamed"]
        }
    });
    let Value::Object(body) = body else {
        unreachable!()
    };
    let record = crate::Record {
        time: None,
        severity: None,
        body: Value::Object(body),
        attributes: Default::default(),
        resource: Default::default(),
    };
    let line: Value = serde_json::from_str(&record.line()).unwrap();
    let system = &line["Event"]["System"];
    assert_eq!(system["EventID"], 4624);
    assert_eq!(system["Channel"], "Security");
    assert_eq!(system["Computer"], "DC-01.clinic.example");
    assert_eq!(system["EventRecordID"], 1861);
    assert_eq!(
        system["Provider"]["#attributes"]["Name"],
        "Microsoft-Windows-Security-Auditing"
    );
    assert!(system["Provider"]["#attributes"]
        .get("EventSourceName")
        .is_none());
    assert_eq!(
        system["TimeCreated"]["#attributes"]["SystemTime"],
        "2026-03-03T12:53:26.000000000Z"
    );
    assert_eq!(system["Execution"]["#attributes"]["ProcessID"], 652);
    let data = &line["Event"]["EventData"];
    assert_eq!(data["TargetUserName"], "adm-s.widmer");
    assert_eq!(data["LogonType"], 3);
    assert_eq!(data["Extra"], "x");
    assert_eq!(data["Data"], "unnamed");
}

#[test]
fn content_types_name_their_encoding() {
    assert_eq!(
        Encoding::of_content_type("application/x-protobuf"),
        Some(Encoding::Protobuf)
    );
    assert_eq!(
        Encoding::of_content_type("Application/JSON; charset=utf-8"),
        Some(Encoding::Json)
    );
    assert_eq!(Encoding::of_content_type("text/plain"), None);
}

#[test]
fn damaged_exports_are_refused_without_a_panic() {
    let good = export(string("hello")).encode_to_vec();
    let json = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"arrayValue":{"values":[{"stringValue":"a"}]}}}]}]}]}"#;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        for (input, encoding) in [(&good[..], Encoding::Protobuf), (&json[..], Encoding::Json)] {
            let mut bytes = input.to_vec();
            let cut = (next() as usize) % (bytes.len() + 1);
            bytes.truncate(cut);
            for _ in 0..(next() % 4) {
                if !bytes.is_empty() {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            if let Ok(records) = decode(&bytes, encoding) {
                for r in records {
                    let _ = r.line();
                }
            }
        }
    }
    assert!(decode(b"{}", Encoding::Json).is_err());
    assert!(decode(b"\xff\xff\xff", Encoding::Protobuf).is_err());
}

/// The same Security 4624 as `evtx_dump` writes it from the EVTX file, and
/// as the Collector's receiver ships it: Vigil reads both into one event.
#[test]
fn a_windows_event_over_otlp_is_the_event_read_from_its_export() {
    let evtx_dump = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"{54849625-5478-4994-A5BA-3E3B0328C30D}"}},"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2026-03-03T12:53:26.123456Z"}},"EventRecordID":1861,"Execution":{"#attributes":{"ProcessID":652,"ThreadID":1610}},"Channel":"Security","Computer":"DC-01.clinic.example"},"EventData":{"SubjectUserSid":"S-1-0-0","TargetUserName":"adm-s.widmer","TargetDomainName":"CLINIC","LogonType":3,"IpAddress":"10.20.10.12","IpPort":"49711","ImpersonationLevel":"%%1833"}}}"##;
    let body = json!({
        "channel": "Security",
        "computer": "DC-01.clinic.example",
        "event_id": {"id": 4624, "qualifiers": 0},
        "provider": {"name": "Microsoft-Windows-Security-Auditing", "guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}", "event_source": ""},
        "record_id": 1861,
        "system_time": "2026-03-03T12:53:26.123456Z",
        "level": "Information",
        "task": "Logon",
        "keywords": ["Audit Success"],
        "execution": {"process_id": 652, "thread_id": 1610},
        "event_data": {"SubjectUserSid": "S-1-0-0", "TargetUserName": "adm-s.widmer", "TargetDomainName": "CLINIC", "LogonType": "3", "IpAddress": "10.20.10.12", "IpPort": "49711", "ImpersonationLevel": "%%1833"}
    });
    let Value::Object(body) = body else {
        unreachable!()
    };
    let record = crate::Record {
        time: None,
        severity: None,
        body: Value::Object(body),
        attributes: Default::default(),
        resource: Default::default(),
    };
    let source: std::sync::Arc<str> = "intake".into();
    let position = vigil_event::Position::Line(1);
    let from_file = vigil_sources::parse_json_line(evtx_dump, source.clone(), position).unwrap();
    let from_otlp = vigil_sources::parse_json_line(&record.line(), source, position).unwrap();
    // The engine compares values by their text: `"49711"` (text in EVTX)
    // and 49711 (a collector's text typed as a number) match alike.
    let fields = |e: &vigil_event::Event| -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = e
            .fields()
            .map(|(k, v)| {
                let text = match v {
                    vigil_event::FieldValue::Str(s) => s.to_string(),
                    vigil_event::FieldValue::Int(i) => i.to_string(),
                    other => format!("{other:?}"),
                };
                (k.to_string(), text)
            })
            .collect();
        fields.sort();
        fields
    };
    assert_eq!(fields(&from_otlp), fields(&from_file));
    assert_eq!(from_otlp.get("LogonType"), from_file.get("LogonType"));
    assert_eq!(from_otlp.timestamp, from_file.timestamp);
    assert!(from_file.get("TargetUserName").is_some());
}
