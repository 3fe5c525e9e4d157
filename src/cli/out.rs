//! Standard output for a job: a reader that went away (`osservatorio run | head -1`) stops the
//! printing, never the job. Once a write fails, nothing more is printed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints `args` to standard output unless it has been closed.
pub(super) fn print(args: std::fmt::Arguments) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `print!` that ignores a closed standard output.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!($($arg)*))
    };
}

/// `println!` that ignores a closed standard output.
macro_rules! sayln {
    () => {
        $crate::cli::out::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(super) use {say, sayln};
