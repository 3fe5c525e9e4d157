//! Targets, achievement and status of each indicator value.

use serde::Serialize;

use crate::config::{Direction, Period, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    OnTrack,
    OffTrack,
    NoTarget,
    NoData,
    /// The indicator's follow-up window is still open: the figure may grow, so it is not judged.
    Provisional,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::OffTrack => "off_track",
            Status::NoTarget => "no_target",
            Status::NoData => "no_data",
            Status::Provisional => "provisional",
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "achieved" => Status::Achieved,
            "on_track" => Status::OnTrack,
            "off_track" => Status::OffTrack,
            "no_target" => Status::NoTarget,
            "provisional" => Status::Provisional,
            _ => Status::NoData,
        }
    }
}

/// The most specific target that applies: territory+period, then territory, then period, then all.
/// A `grain` on a target restricts it to periods of that grain and counts as less specific than a period.
pub fn target_for(targets: &[Target], territory: &str, period: Period) -> Option<f64> {
    let mut best: Option<(u8, f64)> = None;
    for t in targets {
        let matches = t.territory.as_deref().is_none_or(|c| c == territory)
            && t.period.is_none_or(|p| p == period)
            && t.grain.is_none_or(|g| g == period.grain());
        if !matches {
            continue;
        }
        let score = 4 * u8::from(t.territory.is_some())
            + 2 * u8::from(t.period.is_some())
            + u8::from(t.grain.is_some());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, t.value));
        }
    }
    best.map(|(_, v)| v)
}

/// Achievement (% of target, in the better direction) and status.
pub fn assess(
    value: Option<f64>,
    target: Option<f64>,
    direction: Direction,
    on_track: f64,
) -> (Option<f64>, Status) {
    let Some(v) = value else {
        return (None, Status::NoData);
    };
    let Some(t) = target else {
        return (None, Status::NoTarget);
    };
    let achievement = match direction {
        Direction::Up if t != 0.0 => Some(v / t * 100.0),
        Direction::Down if v != 0.0 => Some(t / v * 100.0),
        _ => None,
    };
    let status = match achievement {
        Some(a) if a >= 100.0 => Status::Achieved,
        Some(a) if a >= on_track => Status::OnTrack,
        Some(_) => Status::OffTrack,
        // A zero target reached upwards, or a value of zero where lower is better.
        None => match direction {
            Direction::Up if v >= t => Status::Achieved,
            Direction::Down if v <= t => Status::Achieved,
            _ => Status::OffTrack,
        },
    };
    (achievement, status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Grain;

    fn t(
        territory: Option<&str>,
        period: Option<&str>,
        grain: Option<Grain>,
        value: f64,
    ) -> Target {
        Target {
            territory: territory.map(Into::into),
            period: period.and_then(Period::parse),
            grain,
            value,
        }
    }

    #[test]
    fn most_specific_target_wins() {
        let ts = vec![
            t(None, None, None, 95.0),
            t(Some("PD"), None, None, 90.0),
            t(None, Some("2025"), None, 97.0),
            t(Some("PD"), Some("2025"), None, 80.0),
        ];
        let y25 = Period::Year(2025);
        assert_eq!(target_for(&ts, "PD", y25), Some(80.0));
        assert_eq!(target_for(&ts, "PD", Period::Year(2024)), Some(90.0));
        assert_eq!(target_for(&ts, "VI", y25), Some(97.0));
        assert_eq!(target_for(&ts, "VI", Period::Year(2024)), Some(95.0));
        assert_eq!(target_for(&[], "VI", y25), None);
        let by_grain = vec![t(Some("LODI"), None, Some(Grain::Year), 300.0)];
        assert_eq!(target_for(&by_grain, "LODI", y25), Some(300.0));
        assert_eq!(
            target_for(
                &by_grain,
                "LODI",
                Period::Month {
                    year: 2025,
                    month: 1
                }
            ),
            None
        );
    }

    #[test]
    fn statuses_follow_direction_and_threshold() {
        assert_eq!(
            assess(Some(600.0), Some(300.0), Direction::Up, 90.0),
            (Some(200.0), Status::Achieved)
        );
        assert_eq!(
            assess(Some(95.0), Some(100.0), Direction::Up, 90.0),
            (Some(95.0), Status::OnTrack)
        );
        assert_eq!(
            assess(Some(50.0), Some(100.0), Direction::Up, 90.0),
            (Some(50.0), Status::OffTrack)
        );
        assert_eq!(
            assess(Some(40.0), Some(36.0), Direction::Down, 90.0),
            (Some(90.0), Status::OnTrack)
        );
        assert_eq!(
            assess(Some(0.0), Some(5.0), Direction::Down, 90.0),
            (None, Status::Achieved)
        );
        assert_eq!(
            assess(None, Some(5.0), Direction::Up, 90.0),
            (None, Status::NoData)
        );
        assert_eq!(
            assess(Some(1.0), None, Direction::Up, 90.0),
            (None, Status::NoTarget)
        );
    }
}
