//! Dashboards: their sections and charts.

use std::path::PathBuf;

use super::*;
use crate::config::period::{Grain, Period};
use crate::config::raw::Text;

/// Which territories a chart shows.
#[derive(Debug, Clone)]
pub enum TerritorySelector {
    /// These codes, in this order.
    List(Vec<String>),
    /// The children of this territory.
    ChildrenOf(String),
    /// Every territory at this level.
    Level(String),
}

impl TerritorySelector {
    /// The codes selected, in the order charts show them.
    pub fn resolve(&self, territories: &Territories) -> Vec<String> {
        match self {
            TerritorySelector::List(v) => v.clone(),
            TerritorySelector::ChildrenOf(c) => territories.children_of(c),
            TerritorySelector::Level(l) => territories.at_level(l),
        }
    }
}

/// A chart of a dashboard section.
#[derive(Debug, Clone)]
pub enum Chart {
    /// One line per territory over time.
    Trend {
        /// The indicator shown.
        indicator: String,
        /// The territories, one line each.
        territories: TerritorySelector,
        /// The periods of the x axis.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// One bar per territory for one period.
    Bar {
        /// The indicator shown.
        indicator: String,
        /// The territories, one bar each.
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// Several indicators of one territory against their targets.
    Target {
        /// The indicators shown.
        indicators: Vec<String>,
        /// The territory.
        territory: String,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the chart.
        title: Option<Text>,
    },
    /// A table of indicators by territory.
    Table {
        /// The indicators, one row group each.
        indicators: Vec<String>,
        /// The territories, one row each.
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the table.
        title: Option<Text>,
    },
    /// Big-value tiles: value, target, change against the previous period, status.
    Kpi {
        /// The indicators, one tile each.
        indicators: Vec<String>,
        /// The territory.
        territory: String,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the tiles.
        title: Option<Text>,
    },
    /// Territories × periods, each cell coloured by its value.
    Heatmap {
        /// The indicator shown.
        indicator: String,
        /// The territories, one row each.
        territories: TerritorySelector,
        /// The periods, one column each.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// One small trend per territory on shared axes.
    SmallMultiples {
        /// The indicator shown.
        indicator: String,
        /// The territories, one panel each.
        territories: TerritorySelector,
        /// The periods of the x axis.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// A choropleth: each territory's boundary coloured by its value in one period.
    Map {
        /// The indicator shown.
        indicator: String,
        /// The territories, one area each; each has a boundary (checked with the dashboard).
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
}

impl Chart {
    /// The indicators the chart shows.
    pub fn indicators(&self) -> Vec<&str> {
        match self {
            Chart::Trend { indicator, .. }
            | Chart::Bar { indicator, .. }
            | Chart::Heatmap { indicator, .. }
            | Chart::SmallMultiples { indicator, .. }
            | Chart::Map { indicator, .. } => vec![indicator.as_str()],
            Chart::Target { indicators, .. }
            | Chart::Table { indicators, .. }
            | Chart::Kpi { indicators, .. } => indicators.iter().map(String::as_str).collect(),
        }
    }

    /// The territories the chart shows.
    pub fn territories(&self, all: &Territories) -> Vec<String> {
        match self {
            Chart::Trend { territories, .. }
            | Chart::Bar { territories, .. }
            | Chart::Table { territories, .. }
            | Chart::Heatmap { territories, .. }
            | Chart::SmallMultiples { territories, .. }
            | Chart::Map { territories, .. } => territories.resolve(all),
            Chart::Target { territory, .. } | Chart::Kpi { territory, .. } => {
                vec![territory.clone()]
            }
        }
    }
}

/// A section of a dashboard: a heading, a text and its charts.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading.
    pub title: Text,
    /// An introduction under the heading.
    pub text: Option<Text>,
    /// The charts, in order.
    pub charts: Vec<Chart>,
}

/// A dashboard: one report page.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The id, which names its folder under the output.
    pub id: String,
    /// The page's title.
    pub title: Text,
    /// The first and last period shown; everything when none.
    pub period: Option<(Period, Period)>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// The dashboard file.
    pub file: PathBuf,
}
