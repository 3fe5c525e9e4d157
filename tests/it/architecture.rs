//! The layers: every stage imports only the stages below it. A new back-edge (a stage reaching
//! up to one that uses it) fails here, naming the file and the line; ARCHITECTURE.md says why
//! each layer sits where it does.

use std::path::Path;

/// The stages from the bottom up; a stage may use those before it (and its own modules).
const LAYERS: &[&[&str]] = &[
    &["text", "values", "clock"],
    &["config"],
    &["warehouse"],
    &["ingest"],
    &["indicators"],
    &["publish"],
    &["render"],
    &["schedule"],
    &["doctor", "init", "draft"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_stage_imports_a_stage_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut back_edges = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("below src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            unplaced.push(top);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let used: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if used == top {
                    continue;
                }
                match layer_of(&used) {
                    Some(l) if l > own => back_edges.push(format!(
                        "src/{}:{}: {top} uses crate::{used}, a stage above it",
                        rel.display(),
                        n + 1
                    )),
                    Some(_) => {}
                    None => unplaced.push(format!("crate::{used} (used in src/{})", rel.display())),
                }
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules not placed in a layer (add them to LAYERS here and to ARCHITECTURE.md): {unplaced:?}"
    );
    assert!(
        back_edges.is_empty(),
        "stages that import a stage above them:\n{}",
        back_edges.join("\n")
    );
}
