//! The command line: parses arguments, loads the project, calls the stages, sets the exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{self, Project};
use crate::ingest::{IngestOptions, SourceOutcome};
use crate::schedule::Job;

mod docs;
mod inspect;
mod out;

use out::{say, sayln};

#[derive(Parser)]
#[command(
    name = "osservatorio",
    version,
    about = "Indicators and reports for migrant reception and integration programmes",
    long_about = "Indicators and reports for migrant reception and integration programmes.\n\nStart a project with `osservatorio init DIR` (a small working one, every file commented), then `osservatorio check --project DIR` and `osservatorio run --project DIR`: the report is DIR/out/index.html.",
    after_help = "Environment: OSSERVATORIO_LOG sets the log filter; OSSERVATORIO_TODAY=YYYY-MM-DD fixes today's date (which follow-up windows are still open), for tests and reproducible reports."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines on stderr as text, or as one JSON object per line for a log collector
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct ProjectArg {
    /// The project folder (holding osservatorio.yaml, pipelines/, indicators/, dashboards/)
    #[arg(long, default_value = ".")]
    project: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest, compute and render: the whole job
    Run {
        #[command(flatten)]
        p: ProjectArg,
        /// Only the sources of this pipeline (repeatable)
        #[arg(long = "pipeline")]
        pipelines: Vec<String>,
        /// Re-ingest sources even when their export and definition have not changed
        #[arg(long)]
        full: bool,
        /// Take this source's new export although it has far fewer rows than its last good data
        /// (after a person has checked it; repeatable)
        #[arg(long = "accept", value_name = "SOURCE")]
        accept: Vec<String>,
    },
    /// Read the sources' exports into the warehouse
    Ingest {
        #[command(flatten)]
        p: ProjectArg,
        /// Only the sources of this pipeline (repeatable)
        #[arg(long = "pipeline")]
        pipelines: Vec<String>,
        /// Re-ingest sources even when their export and definition have not changed
        #[arg(long)]
        full: bool,
        /// Take this source's new export although it has far fewer rows than its last good data
        /// (after a person has checked it; repeatable)
        #[arg(long = "accept", value_name = "SOURCE")]
        accept: Vec<String>,
    },
    /// Compute the indicators from the warehouse
    Compute {
        #[command(flatten)]
        p: ProjectArg,
        /// Only this indicator (repeatable); the others keep their last figures
        #[arg(long = "indicator")]
        indicators: Vec<String>,
    },
    /// Render the dashboards from the computed indicators
    Render {
        #[command(flatten)]
        p: ProjectArg,
        /// Only this dashboard (repeatable)
        #[arg(long = "dashboard")]
        dashboards: Vec<String>,
        /// Also print each dashboard to OUTPUT/DASHBOARD/DASHBOARD.pdf (A4) with headless Chromium
        #[arg(long)]
        pdf: bool,
        /// Also write the plan's monitoring annex, OUTPUT/DASHBOARD/annex.odt and annex.docx, for
        /// each dashboard with plan indicators: per objective (section) each indicator's type,
        /// expected and achieved value, status and an empty notes column
        #[arg(long)]
        annex: bool,
    },
    /// Validate every file of the project; indicator SQL is planned, not run
    Check {
        #[command(flatten)]
        p: ProjectArg,
        /// Do not open the exports: check the YAML and plan the SQL only
        #[arg(long)]
        no_exports: bool,
    },
    /// Long-running: run each pipeline on its cron schedule (project time zone) until stopped
    Schedule {
        #[command(flatten)]
        p: ProjectArg,
        /// Print each pipeline's next five fire times in the project time zone, and exit
        #[arg(long)]
        dry_run: bool,
        /// On SIGINT/SIGTERM, how many seconds the run in progress may take to finish before it
        /// is abandoned (nothing of it is published)
        #[arg(long, default_value_t = 600)]
        stop_timeout: u64,
    },
    /// Show the ledger of runs, newest first
    Runs {
        #[command(flatten)]
        p: ProjectArg,
        /// Only runs that ingested this pipeline
        #[arg(long)]
        pipeline: Option<String>,
        /// Only failed runs
        #[arg(long)]
        failed: bool,
        /// How many runs at most
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// How to print them
        #[arg(long, value_enum, default_value = "table")]
        format: inspect::RunsFormat,
    },
    /// Show the definition, tables, sources and files behind an indicator
    Explain {
        /// The indicator id
        indicator: String,
        #[command(flatten)]
        p: ProjectArg,
    },
    /// Every run's value of an indicator: each change, and whether data or the definition moved it
    History {
        /// The indicator id
        indicator: String,
        #[command(flatten)]
        p: ProjectArg,
        /// Only this territory
        #[arg(long)]
        territory: Option<String>,
        /// Only this period (2024, 2024-Q1, 2024-03, 2025-2027)
        #[arg(long)]
        period: Option<String>,
        /// How to print the result
        #[arg(long, value_enum, default_value = "table")]
        format: inspect::QueryFormat,
    },
    /// Data-quality findings: rows breaking validation rules and values far from their series
    Findings {
        #[command(flatten)]
        p: ProjectArg,
        /// Only this source's findings
        #[arg(long)]
        source: Option<String>,
        /// How to print them
        #[arg(long, value_enum, default_value = "table")]
        format: inspect::QueryFormat,
    },
    /// Every delivery (file) of the sources, with its state, rows, rejected and skipped rows and
    /// periods; each one's outcome file for its sender is under OUTPUT/deliveries/SOURCE/
    Deliveries {
        #[command(flatten)]
        p: ProjectArg,
        /// Only this source's deliveries
        #[arg(long)]
        source: Option<String>,
        /// How to print them
        #[arg(long, value_enum, default_value = "table")]
        format: inspect::DeliveriesFormat,
    },
    /// Sign off the last run's reports: an immutable, dated bundle under OUTPUT/published/
    Publish {
        #[command(flatten)]
        p: ProjectArg,
        /// Who signs the reports off (recorded in the bundle's manifest)
        #[arg(long)]
        by: String,
        /// A note recorded with the sign-off (e.g. the meeting it is for)
        #[arg(long)]
        note: Option<String>,
        /// The run to publish; it must be the run whose reports are in the output folder
        #[arg(long)]
        run: Option<String>,
        /// Sign MANIFEST.json with this minisign secret key (kept outside the project; an
        /// encrypted key's password is read from OSSERVATORIO_SIGN_PASSWORD)
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
    },
    /// Re-check a published bundle: every file against the SHA-256 in its MANIFEST.json
    Verify {
        /// The bundle's folder, or its name under the project's OUTPUT/published/
        bundle: PathBuf,
        #[command(flatten)]
        p: ProjectArg,
        /// Check MANIFEST.json.minisig against this minisign public key instead of the project's
        /// publication.public_keys
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
    /// Compute a published bundle's figures again from the data files and definitions it was
    /// computed from (the warehouse files its manifest names, the project files copied into its
    /// inputs/definitions/); exits 0 when every figure is identical, 1 naming each that differs
    /// and why (a data file missing or changed, a definition changed, the value)
    Reproduce {
        /// The bundle's folder, or its name under the project's OUTPUT/published/
        bundle: PathBuf,
        #[command(flatten)]
        p: ProjectArg,
    },
    /// Check the project's stored state: the run lock, every source's manifest, data file and
    /// findings, the ledger of runs, the indicator history and the indicator table. Prints one
    /// line per problem (the file, what is wrong, the command that repairs it); exits 1 when
    /// it found any
    Doctor {
        #[command(flatten)]
        p: ProjectArg,
        /// Repair what was found: a damaged source is ingested again from its export, the
        /// indicator table is computed again, unreadable run and history records are moved aside
        /// to WAREHOUSE/_quarantine/ (never deleted), and a damaged or dead lock is removed when
        /// no live process holds it
        #[arg(long)]
        fix: bool,
    },
    /// Start a project: write a small working one, commented, into an empty or absent folder
    ///
    /// It holds osservatorio.yaml, territories.csv, a pipeline with a sample export under data/,
    /// three indicators (output, process, outcome) with targets and a dashboard; `osservatorio run
    /// --project DIR` runs it as written. The YAML files name their JSON Schemas in DIR/.schema/.
    Init {
        /// The folder to create (it must be empty or absent)
        dir: PathBuf,
        /// prefettura: reception facilities (presences, occupancy); ambito: a district plan's desks
        #[arg(long, value_enum, default_value = "prefettura")]
        kind: crate::init::Kind,
        /// The language of the reports and of the files' comments
        #[arg(long, value_enum, default_value = "it")]
        locale: crate::init::Locale,
    },
    /// Print a first table and source block for a CSV export or a workbook, with the evidence
    ///
    /// Encoding, delimiter, header row past title rows, decimal convention, date format, column
    /// types, yes/no columns, total rows and codes with leading zeros (pad) are read from the
    /// export; what it cannot decide is written as a QUESTION that `check` refuses until answered.
    /// The output is a pipeline file: `osservatorio draft data/x.csv > pipelines/x.yaml`.
    Draft {
        /// The export: CSV (.csv, .txt, .tsv) or a workbook (.xlsx, .xls, .ods; its first sheet)
        export: PathBuf,
        /// The canonical table's name (default: from the file name)
        #[arg(long)]
        table: Option<String>,
        /// The source's name (default: from the file name)
        #[arg(long)]
        source: Option<String>,
    },
    /// Print a territories.csv (code,name,level,parent) of regions from the official lists
    ///
    /// The country (IT), each region (VEN, LOM, ER, ...), its provinces (by their plate letters: PD)
    /// and its municipalities (by their six-digit ISTAT code: 028060), from ISTAT's codes as ANPR's
    /// archive of municipalities lists them.
    Territories {
        /// An ISTAT region code: 05 Veneto, 03 Lombardia, 08 Emilia-Romagna, ... (repeatable)
        #[arg(long = "istat", value_name = "REGION", required = true, num_args = 1..)]
        istat: Vec<String>,
    },
    /// Write the JSON Schemas (draft-07) of the YAML files, for editors that check as you type
    ///
    /// The files are osservatorio.schema.json, pipeline.schema.json, indicator.schema.json and
    /// dashboard.schema.json. Without --out they are printed as one JSON object keyed by file name.
    Schema {
        /// The folder to write the four schema files into (created if absent)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Run read-only SQL over the warehouse tables and the computed `indicators` table
    Query {
        /// A SELECT (or WITH) query
        sql: String,
        #[command(flatten)]
        p: ProjectArg,
        /// How to print the result
        #[arg(long, value_enum, default_value = "table")]
        format: inspect::QueryFormat,
    },
}

/// Exit statuses: 0 all good, 1 a source, indicator or dashboard failed, 2 invalid configuration or usage.
const FAILED: u8 = 1;
const INVALID: u8 = 2;

/// Runs the command line: parses the arguments, runs the command, and says how it ended.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = docs::packaging(&args) {
        return code;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { INVALID } else { 0 });
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("OSSERVATORIO_LOG")
        .unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let code = match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(FAILED)
        }
    };
    // Everything the command publishes has been awaited by now. What may still run is the work of
    // a run abandoned at a stop (a parser reading on): waiting for it would keep a stopping
    // scheduler alive for as long as that export takes, and its files are named by no manifest.
    runtime.shutdown_background();
    code
}

