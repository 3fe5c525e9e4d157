//! The commands that set a project up or look after it: check, doctor, schema, init, territories.

use anyhow::Context;

use super::args::ProjectArg;
use super::load::load;
use super::out::{say, sayln};
use super::{FAILED, INVALID};
use crate::config::{self, Project};

/// `doctor`: finds, and with `--fix` repairs, damaged stored state.
pub(super) async fn doctor(project: &Project, fix: bool) -> anyhow::Result<u8> {
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    let now = chrono::Utc::now();
    let problems = crate::doctor::diagnose(project, &wh, now).await?;
    for p in &problems {
        sayln!("PROBLEM {p}");
    }
    if problems.is_empty() {
        sayln!(
            "ok: the run lock, {} source(s), the ledger, the history and the indicator table are all readable",
            project.sources.len()
        );
        return Ok(0);
    }
    if !fix {
        sayln!(
            "{} problem(s) found; `osservatorio doctor --fix` repairs them",
            problems.len()
        );
        return Ok(FAILED);
    }
    let repairs = crate::doctor::fix(project, &wh, &problems, now).await?;
    for d in &repairs.done {
        sayln!("fixed: {d}");
    }
    for f in &repairs.failed {
        sayln!("NOT FIXED {f}");
    }
    // What is still wrong after the repair, if anything.
    let left = crate::doctor::diagnose(project, &wh, chrono::Utc::now()).await?;
    for p in &left {
        sayln!("STILL {p}");
    }
    if left.is_empty() && repairs.failed.is_empty() {
        sayln!("ok: {} problem(s) repaired", problems.len());
        Ok(0)
    } else {
        Ok(FAILED)
    }
}

/// Opens every delivery of every source as a run would (into a scratch warehouse) and says what
/// a run would refuse or reject; false when a source would fail.
async fn report_exports(project: &Project) -> anyhow::Result<bool> {
    let checked = crate::ingest::check_exports(project).await?;
    let mut ok = true;
    for c in &checked {
        let o = &c.outcome;
        if let Some(e) = &o.error {
            ok = false;
            eprintln!("error: source {}: {e}", o.source);
        }
        if o.rejected > 0 {
            sayln!(
                "note: source {}: a run would reject {} row(s) (kept aside with their line, never stored); first:",
                o.source,
                o.rejected
            );
            for r in &c.rejections {
                sayln!("  {r}");
            }
        }
    }
    let deliveries: usize = checked
        .iter()
        .map(|c| c.outcome.deliveries.len().max(1))
        .sum();
    if ok {
        sayln!(
            "exports: {} source(s), {deliveries} deliveries opened and read as a run would",
            checked.len()
        );
    }
    Ok(ok)
}

/// A folder with neither `osservatorio.yaml` nor `pipelines/` is not a project: checking it would
/// only say that nothing is wrong with nothing.
fn is_project(dir: &std::path::Path) -> bool {
    dir.join("osservatorio.yaml").is_file() || dir.join("pipelines").is_dir()
}

