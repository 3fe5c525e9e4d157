//! `osservatorio.yaml`: name, locale, time zone, warehouse, output, privacy and plan periods.

use std::path::{Path, PathBuf};

use super::raw::{ProjectFile, PublicationFile, PublisherFile, TerritoriesSetting};
use super::{
    ConfigErrors, Engine, FileCtx, LineIndex, Locale, Period, Publication, Settings, Validation,
};

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
        let locale = check_locale(f.locale.as_deref(), ctx, errs);
        let timezone = check_timezone(f.timezone.as_deref(), ctx, errs);
        let warehouse = f.warehouse.unwrap_or_else(|| "warehouse/".to_string());
        let warehouse = if warehouse.contains("://") {
            warehouse
        } else {
            resolve(root, &warehouse).to_string_lossy().into_owned()
        };
        let plan_periods = check_plan_periods(f.plan_periods.unwrap_or_default(), ctx, errs);
        let settings = Settings {
            name: f.name.unwrap_or_else(|| "osservatorio".to_string()),
            locale,
            timezone,
            warehouse,
            output: resolve(root, f.output.as_deref().unwrap_or("out/")),
            min_cell: f.privacy.and_then(|p| p.min_cell).unwrap_or(5),
            plan_periods,
            engine: check_engine(f.engine.as_deref(), ctx, errs),
            publication: Publication::default(),
        };
        let territories = check_territories(f.territories, root, ctx, errs);
        let mut settings = settings;
        settings.publication = check_publication(
            f.publication.unwrap_or_default(),
            &settings.name,
            root,
            ctx,
            errs,
        );
        (settings, territories)
    }
}

fn check_locale(locale: Option<&str>, ctx: &FileCtx, errs: &mut ConfigErrors) -> Locale {
    match locale {
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
    }
}

fn check_timezone(tz: Option<&str>, ctx: &FileCtx, errs: &mut ConfigErrors) -> chrono_tz::Tz {
    match tz {
        None => chrono_tz::Europe::Rome,
        Some(tz) => tz.parse().unwrap_or_else(|_| {
            ctx.err(
                errs,
                "timezone",
                format!("'{tz}' is not an IANA time zone; use a name such as Europe/Rome"),
            );
            chrono_tz::Europe::Rome
        }),
    }
}

fn check_plan_periods(given: Vec<String>, ctx: &FileCtx, errs: &mut ConfigErrors) -> Vec<Period> {
    let mut plan_periods = Vec::new();
    for (i, p) in given.iter().enumerate() {
        match Period::parse(p) {
            Some(pp @ Period::Plan { .. }) => plan_periods.push(pp),
            _ => ctx.err(
                errs,
                &format!("plan_periods[{i}]"),
                format!("'{p}' is not a plan period; write it as \"2025-2027\""),
            ),
        }
    }
    plan_periods
}

