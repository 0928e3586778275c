//! Frontend tracing: what `init --frontend-collector` writes and edits in the React frontend, the
//! collector's configuration against the collector's documented schema, and (in browser.rs'
//! rig) one trace from a real headless browser's click to the backend's span.

use std::path::Path;
use std::process::Command as Process;

use crate::init::{init, init_ok};
use crate::instrument::{materialize, snapshot};
use crate::support::{cruddur, repo, stdout_of, venv_bin};

const TRACING: &str = "frontend-react-js/src/tracing.js";
const INDEX: &str = "frontend-react-js/src/index.js";
const PACKAGE: &str = "frontend-react-js/package.json";

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A unified diff of one file, as the user sees it.
fn diff(path: &str, before: &[u8], after: &[u8]) -> String {
    similar::TextDiff::from_lines(
        &String::from_utf8_lossy(before).into_owned(),
        &String::from_utf8_lossy(after).into_owned(),
    )
    .unified_diff()
    .context_radius(2)
    .header(&format!("a/{path}"), &format!("b/{path}"))
    .to_string()
}

const RETROFIT: &[&str] = &["--yes", "--frontend-collector", "--region", "us-east-1"];

#[test]
fn a_users_frontend_gains_only_its_import_and_packages() {
    let dir = materialize("week1");
    let before = snapshot(dir.path());
    init_ok(dir.path(), RETROFIT);
    let after = snapshot(dir.path());

    // Every file of the frontend is as it was, but index.js and package.json; tracing.js is new.
    let frontend: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| p.starts_with("frontend-react-js/"))
        .collect();
    let mut changed = Vec::new();
    for path in frontend {
        if before.get(path) != after.get(path) && !changed.contains(path) {
            changed.push(path.clone());
        }
    }
    changed.sort();
    assert_eq!(changed, [PACKAGE, INDEX, TRACING]);
    assert_eq!(
        after[TRACING],
        std::fs::read(repo().join("templates").join(TRACING)).unwrap()
    );
    let diffs = format!(
        "{}\n{}",
        diff(INDEX, &before[INDEX], &after[INDEX]),
        diff(PACKAGE, &before[PACKAGE], &after[PACKAGE])
    );
    insta::assert_snapshot!("retrofit-frontend-diff", diffs);

    // package.json is still JSON, with every tracing package pinned exactly as the template's.
    let theirs: serde_json::Value = serde_json::from_str(&read(dir.path(), PACKAGE)).unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&read(&repo().join("templates"), PACKAGE)).unwrap();
    for (name, version) in ours["dependencies"].as_object().unwrap() {
        if name.starts_with("@opentelemetry/") {
            assert_eq!(&theirs["dependencies"][name], version, "{name}");
        }
    }
    assert_eq!(
        theirs["dependencies"]["react"], "^18.2.0",
        "their pins stay"
    );

    // Compose merges the override into their file: the frontend waits for the collector and
    // gets its URL, with the REACT_APP_ prefix, and their own settings stay.
    let merged = crate::init::compose_config(dir.path());
    let frontend = service(&merged, "frontend-react-js");
    assert!(frontend.contains("otel-collector"), "{frontend}");
    assert!(
        frontend.contains("REACT_APP_OTEL_COLLECTOR_URL: https://4318-ws.gitpod.example"),
        "{frontend}"
    );
    assert!(
        frontend.contains("REACT_APP_BACKEND_URL: https://4567-ws.gitpod.example"),
        "{frontend}"
    );
    assert!(frontend.contains("target: 3000"), "{frontend}");

    // doctor finds nothing wrong in the frontend, the collector or the backend's CORS.
    let out = cruddur()
        .current_dir(dir.path())
        .args(["doctor", "--offline", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    for name in [
        "files.cors",
        "files.collector-depends-on",
        "files.gitpod-ports",
        "frontend.honeycomb-key",
        "frontend.propagate-cors-urls",
        "frontend.exporter-url",
        "frontend.otel-api",
        "frontend.collector-cors",
    ] {
        let check = checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"));
        assert_eq!(check["status"], "ok", "{check:#}");
    }

    // A second run changes nothing.
    init_ok(dir.path(), RETROFIT);
    assert!(snapshot(dir.path()) == after, "a second init changed files");
}

/// One service's block in `docker-compose config`'s output (services are indented by two
/// spaces, their settings by four).
fn service(merged: &str, name: &str) -> String {
    let header = format!("  {name}:");
    let block: Vec<&str> = merged
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert!(!block.is_empty(), "no {name} service:\n{merged}");
    block.join("\n")
}

#[test]
fn a_tracing_module_of_the_users_own_is_left_to_them() {
    let dir = materialize("week1");
    let theirs = "// tracing, by hand\nimport { WebTracerProvider } from '@opentelemetry/sdk-trace-web';\n\nconst provider = new WebTracerProvider();\nprovider.register();";
    std::fs::write(
        dir.path().join("frontend-react-js/src/traceProvider.js"),
        theirs,
    )
    .unwrap();
    let before = snapshot(dir.path());
    let out = init_ok(dir.path(), RETROFIT);
    assert!(
        out.contains("frontend-react-js/src/traceProvider.js sets up tracing already"),
        "{out}"
    );
    let after = snapshot(dir.path());
    for path in [INDEX, PACKAGE, "frontend-react-js/src/traceProvider.js"] {
        assert_eq!(before[path], after[path], "{path} changed");
    }
    assert!(!after.contains_key(TRACING));
}

#[test]
fn a_broken_index_js_is_refused_with_its_line_and_nothing_changes() {
    let dir = materialize("week1");
    let index = dir.path().join(INDEX);
    let text = read(dir.path(), INDEX).replace("root.render(", "root.render((");
    std::fs::write(&index, &text).unwrap();
    let before = snapshot(dir.path());
    init(dir.path(), RETROFIT)
        .status(2)
        .stderr_contains("frontend-react-js/src/index.js:")
        .run();
    assert!(
        snapshot(dir.path()) == before,
        "a refused init changed files"
    );

    // The same for a package.json that is not JSON.
    std::fs::write(&index, read(dir.path(), INDEX).replace("((", "(")).unwrap();
    let package = read(dir.path(), PACKAGE).replace("\"react\": ", "\"react\" ");
    std::fs::write(dir.path().join(PACKAGE), &package).unwrap();
    let before = snapshot(dir.path());
    let out = init(dir.path(), RETROFIT).status(2).run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("frontend-react-js/package.json:6:"),
        "{stderr}"
    );
    assert!(
        snapshot(dir.path()) == before,
        "a refused init changed files"
    );
}

