//! 証跡: the month's evidence report for 運営指導 (the desk's evidence module, as printed by
//! `tsunagu status --evidence`), with a month selector.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use tsunagu_standard::YearMonth;

use super::App;
use super::chrome::{error_page, with_toolbar};

#[derive(serde::Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

pub async fn page(State(app): State<Arc<App>>, Query(q): Query<MonthQuery>) -> Response {
    let month = q
        .month
        .as_deref()
        .and_then(YearMonth::parse)
        .or_else(crate::evidence::current_month);
    let Some(month) = month else {
        return error_page("E-DESK-098 月を決められません。");
    };
    let html = match crate::evidence::build(&app.shared.desk, month).await {
        Ok(h) => h,
        Err(e) => return error_page(&e.to_string()),
    };
    let prev = month.previous();
    let next = month.next();
    let toolbar = format!(
        "<nav class=\"toolbar no-print\"><a href=\"/inbox\">← 受信箱へ戻る</a> \
         <a href=\"/evidence?month={prev}\">前の月</a> <strong>{}年{}月の証跡</strong> \
         <a href=\"/evidence?month={next}\">次の月</a> \
         <form method=\"get\" action=\"/evidence\"><label>年月 <input name=\"month\" value=\"{month}\" size=\"6\" pattern=\"[0-9]{{6}}\"></label> <button>表示</button></form> \
         <span class=\"hint\">印刷はブラウザの印刷（Ctrl+P）から。</span></nav>",
        month.year, month.month
    );
    Html(with_toolbar(&html, &toolbar)).into_response()
}
