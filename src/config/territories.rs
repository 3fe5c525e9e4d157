//! `territories.csv`: the tree of territories every figure is placed in.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Territories, Territory, Validation, shown_path};

impl Validation {
    /// Reads the territories file (code, name, level, parent) into the tree the project uses.
    pub(super) fn load_territories(&mut self, path: &Path) -> Territories {
        let root = self.root.as_path();
        let errs = &mut self.errs;
        let shown = shown_path(root, path);
        let mut out = Territories::default();
        if !path.exists() {
            return out;
        }
        let mut reader = match csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
        {
            Ok(r) => r,
            Err(e) => {
                errs.push(
                    &shown,
                    None,
                    "",
                    format!("cannot read the territories file: {e}"),
                );
                return out;
            }
        };
        let headers: Vec<String> = reader
            .headers()
            .map(|h| h.iter().map(str::to_lowercase).collect())
            .unwrap_or_default();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(ci), Some(ni), Some(li), Some(pi)) =
            (col("code"), col("name"), col("level"), col("parent"))
        else {
            errs.push(
                &shown,
                Some(1),
                "",
                "the header must be code,name,level,parent",
            );
            return out;
        };
        let mut lines = BTreeMap::new();
        for (n, rec) in reader.records().enumerate() {
            let line = n + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errs.push(&shown, Some(line), "", format!("unreadable row: {e}"));
                    continue;
                }
            };
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let code = get(ci);
            if code.is_empty() {
                errs.push(&shown, Some(line), "code", "a territory needs a code");
                continue;
            }
            if out.by_code.contains_key(&code) {
                errs.push(
                    &shown,
                    Some(line),
                    "code",
                    format!("territory '{code}' is listed twice"),
                );
                continue;
            }
            let parent = Some(get(pi)).filter(|p| !p.is_empty());
            if let Some(istat) = col("istat").map(get).filter(|c| !c.is_empty()) {
                out.istat.insert(code.clone(), istat);
            }
            lines.insert(code.clone(), line);
            out.by_code.insert(
                code.clone(),
                Territory {
                    code,
                    name: get(ni),
                    level: get(li),
                    parent,
                },
            );
        }
        for t in out.by_code.values() {
            let line = lines.get(&t.code).copied();
            if let Some(p) = &t.parent {
                if !out.by_code.contains_key(p) {
                    errs.push(
                        &shown,
                        line,
                        "parent",
                        format!(
                            "'{}' has parent '{p}', which is not a territory in this file",
                            t.code
                        ),
                    );
                } else if out.ancestors(&t.code).contains(&t.code) {
                    errs.push(
                        &shown,
                        line,
                        "parent",
                        format!(
                            "'{}' is its own ancestor; the parents must form a tree",
                            t.code
                        ),
                    );
                }
            }
        }
        out
    }
}
