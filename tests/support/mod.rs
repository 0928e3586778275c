//! What every integration test runs against: the real binary with a clean environment, moto on
//! loopback, the X-Ray fake, and the aws cli, all from the project's virtualenv.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command as Process, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use assert_cmd::Command;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv tests/run.sh builds. A missing one fails the test, naming the fix.
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("CRUDDUR_OBS_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let bin = venv.join("bin").join(name);
    assert!(
        bin.exists(),
        "missing test dependency {}: run the tests with `bash tests/run.sh`, which installs moto and the aws cli into .venv",
        bin.display()
    );
    bin
}

/// A HOME with no AWS files in it, so nothing from this machine leaks into a test.
fn empty_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("cruddur-obs-test-home-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// The standard test environment: fake credentials, us-east-1, nothing else.
pub const TEST_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// A command with a cleared environment plus `TEST_ENV`.
fn hermetic(mut cmd: Command) -> Command {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty_home())
        .envs(TEST_ENV.iter().copied())
        .timeout(Duration::from_secs(60));
    cmd
}

/// The cruddur-obs binary, hermetic.
pub fn cruddur() -> Command {
    hermetic(Command::cargo_bin("cruddur-obs").unwrap())
}

/// One run of the hermetic `cruddur()` and what it must do, in the manner of `just`'s test
/// builder: `Run::new(["xray", "get-groups"]).status(1).stderr_contains("...").run()`. Nothing
/// happens until `.run()`, which runs the command, checks every expectation at once (exit code 0
/// unless `.status()` says otherwise) and panics with the command line, its status, stdout and
/// stderr when one fails; it returns the `Output` for any further checks.
#[must_use = "a Run does nothing until .run()"]
pub struct Run {
    args: Vec<OsString>,
    /// In order; `None` removes the variable.
    env: Vec<(OsString, Option<OsString>)>,
    current_dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    checks: Vec<Check>,
    json: Vec<Box<dyn JsonCheck>>,
    snapshots: Vec<(String, &'static str)>,
}

enum Check {
    Contains(Stream, String),
    StartsWith(Stream, String),
    Lacks(Stream, String),
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// What `Run::stdout_json` accepts: a `serde_json::Value` that standard output must equal (numbers
/// compared as f64, see `normalize`), or a predicate over the parsed standard output (as parsed,
/// not normalized).
pub trait JsonCheck {
    /// `Err` describes what was expected.
    fn check(&self, actual: &serde_json::Value) -> Result<(), String>;
}

impl JsonCheck for serde_json::Value {
    fn check(&self, actual: &serde_json::Value) -> Result<(), String> {
        if normalize(self.clone()) == normalize(actual.clone()) {
            Ok(())
        } else {
            Err(format!(
                "stdout: expected the JSON\n{}",
                indent(&serde_json::to_string_pretty(self).unwrap())
            ))
        }
    }
}

impl<F: Fn(&serde_json::Value) -> bool> JsonCheck for F {
    fn check(&self, actual: &serde_json::Value) -> Result<(), String> {
        if self(actual) {
            Ok(())
        } else {
            Err("stdout: the JSON does not satisfy the predicate".to_string())
        }
    }
}

impl Run {
    /// `cruddur-obs ARGS...`, hermetic (see `cruddur()`).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Self {
        Run {
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            stdin: None,
            status: 0,
            stdout: None,
            stderr: None,
            checks: Vec::new(),
            json: Vec::new(),
            snapshots: Vec::new(),
        }
        .args(args)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// What the command reads on standard input (otherwise: nothing, at once end of file).
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// The exit code the command must end with; 0 unless set.
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Standard output must be exactly `text`.
    pub fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Some(text.into());
        self
    }

    /// Standard error must be exactly `text`.
    pub fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Some(text.into());
        self
    }

    pub fn stdout_contains(mut self, text: impl Into<String>) -> Self {
        self.checks
            .push(Check::Contains(Stream::Stdout, text.into()));
        self
    }

