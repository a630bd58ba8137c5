//! Partner reports: the partner office numbers each office's desk reports (`PUT /api/v1/partners`),
//! so the outreach list also sees offices that still fax and never appear in the hub's
//! sender → recipient graph. Office numbers only — no names, nothing from the care plan.
//!
//! Its own trait (a supertrait of [`super::Store`]) with its SQL here, written once for both
//! backends like `sql.rs` does: runtime queries with `$n` binds, and `QueryBuilder` for the
//! multi-row parts (it writes `?` or `$n` as the backend wants).
//!
//! No audit row: a report is not evidence of an exchange, it is a hint for outreach, and it is
//! replaced every day.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use tsunagu_standard::{OfficeId, OfficeNumber};

use super::sql::{PgStore, SqliteStore};
use super::{StoreError, StoreResult};

/// Rows per INSERT (4 binds each: far below both backends' bind limits).
const INSERT_CHUNK: usize = 250;
/// Office numbers per `IN (…)` when reading.
const READ_CHUNK: usize = 500;

/// One office's current report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPartnerReport {
    pub office_id: OfficeId,
    pub reported_at: i64,
    /// Partner numbers in order, with units per month when the desk counted them.
    pub partners: Vec<(OfficeNumber, Option<u32>)>,
}

/// "`reporter` says it works with `partner`", as the dashboard may count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerMention {
    pub reporter: OfficeId,
    pub partner: OfficeNumber,
    pub units_per_month: Option<u32>,
}

/// The storage of partner reports; every [`super::Store`] is one.
#[async_trait]
pub trait PartnerReportStore: Send + Sync + 'static {
    /// Replaces `office`'s report with `partners` in one transaction (an empty list withdraws
    /// it). Then, in its own statement, deletes every office's report made before
    /// `expire_before` (retention; they no longer count anyway).
    async fn replace_partner_report(
        &self,
        office: &OfficeId,
        partners: &[(OfficeNumber, Option<u32>)],
        now: i64,
        expire_before: i64,
    ) -> StoreResult<()>;

    /// `office`'s current report, if it ever reported (an empty list when it withdrew).
    async fn partner_report(&self, office: &OfficeId) -> StoreResult<Option<StoredPartnerReport>>;

    /// Reports naming any of `partners`, made at or after `since` by offices that still have
    /// an active device. The caller passes only its municipality's office numbers, so nothing
    /// about other municipalities' offices is ever read.
    async fn partner_mentions(
        &self,
        partners: &[OfficeNumber],
        since: i64,
    ) -> StoreResult<Vec<PartnerMention>>;
}

fn parse_office(s: &str) -> StoreResult<OfficeId> {
    OfficeId::parse(s).map_err(|_| StoreError::Corrupt(format!("office id {s:?}")))
}

fn parse_number(s: &str) -> StoreResult<OfficeNumber> {
    OfficeNumber::parse(s).map_err(|_| StoreError::Corrupt(format!("partner number {s:?}")))
}

fn units(v: Option<i64>) -> Option<u32> {
    v.and_then(|u| u32::try_from(u).ok())
}

macro_rules! impl_partner_report_store {
    ($store:ty, $db:ty) => {
        #[async_trait]
        impl PartnerReportStore for $store {
            async fn replace_partner_report(
                &self,
                office: &OfficeId,
                partners: &[(OfficeNumber, Option<u32>)],
                now: i64,
                expire_before: i64,
            ) -> StoreResult<()> {
                let office = office.to_string();
                let count = i64::try_from(partners.len()).unwrap_or(i64::MAX);
                let mut tx = self.pool().begin().await?;
                // The header first: a write as the first statement takes SQLite's write lock
                // at once (waiting out the busy timeout, no failed lock upgrade), and on
                // PostgreSQL its row lock queues a second report of the same office until this
                // one commits, so the DELETE below always sees the rows it must replace.
                sqlx::query(
                    "INSERT INTO partner_reports (office_id, reported_at, partners) VALUES ($1, $2, $3) \
                     ON CONFLICT (office_id) DO UPDATE SET reported_at = excluded.reported_at, partners = excluded.partners",
                )
                .bind(&office)
                .bind(now)
                .bind(count)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM reported_partners WHERE office_id = $1")
                    .bind(&office)
                    .execute(&mut *tx)
                    .await?;
                for chunk in partners.chunks(INSERT_CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO reported_partners (office_id, partner_number, units_per_month, reported_at) ",
                    );
                    q.push_values(chunk, |mut row, (number, units)| {
                        row.push_bind(office.clone())
                            .push_bind(number.as_str().to_string())
                            .push_bind(units.map(i64::from))
                            .push_bind(now);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                // Retention, after the commit and in one statement (the partner rows follow
                // their header by ON DELETE CASCADE): never holds two offices' locks at once,
                // so it cannot deadlock with another office's report.
                sqlx::query("DELETE FROM partner_reports WHERE reported_at < $1")
                    .bind(expire_before)
                    .execute(self.pool())
                    .await?;
                Ok(())
            }

            async fn partner_report(
                &self,
                office: &OfficeId,
            ) -> StoreResult<Option<StoredPartnerReport>> {
                let id = office.to_string();
                let Some((reported_at,)) = sqlx::query_as::<_, (i64,)>(
                    "SELECT reported_at FROM partner_reports WHERE office_id = $1",
                )
                .bind(&id)
                .fetch_optional(self.pool())
                .await?
                else {
                    return Ok(None);
                };
                let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
                    "SELECT partner_number, units_per_month FROM reported_partners \
                     WHERE office_id = $1 ORDER BY partner_number",
                )
                .bind(&id)
                .fetch_all(self.pool())
                .await?;
                let partners = rows
                    .into_iter()
                    .map(|(n, u)| Ok((parse_number(&n)?, units(u))))
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(Some(StoredPartnerReport {
                    office_id: *office,
                    reported_at,
                    partners,
                }))
            }

            async fn partner_mentions(
                &self,
                partners: &[OfficeNumber],
                since: i64,
            ) -> StoreResult<Vec<PartnerMention>> {
                let mut out = Vec::new();
                for chunk in partners.chunks(READ_CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT r.office_id, r.partner_number, r.units_per_month \
                         FROM reported_partners r JOIN partner_reports p ON p.office_id = r.office_id \
                         WHERE p.reported_at >= ",
                    );
                    q.push_bind(since);
                    // A report stops counting when its office has no active device any more.
                    q.push(
                        " AND EXISTS (SELECT 1 FROM devices d WHERE d.office_id = r.office_id AND d.revoked_at IS NULL) \
                         AND r.partner_number IN (",
                    );
                    let mut list = q.separated(", ");
                    for n in chunk {
                        list.push_bind(n.as_str().to_string());
                    }
                    q.push(") ORDER BY r.partner_number, r.office_id");
                    let rows: Vec<(String, String, Option<i64>)> =
                        q.build_query_as().fetch_all(self.pool()).await?;
                    for (reporter, partner, u) in rows {
                        out.push(PartnerMention {
                            reporter: parse_office(&reporter)?,
                            partner: parse_number(&partner)?,
                            units_per_month: units(u),
                        });
                    }
                }
                Ok(out)
            }
        }
    };
}

impl_partner_report_store!(SqliteStore, Sqlite);
impl_partner_report_store!(PgStore, Postgres);
