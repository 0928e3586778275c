//! `init` in a user's own Cruddur repository: the real-shaped fixtures in tests/fixtures/repos
//! (a week-1 base and variants laid over it) are instrumented in place, then compiled, checked by
//! docker-compose and the .gitpod.yml check, run for real before and after, and doctored.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

use crate::backend::{log_events, sending_env, start_backend, xray_documents, Backend};
use crate::support::{
    backend_venv, cruddur, moto, receivers, repo, stderr_of, stdout_of, venv_bin,
};

/// The variants: (name, what it models).
const VARIANTS: &[&str] = &[
    "week1",
    "factory-4space",
    "codespaces",
    "handwired",
    "commented",
];

/// The user's files init may edit; every other file of theirs must stay byte for byte.
const EDITABLE: &[&str] = &[
    "backend-flask/app.py",
    "backend-flask/requirements.txt",
    ".gitpod.yml",
    ".devcontainer/devcontainer.json",
    ".gitignore",
    "backend-flask/services/home_activities.py",
    "backend-flask/services/user_activities.py",
];

/// The files init may create in a user's repository.
fn may_create(path: &str) -> bool {
    path.starts_with("backend-flask/telemetry/")
        || path.starts_with("aws/json/")
        || [
            "cruddur-obs.toml",
            ".env.example",
            "docker-compose.override.yaml",
            "honeycomb/queries.json",
        ]
        .contains(&path)
}

pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of a fixture repository: week1, with the variant's files laid over it and the
/// paths in its `.remove` taken away.
pub fn materialize(variant: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repos = repo().join("tests/fixtures/repos");
    copy_tree(&repos.join("week1"), dir.path(), &[]);
    if variant != "week1" {
        copy_tree(&repos.join(variant), dir.path(), &["ABOUT.md", ".remove"]);
        if let Ok(list) = std::fs::read_to_string(repos.join(variant).join(".remove")) {
            for p in list.lines().filter(|l| !l.trim().is_empty()) {
                let _ = std::fs::remove_file(dir.path().join(p.trim()));
            }
        }
    }
    dir
}

/// Every file below `dir` (but .git), by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(at).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name() == ".git" || entry.file_name() == "__pycache__" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Only additions: every line of `before` is, in order, found within a line of `after` with
/// nothing of it removed (its characters in order, with added ones between: a pin, a header, an
/// indentation).
fn only_additions(before: &str, after: &str) -> Result<(), String> {
    fn within(line: &str, candidate: &str) -> bool {
        let mut rest = candidate.chars();
        line.chars().all(|c| rest.any(|x| x == c))
    }
    let mut after_lines = after.lines();
    for (i, line) in before.lines().enumerate() {
        if !after_lines.any(|a| within(line, a)) {
            return Err(format!("line {} ({line:?}) is gone or out of order", i + 1));
        }
    }
    Ok(())
}

fn init_in(dir: &Path, args: &[&str]) -> std::process::Output {
    cruddur()
        .current_dir(dir)
        .arg("init")
        .args(args)
        .output()
        .unwrap()
}

fn python_files(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|p| p.ends_with(".py"))
        .collect()
}

