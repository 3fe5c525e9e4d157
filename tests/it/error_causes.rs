//! Errors that reach the command line name their cause once: a typed error says what failed with
//! its cause in its message and carries the cause as its source too.

use crate::common::{bundled_project, osservatorio, text, write};

#[test]
fn a_corrupt_indicator_table_is_named_with_its_cause_once() {
    let dir = bundled_project();
    let p = dir.path();
    write(p, "out/indicators.parquet", b"not a parquet file");
    let out = osservatorio(p, &["explain", "tasso_occupazione"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let line = t
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line in: {t}"));
    assert!(line.contains("indicators.parquet"), "{line}");
    assert_eq!(line.matches("Corrupt footer").count(), 1, "{line}");
}
