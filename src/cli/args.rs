//! The command line's arguments: every command, its options and their help (the man pages and shell
//! completions are rendered from these same definitions).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::inspect;

#[derive(Parser)]
#[command(
    name = "osservatorio",
    version,
    about = "Indicators and reports for migrant reception and integration programmes",
    long_about = "Indicators and reports for migrant reception and integration programmes.\n\nStart a project with `osservatorio init DIR` (a small working one, every file commented), then `osservatorio check --project DIR` and `osservatorio run --project DIR`: the report is DIR/out/index.html.",
    after_help = "Environment: OSSERVATORIO_LOG sets the log filter; OSSERVATORIO_TODAY=YYYY-MM-DD fixes today's date (which follow-up windows are still open), for tests and reproducible reports."
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
    /// Log lines on stderr as text, or as one JSON object per line for a log collector
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub(super) log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
pub(super) struct ProjectArg {
    /// The project folder (holding osservatorio.yaml, pipelines/, indicators/, dashboards/)
    #[arg(long, default_value = ".")]
    pub(super) project: PathBuf,
}

#[derive(Subcommand)]
pub(super) enum Command {
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
    /// The commands that look without changing anything
    #[command(flatten)]
    Inspect(Inspect),
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
}

/// The commands that look at the project's stored state and change nothing.
#[derive(Subcommand)]
pub(super) enum Inspect {
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
