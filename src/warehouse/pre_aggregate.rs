//! An optimizer rule for the shape nearly every indicator has: a register joined to a small table
//! (facilities, territories) and aggregated by the small table's columns and a period. DataFusion
//! joins every register row and then groups; grouping the register first, by the join key and the
//! register's own group keys, joins a few thousand rows instead of millions (eager aggregation).
//!
//! `COUNT`, integer `SUM`, `MIN`, `MAX` and `COUNT(DISTINCT)` over one side of an inner equi-join
//! split exactly into a part before the join and a part after it, however many rows of the other
//! side a key matches: the counts and sums are summed again, the minimums and maximums taken again,
//! and a distinct value is kept as a key of the first grouping. Sums of floating-point or decimal
//! numbers are left as they are: adding in another order could change their last digits. A key
//! that is a cast of an integer to text (`CAST(EXTRACT(YEAR FROM d) AS VARCHAR)`) is grouped as
//! the integer and cast after the join, once a group rather than once a row.

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result};
use datafusion::functions_aggregate::count::Count;
use datafusion::functions_aggregate::min_max::{Max, Min};
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::expr::{AggregateFunction, Alias};
use datafusion::logical_expr::{Aggregate, Cast, Expr, ExprSchemable, Join, JoinType, LogicalPlan};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// Groups the fact side of an aggregated inner join before the join (see the module's text).
#[derive(Debug, Default)]
pub struct PreAggregate;

/// The prefix of the columns the rule's first grouping makes: not a name a project writes.
const PREFIX: &str = "__osservatorio_pre_";

impl OptimizerRule for PreAggregate {
    fn name(&self) -> &str {
        "osservatorio_pre_aggregate_before_join"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &plan else {
            return Ok(Transformed::no(plan));
        };
        match rewritten(aggregate)? {
            Some(new) if same_output(new.schema(), plan.schema()) => Ok(Transformed::yes(new)),
            _ => Ok(Transformed::no(plan)),
        }
    }
}

/// Whether two plans give the same columns: qualifiers, names and types.
fn same_output(a: &DFSchema, b: &DFSchema) -> bool {
    a.fields().len() == b.fields().len()
        && a.iter().zip(b.iter()).all(|((qa, fa), (qb, fb))| {
            qa == qb && fa.name() == fb.name() && fa.data_type() == fb.data_type()
        })
}

