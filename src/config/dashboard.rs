//! `dashboards/*.yaml`: the sections and charts of each report page.

use super::raw::{ChartFile, DashboardFile, SelectorFile, TerritoriesFile, Text};
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
        kind: OverTime,
        indicator: String,
        territories: TerritoriesFile,
        grain: Option<String>,
        title: Option<Text>,
        key: &str,
    ) -> Chart {
        self.indicator(&indicator, &format!("{key}.indicator"));
        let grain = self.grain(&indicator, grain.as_deref(), key);
        let territories = self.selector(territories, &format!("{key}.territories"));
        match kind {
            OverTime::Trend => Chart::Trend {
                grain,
                territories,
                indicator,
                title,
            },
            OverTime::Heatmap => Chart::Heatmap {
                grain,
                territories,
                indicator,
                title,
            },
            OverTime::SmallMultiples => Chart::SmallMultiples {
                grain,
                territories,
                indicator,
                title,
            },
        }
    }

    /// A chart of one indicator's territories in a period (map, bar); a map's areas must have
    /// boundaries.
    fn territory_chart(
        &mut self,
        map: bool,
        indicator: String,
        territories: TerritoriesFile,
        period: Option<String>,
        title: Option<Text>,
        key: &str,
    ) -> Chart {
        self.indicator(&indicator, &format!("{key}.indicator"));
        let areas_key = format!("{key}.territories");
        let territories = self.selector(territories, &areas_key);
        if map {
            super::boundaries::check(
                &territories,
                &areas_key,
                self.territories,
                self.ctx,
                self.errs,
            );
        }
        let period = self.when(period, key);
        if !map {
            return Chart::Bar {
                indicator,
                territories,
                period,
                title,
            };
        }
        Chart::Map {
            indicator,
            territories,
            period,
            title,
        }
    }

    /// A chart of several indicators for one territory in a period (KPI cards, targets).
    fn period_chart(
        &mut self,
        targets: bool,
        indicators: Vec<String>,
        territory: String,
        period: Option<String>,
        title: Option<Text>,
        key: &str,
    ) -> Chart {
        self.indicators_at(&indicators, key);
        self.territory(&territory, &format!("{key}.territory"));
        let period = self.when(period, key);
        if targets {
            return Chart::Target {
                indicators,
                territory,
                period,
                title,
            };
        }
        Chart::Kpi {
            indicators,
            territory,
            period,
            title,
        }
    }

    fn when(&mut self, p: Option<String>, key: &str) -> Option<Period> {
        p.and_then(|p| self.period(&p, &format!("{key}.period")))
    }

    /// One chart, each of its keys checked and named in its problem.
    fn chart(&mut self, c: ChartFile, key: &str) -> Chart {
        use OverTime::*;
        match c {
            ChartFile::Trend {
                indicator: i,
                territories: t,
                grain: g,
                title,
            } => self.over_time(Trend, i, t, g, title, key),
            ChartFile::Heatmap {
                indicator: i,
                territories: t,
                grain: g,
                title,
            } => self.over_time(Heatmap, i, t, g, title, key),
            ChartFile::SmallMultiples {
                indicator: i,
                territories: t,
                grain: g,
                title,
            } => self.over_time(SmallMultiples, i, t, g, title, key),
            ChartFile::Map {
                indicator: i,
                territories: t,
                period: p,
                title,
            } => self.territory_chart(true, i, t, p, title, key),
            ChartFile::Bar {
                indicator: i,
                territories: t,
                period: p,
                title,
            } => self.territory_chart(false, i, t, p, title, key),
            ChartFile::Kpi {
                indicators: i,
                territory: t,
                period: p,
                title,
            } => self.period_chart(false, i, t, p, title, key),
            ChartFile::Target {
                indicators: i,
                territory: t,
                period: p,
                title,
            } => self.period_chart(true, i, t, p, title, key),
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

/// The charts of an indicator over time.
#[derive(Clone, Copy)]
enum OverTime {
    Trend,
    Heatmap,
    SmallMultiples,
}
