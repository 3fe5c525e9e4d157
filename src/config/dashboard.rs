//! `dashboards/*.yaml`: the sections and charts of each report page.

use super::raw::{ChartFile, DashboardFile, SelectorFile, TerritoriesFile};
use super::{
    Chart, ConfigErrors, Dashboard, FileCtx, Grain, Period, Section, TerritorySelector, Validation,
};

impl Validation {
    /// One dashboard: its period and the charts of each section, against the known indicators.
    pub(super) fn check_dashboard(&mut self, f: DashboardFile, ctx: &FileCtx) -> Option<Dashboard> {
        let indicators = self.indicators.as_slice();
        let all_indicators_read = self.all_indicators_read;
        let refused = &self.refused_indicators;
        let builtins_known = self.all_pipelines_read;
        let territories = &self.territories;
        let errs = &mut self.errs;
        let before = errs.0.len();
        if let Some(why) = super::names::dashboard_id_problem(&f.id) {
            ctx.err(errs, "id", why);
        }
        let parse_period = |p: &str, key: &str, errs: &mut ConfigErrors| -> Option<Period> {
            let parsed = Period::parse(p);
            if parsed.is_none() {
                ctx.err(
                    errs,
                    key,
                    format!("'{p}' is not a period; write 2024-03, 2024-Q1, 2024 or 2025-2027"),
                );
            }
            parsed
        };
        let period = f.period.as_ref().and_then(|r| {
            let from = parse_period(&r.from, "period.from", errs)?;
            let to = parse_period(&r.to, "period.to", errs)?;
            Some((from, to))
        });
        let indicator = |id: &str, key: &str, errs: &mut ConfigErrors| {
            // An id of a file that did not parse, of an indicator refused for its own problems, or
            // a delivery indicator of a pipeline that did not parse is unknown, not missing: saying
            // so would only repeat the problem already reported.
            let unknown = !all_indicators_read
                || refused.contains(id)
                || (id.starts_with('_') && !builtins_known);
            if !unknown && !indicators.iter().any(|i| i.id == id) {
                let near = super::shape::did_you_mean(id, indicators.iter().map(|i| i.id.as_str()))
                    .map(|n| format!(": did you mean '{n}'?"))
                    .unwrap_or_default();
                ctx.err(
                    errs,
                    key,
                    format!("indicator '{id}' is not defined in indicators/{near}"),
                );
            }
        };
        let territory = |code: &str, key: &str, errs: &mut ConfigErrors| {
            if territories.get(code).is_none() {
                ctx.err(
                    errs,
                    key,
                    super::territories::unknown_territory(territories, code),
                );
            }
        };
        let selector =
            |sel: TerritoriesFile, key: &str, errs: &mut ConfigErrors| -> TerritorySelector {
                match sel {
                    TerritoriesFile::List(v) => {
                        for (i, c) in v.iter().enumerate() {
                            territory(c, &format!("{key}[{i}]"), errs);
                        }
                        TerritorySelector::List(v)
                    }
                    TerritoriesFile::Selector(SelectorFile {
                        children_of: Some(c),
                        level: None,
                    }) => {
                        territory(&c, &format!("{key}.children_of"), errs);
                        TerritorySelector::ChildrenOf(c)
                    }
                    TerritoriesFile::Selector(SelectorFile {
                        children_of: None,
                        level: Some(l),
                    }) => {
                        if territories.at_level(&l).is_empty() {
                            ctx.err(
                                errs,
                                &format!("{key}.level"),
                                format!("no territory has level '{l}' in territories.csv"),
                            );
                        }
                        TerritorySelector::Level(l)
                    }
                    TerritoriesFile::Selector(_) => {
                        ctx.err(
                            errs,
                            key,
                            "write a list of codes, { children_of: CODE } or { level: LEVEL }",
                        );
                        TerritorySelector::List(Vec::new())
                    }
                }
            };
        // A chart's periods: its own grain when given, else the indicator's.
        let grain_of = |id: &str, given: Option<&str>, key: &str, errs: &mut ConfigErrors| {
            let own = indicators
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.grain)
                .unwrap_or(Grain::Month);
            match given {
                None => own,
                Some(g) => Grain::parse(g).unwrap_or_else(|| {
                    ctx.err(
                        errs,
                        &format!("{key}.grain"),
                        super::indicator::not_one_of("grain", g, &super::indicator::GRAINS),
                    );
                    own
                }),
            }
        };
        let mut sections = Vec::new();
        for (si, s) in f.sections.into_iter().enumerate() {
            let mut charts = Vec::new();
            for (ci, c) in s.charts.into_iter().enumerate() {
                let key = format!("sections[{si}].charts[{ci}]");
                // The checks of a chart's keys, each naming the key it checks.
                let one = |id: &str, errs: &mut ConfigErrors| {
                    indicator(id, &format!("{key}.indicator"), errs)
                };
                let many = |ids: &[String], errs: &mut ConfigErrors| {
                    for (i, id) in ids.iter().enumerate() {
                        indicator(id, &format!("{key}.indicators[{i}]"), errs);
                    }
                };
                let place = |t: &str, errs: &mut ConfigErrors| {
                    territory(t, &format!("{key}.territory"), errs)
                };
                let places = |t: TerritoriesFile, errs: &mut ConfigErrors| {
                    selector(t, &format!("{key}.territories"), errs)
                };
                let when = |p: Option<String>, errs: &mut ConfigErrors| {
                    p.and_then(|p| parse_period(&p, &format!("{key}.period"), errs))
                };
                let grain = |id: &str, g: Option<String>, errs: &mut ConfigErrors| {
                    grain_of(id, g.as_deref(), &key, errs)
                };
                let chart = match c {
                    ChartFile::Trend {
                        indicator: id,
                        territories: t,
                        grain: g,
                        title,
                    } => {
                        one(&id, errs);
                        Chart::Trend {
                            grain: grain(&id, g, errs),
                            territories: places(t, errs),
                            indicator: id,
                            title,
                        }
                    }
                    ChartFile::Heatmap {
                        indicator: id,
                        territories: t,
                        grain: g,
                        title,
                    } => {
                        one(&id, errs);
                        Chart::Heatmap {
                            grain: grain(&id, g, errs),
                            territories: places(t, errs),
                            indicator: id,
                            title,
                        }
                    }
                    ChartFile::SmallMultiples {
                        indicator: id,
                        territories: t,
                        grain: g,
                        title,
                    } => {
                        one(&id, errs);
                        Chart::SmallMultiples {
                            grain: grain(&id, g, errs),
                            territories: places(t, errs),
                            indicator: id,
                            title,
                        }
                    }
                    ChartFile::Map {
                        indicator: id,
                        territories: t,
                        period,
                        title,
                    } => {
                        one(&id, errs);
                        let areas = places(t, errs);
                        let key = format!("{key}.territories");
                        super::boundaries::check(&areas, &key, territories, ctx, errs);
                        Chart::Map {
                            indicator: id,
                            territories: areas,
                            period: when(period, errs),
                            title,
                        }
                    }
                    ChartFile::Bar {
                        indicator: id,
                        territories: t,
                        period,
                        title,
                    } => {
                        one(&id, errs);
                        Chart::Bar {
                            indicator: id,
                            territories: places(t, errs),
                            period: when(period, errs),
                            title,
                        }
                    }
                    ChartFile::Kpi {
                        indicators: ids,
                        territory: t,
                        period,
                        title,
                    } => {
                        many(&ids, errs);
                        place(&t, errs);
                        Chart::Kpi {
                            indicators: ids,
                            territory: t,
                            period: when(period, errs),
                            title,
                        }
                    }
                    ChartFile::Target {
                        indicators: ids,
                        territory: t,
                        period,
                        title,
                    } => {
                        many(&ids, errs);
                        place(&t, errs);
                        Chart::Target {
                            indicators: ids,
                            territory: t,
                            period: when(period, errs),
                            title,
                        }
                    }
                    ChartFile::Table {
                        indicators: ids,
                        territories: t,
                        period,
                        title,
                    } => {
                        many(&ids, errs);
                        Chart::Table {
                            indicators: ids,
                            territories: places(t, errs),
                            period: when(period, errs),
                            title,
                        }
                    }
                };
                charts.push(chart);
            }
            sections.push(Section {
                title: s.title,
                text: s.text,
                charts,
            });
        }
        if errs.0.len() > before {
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