/// The join under an aggregate, through a projection that only passes columns on.
fn join_below(input: &LogicalPlan) -> Option<&Join> {
    match input {
        LogicalPlan::Join(j) => Some(j),
        LogicalPlan::Projection(p) if p.expr.iter().all(|e| matches!(e, Expr::Column(_))) => {
            match p.input.as_ref() {
                LogicalPlan::Join(j) => Some(j),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a plan already ends in a grouping (under aliases and projections): grouping it again
/// before the join would gain nothing, and the rule must not apply to its own output.
fn is_grouped(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_) => true,
        LogicalPlan::SubqueryAlias(s) => is_grouped(&s.input),
        LogicalPlan::Projection(p) => is_grouped(&p.input),
        _ => false,
    }
}

/// Which side of the join an expression reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    None,
    Left,
    Right,
    Both,
}

fn side_of(e: &Expr, left: &DFSchema, right: &DFSchema) -> Side {
    let mut side = Side::None;
    for c in e.column_refs() {
        let here = match (left.has_column(c), right.has_column(c)) {
            (true, false) => Side::Left,
            (false, true) => Side::Right,
            _ => Side::Both,
        };
        side = match (side, here) {
            (Side::None, h) => h,
            (s, h) if s == h => s,
            _ => Side::Both,
        };
    }
    side
}

/// How an aggregate splits around the join.
enum Split {
    /// Summed after the join: `COUNT` and integer `SUM`.
    Summed,
    /// Taken again after the join: `MIN`, `MAX`.
    Again,
    /// Its argument kept as a key of the first grouping: `COUNT(DISTINCT x)`.
    Distinct,
}

/// How `f` splits, or none when it does not split exactly.
fn split_of(f: &AggregateFunction, fact: &DFSchema) -> Option<Split> {
    let p = &f.params;
    if p.filter.is_some() || !p.order_by.is_empty() || p.null_treatment.is_some() {
        return None;
    }
    let imp: &dyn Any = f.func.inner().as_ref();
    if imp.is::<Count>() {
        return Some(if p.distinct {
            Split::Distinct
        } else {
            Split::Summed
        });
    }
    if p.distinct {
        return None;
    }
    if imp.is::<Min>() || imp.is::<Max>() {
        return Some(Split::Again);
    }
    if imp.is::<Sum>() {
        let [arg] = p.args.as_slice() else {
            return None;
        };
        let ty = arg.get_type(fact).ok()?;
        return ty.is_integer().then_some(Split::Summed);
    }
    None
}

/// The expression under an alias: what the rule splits (`named_as` puts the name back).
fn unaliased(e: &Expr) -> &Expr {
    match e {
        Expr::Alias(a) => a.expr.as_ref(),
        e => e,
    }
}

/// `inner` named as `original` was: the original alias, or the original expression's own name.
fn named_as(inner: Expr, original: &Expr) -> Expr {
    match original {
        Expr::Alias(a) => Expr::Alias(Alias::new(inner, a.relation.clone(), a.name.clone())),
        // A column the join passes on as it was keeps its own name and qualifier.
        e if *e == inner => inner,
        e => inner.alias(e.schema_name().to_string()),
    }
}

/// The first grouping's keys, gathered once each.
#[derive(Default)]
struct Keys {
    exprs: Vec<Expr>,
}

impl Keys {
    /// The column of the first grouping that holds `e`, added if new.
    fn column_for(&mut self, e: &Expr) -> Expr {
        if let Expr::Column(_) = e {
            if !self.exprs.contains(e) {
                self.exprs.push(e.clone());
            }
            return e.clone();
        }
        let name = match self
            .exprs
            .iter()
            .position(|k| matches!(k, Expr::Alias(a) if a.expr.as_ref() == e))
        {
            Some(i) => format!("{PREFIX}k{i}"),
            None => {
                let name = format!("{PREFIX}k{}", self.exprs.len());
                self.exprs.push(e.clone().alias(name.clone()));
                name
            }
        };
        Expr::Column(Column::from_name(name))
    }
}

/// The key of a cast of an integer to text: the integer, cast again after the join.
fn deferred_cast(e: &Expr, fact: &DFSchema) -> Option<(Expr, FieldRef)> {
    let Expr::Cast(Cast { expr, field }) = e else {
        return None;
    };
    let text = matches!(
        field.data_type(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    );
    let integer = expr.get_type(fact).ok().is_some_and(|t| t.is_integer());
    (text && integer).then(|| (expr.as_ref().clone(), field.clone()))
}

/// The aggregate grouped before its join, or none when its shape does not allow it.
fn rewritten(aggregate: &Aggregate) -> Result<Option<LogicalPlan>> {
    let Some(join) = join_below(&aggregate.input) else {
        return Ok(None);
    };
    if join.join_type != JoinType::Inner
        || join.filter.is_some()
        || join.on.is_empty()
        || join.null_aware
    {
        return Ok(None);
    }
    // A volatile expression (`random()`) is evaluated once a joined row: grouped before the
    // join it would be evaluated once a register row instead.
    let exprs = || aggregate.group_expr.iter().chain(&aggregate.aggr_expr);
    if exprs().any(|e| matches!(e, Expr::GroupingSet(_)) || e.is_volatile()) {
        return Ok(None);
    }
    let (left, right) = (join.left.schema().as_ref(), join.right.schema().as_ref());
    // The fact side is the one the aggregates read; with none (COUNT(*) alone), the first table.
    let mut fact_side = Side::None;
    for e in &aggregate.aggr_expr {
        match (fact_side, side_of(e, left, right)) {
            (_, Side::None) => {}
            (Side::None, s @ (Side::Left | Side::Right)) => fact_side = s,
            (f, s) if f == s => {}
            _ => return Ok(None),
        }
    }
    if fact_side == Side::None {
        fact_side = Side::Left;
    }
    let (fact, fact_plan) = match fact_side {
        Side::Left => (left, &join.left),
        _ => (right, &join.right),
    };
    if is_grouped(fact_plan) {
        return Ok(None);
    }
    let mut keys = Keys::default();
    // The join keys on the fact side: plain columns, so the join reads them as it did.
    for (l, r) in &join.on {
        let k = if fact_side == Side::Left { l } else { r };
        if !matches!(k, Expr::Column(_)) {
            return Ok(None);
        }
        keys.column_for(k);
    }
    let mut after_groups = Vec::new();
    for g in &aggregate.group_expr {
        let inner = unaliased(g);
        let after = match side_of(inner, left, right) {
            Side::Both => return Ok(None),
            s if s == fact_side => match deferred_cast(inner, fact) {
                Some((integer, field)) => Expr::Cast(Cast::new_from_field(
                    Box::new(keys.column_for(&integer)),
                    field,
                )),
                None => keys.column_for(inner),
            },
            _ => inner.clone(),
        };
        after_groups.push(named_as(after, g));
    }
    let mut before_aggrs = Vec::new();
    let mut after_aggrs = Vec::new();
    for a in &aggregate.aggr_expr {
        let inner = unaliased(a);
        let Expr::AggregateFunction(f) = inner else {
            return Ok(None);
        };
        if side_of(inner, left, right) == Side::None
            && !f.params.args.iter().all(is_non_null_literal)
        {
            // COUNT(NULL) and the like: not worth the care.
            return Ok(None);
        }
        let Some(split) = split_of(f, fact) else {
            return Ok(None);
        };
        let after = match split {
            Split::Distinct => {
                let args = f.params.args.iter().map(|x| keys.column_for(x)).collect();
                Expr::AggregateFunction(AggregateFunction::new_udf(
                    f.func.clone(),
                    args,
                    true,
                    None,
                    Vec::new(),
                    None,
                ))
            }
            Split::Summed | Split::Again => {
                let name = format!("{PREFIX}a{}", before_aggrs.len());
                before_aggrs.push(inner.clone().alias(name.clone()));
                let again = Expr::Column(Column::from_name(name));
                match split {
                    Split::Summed => datafusion::functions_aggregate::expr_fn::sum(again),
                    _ => Expr::AggregateFunction(AggregateFunction::new_udf(
                        f.func.clone(),
                        vec![again],
                        false,
                        None,
                        Vec::new(),
                        None,
                    )),
                }
            }
        };
        after_aggrs.push(named_as(after, a));
    }
    let before = LogicalPlan::Aggregate(Aggregate::try_new(
        fact_plan.clone(),
        keys.exprs,
        before_aggrs,
    )?);
    let (new_left, new_right) = match fact_side {
        Side::Left => (Arc::new(before), join.right.clone()),
        _ => (join.left.clone(), Arc::new(before)),
    };
    let new_join = Join::try_new(
        new_left,
        new_right,
        join.on.clone(),
        None,
        JoinType::Inner,
        join.join_constraint,
        join.null_equality,
        false,
    )?;
    let after = Aggregate::try_new(
        Arc::new(LogicalPlan::Join(new_join)),
        after_groups,
        after_aggrs,
    )?;
    Ok(Some(LogicalPlan::Aggregate(after)))
}

fn is_non_null_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v, _) if !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use proptest::prelude::*;

    /// A register row: join key, month, count, code, amount.
    type Fact = (Option<i64>, i64, Option<i64>, Option<String>, f64);

    fn context(rule: bool, facts: &[Fact], dims: &[(Option<i64>, String)]) -> SessionContext {
        let ctx = SessionContext::new();
        if rule {
            ctx.add_optimizer_rule(Arc::new(PreAggregate));
        }
        let fact: Vec<ArrayRef> = vec![
            Arc::new(facts.iter().map(|r| r.0).collect::<Int64Array>()),
            Arc::new(facts.iter().map(|r| Some(r.1)).collect::<Int64Array>()),
            Arc::new(facts.iter().map(|r| r.2).collect::<Int64Array>()),
            Arc::new(facts.iter().map(|r| r.3.clone()).collect::<StringArray>()),
            Arc::new(facts.iter().map(|r| Some(r.4)).collect::<Float64Array>()),
        ];
        register(&ctx, "f", &["k", "m", "x", "s", "v"], fact);
        let dim: Vec<ArrayRef> = vec![
            Arc::new(dims.iter().map(|r| r.0).collect::<Int64Array>()),
            Arc::new(
                dims.iter()
                    .map(|r| Some(r.1.as_str()))
                    .collect::<StringArray>(),
            ),
        ];
        register(&ctx, "d", &["k", "prov"], dim);
        ctx
    }

    /// Registers the table `name` of `columns`, named `names` (every column nullable).
    fn register(ctx: &SessionContext, name: &str, names: &[&str], columns: Vec<ArrayRef>) {
        let pairs = names.iter().zip(columns).map(|(n, c)| (*n, c));
        let batch = RecordBatch::try_from_iter(pairs).expect("a batch");
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("a table");
        ctx.register_table(name, Arc::new(table))
            .expect("registered");
    }

    /// The rows of `sql` as sorted lines, and how many aggregations its plan has.
    fn run(ctx: &SessionContext, sql: &str) -> (Vec<String>, usize) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let df = ctx.sql(sql).await.expect("plans");
            let plan = df.clone().into_optimized_plan().expect("optimizes");
            let aggregates = plan
                .display_indent()
                .to_string()
                .matches("Aggregate:")
                .count();
            let batches = df.collect().await.expect("runs");
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .expect("formats")
                .to_string();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.sort();
            (lines, aggregates)
        })
    }

    /// Queries the rule rewrites, each with the number of aggregations it adds.
    const REWRITTEN: &[&str] = &[
        "SELECT d.prov, COUNT(*) AS n FROM f JOIN d ON f.k = d.k GROUP BY 1",
        "SELECT d.prov, f.m, COUNT(f.x), SUM(f.x), MIN(f.x), MAX(f.s) FROM f JOIN d ON f.k = d.k GROUP BY 1, 2",
        "SELECT d.prov, f.m, COUNT(DISTINCT f.s) AS n FROM f JOIN d ON f.k = d.k GROUP BY 1, 2",
        "SELECT d.prov AS t, CAST(f.m AS VARCHAR) AS p, COUNT(*) AS n, COUNT(DISTINCT f.s) AS u FROM f JOIN d ON f.k = d.k GROUP BY 1, 2",
        "SELECT d.prov, SUM(f.x) + 1 AS n, MIN(f.m) FROM d JOIN f ON d.k = f.k GROUP BY d.prov",
        "SELECT f.s, d.prov, COUNT(*) FROM f JOIN d ON f.k = d.k GROUP BY f.s, d.prov",
        "SELECT e.prov, COUNT(*), SUM(f.x) FROM f JOIN d ON f.k = d.k JOIN d e ON d.k = e.k GROUP BY 1",
    ];

    /// Queries it leaves as they are: sums of floats, averages, outer joins, both sides read, a
    /// grouping already made, a volatile key.
    const KEPT: &[&str] = &[
        "SELECT d.prov, SUM(f.v) FROM f JOIN d ON f.k = d.k GROUP BY 1",
        "SELECT d.prov, AVG(f.x) FROM f JOIN d ON f.k = d.k GROUP BY 1",
        "SELECT d.prov, COUNT(*) FROM f LEFT JOIN d ON f.k = d.k GROUP BY 1",
        "SELECT d.prov, MAX(f.s || d.prov) FROM f JOIN d ON f.k = d.k GROUP BY 1",
        "SELECT d.prov, COUNT(*) FROM (SELECT k, m FROM f GROUP BY k, m) g JOIN d ON g.k = d.k GROUP BY 1",
        "SELECT d.prov, f.m + CAST(random() * 0 AS BIGINT), COUNT(*) FROM f JOIN d ON f.k = d.k GROUP BY 1, 2",
    ];

    fn facts() -> impl Strategy<Value = Vec<Fact>> {
        proptest::collection::vec(
            (
                proptest::option::weighted(0.9, 0..6i64),
                0..4i64,
                proptest::option::weighted(0.8, -50..50i64),
                proptest::option::weighted(0.8, "[a-c]{1,2}"),
                -10.0..10.0f64,
            ),
            0..60,
        )
    }

    fn dims() -> impl Strategy<Value = Vec<(Option<i64>, String)>> {
        // Keys repeat and may be missing: the rule must hold however many rows a key matches.
        proptest::collection::vec((proptest::option::weighted(0.9, 0..6i64), "[PQR]"), 0..10)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Grouping before the join gives the rows grouping after it gives, on any data.
        #[test]
        fn grouping_before_the_join_gives_the_same_rows(facts in facts(), dims in dims()) {
            let (with, without) = (context(true, &facts, &dims), context(false, &facts, &dims));
            for sql in REWRITTEN.iter().chain(KEPT) {
                let (a, _) = run(&with, sql);
                let (b, _) = run(&without, sql);
                prop_assert_eq!(a, b, "{}", sql);
            }
        }
    }

    #[test]
    fn the_rule_rewrites_what_splits_and_leaves_the_rest() {
        let facts: Vec<Fact> = vec![(Some(1), 1, Some(2), Some("a".into()), 1.5)];
        let dims = vec![(Some(1), "P".to_string())];
        let (with, without) = (context(true, &facts, &dims), context(false, &facts, &dims));
        for sql in REWRITTEN {
            let (_, a) = run(&with, sql);
            let (_, b) = run(&without, sql);
            assert!(a > b, "not rewritten: {sql}");
        }
        for sql in KEPT {
            let (_, a) = run(&with, sql);
            let (_, b) = run(&without, sql);
            assert_eq!(a, b, "rewritten: {sql}");
        }
    }

    #[test]
    fn a_cast_key_is_grouped_as_the_integer_and_cast_after_the_join() {
        let ctx = context(true, &[], &[]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let plan = rt.block_on(async {
            ctx.sql("SELECT d.prov, CAST(f.m AS VARCHAR), COUNT(*) FROM f JOIN d ON f.k = d.k GROUP BY 1, 2")
                .await
                .expect("plans")
                .into_optimized_plan()
                .expect("optimizes")
                .display_indent()
                .to_string()
        });
        let first = plan
            .lines()
            .rev()
            .find(|l| l.contains("Aggregate:"))
            .expect("the first grouping");
        assert!(!first.contains("CAST"), "{plan}");
        let last = plan
            .lines()
            .find(|l| l.contains("Aggregate:"))
            .expect("the second grouping");
        assert!(last.contains("CAST"), "{plan}");
    }
}
