//! `doctor`: a clean scaffolded workspace passes against the local fakes; each known mistake is
//! named with its fix (tests/fixtures/mistakes.json, applied to a hand-wired workspace); the
//! network checks are bounded by --timeout; text and --json agree.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::init::init_ok;
use crate::support::{
    cruddur, moto, receivers, stderr_of, stdout_of, xray_fake, Listener, Moto, Receivers, XrayFake,
};

/// A configuration key (22 letters and digits), for what `up` makes in Honeycomb.
pub const FAKE_CONFIGURATION_KEY: &str = "cfgKey7rXc2VwL9bN4tKp8";
pub const FAKE_KEY: &str = "hcaik_01testkey0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y";
pub const FAKE_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// The local stand-ins for every service, and the variables that point at them.
pub struct Services {
    pub rx: Receivers,
    pub xray: XrayFake,
    pub moto: Moto,
}

impl Services {
    /// The fakes, with a Honeycomb configuration key that may do everything `up` does, and the
    /// backend's dataset.
    pub fn start() -> Services {
        let rx = receivers();
        rx.honeycomb_configuration_key(
            FAKE_CONFIGURATION_KEY,
            "bootcamp",
            &["queries", "boards", "markers", "columns"],
        );
        rx.honeycomb_datasets("bootcamp", &["backend-flask"]);
        Services {
            rx,
            xray: xray_fake(),
            moto: moto(),
        }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("HONEYCOMB_API_KEY", FAKE_KEY.to_string()),
            (
                "HONEYCOMB_CONFIGURATION_KEY",
                FAKE_CONFIGURATION_KEY.to_string(),
            ),
            ("HONEYCOMB_API_ENDPOINT", self.rx.http.clone()),
            ("OTEL_SERVICE_NAME", "backend-flask".into()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", self.rx.http.clone()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                format!("x-honeycomb-team={FAKE_KEY}"),
            ),
            ("AWS_ENDPOINT_URL", self.moto.url().to_string()),
            ("AWS_ENDPOINT_URL_XRAY", self.xray.url().to_string()),
            ("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000".into()),
            ("ROLLBAR_ACCESS_TOKEN", FAKE_TOKEN.into()),
            ("ROLLBAR_ENDPOINT", format!("{}/api/1/", self.rx.http)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Creates what the workspace declares, with cruddur-obs itself.
    pub fn provision(&self, dir: &Path) {
        for args in [
            vec![
                "logs",
                "create-log-group",
                "--log-group-name",
                "cruddur",
                "--retention-in-days",
                "7",
            ],
            vec![
                "xray",
                "create-sampling-rule",
                "--cli-input-json",
                "file://aws/json/xray.json",
            ],
            vec![
                "xray",
                "create-group",
                "--cli-input-json",
                "file://aws/json/xray-group.json",
            ],
        ] {
            let out = cruddur()
                .current_dir(dir)
                .args(&args)
                .envs(self.env())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        }
    }
}

pub fn doctor(dir: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    cruddur()
        .arg("doctor")
        .arg(dir)
        .args(args)
        .envs(env.iter().cloned())
        .output()
        .unwrap()
}

/// The results as JSON: name -> (status, finding, fix).
pub fn results(
    out: &std::process::Output,
) -> std::collections::BTreeMap<String, (String, String, String)> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout_of(out)));
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                (
                    c["status"].as_str().unwrap().to_string(),
                    c["finding"].as_str().unwrap().to_string(),
                    c["fix"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_clean_scaffolded_workspace_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let services = Services::start();
    services.rx.honeycomb_key(FAKE_KEY, "ingest", "bootcamp");
    services.provision(dir.path());
    let env = services.env();

    let out = doctor(dir.path(), &env, &[]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert!(text.contains("0 errors"), "{text}");
    for line in [
        "✓ honeycomb.whoami",
        "✓ honeycomb.environment",
        "✓ aws.credentials               credentials work: account 123456789012",
        "✓ aws.xray-group",
        "✓ aws.sampling-rules",
        "✓ aws.log-group",
        "✓ spending.log-retention        log group cruddur keeps events 7 days",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }

    let json = doctor(dir.path(), &env, &["--json"]);
    assert_eq!(json.status.code(), Some(0));
    let r = results(&json);
    assert_eq!(
        r.len(),
        text.lines()
            .filter(|l| ["  ✓ ", "  ! ", "  ✗ ", "  - "]
                .iter()
                .any(|m| l.starts_with(m)))
            .count(),
        "text and JSON list the same checks"
    );
    for (name, (status, finding, _)) in &r {
        let mark = match status.as_str() {
            "ok" => "✓",
            "warn" => "!",
            "error" => "✗",
            _ => "-",
        };
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("{mark} {name} ")) && l.ends_with(finding.as_str())),
            "{name} differs between text and JSON"
        );
    }
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");

    let out = doctor(dir.path(), &env, &["--offline"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
    assert!(
        stdout_of(&out).contains("- aws.credentials               needs the network (--offline)")
    );
}

#[test]
fn problems_found_online_are_named_with_their_fix() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let services = Services::start();
    services.rx.honeycomb_key(FAKE_KEY, "ingest", "test");
    // Nothing provisioned: no log group, no rule, no group.
    let out = doctor(dir.path(), &services.env(), &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = results(&out);
    assert_eq!(r["honeycomb.environment"].0, "error");
    assert!(r["honeycomb.environment"]
        .1
        .contains("environment \"test\", but the data must land in \"bootcamp\""));
    assert_eq!(r["aws.log-group"].0, "error");
    assert_eq!(
        r["aws.log-group"].2,
        "`cruddur-obs logs create-log-group --log-group-name cruddur --retention-in-days 7`"
    );
    assert_eq!(r["aws.sampling-rules"].0, "error");
    assert_eq!(r["aws.sampling-rules"].1, "rule Cruddur does not exist");
    assert_eq!(r["aws.xray-group"].1, "group Cruddur does not exist");

    // A rule edited by hand in AWS shows its differences.
    services.provision(dir.path());
    let out = cruddur()
        .args([
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Cruddur",
            "--fixed-rate",
            "0.5",
        ])
        .envs(services.env())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = results(&doctor(dir.path(), &services.env(), &["--json"]));
    assert_eq!(
        r["aws.sampling-rules"].1,
        "rule Cruddur differs from aws/json/xray.json: FixedRate 0.5 -> 0.1"
    );
    assert_eq!(
        r["aws.sampling-rules"].2,
        "`cruddur-obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json --update`"
    );
}

#[test]
fn a_silent_endpoint_costs_at_most_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let honeycomb = Listener::new();
    let aws = Listener::new();
    let rollbar = Listener::new();
    let env: Vec<(String, String)> = [
        ("HONEYCOMB_API_KEY", FAKE_KEY.to_string()),
        ("HONEYCOMB_API_ENDPOINT", honeycomb.url.clone()),
        ("AWS_ENDPOINT_URL", aws.url.clone()),
        ("ROLLBAR_ACCESS_TOKEN", FAKE_TOKEN.into()),
        ("ROLLBAR_ENDPOINT", format!("{}/api/1/", rollbar.url)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let start = Instant::now();
    let out = doctor(
        dir.path(),
        &env,
        &["--json", "--timeout", "1", "--send-test-item"],
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        took < Duration::from_secs(4),
        "five silent calls in parallel took {took:?}"
    );
    let r = results(&out);
    for name in [
        "honeycomb.whoami",
        "aws.credentials",
        "aws.xray-group",
        "aws.log-group",
        "rollbar.test-item",
    ] {
        assert_eq!(r[name].0, "error", "{name}: {:?}", r[name]);
        assert!(r[name].1.contains("within 1 s"), "{name}: {:?}", r[name]);
    }
}

#[test]
fn bad_input_is_refused() {
    let out = cruddur()
        .args(["doctor", "/no/such/folder"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr_of(&out), "error: /no/such/folder is not a folder\n");
    let dir = tempfile::tempdir().unwrap();
    let out = cruddur()
        .arg("doctor")
        .arg(dir.path())
        .args(["--timeout", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes"]);
    let binary = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let on_terminal = |no_color: Option<&str>| {
        // `script` runs the command on a pseudo-terminal, as a person's shell would.
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!(
                "{} doctor --offline {}",
                binary.display(),
                dir.path().display()
            ),
            "/dev/null",
        ]);
        cmd.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let coloured = on_terminal(None);
    assert!(
        coloured.contains("\u{1b}["),
        "colour on a terminal:\n{coloured}"
    );
    assert!(coloured.contains("env.required"), "{coloured}");
    let plain = on_terminal(Some("1"));
    assert!(
        !plain.contains("\u{1b}["),
        "NO_COLOR turns colour off:\n{plain}"
    );
    assert!(plain.contains("env.required"), "{plain}");
}