#[test]
fn a_fresh_workspace_gets_a_small_frontend_wired_to_the_collector() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &[
            "--yes",
            "--host",
            "gitpod",
            "--region",
            "us-east-1",
            "--frontend-collector",
        ],
    );
    for path in [
        PACKAGE,
        INDEX,
        TRACING,
        "frontend-react-js/src/App.js",
        "frontend-react-js/public/index.html",
        "frontend-react-js/Dockerfile",
    ] {
        assert!(dir.path().join(path).is_file(), "{path} is missing");
    }
    let index = read(dir.path(), INDEX);
    let first_import = index.lines().find(|l| l.starts_with("import ")).unwrap();
    assert_eq!(first_import, "import './tracing';");

    let compose = crate::init::compose_config(dir.path());
    let frontend = service(&compose, "frontend-react-js");
    assert!(
        frontend.contains("otel-collector"),
        "depends on the collector:\n{frontend}"
    );
    assert!(
        frontend.contains("REACT_APP_OTEL_COLLECTOR_URL: https://4318-ws.gitpod.example"),
        "{frontend}"
    );
    assert!(
        frontend.contains("REACT_APP_BACKEND_URL: https://4567-ws.gitpod.example"),
        "{frontend}"
    );
    assert!(!compose.contains("REACT_APP_HONEYCOMB"), "{compose}");
    let gitpod = read(dir.path(), ".gitpod.yml");
    assert!(
        gitpod.contains("port: 4318\n    visibility: public"),
        "{gitpod}"
    );

    // A second run changes nothing.
    let after = snapshot(dir.path());
    init_ok(
        dir.path(),
        &[
            "--yes",
            "--host",
            "gitpod",
            "--region",
            "us-east-1",
            "--frontend-collector",
        ],
    );
    assert!(snapshot(dir.path()) == after, "a second init changed files");
}

/// Problems `tests/fakes/check_collector.py` finds in CONFIG: the collector's documented schema
/// for the receiver's CORS keys, the exporter's headers and the pipelines.
fn collector_problems(config: &Path) -> (bool, String) {
    let out = Process::new(venv_bin("python"))
        .arg(repo().join("tests/fakes/check_collector.py"))
        .arg(repo().join("tests/fixtures/collector-schema/otel-collector.schema.json"))
        .arg(config)
        .output()
        .unwrap();
    (out.status.success(), stdout_of(&out))
}

#[test]
fn the_collector_configuration_follows_the_collectors_schema() {
    for host in ["gitpod", "codespaces", "local"] {
        let dir = tempfile::tempdir().unwrap();
        init_ok(
            dir.path(),
            &[
                "--yes",
                "--host",
                host,
                "--region",
                "us-east-1",
                "--frontend-collector",
            ],
        );
        let config = dir.path().join("otel-collector-config.yaml");
        let (ok, problems) = collector_problems(&config);
        assert!(ok, "{host}: {problems}");
        let text = read(dir.path(), "otel-collector-config.yaml");
        let origin = match host {
            "gitpod" => "https://3000-*.gitpod.io",
            "codespaces" => "https://*-3000.app.github.dev",
            _ => "http://localhost:3000",
        };
        assert!(text.contains(&format!("- \"{origin}\"")), "{host}:\n{text}");
        assert!(text.contains("x-honeycomb-team: \"${env:HONEYCOMB_API_KEY}\""));

        // The check itself catches the mistakes people make in these keys.
        for (mistake, from, to) in [
            ("a misspelt CORS key", "allowed_origins:", "allowed_origin:"),
            (
                "headers as a list",
                "      x-honeycomb-team: ",
                "      - x-honeycomb-team: ",
            ),
            (
                "an origin with a path",
                "- \"${env:FRONTEND_URL}\"",
                "- \"http://localhost:3000/\"",
            ),
            ("the removed logging exporter", "  debug:\n", "  logging:\n"),
        ] {
            assert!(
                text.contains(from),
                "{mistake}: {from:?} is not in the file"
            );
            let wrong = dir.path().join("wrong.yaml");
            std::fs::write(&wrong, text.replacen(from, to, 1)).unwrap();
            let (ok, problems) = collector_problems(&wrong);
            assert!(!ok, "{mistake} passed the schema check");
            assert!(!problems.is_empty(), "{mistake}");
        }
    }
}