fn compose_config(dir: &Path) -> std::process::Output {
    Process::new("docker-compose")
        .current_dir(dir)
        .args([
            "-f",
            "docker-compose.yaml",
            "-f",
            "docker-compose.override.yaml",
            "config",
        ])
        .env("GITPOD_WORKSPACE_ID", "ws")
        .env("GITPOD_WORKSPACE_CLUSTER_HOST", "gitpod.io")
        .env("CODESPACE_NAME", "cs")
        .env("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "app.github.dev")
        .output()
        .expect("docker-compose runs (tests/run.sh installs Debian's package)")
}

#[test]
fn every_fixture_is_instrumented_in_place_without_losing_a_line() {
    for variant in VARIANTS {
        let dir = materialize(variant);
        let before = snapshot(dir.path());
        let out = init_in(dir.path(), &["--yes"]);
        let text = stdout_of(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{variant}: {text}{}",
            stderr_of(&out)
        );
        assert!(
            text.contains("--- a/backend-flask/app.py\n+++ b/backend-flask/app.py\n"),
            "{variant}: the diff is shown:\n{text}"
        );
        insta::assert_snapshot!(format!("init-in-place-{variant}"), text);
        let after = snapshot(dir.path());

        // Their files: edited only by additions, or byte-identical.
        for (path, old) in &before {
            let new = after
                .get(path)
                .unwrap_or_else(|| panic!("{variant}: {path} is gone"));
            if EDITABLE.contains(&path.as_str()) {
                only_additions(&String::from_utf8_lossy(old), &String::from_utf8_lossy(new))
                    .unwrap_or_else(|e| panic!("{variant}: {path}: {e}"));
            } else {
                assert!(old == new, "{variant}: {path} changed");
            }
        }
        for path in after.keys().filter(|p| !before.contains_key(*p)) {
            assert!(may_create(path), "{variant}: created {path}");
        }
        assert!(
            after.contains_key("docker-compose.override.yaml"),
            "{variant}"
        );
        let app = String::from_utf8_lossy(&after["backend-flask/app.py"]).into_owned();
        assert!(
            app.contains("traceparent") && app.contains("tracestate"),
            "{variant}"
        );

        // Parts wired by hand are left alone; commented or quoted code is not wiring.
        match *variant {
            "handwired" => {
                for part in ["honeycomb", "xray", "cloudwatch"] {
                    assert!(
                        text.contains(&format!(
                            "{part:<11} wired by hand in backend-flask/app.py:"
                        )),
                        "{variant}: {part}\n{text}"
                    );
                    assert!(
                        !after.contains_key(&format!("backend-flask/telemetry/{part}.py")),
                        "{variant}: {part} wired twice"
                    );
                }
                assert!(
                    text.contains("rollbar     wired by backend-flask/telemetry/rollbar.py"),
                    "{text}"
                );
            }
            "commented" => {
                assert!(
                    text.contains("honeycomb   wired by hand in backend-flask/app.py:"),
                    "{text}"
                );
                for part in ["xray", "cloudwatch", "rollbar"] {
                    assert!(
                        text.contains(&format!(
                            "{part:<11} wired by backend-flask/telemetry/{part}.py"
                        )),
                        "{variant}: {part}\n{text}"
                    );
                }
            }
            _ => {
                for part in ["honeycomb", "xray", "cloudwatch", "rollbar"] {
                    assert!(
                        after.contains_key(&format!("backend-flask/telemetry/{part}.py")),
                        "{variant}: {part}"
                    );
                }
            }
        }

        // The host comes from the repository: Gitpod's ports, or Codespaces' forwarded ports.
        if *variant == "codespaces" {
            assert!(!after.contains_key(".gitpod.yml"), "{variant}");
            let dc =
                String::from_utf8_lossy(&after[".devcontainer/devcontainer.json"]).into_owned();
            assert!(dc.contains("\"forwardPorts\": [3000, 4567, 2000]"), "{dc}");
            assert!(
                dc.contains("gh codespace ports visibility 3000:public 4567:public"),
                "{dc}"
            );
            assert!(dc.contains("//"), "comments kept: {dc}");
        } else {
            let gp: serde_yaml_ng::Value =
                serde_yaml_ng::from_slice(&after[".gitpod.yml"]).unwrap();
            for port in [3000, 4567, 2000] {
                let entry = gp["ports"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .find(|p| p["port"].as_u64() == Some(port))
                    .unwrap_or_else(|| panic!("{variant}: no port {port}"));
                assert_eq!(entry["visibility"].as_str(), Some("public"), "{variant}");
            }
            let out = Process::new(venv_bin("python"))
                .arg(repo().join("tests/fakes/check_gitpod.py"))
                .arg(dir.path().join(".gitpod.yml"))
                .output()
                .unwrap();
            assert!(out.status.success(), "{variant}: {}", stdout_of(&out));
        }

        // Every Python file compiles; compose merges their file with the override.
        let out = Process::new(venv_bin("python"))
            .args(["-m", "py_compile"])
            .args(python_files(dir.path()).iter().map(|f| dir.path().join(f)))
            .env("PYTHONPYCACHEPREFIX", dir.path().join(".git/pycache"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{variant}: {}", stderr_of(&out));
        let out = compose_config(dir.path());
        assert!(out.status.success(), "{variant}: {}", stderr_of(&out));
        let merged = stdout_of(&out);
        assert!(merged.contains("xray-daemon"), "{variant}: {merged}");
        assert!(
            merged.contains("dynamodb-local"),
            "{variant}: their services stay"
        );

        // doctor finds no error in what init wrote or edited.
        let out = cruddur()
            .current_dir(dir.path())
            .args(["doctor", "--offline", "--json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<&Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "error")
            .filter(|c| {
                ["files", "frontend", "security", "spending"]
                    .contains(&c["section"].as_str().unwrap())
            })
            .collect();
        // A repository wired by hand keeps its own mistakes (init leaves that code alone); the
        // files init writes or edits bring none.
        let theirs = [
            "files.request-log-level",
            "files.dynamic-naming",
            "files.watchtower-args",
        ];
        let errors: Vec<&&Value> = errors
            .iter()
            .filter(|c| !(*variant == "handwired" && theirs.contains(&c["name"].as_str().unwrap())))
            .collect();
        assert!(errors.is_empty(), "{variant}: {errors:#?}");

        // A second run changes nothing.
        let out = init_in(dir.path(), &["--yes"]);
        assert_eq!(out.status.code(), Some(0), "{variant}");
        assert!(
            stdout_of(&out).starts_with("nothing to do"),
            "{variant}: {}",
            stdout_of(&out)
        );
        assert!(
            snapshot(dir.path()) == after,
            "{variant}: the second run changed files"
        );
    }
}

/// `flask --app app routes`, and the status of every GET route without parameters, with no
/// variables set.
fn routes_and_answers(dir: &Path, venv: &Path) -> (String, Vec<(String, u16)>) {
    let out = Process::new(venv.join("bin/flask"))
        .args(["--app", "app", "routes"])
        .current_dir(dir.join("backend-flask"))
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", venv.join("bin").display()),
        )
        .env("HOME", dir)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("PYTHONPYCACHEPREFIX", dir.join(".git/pycache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let routes = stdout_of(&out);
    let backend = start_backend(dir, &[("AWS_DEFAULT_REGION", "us-east-1".into())]);
    let mut answers = Vec::new();
    for line in routes.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [_, methods, rule] = cols[..] else {
            continue;
        };
        if methods.split(',').any(|m| m == "GET") && !rule.contains('<') && rule.starts_with("/api")
        {
            answers.push((rule.to_string(), backend.get(rule, None).0));
        }
    }
    backend.stop();
    (routes, answers)
}

#[test]
fn the_instrumented_apps_keep_their_routes_and_answers() {
    for variant in VARIANTS {
        let dir = materialize(variant);
        // One venv with the tested pins serves both runs: it holds what the original needs.
        let instrumented = materialize(variant);
        let out = init_in(instrumented.path(), &["--yes"]);
        assert_eq!(out.status.code(), Some(0), "{variant}: {}", stderr_of(&out));
        let venv = backend_venv(&instrumented.path().join("backend-flask/requirements.txt"));
        let (routes_before, answers_before) = routes_and_answers(dir.path(), &venv);
        let (routes_after, answers_after) = routes_and_answers(instrumented.path(), &venv);
        assert_eq!(routes_before, routes_after, "{variant}");
        assert!(
            routes_after.matches("/api/").count() >= 10,
            "{variant}: {routes_after}"
        );
        assert!(answers_before.len() >= 4, "{variant}: {answers_before:?}");
        assert_eq!(answers_before, answers_after, "{variant}");
    }
}

/// Requests to the app's own routes (the last one fails with a KeyError in their handler), each
/// after `pace`.
fn exercise(backend: &Backend, pace: std::time::Duration) -> Vec<&'static str> {
    let gets = [
        "/api/activities/home",
        "/api/activities/notifications",
        "/api/message_groups",
        "/api/activities/@andrewbrown",
    ];
    for path in gets {
        std::thread::sleep(pace);
        assert_eq!(backend.get(path, None).0, 200, "{path}");
    }
    std::thread::sleep(pace);
    // Their create route reads request.json['ttl']: without it, their own code raises.
    let status = ureq::post(&format!("{}/api/activities", backend_url(backend)))
        .config()
        .http_status_as_error(false)
        .build()
        .header("Content-Type", "application/json")
        .send(r#"{"message": "hello"}"#)
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 500);
    let mut all = gets.to_vec();
    all.push("/api/activities");
    all
}

fn backend_url(b: &Backend) -> String {
    b.url.clone()
}

/// Their own routes, instrumented: one server span per request, X-Ray segments, CloudWatch log
/// lines, and a Rollbar item for the failing request.
fn sends_everything(variant: &str, init_args: &[&str]) {
    let dir = materialize(variant);
    let out = init_in(dir.path(), &[&["--yes"], init_args].concat());
    assert_eq!(out.status.code(), Some(0), "{variant}: {}", stderr_of(&out));
    let rx = receivers();
    let moto = moto();
    let out = cruddur()
        .args([
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--endpoint-url",
            moto.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let backend = start_backend(dir.path(), &sending_env(&rx, &moto));
    // X-Ray wired by hand samples with the SDK's own default: the first request of each second.
    let pace = if variant == "handwired" {
        std::time::Duration::from_millis(1100)
    } else {
        std::time::Duration::ZERO
    };
    let requests = exercise(&backend, pace);
    let output = backend.stop();
    let got = rx.received();

    // Exactly one server span per request: a part wired by hand is not wired again.
    let spans = got["spans"].as_array().unwrap();
    let server: Vec<&Value> = spans
        .iter()
        .filter(|s| s["kind"] == "SPAN_KIND_SERVER")
        .filter(|s| !s.to_string().contains("\"/\""))
        .collect();
    assert_eq!(
        server.len(),
        requests.len(),
        "{variant}: {server:#?}\n{output}"
    );
    let traces: std::collections::BTreeSet<&str> = server
        .iter()
        .map(|s| s["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        traces.len(),
        requests.len(),
        "{variant}: one trace per request"
    );
    assert!(
        spans
            .iter()
            .any(|s| s["name"] == "home-activities-mock-data"
                && s["attributes"]["app.result_length"].is_number()
                && s["attributes"]["app.now"].is_string()),
        "{variant}: the custom span: {spans:#?}"
    );

    // X-Ray: segments for their requests; the failing one marked as a fault.
    let docs = xray_documents(&got);
    let segments: Vec<&Value> = docs
        .iter()
        .filter(|d| d["type"] != "subsegment" && d.get("parent_id").is_none())
        .filter(|d| {
            d["http"]["request"]["url"]
                .as_str()
                .is_some_and(|u| u.contains("/api/"))
        })
        .collect();
    assert_eq!(
        segments.len(),
        requests.len(),
        "{variant}: {segments:#?}\n{output}"
    );
    if variant != "handwired" {
        assert!(
            docs.iter().any(|d| d["name"] == "mock-data"),
            "{variant}: the subsegment"
        );
        assert!(
            segments.iter().any(|s| s["fault"] == true
                && s["http"]["request"]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/api/activities")),
            "{variant}: {segments:#?}"
        );
    }

    // CloudWatch Logs: a line for each request.
    let events = log_events(&moto, "cruddur");
    for path in &requests {
        assert!(
            events.iter().any(|e| e.contains(path)),
            "{variant}: no log event for {path} in {events:#?}"
        );
    }

    // Rollbar: the KeyError their handler raised.
    let items = got["rollbar_items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["body"]["data"]["body"]["trace"]["exception"]["class"] == "KeyError"),
        "{variant}: no KeyError item: {items:#?}\n{output}"
    );
}

#[test]
fn a_week1_repository_sends_spans_segments_logs_and_errors_from_its_own_routes() {
    sends_everything("week1", &[]);
}

#[test]
fn a_repository_wired_by_hand_gets_one_span_per_request_not_two() {
    sends_everything("handwired", &[]);
}

#[test]
fn take_over_replaces_the_hand_wiring_with_the_telemetry_module() {
    let dir = materialize("handwired");
    let out = init_in(dir.path(), &["--yes", "--take-over"]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    for part in ["honeycomb", "xray", "cloudwatch"] {
        assert!(
            text.contains(&format!(
                "{part:<11} wired by hand in backend-flask/app.py:"
            )),
            "{text}"
        );
        assert!(
            dir.path()
                .join(format!("backend-flask/telemetry/{part}.py"))
                .exists(),
            "{part}"
        );
    }
    let app = std::fs::read_to_string(dir.path().join("backend-flask/app.py")).unwrap();
    for gone in [
        "FlaskInstrumentor().instrument_app(app)",
        "XRayMiddleware(app, xray_recorder)",
        "provider = TracerProvider()",
        "CloudWatchLogHandler(",
    ] {
        assert!(!app.contains(gone), "{gone} is still there:\n{app}");
    }
    assert!(app.contains("telemetry.init_app(app)"), "{app}");
    assert!(
        app.contains("@xray_recorder.capture"),
        "their decorators stay: {app}"
    );
    sends_everything_after_take_over(dir.path());
}

/// The taken-over app still answers, and sends one span per request.
fn sends_everything_after_take_over(dir: &Path) {
    let rx = receivers();
    let backend = start_backend(
        dir,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.http.clone()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-honeycomb-team=test-key".into(),
            ),
            ("OTEL_BSP_SCHEDULE_DELAY", "200".into()),
        ],
    );
    assert_eq!(backend.get("/api/activities/home", None).0, 200);
    let output = backend.stop();
    let got = rx.received();
    let server: Vec<&Value> = got["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["kind"] == "SPAN_KIND_SERVER" && s.to_string().contains("/api/activities/home")
        })
        .collect();
    assert_eq!(server.len(), 1, "{server:#?}\n{output}");
}

#[test]
fn the_plan_is_shown_and_nothing_is_written_without_yes() {
    let dir = materialize("week1");
    let before = snapshot(dir.path());
    let out = init_in(dir.path(), &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("+telemetry.init_app(app)"),
        "{}",
        stdout_of(&out)
    );
    assert!(stdout_of(&out).contains("dry run: nothing was written"));
    assert!(snapshot(dir.path()) == before);

    // No terminal and no --yes: the plan, then an error naming the flag.
    let out = init_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout_of(&out).contains("--- a/backend-flask/app.py"));
    assert!(stderr_of(&out).contains("--yes"), "{}", stderr_of(&out));
    assert!(snapshot(dir.path()) == before, "nothing written");
}

#[test]
fn uncommitted_changes_are_named_before_the_edit() {
    let dir = materialize("week1");
    let git = |args: &[&str]| {
        let out = Process::new("git")
            .current_dir(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "week 1"]);
    let app = dir.path().join("backend-flask/app.py");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, format!("{text}\n# my change")).unwrap();
    let out = init_in(dir.path(), &["--dry-run"]);
    let text = stdout_of(&out);
    assert!(
        text.contains("! backend-flask/app.py has uncommitted changes"),
        "{text}"
    );
    assert!(!text.contains("requirements.txt has uncommitted"), "{text}");
}

#[test]
fn a_broken_app_py_is_refused_with_its_line_and_nothing_changes() {
    let dir = materialize("week1");
    let app = dir.path().join("backend-flask/app.py");
    let text = std::fs::read_to_string(&app).unwrap();
    // A block left empty after its body was commented out: Python's IndentationError.
    let broken = text.replacen(
        "app = Flask(__name__)",
        "app = Flask(__name__)\nif True:\n# print('off')\nx = 1",
        1,
    );
    std::fs::write(&app, &broken).unwrap();
    let before = snapshot(dir.path());
    let out = init_in(dir.path(), &["--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let line = broken.lines().position(|l| l == "if True:").unwrap() + 2;
    assert!(
        stderr_of(&out).contains(&format!("backend-flask/app.py:{line}:1: IndentationError")),
        "{}",
        stderr_of(&out)
    );
    assert!(snapshot(dir.path()) == before);

    // Bytes that are not UTF-8: the same, with the place named.
    std::fs::write(&app, b"import os\nx = '\xff'\n").unwrap();
    let out = init_in(dir.path(), &["--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("backend-flask/app.py:2:6: this file is not UTF-8"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn the_pins_install_on_the_python_of_their_dockerfile() {
    let dir = materialize("week1");
    let out = init_in(dir.path(), &["--yes"]);
    assert_eq!(out.status.code(), Some(0));
    let dockerfile = std::fs::read_to_string(dir.path().join("backend-flask/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("python:3.10"),
        "the fixture's Dockerfile"
    );
    // pip resolves every pin and dependency for CPython 3.10 without installing anything.
    let target = tempfile::tempdir().unwrap();
    let out = Process::new(venv_bin("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--python-version",
            "3.10",
            "--target",
        ])
        .arg(target.path())
        .arg("-r")
        .arg(dir.path().join("backend-flask/requirements.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn on_a_terminal_it_shows_the_diff_then_asks_before_writing() {
    use std::io::Write;
    let parent = tempfile::tempdir().unwrap();
    let repo_dir = parent.path().join("my cruddur");
    std::fs::create_dir(&repo_dir).unwrap();
    copy_tree(materialize("week1").path(), &repo_dir, &[]);
    let binary = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let run = |typed: &[&str]| {
        let mut child = Process::new("script")
            .args([
                "-qec",
                &format!("{} init 'my cruddur'", binary.display()),
                "/dev/null",
            ])
            .current_dir(parent.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", parent.path())
            .env("TERM", "xterm")
            .env("AWS_DEFAULT_REGION", "ca-central-1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut keys = child.stdin.take().unwrap();
        for t in typed {
            std::thread::sleep(std::time::Duration::from_millis(500));
            keys.write_all(t.as_bytes()).unwrap();
            keys.flush().unwrap();
        }
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
    };
    let app = repo_dir.join("backend-flask/app.py");
    let original = std::fs::read_to_string(&app).unwrap();
    // Parts: Enter keeps all four; the Honeycomb environment: Enter; then "n" at the question.
    let screen = run(&["\r", "\r", "n"]);
    assert!(screen.contains("+telemetry.init_app(app)"), "{screen}");
    assert!(screen.contains("Write these changes?"), "{screen}");
    assert!(screen.contains("nothing was written"), "{screen}");
    assert_eq!(std::fs::read_to_string(&app).unwrap(), original);
    // The same, with "y": written, and the next steps start from where the user stands.
    let screen = run(&["\r", "\r", "y"]);
    assert!(screen.contains("wrote 17 files"), "{screen}");
    assert!(screen.contains("1. cd 'my cruddur'"), "{screen}");
    assert!(screen.contains("cruddur-obs env gitpod"), "{screen}");
    let manifest = std::fs::read_to_string(repo_dir.join("cruddur-obs.toml")).unwrap();
    assert!(
        manifest.contains("host = \"gitpod\"\nregion = \"ca-central-1\""),
        "{manifest}"
    );

    // The user's later edits survive another run, which finds nothing to do.
    let edited = std::fs::read_to_string(&app).unwrap().replace(
        "app = Flask(__name__)",
        "app = Flask(__name__)\napp.config['JSON_SORT_KEYS'] = False  # mine",
    );
    std::fs::write(&app, &edited).unwrap();
    let telemetry = repo_dir.join("backend-flask/telemetry/__init__.py");
    let mine = format!(
        "{}\n# my note\n",
        std::fs::read_to_string(&telemetry).unwrap()
    );
    std::fs::write(&telemetry, &mine).unwrap();
    let out = init_in(&repo_dir, &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with("nothing to do"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(std::fs::read_to_string(&app).unwrap(), edited);
    assert_eq!(std::fs::read_to_string(&telemetry).unwrap(), mine);
}
