//! `osservatorio.yaml`: name, locale, time zone, warehouse, output, privacy and plan periods.

use std::path::{Path, PathBuf};

use super::raw::{ProjectFile, TerritoriesSetting};
use super::{ConfigErrors, Engine, FileCtx, LineIndex, Locale, Period, Settings, Validation};

/// The context of a file that is absent or did not parse: problems name it without a line.
pub(super) fn no_ctx(name: &str) -> FileCtx {
    FileCtx {
        shown: PathBuf::from(name),
        index: LineIndex::default(),
    }
}

/// A path from a YAML file, relative to the project unless absolute.
pub(super) fn resolve(root: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

impl Validation {
    /// The project's settings, and where its territories come from.
    pub(super) fn check_settings(
        &mut self,
        f: ProjectFile,
        ctx: &FileCtx,
    ) -> (Settings, TerritorySource) {
        let root = self.root.as_path();
        let errs = &mut self.errs;
        let locale = match f.locale.as_deref() {
            None | Some("it") => Locale::It,
            Some("en") => Locale::En,
            Some(other) => {
                ctx.err(
                    errs,
                    "locale",
                    format!("'{other}' is not a supported locale; use it or en"),
                );
                Locale::It
            }
        };
        let timezone = match f.timezone.as_deref() {
            None => chrono_tz::Europe::Rome,
            Some(tz) => tz.parse().unwrap_or_else(|_| {
                ctx.err(
                    errs,
                    "timezone",
                    format!("'{tz}' is not an IANA time zone; use a name such as Europe/Rome"),
                );
                chrono_tz::Europe::Rome
            }),
        };
        let warehouse = f.warehouse.unwrap_or_else(|| "warehouse/".to_string());
        let warehouse = if warehouse.contains("://") {
            warehouse
        } else {
            resolve(root, &warehouse).to_string_lossy().into_owned()
        };
        let mut plan_periods = Vec::new();
        for (i, p) in f.plan_periods.unwrap_or_default().iter().enumerate() {
            match Period::parse(p) {
                Some(pp @ Period::Plan { .. }) => plan_periods.push(pp),
                _ => ctx.err(
                    errs,
                    &format!("plan_periods[{i}]"),
                    format!("'{p}' is not a plan period; write it as \"2025-2027\""),
                ),
            }
        }
        let settings = Settings {
            name: f.name.unwrap_or_else(|| "osservatorio".to_string()),
            locale,
            timezone,
            warehouse,
            output: resolve(root, f.output.as_deref().unwrap_or("out/")),
            min_cell: f.privacy.and_then(|p| p.min_cell).unwrap_or(5),
            plan_periods,
            engine: check_engine(f.engine.as_deref(), ctx, errs),
        };
        let territories = match f.territories {
            None => TerritorySource::File(resolve(root, "territories.csv")),
            Some(TerritoriesSetting::File(p)) => TerritorySource::File(resolve(root, &p)),
            Some(TerritoriesSetting::Official(o)) => {
                if o.istat.is_empty() {
                    ctx.err(
                        errs,
                        "territories.istat",
                        "name at least one region by its ISTAT code, e.g. istat: [\"05\"] for Veneto",
                    );
                }
                let mut regions = Vec::new();
                for (i, r) in o.istat.iter().map(|r| r.text()).enumerate() {
                    match super::istat::region(&r) {
                        Some(reg) => regions.push(reg.istat.clone()),
                        None => ctx.err(
                            errs,
                            &format!("territories.istat[{i}]"),
                            format!(
                                "'{r}' is not an ISTAT region code; the regions are {}",
                                super::istat::region_list()
                            ),
                        ),
                    }
                }
                TerritorySource::Official {
                    regions,
                    extra: o.extra.map(|e| resolve(root, &e)),
                }
            }
        };
        (settings, territories)
    }
}

/// Where a project's territories come from.
pub(super) enum TerritorySource {
    /// A territories.csv holding all of them.
    File(PathBuf),
    /// The official lists of these regions (ISTAT codes), with the office's own units from `extra`.
    Official {
        regions: Vec<String>,
        extra: Option<PathBuf>,
    },
}

/// `engine: local` or `engine: ballista://HOST:PORT` (`ballista://standalone` starts a scheduler and
/// an executor in this process).
fn check_engine(given: Option<&str>, ctx: &FileCtx, errs: &mut ConfigErrors) -> Engine {
    let Some(given) = given.map(str::trim).filter(|g| *g != "local") else {
        return Engine::Local;
    };
    let Some(target) = given.strip_prefix("ballista://") else {
        ctx.err(
            errs,
            "engine",
            format!("'{given}' is not an engine; write local or ballista://HOST:PORT"),
        );
        return Engine::Local;
    };
    let valid = target == "standalone"
        || target
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !valid {
        ctx.err(
            errs,
            "engine",
            format!("'{given}' names no scheduler; write ballista://HOST:PORT, e.g. ballista://scheduler:50050"),
        );
        return Engine::Local;
    }
    if !cfg!(feature = "ballista") {
        ctx.err(
            errs,
            "engine",
            "this build of osservatorio runs indicators locally only; build it with `cargo build --release --features ballista` to use a Ballista cluster",
        );
        return Engine::Local;
    }
    Engine::Ballista(target.to_string())
}
