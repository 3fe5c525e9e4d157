//! Jobs: one run of the stages, its identifier and its report. The `run`, `ingest`, `compute` and
//! `render` commands each call a stage through here, so a scheduler can do the same.

mod daemon;
mod fire;
mod job;
mod ledger;
pub mod lock;

pub use daemon::*;
pub use fire::*;
pub use job::*;
pub use ledger::*;

use serde::{Deserialize, Serialize};

use crate::config::Project;
use crate::indicators::IndicatorOutcome;
use crate::ingest::SourceOutcome;
use crate::render::DashboardOutcome;
use crate::warehouse::{Warehouse, WarehouseError};

/// A new run identifier: UTC time to the millisecond, then the process id. Ids sort in the order
/// the runs began (runs hold the project's lock one after another, and each lasts longer than a
/// millisecond), however the system hands out process ids; the process id keeps two ids apart.
pub fn new_run_id() -> String {
    run_id_at(chrono::Utc::now(), std::process::id())
}

/// The run id of a run begun at `at` by process `pid`.
fn run_id_at(at: chrono::DateTime<chrono::Utc>, pid: u32) -> String {
    // Seven digits hold any Linux process id (at most 2^22), so ids keep one width.
    format!("{}Z-{pid:07}", at.format("%Y%m%dT%H%M%S%3f"))
}

/// Why the scheduler stopped on an error.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

fn manual() -> String {
    "manual".into()
}

use crate::indicators::history::IndicatorInputs;

pub use crate::warehouse::Unreadable;

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn run_ids_sort_in_the_order_runs_began_within_a_second() {
        // Two runs 20 ms apart, the second given a smaller process id (ids wrap at pid_max).
        let first = run_id_at(utc("2026-12-01T17:19:44.100Z"), 32_000);
        let second = run_id_at(utc("2026-12-01T17:19:44.120Z"), 300);
        assert!(first < second, "{first} sorts after {second}");
        assert_eq!(first, "20261201T171944100Z-0032000");
        // The same millisecond, two processes: two ids.
        assert_ne!(
            run_id_at(utc("2026-12-01T17:19:44.100Z"), 1),
            run_id_at(utc("2026-12-01T17:19:44.100Z"), 2)
        );
    }

    #[test]
    fn a_0230_job_runs_once_on_both_daylight_saving_nights_in_rome() {
        let schedule: cron::Schedule = "0 30 2 * * *".parse().unwrap();
        let rome = chrono_tz::Europe::Rome;
        // Spring forward, 29 March 2026: 02:30 does not exist; it runs once, at 03:00 (01:00 UTC).
        let spring: Vec<String> = fire_times(&schedule, rome, utc("2026-03-28T12:00:00Z"))
            .take(3)
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            spring,
            vec![
                "2026-03-29T01:00:00+00:00",
                "2026-03-30T00:30:00+00:00",
                "2026-03-31T00:30:00+00:00"
            ]
        );
        // Fall back, 25 October 2026: 02:30 happens twice; it runs once, at the first.
        let autumn: Vec<String> = fire_times(&schedule, rome, utc("2026-10-24T12:00:00Z"))
            .take(3)
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            autumn,
            vec![
                "2026-10-25T00:30:00+00:00",
                "2026-10-26T01:30:00+00:00",
                "2026-10-27T01:30:00+00:00"
            ]
        );
        // Asked between the two 02:30s of that night, it does not fire again.
        let between = fire_times(&schedule, rome, utc("2026-10-25T01:10:00Z"))
            .next()
            .unwrap();
        assert_eq!(between.to_rfc3339(), "2026-10-26T01:30:00+00:00");
        assert_eq!(
            last_fire_time(&schedule, rome, utc("2026-10-25T01:10:00Z")).map(|t| t.to_rfc3339()),
            Some("2026-10-25T00:30:00+00:00".to_string())
        );
    }

    #[test]
    fn cron_ticks_are_read_in_the_project_time_zone() {
        let project = crate::config::load_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("bundled project");
        // 06:30 in Rome is 05:30 UTC in winter.
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-10T04:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let next = next_runs(&project, now);
        let veneto = next.iter().find(|(n, _)| n == "prefetture-veneto").unwrap();
        assert_eq!(veneto.1.to_rfc3339(), "2026-01-10T05:30:00+00:00");
        let lombardia = next.iter().find(|(n, _)| n == "ambiti-lombardia").unwrap();
        assert_eq!(
            lombardia.1.to_rfc3339(),
            "2026-02-01T06:00:00+00:00",
            "07:00 of 1 February in Rome (UTC+1)"
        );
    }
}
