//! The manual pages and the shell completions, generated from the same clap definitions as
//! `--help`: what the Debian package ships cannot drift from what the program accepts.
//! `osservatorio man --out DIR` and `osservatorio completions SHELL` are for packagers
//! (`packaging/build-deb.sh` runs them). They are parsed apart from the user's commands, so that
//! neither `--help`, nor the manual, nor the completions offer them.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use super::out::say;
use super::{FAILED, INVALID};

#[derive(Parser)]
#[command(
    name = "osservatorio",
    about = "Writes what the package ships beside the binary"
)]
enum Packaging {
    /// Print the completion script of a shell for every command and option
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages: osservatorio.1 and one osservatorio-COMMAND.1 per command
    Man {
        /// The folder to write the pages into (created if absent)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Runs a packaging command when `args` (program name first) name one; None otherwise.
pub(super) fn packaging(args: &[OsString]) -> Option<ExitCode> {
    let first = args.get(1).and_then(|a| a.to_str())?;
    if first != "man" && first != "completions" {
        return None;
    }
    let command = match Packaging::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return Some(ExitCode::from(if e.use_stderr() { INVALID } else { 0 }));
        }
    };
    let result = match command {
        Packaging::Completions { shell } => {
            completions(shell);
            Ok(())
        }
        Packaging::Man { out } => man(&out),
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(FAILED)
        }
    })
}

/// Prints the completion script of `shell` for the user's commands and options.
fn completions(shell: clap_complete::Shell) {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "osservatorio", &mut script);
    say!("{}", String::from_utf8_lossy(&script));
}

/// Writes `osservatorio.1` and one `osservatorio-COMMAND.1` per command into `dir` (created if
/// absent), each file whole or not at all, and prints each path.
fn man(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, page) in pages()? {
        let path = dir.join(&name);
        write_whole(&path, &page).with_context(|| format!("writing {}", path.display()))?;
        say!("{}\n", path.display());
    }
    Ok(())
}

/// Every manual page as (file name, roff text): the program's, then its commands' in the
/// order `--help` lists them. `help` is left out: it is `--help` under another name.
fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut top = super::Cli::command().disable_help_subcommand(true);
    top.build();
    let mut pages = vec![render(top.clone())?];
    for sub in top.get_subcommands() {
        pages.push(render(sub.clone())?);
    }
    Ok(pages)
}

fn render(cmd: clap::Command) -> anyhow::Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(cmd).manual("osservatorio manual");
    let mut text = Vec::new();
    man.render(&mut text)?;
    Ok((man.get_filename(), text))
}

/// Writes through a temporary file in the same folder, renamed over `path` once complete.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
