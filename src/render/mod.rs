//! Render: static, self-contained dashboards from the computed indicator table and the warehouse
//! manifests only, so it can run on its own after `compute`.

pub mod annex;
mod changes;
pub mod charts;
mod data;
pub mod format;
mod inputs;
mod judged;
pub mod labels;
mod map;
pub mod pdf;
mod png;
mod quality;
mod summary;
mod tables;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::config::{Chart, Dashboard, Grain, Indicator, Kind, Locale, Period, Project, Unit};
use crate::indicators::lineage::Lineage;
use crate::indicators::output;
use crate::indicators::targets::Status;
use crate::publish::{CONFIDENTIAL, PublishedFigure, PublishedFigures};
use crate::warehouse::Warehouse;
use crate::warehouse::findings::Finding;
use crate::warehouse::manifest::SourceManifest;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Io(String),
    #[error("template: {0}")]
    Template(String),
    #[error(transparent)]
    Indicators(#[from] crate::indicators::IndicatorError),
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DashboardOutcome {
    pub dashboard: String,
    pub path: String,
    pub charts: usize,
    pub error: Option<String>,
}

fn io(path: &Path, e: impl std::fmt::Display) -> RenderError {
    RenderError::Io(format!("{}: {e}", path.display()))
}

/// The published figures, indexed for the lookups charts make. Every figure a chart or table asks
/// for is remembered, so the page's `data.csv` lists exactly what the page shows.
pub struct Figures {
    published: PublishedFigures,
    shown: RefCell<BTreeSet<(String, String, String)>>,
    /// What the chart being drawn asked for, in order.
    in_chart: RefCell<Vec<(String, String, String)>>,
}

impl Figures {
    pub fn new(published: PublishedFigures) -> Figures {
        Figures {
            published,
            shown: RefCell::new(BTreeSet::new()),
            in_chart: RefCell::new(Vec::new()),
        }
    }

    pub fn get(&self, indicator: &str, territory: &str, period: &str) -> Option<&PublishedFigure> {
        let f = self.published.get(indicator, territory, period)?;
        let key = (
            indicator.to_string(),
            territory.to_string(),
            period.to_string(),
        );
        self.in_chart.borrow_mut().push(key.clone());
        self.shown.borrow_mut().insert(key);
        Some(f)
    }

    /// The figures the current chart asked for since the last call, each once, in the order asked.
    pub fn take_chart(&self) -> Vec<&PublishedFigure> {
        let keys = std::mem::take(&mut *self.in_chart.borrow_mut());
        let mut seen = BTreeSet::new();
        keys.into_iter()
            .filter(|k| seen.insert(k.clone()))
            .filter_map(|(i, t, p)| self.published.get(&i, &t, &p))
            .collect()
    }

    /// The figures asked for since the last call, in indicator, territory and period order.
    pub fn take_shown(&self) -> Vec<&PublishedFigure> {
        let keys = std::mem::take(&mut *self.shown.borrow_mut());
        keys.iter()
            .filter_map(|(i, t, p)| self.published.get(i, t, p))
            .collect()
    }

    /// The periods of `grain` the indicator has figures for, in time order, within `range`.
    pub fn periods(
        &self,
        indicator: &str,
        grain: Grain,
        range: Option<(Period, Period)>,
    ) -> Vec<Period> {
        self.periods_where(indicator, grain, range, |_| true)
    }

    /// Like `periods`, keeping those whose figures pass `keep`. A plan period counts when it
    /// overlaps the range: a three-year plan rarely fits inside a report's months.
    fn periods_where(
        &self,
        indicator: &str,
        grain: Grain,
        range: Option<(Period, Period)>,
        keep: impl Fn(&PublishedFigure) -> bool,
    ) -> Vec<Period> {
        let in_range = |p: &Period| match (range, p) {
            (None, _) => true,
            (Some((from, to)), Period::Plan { .. }) => {
                p.first_month() <= to.last_month() && p.last_month() >= from.first_month()
            }
            (Some((from, to)), _) => p.inside(from, to),
        };
        let set: BTreeSet<(i32, u32, Grain, String)> = self
            .published
            .by_key
            .values()
            .filter(|r| r.indicator == indicator && r.grain == grain.as_str() && keep(r))
            .filter_map(|r| Period::parse(&r.period))
            .filter(in_range)
            .map(|p| {
                let (y, m, g) = p.sort_key();
                (y, m, g, p.to_string())
            })
            .collect();
        set.into_iter()
            .filter_map(|(_, _, _, s)| Period::parse(&s))
            .collect()
    }
}

pub struct Ctx<'a> {
    pub project: &'a Project,
    pub figures: &'a Figures,
    pub locale: Locale,
    /// What each indicator reads and when that last changed, for the notes under charts.
    pub lineage: &'a Lineage,
    /// Each source's manifest, in project order.
    pub manifests: &'a [Option<SourceManifest>],
    /// Every data-quality finding of the warehouse.
    pub findings: &'a [Finding],
    /// Per indicator, its figures' territories that are not in the territories.
    pub unknown: &'a std::collections::BTreeMap<String, Vec<String>>,
}

