//! What can stop a render: a page or file that cannot be written, a template, a chart that cannot
//! be drawn, the indicator table. Each keeps its cause; `text` says it in a page's language.

use std::path::{Path, PathBuf};

use crate::config::Locale;

/// Why a render, or one dashboard of it, stopped.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file or folder of the output that cannot be written, moved or removed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV file of the output that cannot be written.
    #[error("{}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// An XLSX workbook that cannot be written.
    #[error("{}: {source}", path.display())]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// An ODS spreadsheet that cannot be written.
    #[error("{}: {source}", path.display())]
    Ods {
        path: PathBuf,
        #[source]
        source: crate::publish::ods::OdsError,
    },
    /// A JSON record of the render that cannot be written.
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A page's figures for statistical portals (SDMX-CSV) that cannot be written.
    #[error("{}: {source}", dir.display())]
    Sdmx {
        dir: PathBuf,
        #[source]
        source: Box<crate::publish::bundle::BundleError>,
    },
    /// A page template that does not load or render.
    #[error("template {name}: {source}")]
    Template {
        name: &'static str,
        #[source]
        source: minijinja::Error,
    },
    /// A chart that cannot be drawn or written.
    #[error("{chart}: {source}")]
    Chart {
        /// The chart's file name, `chart-03`.
        chart: String,
        #[source]
        source: super::charts::ChartError,
    },
    /// A map whose PNG cannot be drawn or written.
    #[error("{chart}: {source}")]
    Map {
        /// The map's file name, `chart-03`.
        chart: String,
        #[source]
        source: super::map::PngError,
    },
    /// A chart naming an indicator the project does not define.
    #[error("unknown indicator {id}")]
    UnknownIndicator { id: String },
    /// The data-quality findings that cannot be read.
    #[error(transparent)]
    Findings(#[from] crate::warehouse::WarehouseError),
    /// The indicator table that cannot be read or written.
    #[error(transparent)]
    Indicators(#[from] crate::indicators::IndicatorError),
}

/// An I/O error at `path`, for `map_err`.
pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A CSV error at `path`, for `map_err`.
pub(super) fn csv_error(path: &Path) -> impl Fn(csv::Error) -> RenderError + Copy + '_ {
    move |source| RenderError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// An XLSX error at `path`, for `map_err`.
pub(super) fn xlsx_error(
    path: &Path,
) -> impl Fn(rust_xlsxwriter::XlsxError) -> RenderError + Copy + '_ {
    move |source| RenderError::Xlsx {
        path: path.to_path_buf(),
        source,
    }
}

/// An ODS error at `path`, for `map_err`.
pub(super) fn ods_error(
    path: &Path,
) -> impl FnOnce(crate::publish::ods::OdsError) -> RenderError + '_ {
    move |source| RenderError::Ods {
        path: path.to_path_buf(),
        source,
    }
}

impl RenderError {
    /// The error in `locale`'s words, for the pages; the English one is its `Display`, the text
    /// the terminal and the run record show.
    pub fn text(&self, locale: Locale) -> String {
        match locale {
            Locale::En => self.to_string(),
            Locale::It => self.italian(),
        }
    }

    fn italian(&self) -> String {
        match self {
            RenderError::Io { path, source } => format!("{}: {}", path.display(), io_it(source)),
            RenderError::Csv { path, source } => match source.kind() {
                csv::ErrorKind::Io(e) => format!("{}: {}", path.display(), io_it(e)),
                _ => format!("{}: il CSV non si può scrivere: {source}", path.display()),
            },
            RenderError::Xlsx { path, source } => match source {
                rust_xlsxwriter::XlsxError::IoError(e) => {
                    format!("{}: {}", path.display(), io_it(e))
                }
                _ => format!(
                    "{}: il foglio XLSX non si può scrivere: {source}",
                    path.display()
                ),
            },
            RenderError::Ods { path, source } => {
                format!(
                    "{}: il foglio ODS non si può scrivere: {source}",
                    path.display()
                )
            }
            RenderError::Json { path, source } => {
                format!(
                    "{}: il file JSON non si può scrivere: {source}",
                    path.display()
                )
            }
            RenderError::Sdmx { dir, source } => format!(
                "{}: i dati per i portali statistici (SDMX-CSV) non si possono scrivere: {source}",
                dir.display()
            ),
            RenderError::Template { name, source } => {
                format!("il modello di pagina {name} non si può comporre: {source}")
            }
            RenderError::Chart { chart, source } => {
                format!(
                    "il grafico {chart} non si può disegnare: {}",
                    source.text(Locale::It)
                )
            }
            RenderError::Map { chart, source } => {
                format!("la mappa {chart} non si può disegnare: {source}")
            }
            RenderError::UnknownIndicator { id } => {
                format!("l'indicatore {id} non è definito in indicators/")
            }
            RenderError::Findings(e) => {
                format!("le segnalazioni sulla qualità dei dati non si possono leggere: {e}")
            }
            RenderError::Indicators(e) => {
                format!("la tabella degli indicatori non si può leggere o scrivere: {e}")
            }
        }
    }
}

/// An I/O error in Italian: what went wrong by its kind, with the system's own code.
pub(super) fn io_it(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "il file o la cartella non esiste",
        K::PermissionDenied => "permesso negato",
        K::AlreadyExists => "esiste già",
        K::NotADirectory => "non è una cartella",
        K::IsADirectory => "è una cartella, non un file",
        K::DirectoryNotEmpty => "la cartella non è vuota",
        K::StorageFull => "il disco è pieno",
        K::QuotaExceeded => "la quota del disco è esaurita",
        K::ReadOnlyFilesystem => "il disco è in sola lettura",
        K::InvalidFilename => "il nome del file non è valido",
        _ => return format!("errore di sistema: {e}"),
    };
    match e.raw_os_error() {
        Some(code) => format!("{what} (errore di sistema {code})"),
        None => what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_error_is_english_on_the_terminal_and_italian_on_an_italian_page() {
        let e = RenderError::Io {
            path: PathBuf::from("out/prova"),
            source: std::io::Error::from_raw_os_error(20),
        };
        assert_eq!(
            e.text(Locale::It),
            "out/prova: non è una cartella (errore di sistema 20)"
        );
        assert_eq!(e.text(Locale::En), e.to_string());
        assert!(e.to_string().starts_with("out/prova: "), "{e}");
        let e = RenderError::UnknownIndicator {
            id: "visite".into(),
        };
        assert_eq!(e.to_string(), "unknown indicator visite");
        assert_eq!(
            e.text(Locale::It),
            "l'indicatore visite non è definito in indicators/"
        );
    }

    #[test]
    fn an_io_error_keeps_its_source() {
        use std::error::Error as _;
        let e =
            io(Path::new("out/x.csv"))(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let source = e.source().expect("the I/O error as its source");
        assert_eq!(
            source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
            Some(std::io::ErrorKind::PermissionDenied)
        );
        assert_eq!(e.text(Locale::It), "out/x.csv: permesso negato");
    }
}