fn load(p: &ProjectArg) -> Result<Project, u8> {
    if !p.project.is_dir() {
        eprintln!(
            "error: {} is not a folder; pass --project DIR",
            p.project.display()
        );
        return Err(INVALID);
    }
    config::load_project(&p.project).map_err(|errs| {
        eprint!("{errs}");
        INVALID
    })
}

/// What a `--pipeline`, `--indicator` or `--dashboard` may name.
#[derive(Clone, Copy)]
enum Selects {
    Pipeline,
    Indicator,
    Dashboard,
}

impl Selects {
    fn names(self, project: &Project) -> Vec<&str> {
        match self {
            Selects::Pipeline => project.pipelines.iter().map(|x| x.name.as_str()).collect(),
            Selects::Indicator => project.indicators.iter().map(|x| x.id.as_str()).collect(),
            Selects::Dashboard => project.dashboards.iter().map(|x| x.id.as_str()).collect(),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Selects::Pipeline => "pipeline",
            Selects::Indicator => "indicator",
            Selects::Dashboard => "dashboard",
        }
    }
}

/// Loads the project and checks that every selected name exists in it.
fn load_selecting(p: &ProjectArg, selects: Selects, given: &[String]) -> Result<Project, u8> {
    let project = load(p)?;
    let known = selects.names(&project);
    let bad: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|g| !known.contains(g))
        .collect();
    if !bad.is_empty() {
        eprintln!(
            "error: unknown {} {} (known: {})",
            selects.word(),
            bad.join(", "),
            known.join(", ")
        );
        return Err(INVALID);
    }
    Ok(project)
}

