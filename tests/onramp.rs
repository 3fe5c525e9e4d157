//! Starting a project: `check` on a folder that is not one, `init`, `schema` and `territories`.

mod common;

use common::{osservatorio, text};

#[test]
fn check_on_a_folder_that_is_not_a_project_says_what_a_project_is() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("notes.txt"), "not a project").expect("write");
    let out = osservatorio(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("osservatorio.yaml"), "{t}");
    assert!(t.contains("osservatorio init"), "{t}");
    assert!(!t.contains("ok:"), "{t}");
}
