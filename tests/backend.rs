//! The scaffolded backend, installed with pip and run for real: what it sends (OTLP spans, X-Ray
//! segments, CloudWatch log events, Rollbar items) is caught by local receivers and moto, and checked.

use std::path::Path;
use std::process::{Child, Command as Process};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::init::init_ok;
use crate::support::{
    aws_cli, backend_venv, cruddur, free_port, json_of, moto, receivers, stderr_of, stdout_of,
    Moto, Receivers,
};

/// A running backend; stopped with SIGINT (as Ctrl-C and `docker stop` do) so it flushes.
pub struct Backend {
    child: Option<Child>,
    pub url: String,
    log: std::path::PathBuf,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn start_backend(dir: &Path, env: &[(&str, String)]) -> Backend {
    let venv = backend_venv(&dir.join("backend-flask/requirements.txt"));
    let port = free_port();
    let log = dir.join("backend.log");
    let child = Process::new(venv.join("bin/flask"))
        .args(["--app", "app", "run", "--port", &port.to_string()])
        .current_dir(dir.join("backend-flask"))
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", venv.join("bin").display()),
        )
        .env("HOME", dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        // Any answer will do: a user's app may have no route at `/`.
        let answered = ureq::get(&format!("{url}/"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .is_ok();
        if answered {
            break;
        }
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the backend did not start:\n{output}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Backend {
        child: Some(child),
        url,
        log,
    }
}

impl Backend {
    pub fn get(&self, path: &str, user: Option<&str>) -> (u16, String) {
        let mut request = ureq::get(&format!("{}{path}", self.url))
            .config()
            .http_status_as_error(false)
            .build();
        if let Some(u) = user {
            request = request.header("X-Cruddur-User", u);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// Stops it with SIGINT and returns everything it printed.
    /// What the backend has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        let status = Process::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the backend did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log).unwrap()
    }
}

pub fn log_events(moto: &Moto, group: &str) -> Vec<String> {
    let out = aws_cli()
        .args([
            "--endpoint-url",
            moto.url(),
            "--output",
            "json",
            "logs",
            "filter-log-events",
            "--log-group-name",
            group,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    json_of(&stdout_of(&out))["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

/// Every X-Ray document, subsegments sent apart included, with the subsegments found inside others.
pub fn xray_documents(received: &Value) -> Vec<Value> {
    fn walk(doc: &Value, out: &mut Vec<Value>) {
        out.push(doc.clone());
        for sub in doc["subsegments"].as_array().into_iter().flatten() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    for d in received["xray"].as_array().unwrap() {
        walk(&d["document"], &mut out);
    }
    out
}

/// The variables that point every part of a backend at the receivers and moto, with X-Ray
/// recording every request.
pub fn sending_env(rx: &Receivers, moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_SERVICE_NAME", "backend-flask".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.http.clone()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-honeycomb-team=test-key".into(),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY", "200".into()),
        ("AWS_XRAY_DAEMON_ADDRESS", rx.udp.clone()),
        ("CRUDDUR_XRAY_SAMPLE_ALL", "true".into()),
        ("AWS_ENDPOINT_URL", moto.url().to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("ROLLBAR_ACCESS_TOKEN", "test-token".into()),
        ("ROLLBAR_ENDPOINT", format!("{}/api/1/", rx.http)),
    ]
}

#[test]
fn the_scaffolded_backend_sends_spans_segments_logs_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let rx = receivers();
    let moto = moto();
    let out = cruddur()
        .args([
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
            "--endpoint-url",
            moto.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let backend = start_backend(dir.path(), &sending_env(&rx, &moto));
    let (status, body) = backend.get("/api/activities/home", Some("andrewbrown"));
    assert_eq!(status, 200, "{body}");
    let home: Value = serde_json::from_str(&body).unwrap();
    assert!(!home.as_array().unwrap().is_empty());
    assert_eq!(backend.get("/api/activities/@andrewbrown", None).0, 200);
    assert_eq!(backend.get("/api/activities/notifications", None).0, 200);
    assert_eq!(
        backend.get("/rollbar/test", None),
        (200, "Hello World!".to_string())
    );
    assert_eq!(backend.get("/api/debug/error", None).0, 500);
    let output = backend.stop();

    let got = rx.received();

    // Honeycomb: spans with their names, attributes, service and key header.
    let spans = got["spans"].as_array().unwrap();
    let span = spans
        .iter()
        .find(|s| s["name"] == "home-activities-mock-data")
        .unwrap_or_else(|| panic!("no home-activities-mock-data span in {spans:#?}\n{output}"));
    assert_eq!(span["attributes"]["user.id"], "andrewbrown");
    assert_eq!(
        span["attributes"]["app.result_length"],
        home.as_array().unwrap().len()
    );
    assert!(
        span["attributes"]["app.now"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{span}"
    );
    assert_eq!(span["resource"]["service.name"], "backend-flask");
    assert_eq!(span["headers"]["x-honeycomb-team"], "test-key");
    assert!(
        !span["parent_span_id"].as_str().unwrap().is_empty(),
        "a child of the request's span"
    );
    for route in [
        "/api/activities/home",
        "/api/activities/notifications",
        "/rollbar/test",
    ] {
        assert!(
            spans.iter().any(|s| s["kind"] == "SPAN_KIND_SERVER"
                && s["attributes"]["http.route"]
                    .as_str()
                    .is_some_and(|r| r.contains(route.trim_start_matches("/api/activities/")))),
            "no server span for {route}"
        );
    }

    // X-Ray: a segment named after the service for each request, the mock-data subsegment with
    // its metadata, and the failing request marked as a fault with its exception.
    let docs = xray_documents(&got);
    assert!(got["bad_datagrams"].as_array().unwrap().is_empty(), "{got}");
    let is_probe = |d: &&Value| {
        d["http"]["request"]["url"].as_str().is_some_and(|u| {
            u.ends_with("/api/health")
                || u.ends_with(":/")
                || u.matches('/').count() == 3 && u.ends_with('/')
        })
    };
    let segments: Vec<&Value> = docs
        .iter()
        .filter(|d| d["type"] != "subsegment" && d.get("parent_id").is_none())
        .filter(|d| !is_probe(d))
        .collect();
    assert_eq!(segments.len(), 5, "one segment per request: {segments:#?}");
    assert!(
        segments.iter().all(|s| s["name"] == "backend-flask"),
        "{segments:#?}"
    );
    let mock = docs
        .iter()
        .find(|d| d["name"] == "mock-data")
        .unwrap_or_else(|| panic!("no mock-data subsegment in {docs:#?}"));
    fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
        v.get(key)
            .or_else(|| v.as_object()?.values().find_map(|inner| find(inner, key)))
    }
    assert!(
        find(&mock["metadata"], "now").is_some_and(Value::is_string),
        "{mock}"
    );
    assert!(
        find(&mock["metadata"], "results-size").is_some_and(Value::is_number),
        "{mock}"
    );
    let failed = segments
        .iter()
        .find(|s| {
            s["http"]["request"]["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/api/debug/error"))
        })
        .unwrap();
    assert_eq!(failed["fault"], true, "{failed}");
    assert!(failed.to_string().contains("exceptions"), "{failed}");

    // Rollbar: the Hello World! warning and the failing route's exception.
    let items = got["rollbar_items"].as_array().unwrap();
    let hello = items
        .iter()
        .find(|i| i["body"]["data"]["body"]["message"]["body"] == "Hello World!")
        .unwrap_or_else(|| panic!("{items:#?}"));
    assert_eq!(hello["body"]["data"]["level"], "warning");
    assert!(
        items
            .iter()
            .any(|i| i["body"]["data"]["body"]["trace"]["exception"]["class"].is_string()),
        "no exception item: {items:#?}"
    );

    // CloudWatch Logs: one INFO line per request, with path and status.
    let events = log_events(&moto, "cruddur");
    for (path, status) in [
        ("/api/activities/home", "200"),
        ("/api/activities/notifications", "200"),
        ("/api/debug/error", "500"),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e.contains(path) && e.contains(status)),
            "no log event for {path} {status} in {events:#?}"
        );
    }
    assert!(
        events
            .iter()
            .all(|e| !e.contains("ERROR") || e.contains("/api/debug/error")),
        "requests are logged at INFO: {events:#?}"
    );
}

#[test]
fn with_nothing_configured_every_part_switches_itself_off() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &["--yes", "--host", "local", "--region", "us-east-1"],
    );
    let backend = start_backend(dir.path(), &[]);
    assert_eq!(backend.get("/api/activities/home", None).0, 200);
    let output = backend.stop();
    for part in [
        "honeycomb: off",
        "xray: off",
        "cloudwatch: off",
        "rollbar: off",
    ] {
        assert!(output.contains(part), "no {part:?} line in:\n{output}");
    }
    assert!(!output.contains("Traceback"), "{output}");
}
