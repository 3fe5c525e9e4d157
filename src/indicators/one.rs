//! One indicator computed: its query's rows, ceased codes counted for their successors, rolled up
//! over time and territories, judged against its targets.

use super::*;
use crate::warehouse::problem::Problem;

/// A built-in delivery indicator, from what the manifests record of each source's deliveries.
pub(super) fn compute_builtin(
    project: &Project,
    ind: &Indicator,
    which: crate::config::Builtin,
    all: &[deliveries::Deliveries],
    run_id: &str,
    as_of: AsOf,
) -> Result<Computed, IndicatorError> {
    let today = as_of.deliveries_day.unwrap_or_else(|| {
        crate::clock::now()
            .with_timezone(&project.settings.timezone)
            .date_naive()
    });
    let cells = deliveries::cells(project, which, all, today).map_err(ResultError::Rollup)?;
    let rows = finish_rows(project, ind, &ind.targets, cells, true, run_id, as_of)?;
    Ok(Computed {
        rows,
        tables: BTreeSet::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
    })
}

/// Output rows from rolled-up cells: value, target, status, previous period and definition.
pub(super) fn finish_rows(
    project: &Project,
    ind: &Indicator,
    targets: &[Target],
    cells: rollup::Cells,
    has_den: bool,
    run_id: &str,
    as_of: AsOf,
) -> Result<Vec<OutputRow>, IndicatorError> {
    let definition = definition_hash(ind);
    let today = match (ind.follow_up, as_of.today) {
        (None, _) => None,
        (Some(_), Some(day)) => Some(day),
        (Some(_), None) => Some(crate::clock::today(project.settings.timezone)?),
    };
    let mut rows: Vec<OutputRow> = cells
        .into_iter()
        .map(|((territory, PeriodOrd(period)), pair)| {
            output_row(
                project, ind, targets, territory, period, pair, has_den, run_id,
            )
        })
        .collect();
    let values: BTreeMap<(String, String), Option<f64>> = rows
        .iter()
        .map(|r| ((r.territory.clone(), r.period.clone()), r.value))
        .collect();
    for r in &mut rows {
        r.definition = definition.clone();
        let previous = Period::parse(&r.period)
            .and_then(|p| p.previous(&project.settings.plan_periods))
            .and_then(|p| values.get(&(r.territory.clone(), p.to_string())).copied())
            .flatten();
        r.previous = previous;
        r.change = match (r.value, previous) {
            (Some(v), Some(p)) => Some(tidy(v - p)),
            _ => None,
        };
        // An outcome whose follow-up window is open may still grow: never judged against its target.
        if let (Some(follow_up), Some(today), Some(p)) =
            (ind.follow_up, today, Period::parse(&r.period))
            && follow_up.provisional(p, today)
        {
            r.provisional = true;
            r.achievement = None;
            if r.value.is_some() {
                r.status = targets::Status::Provisional.as_str().to_string();
            }
        }
    }
    Ok(rows)
}

pub(super) async fn compute_one(
    project: &Project,
    ctx: &SessionContext,
    ind: &Indicator,
    run_id: &str,
    as_of: AsOf,
) -> Result<Computed, IndicatorError> {
    let df = sql::plan_read_only(ctx, &ind.sql)
        .await
        .map_err(SqlError::Plan)?;
    let tables = sql::tables_read(df.logical_plan());
    let schema = df.schema().as_arrow().clone();
    sql::check_columns(&schema, &["territory", "period", "numerator"])
        .map_err(SqlError::Columns)?;
    let has_den = sql::column_index(&schema, "denominator").is_some();
    let batches = sql::collect(df).await?;
    let mut warnings = Vec::new();
    let mut base = result_figures(&batches, ind, &mut warnings)?;
    let notes = count_for_successors(project, ind, &mut base);
    let unknown: BTreeSet<&str> = base
        .iter()
        .map(|(t, _, _)| t.as_str())
        .filter(|t| project.territories.get(t).is_none())
        .collect();
    if !unknown.is_empty() {
        warnings.push(format!(
            "territories not in territories.csv (kept, not rolled up): {}",
            unknown.into_iter().take(10).collect::<Vec<_>>().join(", ")
        ));
    }
    let (all, rollup_warnings) = rollup::roll_up(
        base,
        &rollup::Rules {
            has_denominator: has_den,
            grain: ind.grain,
            time: ind.time_rollup,
            territories: ind.territory_rollup,
        },
        &project.territories,
        &project.settings.plan_periods,
    )
    .map_err(ResultError::Rollup)?;
    warnings.extend(rollup_warnings);

    let targets = match &ind.targets_sql {
        Some(q) => targets_from_sql(ctx, q).await?,
        None => ind.targets.clone(),
    };
    let rows = finish_rows(project, ind, &targets, all, has_den, run_id, as_of)?;
    Ok(Computed {
        rows,
        tables,
        warnings,
        notes,
    })
}

