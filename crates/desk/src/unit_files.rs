//! The plain files of sent and received units, kept locally (table `unit_files`) so the UI can
//! open a unit as forms and compare plan versions whatever the care software did with its copy.

use sqlx::Row;
use tsunagu_standard::OfficeId;

use crate::error::Result;
use crate::store::Store;

/// Which way a unit went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flow {
    Sent,
    Received,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Sent => "sent",
            Flow::Received => "received",
        }
    }

    fn parse(s: &str) -> Flow {
        if s == "sent" {
            Flow::Sent
        } else {
            Flow::Received
        }
    }
}

/// Which unit: (sender, recipient, ファイル連番) and the way it went.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitRef {
    pub flow: Flow,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: String,
}

/// Keeps the unit's files (idempotent: the same unit kept twice stores one copy).
pub async fn keep(store: &Store, unit: &UnitRef, files: &[(String, Vec<u8>)]) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    for (name, bytes) in files {
        sqlx::query(
            "INSERT INTO unit_files (flow, sender, recipient, unit_id, name, bytes) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(unit.flow.as_str())
        .bind(unit.sender.to_string())
        .bind(unit.recipient.to_string())
        .bind(&unit.unit_id)
        .bind(name)
        .bind(bytes.as_slice())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The kept files of one unit, by name.
pub async fn load(store: &Store, unit: &UnitRef) -> Result<Vec<(String, Vec<u8>)>> {
    let rows = sqlx::query(
        "SELECT name, bytes FROM unit_files WHERE flow = ? AND sender = ? AND recipient = ? AND unit_id = ? ORDER BY name",
    )
    .bind(unit.flow.as_str())
    .bind(unit.sender.to_string())
    .bind(unit.recipient.to_string())
    .bind(&unit.unit_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("bytes")?)))
        .collect()
}

/// Every kept file whose name starts with one of `prefixes` (e.g. `UPPLAN_`), with its unit.
pub async fn by_prefix(
    store: &Store,
    prefixes: &[&str],
) -> Result<Vec<(UnitRef, String, Vec<u8>)>> {
    let mut out = Vec::new();
    for prefix in prefixes {
        let rows = sqlx::query(
            "SELECT flow, sender, recipient, unit_id, name, bytes FROM unit_files WHERE name LIKE ? ORDER BY unit_id, name",
        )
        .bind(format!("{prefix}%"))
        .fetch_all(store.pool())
        .await?;
        for r in rows {
            let sender: String = r.try_get("sender")?;
            let recipient: String = r.try_get("recipient")?;
            let (Ok(sender), Ok(recipient)) =
                (OfficeId::parse(&sender), OfficeId::parse(&recipient))
            else {
                continue;
            };
            out.push((
                UnitRef {
                    flow: Flow::parse(&r.try_get::<String, _>("flow")?),
                    sender,
                    recipient,
                    unit_id: r.try_get("unit_id")?,
                },
                r.try_get("name")?,
                r.try_get("bytes")?,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keep_is_idempotent_and_loads_by_unit_and_prefix() {
        let store = Store::in_memory().await.unwrap();
        let unit = UnitRef {
            flow: Flow::Sent,
            sender: OfficeId::parse("3100000001_43").unwrap(),
            recipient: OfficeId::parse("3100000101_11").unwrap(),
            unit_id: "20250325090000".into(),
        };
        let files = vec![
            ("UPPLAN_a.CSV".to_string(), b"1".to_vec()),
            ("UPSIKYU_a.CSV".to_string(), b"2".to_vec()),
        ];
        keep(&store, &unit, &files).await.unwrap();
        keep(&store, &unit, &files).await.unwrap();
        assert_eq!(load(&store, &unit).await.unwrap(), files);
        let other = UnitRef {
            flow: Flow::Received,
            ..unit.clone()
        };
        assert!(load(&store, &other).await.unwrap().is_empty());
        let plans = by_prefix(&store, &["UPPLAN_"]).await.unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].0, unit);
    }
}
