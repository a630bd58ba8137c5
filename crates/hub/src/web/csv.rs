//! `GET /m/csv/{name}`: every dashboard table as CSV that Excel opens (UTF-8 with BOM, CRLF;
//! `tsunagu_insight::report_csv`), the same rows the pages show.

use axum::extract::{Path, State};
use axum::response::Response;
use tsunagu_insight::adoption::{adoption_trend, departures};
use tsunagu_insight::report_csv;

use super::chrome::csv_download;
use super::city;
use super::session::MuniUser;
use crate::error::WebError;
use crate::startup::AppState;

/// The downloadable tables: file name and what it holds.
pub const TABLES: [(&str, &str); 12] = [
    ("adoption.csv", "圏域別の導入状況"),
    ("trend.csv", "導入率の推移"),
    ("offices.csv", "事業所一覧（圏域つき）"),
    ("review.csv", "圏域の確認が必要な事業所"),
    ("outreach.csv", "働きかけ先（センター別）"),
    ("departures.csv", "利用をやめた事業所（前回から）"),
    ("survey.csv", "アンケート結果（圏域別）"),
    ("answers.csv", "アンケート回答（事業所別）"),
    ("groups.csv", "種別ごとの導入率（圏域別）"),
    ("group_trend.csv", "種別ごとの導入率の推移"),
    ("departures_history.csv", "離脱した事業所（期間ごと）"),
    ("adoption_changes.csv", "期間ごとの導入と離脱"),
];

/// `GET /m/csv/{name}`.
pub async fn download(
    State(state): State<AppState>,
    user: MuniUser,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    if !TABLES.iter().any(|(n, _)| *n == name) {
        return Err(WebError::NotFound);
    }
    let city = city::load(&state, &user.muni_id).await?;
    let table = match name.as_str() {
        "adoption.csv" => report_csv::adoption_table(&city.report()),
        "trend.csv" => report_csv::trend_table(
            &adoption_trend(&city.master.offices, &city.assignments, &city.series()),
            &city.table,
        ),
        "offices.csv" => report_csv::offices_table(&city.master, &city.assignments, &city.table),
        "review.csv" => report_csv::review_table(&city.master, &city.assignments),
        "outreach.csv" => report_csv::outreach_table(&super::outreach::lists(&state, &city).await?),
        "departures.csv" => {
            let deps = city
                .previous
                .as_ref()
                .map(|p| departures(p, &city.current))
                .unwrap_or_default();
            report_csv::departures_table(&deps, &city.master)
        }
        "answers.csv" => super::survey::answers_table(&city),
        "groups.csv" => super::groups::table(&city),
        "group_trend.csv" => super::groups::trend_table(&city),
        "departures_history.csv" => super::departures::history_table(&city),
        "adoption_changes.csv" => super::departures::periods_table(&city),
        _ => {
            let results = tsunagu_insight::survey::survey_results(
                &city.survey,
                &city.responses,
                &city.master.offices,
                &city.table,
                &city.assignments,
            );
            report_csv::survey_table(&city.survey, &results)
        }
    };
    let file = format!("{}_{}_{}", city.muni.name, city.today, name);
    Ok(csv_download(&file, table.to_excel_csv()))
}
