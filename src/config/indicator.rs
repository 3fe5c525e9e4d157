//! `indicators/*.yaml`: what each indicator computes and how it rolls up and is judged.

use super::raw::IndicatorFile;
use super::{
    Direction, FileCtx, Grain, Indicator, Kind, Period, Phrase, Target, TimeRollup, Unit,
    Validation,
};

impl Validation {
    /// One indicator: kind, unit, grain, direction, roll-ups, targets and small-cell rule.
    pub(super) fn check_indicator(
        &mut self,
        f: IndicatorFile,
        ctx: &FileCtx,
        key: &str,
    ) -> Option<Indicator> {
        let territories = &self.territories;
        let errs = &mut self.errs;
        let before = errs.0.len();
        if let Some(why) = super::names::sql_name_problem("indicator", &f.id) {
            ctx.err(errs, &format!("{key}.id"), why);
        }
        let kind = match f.kind.as_str() {
            "output" => Kind::Output,
            "process" => Kind::Process,
            "outcome" => Kind::Outcome,
            k => {
                ctx.err(
                    errs,
                    &format!("{key}.kind"),
                    not_one_of("kind", k, &["output", "process", "outcome"]),
                );
                Kind::Output
            }
        };
        let unit = Unit::parse(&f.unit).unwrap_or_else(|| {
            ctx.err(
                errs,
                &format!("{key}.unit"),
                not_one_of("unit", &f.unit, &UNITS),
            );
            Unit::Count
        });
        let grain = Grain::parse(&f.grain).unwrap_or_else(|| {
            ctx.err(
                errs,
                &format!("{key}.grain"),
                not_one_of("grain", &f.grain, &GRAINS),
            );
            Grain::Month
        });
        let direction = match f.direction.as_deref() {
            None | Some("up") => Direction::Up,
            Some("down") => Direction::Down,
            Some(d) => {
                ctx.err(
                    errs,
                    &format!("{key}.direction"),
                    format!("'{d}' is not a direction; use up or down"),
                );
                Direction::Up
            }
        };
        let time_rollup = match f.time_rollup.as_deref() {
            None | Some("sum") => TimeRollup::Sum,
            Some("last") => TimeRollup::Last,
            Some("mean") => TimeRollup::Mean,
            Some("none") => TimeRollup::None,
            Some(t) => {
                ctx.err(
                    errs,
                    &format!("{key}.time_rollup"),
                    format!("'{t}' is not a time roll-up; use sum, last, mean or none"),
                );
                TimeRollup::Sum
            }
        };
        let territory_rollup = match f.territory_rollup.as_deref() {
            None | Some("sum") => true,
            Some("none") => false,
            Some(t) => {
                ctx.err(
                    errs,
                    &format!("{key}.territory_rollup"),
                    format!("'{t}' is not a territory roll-up; use sum or none"),
                );
                true
            }
        };
        if f.sql.trim().is_empty() {
            ctx.err(
            errs,
            &format!("{key}.sql"),
            "an indicator needs a SQL query returning territory, period, numerator [, denominator]",
        );
        }
        if !f.targets.is_empty() && f.targets_sql.is_some() {
            ctx.err(
                errs,
                &format!("{key}.targets_sql"),
                "give either targets or targets_sql, not both",
            );
        }
        let mut targets = Vec::new();
        for (i, t) in f.targets.into_iter().enumerate() {
            let tkey = format!("{key}.targets[{i}]");
            if let Some(code) = &t.territory
                && territories.get(code).is_none()
            {
                ctx.err(
                    errs,
                    &format!("{tkey}.territory"),
                    super::territories::unknown_territory(territories, code),
                );
            }
            let period = t.period.as_deref().and_then(|p| {
                let parsed = Period::parse(p);
                if parsed.is_none() {
                    ctx.err(
                        errs,
                        &format!("{tkey}.period"),
                        format!("'{p}' is not a period; write 2024-03, 2024-Q1, 2024 or 2025-2027"),
                    );
                }
                parsed
            });
            let tgrain = t.grain.as_deref().and_then(|g| {
                let parsed = Grain::parse(g);
                if parsed.is_none() {
                    ctx.err(
                        errs,
                        &format!("{tkey}.grain"),
                        not_one_of("grain", g, &GRAINS),
                    );
                }
                parsed
            });
            if !t.value.is_finite() {
                ctx.err(
                    errs,
                    &format!("{tkey}.value"),
                    "a target value is a finite number",
                );
            }
            targets.push(Target {
                territory: t.territory,
                period,
                grain: tgrain,
                value: t.value,
            });
        }
        let suppress_small_cells = match f.small_cells.as_deref() {
            None | Some("suppress") => true,
            Some("show") => false,
            Some(other) => {
                ctx.err(
                errs,
                &format!("{key}.small_cells"),
                format!("'{other}' is not a small-cell rule; use suppress (people) or show (facilities, hours, money)"),
            );
                true
            }
        };
        let ignore_unknown_territories = match f.unknown_territories.as_deref() {
            None | Some("fail") => false,
            Some("ignore") => true,
            Some(other) => {
                ctx.err(
                    errs,
                    &format!("{key}.unknown_territories"),
                    format!("'{other}' is not a choice here; use fail (the default: the run exits 1 naming the codes) or ignore"),
                );
                false
            }
        };
        let phrase = f.phrase.map(|p| {
            let feminine = match p.gender.as_deref() {
                None | Some("m") => false,
                Some("f") => true,
                Some(other) => {
                    ctx.err(
                        errs,
                        &format!("{key}.phrase.gender"),
                        format!("'{other}' is not a gender here; use m or f"),
                    );
                    false
                }
            };
            let plural = match p.number.as_deref() {
                None | Some("singular") => false,
                Some("plural") => true,
                Some(other) => {
                    ctx.err(
                        errs,
                        &format!("{key}.phrase.number"),
                        format!("'{other}' is not a number here; use singular or plural"),
                    );
                    false
                }
            };
            Phrase {
                it: p.it,
                en: p.en,
                feminine,
                plural,
            }
        });
        let follow_up = f.follow_up.as_deref().and_then(|s| {
            let parsed = super::FollowUp::parse(s);
            if parsed.is_none() {
                ctx.err(
                    errs,
                    &format!("{key}.follow_up"),
                    format!("'{s}' is not a follow-up; write a number of days, months or years, such as 6 months"),
                );
            }
            parsed
        });
        let on_track = f.on_track.unwrap_or(90.0);
        if !(0.0..=100.0).contains(&on_track) {
            ctx.err(
                errs,
                &format!("{key}.on_track"),
                "on_track is a percentage of the target between 0 and 100",
            );
        }
        if errs.0.len() > before {
            return None;
        }
        Some(Indicator {
            id: f.id,
            title: f.title,
            description: f.description,
            kind,
            unit,
            grain,
            direction,
            sql: f.sql,
            time_rollup,
            territory_rollup,
            targets,
            targets_sql: f.targets_sql,
            on_track,
            numerator: f.numerator,
            denominator: f.denominator,
            suppress_small_cells,
            ignore_unknown_territories,
            phrase,
            follow_up,
            builtin: None,
            file: ctx.shown.clone(),
            key: key.to_string(),
            line: ctx.index.line_of(key),
            sql_line: ctx.index.line_of(&format!("{key}.sql")),
        })
    }
}

const UNITS: [&str; 8] = [
    "count", "percent", "ratio", "per_1000", "hours", "days", "euro", "score",
];

/// The grains an indicator, a target or a chart may name.
pub(super) const GRAINS: [&str; 4] = ["month", "quarter", "year", "plan"];

/// "'percento' is not a unit: did you mean percent? (count, percent, …)".
pub(super) fn not_one_of(what: &str, value: &str, allowed: &[&str]) -> String {
    let near = super::shape::did_you_mean(value, allowed.iter().copied())
        .map(|n| format!(": did you mean {n}?"))
        .unwrap_or_default();
    format!(
        "'{value}' is not a {what}{near} (use {})",
        allowed.join(", ")
    )
}
