//! A printable invitation for a partner office that is not on Tsunagu yet: how many of our
//! shared users' units it would receive through Tsunagu instead of by fax.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tsunagu_standard::OfficeId;

use super::App;
use super::chrome::{error_page, render};
use crate::unit_files::by_prefix;

#[derive(Template)]
#[template(path = "invite.html")]
struct Page {
    my_name: String,
    my_id: String,
    partner_id: String,
    partner_name: String,
    held_units: usize,
    users: usize,
    files_by_kind: Vec<(String, usize)>,
    hub_url: String,
    today: String,
}

pub async fn page(State(app): State<Arc<App>>, Path(office): Path<String>) -> Response {
    let shared = &app.shared;
    let Ok(office) = OfficeId::parse(&office) else {
        return error_page("E-DESK-031 事業所番号が正しくありません。");
    };
    let held: Vec<_> = crate::sync::lock(&shared.held)
        .iter()
        .filter(|h| h.recipient == Some(office))
        .cloned()
        .collect();
    let mut users: BTreeSet<String> = BTreeSet::new();
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for h in &held {
        users.extend(h.users.iter().cloned());
        for f in &h.file_names {
            if let Ok(n) = tsunagu_standard::StandardFileName::parse(f) {
                *kinds
                    .entry(crate::evidence::kind_label(n.kind.prefix()))
                    .or_default() += 1;
            }
        }
    }
    // Units received from that office in the past (e.g. before it left) count too.
    if let Ok(files) = by_prefix(&shared.desk.store, &["UP"]).await {
        let theirs: Vec<_> = files
            .into_iter()
            .filter(|(u, _, _)| u.recipient == office)
            .map(|(_, n, b)| (n, b))
            .collect();
        users.extend(crate::sync::users_in(&theirs));
    }
    let partner_name = shared
        .desk
        .store
        .partners()
        .await
        .ok()
        .and_then(|ps| ps.into_iter().find(|p| p.office_id == office))
        .and_then(|p| p.name)
        .unwrap_or_default();
    render(&Page {
        my_name: shared.desk.config.office_name.clone(),
        my_id: shared.desk.config.office_id.to_string(),
        partner_id: office.to_string(),
        partner_name,
        held_units: held.len(),
        users: users.len(),
        files_by_kind: kinds.into_iter().collect(),
        hub_url: shared.desk.config.hub_url.clone(),
        today: crate::format_jst(crate::now_unix())
            .chars()
            .take(10)
            .collect(),
    })
}
