//! `territories.csv`: the tree of territories every figure is placed in.

use std::collections::BTreeMap;
use std::path::Path;

use super::settings::TerritorySource;
use super::{ConfigErrors, Territories, Territory, Validation, shown_path};

impl Validation {
    /// The project's tree of territories: its territories.csv, or the official lists of its
    /// regions with its own units added from `extra`.
    pub(super) fn load_territory_source(&mut self, source: TerritorySource) -> Territories {
        match source {
            TerritorySource::File(path) => self.load_territories(&path, Territories::default()),
            TerritorySource::Official { regions, extra } => {
                let mut official = Territories {
                    official: true,
                    ..Territories::default()
                };
                // The regions were checked with the settings: none is unknown here.
                for t in super::istat::hierarchy(&regions).unwrap_or_default() {
                    official.by_code.insert(t.code.clone(), t);
                }
                match extra {
                    Some(path) if !path.exists() => {
                        let shown = shown_path(&self.root, &path);
                        self.errs.push(
                            &shown,
                            None,
                            "",
                            "the territories file named by territories.extra does not exist",
                        );
                        official
                    }
                    Some(path) => self.load_territories(&path, official),
                    None => official,
                }
            }
        }
    }

    /// Reads a territories file (code, name, level, parent) into the tree the project uses, on
    /// top of `base` (the official territories, whose codes its rows may name as parents).
    fn load_territories(&mut self, path: &Path, base: Territories) -> Territories {
        let root = self.root.as_path();
        let errs = &mut self.errs;
        let shown = shown_path(root, path);
        let mut out = base;
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
        let cols = Columns {
            code: ci,
            name: ni,
            level: li,
            parent: pi,
            istat: col("istat"),
        };
        let mut lines = BTreeMap::new();
        for (n, rec) in reader.records().enumerate() {
            let line = n + 2;
            match rec {
                Ok(rec) => add_row(&mut out, &mut lines, &rec, &cols, line, &shown, errs),
                Err(e) => errs.push(&shown, Some(line), "", format!("unreadable row: {e}")),
            }
        }
        check_tree(&out, &lines, &shown, errs);
        out
    }
}

/// Where each column of a territories file is.
struct Columns {
    code: usize,
    name: usize,
    level: usize,
    parent: usize,
    istat: Option<usize>,
}

/// Adds the territory on `line` (recording its line in `lines`), unless its code is missing or
/// already taken.
fn add_row(
    out: &mut Territories,
    lines: &mut BTreeMap<String, usize>,
    rec: &csv::StringRecord,
    cols: &Columns,
    line: usize,
    shown: &Path,
    errs: &mut ConfigErrors,
) {
    let get = |i: usize| rec.get(i).unwrap_or("").to_string();
    let code = get(cols.code);
    if code.is_empty() {
        errs.push(shown, Some(line), "code", "a territory needs a code");
        return;
    }
    if out.by_code.contains_key(&code) {
        let message = if lines.contains_key(&code) {
            format!("territory '{code}' is listed twice")
        } else {
            format!(
                "territory '{code}' is already an official territory (territories.istat); list only the office's own units here"
            )
        };
        errs.push(shown, Some(line), "code", message);
        return;
    }
    let parent = Some(get(cols.parent)).filter(|p| !p.is_empty());
    if let Some(istat) = cols.istat.map(get).filter(|c| !c.is_empty()) {
        out.istat.insert(code.clone(), istat);
    }
    lines.insert(code.clone(), line);
    out.by_code.insert(
        code.clone(),
        Territory {
            code,
            name: get(cols.name),
            level: get(cols.level),
            parent,
        },
    );
}

/// Every parent is a territory, and no territory is its own ancestor.
fn check_tree(
    out: &Territories,
    lines: &BTreeMap<String, usize>,
    shown: &Path,
    errs: &mut ConfigErrors,
) {
    for t in out.by_code.values() {
        let line = lines.get(&t.code).copied();
        let Some(p) = &t.parent else { continue };
        if !out.by_code.contains_key(p) {
            errs.push(
                shown,
                line,
                "parent",
                format!(
                    "'{}' has parent '{p}', which is not a territory in this file nor an official one",
                    t.code
                ),
            );
        } else if out.ancestors(&t.code).contains(&t.code) {
            errs.push(
                shown,
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

/// Why `code` names no territory, with the fix when one is plain: a ceased municipality's
/// successor, the code of a territory written by its name, or a code one typo away.
pub(super) fn unknown_territory(territories: &Territories, code: &str) -> String {
    let mut out = format!(
        "territory '{code}' is not in territories.csv{}",
        super::istat::ceased_hint(code)
    );
    let by_name = territories
        .by_code
        .values()
        .find(|t| t.name.eq_ignore_ascii_case(code.trim()));
    if let Some(t) = by_name {
        out.push_str(&format!(
            "; '{code}' is the name of {}: write its code, {}",
            t.name, t.code
        ));
    } else if let Some(near) =
        super::shape::did_you_mean(code, territories.by_code.keys().map(String::as_str))
    {
        let name = territories.get(near).map_or("", |t| t.name.as_str());
        out.push_str(&format!("; did you mean {near} ({name})?"));
    }
    out
}
