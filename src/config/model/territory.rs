//! The territory tree.

use std::collections::BTreeMap;

/// One line of `territories.csv`.
#[derive(Debug, Clone)]
pub struct Territory {
    /// The code every export and figure uses (e.g. an ISTAT code).
    pub code: String,
    /// The name pages show.
    pub name: String,
    /// The level (e.g. region, province, ambito), as `level:` selectors name it.
    pub level: String,
    /// The territory this one belongs to; none for the root.
    pub parent: Option<String>,
}

/// Every territory by code, forming one tree.
#[derive(Debug, Clone, Default)]
pub struct Territories {
    /// The territories, keyed by code.
    pub by_code: BTreeMap<String, Territory>,
    /// The ISTAT code of territories that have one (territories.csv's optional `istat` column).
    pub istat: BTreeMap<String, String>,
}

impl Territories {
    /// The code open data identifies a territory by: its ISTAT code when it has one.
    pub fn ref_area(&self, code: &str) -> String {
        self.istat
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// The territory with this code, if any.
    pub fn get(&self, code: &str) -> Option<&Territory> {
        self.by_code.get(code)
    }

    /// The chain of ancestors of `code`, nearest first (the code itself excluded).
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.by_code.get(code).and_then(|t| t.parent.clone());
        while let Some(c) = cur {
            if out.contains(&c) {
                break;
            }
            cur = self.by_code.get(&c).and_then(|t| t.parent.clone());
            out.push(c);
        }
        out
    }

    /// The codes of the territories whose parent is `code`.
    pub fn children_of(&self, code: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.parent.as_deref() == Some(code))
            .map(|t| t.code.clone())
            .collect()
    }

    /// The codes of the territories at `level`.
    pub fn at_level(&self, level: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.level == level)
            .map(|t| t.code.clone())
            .collect()
    }

    /// The territory's name, or its code when it is unknown.
    pub fn name_of(&self, code: &str) -> String {
        self.by_code
            .get(code)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
}
