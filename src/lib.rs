//! shipgate: a pre-deploy release gate. A checklist of YAML checks (`config`) becomes a plan that
//! reads each input once (`engine`, `inputs`), each check kind (`kinds`) turns what its input
//! produced into an outcome, the engine's sink makes the report, and reporters (`report`) format
//! it. `cli` and `commands` are the command line; ARCHITECTURE.md is the map.

// Configuration errors are large (file, position, check id, help) and on the cold path only.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod edge;
pub mod engine;
pub mod error;
pub mod exit;
pub mod hook;
pub mod init;
pub mod inputs;
pub mod kinds;
pub mod literals;
pub mod output;
pub mod progress;
pub mod report;
pub mod schema;
pub mod secrets;
pub mod signoff;
pub mod text;
pub mod types;
