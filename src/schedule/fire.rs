//! Cron lines read in the project's time zone: the next and last fire times, and the runs missed while the scheduler was not running.

use super::*;

/// The fire times of `schedule` after `now`, read as local times of `tz`, each local time once:
/// an hour that repeats when the clocks go back fires once (at its first occurrence), and an hour
/// that does not exist when they go forward fires at the first instant after the gap.
pub fn fire_times(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> impl Iterator<Item = chrono::DateTime<chrono::Utc>> + '_ {
    use chrono::{LocalResult, TimeZone};
    // The cron walks local wall-clock times (written as if they were UTC), which it never skips or repeats.
    let wall_now = chrono::Utc.from_utc_datetime(&now.with_timezone(&tz).naive_local());
    let start = wall_now - chrono::TimeDelta::hours(3);
    schedule
        .after(&start)
        .filter_map(move |wall| {
            let naive = wall.naive_utc();
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => Some(t),
                LocalResult::Ambiguous(first, _) => Some(first),
                LocalResult::None => (1..=180).find_map(|m| {
                    tz.from_local_datetime(&(naive + chrono::TimeDelta::minutes(m)))
                        .earliest()
                }),
            }
        })
        .map(|t| t.with_timezone(&chrono::Utc))
        .filter(move |t| *t > now)
}

/// The last fire time of `schedule` at or before `now` (within the last year), by the same rules.
pub fn last_fire_time(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut from = now - chrono::TimeDelta::days(1);
    for _ in 0..366 {
        let last = fire_times(schedule, tz, from)
            .take_while(|t| *t <= now)
            .last();
        if last.is_some() {
            return last;
        }
        from -= chrono::TimeDelta::days(1);
    }
    None
}

/// When each scheduled pipeline next runs, after `now`, in the project's time zone.
pub fn next_runs(
    project: &Project,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    let tz = project.settings.timezone;
    let mut out: Vec<(String, chrono::DateTime<chrono::Utc>)> = project
        .pipelines
        .iter()
        .filter_map(|p| {
            // Validation already parsed every schedule; a pipeline without one is run by hand only.
            let schedule: cron::Schedule = p.schedule.as_deref()?.parse().ok()?;
            let next = fire_times(&schedule, tz, now).next()?;
            Some((p.name.clone(), next))
        })
        .collect();
    out.sort_by_key(|(_, t)| *t);
    out
}

/// Each scheduled pipeline's next `n` fire times, in the project's time zone, for `schedule --dry-run`.
pub fn dry_run(project: &Project, now: chrono::DateTime<chrono::Utc>, n: usize) -> String {
    let tz = project.settings.timezone;
    let mut s = String::new();
    for p in &project.pipelines {
        let Some(expr) = p.schedule.as_deref() else {
            s.push_str(&format!("{}: no schedule (run by hand)\n", p.name));
            continue;
        };
        let Ok(schedule) = expr.parse::<cron::Schedule>() else {
            continue;
        };
        s.push_str(&format!("{} ({expr}, {tz}):\n", p.name));
        for t in fire_times(&schedule, tz, now).take(n) {
            s.push_str(&format!(
                "  {}\n",
                t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z (UTC%:z)")
            ));
        }
    }
    s
}

/// The scheduled pipelines whose last fire time passed without a successful run since.
pub fn missed(
    project: &Project,
    runs: &[RunReport],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let tz = project.settings.timezone;
    project
        .pipelines
        .iter()
        .filter(|p| {
            let Some(schedule) = p
                .schedule
                .as_deref()
                .and_then(|s| s.parse::<cron::Schedule>().ok())
            else {
                return false;
            };
            let Some(last) = last_fire_time(&schedule, tz, now) else {
                return false;
            };
            !runs.iter().any(|r| {
                r.covers(&p.name)
                    && !r.failed
                    && chrono::DateTime::parse_from_rfc3339(&r.started_at)
                        .is_ok_and(|t| t.with_timezone(&chrono::Utc) >= last)
            })
        })
        .map(|p| p.name.clone())
        .collect()
}
