//! Every check, in the order they run and are shown: one file per section.

pub mod aws;
pub mod backend;
pub mod environment;
pub mod files;
pub mod frontend;
pub mod honeycomb;
pub mod rollbar;
pub mod security;
pub mod spending;

use std::sync::LazyLock;

use crate::doctor::probes::Probe;
use crate::doctor::{Check, Outcome};

pub static ALL: LazyLock<Vec<&'static Check>> = LazyLock::new(|| {
    backend::CHECKS
        .iter()
        .chain(environment::CHECKS)
        .chain(honeycomb::CHECKS)
        .chain(aws::CHECKS)
        .chain(rollbar::CHECKS)
        .chain(files::CHECKS)
        .chain(frontend::CHECKS)
        .chain(security::CHECKS)
        .chain(spending::CHECKS)
        .collect()
});

/// The variables check that reports a missing variable; other checks point to it.
pub const ENV_REQUIRED: &str = "env.required";
/// The variables check that reports the AWS region; other checks point to it.
pub const ENV_AWS_REGION: &str = "env.aws-region";

/// The source of every check and of the probes, for tests that read what they can say.
#[cfg(test)]
pub const SOURCES: &[(&str, &str)] = &[
    ("checks/aws.rs", include_str!("aws.rs")),
    ("checks/backend.rs", include_str!("backend.rs")),
    ("checks/environment.rs", include_str!("environment.rs")),
    ("checks/files.rs", include_str!("files.rs")),
    ("checks/frontend.rs", include_str!("frontend.rs")),
    ("checks/honeycomb.rs", include_str!("honeycomb.rs")),
    ("checks/rollbar.rs", include_str!("rollbar.rs")),
    ("checks/security.rs", include_str!("security.rs")),
    ("checks/spending.rs", include_str!("spending.rs")),
    ("probes.rs", include_str!("../probes.rs")),
];

/// What a probe found, or the outcome that says why there is nothing: skipped when it was not
/// asked, an error (with `fix`) when it failed.
fn answer<'a, T>(probe: &'a Probe<T>, fix: &str) -> Result<&'a T, Outcome> {
    match probe {
        Probe::Found(found) => Ok(found),
        Probe::NotRun(why) => Err(Outcome::skipped(why.clone())),
        Probe::Failed(failure) => Err(Outcome::error(failure.message.clone(), fix)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that points to another ("see env.aws-region") points to one that exists: the names
    /// other checks use as constants, and every name written out in a check's text.
    #[test]
    fn every_check_pointed_to_exists() {
        let names: Vec<&str> = ALL.iter().map(|c| c.name).collect();
        for name in [
            ENV_REQUIRED,
            ENV_AWS_REGION,
            honeycomb::KEY_SHAPE,
            honeycomb::WHOAMI,
            aws::CREDENTIALS,
            frontend::HONEYCOMB_KEY,
        ] {
            assert!(names.contains(&name), "no check is named {name}");
        }
        let see = regex_lite::Regex::new(r"\bsee ([a-z]+\.[a-z][a-z-]*[a-z])").unwrap();
        let mut seen = 0;
        let mut dangling = Vec::new();
        for (file, source) in SOURCES {
            for c in see.captures_iter(source) {
                seen += 1;
                if !names.contains(&&c[1]) {
                    dangling.push(format!("{file}: see {}", &c[1]));
                }
            }
        }
        assert!(seen >= 3, "checks point to others by name: found {seen}");
        assert!(dangling.is_empty(), "{}", dangling.join("\n"));
    }

    #[test]
    fn sections_keep_their_order() {
        let names: Vec<&str> = ALL.iter().map(|c| c.name).collect();
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert!(at(ENV_AWS_REGION) < at(honeycomb::KEY_SHAPE));
        assert_eq!(at(honeycomb::DATASET_HEADER) + 1, at(aws::CREDENTIALS));
        assert_eq!(at(aws::DAEMON_REGION) + 1, at(rollbar::TOKEN));
        assert_eq!(at(rollbar::TEST_ITEM) + 1, at(files::CHECKS[0].name));
        assert_eq!(
            at(files::CHECKS[files::CHECKS.len() - 1].name) + 1,
            at(frontend::HONEYCOMB_KEY)
        );
    }
}