/// Where the territories come from: a file (territories.csv unless named) or official lists.
fn check_territories(
    setting: Option<TerritoriesSetting>,
    root: &Path,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) -> TerritorySource {
    let o = match setting {
        None => return TerritorySource::File(resolve(root, "territories.csv")),
        Some(TerritoriesSetting::File(p)) => return TerritorySource::File(resolve(root, &p)),
        Some(TerritoriesSetting::Official(o)) => o,
    };
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

/// The EU data themes (publications.europa.eu authority table data-theme).
pub const EU_THEMES: [&str; 14] = [
    "AGRI",
    "ECON",
    "EDUC",
    "ENER",
    "ENVI",
    "GOVE",
    "HEAL",
    "INTR",
    "JUST",
    "OP_DATPRO",
    "REGI",
    "SOCI",
    "TECH",
    "TRAN",
];

/// The EU frequencies (publications.europa.eu authority table frequency) a catalogue may give.
pub const EU_FREQUENCIES: [&str; 17] = [
    "ANNUAL",
    "ANNUAL_2",
    "ANNUAL_3",
    "BIENNIAL",
    "BIMONTHLY",
    "BIWEEKLY",
    "CONT",
    "DAILY",
    "IRREG",
    "MONTHLY",
    "MONTHLY_2",
    "MONTHLY_3",
    "QUARTERLY",
    "TRIENNIAL",
    "UNKNOWN",
    "UPDATE_CONT",
    "WEEKLY",
];

impl Default for Publication {
    fn default() -> Self {
        Publication {
            publisher_name: String::new(),
            publisher_ipa: None,
            license: "https://creativecommons.org/licenses/by/4.0/".to_string(),
            theme: "SOCI".to_string(),
            frequency: "IRREG".to_string(),
            public_keys: Vec::new(),
            protection: None,
            base_url: None,
        }
    }
}

/// `publication:` publisher, licence, EU theme and frequency, and the public keys (each a file that
/// holds a minisign public key).
fn check_publication(
    f: PublicationFile,
    project_name: &str,
    root: &Path,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) -> Publication {
    let mut out = Publication {
        publisher_name: project_name.to_string(),
        ..Publication::default()
    };
    if let Some(p) = f.publisher {
        check_publisher(p, &mut out, ctx, errs);
    }
    if let Some(l) = f.license.map(|l| l.trim().to_string()) {
        if url::Url::parse(&l).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            out.license = l;
        } else {
            ctx.err(
                errs,
                "publication.license",
                format!(
                    "'{l}' is not a licence URL; write it as https://creativecommons.org/licenses/by/4.0/"
                ),
            );
        }
    }
    if let Some(t) = eu_code(
        f.theme,
        &EU_THEMES,
        "publication.theme",
        "an EU data theme",
        ctx,
        errs,
    ) {
        out.theme = t;
    }
    let kind = "an EU frequency";
    if let Some(fr) = eu_code(
        f.frequency,
        &EU_FREQUENCIES,
        "publication.frequency",
        kind,
        ctx,
        errs,
    ) {
        out.frequency = fr;
    }
    out.public_keys = public_keys(&f.public_keys, root, ctx, errs);
    if let Some(p) = f.protection {
        if p.is_finite() && p >= 0.0 {
            out.protection = Some(p);
        } else {
            ctx.err(
                errs,
                "publication.protection",
                format!("{p} is not a width; give a count of people such as 1"),
            );
        }
    }
    out.base_url = f.base_url.and_then(|b| check_base_url(b.trim(), ctx, errs));
    out
}

/// `given`, in capitals, when it is one of the EU vocabulary's codes `allowed` (`kind` names it).
fn eu_code(
    given: Option<String>,
    allowed: &[&str],
    key: &str,
    kind: &str,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) -> Option<String> {
    let code = given?.trim().to_uppercase();
    if allowed.contains(&code.as_str()) {
        return Some(code);
    }
    ctx.err(
        errs,
        key,
        format!("'{code}' is not {kind}; use one of {}", allowed.join(", ")),
    );
    None
}

/// Where the bundles are served, ending in `/`.
fn check_base_url(b: &str, ctx: &FileCtx, errs: &mut ConfigErrors) -> Option<String> {
    if url::Url::parse(b).is_err() {
        ctx.err(
            errs,
            "publication.base_url",
            format!(
                "'{b}' is not a URL; give where the bundles are served, e.g. https://dati.example.it/osservatorio/"
            ),
        );
        return None;
    }
    Some(if b.ends_with('/') {
        b.to_string()
    } else {
        format!("{b}/")
    })
}

/// Who publishes: the office's name (the project's by default) and its IPA code.
fn check_publisher(
    p: PublisherFile,
    out: &mut Publication,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) {
    if let Some(name) = p.name.filter(|n| !n.trim().is_empty()) {
        out.publisher_name = name.trim().to_string();
    }
    match p.ipa.map(|c| c.trim().to_string()) {
        Some(ipa)
            if ipa.is_empty()
                || !ipa
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            ctx.err(
                errs,
                "publication.publisher.ipa",
                format!(
                    "'{ipa}' is not an IPA code; give the office's code in the Indice delle Pubbliche Amministrazioni, e.g. \"m_it\""
                ),
            )
        }
        ipa => out.publisher_ipa = ipa,
    }
}

/// The minisign public keys signatures are checked against, each one read and parsed.
fn public_keys(
    given: &[String],
    root: &Path,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) -> Vec<PathBuf> {
    let mut keys = Vec::new();
    for (i, k) in given.iter().enumerate() {
        let key = format!("publication.public_keys[{i}]");
        let path = resolve(root, k);
        match std::fs::read_to_string(&path) {
            Err(e) => ctx.err(
                errs,
                &key,
                format!(
                    "cannot read the public key {}: {e}; give the path of a minisign public key (KEY.pub)",
                    path.display()
                ),
            ),
            Ok(text) => match crate::values::keys::parse_public_key(&text) {
                Ok(_) => keys.push(path),
                Err(e) => ctx.err(
                    errs,
                    &key,
                    format!("{}: {e}", path.display()),
                ),
            },
        }
    }
    keys
}
