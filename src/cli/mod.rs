//! The command line: parses arguments, loads the project, calls the stages, sets the exit status.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod docs;
mod inspect;
mod jobs;
mod load;
mod out;
mod release;
mod setup;

use args::{Cli, Command, Inspect, LogFormat};
use load::{Selects, known_sources, load, load_selecting};
use out::{say, sayln};

/// Exit statuses: 0 all good, 1 a source, indicator or dashboard failed, 2 invalid configuration or usage.
const FAILED: u8 = 1;
const INVALID: u8 = 2;

/// A command that ends early with an exit status, its reasons already printed: `main` maps it to
/// the status, and any other error to FAILED after printing it.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
struct ExitStatus(u8);

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
    // Refused once here, so nothing later reads a malformed value as the system clock.
    if let Err(e) = crate::clock::fixed_now() {
        eprintln!("error: {e}");
        return ExitCode::from(INVALID);
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
        Err(e) if e.downcast_ref::<ExitStatus>().is_some() => {
            ExitCode::from(e.downcast_ref::<ExitStatus>().map_or(FAILED, |s| s.0))
        }
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::from(FAILED)
        }
    };
    // Everything the command publishes has been awaited by now. What may still run is the work of
    // a run abandoned at a stop (a parser reading on): waiting for it would keep a stopping
    // scheduler alive for as long as that export takes, and its files are named by no manifest.
    runtime.shutdown_background();
    code
}

/// An error and each of its causes that its message does not already tell: typed errors name
/// their cause in their message and carry it as their source too, which `{:#}` would print twice.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Runs one command; its exit status, or an error `main` maps to one.
async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Check { p, no_exports } => setup::check(&p, !no_exports).await,
        Command::Doctor { p, fix } => setup::doctor(&load(&p)?, fix).await,
        Command::Schema { out } => setup::schema(out.as_deref()),
        Command::Territories { istat } => setup::territories(&istat),
        Command::Draft {
            export,
            table,
            source,
        } => Ok(setup::draft(&export, table, source)),
        Command::Init { dir, kind, locale } => Ok(setup::init(&dir, kind, locale)),
        Command::Schedule {
            p,
            dry_run,
            stop_timeout,
        } => setup::schedule(&load(&p)?, dry_run, stop_timeout).await,
        Command::Inspect(c) => inspect_command(c).await,
        Command::Publish {
            p,
            by,
            note,
            run,
            sign,
        } => {
            let (note, run, sign) = (note.as_deref(), run.as_deref(), sign.as_deref());
            release::publish(&load(&p)?, &by, note, run, sign).await
        }
        Command::Verify {
            bundle,
            p,
            public_key,
        } => release::verify_command(&p, bundle, public_key),
        Command::Reproduce { bundle, p } => release::reproduce(&load(&p)?, &bundle).await,
        Command::Run {
            p,
            pipelines,
            full,
            accept,
        } => jobs::run(&p, &pipelines, full, accept).await,
        Command::Ingest {
            p,
            pipelines,
            full,
            accept,
        } => jobs::ingest(&p, &pipelines, full, accept).await,
        Command::Compute { p, indicators } => jobs::compute(&p, &indicators).await,
        Command::Render {
            p,
            dashboards,
            pdf,
            annex,
        } => jobs::render(&p, &dashboards, pdf, annex).await,
    }
}

/// The commands that look without changing anything.
async fn inspect_command(command: Inspect) -> anyhow::Result<u8> {
    match command {
        Inspect::Runs {
            p,
            pipeline,
            failed,
            limit,
            format,
        } => {
            let filter = inspect::RunsFilter {
                pipeline,
                failed,
                limit,
            };
            say!("{}", inspect::runs(&load(&p)?, &filter, format).await?);
            Ok(0)
        }
        Inspect::Explain { indicator, p } => {
            let project = load_selecting(&p, Selects::Indicator, std::slice::from_ref(&indicator))?;
            say!("{}", inspect::explain(&project, &indicator).await?);
            Ok(0)
        }
        Inspect::History {
            indicator,
            p,
            territory,
            period,
            format,
        } => {
            let project = load_selecting(&p, Selects::Indicator, std::slice::from_ref(&indicator))?;
            let (territory, period) = (territory.as_deref(), period.as_deref());
            say!(
                "{}",
                inspect::history(&project, &indicator, territory, period, format).await?
            );
            Ok(0)
        }
        Inspect::Findings { p, source, format } => {
            let project = known_sources(load(&p)?, source.as_slice())?;
            let out = inspect::findings(&project, source.as_deref(), format).await?;
            say!("{out}");
            Ok(0)
        }
        Inspect::Deliveries { p, source, format } => {
            let project = known_sources(load(&p)?, source.as_slice())?;
            let out = inspect::deliveries(&project, source.as_deref(), format).await?;
            say!("{out}");
            Ok(0)
        }
        Inspect::Query { sql, p, format } => {
            match inspect::query(&load(&p)?, &sql, format).await? {
                Ok(out) => {
                    sayln!("{out}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(INVALID)
                }
            }
        }
    }
}
