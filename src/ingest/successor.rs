//! Municipality codes that ceased after an export was made (mergers): in a column an indicator
//! reads its territory from, a ceased code is stored under the municipality that took it over,
//! from the validity dates of the official archive, and each delivery says how many rows moved.
//! Only for projects whose territories come from the official lists; a code with no known
//! successor is left as it is (an unknown territory, as before).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::config::{Project, Table};
use crate::warehouse::problem::Problem;

/// The territory columns of one table, and the project's territories their codes must reach.
#[derive(Debug, Default)]
pub(super) struct Successors {
    /// Per canonical column of the table: whether it holds territory codes.
    columns: Vec<bool>,
    /// The project's territory codes.
    known: HashSet<String>,
}

impl Successors {
    /// The table's territory columns: those an indicator's SQL returns as `territory` unchanged.
    /// None when the project's territories are its own list (its codes are its own to map).
    pub(super) async fn of_table(project: &Project, table: &Table) -> Successors {
        if !project.territories.official {
            return Successors::default();
        }
        let named = territory_columns(project, &table.name).await;
        if named.is_empty() {
            return Successors::default();
        }
        Successors {
            columns: table
                .columns
                .iter()
                .map(|c| named.contains(&c.name))
                .collect(),
            known: project.territories.by_code.keys().cloned().collect(),
        }
    }

    /// What decides the stored codes, when any are mapped: the mapped columns and the codes the
    /// project knows (a code it knows is never mapped).
    pub(super) fn fingerprint(&self, table: &Table) -> Option<String> {
        use sha2::{Digest, Sha256};
        let mapped: Vec<&str> = table
            .columns
            .iter()
            .zip(&self.columns)
            .filter(|(_, m)| **m)
            .map(|(c, _)| c.name.as_str())
            .collect();
        if mapped.is_empty() {
            return None;
        }
        // In code order: the set's own order changes from run to run.
        let mut known: Vec<&String> = self.known.iter().collect();
        known.sort();
        let mut h = Sha256::new();
        for code in known {
            h.update(code.as_bytes());
            h.update(b"\n");
        }
        Some(format!(
            "{} {}",
            mapped.join(","),
            hex::encode(h.finalize())
        ))
    }

    /// Whether column `i` holds territory codes.
    pub(super) fn maps(&self, i: usize) -> bool {
        self.columns.get(i).copied().unwrap_or(false)
    }

    /// The successor of `value` in column `i`: a ceased municipality code the project does not
    /// have, whose successor it has.
    pub(super) fn of(&self, i: usize, value: &str) -> Option<&'static str> {
        if !self.maps(i)
            || value.len() != 6
            || !value.bytes().all(|b| b.is_ascii_digit())
            || self.known.contains(value)
        {
            return None;
        }
        let c = crate::config::istat::ceased(value)?;
        self.known
            .contains(&c.successor)
            .then_some(c.successor.as_str())
    }

    /// The code of column `i` as stored: its successor when it ceased, counted in `moved` by
    /// column and code.
    pub(super) fn stored(
        &self,
        i: usize,
        column: &str,
        code: String,
        moved: &mut BTreeMap<(String, String), u64>,
    ) -> String {
        match self.of(i, &code) {
            Some(now) => {
                *moved.entry((column.to_string(), code)).or_insert(0) += 1;
                now.to_string()
            }
            None => code,
        }
    }
}

/// The delivery's notes: per column and ceased code, how many rows were counted under its
/// successor.
pub(super) fn notes(file: &str, moved: &BTreeMap<(String, String), u64>) -> Vec<Problem> {
    moved
        .iter()
        .filter_map(|((column, code), rows)| {
            let c = crate::config::istat::ceased(code)?;
            Some(Problem::CeasedCode {
                file: file.to_string(),
                column: column.clone(),
                rows: *rows,
                code: code.clone(),
                name: c.name.clone(),
                ceased: c.ceased.clone(),
                successor: c.successor.clone(),
                successor_name: crate::config::istat::get(&c.successor)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The columns of `table` that some indicator returns as its territory, as they are.
async fn territory_columns(project: &Project, table: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(ctx) = crate::warehouse::session::planning_session(project) else {
        return out;
    };
    for ind in project.indicators.iter().filter(|i| i.builtin.is_none()) {
        let Ok(plan) = ctx.state().create_logical_plan(&ind.sql).await else {
            continue;
        };
        if let Some((t, c)) = origin(&plan, "territory")
            && t == table
        {
            out.insert(c);
        }
    }
    out
}

/// The table and column an output column of `plan` is read from unchanged, when it is.
fn origin(plan: &LogicalPlan, name: &str) -> Option<(String, String)> {
    match plan {
        LogicalPlan::Projection(p) => {
            let i = p.schema.columns().iter().position(|c| c.name == name)?;
            origin(&p.input, &column_of(p.expr.get(i)?)?)
        }
        LogicalPlan::Aggregate(a) => {
            // The output lists the grouping expressions first.
            let i = a.schema.columns().iter().position(|c| c.name == name)?;
            origin(&a.input, &column_of(a.group_expr.get(i)?)?)
        }
        LogicalPlan::Filter(f) => origin(&f.input, name),
        LogicalPlan::Sort(s) => origin(&s.input, name),
        LogicalPlan::Limit(l) => origin(&l.input, name),
        LogicalPlan::SubqueryAlias(s) => origin(&s.input, name),
        LogicalPlan::TableScan(t) => Some((t.table_name.table().to_string(), name.to_string())),
        _ => None,
    }
}

fn column_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Alias(a) => column_of(&a.expr),
        _ => None,
    }
}
