//! Reporting periods: months, quarters, years and district-plan periods, with their labels.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// The size of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
    /// A plan period of several years (e.g. a three-year Piano di Zona).
    Plan,
}

impl Grain {
    /// The grain named in YAML (`month`, `quarter`, `year`, `plan`), if it is one.
    pub fn parse(s: &str) -> Option<Grain> {
        match s {
            "month" => Some(Grain::Month),
            "quarter" => Some(Grain::Quarter),
            "year" => Some(Grain::Year),
            "plan" => Some(Grain::Plan),
            _ => None,
        }
    }

    /// The grain's name as YAML writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
            Grain::Plan => "plan",
        }
    }

    /// The next coarser calendar grain, stopping at the year (plan periods are added separately).
    pub fn coarser(self) -> Option<Grain> {
        match self {
            Grain::Month => Some(Grain::Quarter),
            Grain::Quarter => Some(Grain::Year),
            Grain::Year | Grain::Plan => None,
        }
    }
}

impl fmt::Display for Grain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A period a figure refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A calendar month.
    Month {
        /// The year.
        year: i32,
        /// The month, 1 to 12.
        month: u32,
    },
    /// A calendar quarter.
    Quarter {
        /// The year.
        year: i32,
        /// The quarter, 1 to 4.
        quarter: u32,
    },
    /// A calendar year.
    Year(i32),
    /// A plan period, from its first to its last year.
    Plan {
        /// The first year.
        from: i32,
        /// The last year.
        to: i32,
    },
}

impl Period {
    /// The grain of this period.
    pub fn grain(self) -> Grain {
        match self {
            Period::Month { .. } => Grain::Month,
            Period::Quarter { .. } => Grain::Quarter,
            Period::Year(_) => Grain::Year,
            Period::Plan { .. } => Grain::Plan,
        }
    }

    /// The period of `grain` that contains `date`; None for plan periods, which a date alone cannot name.
    pub fn containing(date: NaiveDate, grain: Grain) -> Option<Period> {
        let (year, month) = (date.year(), date.month());
        match grain {
            Grain::Month => Some(Period::Month { year, month }),
            Grain::Quarter => Some(Period::Quarter {
                year,
                quarter: (month - 1) / 3 + 1,
            }),
            Grain::Year => Some(Period::Year(year)),
            Grain::Plan => None,
        }
    }

    /// The first day after the period.
    pub fn day_after(self) -> Option<NaiveDate> {
        let (y, m) = self.last_month();
        if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        }
    }

    /// The period just after this one, of the same grain.
    pub fn next(self) -> Option<Period> {
        Period::containing(self.day_after()?, self.grain())
    }

    /// The last day by which a delivery of the period is on time: its last day plus the grace.
    pub fn due_by(self, grace_days: i64) -> Option<NaiveDate> {
        self.day_after()?
            .pred_opt()?
            .checked_add_days(chrono::Days::new(grace_days.max(0) as u64))
    }

    /// The period just before this one at the same grain; for a plan period, the plan period of
    /// `plans` that ends last before it starts.
    pub fn previous(self, plans: &[Period]) -> Option<Period> {
        match self {
            Period::Month { year, month: 1 } => Some(Period::Month {
                year: year - 1,
                month: 12,
            }),
            Period::Month { year, month } => Some(Period::Month {
                year,
                month: month - 1,
            }),
            Period::Quarter { year, quarter: 1 } => Some(Period::Quarter {
                year: year - 1,
                quarter: 4,
            }),
            Period::Quarter { year, quarter } => Some(Period::Quarter {
                year,
                quarter: quarter - 1,
            }),
            Period::Year(y) => Some(Period::Year(y - 1)),
            Period::Plan { from, .. } => plans
                .iter()
                .filter_map(|p| match p {
                    Period::Plan { to, .. } if *to < from => Some((*to, *p)),
                    _ => None,
                })
                .max_by_key(|(to, _)| *to)
                .map(|(_, p)| p),
        }
    }

    /// Reads `2024-03`, `2024-Q1`, `2024`, `2025-2027`, or an ISO date (taken as its month).
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d") {
            return Period::containing(d, Grain::Month);
        }
        let parts: Vec<&str> = s.split('-').collect();
        let year = |p: &str| -> Option<i32> {
            (p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        match parts.as_slice() {
            [y] => year(y).map(Period::Year),
            [y, q] if q.starts_with(['Q', 'q']) => {
                let quarter: u32 = q[1..].parse().ok()?;
                (1..=4).contains(&quarter).then_some(Period::Quarter {
                    year: year(y)?,
                    quarter,
                })
            }
            [y, m] if m.len() == 2 => {
                let month: u32 = m.parse().ok()?;
                (1..=12).contains(&month).then_some(Period::Month {
                    year: year(y)?,
                    month,
                })
            }
            [a, b] => {
                let (from, to) = (year(a)?, year(b)?);
                (from <= to).then_some(Period::Plan { from, to })
            }
            _ => None,
        }
    }

    /// The period of `grain` that contains this one, if `grain` is a calendar grain no finer than ours.
    pub fn within(self, grain: Grain) -> Option<Period> {
        let (year, month) = self.first_month();
        if grain < self.grain() || grain == Grain::Plan || matches!(self, Period::Plan { .. }) {
            return (grain == self.grain()).then_some(self);
        }
        let d = NaiveDate::from_ymd_opt(year, month, 1)?;
        Period::containing(d, grain)
    }

    /// (year, month) of the first month the period covers.
    pub fn first_month(self) -> (i32, u32) {
        match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
            Period::Year(year) => (year, 1),
            Period::Plan { from, .. } => (from, 1),
        }
    }

    /// (year, month) of the last month the period covers.
    pub fn last_month(self) -> (i32, u32) {
        match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3),
            Period::Year(year) => (year, 12),
            Period::Plan { to, .. } => (to, 12),
        }
    }

    /// Orders periods by start, then finer before coarser.
    pub fn sort_key(self) -> (i32, u32, Grain) {
        let (y, m) = self.first_month();
        (y, m, self.grain())
    }

    /// Whether this period lies wholly inside `[from, to]` by month.
    pub fn inside(self, from: Period, to: Period) -> bool {
        self.first_month() >= from.first_month() && self.last_month() <= to.last_month()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Period::Year(year) => write!(f, "{year}"),
            Period::Plan { from, to } => write!(f, "{from}-{to}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_label_back() {
        for s in ["2024-03", "2024-Q1", "2024", "2025-2027"] {
            assert_eq!(Period::parse(s).map(|p| p.to_string()).as_deref(), Some(s));
        }
        assert_eq!(
            Period::parse("2024-03-17"),
            Some(Period::Month {
                year: 2024,
                month: 3
            })
        );
        assert_eq!(Period::parse("2024-13"), None);
        assert_eq!(Period::parse("2027-2025"), None);
        assert_eq!(Period::parse("abc"), None);
    }

    #[test]
    fn months_fall_in_their_quarter_and_year() {
        let m = Period::Month {
            year: 2024,
            month: 8,
        };
        assert_eq!(
            m.within(Grain::Quarter),
            Some(Period::Quarter {
                year: 2024,
                quarter: 3
            })
        );
        assert_eq!(m.within(Grain::Year), Some(Period::Year(2024)));
        assert_eq!(Period::Year(2024).within(Grain::Month), None);
        let plan = Period::Plan {
            from: 2025,
            to: 2027,
        };
        assert!(Period::Year(2026).inside(plan, plan));
        assert!(!Period::Year(2024).inside(plan, plan));
    }
}
