//! `verify` against the scaffolded backend running for real: its spans reach the receivers (whose
//! Honeycomb fake moves the dataset's last_written_at), its segments reach moto through the
//! X-Ray daemon stand-in, its log lines reach moto's CloudWatch Logs, its error reaches the
//! Rollbar fake. Then each link broken in turn, and verify naming it.

use crate::backend::start_backend;
use crate::doctor::Services;
use crate::init::init_ok;
use crate::support::{cruddur, free_port, stderr_of, stdout_of, xray_daemon, XrayDaemon};

/// A token the Rollbar fake takes as one with read scope.
const READ_TOKEN: &str = "read0123456789abcdef0123456789ab";

struct Rig {
    dir: tempfile::TempDir,
    s: Services,
    daemon: XrayDaemon,
    backend: crate::backend::Backend,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let s = Services::start();
    let out = cruddur()
        .args([
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
            "--region",
            "us-east-1",
        ])
        .envs(s.env())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let daemon = xray_daemon(s.moto.url());
    // The backend as compose runs it, but sending to the fakes; no sample-all switch: verify's
    // X-Amzn-Trace-Id with Sampled=1 is what makes X-Ray record its request.
    let env: Vec<(&str, String)> = vec![
        ("OTEL_SERVICE_NAME", "backend-flask".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", s.rx.http.clone()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-honeycomb-team=test-key".into(),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY", "200".into()),
        ("AWS_XRAY_DAEMON_ADDRESS", daemon.udp.clone()),
        ("AWS_ENDPOINT_URL", s.moto.url().to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        (
            "ROLLBAR_ACCESS_TOKEN",
            "0123456789abcdef0123456789abcdef".into(),
        ),
        ("ROLLBAR_ENDPOINT", format!("{}/api/1/", s.rx.http)),
    ];
    let backend = start_backend(dir.path(), &env);
    Rig {
        dir,
        s,
        daemon,
        backend,
    }
}

/// What verify is run with: the workspace's variables, the backend's URL, X-Ray's data plane
/// (moto), the daemon's address, and a Rollbar read token.
fn verify_env(r: &Rig) -> Vec<(String, String)> {
    let mut env = r.s.env();
    env.extend(
        [
            ("BACKEND_URL", r.backend.url.as_str()),
            ("AWS_ENDPOINT_URL_XRAY", r.s.moto.url()),
            ("AWS_XRAY_DAEMON_ADDRESS", r.daemon.udp.as_str()),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("ROLLBAR_READ_ACCESS_TOKEN", READ_TOKEN),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    env
}

fn verify(r: &Rig, timeout: &str, extra: &[(&str, &str)]) -> std::process::Output {
    cruddur()
        .arg("verify")
        .arg(r.dir.path())
        .args(["--timeout", timeout])
        .envs(verify_env(r))
        .envs(extra.iter().copied())
        .output()
        .unwrap()
}

fn line<'a>(text: &'a str, part: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{part:11} ")))
        .unwrap_or_else(|| panic!("no {part} line in:\n{text}"))
}

#[test]
fn verify_sees_every_part_arrive_then_names_each_broken_link() {
    let mut r = rig();

    // Everything wired: every part arrives, each with its time.
    let out = verify(&r, "45", &[]);
    let text = stdout_of(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}\n--- backend:\n{}",
        stderr_of(&out),
        r.backend.log_text()
    );
    for part in ["honeycomb", "xray", "cloudwatch", "rollbar"] {
        assert!(
            line(&text, part).contains(" arrived after "),
            "{part}: {text}"
        );
    }
    assert!(line(&text, "xray").contains("backend-flask"), "{text}");
    assert!(
        line(&text, "cloudwatch").contains("GET /api/activities/home 200"),
        "{text}"
    );
    eprintln!("verify: one run:\n{text}");

    // JSON: the same, with the trace ids sent.
    let out = cruddur()
        .arg("verify")
        .arg(r.dir.path())
        .args(["--timeout", "45", "--output", "json"])
        .envs(verify_env(&r))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    let parts: Vec<(&str, &str)> = report["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["part"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parts,
        [
            ("honeycomb", "arrived"),
            ("xray", "arrived"),
            ("cloudwatch", "arrived"),
            ("rollbar", "arrived")
        ]
    );
    let sent = report["requests"][0]["xray_trace_id"].as_str().unwrap();
    assert!(
        report["parts"][1]["detail"]
            .as_str()
            .unwrap()
            .contains(sent),
        "{report:#}"
    );

    // The log group deleted: CloudWatch is missing, and verify says why.
    let out = cruddur()
        .args(["logs", "delete-log-group", "--log-group-name", "cruddur"])
        .envs(r.s.env())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = verify(&r, "4", &[]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    assert!(line(&text, "cloudwatch").contains("missing"), "{text}");
    assert!(
        text.contains("likely cause: the log group cruddur does not exist"),
        "{text}"
    );
    assert!(line(&text, "xray").contains("arrived"), "{text}");

    // The daemon stopped: X-Ray is missing, and the daemon is named.
    r.daemon.stop();
    let out = verify(&r, "4", &[]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    assert!(line(&text, "xray").contains("missing"), "{text}");
    assert!(
        text.contains("likely cause: the X-Ray daemon is not running"),
        "{text}"
    );

    // The key of another environment: the data lands there, and verify says so.
    let other = "othKey7rXc2VwL9bN4tKp8";
    r.s.rx
        .honeycomb_configuration_key(other, "test", &["queries", "boards", "markers"]);
    let out = verify(&r, "4", &[("HONEYCOMB_CONFIGURATION_KEY", other)]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    assert!(
        line(&text, "honeycomb").contains("in another environment"),
        "{text}"
    );
    assert!(
        text.contains("the key belongs to environment \"test\""),
        "{text}"
    );
    assert!(!text.contains(other), "the key is never printed whole");
}

#[test]
fn verify_without_a_running_backend_says_so_and_sends_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = cruddur()
        .arg("verify")
        .arg(dir.path())
        .env("BACKEND_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("the backend at {url} did not answer")),
        "{err}"
    );
    assert!(err.contains("flask --app app run"), "{err}");
}
