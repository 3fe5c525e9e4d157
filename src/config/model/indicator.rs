//! Indicators: kinds, units, targets, follow-up windows and the built-in delivery indicators.

use std::path::PathBuf;

use crate::config::period::{Grain, Period};
use crate::config::raw::Text;

/// How sentences name an indicator: its noun phrase in each language, with the Italian gender and
/// the number the verbs and participles agree with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The Italian noun phrase (`il tasso di occupazione dei posti`).
    pub it: Option<String>,
    /// The English noun phrase (`the place occupancy rate`).
    pub en: Option<String>,
    /// Feminine (`la quota`): participles end in -a / -e.
    pub feminine: bool,
    /// Plural (`i posti occupati`): verbs and participles agree.
    pub plural: bool,
}

/// The typology of an indicator, as the plans' monitoring tables group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What was done or delivered (services, places, hours).
    Output,
    /// How the work goes (timeliness, coverage, inspections).
    Process,
    /// What changed for people (employment, autonomy, exits).
    Outcome,
}

/// The unit of an indicator's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of people or things.
    Count,
    /// A share in percent (numerator / denominator × 100).
    Percent,
    /// A plain ratio (numerator / denominator).
    Ratio,
    /// A rate per 1,000.
    Per1000,
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Euro.
    Euro,
    /// A score on the indicator's own scale.
    Score,
}

impl Unit {
    /// The unit named in YAML (`count`, `per_1000`, ...), if it is one.
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "count" => Unit::Count,
            "percent" => Unit::Percent,
            "ratio" => Unit::Ratio,
            "per_1000" => Unit::Per1000,
            "hours" => Unit::Hours,
            "days" => Unit::Days,
            "euro" => Unit::Euro,
            "score" => Unit::Score,
            _ => return None,
        })
    }

    /// What numerator / denominator is multiplied by to give the value.
    pub fn scale(self) -> f64 {
        match self {
            Unit::Percent => 100.0,
            Unit::Per1000 => 1000.0,
            _ => 1.0,
        }
    }
}

/// Which way an indicator improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is better.
    Up,
    /// Lower is better.
    Down,
}

/// How an indicator's values combine over time into coarser periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRollup {
    /// Numerators and denominators add up.
    Sum,
    /// The last period's value stands for the whole (stocks, such as places).
    Last,
    /// The mean of the periods' values.
    Mean,
    /// No roll-up over time: only the grain's own periods.
    None,
}

/// An expected value for an indicator.
#[derive(Debug, Clone)]
pub struct Target {
    /// The territory it applies to; every territory when none.
    pub territory: Option<String>,
    /// The period it applies to; every period when none.
    pub period: Option<Period>,
    /// The grain it applies to; the indicator's own when none.
    pub grain: Option<Grain>,
    /// The value expected.
    pub value: f64,
}

/// An indicator, checked.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// The indicator's id, as dashboards name it.
    pub id: String,
    /// The title pages show.
    pub title: Text,
    /// What it measures, in words.
    pub description: Option<Text>,
    /// Output, process or outcome.
    pub kind: Kind,
    /// The unit of its value.
    pub unit: Unit,
    /// The finest period its SQL returns.
    pub grain: Grain,
    /// Which way it improves.
    pub direction: Direction,
    /// The SQL returning territory, period, numerator and optionally denominator.
    pub sql: String,
    /// How values combine over time.
    pub time_rollup: TimeRollup,
    /// Whether values add up from children to parents.
    pub territory_rollup: bool,
    /// Targets written in YAML.
    pub targets: Vec<Target>,
    /// A SQL query returning targets instead of `targets`.
    pub targets_sql: Option<String>,
    /// The share of the target (in percent) from which a value counts as on track.
    pub on_track: f64,
    /// What the numerator counts, in words.
    pub numerator: Option<Text>,
    /// What the denominator counts, in words.
    pub denominator: Option<Text>,
    /// Whether published figures with small counts are hidden (`small_cells: suppress`, the default).
    pub suppress_small_cells: bool,
    /// Whether result rows of territories not in the territories are let through without failing the run.
    pub ignore_unknown_territories: bool,
    /// How sentences name the indicator, when the YAML says.
    pub phrase: Option<Phrase>,
    /// How long after a period ends its figures are final (`follow_up: 6 months`); none when
    /// they are final at once.
    pub follow_up: Option<FollowUp>,
    /// A figure osservatorio computes itself from the deliveries, not from SQL.
    pub builtin: Option<Builtin>,
    /// The indicators file it is declared in.
    pub file: PathBuf,
    /// The YAML path of the definition (`indicators[3]`) and the lines of the item and its `sql`.
    pub key: String,
    /// The line of the definition.
    pub line: Option<usize>,
    /// The line of its `sql`.
    pub sql_line: Option<usize>,
}