/// `check`: every problem of the project's files, and of its exports unless told not to open them.
pub(super) async fn check(p: &ProjectArg, open_exports: bool) -> anyhow::Result<u8> {
    if p.project.is_dir() && !is_project(&p.project) {
        eprintln!(
            "error: {} is not an osservatorio project: a project is a folder holding osservatorio.yaml \
             (name, locale, territories), territories.csv, pipelines/*.yaml (the exports to read), \
             indicators/*.yaml and dashboards/*.yaml; start one with `osservatorio init DIR`, or pass \
             --project DIR",
            p.project.display()
        );
        return Ok(INVALID);
    }
    let project = load(p)?;
    let ctx = crate::warehouse::session::planning_session(&project)?;
    let mut errs = config::unset_header_variables(&project);
    for ind in project.indicators.iter().filter(|i| i.builtin.is_none()) {
        if let Err(e) = crate::indicators::check_indicator(&ctx, ind).await {
            errs.push(
                &ind.file,
                ind.sql_line,
                format!("{}.sql", ind.key),
                format!("indicator '{}': {e}", ind.id),
            );
        }
    }
    for table in project.tables.values() {
        for c in &table.checks {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE NOT ({})", table.name, c.rule);
            if let Err(e) = crate::indicators::sql::plan_read_only(&ctx, &sql).await {
                errs.push(
                    &table.file,
                    c.line,
                    c.key.clone(),
                    format!("check '{}': {e}", c.name),
                );
            }
        }
    }
    if !errs.is_empty() {
        eprint!("{errs}");
        return Ok(INVALID);
    }
    if open_exports && !report_exports(&project).await? {
        return Ok(INVALID);
    }
    sayln!(
        "ok: {} pipeline(s), {} table(s), {} source(s), {} indicator(s), {} dashboard(s), {} territories",
        project.pipelines.len(),
        project.tables.len(),
        project.sources.len(),
        project.indicators.len(),
        project.dashboards.len(),
        project.territories.by_code.len()
    );
    Ok(0)
}

/// Prints the schemas, or writes them into `out`.
pub(super) fn schema(out: Option<&std::path::Path>) -> anyhow::Result<u8> {
    let schemas = config::schema::schemas();
    match out {
        None => {
            let all: serde_json::Map<String, serde_json::Value> = schemas
                .into_iter()
                .map(|(name, s)| (name.to_string(), s))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        Some(dir) => {
            config::schema::write_schemas(dir)
                .with_context(|| format!("writing the schemas into {}", dir.display()))?;
            for (name, _) in schemas {
                println!("{}", dir.join(name).display());
            }
        }
    }
    Ok(0)
}

/// `init`: a new project that checks and runs at once.
pub(super) fn init(
    dir: &std::path::Path,
    kind: crate::init::Kind,
    locale: crate::init::Locale,
) -> u8 {
    use crate::init::InitError;
    match crate::init::init(dir, kind, locale) {
        Ok(files) => {
            for f in &files {
                println!("wrote {}", dir.join(f).display());
            }
            println!(
                "next: osservatorio check --project {0} && osservatorio run --project {0}",
                dir.display()
            );
            0
        }
        Err(e @ (InitError::NotEmpty(_) | InitError::NotAFolder(_))) => {
            eprintln!("error: {e}");
            INVALID
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAILED
        }
    }
}

/// Prints the official territories of the given regions as a territories.csv.
pub(super) fn territories(regions: &[String]) -> anyhow::Result<u8> {
    let list = match config::istat::hierarchy(regions) {
        Ok(l) => l,
        Err(bad) => {
            eprintln!(
                "error: '{bad}' is not an ISTAT region code; the regions are {}",
                config::istat::region_list()
            );
            return Ok(INVALID);
        }
    };
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    w.write_record(["code", "name", "level", "parent"])?;
    for t in &list {
        w.write_record([
            t.code.as_str(),
            t.name.as_str(),
            t.level.as_str(),
            t.parent.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(0)
}

/// `draft`: a table and a source block for an export, each choice with its evidence.
pub(super) fn draft(export: &std::path::Path, table: Option<String>, source: Option<String>) -> u8 {
    match crate::draft::draft(export, &crate::draft::Names { table, source }) {
        Ok(text) => {
            say!("{text}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            INVALID
        }
    }
}

/// `schedule`: the runs due by the pipelines' cron lines, until stopped (or the next ones, dry).
pub(super) async fn schedule(
    project: &Project,
    dry_run: bool,
    stop_timeout: u64,
) -> anyhow::Result<u8> {
    if dry_run {
        say!(
            "{}",
            crate::schedule::dry_run(project, crate::clock::now(), 5)
        );
        return Ok(0);
    }
    crate::schedule::run_forever(project, std::time::Duration::from_secs(stop_timeout)).await?;
    Ok(0)
}
