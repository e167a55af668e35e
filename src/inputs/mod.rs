//! Inputs: everything a check reads, each read once per run. The engine decides which are opened
//! (only those some selected check needs).

pub mod content;
pub mod git;
pub mod repo;
