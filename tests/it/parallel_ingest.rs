//! A large CSV export (above the size that is read by one thread per core) gives exactly what the
//! one-thread reader gives: the same rows, the same lines, the same rejections. The file is built
//! here so every expected figure follows from its construction.

use crate::common::*;

const PIPELINE: &str = "name: p\ntables:\n  presenze:\n    columns: { data: date, ospite: string, giorni: int }\n    required: [data, ospite]\nsources:\n  - name: registro\n    table: presenze\n    territory: PD\n    url: registro.csv\n    format: csv\n    options: { delimiter: \";\", date_format: \"%d/%m/%Y\", header_row: 2 }\n    columns: { data: Data, ospite: Ospite, giorni: Giorni }\n    max_rejected: 10\n";

/// 400,000 rows after a title and a header; a blank line after row 1,000 and a bad number in row
/// 250,000. `quote` puts a quoted cell in the last row, which sends the file to the one-thread reader.
fn export(quote: bool) -> String {
    let mut s = String::from("Registro delle presenze;;\nData;Ospite;Giorni\n");
    for i in 1..=400_000u32 {
        let giorni = if i == 250_000 {
            "1,5".to_string()
        } else {
            (i % 7).to_string()
        };
        let name = if quote && i == 400_000 {
            "\"G400000\"".to_string()
        } else {
            format!("G{i:06}")
        };
        s.push_str(&format!(
            "{:02}/{:02}/2025;{name};{giorni}\n",
            i % 28 + 1,
            i % 12 + 1
        ));
        if i == 1_000 {
            s.push('\n');
        }
    }
    s.push_str("Totale;;\n");
    s
}

fn ingest(quote: bool) -> (tempfile::TempDir, String) {
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("registro.csv", export(quote).as_bytes()),
    ]);
    let out = osservatorio(dir.path(), &["ingest"]);
    let t = text(&out);
    (dir, t)
}

#[test]
fn a_large_export_reads_the_same_in_parallel_and_in_one_thread() {
    let (par, par_out) = ingest(false);
    let (seq, seq_out) = ingest(true);
    assert!(
        std::fs::metadata(par.path().join("registro.csv"))
            .unwrap()
            .len()
            > 8 << 20,
        "the export is large enough to be split"
    );
    for (dir, out) in [(&par, &par_out), (&seq, &seq_out)] {
        let p = dir.path();
        // Rows 1..400,000 less the rejected one; the blank line and the total are not rows.
        let counts = query(
            p,
            "SELECT COUNT(*), SUM(giorni), MIN(_line), MAX(_line) FROM presenze",
        );
        // The sum of i mod 7 over the rows, less the rejected row's.
        let expected_sum: u64 = (1..=400_000u64)
            .filter(|i| *i != 250_000)
            .map(|i| i % 7)
            .sum();
        assert_eq!(
            counts,
            vec![vec![
                "399999".to_string(),
                expected_sum.to_string(),
                // Row 1 is on line 3 (title, header); row 400,000 on line 400,003 (one blank line).
                "3".to_string(),
                "400003".to_string(),
            ]],
            "{out}"
        );
        // Row 250,000 is on line 250,003: after the title, the header and the blank line.
        let rejected = rejected(p, "presenze", "registro");
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert_eq!(rejected[0].0, 250_003, "{rejected:?}");
        assert_eq!(rejected[0].1, "giorni");
        let lines = query(p, "SELECT _line FROM presenze WHERE ospite = 'G001001'");
        assert_eq!(
            lines,
            vec![vec!["1004".to_string()]],
            "the row after the blank line"
        );
    }
    // The two readers agree on every stored row.
    let all = "SELECT data, ospite, giorni, _line FROM presenze ORDER BY _line";
    assert_eq!(query(par.path(), all), query(seq.path(), all));
}