/// The query's rows as territory, period and numerator/denominator; a row without territory or
/// period is left out with a warning.
pub(super) fn result_figures(
    batches: &[datafusion::arrow::record_batch::RecordBatch],
    ind: &Indicator,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, Period, Pair)>, IndicatorError> {
    let mut base = Vec::new();
    let mut row_no = 0usize;
    for b in batches {
        let col = |n: &str| sql::column_index(b.schema().as_ref(), n).map(|i| b.column(i).clone());
        let ter =
            sql::strings(&col("territory").ok_or_else(|| ResultError::NoColumn("territory"))?)?;
        let per = sql::periods(
            &col("period").ok_or_else(|| ResultError::NoColumn("period"))?,
            ind.grain,
        )?;
        let num = sql::floats(
            &col("numerator").ok_or_else(|| ResultError::NoColumn("numerator"))?,
            "numerator",
        )?;
        let den = match col("denominator") {
            Some(d) => sql::floats(&d, "denominator")?,
            None => vec![None; b.num_rows()],
        };
        for i in 0..b.num_rows() {
            row_no += 1;
            let (Some(t), Some(p)) = (&ter[i], &per[i]) else {
                warnings.push(format!(
                    "result row {row_no}: territory or period is empty; row left out"
                ));
                continue;
            };
            let p = p.clone().map_err(|source| ResultError::Row {
                row: row_no,
                source,
            })?;
            base.push((
                t.clone(),
                p,
                Pair {
                    num: num[i],
                    den: den[i],
                },
            ));
        }
    }
    Ok(base)
}

/// Figures whose territory is a ceased municipality code the project does not have, counted for
/// its successor when the project has it; one note per code moved. Only on projects whose
/// territories are the official lists (a project's own list decides what its codes are), and in
/// effect only for territories built in the SQL: ingest already stored the codes of a column the
/// indicator returns as it is under their successor.
pub(super) fn count_for_successors(
    project: &Project,
    ind: &Indicator,
    base: &mut [(String, Period, Pair)],
) -> Vec<Problem> {
    if !project.territories.official {
        return Vec::new();
    }
    let mut moved = BTreeSet::new();
    for (t, _, _) in base.iter_mut() {
        if project.territories.get(t).is_some() {
            continue;
        }
        let now = crate::config::istat::current_code(t);
        if now != t.as_str() && project.territories.get(now).is_some() {
            moved.insert(std::mem::replace(t, now.to_string()));
        }
    }
    moved
        .into_iter()
        .filter_map(|code| {
            let c = crate::config::istat::ceased(&code)?;
            Some(Problem::CeasedCodeInIndicator {
                indicator: ind.id.clone(),
                name: c.name.clone(),
                ceased: c.ceased.clone(),
                successor: c.successor.clone(),
                successor_name: crate::config::istat::get(&c.successor)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                code,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn output_row(
    project: &Project,
    ind: &Indicator,
    targets: &[Target],
    territory: String,
    period: Period,
    pair: Pair,
    has_den: bool,
    run_id: &str,
) -> OutputRow {
    let den = if has_den { pair.den } else { None };
    let value = match (pair.num, has_den, den) {
        (Some(n), false, _) => Some(n),
        (Some(n), true, Some(d)) if d != 0.0 => Some(n / d * ind.unit.scale()),
        _ => None,
    };
    let target = targets::target_for(targets, &territory, period);
    let (achievement, status) = targets::assess(value, target, ind.direction, ind.on_track);
    OutputRow {
        indicator: ind.id.clone(),
        territory_level: project
            .territories
            .get(&territory)
            .map(|t| t.level.clone())
            .unwrap_or_default(),
        territory,
        period: period.to_string(),
        grain: period.grain().as_str().to_string(),
        numerator: pair.num.map(tidy),
        denominator: den.map(tidy),
        value: value.map(tidy),
        target,
        achievement: achievement.map(tidy),
        status: status.as_str().to_string(),
        run_id: run_id.to_string(),
        previous: None,
        change: None,
        definition: String::new(),
        provisional: false,
    }
}

/// Targets from a query returning territory, period and value (territory or period may be null).
pub(super) async fn targets_from_sql(
    ctx: &SessionContext,
    q: &str,
) -> Result<Vec<Target>, IndicatorError> {
    let df = sql::plan_read_only(ctx, q)
        .await
        .map_err(|e| SqlError::Plan(e).of_targets())?;
    let schema = df.schema().as_arrow().clone();
    sql::check_columns(&schema, &["territory", "period", "value"])
        .map_err(|e| SqlError::Columns(e).of_targets())?;
    let mut out = Vec::new();
    for b in sql::collect(df).await? {
        let col = |n: &str| sql::column_index(b.schema().as_ref(), n).map(|i| b.column(i).clone());
        let (Some(t), Some(p), Some(v)) = (col("territory"), col("period"), col("value")) else {
            continue;
        };
        let (t, p, v) = (
            sql::strings(&t)?,
            sql::strings(&p)?,
            sql::floats(&v, "value")?,
        );
        for i in 0..b.num_rows() {
            let Some(value) = v[i] else { continue };
            let period = match &p[i] {
                Some(s) => {
                    Some(Period::parse(s).ok_or_else(|| ResultError::TargetPeriod(s.clone()))?)
                }
                None => None,
            };
            out.push(Target {
                territory: t[i].clone(),
                period,
                grain: None,
                value,
            });
        }
    }
    Ok(out)
}