/// Loads the project for a command that ingests, checks the names it was given and takes the run
/// lock; the error is the exit status.
async fn prepare_ingest(
    p: &ProjectArg,
    pipelines: &[String],
    accept: &[String],
    command: &str,
) -> anyhow::Result<Result<(Project, crate::schedule::lock::RunLock), u8>> {
    let project = match load_selecting(p, Selects::Pipeline, pipelines)
        .and_then(|x| known_sources(x, accept))
    {
        Ok(x) => x,
        Err(c) => return Ok(Err(c)),
    };
    Ok(match run_lock(&project, command).await? {
        Some(lock) => Ok((project, lock)),
        None => Err(FAILED),
    })
}

/// Ingests the selected pipelines and prints the per-source table.
async fn ingest_and_report(
    job: &mut Job<'_>,
    pipelines: &[String],
    full: bool,
    accept: Vec<String>,
) {
    let sources = job.ingest(pipelines, &IngestOptions { full, accept }).await;
    print_source_table(&sources);
}

/// How long a manual command waits for a run in progress (scheduled or not) before giving up:
/// 30 minutes, or `OSSERVATORIO_LOCK_WAIT` seconds.
fn lock_patience() -> std::time::Duration {
    let secs = std::env::var("OSSERVATORIO_LOCK_WAIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(30 * 60);
    std::time::Duration::from_secs(secs)
}

/// Takes the project's run lock for `command`, waiting for a run in progress; None (after saying
/// why) when it does not end in time.
async fn run_lock(
    project: &Project,
    command: &str,
) -> anyhow::Result<Option<crate::schedule::lock::RunLock>> {
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    let patience = lock_patience();
    match crate::schedule::lock::acquire(&wh, command, patience).await {
        Ok(Ok(lock)) => Ok(Some(lock)),
        Ok(Err(holder)) => {
            eprintln!(
                "error: another run still holds the project after {} seconds: {holder}",
                patience.as_secs()
            );
            Ok(None)
        }
        Err(e @ crate::schedule::lock::LockError::Warehouse(_)) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(None)
        }
    }
}

