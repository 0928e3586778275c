//! `init`: what it writes for each answer set, that re-running changes nothing, that nothing of
//! the user's is replaced without --force, and that the files it writes are valid: compose files
//! pass `docker-compose config`, .gitpod.yml passes Gitpod's schema, Python compiles.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::support::{repo, stderr_of, stdout_of, venv_bin, Run};

/// Answer sets every check runs over: (name, flags).
pub const ANSWER_SETS: &[(&str, &[&str])] = &[
    ("gitpod-all", &["--host", "gitpod", "--region", "us-east-1"]),
    (
        "codespaces-collector",
        &[
            "--host",
            "codespaces",
            "--region",
            "ca-central-1",
            "--frontend-collector",
        ],
    ),
    (
        "local-honeycomb-only",
        &[
            "--host",
            "local",
            "--region",
            "eu-west-2",
            "--no-xray",
            "--no-cloudwatch",
            "--no-rollbar",
        ],
    ),
    (
        "local-nothing",
        &[
            "--host",
            "local",
            "--region",
            "us-east-1",
            "--no-honeycomb",
            "--no-xray",
            "--no-cloudwatch",
            "--no-rollbar",
        ],
    ),
    (
        "gitpod-xray-only",
        &[
            "--host",
            "gitpod",
            "--region",
            "us-west-2",
            "--no-honeycomb",
            "--no-cloudwatch",
            "--no-rollbar",
            "--service",
            "api",
        ],
    ),
];

/// `init DIR FLAGS`, to run with its expectations.
pub fn init(dir: &Path, flags: &[&str]) -> Run {
    Run::new(["init"]).arg(dir).args(flags)
}

/// Standard output of `init DIR FLAGS`, which must succeed.
pub fn init_ok(dir: &Path, flags: &[&str]) -> String {
    stdout_of(&init(dir, flags).run())
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The variables compose needs to interpolate every file we write.
const COMPOSE_ENV: &[(&str, &str)] = &[
    ("HONEYCOMB_API_KEY", "hcaik-test-value"),
    ("AWS_ACCESS_KEY_ID", "AKIA-TEST-VALUE"),
    ("AWS_SECRET_ACCESS_KEY", "aws-secret-test-value"),
    ("ROLLBAR_ACCESS_TOKEN", "rollbar-token-test-value"),
    ("GITPOD_WORKSPACE_ID", "ws"),
    ("GITPOD_WORKSPACE_CLUSTER_HOST", "gitpod.example"),
    ("CODESPACE_NAME", "cs"),
    ("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "app.github.dev"),
];

fn docker_compose() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("docker-compose"))
            .find(|p| p.is_file())
    });
    found.expect("docker-compose is missing: run the tests with `bash tests/run.sh`, which installs Debian's docker-compose")
}

/// `docker-compose config` in `dir`; returns the merged configuration.
pub fn compose_config(dir: &Path) -> String {
    let out = Process::new(docker_compose())
        .arg("config")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(COMPOSE_ENV.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker-compose config in {}: {}",
        dir.display(),
        stderr_of(&out)
    );
    stdout_of(&out)
}

#[test]
fn every_answer_set_writes_valid_files() {
    for (name, flags) in ANSWER_SETS {
        let dir = tempfile::tempdir().unwrap();
        init_ok(dir.path(), flags);
        let written = files(dir.path());

        // Compose files pass docker-compose, and hold no literal secret.
        let merged = compose_config(dir.path());
        let compose = read(dir.path(), "docker-compose.yml");
        for (var, value) in COMPOSE_ENV
            .iter()
            .filter(|(v, _)| v.contains("KEY") || v.contains("TOKEN"))
        {
            assert!(
                !compose.contains(value),
                "{name}: literal {var} in docker-compose.yml"
            );
        }
        if flags.contains(&"--no-xray") {
            assert!(!merged.contains("xray-daemon"), "{name}");
        } else {
            let region = flags[flags.iter().position(|f| *f == "--region").unwrap() + 1];
            assert_eq!(
                merged.matches(&format!("AWS_REGION: {region}")).count(),
                2,
                "{name}: daemon and backend share the region:\n{merged}"
            );
        }

        // .gitpod.yml has the structure Gitpod's schema gives.
        if written.contains(&".gitpod.yml".to_string()) {
            let out = Process::new(venv_bin("python"))
                .arg(repo().join("tests/fakes/check_gitpod.py"))
                .arg(dir.path().join(".gitpod.yml"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name}: {}{}",
                stdout_of(&out),
                stderr_of(&out)
            );
        }

        // Every Python file compiles; every JSON file parses.
        let python: Vec<&String> = written.iter().filter(|f| f.ends_with(".py")).collect();
        assert!(!python.is_empty(), "{name}");
        let out = Process::new(venv_bin("python"))
            .args(["-m", "py_compile"])
            .args(python.iter().map(|f| dir.path().join(f)))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr_of(&out));
        for f in written.iter().filter(|f| f.ends_with(".json")) {
            serde_json::from_str::<serde_json::Value>(&read(dir.path(), f))
                .unwrap_or_else(|e| panic!("{name}: {f}: {e}"));
        }
    }
}

