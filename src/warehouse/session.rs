//! The one place that builds a DataFusion session over the warehouse. Everything that runs SQL
//! (indicators, checks, `query`) gets its session here, so a later change of engine or cluster is local.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;

use super::manifest::SourceManifest;
use super::{Warehouse, WarehouseError, table_schema};
use crate::config::Project;

fn df_err(table: &str, source: datafusion::error::DataFusionError) -> WarehouseError {
    WarehouseError::Query {
        table: table.to_string(),
        source,
    }
}

fn new_context() -> SessionContext {
    // One partition per core: scans, joins and aggregations use the whole machine.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut config = SessionConfig::new()
        .with_target_partitions(cores)
        .with_information_schema(true);
    // A join's dynamic filter becomes a pruning predicate built again for every file the probe
    // side opens, and indicators join on codes, text the warehouse stores without the minimum and
    // maximum it would prune by: over a source of 1,200 monthly files it cost a fifth of the
    // indicators' time and skipped nothing (see README, Performance). TopK and aggregate filters
    // stay.
    config
        .options_mut()
        .optimizer
        .enable_join_dynamic_filter_pushdown = false;
    let ctx = SessionContext::new_with_config(config);
    ctx.register_udf(super::functions::date_trunc());
    ctx.add_optimizer_rule(Arc::new(super::pre_aggregate::PreAggregate));
    ctx
}