    pub fn stderr_contains(mut self, text: impl Into<String>) -> Self {
        self.checks
            .push(Check::Contains(Stream::Stderr, text.into()));
        self
    }

    pub fn stdout_starts_with(mut self, text: impl Into<String>) -> Self {
        self.checks
            .push(Check::StartsWith(Stream::Stdout, text.into()));
        self
    }

    pub fn stderr_starts_with(mut self, text: impl Into<String>) -> Self {
        self.checks
            .push(Check::StartsWith(Stream::Stderr, text.into()));
        self
    }

    /// Standard output must not contain `text` anywhere.
    pub fn stdout_lacks(mut self, text: impl Into<String>) -> Self {
        self.checks.push(Check::Lacks(Stream::Stdout, text.into()));
        self
    }

    /// Standard error must not contain `text` anywhere.
    pub fn stderr_lacks(mut self, text: impl Into<String>) -> Self {
        self.checks.push(Check::Lacks(Stream::Stderr, text.into()));
        self
    }

    /// Standard output must be JSON that equals the given `serde_json::Value` or satisfies the
    /// given predicate (see `JsonCheck`).
    pub fn stdout_json(mut self, check: impl JsonCheck + 'static) -> Self {
        self.json.push(Box::new(check));
        self
    }

    /// Standard output must match the insta snapshot `name`, stored as
    /// tests/snapshots/integration__<calling module>__<name>.snap: the file insta's own
    /// `assert_snapshot!(name, ...)` would use in the calling test's module.
    #[track_caller]
    pub fn stdout_snapshot(mut self, name: impl Into<String>) -> Self {
        self.snapshots
            .push((name.into(), std::panic::Location::caller().file()));
        self
    }

    /// The command as a shell line, for messages: `cd DIR && env -u VAR VAR=value cruddur-obs
    /// ARGS`, with the environment's changes as they stand last (the rest is `TEST_ENV`).
    pub fn command_line(&self) -> String {
        let mut line = String::new();
        if let Some(dir) = &self.current_dir {
            line.push_str(&format!("cd {} && ", quote(dir.as_os_str())));
        }
        let mut last: Vec<(&OsString, &Option<OsString>)> = Vec::new();
        for (key, value) in &self.env {
            last.retain(|(k, _)| *k != key);
            last.push((key, value));
        }
        if !last.is_empty() {
            line.push_str("env ");
            for (key, _) in last.iter().filter(|(_, v)| v.is_none()) {
                line.push_str(&format!("-u {} ", key.to_string_lossy()));
            }
            for (key, value) in &last {
                if let Some(v) = value {
                    line.push_str(&format!("{}={} ", key.to_string_lossy(), quote(v)));
                }
            }
        }
        line.push_str("cruddur-obs");
        for arg in &self.args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        line
    }

