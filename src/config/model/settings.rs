//! The project settings: locale, warehouse, output, engine, publication.

use std::path::PathBuf;

use crate::config::period::Period;
use crate::config::raw::Text;

/// The language of pages, charts and messages meant for readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Italian, the default.
    It,
    /// English.
    En,
}

impl Locale {
    /// The ISO 639-1 code (`it`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Locale::It => "it",
            Locale::En => "en",
        }
    }

    /// Picks the text in this locale, falling back to Italian, then to any language given.
    pub fn pick(self, text: &Text) -> String {
        match text {
            Text::Plain(s) => s.clone(),
            Text::Localized(m) => m
                .get(self.code())
                .or_else(|| m.get("it"))
                .or_else(|| m.values().next())
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// `osservatorio.yaml`, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The project's name, shown on every page.
    pub name: String,
    /// The language pages are written in.
    pub locale: Locale,
    /// The time zone schedules fire in and run times are shown in.
    pub timezone: chrono_tz::Tz,
    /// A folder path (already resolved against the project) or an object-store URL.
    pub warehouse: String,
    /// The folder the report is rendered to (resolved against the project).
    pub output: PathBuf,
    /// The smallest count a published figure may show about people (`privacy.min_cell`).
    pub min_cell: u32,
    /// The plan periods (e.g. 2025-2027) that `plan` grains and roll-ups use.
    pub plan_periods: Vec<Period>,
    /// Where the indicator SQL runs.
    pub engine: Engine,
    /// What published bundles say about themselves (`publication:`).
    pub publication: Publication,
}

/// `publication:` the open-data catalogue's facts and the keys that may sign bundles.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The office that publishes (DCAT-AP_IT publisher and rights holder).
    pub publisher_name: String,
    /// Its IPA code (Indice delle Pubbliche Amministrazioni), when given.
    pub publisher_ipa: Option<String>,
    /// The licence URL.
    pub license: String,
    /// The EU data theme code (e.g. SOCI).
    pub theme: String,
    /// The EU frequency code (e.g. MONTHLY).
    pub frequency: String,
    /// The minisign public keys a bundle's signature is checked against (resolved paths).
    pub public_keys: Vec<PathBuf>,
    /// The narrowest feasible interval a small count may have in a bundle.
    pub protection: Option<f64>,
    /// Where the bundles are served from, for the catalogue's download links.
    pub base_url: Option<String>,
}

/// Where the indicator SQL runs; the figures are the same either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// In this process, with DataFusion.
    Local,
    /// On an Apache DataFusion Ballista cluster: its scheduler's `host:port`, or `standalone` for a
    /// scheduler and an executor started inside this process.
    Ballista(String),
}
