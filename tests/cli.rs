//! The command-line surface: help with examples on every command, completions, version.

use crate::support::{cruddur, stdout_of};

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
        let out = cruddur().args(*command).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        let help = stdout_of(&out);
        for flag in [
            "--profile <NAME>",
            "--region <REGION>",
            "--endpoint-url <URL>",
            "--output <FORMAT>",
        ] {
            assert!(
                help.contains(flag),
                "{command:?} --help lacks {flag}:\n{help}"
            );
        }
    }
}

#[test]
fn every_command_shows_examples() {
    for command in COMMANDS {
        let help = stdout_of(&cruddur().args(*command).arg("--help").output().unwrap());
        assert!(
            help.contains("Example"),
            "{command:?} --help has no example:\n{help}"
        );
        assert!(
            help.contains(&format!("cruddur-obs {} {}", command[0], command[1])),
            "{command:?}:\n{help}"
        );
    }
    let help = stdout_of(&cruddur().arg("--help").output().unwrap());
    assert!(
        help.contains("Exit codes: 0 done, 1 a call failed, 2 invalid input"),
        "{help}"
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = cruddur().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout_of(&out);
        assert!(
            script.contains("create-sampling-rule"),
            "{shell} completion lacks subcommands"
        );
    }
    let out = cruddur().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn version() {
    let out = cruddur().arg("--version").output().unwrap();
    assert_eq!(
        stdout_of(&out),
        format!("cruddur-obs {}\n", env!("CARGO_PKG_VERSION"))
    );
}
