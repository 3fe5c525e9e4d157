//! Deliveries that are not files of the project: a folder in a bucket, and a portal's URL
//! template that names each period's file.

use super::*;
use crate::common::{http_server, s3_server};

#[test]
fn a_folder_in_a_bucket_is_read_delivery_by_delivery() {
    let s3 = s3_server::S3Server::start();
    s3.create_bucket("uffici");
    s3.put(
        "uffici",
        "padova/presenze/2026-10.csv",
        month_csv(10, 31, 10).as_bytes(),
    );
    s3.put(
        "uffici",
        "padova/presenze/2026-11.csv",
        month_csv(11, 30, 20).as_bytes(),
    );
    s3.put("uffici", "padova/altro/note.txt", b"not an export");
    let dir = project(&[(
        "pipelines/prova.yaml",
        pipeline("s3://uffici/padova/presenze/*.csv", "").as_bytes(),
    )]);
    let p = dir.path();
    let env = s3.env();
    let out = common::osservatorio_env(p, &["ingest"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sums = |p: &Path| {
        let out = common::osservatorio_env(
            p,
            &[
                "query",
                "SELECT COUNT(*), SUM(presenti) FROM presenze",
                "--format",
                "csv",
            ],
            &env,
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(sums(p), format!("61,{}", total(31, 10) + total(30, 20)));
    // A third month lands in the bucket: it adds its rows.
    s3.put(
        "uffici",
        "padova/presenze/2026-12.csv",
        month_csv(12, 31, 30).as_bytes(),
    );
    let out = common::osservatorio_env(p, &["ingest"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        sums(p),
        format!("92,{}", total(31, 10) + total(30, 20) + total(31, 30))
    );
}

/// The first day of the month `back` months before today's, as (year, month).
fn months_ago(back: i32) -> (i32, u32) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let index = today.year() * 12 + today.month0() as i32 - back;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

fn dated_csv((year, month): (i32, u32), base: i64) -> String {
    let mut s = String::from("Data,Struttura,Presenti\n");
    for d in 1..=3 {
        s.push_str(&format!("{year}-{month:02}-{d:02},S1,{}\n", base + d));
    }
    s
}

#[test]
fn a_url_template_fetches_each_due_period_once_and_a_period_not_yet_due_is_no_error() {
    let (two, one) = (months_ago(2), months_ago(1));
    let path = |(y, m): (i32, u32)| format!("/presenze_{y}-{m:02}.csv");
    let server = http_server::Server::start(vec![
        (
            path(two).as_str(),
            http_server::Route::File {
                body: dated_csv(two, 10).into_bytes(),
                etag: "\"a\"".into(),
            },
        ),
        (
            path(one).as_str(),
            http_server::Route::File {
                body: dated_csv(one, 20).into_bytes(),
                etag: "\"b\"".into(),
            },
        ),
    ]);
    let since = format!("    since: \"{}-{:02}\"\n", two.0, two.1);
    let url = format!("{}/presenze_{{yyyy}}-{{mm}}.csv", server.base);
    let dir = project(&[("pipelines/prova.yaml", pipeline(&url, &since).as_bytes())]);
    let p = dir.path();
    // This month's file is not on the portal yet, and not due: no error.
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        query(p, "SELECT COUNT(*), SUM(presenti) FROM presenze"),
        vec![vec!["6".to_string(), (10 * 3 + 6 + 20 * 3 + 6).to_string()]]
    );
    // Read once: the next run does not ask for those periods again.
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(server.hits(&path(two)), 1);
    assert_eq!(server.hits(&path(one)), 1);

    // A period that was due and is missing from the portal is an error, named.
    let (y, m) = months_ago(3);
    let since = format!("    since: \"{y}-{m:02}\"\n");
    write(p, "pipelines/prova.yaml", pipeline(&url, &since).as_bytes());
    let (code, t) = ingest(p);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains(&format!("presenze_{y}-{m:02}.csv")), "{t}");
}
