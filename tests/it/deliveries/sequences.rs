//! Any sequence of adding, changing, re-sending and removing delivery files leaves the same
//! warehouse as ingesting the final set of files from scratch.
use super::*;
use proptest::prelude::*;

/// One change to the folder: file `k` written with figures `v` (added, changed or re-sent:
/// files `k` and `k + 3` cover the same month), or file `k` removed.
#[derive(Debug, Clone)]
enum Op {
    Write { k: u8, v: u8 },
    Remove { k: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, 0u8..4).prop_map(|(k, v)| Op::Write { k, v }),
        1 => (0u8..6).prop_map(|k| Op::Remove { k }),
    ]
}

fn file(k: u8) -> String {
    format!("exports/f{k}.csv")
}

/// File `k`'s export: month `k % 3 + 1`, a week of rows with figures from `v`.
fn content(k: u8, v: u8) -> String {
    let mut s = String::from("Data,Struttura,Presenti\n");
    for d in 1..=7 {
        s.push_str(&format!(
            "2026-{:02}-{d:02},S1,{}\n",
            k % 3 + 1,
            i64::from(v) * 100 + i64::from(k) * 10 + d
        ));
    }
    s
}

/// Writes a file with a modification time of its own: `step` seconds after a fixed start,
/// so the newer of two files covering a month is the one written later.
fn put(root: &Path, rel: &str, body: &str, step: u64) {
    write(root, rel, body.as_bytes());
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_780_000_000 + step);
    std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .and_then(|f| f.set_modified(when))
        .expect("set the modification time");
}

fn project_with(extra: &str) -> tempfile::TempDir {
    let dir = project(&[(
        "pipelines/prova.yaml",
        pipeline("exports/*.csv", extra).as_bytes(),
    )]);
    std::fs::create_dir_all(dir.path().join("exports")).expect("the folder");
    dir
}

/// Found by the property below: a file re-sent unchanged after another covering its month
/// is the newer delivery again.
#[test]
fn a_file_re_sent_unchanged_after_a_correction_supersedes_it_again() {
    let extra = "    supersede: by_period\n    removed: drop\n    max_shrink: 100%\n";
    let live = project_with(extra);
    let p = live.path();
    for (step, (k, v)) in [(1u8, 2u8), (4, 0), (1, 2)].into_iter().enumerate() {
        put(p, &file(k), &content(k, v), step as u64);
        let (code, t) = ingest(p);
        assert_eq!(code, Some(0), "{t}");
    }
    // February is f1's week again: 7 × 210 + (1 + … + 7).
    assert_eq!(
        sum_by_month(p),
        vec![vec!["2".to_string(), "7".to_string(), "1498".to_string()]]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn any_sequence_of_deliveries_ends_as_the_final_set_read_from_scratch(
        ops in proptest::collection::vec(op(), 1..6)
    ) {
        let extra = "    supersede: by_period\n    removed: drop\n    max_shrink: 100%\n";
        let live = project_with(extra);
        let p = live.path();
        // What the folder holds at the end: file → (content, modification step).
        let mut last: std::collections::BTreeMap<u8, (String, u64)> = Default::default();
        for (step, o) in ops.iter().enumerate() {
            match o {
                Op::Write { k, v } => {
                    let body = content(*k, *v);
                    put(p, &file(*k), &body, step as u64);
                    last.insert(*k, (body, step as u64));
                }
                Op::Remove { k } => {
                    let _ = std::fs::remove_file(p.join(file(*k)));
                    last.remove(k);
                }
            }
            let (code, t) = ingest(p);
            prop_assert_eq!(code, Some(0), "{}", t);
        }
        let scratch = project_with(extra);
        for (k, (body, step)) in &last {
            put(scratch.path(), &file(*k), body, *step);
        }
        let (code, t) = ingest(scratch.path());
        prop_assert_eq!(code, Some(0), "{}", t);
        prop_assert_eq!(sum_by_month(p), sum_by_month(scratch.path()));
    }
}
