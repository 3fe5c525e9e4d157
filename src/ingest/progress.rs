//! What a person watching an ingest sees: a line per source that counts rows on a terminal, and
//! nothing extra when the output goes to a log (the per-source log lines say it there).

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of one ingest run.
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars on a terminal, none otherwise.
    pub fn new() -> Progress {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    /// A bar for one source, hidden when there is no terminal.
    pub fn source(&self, name: &str) -> SourceBar {
        let bar = match &self.multi {
            Some(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:<32} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            }
            None => ProgressBar::hidden(),
        };
        bar.set_prefix(name.to_string());
        bar.set_message("reading");
        SourceBar { bar }
    }
}

/// One source's line: rows read so far, then its final status.
#[derive(Clone)]
pub struct SourceBar {
    bar: ProgressBar,
}

impl SourceBar {
    /// Called once per downloaded chunk; indicatif redraws at most a few times a second.
    pub fn bytes(&self, bytes: u64) {
        if !self.bar.is_hidden() {
            self.bar
                .set_message(format!("{:.1} MB downloaded", bytes as f64 / 1e6));
        }
    }

    pub fn rows(&self, rows: u64) {
        if !self.bar.is_hidden() {
            self.bar.set_message(format!("{rows} rows read"));
        }
    }

    pub fn finish(&self, status: &str, rows: u64) {
        self.bar
            .finish_with_message(format!("{status}, {rows} rows"));
    }
}
