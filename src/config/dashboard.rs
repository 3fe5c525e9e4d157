//! `dashboards/*.yaml`: the sections and charts of each report page.

use super::raw::{ChartFile, DashboardFile, SelectorFile, TerritoriesFile};
use std::collections::BTreeSet;

use super::{
    Chart, ConfigErrors, Dashboard, FileCtx, Grain, Indicator, Period, Section, Territories,
    TerritorySelector, Validation,
};

impl Validation {
    /// One dashboard: its period and the charts of each section, against the known indicators.
    pub(super) fn check_dashboard(&mut self, f: DashboardFile, ctx: &FileCtx) -> Option<Dashboard> {
        let before = self.errs.0.len();
        let mut c = DashboardChecker {
            ctx,
            indicators: self.indicators.as_slice(),
            all_indicators_read: self.all_indicators_read,
            refused: &self.refused_indicators,
            builtins_known: self.all_pipelines_read,
            territories: &self.territories,
            errs: &mut self.errs,
        };
        if let Some(why) = super::names::dashboard_id_problem(&f.id) {
            c.ctx.err(c.errs, "id", why);
        }
        let period = f.period.as_ref().and_then(|r| {
            let from = c.period(&r.from, "period.from")?;
            let to = c.period(&r.to, "period.to")?;
            Some((from, to))
        });
        let mut sections = Vec::new();
        for (si, s) in f.sections.into_iter().enumerate() {
            let charts = s
                .charts
                .into_iter()
                .enumerate()
                .map(|(ci, chart)| c.chart(chart, &format!("sections[{si}].charts[{ci}]")))
                .collect();
            sections.push(Section {
                title: s.title,
                text: s.text,
                charts,
            });
        }
        if self.errs.0.len() > before {
            return None;
        }
        Some(Dashboard {
            id: f.id,
            title: f.title,
            period,
            sections,
            file: ctx.shown.clone(),
        })
    }
}

/// What a dashboard's charts are checked against, and where their problems go.
struct DashboardChecker<'a> {
    ctx: &'a FileCtx,
    indicators: &'a [Indicator],
    all_indicators_read: bool,
    refused: &'a BTreeSet<String>,
    builtins_known: bool,
    territories: &'a Territories,
    errs: &'a mut ConfigErrors,
}