impl Ctx<'_> {
    fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.project.indicator(id)
    }

    fn title(&self, ind: &Indicator) -> String {
        self.locale.pick(&ind.title)
    }

    fn description(&self, ind: &Indicator) -> Option<String> {
        ind.description.as_ref().map(|t| self.locale.pick(t))
    }

    /// A value as published, without the provisional mark: for tiles, whose badge says it.
    pub fn shown_unmarked(&self, ind: &Indicator, row: Option<&PublishedFigure>) -> String {
        let Some(row) = row else { return "—".into() };
        if row.suppressed() {
            return CONFIDENTIAL.into();
        }
        row.value
            .map(|v| format::value(v, ind.unit, self.locale))
            .unwrap_or_else(|| "—".into())
    }

    /// A value as published: `c` when suppressed, formatted in the locale otherwise, and
    /// "(provvisorio)" beside it while its follow-up window is open.
    pub fn shown(&self, ind: &Indicator, row: Option<&PublishedFigure>) -> String {
        let value = self.shown_unmarked(ind, row);
        let Some(row) = row else { return value };
        // An outcome still within its follow-up window says so beside its value.
        if row.provisional && row.value.is_some() && !row.suppressed() {
            format!(
                "{value} ({})",
                format::status(Status::Provisional, self.locale)
            )
        } else {
            value
        }
    }

    /// A value for a chart: None when missing or suppressed.
    fn plotted(&self, row: Option<&PublishedFigure>) -> Option<f64> {
        row?.value
    }
}

#[derive(Serialize)]
struct Download {
    href: String,
    label: String,
}

/// Links to a chart's files, one per extension.
/// Links to a chart's data files, labelled as data.
fn data_downloads(name: &str, locale: Locale) -> Vec<Download> {
    let word = labels::labels(locale).data;
    ["csv", "xlsx", "ods"]
        .iter()
        .map(|e| Download {
            href: format!("{name}.{e}"),
            label: format!("{word} {}", e.to_uppercase()),
        })
        .collect()
}

fn downloads(name: &str, extensions: &[&str]) -> Vec<Download> {
    extensions
        .iter()
        .map(|e| Download {
            href: format!("{name}.{e}"),
            label: e.to_uppercase(),
        })
        .collect()
}

#[derive(Serialize, Default)]
struct PageChart {
    title: String,
    image: Option<String>,
    table: Option<tables::TableView>,
    tiles: Vec<summary::Tile>,
    caption: Option<String>,
    definitions: Vec<DefinitionNote>,
    downloads: Vec<Download>,
}

/// What a chart's indicator measures and where its figures come from.
#[derive(Serialize)]
struct DefinitionNote {
    title: String,
    kind: String,
    description: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    tables: String,
    definition: String,
    last_data: String,
}

fn kind_label(kind: Kind, locale: Locale) -> &'static str {
    let l = labels::labels(locale);
    match kind {
        Kind::Output => l.kind_output,
        Kind::Process => l.kind_process,
        Kind::Outcome => l.kind_outcome,
    }
}

fn definition_notes(ctx: &Ctx, ids: &[&str]) -> Vec<DefinitionNote> {
    ids.iter()
        .filter_map(|id| ctx.indicator(id))
        .map(|ind| DefinitionNote {
            title: ctx.title(ind),
            kind: kind_label(ind.kind, ctx.locale).to_string(),
            description: ctx.description(ind),
            numerator: ind.numerator.as_ref().map(|t| ctx.locale.pick(t)),
            denominator: ind.denominator.as_ref().map(|t| ctx.locale.pick(t)),
            tables: ctx
                .lineage
                .tables
                .get(&ind.id)
                .map(|t| t.join(", "))
                .unwrap_or_default(),
            definition: crate::indicators::definition_hash(ind)
                .chars()
                .take(12)
                .collect(),
            last_data: ctx
                .lineage
                .last_data_of(&ind.id)
                .map(|t| format::datetime(t, ctx.project.settings.timezone, ctx.locale))
                .unwrap_or_else(|| "—".into()),
        })
        .collect()
}

