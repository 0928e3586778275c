//! `doctor`: checks as data. Each check has a name, a section and a `run` that reads the
//! workspace and what the network probes found; a result has a status, a one-line finding and a
//! one-line fix. Network calls happen once, in the probes, concurrently and each bounded by the
//! timeout; checks never call out, and rendering never checks.

pub mod checks;
pub mod compose;
pub mod probes;
pub mod render;
pub mod repair;
pub mod repairs;
pub mod workspace;

use serde::Serialize;

use crate::doctor::probes::Probes;
use crate::doctor::repair::Repair;
use crate::doctor::workspace::Workspace;

/// Ordered so that the worst of several is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skipped,
    Ok,
    /// Nothing is wrong today; something to do later.
    Hint,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Backend,
    Environment,
    Honeycomb,
    Aws,
    Rollbar,
    Files,
    Frontend,
    Security,
    Spending,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Backend => "Backend",
            Section::Environment => "Environment",
            Section::Honeycomb => "Honeycomb",
            Section::Aws => "AWS",
            Section::Rollbar => "Rollbar",
            Section::Files => "Files",
            Section::Frontend => "Frontend",
            Section::Security => "Security",
            Section::Spending => "Spending",
        }
    }
}

/// What one check found: a finding, and any further findings of the same check (each with its
/// own location), each with the one-line fix and, when `doctor --fix` can make it, the edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub finding: String,
    pub fix: Option<String>,
    pub repair: Option<Box<Repair>>,
    pub more: Vec<Outcome>,
}

impl Outcome {
    pub fn ok(finding: impl Into<String>) -> Self {
        Outcome {
            status: Status::Ok,
            finding: finding.into(),
            fix: None,
            repair: None,
            more: Vec::new(),
        }
    }
    pub fn skipped(why: impl Into<String>) -> Self {
        Outcome {
            status: Status::Skipped,
            finding: why.into(),
            fix: None,
            repair: None,
            more: Vec::new(),
        }
    }
    pub fn warn(finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Outcome {
            status: Status::Warn,
            finding: finding.into(),
            fix: Some(fix.into()),
            repair: None,
            more: Vec::new(),
        }
    }
    /// The same finding, with the edit `doctor --fix` makes for it.
    pub fn repaired_by(mut self, repair: Repair) -> Self {
        self.repair = Some(Box::new(repair));
        self
    }
    /// Every finding of a check, in order; `ok` when there is none.
    pub fn each(findings: Vec<Outcome>, ok: Outcome) -> Self {
        let mut findings = findings.into_iter();
        match findings.next() {
            None => ok,
            Some(mut first) => {
                first.more.extend(findings);
                first
            }
        }
    }
    pub fn hint(finding: impl Into<String>, later: impl Into<String>) -> Self {
        Outcome {
            status: Status::Hint,
            finding: finding.into(),
            fix: Some(later.into()),
            repair: None,
            more: Vec::new(),
        }
    }
    pub fn error(finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Outcome {
            status: Status::Error,
            finding: finding.into(),
            fix: Some(fix.into()),
            repair: None,
            more: Vec::new(),
        }
    }
}

/// What a check needs from the network, so `--offline` can skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    Network,
}

/// One check.
pub struct Check {
    pub name: &'static str,
    pub section: Section,
    pub needs: Needs,
    pub run: fn(&Workspace, &Probes) -> Outcome,
}

/// One check's result, as shown and as printed with --json.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub name: &'static str,
    pub section: Section,
    pub status: Status,
    pub finding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The edit `doctor --fix` makes for this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<Repair>,
}

