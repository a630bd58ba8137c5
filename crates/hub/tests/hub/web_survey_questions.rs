//! The city's own survey questions through real HTTP: added and removed on アンケート (checked,
//! CSRF, ids never reused), shown on the answer form without login, answered, imported from a
//! CSV, counted per 圏域 and overall on the page and in both CSVs — and another municipality can
//! neither see nor remove them.

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities, upload_sample};

/// Issues answer links as A; returns the path of the first (`/a/{token}`) and the office
/// number of the second row.
async fn first_link(a: &mut Browser<'_>) -> (String, String) {
    let csrf = a.get("/m/survey").await.csrf();
    let csv = a.post("/m/survey/links", &[("csrf", &csrf)]).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    let text = csv.text();
    let url = text
        .split([',', '\r', '\n'])
        .find(|c| c.contains("/a/"))
        .unwrap();
    let second = text
        .split("\r\n")
        .nth(2)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    (
        url[url.find("/a/").unwrap()..].to_string(),
        second.to_string(),
    )
}

#[tokio::test]
async fn custom_questions_are_asked_answered_and_counted_per_area() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let page = a.get("/m/survey").await;
    let csrf = page.csrf();
    assert!(page.text().contains("id=\"questions\""));

    // Refused inputs say why and store nothing.
    for (fields, why) in [
        (vec![("text", ""), ("kind", "text")], "設問文を書いて"),
        (
            vec![
                ("text", "研修の希望"),
                ("kind", "single"),
                ("choices", "ある"),
            ],
            "2〜10個",
        ),
        (vec![("text", "研修の希望"), ("kind", "date")], "回答の形式"),
    ] {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend(fields);
        let r = a.post("/m/survey/questions", &f).await;
        assert_eq!(r.status, 400);
        assert!(r.text().contains(why), "{}", r.text());
    }
    // Without the session's token: refused.
    let r = a
        .post("/m/survey/questions", &[("text", "x"), ("kind", "text")])
        .await;
    assert_eq!(r.status, 403);

    // A single-choice question (required), a free-text one (optional), a third to remove.
    for fields in [
        vec![
            ("text", "連携についての研修を希望しますか。"),
            ("kind", "single"),
            ("choices", "希望する\r\n希望しない\r\nわからない"),
            ("required", "on"),
        ],
        vec![("text", "市へのご意見をお書きください。"), ("kind", "text")],
        vec![("text", "消す設問"), ("kind", "text")],
    ] {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend(fields);
        let r = a.post("/m/survey/questions", &f).await;
        assert_eq!(r.status, 303, "{}", r.text());
    }
    let r = a
        .post("/m/survey/questions/Q3/delete", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    // The built-in questions cannot be removed; an unknown id is not found.
    for id in ["H1", "R1", "Q3", "Q99"] {
        let r = a
            .post(
                &format!("/m/survey/questions/{id}/delete"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, 404, "{id}");
    }
    // A new question gets a new id, never the removed one's.
    let r = a
        .post(
            "/m/survey/questions",
            &[("csrf", &csrf), ("text", "もう一つ"), ("kind", "text")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = a.get("/m/survey").await.text();
    assert!(page.contains("Q1") && page.contains("Q2") && page.contains("Q4"));
    assert!(!page.contains("消す設問"));
    assert!(page.contains("選択肢から1つ（希望する／希望しない／わからない）"));

    // Another municipality sees none of them and cannot remove them.
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let bp = b.get("/m/survey").await;
    assert!(!bp.text().contains("連携についての研修"));
    let r = b
        .post("/m/survey/questions/Q1/delete", &[("csrf", &bp.csrf())])
        .await;
    assert_eq!(r.status, 404);
    assert!(
        a.get("/m/survey")
            .await
            .text()
            .contains("連携についての研修")
    );

    // The answer form shows them (free text as a text area) after H1 and R1.
    let (path, other) = first_link(&mut a).await;
    let mut office = Browser::new(&app);
    let form = office.get(&path).await;
    assert_eq!(form.status, 200);
    let html = form.text();
    let (h1, q1, q2) = (
        html.find("H1.").unwrap(),
        html.find("Q1. 連携についての研修").unwrap(),
        html.find("Q2. 市へのご意見").unwrap(),
    );
    assert!(h1 < q1 && q1 < q2);
    assert!(html.contains("<textarea name=\"Q2\""));
    assert!(html.contains("（任意）"));
    // The required custom question must be answered; the free text is kept on the form.
    let r = office
        .post(
            &path,
            &[
                ("csrf", &form.csrf()),
                ("H1", "2"),
                ("Q2", "FAXの送付状が多くて困っています"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("回答してください"));
    assert!(r.text().contains("FAXの送付状が多くて困っています"));
    // Too long a free text is refused beside its question.
    let long = "あ".repeat(2001);
    let r = office
        .post(
            &path,
            &[("csrf", &r.csrf()), ("H1", "2"), ("Q1", "1"), ("Q2", &long)],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("2000文字まで"));
    let r = office
        .post(
            &path,
            &[
                ("csrf", &r.csrf()),
                ("H1", "2"),
                ("Q1", "1"),
                ("Q2", "FAXの送付状が多くて困っています"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Stored with the link: the answers as JSON under the question ids.
    let token = &path[3..];
    let link = app
        .store
        .survey_link(&tsunagu_hub::sha256_hex(token.as_bytes()))
        .await
        .unwrap()
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(link.answers_json.as_deref().unwrap()).unwrap();
    assert_eq!(json["Q1"]["value"], 0);
    assert_eq!(json["Q2"]["value"], "FAXの送付状が多くて困っています");

    // An imported CSV answers Q1 by its wording for another office (column headed by the id).
    assert_ne!(other, link.office_no);
    let csv = format!("事業所番号,H1,Q1\r\n{other},検討中,希望しない\r\n");
    let csrf = a.get("/m/data").await.csrf();
    let r = a
        .upload(&csrf, "answers", &[("answers_q.csv", csv.as_bytes())])
        .await;
    assert_eq!(r.status, 303, "{}", r.text());

    // Results: Q1 per 圏域 and overall (1 希望する + 1 希望しない of 2), Q2's text with its office.
    let page = a.get("/m/survey").await.text();
    let q1 = &page[page.find("id=\"results-Q1\"").unwrap()..];
    let q1 = &q1[..q1.find("</table>").unwrap()];
    let total = &q1[q1.find("合計").unwrap()..];
    assert!(
        total.contains("<td class=\"num\">2</td><td class=\"num\">1（50.0%）</td><td class=\"num\">1（50.0%）</td><td class=\"num\">0（0.0%）</td>"),
        "{total}"
    );
    assert!(q1.matches("<tr>").count() >= 3, "areas and the total");
    let q2 = &page[page.find("id=\"results-Q2\"").unwrap()..];
    assert!(q2.contains("FAXの送付状が多くて困っています"));
    assert!(q2.contains(&link.office_no));

    // Both CSVs carry them.
    let survey_csv = a.get("/m/csv/survey.csv").await;
    assert_eq!(&survey_csv.body[..3], b"\xEF\xBB\xBF");
    let text = survey_csv.text();
    assert!(
        text.contains("Q1,連携についての研修を希望しますか。,希望する,1,50.0%"),
        "{text}"
    );
    let answers = a.get("/m/csv/answers.csv").await;
    assert_eq!(&answers.body[..3], b"\xEF\xBB\xBF");
    let text = answers.text();
    assert!(text.contains("Q2. 市へのご意見をお書きください。"));
    assert!(
        text.contains("希望する,FAXの送付状が多くて困っています"),
        "{text}"
    );
    assert!(text.contains("希望しない"));
    // B's CSV has none of A's answers.
    let b_answers = b.get("/m/csv/answers.csv").await.text();
    assert!(!b_answers.contains("FAXの送付状") && !b_answers.contains("Q1"));
}
