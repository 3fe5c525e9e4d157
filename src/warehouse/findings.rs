//! The data-quality findings the warehouse keeps per delivery (rows breaking a table's rules,
//! values far from their series), as the report, `findings` and `doctor` read them.

use serde::{Deserialize, Serialize};

use super::Warehouse;

/// One finding: where it is, what it is, and why it was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The source whose export holds the row.
    pub source: String,
    /// The table it feeds.
    pub table: String,
    /// The line (or sheet row) in the export.
    pub line: i64,
    /// `rule` or `outlier`.
    pub kind: String,
    /// The rule's name, or `outlier`.
    pub name: String,
    /// The column the finding is about.
    pub column: String,
    /// The value found.
    pub value: String,
    /// The row's identifying values (its required columns), e.g. `struttura=PD001`.
    pub keys: String,
    /// Why it was raised, in words.
    pub reason: String,
    /// The delivery (file) of the source that holds the row.
    #[serde(default)]
    pub delivery: String,
}

/// The columns of `findings.csv` and of `osservatorio findings`.
pub const COLUMNS: [&str; 10] = [
    "source", "table", "line", "kind", "name", "column", "value", "keys", "reason", "delivery",
];

impl Finding {
    /// The finding's cells in the order of [`COLUMNS`].
    pub fn record(&self) -> [String; 10] {
        [
            self.source.clone(),
            self.table.clone(),
            self.line.to_string(),
            self.kind.clone(),
            self.name.clone(),
            self.column.clone(),
            self.value.clone(),
            self.keys.clone(),
            self.reason.clone(),
            self.delivery.clone(),
        ]
    }
}

/// The findings of the project's sources (of one source when `only` names it), in source order.
pub async fn read_all(
    project: &crate::config::Project,
    wh: &Warehouse,
    only: Option<&str>,
) -> Result<Vec<Finding>, crate::warehouse::WarehouseError> {
    let mut out = Vec::new();
    for s in project
        .sources
        .iter()
        .filter(|s| only.is_none_or(|o| s.name == o))
    {
        let manifest: Option<crate::warehouse::manifest::SourceManifest> =
            wh.get_json(&wh.manifest_path(&s.name)).await?;
        let files: Vec<String> = match &manifest {
            Some(m) if !m.deliveries.is_empty() => m
                .deliveries
                .iter()
                .filter(|d| d.published.is_some())
                .filter_map(|d| d.findings_file.clone())
                .collect(),
            // A manifest from before deliveries: one findings file per source.
            _ => vec![format!("_findings/{}.json", s.name)],
        };
        for f in files {
            let found: Option<Vec<Finding>> = wh.get_json(&wh.path(&f)).await?;
            out.extend(found.unwrap_or_default());
        }
    }
    Ok(out)
}

/// The findings as CSV, header first.
pub fn to_csv(findings: &[Finding]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for f in findings {
        crate::text::write_csv_record(&mut w, f.record())?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
