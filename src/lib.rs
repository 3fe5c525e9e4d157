//! osservatorio: exports from reception and integration offices in, verifiable indicators and
//! static reports out. Modules follow the data: config → ingest → warehouse → indicators → render.

pub mod config;
pub mod ingest;
pub mod warehouse;
pub mod indicators;
pub mod render;
pub mod schedule;
pub mod cli;