/// Every (indicator, territory) a dashboard shows, in the order its charts show them, with the
/// periods the dashboard judges.
fn dashboard_pairs<'a>(
    project: &Project,
    d: &Dashboard,
    judged: &'a judged::Judged,
) -> Vec<summary::Pair<'a>> {
    let mut out: Vec<summary::Pair> = Vec::new();
    for c in d.sections.iter().flat_map(|s| &s.charts) {
        for t in c.territories(&project.territories) {
            for id in c.indicators() {
                if !out.iter().any(|p| p.indicator == id && p.territory == t) {
                    out.push(summary::Pair {
                        indicator: id.to_string(),
                        territory: t.clone(),
                        judged,
                    });
                }
            }
        }
    }
    out
}

#[derive(Serialize)]
struct PageSection {
    title: String,
    text: Option<String>,
    charts: Vec<PageChart>,
}

fn environment() -> Result<minijinja::Environment<'static>, RenderError> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, src) in [
        ("base.html", include_str!("templates/base.html")),
        ("dashboard.html", include_str!("templates/dashboard.html")),
        ("glance.html", include_str!("templates/glance.html")),
        ("index.html", include_str!("templates/index.html")),
    ] {
        env.add_template(name, src)
            .map_err(|e| RenderError::Template(e.to_string()))?;
    }
    Ok(env)
}

/// Removes what a render that was killed left in the output folder: a dashboard's staging folder
/// (`.ID-RUN`), the previous pages set aside while swapping (`ID.old`) and half-written files
/// (`.tmp*`). Only while holding the run lock, so no render in progress is using them.
pub fn remove_leftovers(project: &Project) {
    let out = &project.settings.output;
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let staging = project.dashboards.iter().any(|d| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(d.id.as_str()))
                .is_some_and(|rest| rest.starts_with('-'))
                || name == format!("{}.old", d.id)
        });
        let path = e.path();
        let removed = if staging && path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if name.starts_with(".tmp") && path.is_file() {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        match removed {
            Ok(()) => tracing::info!(path = %path.display(), "removed what a stopped render left"),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot remove what a stopped render left: {e}")
            }
        }
    }
}

/// Renders the selected dashboards (all when `only` is empty) and the index page.
pub async fn render(
    project: &Project,
    wh: &Warehouse,
    run_id: &str,
    only: &[String],
) -> Result<Vec<DashboardOutcome>, RenderError> {
    let out = &project.settings.output;
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    remove_leftovers(project);
    let rows = output::read(out)?;
    let unknown = crate::indicators::unknown_territories(project, &rows);
    let figures = Figures::new(crate::publish::published_figures(project, rows));
    let manifests = load_manifests(project, wh).await;
    let drawn_from = inputs::fingerprint(project, &manifests);
    // Forgotten while the pages are redrawn: a render that stops halfway is never taken as done.
    inputs::record(project, None).map_err(RenderError::Io)?;
    let lineage = crate::indicators::lineage::lineage(project, &manifests).await;
    // The data-quality findings of every source, for the office and the report.
    let found = crate::warehouse::findings::read_all(project, wh, None)
        .await
        .map_err(|e| RenderError::Io(e.to_string()))?;
    let ctx = Ctx {
        project,
        figures: &figures,
        locale: project.settings.locale,
        lineage: &lineage,
        manifests: &manifests,
        findings: &found,
        unknown: &unknown,
    };
    let env = environment()?;
    let generated = format::datetime(
        &chrono::Utc::now().to_rfc3339(),
        project.settings.timezone,
        ctx.locale,
    );
    let mut outcomes = Vec::new();
    for d in project
        .dashboards
        .iter()
        .filter(|d| only.is_empty() || only.contains(&d.id))
    {
        let outcome = match render_dashboard(&ctx, &env, d, run_id, &generated) {
            Ok(charts) => DashboardOutcome {
                dashboard: d.id.clone(),
                path: out.join(&d.id).join("index.html").display().to_string(),
                charts,
                error: None,
            },
            Err(e) => {
                tracing::error!(dashboard = %d.id, "{e}");
                DashboardOutcome {
                    dashboard: d.id.clone(),
                    path: String::new(),
                    charts: 0,
                    error: Some(format!("{}: dashboard {}: {e}", d.file.display(), d.id)),
                }
            }
        };
        outcomes.push(outcome);
    }
    render_index(&ctx, &env, &outcomes, run_id, &generated)?;
    let csv = crate::warehouse::findings::to_csv(&found).map_err(|e| io(out, e))?;
    output::write_atomic(&out.join("findings.csv"), &csv)?;
    let record = crate::publish::bundle::RenderRecord {
        run_id: run_id.to_string(),
        rendered_at: chrono::Utc::now().to_rfc3339(),
        dashboards: project
            .dashboards
            .iter()
            .filter(|d| out.join(&d.id).join("index.html").exists())
            .map(|d| d.id.clone())
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| io(out, e))?;
    output::write_atomic(&out.join(crate::publish::bundle::RENDER_RECORD), &json)?;
    let full = only.is_empty() && outcomes.iter().all(|o| o.error.is_none());
    inputs::record(project, full.then_some(drawn_from.as_str())).map_err(RenderError::Io)?;
    Ok(outcomes)
}