/// How long an outcome takes to show: a number of days, months or years after the period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Days.
    Days(u32),
    /// Calendar months.
    Months(u32),
    /// Calendar years.
    Years(u32),
}

impl FollowUp {
    /// `30 days`, `6 months`, `1 year` (singular or plural), if it is one.
    pub fn parse(s: &str) -> Option<FollowUp> {
        let mut words = s.split_whitespace();
        let n: u32 = words.next()?.parse().ok()?;
        let unit = words.next()?;
        if words.next().is_some() {
            return None;
        }
        match unit {
            "day" | "days" => Some(FollowUp::Days(n)),
            "month" | "months" => Some(FollowUp::Months(n)),
            "year" | "years" => Some(FollowUp::Years(n)),
            _ => None,
        }
    }

    /// The day the window of a period ending on `end` (its last day) closes: figures are
    /// provisional until then, that day included.
    pub fn closes(self, end: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        match self {
            FollowUp::Days(n) => end.checked_add_days(chrono::Days::new(u64::from(n))),
            FollowUp::Months(n) => end
                .checked_add_days(chrono::Days::new(1))?
                .checked_add_months(chrono::Months::new(n))?
                .pred_opt(),
            FollowUp::Years(n) => end
                .checked_add_days(chrono::Days::new(1))?
                .checked_add_months(chrono::Months::new(n.checked_mul(12)?))?
                .pred_opt(),
        }
    }

    /// Whether the figures of `period` are still provisional on `today`.
    pub fn provisional(self, period: Period, today: chrono::NaiveDate) -> bool {
        let (y, m) = period.last_month();
        let end = chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .and_then(|d| d.pred_opt());
        match end.and_then(|e| self.closes(e)) {
            Some(closes) => today <= closes,
            // A window beyond the calendar never closes.
            None => true,
        }
    }
}

/// The built-in indicators of delivery, computed for sources with an `expected` cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `_completeness`: the share of expected deliveries (periods) received.
    Completeness,
    /// `_timeliness`: the share of deliveries received within their cadence and grace.
    Timeliness,
}

impl Builtin {
    /// The id dashboards name it by (`_completeness`, `_timeliness`).
    pub fn id(self) -> &'static str {
        match self {
            Builtin::Completeness => "_completeness",
            Builtin::Timeliness => "_timeliness",
        }
    }

    /// The definition a project gets for it.
    pub fn indicator(self) -> Indicator {
        let both = |it: &str, en: &str| {
            crate::config::raw::Text::Localized(
                [
                    ("it".to_string(), it.to_string()),
                    ("en".to_string(), en.to_string()),
                ]
                .into_iter()
                .collect(),
            )
        };
        let (title, description, numerator, denominator) = match self {
            Builtin::Completeness => (
                both("Completezza delle consegne", "Completeness of deliveries"),
                both(
                    "Quota dei periodi attesi per cui la fonte ha consegnato i dati.",
                    "Share of the expected periods for which the source delivered data.",
                ),
                both("periodi con dati ricevuti", "periods with data received"),
                both("periodi attesi", "periods expected"),
            ),
            Builtin::Timeliness => (
                both("Tempestività delle consegne", "Timeliness of deliveries"),
                both(
                    "Quota dei periodi ricevuti entro cadenza e tolleranza.",
                    "Share of the periods received within cadence and grace.",
                ),
                both("periodi ricevuti in tempo", "periods received on time"),
                both("periodi ricevuti", "periods received"),
            ),
        };
        Indicator {
            id: self.id().to_string(),
            title,
            description: Some(description),
            kind: Kind::Process,
            unit: Unit::Percent,
            grain: crate::config::period::Grain::Month,
            direction: Direction::Up,
            sql: String::new(),
            time_rollup: TimeRollup::Sum,
            territory_rollup: true,
            targets: vec![Target {
                territory: None,
                period: None,
                grain: None,
                value: 100.0,
            }],
            targets_sql: None,
            on_track: 90.0,
            numerator: Some(numerator),
            denominator: Some(denominator),
            suppress_small_cells: false,
            ignore_unknown_territories: false,
            phrase: None,
            follow_up: None,
            builtin: Some(self),
            file: PathBuf::from("(built in)"),
            key: self.id().to_string(),
            line: None,
            sql_line: None,
        }
    }
}