/// The project, when every name given to `--accept` is one of its sources.
fn known_sources(project: Project, given: &[String]) -> Result<Project, u8> {
    let bad: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|g| project.source(g).is_none())
        .collect();
    if bad.is_empty() {
        return Ok(project);
    }
    let known: Vec<&str> = project.sources.iter().map(|s| s.name.as_str()).collect();
    eprintln!(
        "error: unknown source {} (known: {})",
        bad.join(", "),
        known.join(", ")
    );
    Err(INVALID)
}

/// Prints one line per source: what happened to it, its rows, and how long it took.
fn print_source_table(sources: &[SourceOutcome]) {
    if sources.is_empty() {
        return;
    }
    let width = sources
        .iter()
        .map(|s| s.source.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    sayln!(
        "{:<width$}  {:<10} {:>10} {:>9} {:>8} {:>8} {:>8}",
        "source",
        "status",
        "rows",
        "rejected",
        "skipped",
        "seconds",
        "requests"
    );
    for s in sources {
        sayln!(
            "{:<width$}  {:<10} {:>10} {:>9} {:>8} {:>8.2} {:>8}",
            s.source,
            s.status.as_str(),
            s.rows,
            s.rejected,
            s.skipped,
            s.seconds,
            s.attempts
        );
    }
}

/// Stores the run's report, prints its summary and where to look, and returns the exit status.
async fn finish(
    job: Job<'_>,
    project: &Project,
    look_at: Option<(&str, &str)>,
) -> anyhow::Result<u8> {
    let report = job.finish().await?;
    summarize(project, &report);
    if let Some((label, file)) = look_at {
        sayln!("{label}: {}", project.settings.output.join(file).display());
    }
    Ok(if report.failed { FAILED } else { 0 })
}

async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Check { p, no_exports } => check(&p, !no_exports).await,
        Command::Doctor { p, fix } => match load(&p) {
            Ok(project) => doctor(&project, fix).await,
            Err(c) => Ok(c),
        },
        Command::Schema { out } => schema(out.as_deref()),
        Command::Territories { istat } => territories(&istat),
        Command::Draft {
            export,
            table,
            source,
        } => match crate::draft::draft(&export, &crate::draft::Names { table, source }) {
            Ok(text) => {
                say!("{text}");
                Ok(0)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(INVALID)
            }
        },
        Command::Init { dir, kind, locale } => Ok(init(&dir, kind, locale)),
        Command::Schedule {
            p,
            dry_run,
            stop_timeout,
        } => match load(&p) {
            Ok(project) if dry_run => {
                say!(
                    "{}",
                    crate::schedule::dry_run(&project, chrono::Utc::now(), 5)
                );
                Ok(0)
            }
            Ok(project) => {
                crate::schedule::run_forever(
                    &project,
                    std::time::Duration::from_secs(stop_timeout),
                )
                .await?;
                Ok(0)
            }
            Err(c) => Ok(c),
        },
        Command::Runs {
            p,
            pipeline,
            failed,
            limit,
            format,
        } => match load(&p) {
            Ok(project) => {
                let filter = inspect::RunsFilter {
                    pipeline,
                    failed,
                    limit,
                };
                say!("{}", inspect::runs(&project, &filter, format).await?);
                Ok(0)
            }
            Err(c) => Ok(c),
        },
        Command::Explain { indicator, p } => {
            match load_selecting(&p, Selects::Indicator, std::slice::from_ref(&indicator)) {
                Ok(project) => {
                    say!("{}", inspect::explain(&project, &indicator).await?);
                    Ok(0)
                }
                Err(c) => Ok(c),
            }
        }
        Command::History {
            indicator,
            p,
            territory,
            period,
            format,
        } => match load_selecting(&p, Selects::Indicator, std::slice::from_ref(&indicator)) {
            Ok(project) => {
                let out = inspect::history(
                    &project,
                    &indicator,
                    territory.as_deref(),
                    period.as_deref(),
                    format,
                )
                .await?;
                say!("{out}");
                Ok(0)
            }
            Err(c) => Ok(c),
        },
        Command::Findings { p, source, format } => {
            match load(&p).and_then(|x| known_sources(x, source.as_slice())) {
                Ok(project) => {
                    say!(
                        "{}",
                        inspect::findings(&project, source.as_deref(), format).await?
                    );
                    Ok(0)
                }
                Err(c) => Ok(c),
            }
        }
        Command::Deliveries { p, source, format } => {
            match load(&p).and_then(|x| known_sources(x, source.as_slice())) {
                Ok(project) => {
                    say!(
                        "{}",
                        inspect::deliveries(&project, source.as_deref(), format).await?
                    );
                    Ok(0)
                }
                Err(c) => Ok(c),
            }
        }
        Command::Publish {
            p,
            by,
            note,
            run,
            sign,
        } => match load(&p) {
            Ok(project) => {
                publish(
                    &project,
                    &by,
                    note.as_deref(),
                    run.as_deref(),
                    sign.as_deref(),
                )
                .await
            }
            Err(c) => Ok(c),
        },
        Command::Verify {
            bundle,
            p,
            public_key,
        } => {
            // The project gives the bundles' folder and the keys a signature is checked against;
            // a folder without osservatorio.yaml has none.
            let project = if p.project.join("osservatorio.yaml").exists() {
                match load(&p) {
                    Ok(project) => Some(project),
                    Err(c) => return Ok(c),
                }
            } else {
                config::load_project(&p.project).ok()
            };
            // A bare name is looked up among the project's bundles; a path is taken as given.
            let path = match &project {
                Some(project) if !bundle.exists() => {
                    crate::publish::bundle::published_dir(project).join(&bundle)
                }
                _ => bundle,
            };
            let key_files: Vec<PathBuf> = match (public_key, &project) {
                (Some(k), _) => vec![k],
                (None, Some(project)) => project.settings.publication.public_keys.clone(),
                (None, None) => Vec::new(),
            };
            Ok(verify(&path, &key_files))
        }
        Command::Reproduce { bundle, p } => match load(&p) {
            Ok(project) => reproduce(&project, &bundle).await,
            Err(c) => Ok(c),
        },
        Command::Query { sql, p, format } => match load(&p) {
            Ok(project) => match inspect::query(&project, &sql, format).await? {
                Ok(out) => {
                    sayln!("{out}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(INVALID)
                }
            },
            Err(c) => Ok(c),
        },
        Command::Run {
            p,
            pipelines,
            full,
            accept,
        } => {
            let (project, lock) = match prepare_ingest(&p, &pipelines, &accept, "run").await? {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let mut job = Job::start(&project, "run")?;
            ingest_and_report(&mut job, &pipelines, full, accept).await;
            if let Err(e) = job.compute(&[]).await {
                eprintln!("error: computing indicators: {e}");
                job.mark_failed();
            }
            if let Err(e) = job.render_if_changed().await {
                eprintln!("error: rendering: {e}");
                job.mark_failed();
            }
            let code = finish(job, &project, Some(("report", "index.html"))).await;
            lock.release().await;
            code
        }
        Command::Ingest {
            p,
            pipelines,
            full,
            accept,
        } => {
            let (project, lock) = match prepare_ingest(&p, &pipelines, &accept, "ingest").await? {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let mut job = Job::start(&project, "ingest")?;
            ingest_and_report(&mut job, &pipelines, full, accept).await;
            let code = finish(job, &project, None).await;
            lock.release().await;
            code
        }
        Command::Compute { p, indicators } => {
            let project = match load_selecting(&p, Selects::Indicator, &indicators) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let Some(lock) = run_lock(&project, "compute").await? else {
                return Ok(FAILED);
            };
            let mut job = Job::start(&project, "compute")?;
            job.compute(&indicators)
                .await
                .context("computing indicators")?;
            let code = finish(job, &project, Some(("indicators", "indicators.csv"))).await;
            lock.release().await;
            code
        }
        Command::Render {
            p,
            dashboards,
            pdf,
            annex,
        } => {
            let project = match load_selecting(&p, Selects::Dashboard, &dashboards) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            // Under the run lock: a render never overlaps a run, so its pages are all of one run.
            let Some(lock) = run_lock(&project, "render").await? else {
                return Ok(FAILED);
            };
            // The indicator table is derived: a damaged one is computed again before drawing, a
            // run of its own; a sound one is drawn again as the run that computed it.
            let table = crate::indicators::table_path(&project);
            let read = table
                .exists()
                .then(|| crate::indicators::output::read(&project.settings.output));
            let computed_by = match &read {
                Some(Ok(rows)) => rows.iter().map(|r| r.run_id.clone()).max(),
                _ => None,
            };
            let mut job = match &computed_by {
                Some(run) => Job::redraw(&project, run)?,
                None => Job::start(&project, "render")?,
            };
            if let Some(Err(e)) = read {
                eprintln!("warning: {e}: the indicator table is damaged; computing it again");
                if let Err(e) = job.compute(&[]).await {
                    eprintln!(
                        "error: computing the damaged indicator table again: {e}; run `osservatorio doctor`"
                    );
                    job.mark_failed();
                }
            }
            let outcomes = job.render(&dashboards).await.context("rendering")?;
            if pdf {
                match crate::render::pdf::print_dashboards(&project, &outcomes) {
                    Ok(printed) => {
                        for p in printed {
                            sayln!("pdf: {}", p.display());
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        job.report.failed = true;
                    }
                }
            }
            if annex {
                let rendered: Vec<String> = outcomes
                    .iter()
                    .filter(|o| o.error.is_none())
                    .map(|o| o.dashboard.clone())
                    .collect();
                match crate::render::annex::write_annexes(&project, &rendered) {
                    Ok(written) => {
                        for p in written {
                            sayln!("annex: {}", p.display());
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        job.report.failed = true;
                    }
                }
            }
            let code = finish(job, &project, Some(("report", "index.html"))).await;
            lock.release().await;
            code
        }
    }
}

/// Prints one line per failure and a count of what ran, so a scheduled run's log says enough.
fn summarize(project: &Project, report: &crate::schedule::RunReport) {
    let (ns, fs) = (
        report.sources.len(),
        report.sources.iter().filter(|s| s.failed()).count(),
    );
    let (ni, fi) = (
        report.indicators.len(),
        report.indicators.iter().filter(|i| !i.ok).count(),
    );
    let (nd, fd) = (
        report.dashboards.len(),
        report
            .dashboards
            .iter()
            .filter(|d| d.error.is_some())
            .count(),
    );
    let errors = report
        .sources
        .iter()
        .filter_map(|s| s.error.as_ref())
        .chain(report.indicators.iter().filter_map(|i| i.error.as_ref()))
        .chain(report.dashboards.iter().filter_map(|d| d.error.as_ref()));
    for e in errors {
        sayln!("FAILED {e}");
    }
    for n in report.sources.iter().flat_map(|s| &s.notes) {
        sayln!("note: {n}");
    }
    for (indicator, codes) in &report.unknown_territories {
        let shown: Vec<&str> = codes.iter().take(20).map(String::as_str).collect();
        let more = codes.len().saturating_sub(shown.len());
        println!(
            "FAILED indicator {indicator}: territories not in the territory list: {}{}. Their rows are kept but not rolled up, so every figure above them (province, region) misses them: add them to the territories (code,name,level,parent), or set unknown_territories: ignore on the indicator",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if report.compute_skipped {
        sayln!(
            "indicators: nothing they read or how they are defined changed, so they were not recomputed"
        );
    }
    if report.render_skipped {
        sayln!(
            "report: nothing it shows changed since it was rendered, so it was not drawn again (osservatorio render redraws it)"
        );
    }
    // What was skipped for having nothing new is counted as unchanged, not as zero done.
    let indicators = if report.compute_skipped {
        format!("indicators {} unchanged", project.indicators.len())
    } else {
        format!("indicators {}/{ni} ok", ni - fi)
    };
    let dashboards = if report.render_skipped {
        format!("dashboards {} unchanged", project.dashboards.len())
    } else {
        format!("dashboards {}/{nd} ok", nd - fd)
    };
    if report.redrawn {
        sayln!(
            "{}: the pages of run {} drawn again — {dashboards}",
            project.settings.name,
            report.run_id,
        );
        return;
    }
    sayln!(
        "{}: run {} — sources {}/{} ok, {indicators}, {dashboards}",
        project.settings.name,
        report.run_id,
        ns - fs,
        ns,
    );
}

async fn publish(
    project: &Project,
    by: &str,
    note: Option<&str>,
    run: Option<&str>,
    sign: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    use crate::publish::bundle::{self, BundleError};
    if by.trim().is_empty() {
        eprintln!("error: --by names the person who signs the reports off");
        return Ok(INVALID);
    }
    let key = match sign
        .map(crate::publish::signing::load_secret_key)
        .transpose()
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(INVALID);
        }
    };
    if let Some(k) = sign
        && let (Ok(k), Ok(root)) = (k.canonicalize(), project.root.canonicalize())
        && k.starts_with(&root)
    {
        eprintln!(
            "warning: the secret key {} is inside the project folder; keep it elsewhere so it is never committed or copied with the project",
            k.display()
        );
    }
    let configured = &project.settings.publication.public_keys;
    if let Some(k) = &key
        && !configured.is_empty()
        && !configured.iter().any(|path| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| crate::publish::signing::parse_public_key(&t).ok())
                .is_some_and(|pk| crate::publish::signing::key_id(pk.keynum()) == k.key_id)
        })
    {
        eprintln!(
            "warning: key {} is none of publication.public_keys: verify will report an unknown key until its .pub file is listed there",
            k.key_id
        );
    }
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    match bundle::publish(project, &wh, by.trim(), note, run, key.as_ref()).await {
        Ok((path, m)) => {
            if let Some(k) = &m.signature_key {
                sayln!(
                    "signed MANIFEST.json with key {k}: {}",
                    crate::publish::signing::SIGNATURE
                );
            }
            if let Err(e) = crate::render::refresh_index(project, &wh).await {
                eprintln!("warning: the index page does not list the new bundle yet: {e}");
            }
            sayln!(
                "published run {} signed off by {}: {} files",
                m.run_id,
                m.signed_off_by,
                m.files.len()
            );
            sayln!("bundle: {}", path.display());
            sayln!(
                "check it any time with: osservatorio verify {}",
                path.display()
            );
            Ok(0)
        }
        Err(e @ (BundleError::NothingRendered(_) | BundleError::OtherRun { .. })) => {
            eprintln!("error: {e}");
            Ok(INVALID)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(FAILED)
        }
    }
}

/// Recomputes a bundle of `project` (a path, or a name under its published folder) from the data
/// files in its warehouse and prints whether every figure came out identical.
async fn reproduce(project: &Project, bundle: &std::path::Path) -> anyhow::Result<u8> {
    let path = if bundle.exists() {
        bundle.to_path_buf()
    } else {
        crate::publish::bundle::published_dir(project).join(bundle)
    };
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    let r = match crate::publish::reproduce::reproduce(&path, &wh).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(FAILED);
        }
    };
    let name = r
        .manifest
        .as_ref()
        .map_or_else(|| path.display().to_string(), |m| m.bundle.clone());
    if r.identical() {
        sayln!(
            "identical: {} figures of {name} computed again from its {} data files and its definitions",
            r.figures,
            r.data_files
        );
        // The office may have changed its definitions since: the bundle's own were used.
        for ind in &project.indicators {
            let signed = r
                .manifest
                .iter()
                .flat_map(|m| &m.indicators)
                .find(|i| i.id == ind.id);
            if let Some(i) = signed
                && i.definition != crate::indicators::definition_hash(ind)
            {
                sayln!(
                    "note: {} has been redefined since sign-off; the definition the bundle was computed with was used",
                    ind.id
                );
            }
        }
        return Ok(0);
    }
    for p in &r.problems {
        sayln!("PROBLEM {p}");
    }
    for d in &r.differences {
        sayln!("DIFFERS {d}");
    }
    sayln!(
        "not identical: {} of {} figures of {name} differ",
        r.differences.len(),
        r.figures
    );
    Ok(FAILED)
}