/// Whether nothing the report is drawn from changed since it was last rendered in full, and the
/// report is still all there: then rendering it again would draw the same pages.
pub async fn unchanged_since_last_render(project: &Project, wh: &Warehouse) -> bool {
    let manifests = load_manifests(project, wh).await;
    inputs::unchanged(project, &inputs::fingerprint(project, &manifests))
}

/// Rewrites the index page alone (after a sign-off, so it lists the new bundle), keeping the run
/// the rendered reports come from.
pub async fn refresh_index(project: &Project, wh: &Warehouse) -> Result<(), RenderError> {
    let out = &project.settings.output;
    let Some(record) = crate::publish::bundle::render_record(out) else {
        return Ok(());
    };
    let figures = Figures::new(crate::publish::published_figures(
        project,
        output::read(out)?,
    ));
    let manifests = load_manifests(project, wh).await;
    let lineage = Lineage::default();
    let ctx = Ctx {
        project,
        figures: &figures,
        locale: project.settings.locale,
        lineage: &lineage,
        manifests: &manifests,
        findings: &[],
        unknown: &Default::default(),
    };
    let generated = format::datetime(&record.rendered_at, project.settings.timezone, ctx.locale);
    render_index(&ctx, &environment()?, &[], &record.run_id, &generated)
}

async fn load_manifests(project: &Project, wh: &Warehouse) -> Vec<Option<SourceManifest>> {
    let mut out = Vec::new();
    for s in &project.sources {
        out.push(
            wh.get_json::<SourceManifest>(&wh.manifest_path(&s.name))
                .await
                .ok()
                .flatten(),
        );
    }
    out
}

fn period_range_label(ctx: &Ctx, d: &Dashboard) -> String {
    match d.period {
        Some((from, to)) => format!(
            "{} – {}",
            format::period(&from.to_string(), ctx.locale),
            format::period(&to.to_string(), ctx.locale)
        ),
        None => labels::labels(ctx.locale).all_periods.to_string(),
    }
}

