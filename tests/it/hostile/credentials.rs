//! Credentials go only to the origin the source names; replies a portal sends oddly are read or
//! quoted, never copied whole into messages.

use super::*;

use crate::common::http_server;

/// A portal that redirects `/export/spese.csv` to another origin (`cdn`) and `/old/spese.csv`
/// to its own `/export/real.csv`: (portal, cdn).
fn redirecting_portal() -> (http_server::Server, http_server::Server) {
    use http_server::{Route, Server};
    let csv = b"voce;importo\nvitto;10\n".to_vec();
    let cdn = Server::start(vec![(
        "/files/spese.csv",
        Route::File {
            body: csv.clone(),
            etag: "v1".into(),
        },
    )]);
    let portal = Server::start(vec![
        (
            "/export/spese.csv",
            Route::Redirect {
                location: format!("{}/files/spese.csv", cdn.base),
            },
        ),
        (
            "/old/spese.csv",
            Route::Redirect {
                location: "/export/real.csv".into(),
            },
        ),
        (
            "/export/real.csv",
            Route::File {
                body: csv,
                etag: "v1".into(),
            },
        ),
    ]);
    (portal, cdn)
}

#[test]
fn configured_headers_are_not_sent_to_the_other_origin_a_portal_redirects_to() {
    let (portal, cdn) = redirecting_portal();
    let source = |name: &str, path: &str| {
        format!(
            "  - {{ name: {name}, table: spese, territory: PD, url: \"{}{path}\", format: csv, options: {{ delimiter: \";\" }}, retries: 0, headers: {{ X-Api-Key: env:PORTALE_KEY, Authorization: env:PORTALE_TOKEN }} }}\n",
            portal.base
        )
    };
    let pipeline = format!(
        "name: portale\ntables:\n  spese:\n    columns: {{ voce: string, importo: float }}\nsources:\n{}{}",
        source("altrove", "/export/spese.csv"),
        source("stesso", "/old/spese.csv"),
    );
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let out = common::command(dir.path(), &["ingest"])
        .env("PORTALE_KEY", "chiave-segreta")
        .env("PORTALE_TOKEN", "Bearer s3greto")
        .output()
        .expect("the binary runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(
        summary_line(&t, "altrove"),
        ("ingested".to_string(), 1),
        "{t}"
    );
    assert_eq!(
        summary_line(&t, "stesso"),
        ("ingested".to_string(), 1),
        "{t}"
    );
    // The portal got the credentials; the other origin never did.
    let asked = portal.headers("/export/spese.csv");
    assert!(
        asked
            .iter()
            .all(|h| h.get("x-api-key").map(String::as_str) == Some("chiave-segreta")),
        "{asked:?}"
    );
    let other = cdn.headers("/files/spese.csv");
    assert!(!other.is_empty());
    for h in &other {
        assert!(
            !h.contains_key("x-api-key") && !h.contains_key("authorization"),
            "{h:?}"
        );
    }
    // A redirect within the portal keeps them.
    let same = portal.headers("/export/real.csv");
    assert!(!same.is_empty());
    for h in &same {
        assert_eq!(
            h.get("x-api-key").map(String::as_str),
            Some("chiave-segreta"),
            "{h:?}"
        );
        assert_eq!(
            h.get("authorization").map(String::as_str),
            Some("Bearer s3greto"),
            "{h:?}"
        );
    }
}

#[test]
fn a_chunked_reply_without_a_length_is_read() {
    use http_server::{Route, Server};
    let portal = Server::start(vec![(
        "/spese.csv",
        Route::Chunked {
            body: b"voce;importo\nvitto;10\nluce;20\n".to_vec(),
        },
    )]);
    let pipeline = format!(
        "name: portale\ntables:\n  spese:\n    columns: {{ voce: string, importo: float }}\nsources:\n  - {{ name: a-pezzi, table: spese, territory: PD, url: \"{}/spese.csv\", format: csv, options: {{ delimiter: \";\" }}, retries: 0 }}\n",
        portal.base
    );
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let out = osservatorio(dir.path(), &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(
        summary_line(&t, "a-pezzi"),
        ("ingested".to_string(), 2),
        "{t}"
    );
}

#[test]
fn a_compressed_body_served_without_decoding_is_quoted_not_copied_into_messages() {
    use http_server::{Route, Server};
    use rand::{RngCore, SeedableRng};
    // What a gzip body read as text looks like: bytes without a line break, invalid as text.
    let mut body = vec![0u8; 4 << 20];
    rand_chacha::ChaCha8Rng::seed_from_u64(17).fill_bytes(&mut body);
    body.retain(|b| *b != b'\n' && *b != b'\r');
    let portal = Server::start(vec![(
        "/spese.csv.gz",
        Route::File {
            body,
            etag: "v1".into(),
        },
    )]);
    let pipeline = format!(
        "name: portale\ntables:\n  spese:\n    columns: {{ voce: string, importo: float }}\nsources:\n  - {{ name: compressa, table: spese, territory: PD, url: \"{}/spese.csv.gz\", format: csv, options: {{ encoding: windows-1252 }}, retries: 0, columns: {{ voce: Voce }} }}\n",
        portal.base
    );
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let p = dir.path();
    let out = osservatorio(p, &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{}", &t[..t.len().min(2000)]);
    assert!(t.len() < 8000, "output of {} bytes", t.len());
    for f in ["warehouse/_manifests", "warehouse/_runs"] {
        assert!(
            size_of(&p.join(f)) < 64 << 10,
            "{f}: {} bytes",
            size_of(&p.join(f))
        );
    }
}
