//! 利用者別: per 被保険者 and month, the versions of the 第6表 (予定 / 実績) exchanged with each
//! partner; the latest version and what changed against the one before (lines added, removed,
//! days changed).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;

use super::App;
use super::chrome::{Chrome, error_page, render};
use super::inbox::month_label;
use super::security::Session;
use crate::diff::{HistoryKey, LineChange, Version, days_label, diff, histories};
use crate::unit_files::{Flow, by_prefix};

async fn load(app: &App) -> crate::Result<BTreeMap<HistoryKey, Vec<Version>>> {
    let files = by_prefix(&app.shared.desk.store, &["UPPLAN_", "UPJSK_"]).await?;
    Ok(histories(&app.shared.desk.config.office_id, &files))
}

fn kind_label(kind: &str) -> &'static str {
    if kind == "UPJSK" { "実績" } else { "予定" }
}

fn query_of(k: &HistoryKey) -> String {
    format!(
        "partner={}&kind={}&insurer={}&insured={}&month={}",
        k.partner, k.kind, k.insurer, k.insured, k.month
    )
}

pub struct ListRow {
    pub month_key: String,
    pub insured: String,
    pub insurer: String,
    pub month: String,
    pub kind: &'static str,
    pub partner: String,
    pub versions: usize,
    pub latest: String,
    pub changed: bool,
    pub link: String,
}

#[derive(Template)]
#[template(path = "history_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
}

pub async fn list(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let all = match load(&app).await {
        Ok(h) => h,
        Err(e) => return error_page(&e.to_string()),
    };
    let mut rows = Vec::new();
    for (k, versions) in &all {
        let Some(last) = versions.last() else {
            continue;
        };
        let changed = versions.len() > 1
            && !diff(&versions[versions.len() - 2].lines, &last.lines).is_empty();
        rows.push(ListRow {
            month_key: k.month.clone(),
            insured: k.insured.clone(),
            insurer: k.insurer.clone(),
            month: month_label(Some(&k.month)),
            kind: kind_label(&k.kind),
            partner: app.shared.partner_name(&k.partner).await,
            versions: versions.len(),
            latest: last.unit.unit_id.clone(),
            changed,
            link: format!("/history/view?{}", query_of(k)),
        });
    }
    // Newest months first, changed plans first within a month.
    rows.sort_by(|a, b| {
        b.month_key
            .cmp(&a.month_key)
            .then(b.changed.cmp(&a.changed))
    });
    render(&ListPage {
        chrome: Chrome::new(&app, &session, "history", "利用者別"),
        rows,
    })
}

#[derive(serde::Deserialize)]
pub struct ViewQuery {
    partner: String,
    kind: String,
    insurer: String,
    insured: String,
    month: String,
}

pub struct ChangeRow {
    /// 追加 / 削除 / 日の変更
    pub what: &'static str,
    pub css: &'static str,
    pub provider: String,
    pub service_code: String,
    pub time: String,
    pub detail: String,
}

pub struct VersionRow {
    pub unit_id: String,
    pub created: String,
    pub direction: &'static str,
    pub lines: usize,
    pub link: String,
}

pub struct LineRow {
    pub provider: String,
    pub service_code: String,
    pub time: String,
    pub days: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "history.html")]
struct ViewPage {
    chrome: Chrome,
    insured: String,
    insurer: String,
    month: String,
    kind: &'static str,
    partner: String,
    latest: Option<VersionRow>,
    previous: Option<VersionRow>,
    changes: Vec<ChangeRow>,
    lines: Vec<LineRow>,
    versions: Vec<VersionRow>,
}

fn version_row(v: &Version) -> VersionRow {
    let (direction, flow) = match v.unit.flow {
        Flow::Sent => ("送信", "sent"),
        Flow::Received => ("受信", "received"),
    };
    let office = if v.unit.flow == Flow::Sent {
        v.unit.recipient
    } else {
        v.unit.sender
    };
    VersionRow {
        unit_id: v.unit.unit_id.clone(),
        created: v.created.clone(),
        direction,
        lines: v.lines.len(),
        link: format!("/units/{flow}/{office}/{}", v.unit.unit_id),
    }
}

pub async fn view(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(q): Query<ViewQuery>,
) -> Response {
    let all = match load(&app).await {
        Ok(h) => h,
        Err(e) => return error_page(&e.to_string()),
    };
    let found = all.iter().find(|(k, _)| {
        k.partner.to_string() == q.partner
            && k.kind == q.kind
            && k.insurer == q.insurer
            && k.insured == q.insured
            && k.month == q.month
    });
    let chrome = Chrome::new(&app, &session, "history", "利用者別");
    let Some((key, versions)) = found else {
        return error_page("E-DESK-099 この利用者・月の記録はこの端末にありません。");
    };
    let latest = versions.last();
    let previous = versions.len().checked_sub(2).and_then(|i| versions.get(i));
    let changes = match (previous, latest) {
        (Some(p), Some(l)) => diff(&p.lines, &l.lines)
            .into_iter()
            .map(|c| match c {
                LineChange::Added { key, days } => ChangeRow {
                    what: "追加",
                    css: "added",
                    time: key.time_label(),
                    provider: key.provider,
                    service_code: key.service_code,
                    detail: days_label(&days),
                },
                LineChange::Removed { key, days } => ChangeRow {
                    what: "削除",
                    css: "removed",
                    time: key.time_label(),
                    provider: key.provider,
                    service_code: key.service_code,
                    detail: days_label(&days),
                },
                LineChange::Days {
                    key,
                    added,
                    removed,
                } => ChangeRow {
                    what: "日の変更",
                    css: "changed",
                    time: key.time_label(),
                    provider: key.provider,
                    service_code: key.service_code,
                    detail: format!("追加 {}／取消 {}", days_label(&added), days_label(&removed)),
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    let lines = latest
        .map(|v| {
            v.lines
                .iter()
                .map(|(k, days)| LineRow {
                    time: k.time_label(),
                    provider: k.provider.clone(),
                    service_code: k.service_code.clone(),
                    days: days_label(&days.iter().copied().collect::<Vec<_>>()),
                    count: days.len(),
                })
                .collect()
        })
        .unwrap_or_default();
    render(&ViewPage {
        chrome,
        insured: key.insured.clone(),
        insurer: key.insurer.clone(),
        month: month_label(Some(&key.month)),
        kind: kind_label(&key.kind),
        partner: app.shared.partner_name(&key.partner).await,
        latest: latest.map(version_row),
        previous: previous.map(version_row),
        changes,
        lines,
        versions: versions.iter().rev().map(version_row).collect(),
    })
}
