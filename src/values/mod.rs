//! Values as the exports and the YAML write them: the grammar of dates (and of numbers) that
//! configuration checks and ingest share. The lowest layer: it imports no other stage.

pub mod dates;
pub mod keys;
pub mod numbers;
