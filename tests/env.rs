//! `env`: the variables for each target, secrets never printed whole, .env written 0600 and
//! ignored by git, gp env applied through a stand-in `gp`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::init::init_ok;
use crate::support::{stderr_of, stdout_of, Run};

const FAKE_KEY: &str = "hcaik_01j9zx0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y0wk";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// `env ARGS DIR` with a Honeycomb key, an AWS secret and a Rollbar token in the environment.
fn env(dir: &Path, args: &[&str]) -> Run {
    Run::new(["env"])
        .args(args)
        .arg(dir)
        .env("HONEYCOMB_API_KEY", FAKE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("ROLLBAR_ACCESS_TOKEN", "0123456789abcdef0123456789abcdef")
}

fn workspace(flags: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), flags);
    dir
}

#[test]
fn no_target_prints_a_whole_secret() {
    let dir = workspace(&["--yes", "--host", "gitpod"]);
    for target in ["gitpod", "compose", "dotenv", "codespaces"] {
        let out = env(dir.path(), &[target]).run();
        let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
        for secret in [FAKE_KEY, AWS_SECRET, "0123456789abcdef0123456789abcdef"] {
            assert!(!text.contains(secret), "{target} printed a secret:\n{text}");
            assert!(
                !text.contains(&secret[6..30]),
                "{target} printed the middle of a secret:\n{text}"
            );
        }
    }
}

#[test]
fn gitpod_lines() {
    let dir = workspace(&[
        "--yes",
        "--host",
        "gitpod",
        "--region",
        "ca-central-1",
        "--no-rollbar",
    ]);
    env(dir.path(), &["gitpod"])
        .stdout_contains("# HONEYCOMB_API_KEY: set in this shell (hcai…y0wk)\ngp env HONEYCOMB_API_KEY=\"$HONEYCOMB_API_KEY\"\n")
        .stdout_contains("export OTEL_SERVICE_NAME=\"backend-flask\"\ngp env OTEL_SERVICE_NAME=\"backend-flask\"\n")
        .stdout_contains("export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=${HONEYCOMB_API_KEY}\"\n")
        .stdout_contains("export AWS_DEFAULT_REGION=\"ca-central-1\"\n")
        // Short values are starred.
        .stdout_contains("# AWS_ACCESS_KEY_ID: set in this shell (****")
        .stdout_lacks("ROLLBAR")
        .run();
}

#[test]
fn compose_block_uses_references_only() {
    let dir = workspace(&["--yes", "--host", "local"]);
    env(dir.path(), &["compose"])
        .stdout_starts_with("services:\n  backend-flask:\n    environment:\n")
        .stdout_contains(
            "      OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team=${HONEYCOMB_API_KEY}\"\n",
        )
        .stdout_contains("      AWS_SECRET_ACCESS_KEY: \"${AWS_SECRET_ACCESS_KEY}\"\n")
        .stdout_contains("      AWS_XRAY_DAEMON_ADDRESS: \"xray-daemon:2000\"\n")
        .run();
}

#[test]
fn dotenv_write_is_private_and_ignored() {
    let dir = workspace(&["--yes", "--host", "local"]);
    std::fs::remove_file(dir.path().join(".gitignore")).unwrap();
    env(dir.path(), &["dotenv"])
        .stdout_contains("HONEYCOMB_API_KEY=hcai…y0wk\n")
        .run();

    env(dir.path(), &["dotenv", "--write"])
        .stdout_lacks(FAKE_KEY)
        .run();
    let path = dir.path().join(".env");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains(&format!("HONEYCOMB_API_KEY={FAKE_KEY}\n")),
        "the real value goes into the file"
    );
    assert!(
        written.contains(&format!(
            "OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team={FAKE_KEY}\n"
        )),
        "{written}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(std::fs::read_to_string(dir.path().join(".gitignore"))
        .unwrap()
        .lines()
        .any(|l| l == ".env"));

    // An existing .env that differs is kept unless --force, and its backup stays private.
    Run::new(["env", "dotenv", "--write"])
        .arg(dir.path())
        .env("HONEYCOMB_API_KEY", "hcaik_other")
        .status(3)
        .run();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    Run::new(["env", "dotenv", "--write", "--force"])
        .arg(dir.path())
        .env("HONEYCOMB_API_KEY", "hcaik_other")
        .run();
    let backup = dir.path().join(".env.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), written);
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn gitpod_apply_runs_gp_env() {
    let dir = workspace(&["--yes", "--host", "gitpod", "--no-rollbar"]);
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("calls");
    let gp = bin.path().join("gp");
    std::fs::write(
        &gp,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&gp, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    Run::new(["env", "gitpod", "--apply"])
        .arg(dir.path())
        .env("PATH", &path)
        .env("HONEYCOMB_API_KEY", FAKE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .stdout_contains("gp env HONEYCOMB_API_KEY=hcai…y0wk\n")
        .stdout_lacks(FAKE_KEY)
        .run();
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains(&format!("env HONEYCOMB_API_KEY={FAKE_KEY}\n")),
        "{calls}"
    );
    assert!(
        calls.contains(&format!(
            "env OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team={FAKE_KEY}\n"
        )),
        "{calls}"
    );
    assert!(
        calls.contains("env AWS_DEFAULT_REGION=us-east-1\n"),
        "{calls}"
    );
    assert!(
        !calls.contains("FRONTEND_URL"),
        "per-workspace URLs are not saved: {calls}"
    );

    // Without gp, --apply says where it works.
    Run::new(["env", "gitpod", "--apply"])
        .arg(dir.path())
        .env("PATH", "/usr/bin:/bin")
        .status(4)
        .stderr_starts_with("error: gp is not on PATH: --apply works inside a Gitpod workspace")
        .run();
}

#[test]
fn flags_that_do_not_fit_the_target() {
    let dir = workspace(&["--yes"]);
    env(dir.path(), &["compose", "--write"])
        .status(2)
        .stderr(
            "error: --write goes with the dotenv target\nhint: cruddur-obs env dotenv --write\n",
        )
        .run();
}