/// Runs the checks. A check that panics is reported as an error, never dropped. A check with
/// several findings gives a report for each.
pub fn run_checks(
    checks: &[&Check],
    workspace: &Workspace,
    probes: &Probes,
    offline: bool,
) -> Vec<Report> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let reports = checks
        .iter()
        .flat_map(|check| {
            let outcome = if offline && check.needs == Needs::Network {
                Outcome::skipped("needs the network (--offline)")
            } else {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    (check.run)(workspace, probes)
                }))
                .unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "unknown".into());
                    Outcome::error(
                        format!("the check itself failed: {why}"),
                        "this is a bug in cruddur-obs; the other checks still ran",
                    )
                })
            };
            let mut more = outcome.more.clone();
            let mut all = vec![Outcome {
                more: Vec::new(),
                ..outcome
            }];
            // Findings of findings, flattened in order.
            while !more.is_empty() {
                let next = more.remove(0);
                let mut nested = next.more.clone();
                nested.extend(more);
                more = nested;
                all.push(Outcome {
                    more: Vec::new(),
                    ..next
                });
            }
            all.into_iter()
                .map(|o| Report {
                    name: check.name,
                    section: check.section,
                    status: o.status,
                    finding: o.finding,
                    fix: o.fix,
                    repair: o.repair.map(|r| *r),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    std::panic::set_hook(quiet);
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crashes(_: &Workspace, _: &Probes) -> Outcome {
        let empty: Vec<u8> = Vec::new();
        Outcome::ok(format!("{}", empty[3]))
    }

    fn fine(_: &Workspace, _: &Probes) -> Outcome {
        Outcome::ok("fine")
    }

    #[test]
    fn a_crashing_check_is_an_error_and_the_others_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let w = Workspace::load(dir.path(), None, 0.1);
        let bad = Check {
            name: "test.crashes",
            section: Section::Files,
            needs: Needs::Nothing,
            run: crashes,
        };
        let good = Check {
            name: "test.fine",
            section: Section::Files,
            needs: Needs::Network,
            run: fine,
        };
        let reports = run_checks(&[&bad, &good], &w, &Probes::offline(), false);
        assert_eq!(reports[0].status, Status::Error);
        assert!(
            reports[0]
                .finding
                .starts_with("the check itself failed: index out of bounds"),
            "{}",
            reports[0].finding
        );
        assert_eq!(reports[1].finding, "fine");
        let offline = run_checks(&[&good], &w, &Probes::offline(), true);
        assert_eq!(offline[0].status, Status::Skipped);
    }

    #[test]
    fn names_are_unique_and_sections_contiguous() {
        let mut names: Vec<&str> = checks::ALL.iter().map(|c| c.name).collect();
        let sections: Vec<Section> = checks::ALL.iter().map(|c| c.section).collect();
        let mut seen = sections.clone();
        seen.dedup();
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            seen.len(),
            sorted.len(),
            "each section's checks are together"
        );
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    /// Every cruddur-obs command a check names in a fix is written in backticks and parses with
    /// the real command-line parser, `{...}` placeholders filled with a sample value. A mention
    /// outside backticks never names a subcommand.
    #[test]
    fn every_command_named_in_a_fix_parses() {
        use clap::{CommandFactory, Parser};
        let sources = [
            include_str!("checks/backend.rs"),
            include_str!("checks/environment.rs"),
            include_str!("checks/files.rs"),
            include_str!("checks/frontend.rs"),
            include_str!("checks/security.rs"),
            include_str!("checks/honeycomb.rs"),
            include_str!("checks/aws.rs"),
            include_str!("checks/rollbar.rs"),
            include_str!("checks/spending.rs"),
        ];
        let subcommands: Vec<String> = crate::cli::Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        let quoted = regex_lite::Regex::new(r"`cruddur-obs ([^`]*)`").unwrap();
        let bare = regex_lite::Regex::new(r"[^`]cruddur-obs ([a-z][a-z-]*)").unwrap();
        let placeholder = regex_lite::Regex::new(r"\{[^{}]*\}").unwrap();
        let mut seen = 0;
        let mut wrong = Vec::new();
        for source in sources {
            for c in quoted.captures_iter(source) {
                seen += 1;
                // A sample value of the right kind: a number after a flag that takes one.
                let numbers = regex_lite::Regex::new(
                    r"(--retention-in-days|--priority|--reservoir-size|--fixed-rate) \{[^{}]*\}",
                )
                .unwrap();
                let line = numbers.replace_all(&c[1], "$1 1");
                let line = placeholder.replace_all(&line, "cruddur").replace("{{", "{");
                let args = std::iter::once("cruddur-obs").chain(line.split_whitespace());
                if let Err(e) = crate::cli::Cli::try_parse_from(args) {
                    wrong.push(format!("`cruddur-obs {}`: {}", &c[1], e.kind()));
                }
            }
            for c in bare.captures_iter(source) {
                if subcommands.iter().any(|s| *s == c[1]) {
                    wrong.push(format!("cruddur-obs {} is named outside backticks", &c[1]));
                }
            }
        }
        assert!(seen >= 5, "the fixes name commands: found {seen}");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
