//! One error type for everything the user can get wrong or that can fail, and the exit code it maps to.

use std::fmt;

/// Exit codes, documented in the README. Scripts rely on them: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Done: created, updated, or already as asked.
    Ok = 0,
    /// A call to AWS (or another service) failed.
    Failed = 1,
    /// The input is invalid; nothing was sent and no file changed.
    BadInput = 2,
    /// The resource exists with other settings; re-run with `--update` to apply them.
    Drift = 3,
    /// Credentials, region or endpoint are missing or unusable; nothing was sent.
    Setup = 4,
    /// A key or token was refused by its service (unknown, disabled, or without the needed scope).
    KeyRejected = 5,
    /// A Honeycomb key belongs to another environment than the one the data must land in.
    WrongEnvironment = 6,
    /// The service is rate limiting us.
    RateLimited = 7,
    /// The service did not answer in time, or could not be reached.
    Unreachable = 8,
    /// Stopped at a confirmation: the answer was no, so nothing was changed.
    NotConfirmed = 9,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code for several outcomes: the one they share, or Failed when they differ
    /// (`Ok` counts for nothing).
    pub fn merge(outcomes: impl IntoIterator<Item = Exit>) -> Exit {
        outcomes
            .into_iter()
            .fold(Exit::Ok, |acc, e| match (acc, e) {
                (Exit::Ok, e) => e,
                (a, Exit::Ok) => a,
                (a, e) if a == e => a,
                _ => Exit::Failed,
            })
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code() as u8)
    }
}

/// A failure explained for a person: what went wrong, and (when we know) what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
    /// What the failure is about, where a caller routes on it (doctor points a missing region at
    /// its own check).
    pub about: Option<About>,
}

/// The subject of a setup failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// No AWS region, or a name that is not one.
    Region,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            hint: None,
            about: None,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(Exit::BadInput, message)
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Exit::Failed, message)
    }

    pub fn setup(message: impl Into<String>) -> Self {
        Self::new(Exit::Setup, message)
    }

    /// The answer at a confirmation was no.
    pub fn not_confirmed(message: impl Into<String>) -> Self {
        Self::new(Exit::NotConfirmed, message)
    }

    pub fn about(mut self, about: About) -> Self {
        self.about = Some(about);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The innermost message in an error's chain, usually the one that says what really happened
/// (for example "Connection refused").
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() {
            last = text;
        }
        current = e.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_merge_into_one_exit_code() {
        assert_eq!(Exit::merge([]), Exit::Ok);
        assert_eq!(Exit::merge([Exit::Ok, Exit::Ok]), Exit::Ok);
        assert_eq!(Exit::merge([Exit::Ok, Exit::Setup]), Exit::Setup);
        assert_eq!(
            Exit::merge([Exit::Setup, Exit::Ok, Exit::Setup]),
            Exit::Setup
        );
        assert_eq!(Exit::merge([Exit::Setup, Exit::Unreachable]), Exit::Failed);
        assert_eq!(Exit::NotConfirmed.code(), 9);
    }
}