#[test]
fn yes_in_a_fresh_folder_then_rerun_changes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    init(&dir, &["--yes"])
        .stdout_contains("created    backend-flask/app.py")
        .stdout_contains("next:\n  1. cd ")
        .stdout_contains("  2. cruddur-obs env dotenv ")
        .run();
    let manifest = read(&dir, "cruddur-obs.toml");
    assert!(
        manifest.contains("host = \"local\"\nregion = \"us-east-1\""),
        "detected region from AWS_DEFAULT_REGION:\n{manifest}"
    );
    let before: Vec<(String, String)> = files(&dir)
        .into_iter()
        .map(|f| (f.clone(), read(&dir, &f)))
        .collect();

    init(&dir, &["--yes"])
        .stdout(format!(
            "{} is already as init would write it: nothing changed\n",
            dir.display()
        ))
        .run();
    let after: Vec<(String, String)> = files(&dir)
        .into_iter()
        .map(|f| (f.clone(), read(&dir, &f)))
        .collect();
    assert_eq!(before, after);

    // The manifest's answers are the defaults of the next run: no flags needed.
    init(&dir, &[]).run();
}

#[test]
fn without_a_terminal_it_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path(), &[])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .status(2)
        .stderr(
            "error: init needs where the workspace runs, and there is no terminal to ask on\n\
             hint: pass --host gitpod|codespaces|local, or --yes to take the detected or default answers\n",
        )
        .run();
    init(dir.path(), &["--host", "local"])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .status(2)
        .stderr_contains("hint: pass --region REGION")
        .run();
    assert!(files(dir.path()).is_empty(), "nothing written");

    // The host is detected from the workspace's own variables.
    init(dir.path(), &[])
        .env("GITPOD_WORKSPACE_ID", "abc")
        .run();
    assert!(read(dir.path(), "cruddur-obs.toml").contains("host = \"gitpod\""));
}

#[test]
fn bad_answers_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    [
        "--sampling-rate: 2 is out of range; allowed: a number from 0 to 1",
        "--retention-in-days: 10 is not a retention period CloudWatch Logs accepts (nearest: 7 or 14)",
        "--region: \"can-central-1\" is not an AWS region; allowed: an AWS region; did you mean \"ca-central-1\"?",
        "--log-group: names starting with \"aws/\" are reserved",
    ]
    .into_iter()
    .fold(
        init(
            dir.path(),
            &[
                "--yes",
                "--sampling-rate",
                "2",
                "--retention-in-days",
                "10",
                "--region",
                "can-central-1",
                "--log-group",
                "aws/x",
            ],
        )
        .status(2),
        Run::stderr_contains,
    )
    .run();
    assert!(files(dir.path()).is_empty());
    init(dir.path(), &["--yes", "--host", "mars"])
        .status(2)
        .stderr_contains("[possible values: gitpod, codespaces, local]")
        .run();
}

#[test]
fn bad_manifest_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes"]);
    let path = dir.path().join("cruddur-obs.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("fixed_rate = 0.1", "fixedRate = 0.1");
    std::fs::write(&path, text).unwrap();
    init(dir.path(), &["--yes"])
        .status(2)
        .stderr_starts_with(format!(
            "error: {}:20:1: fixedRate: unknown field \"fixedRate\"; did you mean \"fixed_rate\"?",
            path.display()
        ))
        .stderr_contains(
            "hint: allowed fields here: enabled, group, sampling_rule, fixed_rate, reservoir_size",
        )
        .run();
}

#[test]
fn user_changes_are_never_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes"]);
    let app = dir.path().join("backend-flask/app.py");
    let mine = format!(
        "{}# my own line\n",
        read(dir.path(), "backend-flask/app.py")
    );
    std::fs::write(&app, &mine).unwrap();
    std::fs::remove_file(dir.path().join(".env.example")).unwrap();

    // A different answer changes the manifest too: two conflicts, and nothing written at all.
    let out = init(dir.path(), &["--yes", "--sampling-rate", "0.2"])
        .status(3)
        .stderr_contains(" files already exist with other content; nothing was written:\n")
        .stderr_contains("hint: re-run with --force to replace them")
        .run();
    let err = stderr_of(&out);
    for f in [
        "cruddur-obs.toml",
        "backend-flask/app.py",
        "aws/json/xray.json",
    ] {
        assert!(
            err.contains(&format!("\n  {f}\n")) || err.contains(&format!("\n  {f}")),
            "{f} in {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&app).unwrap(), mine);
    assert!(
        !dir.path().join(".env.example").exists(),
        "all or nothing: not even a missing file is written"
    );

    init(
        dir.path(),
        &["--yes", "--sampling-rate", "0.2", "--dry-run"],
    )
    .status(3)
    .stdout_contains(format!(
        "{:30} backend-flask/app.py\n",
        "conflict (needs --force)"
    ))
    .stdout_contains(format!("{:30} .env.example\n", "would create"))
    .run();

    init(dir.path(), &["--yes", "--sampling-rate", "0.2", "--force"])
        .stdout_contains("replaced   backend-flask/app.py (old copy: backend-flask/app.py.bak)")
        .run();
    assert_eq!(read(dir.path(), "backend-flask/app.py.bak"), mine);
    assert!(read(dir.path(), "aws/json/xray.json").contains("\"FixedRate\": 0.2,"));
    assert!(dir.path().join(".env.example").exists());
}

#[test]
fn dry_run_writes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("new");
    init(&dir, &["--yes", "--dry-run"])
        .stdout_contains(format!("{:30} cruddur-obs.toml\n", "would create"))
        .run();
    assert!(!dir.exists(), "not even the folder");
    init(&dir, &["--yes", "--dry-run", "--output", "json"])
        .stdout_json(|plan: &serde_json::Value| {
            plan["dry_run"] == true
                && plan["files"][0]
                    == serde_json::json!({"path": "cruddur-obs.toml", "action": "create"})
        })
        .run();
}