/// Why SQL meant to read the warehouse was not run: it did not plan, it would change something,
/// or its plan could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReadOnlyError {
    /// The SQL does not plan (a syntax error, an unknown table or column), in the planner's words.
    #[error("{0}")]
    Plan(#[source] datafusion::error::DataFusionError),
    /// The statement itself is not a query: what kind it is.
    #[error("only a query (SELECT or WITH) is allowed here, not {0}")]
    NotAQuery(&'static str),
    /// A query holding a statement of that kind deeper in its plan (EXPLAIN of an INSERT, a COPY).
    #[error("only a query (SELECT or WITH) is allowed here: {0}")]
    Holds(#[source] datafusion::error::DataFusionError),
    /// The plan was allowed but could not be made ready to run.
    #[error("{0}")]
    Execute(#[source] datafusion::error::DataFusionError),
}

/// Plans `sql` refusing DDL, DML and other statements: SQL run on the warehouse (indicators,
/// checks, findings, `query`) may only read. The plan itself is judged, not DataFusion's words.
pub async fn plan_read_only(
    ctx: &SessionContext,
    sql: &str,
) -> Result<datafusion::dataframe::DataFrame, ReadOnlyError> {
    use datafusion::logical_expr::LogicalPlan;
    let plan = ctx
        .state()
        .create_logical_plan(sql)
        .await
        .map_err(ReadOnlyError::Plan)?;
    let refused = match &plan {
        LogicalPlan::Ddl(_) => Some("a definition (CREATE, DROP, ...)"),
        LogicalPlan::Dml(_) => Some("a change of data (INSERT, UPDATE, DELETE, COPY)"),
        LogicalPlan::Statement(_) => Some("a statement (SET, a transaction, ...)"),
        _ => None,
    };
    // Also anything of the kind deeper in the plan (EXPLAIN of an INSERT, a COPY).
    let verified = datafusion::execution::context::SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan);
    match (refused, verified) {
        (Some(what), _) => Err(ReadOnlyError::NotAQuery(what)),
        (None, Err(e)) => Err(ReadOnlyError::Holds(e)),
        (None, Ok(())) => ctx
            .execute_logical_plan(plan)
            .await
            .map_err(ReadOnlyError::Execute),
    }
}

/// A session that can read the warehouse's files (its object store registered), with no tables.
pub fn warehouse_context(wh: &Warehouse) -> Result<SessionContext, WarehouseError> {
    let ctx = new_context();
    register_store(&ctx, wh)?;
    Ok(ctx)
}

/// Lets `ctx` read the warehouse's files through its object store.
fn register_store(ctx: &SessionContext, wh: &Warehouse) -> Result<(), WarehouseError> {
    let base = url::Url::parse(&format!(
        "{}://{}",
        wh.url.scheme(),
        wh.url.host_str().unwrap_or("")
    ))
    .map_err(|e| WarehouseError::Location(wh.url.to_string(), e.to_string()))?;
    ctx.register_object_store(&base, wh.store.clone());
    Ok(())
}

/// A session over one data file of the warehouse, registered as the table `staged`: how checks,
/// findings and delivery periods look at a source's new data before it is published.
pub async fn staged_file_context(
    wh: &Warehouse,
    data_file: &str,
) -> Result<SessionContext, WarehouseError> {
    let ctx = warehouse_context(wh)?;
    ctx.register_parquet(
        "staged",
        &wh.file_url(data_file),
        datafusion::prelude::ParquetReadOptions::default(),
    )
    .await
    .map_err(|e| df_err(data_file, e))?;
    Ok(ctx)
}

/// What one table reads now: exactly the files the manifests of the project's sources name (a
/// file being written, a superseded one, or one of a source no longer in the YAML is never
/// read), and the rows of a file that a newer delivery supersedes.
#[derive(Default)]
struct TableFiles {
    files: Vec<String>,
    /// A file, and the `TERRITORY|PERIOD` pairs of its rows that readers leave out.
    superseded: Vec<(String, Vec<String>)>,
    /// The source whose rows a file holds, for its period column and grain.
    source_of: BTreeMap<String, String>,
}

async fn current_files(
    project: &Project,
    wh: &Warehouse,
) -> Result<BTreeMap<String, TableFiles>, WarehouseError> {
    let mut manifests = Vec::new();
    for s in &project.sources {
        manifests.push(super::integrity::manifest(wh, &s.name).await?);
    }
    Ok(files_of(project, &manifests))
}

/// What each table reads by the given manifests (in project source order).
fn files_of(
    project: &Project,
    manifests: &[Option<SourceManifest>],
) -> BTreeMap<String, TableFiles> {
    let mut out: BTreeMap<String, TableFiles> = BTreeMap::new();
    for (s, m) in project.sources.iter().zip(manifests) {
        let Some(m) = m else { continue };
        let entry = out.entry(s.table.clone()).or_default();
        for f in m.data_files(&s.table, &s.name) {
            entry.source_of.insert(f.clone(), s.name.clone());
            entry.files.push(f);
        }
        if s.supersede_by_period {
            entry.superseded.extend(m.superseded());
        }
    }
    out
}

/// The rejected-row files the manifests name, for the table `_rejected`.
async fn rejected_files(project: &Project, wh: &Warehouse) -> Result<Vec<String>, WarehouseError> {
    let mut out = Vec::new();
    for s in &project.sources {
        let m: Option<SourceManifest> = wh.get_json(&wh.manifest_path(&s.name)).await?;
        out.extend(
            m.into_iter()
                .flat_map(|m| m.deliveries)
                .filter_map(|d| d.rejected_file),
        );
    }
    Ok(out)
}

/// Registers `_rejected`: every rejected row of every delivery, with its source, table,
/// delivery, line, column, value and reason.
pub async fn register_rejected(
    ctx: &SessionContext,
    project: &Project,
    wh: &Warehouse,
) -> Result<(), WarehouseError> {
    let files = rejected_files(project, wh).await?;
    let schema = super::rejected_schema();
    if files.is_empty() {
        let mem = MemTable::try_new(schema, vec![vec![]]).map_err(|e| df_err("_rejected", e))?;
        ctx.register_table("_rejected", Arc::new(mem))
            .map_err(|e| df_err("_rejected", e))?;
        return Ok(());
    }
    let provider = listing(wh, &files, schema, "_rejected")?;
    ctx.register_table("_rejected", provider)
        .map_err(|e| df_err("_rejected", e))?;
    Ok(())
}

/// A table over exactly `files`.
fn listing(
    wh: &Warehouse,
    files: &[String],
    schema: datafusion::arrow::datatypes::SchemaRef,
    name: &str,
) -> Result<Arc<dyn datafusion::datasource::TableProvider>, WarehouseError> {
    let urls = files
        .iter()
        .map(|f| ListingTableUrl::parse(wh.file_url(f)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| df_err(name, e))?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(
        ListingTable::try_new(config).map_err(|e| df_err(name, e))?,
    ))
}

/// The SQL literal of a text.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The name of the `i`th part of a table read over superseding deliveries.
fn part_name(table: &str, i: usize) -> String {
    format!("__{table}_{i}")
}

/// The declared table a scanned table belongs to: itself, or the table one of its superseding
/// parts (`__TABLE_N`) makes up, so what an indicator reads is named by the tables it declares.
pub fn declared_table(scanned: &str) -> &str {
    scanned
        .strip_prefix("__")
        .and_then(|rest| rest.rsplit_once('_'))
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(scanned, |(table, _)| table)
}

/// Registers `table` over files some of whose rows a newer delivery supersedes: the untouched
/// files as they are, each touched one without its superseded territory and period pairs.
async fn register_superseding(
    ctx: &SessionContext,
    project: &Project,
    wh: &Warehouse,
    table: &crate::config::Table,
    files: &TableFiles,
) -> Result<(), WarehouseError> {
    let schema = query_schema(table);
    let touched: BTreeMap<&str, &Vec<String>> = files
        .superseded
        .iter()
        .map(|(f, pairs)| (f.as_str(), pairs))
        .collect();
    let untouched: Vec<String> = files
        .files
        .iter()
        .filter(|f| !touched.contains_key(f.as_str()))
        .cloned()
        .collect();
    let raw = |i: usize| format!("\"{}\"", part_name(&table.name, i));
    let mut parts = Vec::new();
    if !untouched.is_empty() {
        ctx.register_table(
            raw(0).trim_matches('"'),
            listing(wh, &untouched, schema.clone(), &table.name)?,
        )
        .map_err(|e| df_err(&table.name, e))?;
        parts.push(format!("SELECT * FROM {}", raw(0)));
    }
    let column = table
        .period_column()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    for (i, (file, pairs)) in touched.iter().enumerate() {
        let grain = files
            .source_of
            .get(*file)
            .and_then(|s| project.source(s))
            .map_or(crate::config::Grain::Month, |s| s.delivery_grain());
        let unit = match grain {
            crate::config::Grain::Quarter => "quarter",
            crate::config::Grain::Year => "year",
            _ => "month",
        };
        let name = raw(i + 1);
        ctx.register_table(
            name.trim_matches('"'),
            listing(wh, &[file.to_string()], schema.clone(), &table.name)?,
        )
        .map_err(|e| df_err(&table.name, e))?;
        let hidden: Vec<String> = pairs
            .iter()
            .filter_map(|p| {
                let (territory, period) = p.split_once('|')?;
                let start = crate::config::Period::parse(period)?.first_month();
                Some(format!(
                    "(COALESCE(_territory, '') = {} AND date_trunc('{unit}', CAST(\"{column}\" AS DATE)) = DATE '{:04}-{:02}-01')",
                    literal(territory),
                    start.0,
                    start.1
                ))
            })
            .collect();
        parts.push(format!(
            "SELECT * FROM {name} WHERE \"{column}\" IS NULL OR NOT ({})",
            hidden.join(" OR ")
        ));
    }
    let sql = parts.join(" UNION ALL ");
    let view = ctx
        .sql(&sql)
        .await
        .map_err(|e| df_err(&table.name, e))?
        .into_view();
    ctx.register_table(table.name.as_str(), view)
        .map_err(|e| df_err(&table.name, e))?;
    Ok(())
}

/// A session with every declared table registered: stored data where there is some, else an empty
/// table of the declared schema, so that SQL over a table not yet delivered still plans and runs.
pub async fn session(project: &Project, wh: &Warehouse) -> Result<SessionContext, WarehouseError> {
    with_tables(warehouse_context(wh)?, project, wh).await
}

/// The session indicators are computed in: this process's, or one whose plans run on the Ballista
/// cluster `engine` names, with the same tables (its executors read the same warehouse files).
/// The tables read exactly what `manifests` (one per source, in project order) name: the
/// manifests compute read, or those a bundle recorded.
pub async fn compute_session(
    project: &Project,
    wh: &Warehouse,
    manifests: &[Option<SourceManifest>],
) -> Result<SessionContext, WarehouseError> {
    let files = files_of(project, manifests);
    match &project.settings.engine {
        crate::config::Engine::Local => {
            register_tables(warehouse_context(wh)?, project, wh, &files).await
        }
        #[cfg(feature = "ballista")]
        crate::config::Engine::Ballista(target) => {
            let ctx = super::cluster::session(target).await?;
            register_store(&ctx, wh)?;
            register_tables(ctx, project, wh, &files).await
        }
        // Validation refuses a Ballista engine in a build without it.
        #[cfg(not(feature = "ballista"))]
        crate::config::Engine::Ballista(target) => Err(WarehouseError::NoBallista {
            target: target.to_string(),
        }),
    }
}

/// Registers every declared table in `ctx`, over the files the manifests name now.
async fn with_tables(
    ctx: SessionContext,
    project: &Project,
    wh: &Warehouse,
) -> Result<SessionContext, WarehouseError> {
    let files = current_files(project, wh).await?;
    register_tables(ctx, project, wh, &files).await
}

/// Registers every declared table in `ctx` over `files`.
async fn register_tables(
    ctx: SessionContext,
    project: &Project,
    wh: &Warehouse,
    files: &BTreeMap<String, TableFiles>,
) -> Result<SessionContext, WarehouseError> {
    for table in project.tables.values() {
        match files.get(&table.name) {
            Some(f) if !f.superseded.is_empty() => {
                register_superseding(&ctx, project, wh, table, f).await?;
            }
            Some(f) if !f.files.is_empty() => {
                let provider = listing(wh, &f.files, query_schema(table), &table.name)?;
                ctx.register_table(table.name.as_str(), provider)
                    .map_err(|e| df_err(&table.name, e))?;
            }
            _ => register_empty(&ctx, table)?,
        }
    }
    Ok(ctx)
}

/// A session whose tables are all empty: enough to plan and type-check SQL without reading data.
pub fn planning_session(project: &Project) -> Result<SessionContext, WarehouseError> {
    let ctx = new_context();
    for table in project.tables.values() {
        register_empty(&ctx, table)?;
    }
    Ok(ctx)
}

/// A table's schema as queries see it: text read as string views, which point into the Parquet
/// pages instead of copying every value, and which joins and GROUP BY compare without reading
/// the text when it is short (codes, dates, provinces all are).
fn query_schema(table: &crate::config::Table) -> datafusion::arrow::datatypes::SchemaRef {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let stored = table_schema(table);
    let fields: Vec<Field> = stored
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn register_empty(
    ctx: &SessionContext,
    table: &crate::config::Table,
) -> Result<(), WarehouseError> {
    let mem =
        MemTable::try_new(query_schema(table), vec![vec![]]).map_err(|e| df_err(&table.name, e))?;
    ctx.register_table(table.name.as_str(), Arc::new(mem))
        .map_err(|e| df_err(&table.name, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ReadOnlyError;

    #[tokio::test]
    async fn a_refused_statement_says_what_it_is_and_a_bad_one_keeps_the_planner_error() {
        use std::error::Error;
        let ctx = super::new_context();
        let e = super::plan_read_only(&ctx, "CREATE TABLE t (a INT)")
            .await
            .expect_err("refused");
        assert!(matches!(e, ReadOnlyError::NotAQuery(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "only a query (SELECT or WITH) is allowed here, not a definition (CREATE, DROP, ...)"
        );
        let e = super::plan_read_only(&ctx, "SELECT nope FROM nowhere")
            .await
            .expect_err("refused");
        let source = e.source().expect("the planner's error");
        assert!(source.is::<datafusion::error::DataFusionError>(), "{e:?}");
        assert_eq!(e.to_string(), source.to_string());
        assert!(super::plan_read_only(&ctx, "SELECT 1").await.is_ok());
    }

    #[test]
    fn joins_push_no_dynamic_filter_into_the_scans_but_top_k_does() {
        let ctx = super::new_context();
        let state = ctx.state();
        let optimizer = &state.config().options().optimizer;
        assert!(!optimizer.enable_join_dynamic_filter_pushdown);
        assert!(optimizer.enable_topk_dynamic_filter_pushdown);
    }

    #[test]
    fn superseding_parts_name_their_table() {
        assert_eq!(
            super::declared_table(&super::part_name("spese", 3)),
            "spese"
        );
        assert_eq!(super::declared_table("spese"), "spese");
        assert_eq!(super::declared_table("__x"), "__x");
        assert_eq!(super::declared_table("__x_y"), "__x_y");
    }
}