    /// Runs the command and checks every expectation; see `Run`.
    #[track_caller]
    pub fn run(self) -> std::process::Output {
        let command_line = self.command_line();
        let mut cmd = cruddur();
        cmd.args(&self.args);
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = &self.current_dir {
            cmd.current_dir(dir);
        }
        if let Some(input) = &self.stdin {
            cmd.write_stdin(input.clone());
        }
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{command_line}`: {e}"));
        let stdout = stdout_of(&output);
        let stderr = stderr_of(&output);

        let mut problems = Vec::new();
        if output.status.code() != Some(self.status) {
            problems.push(format!(
                "status: expected exit code {}, got {}",
                self.status, output.status
            ));
        }
        for (stream, expected, actual) in [
            (Stream::Stdout, &self.stdout, &stdout),
            (Stream::Stderr, &self.stderr, &stderr),
        ] {
            if let Some(expected) = expected {
                if expected != actual {
                    problems.push(format!(
                        "{}: not as expected (- expected, + actual):\n{}",
                        stream.name(),
                        similar::TextDiff::from_lines(expected.as_str(), actual.as_str())
                            .unified_diff()
                            .context_radius(3)
                            .to_string()
                            .trim_end()
                    ));
                }
            }
        }
        for check in &self.checks {
            let text = |s: Stream| match s {
                Stream::Stdout => &stdout,
                Stream::Stderr => &stderr,
            };
            match check {
                Check::Contains(s, want) if !text(*s).contains(want.as_str()) => {
                    problems.push(format!("{}: lacks {want:?}", s.name()))
                }
                Check::StartsWith(s, want) if !text(*s).starts_with(want.as_str()) => {
                    problems.push(format!("{}: does not start with {want:?}", s.name()))
                }
                Check::Lacks(s, unwanted) if text(*s).contains(unwanted.as_str()) => {
                    problems.push(format!("{}: contains {unwanted:?}", s.name()))
                }
                _ => {}
            }
        }
        if !self.json.is_empty() {
            match serde_json::from_str::<serde_json::Value>(&stdout) {
                Ok(value) => {
                    problems.extend(self.json.iter().filter_map(|c| c.check(&value).err()))
                }
                Err(e) => problems.push(format!("stdout: not JSON: {e}")),
            }
        }
        if !problems.is_empty() {
            panic!(
                "`{command_line}` did not do what it should:\n{}\n\
                 --- status: {}\n--- stdout:\n{}--- stderr:\n{}--- end",
                problems
                    .iter()
                    .map(|p| format!("  - {}", p.replace('\n', "\n    ")))
                    .collect::<Vec<_>>()
                    .join("\n"),
                output.status,
                with_newline(&stdout),
                with_newline(&stderr),
            );
        }

        for (name, file) in &self.snapshots {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(repo().join("tests/snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_description(&command_line);
            settings.set_omit_expression(true);
            let name = format!("{}__{name}", snapshot_module(file));
            settings.bind(|| insta::assert_snapshot!(name, &stdout));
        }
        output
    }
}

/// The prefix insta gives snapshots taken in the module of `file` (a path such as
/// tests/help.rs): the test binary's name and the module path, joined by `__`.
fn snapshot_module(file: &str) -> String {
    let crate_name = module_path!().split("::").next().unwrap();
    let module = file
        .strip_prefix("tests/")
        .unwrap_or(file)
        .trim_end_matches(".rs")
        .trim_end_matches("/mod")
        .replace('/', "__");
    format!("{crate_name}__{module}")
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n(no newline at the end)\n")
    }
}

/// The real aws cli (v1) from the virtualenv, hermetic.
pub fn aws_cli() -> Command {
    hermetic(Command::new(venv_bin("aws")))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process that is killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh X-Ray control-plane fake on a free port, for one test.
pub fn xray_fake() -> XrayFake {
    let mut child = Process::new(venv_bin("python"))
        .arg(repo().join("tests/fakes/xray_fake.py"))
        .args(["--port", "0", "--page-size", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the X-Ray fake");
    let mut line = String::new();
    let stdout: ChildStdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the X-Ray fake: {line:?}"))
        .to_string();
    XrayFake {
        server: Server { child, url },
    }
}

pub struct XrayFake {
    server: Server,
}

impl XrayFake {
    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Makes the next `count` requests (-1: all) to the named operations fail as `mode`.
    pub fn faults(&self, mode: &str, count: i64, operations: &[&str]) {
        let body = serde_json::json!({"mode": mode, "count": count, "operations": operations});
        post(&format!("{}/_fake/faults", self.url()), &body.to_string());
    }

    /// Every AWS request the fake received, as (operation, status).
    pub fn requests(&self) -> Vec<(String, u16)> {
        let v: serde_json::Value =
            serde_json::from_str(&get(&format!("{}/_fake/requests", self.url()))).unwrap();
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["operation"].as_str().unwrap().to_string(),
                    r["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&get(&format!("{}/_fake/state", self.url()))).unwrap()
    }

    /// The groups, rules and tags of one region.
    pub fn state_in(&self, region: &str) -> serde_json::Value {
        serde_json::from_str(&get(&format!("{}/_fake/state?region={region}", self.url()))).unwrap()
    }

    /// Like `faults`, in these regions only.
    pub fn faults_in(&self, mode: &str, count: i64, operations: &[&str], regions: &[&str]) {
        let body = serde_json::json!({"mode": mode, "count": count, "operations": operations,
            "regions": regions});
        post(&format!("{}/_fake/faults", self.url()), &body.to_string());
    }

    /// The stored rule named `name`.
    pub fn rule(&self, name: &str) -> serde_json::Value {
        let state = self.state();
        let rules = state["sampling_rules"].as_array().unwrap();
        rules
            .iter()
            .map(|r| r.get("SamplingRule").unwrap_or(r).clone())
            .find(|r| r["RuleName"] == name)
            .unwrap_or_else(|| panic!("no rule {name} in {state}"))
    }
}

pub fn get(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

pub fn post(url: &str, body: &str) -> String {
    ureq::post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// One moto server for the whole test binary, lent to one test at a time and reset for each.
/// It runs under a shell that kills it when this process's end of stdin closes.
pub fn moto() -> Moto {
    static MOTO: OnceLock<Mutex<Server>> = OnceLock::new();
    let server = MOTO.get_or_init(|| {
        let port = free_port();
        let script = format!(
            "\"$0\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
        );
        let child = Process::new("sh")
            .args(["-c", &script])
            .arg(venv_bin("moto_server"))
            .stdin(Stdio::piped())
            .spawn()
            .expect("start moto_server");
        wait_for_port(port, "moto_server");
        Mutex::new(Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    });
    let guard = server
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    post(&format!("{}/moto-api/reset", guard.url), "");
    Moto { guard }
}

pub struct Moto {
    guard: MutexGuard<'static, Server>,
}

impl Moto {
    pub fn url(&self) -> &str {
        &self.guard.url
    }
}

/// A loopback port that accepts connections and records whether any came: proof that a
/// command made no network call.
pub struct Listener {
    listener: TcpListener,
    pub url: String,
}

impl Listener {
    pub fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Listener { listener, url }
    }

    pub fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok((mut stream, _)) => {
                let mut buf = [0u8; 256];
                let n = stream.read(&mut buf).unwrap_or(0);
                panic!("a request was made: {}", String::from_utf8_lossy(&buf[..n]));
            }
            Err(e) => panic!("listener failed: {e}"),
        }
    }
}

/// Standard output of a finished command as text.
pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// JSON with every number as f64, so `1` and `1.0` compare equal as they do for the aws cli's
/// Python readers.
pub fn normalize(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

pub fn json_of(text: &str) -> serde_json::Value {
    normalize(serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// A virtualenv with a generated backend's requirements, cached under .venv-backend/ by the
/// requirements' hash. A venv cannot be moved (its scripts hold absolute paths), so it is built in
/// place and marked complete last; one without the mark is rebuilt.
pub fn backend_venv(requirements: &Path) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // Keyed by the set of requirements, not the file's bytes: a user's file with the same pins in
    // another order (or with comments) shares the venv.
    let text = std::fs::read_to_string(requirements).unwrap();
    let mut lines: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    let key = lines.join("\n").to_lowercase().replace('_', "-");
    let mut hash = Process::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut hash.stdin.take().unwrap(), key.as_bytes()).unwrap();
    let hash = hash.wait_with_output().unwrap();
    let hash = String::from_utf8_lossy(&hash.stdout)[..16].to_string();
    let venv = repo().join(".venv-backend").join(&hash);
    let complete = venv.join(".complete");
    if complete.exists() {
        return venv;
    }
    let _ = std::fs::remove_dir_all(&venv);
    let status = Process::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let out = Process::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(requirements)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "installing the backend's requirements failed:\n{}",
        stderr_of(&out)
    );
    std::fs::write(&complete, "").unwrap();
    venv
}

/// The receivers process: OTLP/HTTP, X-Ray UDP, Rollbar.
pub struct Receivers {
    child: Child,
    pub http: String,
    pub udp: String,
}

impl Drop for Receivers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn receivers() -> Receivers {
    let mut child = Process::new(venv_bin("python"))
        .arg(repo().join("tests/fakes/receivers.py"))
        .args(["--port", "0", "--udp-port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("receivers said {line:?}: {e}"));
    Receivers {
        child,
        http: ready["http"].as_str().unwrap().to_string(),
        udp: ready["xray_udp"].as_str().unwrap().to_string(),
    }
}

impl Receivers {
    pub fn received(&self) -> serde_json::Value {
        serde_json::from_str(&get(&format!("{}/_fake/received", self.http))).unwrap()
    }

    /// Registers a Honeycomb key with the given environment slug.
    pub fn honeycomb_key(&self, key: &str, key_type: &str, environment: &str) {
        let body = serde_json::json!({"key": key, "type": key_type,
            "environment": {"name": environment, "slug": environment}, "team": {"name": "Cruddur", "slug": "cruddur"}});
        post(
            &format!("{}/_fake/honeycomb/keys", self.http),
            &body.to_string(),
        );
    }

    /// Registers a Honeycomb configuration key of `environment` with exactly these permissions
    /// (`api_key_access` flags: "queries", "boards", "markers", ...).
    pub fn honeycomb_configuration_key(&self, key: &str, environment: &str, access: &[&str]) {
        let access: serde_json::Map<String, serde_json::Value> = access
            .iter()
            .map(|a| (a.to_string(), serde_json::Value::Bool(true)))
            .collect();
        let body = serde_json::json!({"key": key, "type": "configuration", "api_key_access": access,
            "environment": {"name": environment, "slug": environment}, "team": {"name": "Cruddur", "slug": "cruddur"}});
        post(
            &format!("{}/_fake/honeycomb/keys", self.http),
            &body.to_string(),
        );
    }

    /// Makes these datasets exist in the Honeycomb fake.
    pub fn honeycomb_datasets(&self, environment: &str, datasets: &[&str]) {
        let body = serde_json::json!({"environment": environment, "datasets": datasets});
        post(
            &format!("{}/_fake/honeycomb/datasets", self.http),
            &body.to_string(),
        );
    }

    /// Sets how the Honeycomb or Rollbar fake answers: "normal", "rate_limited", "hang".
    pub fn mode(&self, service: &str, mode: &str) {
        post(
            &format!("{}/_fake/mode", self.http),
            &serde_json::json!({service: mode}).to_string(),
        );
    }
}

/// The name `up` tags a workspace's resources with: its folder's name.
pub fn workspace_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The X-Ray daemon stand-in (tests/fakes/xray_daemon.py): what an X-Ray SDK sends to `udp` it
/// forwards to PutTraceSegments at `moto_url` within about a second, as the real daemon does.
/// Killed by `stop()`, or when dropped.
pub struct XrayDaemon {
    child: Option<Child>,
    /// Where SDKs send segments: `127.0.0.1:PORT` (AWS_XRAY_DAEMON_ADDRESS).
    pub udp: String,
}

impl XrayDaemon {
    /// Kills the daemon: from then on nothing sent to `udp` is forwarded.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for XrayDaemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh X-Ray daemon stand-in on a free port, forwarding to `moto_url`, with the test
/// environment's fake credentials and region (and nothing else from this machine's environment).
pub fn xray_daemon(moto_url: &str) -> XrayDaemon {
    let mut child = Process::new(venv_bin("python"))
        .arg(repo().join("tests/fakes/xray_daemon.py"))
        .args(["--endpoint", moto_url, "--port", "0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty_home())
        .envs(TEST_ENV.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the X-Ray daemon stand-in");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the X-Ray daemon stand-in said {line:?}: {e}"));
    XrayDaemon {
        udp: ready["udp"]
            .as_str()
            .unwrap_or_else(|| panic!("no udp in the X-Ray daemon stand-in's line {line:?}"))
            .to_string(),
        child: Some(child),
    }
}
