//! What a command ends with, and the exit status it maps to: 0 the gate passed (or the command
//! succeeded), 1 the gate failed, 2 the gate could not decide.

use crate::report::model::{Report, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the gate passed (or the command succeeded).
    Pass,
    /// 1: the gate failed.
    Fail,
    /// 2: the gate could not decide.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// The exit status a report implies: a check that could not be evaluated is "could not decide".
impl From<&Report> for ExitStatus {
    fn from(report: &Report) -> Self {
        match report.verdict {
            Verdict::Pass => ExitStatus::Pass,
            Verdict::Fail if report.has_errors() => ExitStatus::Error,
            Verdict::Fail => ExitStatus::Fail,
        }
    }
}
