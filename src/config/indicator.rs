//! `indicators/*.yaml`: what each indicator computes and how it rolls up and is judged.

use super::raw::IndicatorFile;
use super::{
    ConfigErrors, Direction, FileCtx, Grain, Indicator, Kind, Period, Phrase, Target, TimeRollup,
    Unit, Validation,
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
        let kind = check_kind(&f.kind, ctx, key, errs);
        let unit = check_unit(&f.unit, ctx, key, errs);
        let grain = check_grain(&f.grain, ctx, key, errs);
        let direction = check_direction(f.direction.as_deref(), ctx, key, errs);
        let time_rollup = check_time_rollup(f.time_rollup.as_deref(), ctx, key, errs);
        let territory_rollup =
            check_territory_rollup(f.territory_rollup.as_deref(), ctx, key, errs);
        check_queries(&f, ctx, key, errs);
        let targets = f
            .targets
            .into_iter()
            .enumerate()
            .map(|(i, t)| check_target(t, territories, ctx, &format!("{key}.targets[{i}]"), errs))
            .collect();
        let suppress_small_cells = check_small_cells(f.small_cells.as_deref(), ctx, key, errs);
        let ignore_unknown_territories =
            check_unknown_territories(f.unknown_territories.as_deref(), ctx, key, errs);
        let phrase = f.phrase.map(|p| check_phrase(p, ctx, key, errs));
        let follow_up = check_follow_up(f.follow_up.as_deref(), ctx, key, errs);
        let on_track = check_on_track(f.on_track, ctx, key, errs);
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

fn check_unit(u: &str, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> Unit {
    Unit::parse(u).unwrap_or_else(|| {
        ctx.err(errs, &format!("{key}.unit"), not_one_of("unit", u, &UNITS));
        Unit::Count
    })
}

fn check_grain(g: &str, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> Grain {
    Grain::parse(g).unwrap_or_else(|| {
        ctx.err(errs, &format!("{key}.grain"), not_a_grain(g));
        Grain::Month
    })
}

/// The query is there, and the targets come from one place.
fn check_queries(f: &IndicatorFile, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) {
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
}

fn check_follow_up(
    s: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Option<super::FollowUp> {
    let s = s?;
    let parsed = super::FollowUp::parse(s);
    if parsed.is_none() {
        ctx.err(
            errs,
            &format!("{key}.follow_up"),
            format!("'{s}' is not a follow-up; write a number of days, months or years, such as 6 months"),
        );
    }
    parsed
}

/// The share of the target that counts as on track (90 % unless given).
fn check_on_track(on_track: Option<f64>, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> f64 {
    let on_track = on_track.unwrap_or(90.0);
    if !(0.0..=100.0).contains(&on_track) {
        ctx.err(
            errs,
            &format!("{key}.on_track"),
            "on_track is a percentage of the target between 0 and 100",
        );
    }
    on_track
}

fn check_kind(k: &str, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> Kind {
    match k {
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
    }
}

fn check_direction(
    d: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Direction {
    match d {
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
    }
}

fn check_time_rollup(
    t: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> TimeRollup {
    match t {
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
    }
}

/// Whether the indicator's figures add up from territories to their parents.
fn check_territory_rollup(
    t: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> bool {
    match t {
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
    }
}

/// One target: where and when it applies and its value.
fn check_target(
    t: super::raw::TargetFile,
    territories: &super::Territories,
    ctx: &FileCtx,
    tkey: &str,
    errs: &mut ConfigErrors,
) -> Target {
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
    let grain = t.grain.as_deref().and_then(|g| {
        let parsed = Grain::parse(g);
        if parsed.is_none() {
            ctx.err(errs, &format!("{tkey}.grain"), not_a_grain(g));
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
    Target {
        territory: t.territory,
        period,
        grain,
        value: t.value,
    }
}

/// Whether small counts of people are hidden on pages and in data files.
fn check_small_cells(v: Option<&str>, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> bool {
    match v {
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
    }
}

/// Whether rows of territories not in the list are ignored rather than failing the run.
fn check_unknown_territories(
    v: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> bool {
    match v {
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
    }
}

/// How sentences name the indicator: its noun phrases, gender and number.
fn check_phrase(
    p: super::raw::PhraseFile,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Phrase {
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
}

/// "'mese' is not a grain: did you mean …? (use month, quarter, year, plan)".
pub(super) fn not_a_grain(g: &str) -> String {
    not_one_of("grain", g, &["month", "quarter", "year", "plan"])
}

const UNITS: [&str; 8] = [
    "count", "percent", "ratio", "per_1000", "hours", "days", "euro", "score",
];

/// "'percento' is not a unit: did you mean percent? (count, percent, …)".
fn not_one_of(what: &str, value: &str, allowed: &[&str]) -> String {
    let near = super::shape::did_you_mean(value, allowed.iter().copied())
        .map(|n| format!(": did you mean {n}?"))
        .unwrap_or_default();
    format!(
        "'{value}' is not a {what}{near} (use {})",
        allowed.join(", ")
    )
}