#[test]
fn a_users_compose_file_gets_an_override_and_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let users = "services:\n  backend-flask:\n    build: ./backend-flask\n    ports: [\"4567:4567\"]\n    environment:\n      MY_SETTING: \"kept\"\n  frontend-react-js:\n    image: node:18\n    ports: [\"3000:3000\"]\n";
    std::fs::write(dir.path().join("docker-compose.yml"), users).unwrap();
    std::fs::write(dir.path().join(".gitignore"), "node_modules\n").unwrap();
    init(
        dir.path(),
        &["--yes", "--host", "gitpod", "--frontend-collector"],
    )
    .stdout_contains("created    docker-compose.override.yml")
    .stdout_contains("updated    .gitignore (added lines)")
    .run();
    assert_eq!(
        read(dir.path(), "docker-compose.yml"),
        users,
        "the user's compose file is untouched"
    );
    assert_eq!(
        read(dir.path(), ".gitignore"),
        "node_modules\n# cruddur-obs: files that hold secrets\n.env\n.env.*\n!.env.example\n"
    );

    let merged = compose_config(dir.path());
    assert!(merged.contains("MY_SETTING: kept"), "{merged}");
    assert!(
        merged.contains("OTEL_SERVICE_NAME: backend-flask"),
        "{merged}"
    );
    assert!(
        merged.contains("REACT_APP_OTEL_COLLECTOR_URL: https://4318-ws.gitpod.example"),
        "{merged}"
    );
    assert_eq!(
        merged.matches("published: 4567").count(),
        1,
        "the user's port mapping is not repeated:\n{merged}"
    );
    let override_file = read(dir.path(), "docker-compose.override.yml");
    assert!(!override_file.contains("build:"), "{override_file}");

    let out = init_ok(dir.path(), &["--yes"]);
    assert!(out.ends_with("nothing changed\n"), "{out}");
}

#[test]
fn an_invalid_user_compose_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  backend-flask:\n   build: .\n  bad: [\n",
    )
    .unwrap();
    init(dir.path(), &["--yes"])
        .status(2)
        .stderr_starts_with(format!(
            "error: {}:",
            dir.path().join("docker-compose.yml").display()
        ))
        .stderr_contains("this compose file is not valid YAML")
        .run();
    assert_eq!(files(dir.path()), ["docker-compose.yml"]);
}

#[test]
fn snapshots_of_what_init_writes() {
    for (name, flags) in ANSWER_SETS.iter().take(3) {
        let dir = tempfile::tempdir().unwrap();
        init_ok(dir.path(), flags);
        for f in files(dir.path()) {
            let snapshot = format!("{name}__{}", f.replace('/', "__"));
            insta::assert_snapshot!(snapshot, read(dir.path(), &f));
        }
    }
}

#[test]
fn on_a_terminal_it_asks_what_it_cannot_guess() {
    use std::io::Write;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("ws");
    let binary = assert_cmd::cargo::cargo_bin("cruddur-obs");
    // `script` gives the command a pseudo-terminal and passes what we type to it.
    let mut child = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} init {}", binary.display(), dir.display()),
            "/dev/null",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", parent.path())
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut keys = child.stdin.take().unwrap();
    // Where it runs: Enter takes the default (local). Region: typed. Parts: space turns the
    // first (Honeycomb) off, Enter accepts. No Honeycomb, so no environment question.
    for typed in ["\r", "eu-west-2\r", " \r"] {
        std::thread::sleep(std::time::Duration::from_millis(400));
        keys.write_all(typed.as_bytes()).unwrap();
        keys.flush().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("Where does this workspace run?"),
        "{screen}"
    );
    assert!(
        screen.contains("AWS region for X-Ray and CloudWatch Logs"),
        "{screen}"
    );
    assert!(!screen.contains("Honeycomb environment"), "{screen}");
    let manifest = read(&dir, "cruddur-obs.toml");
    assert!(
        manifest.contains("host = \"local\"\nregion = \"eu-west-2\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("[honeycomb]\nenabled = false"),
        "{manifest}"
    );
    assert!(manifest.contains("[rollbar]\nenabled = true"), "{manifest}");
    assert!(!dir.join("backend-flask/telemetry/honeycomb.py").exists());
}
