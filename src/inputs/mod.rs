//! Inputs: everything a check reads, each read once per run. The engine decides which are opened
//! (only those some selected check needs).

pub mod artifact;
pub mod artifact_scan;
pub mod changes;
pub mod compose;
pub mod content;
pub mod deploy_env;
pub mod dotenv;
pub mod env;
pub mod git;
pub mod history;
pub mod ics;
pub mod image;
pub mod material;
pub mod references;
pub mod repo;
pub mod teddy;
