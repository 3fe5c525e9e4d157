//! osservatorio: exports from reception and integration offices in, verifiable indicators and
//! static reports out. Modules follow the data: config → ingest → warehouse → indicators → publish →
//! render.

#![warn(missing_docs)]

pub mod cli;
pub mod clock;
pub mod config;
pub(crate) mod doctor;
pub mod draft;
pub(crate) mod indicators;
pub mod ingest;
pub mod init;
pub(crate) mod publish;
pub(crate) mod render;
pub(crate) mod schedule;
pub mod text;
pub(crate) mod values;
pub(crate) mod warehouse;