/// Renders one dashboard into a fresh folder and swaps it into place, so a failed render leaves
/// the previous pages intact.
fn render_dashboard(
    ctx: &Ctx,
    env: &minijinja::Environment,
    d: &Dashboard,
    run_id: &str,
    generated: &str,
) -> Result<usize, RenderError> {
    let out = &ctx.project.settings.output;
    let staging = out.join(format!(".{}-{run_id}", d.id));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let result = fill_dashboard(ctx, env, d, run_id, generated, &staging);
    match result {
        Ok(n) => {
            publish_dir(&staging, &out.join(&d.id))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn publish_dir(staging: &Path, target: &Path) -> Result<(), RenderError> {
    let old = target.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if target.exists() {
        std::fs::rename(target, &old).map_err(|e| io(target, e))?;
    }
    std::fs::rename(staging, target).map_err(|e| io(target, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn fill_dashboard(
    ctx: &Ctx,
    env: &minijinja::Environment,
    d: &Dashboard,
    run_id: &str,
    generated: &str,
    dir: &Path,
) -> Result<usize, RenderError> {
    let l = labels::labels(ctx.locale);
    // Forget what an earlier dashboard asked for: data.csv lists this page's figures only.
    let _ = ctx.figures.take_shown();
    let judged = judged::Judged::of(ctx, d);
    let mut sections = Vec::new();
    let mut n = 0;
    for s in &d.sections {
        let mut charts = Vec::new();
        for c in &s.charts {
            n += 1;
            let _ = ctx.figures.take_chart();
            let mut drawn = chart(ctx, d, &judged, c, n, dir)?;
            drawn.definitions = definition_notes(ctx, &c.indicators());
            // Every chart's figures as data, plain for machines and typed for spreadsheets.
            let name = format!("chart-{n:02}-data");
            data::write_figures(&ctx.figures.take_chart(), ctx.project, dir, &name)?;
            drawn.downloads.extend(data_downloads(&name, ctx.locale));
            charts.push(drawn);
        }
        sections.push(PageSection {
            title: ctx.locale.pick(&s.title),
            text: s.text.as_ref().map(|t| ctx.locale.pick(t)),
            charts,
        });
    }
    let glance = summary::glance(ctx, &dashboard_pairs(ctx.project, d, &judged));
    let quality = quality::office_rows(ctx, &quality::sources_of(ctx, d));
    let unknown = quality::unknown_territories(ctx, d);
    let shown = ctx.figures.take_shown();
    let meeting = changes::last_meeting(ctx.project);
    let since_meeting = meeting
        .as_ref()
        .map(|m| changes::sentences(ctx, d, &shown, m));
    data::write_figures(&shown, ctx.project, dir, "data")?;
    // The same figures for statistical portals (SDMX-CSV).
    crate::publish::opendata::write_sdmx(ctx.project, &shown, dir).map_err(|e| io(dir, e))?;
    let mut notes = vec![l.rollup_note.to_string()];
    notes.extend(disclosure_note(ctx, &shown));
    let page = minijinja::context! {
        lang => ctx.locale.code(),
        title => ctx.locale.pick(&d.title),
        project => ctx.project.settings.name,
        generated => generated,
        run_id => run_id,
        period_label => period_range_label(ctx, d),
        situation => judged.heading(ctx.locale),
        sections => sections,
        glance => glance,
        quality => quality,
        unknown => unknown,
        since_meeting => since_meeting,
        notes => notes,
        data_downloads => downloads("data", &["csv", "xlsx", "ods"]),
        labels => l,
    };
    let html = env
        .get_template("dashboard.html")
        .and_then(|t| t.render(page))
        .map_err(|e| RenderError::Template(e.to_string()))?;
    std::fs::write(dir.join("index.html"), html).map_err(|e| io(dir, e))?;
    Ok(n)
}

/// One line saying how many of the page's figures are hidden and why, when any protect people.
fn disclosure_note(ctx: &Ctx, shown: &[&PublishedFigure]) -> Option<String> {
    use crate::publish::disclosure::Suppression;
    let min_cell = ctx.project.settings.min_cell;
    let protected: Vec<&&PublishedFigure> = shown
        .iter()
        .filter(|f| {
            ctx.indicator(&f.indicator)
                .is_some_and(|i| i.suppress_small_cells)
        })
        .collect();
    if min_cell == 0 || protected.is_empty() {
        return None;
    }
    let l = labels::labels(ctx.locale);
    let count = |s| {
        protected
            .iter()
            .filter(|f| f.suppression == Some(s))
            .count()
    };
    let (primary, secondary) = (count(Suppression::Primary), count(Suppression::Secondary));
    let note = if primary + secondary == 0 {
        l.nothing_suppressed_note.to_string()
    } else {
        l.suppressed_note
            .replace("{total}", &(primary + secondary).to_string())
            .replace("{count}", &shown.len().to_string())
            .replace("{primary}", &primary.to_string())
            .replace("{secondary}", &secondary.to_string())
            .replace("{n}", &(min_cell - 1).to_string())
    };
    Some(note.replace("{m}", &min_cell.to_string()))
}

fn chart_title(ctx: &Ctx, given: &Option<crate::config::raw::Text>, default: String) -> String {
    given
        .as_ref()
        .map(|t| ctx.locale.pick(t))
        .unwrap_or(default)
}

fn axis(unit: Unit, locale: Locale) -> charts::Axis {
    charts::Axis {
        format: Box::new(move |x| format::value(x, unit, locale)),
        unit: format::unit_name(unit, locale).to_string(),
        // Rates read best around their values; amounts are compared from zero.
        from_zero: !matches!(
            unit,
            Unit::Percent | Unit::Ratio | Unit::Per1000 | Unit::Score
        ),
        scale: (unit == Unit::Percent).then_some((0.0, 100.0)),
    }
}

fn image(
    chart: &charts::Chart,
    name: &str,
    dir: &Path,
    title: String,
    caption: Option<String>,
) -> Result<PageChart, RenderError> {
    charts::write(
        chart,
        &dir.join(format!("{name}.svg")),
        &dir.join(format!("{name}.png")),
    )
    .map_err(RenderError::Io)?;
    Ok(PageChart {
        title,
        image: Some(name.to_string()),
        caption,
        downloads: downloads(name, &["svg", "png"]),
        ..PageChart::default()
    })
}

fn unknown(id: &str) -> RenderError {
    RenderError::Io(format!("unknown indicator {id}"))
}

/// One series per territory over `periods`: published values, and targets.
fn series_of(
    ctx: &Ctx,
    indicator: &str,
    codes: &[String],
    periods: &[Period],
) -> Vec<charts::Series> {
    codes
        .iter()
        .map(|t| {
            let rows: Vec<Option<&PublishedFigure>> = periods
                .iter()
                .map(|p| ctx.figures.get(indicator, t, &p.to_string()))
                .collect();
            charts::Series {
                name: ctx.project.territories.name_of(t),
                values: rows.iter().map(|r| ctx.plotted(*r)).collect(),
                targets: rows.iter().map(|r| r.and_then(|r| r.target)).collect(),
            }
        })
        .collect()
}

fn period_labels(ctx: &Ctx, periods: &[Period]) -> Vec<String> {
    periods
        .iter()
        .map(|p| format::period(&p.to_string(), ctx.locale))
        .collect()
}

fn chart(
    ctx: &Ctx,
    d: &Dashboard,
    judged: &judged::Judged,
    c: &Chart,
    n: usize,
    dir: &Path,
) -> Result<PageChart, RenderError> {
    let l = labels::labels(ctx.locale);
    let name = format!("chart-{n:02}");
    let territories = &ctx.project.territories;
    match c {
        Chart::Trend {
            indicator,
            territories: sel,
            grain,
            title,
        }
        | Chart::SmallMultiples {
            indicator,
            territories: sel,
            grain,
            title,
        } => {
            let ind = ctx.indicator(indicator).ok_or_else(|| unknown(indicator))?;
            let periods = ctx.figures.periods(indicator, *grain, d.period);
            let title = chart_title(ctx, title, ctx.title(ind));
            let (labels, series) = (
                period_labels(ctx, &periods),
                series_of(ctx, indicator, &sel.resolve(territories), &periods),
            );
            let (axis, target_label) = (axis(ind.unit, ctx.locale), l.target.to_string());
            let chart = if matches!(c, Chart::Trend { .. }) {
                charts::Chart::Lines {
                    title: title.clone(),
                    labels,
                    series,
                    axis,
                    target_label,
                }
            } else {
                charts::Chart::SmallMultiples {
                    title: title.clone(),
                    labels,
                    panels: series,
                    axis,
                    target_label,
                }
            };
            image(&chart, &name, dir, title, None)
        }
        Chart::Heatmap {
            indicator,
            territories: sel,
            grain,
            title,
        } => {
            let ind = ctx.indicator(indicator).ok_or_else(|| unknown(indicator))?;
            let periods = ctx.figures.periods(indicator, *grain, d.period);
            let codes = sel.resolve(territories);
            let cells = codes
                .iter()
                .map(|t| {
                    periods
                        .iter()
                        .map(|p| match ctx.figures.get(indicator, t, &p.to_string()) {
                            Some(f) if f.suppressed() => charts::HeatCell::Hidden,
                            Some(f) => f
                                .value
                                .map(charts::HeatCell::Value)
                                .unwrap_or(charts::HeatCell::Missing),
                            None => charts::HeatCell::Missing,
                        })
                        .collect()
                })
                .collect();
            let title = chart_title(ctx, title, ctx.title(ind));
            let chart = charts::Chart::Heatmap {
                title: title.clone(),
                rows: codes.iter().map(|t| territories.name_of(t)).collect(),
                columns: period_labels(ctx, &periods),
                cells,
                axis: axis(ind.unit, ctx.locale),
            };
            image(&chart, &name, dir, title, None)
        }
        Chart::Map {
            indicator,
            territories: sel,
            period,
            title,
        } => map::chart(ctx, judged, indicator, sel, *period, title, &name, dir),
        Chart::Bar {
            indicator,
            territories: sel,
            period,
            title,
        } => {
            let ind = ctx.indicator(indicator).ok_or_else(|| unknown(indicator))?;
            let codes = sel.resolve(territories);
            let period = judged.at(ind, *period);
            let rows: Vec<Option<&PublishedFigure>> = codes
                .iter()
                .map(|t| period.and_then(|p| ctx.figures.get(indicator, t, &p.to_string())))
                .collect();
            let plabel = period
                .map(|p| judged.label(Some(ind), p, ctx.locale))
                .unwrap_or_default();
            let title = chart_title(ctx, title, format!("{} — {plabel}", ctx.title(ind)));
            let chart = charts::Chart::Bars {
                title: title.clone(),
                labels: codes.iter().map(|t| territories.name_of(t)).collect(),
                values: rows.iter().map(|r| ctx.plotted(*r)).collect(),
                placeholders: rows.iter().map(|r| ctx.shown(ind, *r)).collect(),
                targets: rows.iter().map(|r| r.and_then(|r| r.target)).collect(),
                axis: axis(ind.unit, ctx.locale),
                target_label: l.target.into(),
            };
            image(&chart, &name, dir, title, None)
        }
        Chart::Target {
            indicators,
            territory,
            period,
            title,
        } => {
            let mut labels_v = Vec::new();
            let mut ach = Vec::new();
            let mut statuses = Vec::new();
            let mut notes = Vec::new();
            let mut plabels = BTreeSet::new();
            for id in indicators {
                let Some(ind) = ctx.indicator(id) else {
                    continue;
                };
                let p = judged.at(ind, *period);
                let row = p.and_then(|p| ctx.figures.get(id, territory, &p.to_string()));
                if let Some(p) = p {
                    plabels.insert(judged.label(Some(ind), p, ctx.locale));
                }
                labels_v.push(ctx.title(ind));
                ach.push(row.and_then(|r| r.achievement));
                // A suppressed figure shows neither its status nor its bar.
                statuses.push(match row {
                    Some(r) if !r.suppressed() => Status::parse(&r.status),
                    _ => Status::NoData,
                });
                let target = row
                    .and_then(|r| r.target)
                    .map(|t| format::value(t, ind.unit, ctx.locale))
                    .unwrap_or_else(|| "—".into());
                notes.push(format!("{} / {}", ctx.shown(ind, row), target));
            }
            let title = chart_title(
                ctx,
                title,
                format!(
                    "{} — {} {}",
                    territories.name_of(territory),
                    l.achieved_vs_target,
                    plabels.into_iter().collect::<Vec<_>>().join(", ")
                ),
            );
            let chart = charts::Chart::Achievement {
                title: title.clone(),
                labels: labels_v,
                achievements: ach,
                statuses,
                notes,
                axis: l.achieved_vs_target.into(),
                target_label: l.target.into(),
            };
            let caption = Some(format!(
                "{} / {} · ● {} · ◐ {} · ○ {}",
                l.value,
                l.target,
                format::status(Status::Achieved, ctx.locale),
                format::status(Status::OnTrack, ctx.locale),
                format::status(Status::OffTrack, ctx.locale)
            ));
            image(&chart, &name, dir, title, caption)
        }
        Chart::Kpi {
            indicators,
            territory,
            period,
            title,
        } => {
            let tiles = summary::tiles(ctx, judged, indicators, territory, *period);
            let title = chart_title(ctx, title, territories.name_of(territory));
            // The page shows the tiles as text; the same tiles as SVG and PNG, to hand around.
            let chart = charts::Chart::Tiles {
                title: title.clone(),
                tiles: tiles.iter().map(|t| t.view(l.versus, l.target)).collect(),
            };
            charts::write(
                &chart,
                &dir.join(format!("{name}.svg")),
                &dir.join(format!("{name}.png")),
            )
            .map_err(RenderError::Io)?;
            Ok(PageChart {
                title,
                tiles,
                downloads: downloads(&name, &["svg", "png"]),
                ..PageChart::default()
            })
        }
        Chart::Table {
            indicators,
            territories: sel,
            period,
            title,
        } => {
            let view =
                tables::status_table(ctx, judged, indicators, &sel.resolve(territories), *period);
            tables::write_csv(&view, &dir.join(format!("{name}.csv")))?;
            tables::write_xlsx(&view, &dir.join(format!("{name}.xlsx")))?;
            tables::write_ods(&view, &dir.join(format!("{name}.ods")), ctx.locale)?;
            let default_title = indicators
                .iter()
                .filter_map(|i| ctx.indicator(i))
                .map(|i| ctx.title(i))
                .collect::<Vec<_>>()
                .join(", ");
            Ok(PageChart {
                title: chart_title(ctx, title, default_title),
                table: Some(view),
                downloads: downloads(&name, &["csv", "xlsx", "ods"]),
                ..PageChart::default()
            })
        }
    }
}

#[derive(Serialize)]
struct SourceView {
    name: String,
    table: String,
    territory: String,
    last_data: String,
    rows: String,
    rejected: String,
    state: String,
    class: String,
    checksum: String,
}

#[derive(Serialize)]
struct Problem {
    source: String,
    state: String,
    class: String,
    detail: String,
}

#[derive(Serialize)]
struct BundleView {
    name: String,
    href: String,
    by: String,
    at: String,
    note: String,
}

#[derive(Serialize)]
struct DashboardLink {
    id: String,
    title: String,
    ok: bool,
    error: String,
}

/// Whether a source has had no new content for longer than its cadence and grace allow.
fn late_since(
    source: &crate::config::Source,
    m: &SourceManifest,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let cadence = source.expected?;
    let last = m.published.as_ref()?.ingested_at.clone();
    let t = chrono::DateTime::parse_from_rfc3339(&last).ok()?;
    let due = t + chrono::Duration::days(cadence.days() + source.grace_days);
    (now > due).then_some(last)
}

/// A source's state as the reports show it: its word and its CSS class.
fn source_state(
    l: &labels::Labels,
    s: &crate::config::Source,
    m: Option<&SourceManifest>,
    now: chrono::DateTime<chrono::Utc>,
) -> (&'static str, &'static str) {
    let published = m.and_then(|m| m.published.as_ref());
    let attempt = m.and_then(|m| m.last_attempt.as_ref());
    let late = m.and_then(|m| late_since(s, m, now));
    match (attempt.map(|a| a.status.as_str()), published, &late) {
        (Some("failed"), _, _) => (l.failed, "failed"),
        (Some("held_back"), _, _) => (l.held_back, "failed"),
        (_, None, _) => (l.never, "never"),
        (_, _, Some(_)) => (l.late, "late"),
        _ => (l.ok, "ok"),
    }
}

fn render_index(
    ctx: &Ctx,
    env: &minijinja::Environment,
    outcomes: &[DashboardOutcome],
    run_id: &str,
    generated: &str,
) -> Result<(), RenderError> {
    let l = labels::labels(ctx.locale);
    let (locale, tz) = (ctx.locale, ctx.project.settings.timezone);
    let now = chrono::Utc::now();
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for (s, m) in ctx.project.sources.iter().zip(ctx.manifests) {
        let published = m.as_ref().and_then(|m| m.published.as_ref());
        let attempt = m.as_ref().and_then(|m| m.last_attempt.as_ref());
        let late = m.as_ref().and_then(|m| late_since(s, m, now));
        let (state, class) = source_state(&l, s, m.as_ref(), now);
        if let Some(e) = attempt.and_then(|a| a.error.clone()) {
            let detail = match published {
                Some(p) => format!(
                    "{e} ({} {})",
                    l.last_data.to_lowercase(),
                    format::datetime(&p.ingested_at, tz, locale)
                ),
                None => e,
            };
            let held = attempt.is_some_and(|a| a.status == "held_back");
            problems.push(Problem {
                source: s.name.clone(),
                state: if held { l.held_back } else { l.failed }.into(),
                class: "failed".into(),
                detail,
            });
        } else if let Some(since) = &late {
            problems.push(Problem {
                source: s.name.clone(),
                state: l.late.into(),
                class: "late".into(),
                detail: format!("{} {}", l.late_detail, format::datetime(since, tz, locale)),
            });
        } else if published.is_none() {
            problems.push(Problem {
                source: s.name.clone(),
                state: l.never.into(),
                class: "never".into(),
                detail: l.no_data_yet.into(),
            });
        }
        sources.push(SourceView {
            name: s.name.clone(),
            table: s.table.clone(),
            territory: s
                .territory
                .as_deref()
                .map(|t| ctx.project.territories.name_of(t))
                .unwrap_or_default(),
            last_data: published
                .map(|p| format::datetime(&p.ingested_at, tz, locale))
                .unwrap_or_else(|| "—".into()),
            rows: published
                .map(|p| format::number(p.rows as f64, 0, locale))
                .unwrap_or_default(),
            rejected: published
                .map(|p| format::number(p.rejected_rows as f64, 0, locale))
                .unwrap_or_default(),
            state: state.into(),
            class: class.into(),
            checksum: published
                .map(|p| p.sha256.chars().take(12).collect())
                .unwrap_or_default(),
        });
    }
    let out = &ctx.project.settings.output;
    let dashboards: Vec<DashboardLink> = ctx
        .project
        .dashboards
        .iter()
        .map(|d| {
            let err = outcomes
                .iter()
                .find(|o| o.dashboard == d.id)
                .and_then(|o| o.error.clone());
            let exists = out.join(&d.id).join("index.html").exists();
            DashboardLink {
                id: d.id.clone(),
                title: ctx.locale.pick(&d.title),
                ok: exists && err.is_none(),
                error: err.unwrap_or_else(|| l.never.into()),
            }
        })
        .collect();
    let bundles: Vec<BundleView> = crate::publish::bundle::list(ctx.project)
        .into_iter()
        .map(|(name, m)| BundleView {
            href: format!("published/{name}/index.html"),
            name,
            by: m.signed_off_by,
            at: format::datetime(&m.signed_off_at, tz, locale),
            note: m.note.unwrap_or_default(),
        })
        .collect();
    // Each figure judged at the period of the first dashboard that shows it.
    let judged: Vec<judged::Judged> = ctx
        .project
        .dashboards
        .iter()
        .map(|d| judged::Judged::of(ctx, d))
        .collect();
    let mut pairs: Vec<summary::Pair> = Vec::new();
    for (d, judged) in ctx.project.dashboards.iter().zip(&judged) {
        for pair in dashboard_pairs(ctx.project, d, judged) {
            if !pairs
                .iter()
                .any(|p| p.indicator == pair.indicator && p.territory == pair.territory)
            {
                pairs.push(pair);
            }
        }
    }
    let glance = summary::glance(ctx, &pairs);
    let page = minijinja::context! {
        lang => locale.code(),
        title => ctx.project.settings.name,
        glance => glance,
        bundles => bundles,
        generated => generated,
        run_id => run_id,
        dashboards => dashboards,
        sources => sources,
        problems => problems,
        notes => vec![l.rollup_note.to_string()],
        labels => l,
    };
    let html = env
        .get_template("index.html")
        .and_then(|t| t.render(page))
        .map_err(|e| RenderError::Template(e.to_string()))?;
    output::write_atomic(&out.join("index.html"), html.as_bytes())?;
    Ok(())
}
