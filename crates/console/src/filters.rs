//! False positives: a detection marked as one proposes a Sigma filter (the
//! filter document of the Sigma filters specification) for its rule and its
//! host or one of its values; once accepted the filter is stored where
//! `vigil watch` reads it and stops storing the rule's matches on that value.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::ledger::{audit, now};

#[derive(Serialize)]
pub struct Filter {
    pub id: i64,
    pub rule_id: String,
    pub field: String,
    pub value: String,
    pub sigma: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<String>,
}

/// A YAML scalar that is exactly `text` whatever it holds: a JSON string is
/// a YAML double-quoted scalar.
fn scalar(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The filter document for a rule's matches where `field` is `value`.
pub fn sigma_document(
    rule_id: &str,
    rule_title: &str,
    windows: bool,
    field: &str,
    value: &str,
    who: &str,
    seq: i64,
) -> String {
    let id = uuid_v4();
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let logsource = if windows {
        "    product: windows\n"
    } else {
        "    product: linux\n"
    };
    format!(
        "title: {}\nid: {id}\ndescription: {}\ndate: {date}\nlogsource:\n{logsource}filter:\n    rules:\n        - {}\n    selection:\n        {}: {}\n    condition: selection\n",
        scalar(&format!("False positive: {rule_title} where {field} is {value}")),
        scalar(&format!(
            "Marked as a false positive in the Vigil console by {who} from detection {seq}."
        )),
        scalar(rule_id),
        scalar(field),
        scalar(value),
    )
}

fn uuid_v4() -> String {
    let mut b = rand::random::<[u8; 16]>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Proposes a filter from detection `seq` on `field` (`Computer` for its
/// host, or one of its details); the value is the detection's own.
pub fn propose(db: &Connection, seq: i64, field: &str, who: &str) -> anyhow::Result<Filter> {
    let (_, json) =
        crate::evidence::stored(db, seq)?.ok_or_else(|| anyhow::anyhow!("no detection {seq}"))?;
    let d = crate::evidence::detection(&json)
        .ok_or_else(|| anyhow::anyhow!("detection {seq} cannot be read"))?;
    let value = if field == "Computer" {
        d.computer.clone()
    } else {
        d.details
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, v)| v.clone())
    }
    .ok_or_else(|| anyhow::anyhow!("detection {seq} has no {field}"))?;
    let sigma = sigma_document(
        &d.rule_id,
        &d.rule_title,
        d.event_id.is_some(),
        field,
        &value,
        who,
        seq,
    );
    let at = now();
    db.execute(
        "INSERT INTO filters (rule_id, field, value, sigma, proposed_by, proposed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![&*d.rule_id, field, value, sigma, who, at],
    )?;
    let id = db.last_insert_rowid();
    audit(
        db,
        who,
        "propose_filter",
        Some(("alert", &seq.to_string())),
        &format!("filter {id}: {field} = {value}"),
    )?;
    Ok(Filter {
        id,
        rule_id: d.rule_id.to_string(),
        field: field.into(),
        value,
        sigma,
        proposed_by: who.into(),
        proposed_at: at,
        accepted_by: None,
        accepted_at: None,
    })
}

/// Accepts a proposed filter: from the next commit on, watch applies it.
pub fn accept(db: &mut Connection, id: i64, who: &str) -> anyhow::Result<()> {
    // Immediate: a read that turned into a write would fail at once
    // (SQLITE_BUSY_SNAPSHOT) whenever watch committed in between.
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE filters SET accepted_by = ?2, accepted_at = ?3 WHERE id = ?1 AND accepted_at IS NULL",
        params![id, who, now()],
    )?;
    anyhow::ensure!(changed == 1, "no proposed filter {id}");
    tx.execute(
        "INSERT INTO meta (name, value) VALUES ('filters_version', 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [],
    )?;
    audit(
        &tx,
        who,
        "accept_filter",
        Some(("filter", &id.to_string())),
        "",
    )?;
    tx.commit()?;
    Ok(())
}

pub fn list(db: &Connection) -> rusqlite::Result<Vec<Filter>> {
    let mut query = db.prepare_cached(
        "SELECT id, rule_id, field, value, sigma, proposed_by, proposed_at, accepted_by, accepted_at
         FROM filters ORDER BY id DESC LIMIT 200",
    )?;
    let rows = query.query_map([], |r| {
        Ok(Filter {
            id: r.get(0)?,
            rule_id: r.get(1)?,
            field: r.get(2)?,
            value: r.get(3)?,
            sigma: r.get(4)?,
            proposed_by: r.get(5)?,
            proposed_at: r.get(6)?,
            accepted_by: r.get(7)?,
            accepted_at: r.get(8)?,
        })
    })?;
    rows.collect()
}

pub fn get(db: &Connection, id: i64) -> rusqlite::Result<Option<Filter>> {
    Ok(list(db)?.into_iter().find(|f| f.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_document_holds_hostile_values_as_plain_strings() {
        let doc = sigma_document(
            "r-1",
            "Rule",
            true,
            "CommandLine",
            "a: b\n- x '\" <script>",
            "ann",
            7,
        );
        assert!(doc.contains("condition: selection"));
        assert!(doc.contains("        - \"r-1\""));
        assert!(doc.contains("\"CommandLine\": \"a: b\\n- x '\\\" <script>\""));
    }
}
