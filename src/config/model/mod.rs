//! The checked project model: built once by validation, trusted by every later stage. One file
//! per kind of YAML file; `Project` holds them all.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod dashboard;
mod indicator;
mod pipeline;
mod settings;
mod territory;

pub use dashboard::*;
pub use indicator::*;
pub use pipeline::*;
pub use settings::*;
pub use territory::*;

#[cfg(test)]
use crate::config::period::Period;

/// A validated project: every stage after configuration reads only this.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project folder.
    pub root: PathBuf,
    /// `osservatorio.yaml`.
    pub settings: Settings,
    /// `territories.csv`.
    pub territories: Territories,
    /// Every table, by name.
    pub tables: BTreeMap<String, Table>,
    /// Every pipeline.
    pub pipelines: Vec<Pipeline>,
    /// Every source.
    pub sources: Vec<Source>,
    /// Every indicator, the built-in ones first.
    pub indicators: Vec<Indicator>,
    /// Every dashboard.
    pub dashboards: Vec<Dashboard>,
    /// Every file the project was read from (YAML, territories, public keys), as loaded: what a
    /// signed-off bundle keeps a copy of, so its figures can be computed again as they were.
    pub definition_files: Vec<PathBuf>,
}

impl Project {
    /// The indicator with this id, if any.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// The source with this name, if any.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_windows_close_on_calendar_days() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("a date");
        assert_eq!(FollowUp::parse("6 months"), Some(FollowUp::Months(6)));
        assert_eq!(FollowUp::parse("1 year"), Some(FollowUp::Years(1)));
        assert_eq!(FollowUp::parse("90 days"), Some(FollowUp::Days(90)));
        assert_eq!(FollowUp::parse("six months"), None);
        assert_eq!(FollowUp::parse("6 months later"), None);
        // August ends on the 31st; six months on, February ends on the 28th.
        assert_eq!(
            FollowUp::Months(6).closes(d(2025, 8, 31)),
            Some(d(2026, 2, 28))
        );
        let aug = Period::Month {
            year: 2025,
            month: 8,
        };
        assert!(FollowUp::Months(6).provisional(aug, d(2026, 2, 28)));
        assert!(!FollowUp::Months(6).provisional(aug, d(2026, 3, 1)));
        assert!(FollowUp::Days(30).provisional(Period::Year(2025), d(2026, 1, 30)));
        assert!(!FollowUp::Days(30).provisional(Period::Year(2025), d(2026, 1, 31)));
        assert!(FollowUp::Years(1).provisional(Period::Year(2025), d(2026, 12, 31)));
    }
}
