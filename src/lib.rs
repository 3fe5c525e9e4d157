//! osservatorio: exports from reception and integration offices in, verifiable indicators and
//! static reports out. Modules follow the data: config → ingest → warehouse → indicators → publish →
//! render.

pub mod cli;
pub mod config;
pub mod indicators;
pub mod ingest;
pub mod publish;
pub mod render;
pub mod schedule;
pub mod warehouse;
