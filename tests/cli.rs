//! The command-line surface: help with examples on every command, completions, version.

use crate::support::Run;

const COMMANDS: &[&[&str]] = &[
    &["xray", "create-group"],
    &["xray", "get-groups"],
    &["xray", "get-group"],
    &["xray", "update-group"],
    &["xray", "delete-group"],
    &["xray", "create-sampling-rule"],
    &["xray", "get-sampling-rules"],
    &["xray", "update-sampling-rule"],
    &["xray", "delete-sampling-rule"],
    &["logs", "create-log-group"],
    &["logs", "describe-log-groups"],
    &["logs", "put-retention-policy"],
    &["logs", "delete-log-group"],
];

#[test]
fn every_aws_command_has_help_and_the_shared_flags() {
    for command in COMMANDS {
        [
            "--profile <NAME>",
            "--region <REGION>",
            "--endpoint-url <URL>",
            "--output <FORMAT>",
        ]
        .into_iter()
        .fold(Run::new(*command).arg("--help"), Run::stdout_contains)
        .run();
    }
}

#[test]
fn every_command_shows_examples() {
    for command in COMMANDS {
        Run::new(*command)
            .arg("--help")
            .stdout_contains("Example")
            .stdout_contains(format!("cruddur-obs {} {}", command[0], command[1]))
            .run();
    }
    Run::new(["--help"])
        .stdout_contains("Exit codes: 0 done, 1 a call failed, 2 invalid input")
        .run();
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        Run::new(["completions", shell])
            .stdout_contains("create-sampling-rule")
            .run();
    }
    Run::new(["completions", "tcsh"]).status(2).run();
}

#[test]
fn version() {
    Run::new(["--version"])
        .stdout(format!("cruddur-obs {}\n", env!("CARGO_PKG_VERSION")))
        .run();
}