fn verify(bundle: &std::path::Path, key_files: &[PathBuf]) -> u8 {
    use crate::publish::signing::{KnownKey, parse_public_key};
    let mut keys = Vec::new();
    for path in key_files {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the public key: {e}"))
            .and_then(|t| parse_public_key(&t));
        match parsed {
            Ok(key) => keys.push(KnownKey {
                path: path.display().to_string(),
                key,
            }),
            Err(e) => {
                eprintln!(
                    "error: {}: {e}; give the .pub file of the key that signed the bundle",
                    path.display()
                );
                return INVALID;
            }
        }
    }
    match crate::publish::bundle::verify(bundle, &keys) {
        Ok(v) if v.ok() => {
            let m = &v.manifest;
            sayln!(
                "ok: {} files match the manifest of {} (run {}, signed off by {} on {})",
                m.files.len(),
                m.bundle,
                m.run_id,
                m.signed_off_by,
                m.signed_off_at
            );
            sayln!("{}", v.signature);
            0
        }
        Ok(v) => {
            let m = &v.manifest;
            for p in &v.mismatches {
                sayln!("MISMATCH {p}");
            }
            if !v.signature.ok() {
                sayln!("SIGNATURE {}", v.signature);
            }
            sayln!(
                "{}: {} of {} files do not match the manifest signed off by {}{}",
                m.bundle,
                v.mismatches.len(),
                m.files.len(),
                m.signed_off_by,
                if v.signature.ok() {
                    ""
                } else {
                    "; the signature does not hold"
                }
            );
            FAILED
        }
        Err(e) => {
            eprintln!("error: {e}");
            INVALID
        }
    }
}

async fn doctor(project: &Project, fix: bool) -> anyhow::Result<u8> {
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

async fn check(p: &ProjectArg, open_exports: bool) -> anyhow::Result<u8> {
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
    let project = match load(p) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
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
fn schema(out: Option<&std::path::Path>) -> anyhow::Result<u8> {
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

fn init(dir: &std::path::Path, kind: crate::init::Kind, locale: crate::init::Locale) -> u8 {
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
fn territories(regions: &[String]) -> anyhow::Result<u8> {
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
