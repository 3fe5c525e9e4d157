//! The integration tests: one binary (one link of DataFusion), one module per area, each running
//! the real `osservatorio` binary on temporary projects. `common` holds the shared builders and servers.

mod common;

mod annex;
mod architecture;
mod audit;
mod ballista;
mod ballista_cluster;
mod browser;
mod deliveries;
mod disclosure;
mod doctor;
mod end_to_end;
mod error_causes;
mod follow_up;
mod history;
mod hostile;
mod kill_during_ingest;
mod locale;
mod maps;
mod meeting;
mod ods_formats;
mod onramp;
mod packaging;
mod page_errors;
mod parallel_ingest;
mod pdf_layout;
mod period;
mod polish;
mod pua;
mod publication;
mod random_inputs;
mod read_faults;
mod read_problems;
mod remote_sources;
mod render;
mod reproduce;
mod rerun;
mod run_lock;
mod s3_warehouse;
mod schedule;
mod strict_ingest;
mod walkthrough;