impl DashboardChecker<'_> {
    fn err(&mut self, key: &str, message: impl Into<String>) {
        self.ctx.err(self.errs, key, message);
    }

    fn period(&mut self, p: &str, key: &str) -> Option<Period> {
        let parsed = Period::parse(p);
        if parsed.is_none() {
            self.err(
                key,
                format!("'{p}' is not a period; write 2024-03, 2024-Q1, 2024 or 2025-2027"),
            );
        }
        parsed
    }

    fn indicator(&mut self, id: &str, key: &str) {
        // An id of a file that did not parse, of an indicator refused for its own problems, or
        // a delivery indicator of a pipeline that did not parse is unknown, not missing: saying
        // so would only repeat the problem already reported.
        let unknown = !self.all_indicators_read
            || self.refused.contains(id)
            || (id.starts_with('_') && !self.builtins_known);
        if !unknown && !self.indicators.iter().any(|i| i.id == id) {
            let near =
                super::shape::did_you_mean(id, self.indicators.iter().map(|i| i.id.as_str()))
                    .map(|n| format!(": did you mean '{n}'?"))
                    .unwrap_or_default();
            self.err(
                key,
                format!("indicator '{id}' is not defined in indicators/{near}"),
            );
        }
    }

    fn indicators_at(&mut self, ids: &[String], key: &str) {
        for (i, id) in ids.iter().enumerate() {
            self.indicator(id, &format!("{key}.indicators[{i}]"));
        }
    }

    fn territory(&mut self, code: &str, key: &str) {
        if self.territories.get(code).is_none() {
            let why = super::territories::unknown_territory(self.territories, code);
            self.err(key, why);
        }
    }

    fn selector(&mut self, sel: TerritoriesFile, key: &str) -> TerritorySelector {
        match sel {
            TerritoriesFile::List(v) => {
                for (i, c) in v.iter().enumerate() {
                    self.territory(c, &format!("{key}[{i}]"));
                }
                TerritorySelector::List(v)
            }
            TerritoriesFile::Selector(SelectorFile {
                children_of: Some(c),
                level: None,
            }) => {
                self.territory(&c, &format!("{key}.children_of"));
                TerritorySelector::ChildrenOf(c)
            }
            TerritoriesFile::Selector(SelectorFile {
                children_of: None,
                level: Some(l),
            }) => {
                if self.territories.at_level(&l).is_empty() {
                    self.err(
                        &format!("{key}.level"),
                        format!("no territory has level '{l}' in territories.csv"),
                    );
                }
                TerritorySelector::Level(l)
            }
            TerritoriesFile::Selector(_) => {
                self.err(
                    key,
                    "write a list of codes, { children_of: CODE } or { level: LEVEL }",
                );
                TerritorySelector::List(Vec::new())
            }
        }
    }

    /// A chart's periods: its own grain when given, else the indicator's.
    fn grain(&mut self, id: &str, given: Option<&str>, key: &str) -> Grain {
        let own = self
            .indicators
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.grain)
            .unwrap_or(Grain::Month);
        match given {
            None => own,
            Some(g) => Grain::parse(g).unwrap_or_else(|| {
                self.err(&format!("{key}.grain"), super::indicator::not_a_grain(g));
                own
            }),
        }
    }

    /// A chart of the indicator over time (trend, heatmap, small multiples): its indicator,
    /// grain and territories.
    fn over_time(
        &mut self,
        id: &str,
        g: Option<String>,
        t: TerritoriesFile,
        key: &str,
    ) -> (Grain, TerritorySelector) {
        self.indicator(id, &format!("{key}.indicator"));
        let grain = self.grain(id, g.as_deref(), key);
        (grain, self.selector(t, &format!("{key}.territories")))
    }

    fn when(&mut self, p: Option<String>, key: &str) -> Option<Period> {
        p.and_then(|p| self.period(&p, &format!("{key}.period")))
    }

    /// One chart, each of its keys checked and named in its problem.
    fn chart(&mut self, c: ChartFile, key: &str) -> Chart {
        match c {
            ChartFile::Trend {
                indicator,
                territories,
                grain,
                title,
            } => {
                let (grain, territories) = self.over_time(&indicator, grain, territories, key);
                Chart::Trend {
                    grain,
                    territories,
                    indicator,
                    title,
                }
            }
            ChartFile::Heatmap {
                indicator,
                territories,
                grain,
                title,
            } => {
                let (grain, territories) = self.over_time(&indicator, grain, territories, key);
                Chart::Heatmap {
                    grain,
                    territories,
                    indicator,
                    title,
                }
            }
            ChartFile::SmallMultiples {
                indicator,
                territories,
                grain,
                title,
            } => {
                let (grain, territories) = self.over_time(&indicator, grain, territories, key);
                Chart::SmallMultiples {
                    grain,
                    territories,
                    indicator,
                    title,
                }
            }
            ChartFile::Map {
                indicator,
                territories,
                period,
                title,
            } => {
                self.indicator(&indicator, &format!("{key}.indicator"));
                let areas = self.selector(territories, &format!("{key}.territories"));
                let areas_key = format!("{key}.territories");
                super::boundaries::check(&areas, &areas_key, self.territories, self.ctx, self.errs);
                Chart::Map {
                    indicator,
                    territories: areas,
                    period: self.when(period, key),
                    title,
                }
            }
            ChartFile::Bar {
                indicator,
                territories,
                period,
                title,
            } => {
                self.indicator(&indicator, &format!("{key}.indicator"));
                Chart::Bar {
                    indicator,
                    territories: self.selector(territories, &format!("{key}.territories")),
                    period: self.when(period, key),
                    title,
                }
            }
            ChartFile::Kpi {
                indicators,
                territory,
                period,
                title,
            } => {
                self.indicators_at(&indicators, key);
                self.territory(&territory, &format!("{key}.territory"));
                Chart::Kpi {
                    indicators,
                    territory,
                    period: self.when(period, key),
                    title,
                }
            }
            ChartFile::Target {
                indicators,
                territory,
                period,
                title,
            } => {
                self.indicators_at(&indicators, key);
                self.territory(&territory, &format!("{key}.territory"));
                Chart::Target {
                    indicators,
                    territory,
                    period: self.when(period, key),
                    title,
                }
            }
            ChartFile::Table {
                indicators,
                territories,
                period,
                title,
            } => {
                self.indicators_at(&indicators, key);
                Chart::Table {
                    indicators,
                    territories: self.selector(territories, &format!("{key}.territories")),
                    period: self.when(period, key),
                    title,
                }
            }
        }
    }
}
