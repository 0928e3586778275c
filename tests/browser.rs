//! A generated React frontend in a real browser: its npm dependencies installed from the registry,
//! bundled with esbuild as create-react-app would build it, served on its own origin, and loaded in
//! Debian's headless Chromium driven by puppeteer-core (tests/browser/drive.mjs), which records
//! every request, response, console message and script. Its tests prove that one trace joins the
//! browser's fetch span and the Flask backend's server span, and that a user's own frontend is
//! built, served and routed as create-react-app would.
//!
//! Needs Node.js with npm (tests/run.sh checks) and Debian's chromium at /usr/bin/chromium
//! (tests/run.sh installs it). npm installs go to `<target dir>/npm/`, never into the repository.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::backend::{sending_env, start_backend};
use crate::init::init_ok;
use crate::instrument::materialize;
use crate::support::{free_port, moto, post, receivers, repo, stderr_of, stdout_of};

/// Where Debian's chromium package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long `browse` waits for its `Until` after the page starts loading.
const BROWSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Cargo's target directory: CARGO_TARGET_DIR when set (relative to the repository, where cargo
/// runs the tests), else `<repo>/target`. Ignored by git, so installs and builds go there.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo().join(dir),
        _ => repo().join("target"),
    }
}

/// The first 16 hex digits of the SHA-256 of `text`.
fn short_hash(text: &str) -> String {
    let mut child = Process::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sha256sum failed");
    stdout_of(&out)[..16].to_string()
}

/// Copies the folder `from` to `to`, recursively; `to` is created.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// The rig's own npm packages (esbuild, puppeteer-core), from tests/browser/package.json.
fn tooling() -> Map<String, Value> {
    let path = repo().join("tests/browser/package.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let package: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    package["dependencies"]
        .as_object()
        .unwrap_or_else(|| panic!("{} has no dependencies", path.display()))
        .clone()
}

/// A node_modules folder with `dependencies` (a package.json's, `react-scripts` left out: the rig
/// builds with esbuild) plus the rig's tooling (tests/browser/package.json; its pins win over the
/// same names in `dependencies`), installed with `npm install` from the npm registry.
///
/// Cached under `<target dir>/npm/<hash of the dependency set>/`, with npm's cache in
/// `<target dir>/npm/_cache/`. An install runs in a temporary folder that is marked complete and
/// then renamed into place, so a folder without the mark is never used; one process installs at a
/// time. A failed install panics with npm's output.
pub fn node_modules(dependencies: &Map<String, Value>) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());

    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for (name, version) in dependencies {
        if name == "react-scripts" {
            continue;
        }
        let version = version
            .as_str()
            .unwrap_or_else(|| panic!("dependency {name}: the version {version} is not a string"));
        wanted.insert(name.clone(), version.to_string());
    }
    for (name, version) in tooling() {
        wanted.insert(name, version.as_str().unwrap().to_string());
    }
    let key: String = wanted
        .iter()
        .map(|(name, version)| format!("{name}@{version}\n"))
        .collect();
    let npm_dir = target_dir().join("npm");
    let dir = npm_dir.join(short_hash(&key));
    let complete = dir.join(".complete");
    if complete.exists() {
        return dir.join("node_modules");
    }

    let tmp = npm_dir.join(format!(
        ".installing-{}-{}",
        dir.file_name().unwrap().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let package = json!({
        "name": "cruddur-obs-test-frontend-deps",
        "private": true,
        "description": "Installed by tests/browser.rs; the set of packages is in the folder's name.",
        "dependencies": wanted,
    });
    std::fs::write(
        tmp.join("package.json"),
        serde_json::to_string_pretty(&package).unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let out = Process::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--cache",
        ])
        .arg(npm_dir.join("_cache"))
        .env("npm_config_update_notifier", "false")
        .current_dir(&tmp)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run npm ({e}): the browser tests need Node.js 20 or later with its npm, as tests/run.sh checks")
        });
    assert!(
        out.status.success(),
        "`npm install` of\n{key}in {} failed ({}):\n--- stdout:\n{}--- stderr:\n{}",
        tmp.display(),
        out.status,
        stdout_of(&out),
        stderr_of(&out)
    );
    eprintln!(
        "browser: npm installed {} packages into {} in {:.1?}",
        wanted.len(),
        dir.display(),
        started.elapsed()
    );
    std::fs::write(tmp.join(".complete"), &key).unwrap();
    // A folder left without its mark by an interrupted run is replaced; one that another process
    // completed meanwhile is kept.
    if dir.exists() && !complete.exists() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        assert!(
            complete.exists(),
            "cannot move {} to {}: {e}",
            tmp.display(),
            dir.display()
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
    dir.join("node_modules")
}

/// Builds `frontend_dir` (a temporary copy of a create-react-app frontend: package.json,
/// src/index.js, public/) as `react-scripts build` would, with esbuild, and returns its `dist/`:
/// public/'s files, index.html with the bundle's script (and stylesheet) added, bundle.js.
///
/// `frontend_dir/node_modules` becomes a link to `node_modules` of package.json's dependencies.
/// JSX is allowed in .js files (React's automatic runtime), CSS is bundled into bundle.css and
/// images and fonts are inlined. Like create-react-app, only `env`'s REACT_APP_* variables reach
/// the bundle (as `process.env.REACT_APP_*`, with NODE_ENV "production" and PUBLIC_URL ""); any
/// other, such as HONEYCOMB_API_KEY, is left out.
pub fn bundle(frontend_dir: &Path, env: &[(&str, &str)]) -> PathBuf {
    let frontend_dir = std::fs::canonicalize(frontend_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", frontend_dir.display()));
    assert!(
        !frontend_dir.starts_with(std::fs::canonicalize(repo()).unwrap()),
        "bundle writes into the frontend it builds: give it a temporary copy, not {}",
        frontend_dir.display()
    );
    let manifest = frontend_dir.join("package.json");
    let package: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest)
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let dependencies = package["dependencies"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let modules = node_modules(&dependencies);

    let link = frontend_dir.join("node_modules");
    match std::fs::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(&link).unwrap(),
        Ok(_) => panic!(
            "{} has its own node_modules; bundle links the installed one there",
            frontend_dir.display()
        ),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&modules, &link).unwrap();

    let dist = frontend_dir.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    let public = frontend_dir.join("public");
    if public.is_dir() {
        copy_dir(&public, &dist);
    } else {
        std::fs::create_dir_all(&dist).unwrap();
    }

    let mut process_env = Map::new();
    process_env.insert("NODE_ENV".into(), "production".into());
    process_env.insert("PUBLIC_URL".into(), "".into());
    for (name, value) in env {
        if name.starts_with("REACT_APP_") {
            process_env.insert(name.to_string(), Value::from(*value));
        }
    }
    let mut args = vec![
        "src/index.js".to_string(),
        "--bundle".into(),
        "--outfile=dist/bundle.js".into(),
        "--loader:.js=jsx".into(),
        "--jsx=automatic".into(),
        "--log-level=warning".into(),
        // `process.env` as a whole, so that an unset REACT_APP_* reads as undefined, as in a
        // create-react-app build, and each variable inlined where it is read.
        format!(
            "--define:process.env={}",
            Value::Object(process_env.clone())
        ),
    ];
    for (name, value) in &process_env {
        args.push(format!("--define:process.env.{name}={value}"));
    }
    for ext in [
        "svg", "png", "jpg", "jpeg", "gif", "webp", "ico", "woff", "woff2", "ttf",
    ] {
        args.push(format!("--loader:.{ext}=dataurl"));
    }
    let out = Process::new(modules.join(".bin/esbuild"))
        .args(&args)
        .current_dir(&frontend_dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run esbuild from {}: {e}", modules.display()));
    assert!(
        out.status.success(),
        "esbuild could not bundle {}:\n{}{}",
        frontend_dir.display(),
        stdout_of(&out),
        stderr_of(&out)
    );

    let template = std::fs::read_to_string(public.join("index.html")).unwrap_or_else(|_| {
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    \
         <title>React App</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n  </body>\n\
         </html>\n"
            .to_string()
    });
    let mut html = template.replace("%PUBLIC_URL%", "");
    if dist.join("bundle.css").exists() {
        html = insert_before(
            &html,
            "</head>",
            "  <link rel=\"stylesheet\" href=\"/bundle.css\" />\n  ",
        );
    }
    html = insert_before(
        &html,
        "</body>",
        "  <script src=\"/bundle.js\"></script>\n  ",
    );
    std::fs::write(dist.join("index.html"), html).unwrap();
    dist
}

/// `html` with `text` inserted before the last `tag`, or at the end when there is none.
fn insert_before(html: &str, tag: &str, text: &str) -> String {
    match html.rfind(tag) {
        Some(at) => format!("{}{text}{}", &html[..at], &html[at..]),
        None => format!("{html}{text}"),
    }
}

/// A static web server for a built frontend on a loopback port, stopped when dropped.
pub struct StaticSite {
    /// The site's origin, `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves the files under `dist` (GET and HEAD), with index.html for any path that is no file, as
/// a single-page app's server does. Files are read at each request, so the site can be started
/// before `dist` is built (for instance, to give the backend the site's origin first).
pub fn serve(dist: &Path) -> StaticSite {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let root = dist.to_path_buf();
    let thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, &root);
                });
            }
        }
    });
    StaticSite {
        url: format!("http://{addr}"),
        addr,
        stop,
        thread: Some(thread),
    }
}

/// Answers one request on `stream` from the files under `root`, then closes the connection.
fn answer(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let relative = Path::new(path.trim_start_matches('/'));
    let safe = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = Some(root.join(relative))
        .filter(|f| safe && f.is_file())
        .unwrap_or_else(|| root.join("index.html"));
    let (status, body, content_type) = match (method, std::fs::read(&file)) {
        ("GET" | "HEAD", Ok(body)) => ("200 OK", body, content_type(&file)),
        ("GET" | "HEAD", Err(_)) => ("404 Not Found", b"no such file".to_vec(), "text/plain"),
        _ => (
            "405 Method Not Allowed",
            b"GET or HEAD only".to_vec(),
            "text/plain",
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// When `browse` stops watching the page.
#[derive(Debug, Clone)]
pub enum Until {
    /// The page has POSTed to `<collector>/v1/traces` (the collector's URL given here) and the
    /// POST was answered or failed: its first span export. The BatchSpanProcessor exports 5 s
    /// after the first span ends. `browse` panics when this has not happened within 30 s.
    TracesExported(String),
    /// This long after the page's load event.
    Elapsed(Duration),
}

/// What happened while `browse` watched a page, as tests/browser/drive.mjs recorded it.
#[derive(Debug, Deserialize)]
pub struct Visit {
    pub url: String,
    /// Whether the `Until` happened before the timeout (`browse` panics when not).
    pub reached: bool,
    /// Why the page did not load, if it did not (`browse` panics then).
    pub load_error: Option<String>,
    pub elapsed_ms: u64,
    /// Every request the page made, in order, CORS preflights included.
    pub requests: Vec<Request>,
    /// Every response, matched to its request by `id`.
    pub responses: Vec<Response>,
    pub console: Vec<ConsoleMessage>,
    /// Uncaught exceptions.
    pub page_errors: Vec<String>,
    /// The source of every script the page ran: bundles, inline scripts, evaluated code.
    pub scripts: Vec<Script>,
    /// The page's text (`document.body.innerText`) at the end.
    pub body_text: String,
}

#[derive(Debug, Deserialize)]
pub struct Request {
    /// Chromium's request id, shared with the `Response`.
    pub id: String,
    pub url: String,
    pub method: String,
    /// Chromium's resource type: Document, Script, Fetch, Preflight, ...
    pub resource_type: Option<String>,
    /// What started it: parser, script, preflight, other.
    pub initiator: Option<String>,
    /// The headers as sent (names in lower case), Origin and the like included where Chromium
    /// reported them.
    pub headers: BTreeMap<String, String>,
    pub post_data: Option<String>,
    /// Why it failed (a network or CORS error), if it did.
    pub failure: Option<String>,
    /// Whether it finished loading or failed before the page was closed.
    pub finished: bool,
}

#[derive(Debug, Deserialize)]
pub struct Response {
    pub id: String,
    pub url: String,
    pub status: u16,
    /// Names in lower case.
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct ConsoleMessage {
    /// log, warn, error, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Script {
    /// Empty for inline and evaluated scripts.
    pub url: String,
    pub text: String,
}

impl Visit {
    /// The response to `request`, if one came.
    pub fn response(&self, request: &Request) -> Option<&Response> {
        self.responses
            .iter()
            .rev()
            .find(|r| r.id == request.id && r.url == request.url)
    }

    /// The requests whose URL starts with `prefix`.
    pub fn requests_to<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Request> + 'a {
        self.requests
            .iter()
            .filter(move |r| r.url.starts_with(prefix))
    }

    /// Where `needle` appears in what the page sent, logged, ran or showed: request URLs, headers
    /// and bodies, console messages, page errors, scripts and the page's text, each place named.
    pub fn places_containing(&self, needle: &str) -> Vec<String> {
        let mut places = Vec::new();
        for r in &self.requests {
            if r.url.contains(needle) {
                places.push(format!("the URL of {} {}", r.method, r.url));
            }
            for (name, value) in &r.headers {
                if name.contains(needle) || value.contains(needle) {
                    places.push(format!("header {name} of {} {}", r.method, r.url));
                }
            }
            if r.post_data.as_deref().is_some_and(|d| d.contains(needle)) {
                places.push(format!("the body of {} {}", r.method, r.url));
            }
        }
        for m in &self.console {
            if m.text.contains(needle) {
                places.push(format!("console.{}: {}", m.kind, m.text));
            }
        }
        for e in &self.page_errors {
            if e.contains(needle) {
                places.push(format!("page error: {e}"));
            }
        }
        for s in &self.scripts {
            if s.text.contains(needle) {
                places.push(format!("the script {:?}", s.url));
            }
        }
        if self.body_text.contains(needle) {
            places.push("the page's text".to_string());
        }
        places
    }

    /// Everything but the scripts' text, for messages.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "visit of {} ({} ms, reached: {}, load error: {:?})\n",
            self.url, self.elapsed_ms, self.reached, self.load_error
        );
        for r in &self.requests {
            let answer = match (self.response(r), &r.failure) {
                (_, Some(failure)) => format!("failed: {failure}"),
                (Some(response), None) => response.status.to_string(),
                (None, None) => "no answer".to_string(),
            };
            text.push_str(&format!(
                "  {} {} [{} from {}] -> {answer}{}\n",
                r.method,
                r.url,
                r.resource_type.as_deref().unwrap_or("?"),
                r.initiator.as_deref().unwrap_or("?"),
                if r.finished { "" } else { " (unfinished)" },
            ));
        }
        for m in &self.console {
            text.push_str(&format!(
                "  console.{} ({}): {}\n",
                m.kind,
                m.url.as_deref().unwrap_or("?"),
                m.text
            ));
        }
        for e in &self.page_errors {
            text.push_str(&format!("  page error: {e}\n"));
        }
        let scripts: Vec<String> = self
            .scripts
            .iter()
            .map(|s| format!("{:?} ({} chars)", s.url, s.text.len()))
            .collect();
        text.push_str(&format!("  scripts: {}\n", scripts.join(", ")));
        text.push_str(&format!("  page text: {:?}\n", self.body_text));
        text
    }
}

/// Loads `url` in Debian's headless Chromium (tests/browser/drive.mjs, with puppeteer-core) and
/// records everything until `until`. Panics when the page does not load, or `until` does not
/// happen in time, showing what the page did; and when node or chromium is missing.
pub fn browse(url: &str, until: Until) -> Visit {
    let node = Process::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: the browser tests need Node.js 20 or later with its npm, as tests/run.sh checks"
    );
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: tests/run.sh installs Debian's chromium package (as root: apt-get install chromium)"
    );
    let modules = node_modules(&Map::new());
    let (until_json, timeout) = match &until {
        Until::TracesExported(collector) => (json!({"traces_exported": collector}), BROWSE_TIMEOUT),
        Until::Elapsed(wait) => (
            json!({"elapsed_ms": wait.as_millis() as u64}),
            BROWSE_TIMEOUT + *wait,
        ),
    };
    let options = json!({
        "url": url,
        "until": until_json,
        "timeout_ms": timeout.as_millis() as u64,
        "chromium": CHROMIUM,
        "node_modules": modules,
    });
    let logs = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Process::new("node")
        .arg(repo().join("tests/browser/drive.mjs"))
        .arg(options.to_string())
        .current_dir(logs.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start node tests/browser/drive.mjs");
    // drive.mjs keeps its own time; this is for a browser that hangs past it.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > timeout + Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "drive.mjs did not finish with {url}:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        status.success(),
        "drive.mjs failed with {url} ({status}):\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    );
    let visit: Visit = serde_json::from_str(stdout.trim_end()).unwrap_or_else(|e| {
        panic!("drive.mjs printed no visit ({e}):\n{stdout:.2000}\n--- stderr:\n{stderr}")
    });
    assert!(
        visit.load_error.is_none(),
        "the page did not load:\n{}",
        visit.summary()
    );
    assert!(
        visit.reached,
        "{until:?} did not happen within {timeout:?}:\n{}",
        visit.summary()
    );
    visit
}

/// A Honeycomb key of the real shape (22 letters and digits) that must stay out of the browser.
const HONEYCOMB_KEY: &str = "Zq7rXc2VwL9bN4tKp8sHd3";

/// The spans `got` (a receiver's snapshot) holds from `service`.
fn spans_of<'a>(got: &'a Value, service: &str) -> Vec<&'a Value> {
    got["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["resource"]["service.name"] == service)
        .collect()
}

/// The URL an HTTP span is about, under the old or the new semantic conventions.
fn span_url(span: &Value) -> &str {
    let a = &span["attributes"];
    a["url.full"]
        .as_str()
        .or(a["http.url"].as_str())
        .or(a["http.target"].as_str())
        .unwrap_or("")
}

fn span_method(span: &Value) -> &str {
    let a = &span["attributes"];
    a["http.request.method"]
        .as_str()
        .or(a["http.method"].as_str())
        .unwrap_or("")
}

#[test]
fn a_fresh_workspace_traces_from_the_browsers_fetch_to_the_backends_span() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(
        dir.path(),
        &[
            "--yes",
            "--host",
            "local",
            "--region",
            "us-east-1",
            "--frontend-collector",
        ],
    );
    one_trace(dir.path(), "@Andrew Brown");
}

#[test]
fn a_retrofitted_week1_repository_traces_from_the_browsers_fetch_to_the_backends_span() {
    let dir = materialize("week1");
    init_ok(
        dir.path(),
        &["--yes", "--frontend-collector", "--region", "us-east-1"],
    );
    one_trace(dir.path(), "@nimbus");
}

/// Loads the frontend init wrote in the workspace DIR in headless Chromium, with its backend
/// running for real and the receiver standing in for the collector, and checks that one trace
/// joins the browser's fetch and the backend's server span. PAGE_TEXT is what the page shows once
/// the backend answered.
fn one_trace(dir: &Path, page_text: &str) {
    let started = Instant::now();
    let frontend = dir.join("frontend-react-js");
    let rx = receivers();
    let moto = moto();

    // The site's origin first: the backend's CORS and the receiver's must allow it.
    let site = serve(&frontend.join("dist"));
    let cors = json!({
        "allowed_origins": [site.url],
        "allowed_headers": ["traceparent", "tracestate", "content-type"],
    });
    post(&format!("{}/_fake/cors", rx.http), &cors.to_string());

    let mut env = sending_env(&rx, &moto);
    env.retain(|(name, _)| *name != "OTEL_EXPORTER_OTLP_HEADERS");
    env.push((
        "OTEL_EXPORTER_OTLP_HEADERS",
        format!("x-honeycomb-team={HONEYCOMB_KEY}"),
    ));
    env.push(("HONEYCOMB_API_KEY", HONEYCOMB_KEY.to_string()));
    env.push(("FRONTEND_URL", site.url.clone()));
    let backend = start_backend(dir, &env);

    // As docker-compose gives the frontend its environment: the key is there, and stays out.
    let built = Instant::now();
    let dist = bundle(
        &frontend,
        &[
            ("REACT_APP_BACKEND_URL", &backend.url),
            ("REACT_APP_OTEL_COLLECTOR_URL", &rx.http),
            ("HONEYCOMB_API_KEY", HONEYCOMB_KEY),
        ],
    );
    assert_eq!(dist, std::fs::canonicalize(&frontend).unwrap().join("dist"));
    eprintln!("browser: installed and bundled in {:.1?}", built.elapsed());

    let browsed = Instant::now();
    let visit = browse(&site.url, Until::TracesExported(rx.http.clone()));
    eprintln!("browser: browsed in {:.1?}", browsed.elapsed());
    let home = format!("{}/api/activities/home", backend.url);
    let output = backend.stop();
    let got = rx.received();
    let context = || format!("{}\n--- backend:\n{output}", visit.summary());

    assert!(visit.page_errors.is_empty(), "{}", context());
    assert!(
        visit.body_text.contains(page_text),
        "the page shows the backend's home feed: {}",
        context()
    );

    // The browser's spans reached the receiver, under the frontend's service name.
    let frontend_spans = spans_of(&got, "frontend-react-js");
    let names: Vec<&str> = frontend_spans
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"documentLoad"),
        "no documentLoad span among {names:?}\n{}",
        context()
    );
    let fetches: Vec<&Value> = frontend_spans
        .iter()
        .copied()
        .filter(|s| s["scope"] == "@opentelemetry/instrumentation-fetch")
        .filter(|s| span_url(s).ends_with("/api/activities/home"))
        .collect();
    assert!(
        !fetches.is_empty(),
        "no fetch span for /api/activities/home among {frontend_spans:#?}\n{}",
        context()
    );
    for span in &frontend_spans {
        assert!(
            span["headers"].get("x-honeycomb-team").is_none(),
            "the browser sends no key: {span:#}"
        );
    }

    // The backend's server span for the page's GET is a child of the browser's fetch span.
    let backend_spans = spans_of(&got, "backend-flask");
    let server = backend_spans
        .iter()
        .find(|s| {
            s["kind"] == "SPAN_KIND_SERVER"
                && span_method(s) == "GET"
                && s["attributes"]["http.route"] == "/api/activities/home"
        })
        .unwrap_or_else(|| {
            panic!(
                "no backend server span for GET /api/activities/home in {backend_spans:#?}\n{}",
                context()
            )
        });
    let fetch = fetches
        .iter()
        .find(|s| s["span_id"] == server["parent_span_id"])
        .unwrap_or_else(|| {
            panic!(
                "the backend's span {server:#} has parent {}, none of the fetch spans {fetches:#?}",
                server["parent_span_id"]
            )
        });
    assert_eq!(fetch["trace_id"], server["trace_id"], "one trace");
    assert_eq!(fetch["kind"], "SPAN_KIND_CLIENT", "{fetch:#}");
    assert_eq!(
        server["headers"]["x-honeycomb-team"], HONEYCOMB_KEY,
        "the backend sends its spans with the key, so the checks below look for a key in use"
    );

    // What the browser sent: the GET carried the fetch span's traceparent, after a preflight
    // asking for it that the backend allowed; the export's preflight was allowed by the receiver.
    let preflight = visit
        .requests_to(&home)
        .find(|r| r.method == "OPTIONS")
        .unwrap_or_else(|| panic!("no preflight before the GET: {}", context()));
    let asked = preflight
        .headers
        .get("access-control-request-headers")
        .cloned()
        .unwrap_or_default();
    assert!(asked.contains("traceparent"), "{preflight:#?}");
    let allowed = visit
        .response(preflight)
        .and_then(|r| r.headers.get("access-control-allow-headers"))
        .cloned()
        .unwrap_or_default();
    assert!(
        allowed.to_lowercase().contains("traceparent"),
        "the backend's CORS must allow traceparent: {:#?}",
        visit.response(preflight)
    );
    let traceparent = format!(
        "00-{}-{}-01",
        fetch["trace_id"].as_str().unwrap(),
        fetch["span_id"].as_str().unwrap()
    );
    let get = visit
        .requests_to(&home)
        .find(|r| r.method == "GET")
        .unwrap_or_else(|| panic!("the page made no GET {home}: {}", context()));
    assert_eq!(
        get.headers.get("traceparent"),
        Some(&traceparent),
        "{get:#?}"
    );
    assert_eq!(
        visit.response(get).map(|r| r.status),
        Some(200),
        "{}",
        context()
    );
    let preflights = got["cors_preflights"].as_array().unwrap();
    let export_preflight = preflights
        .iter()
        .find(|p| p["path"] == "/v1/traces")
        .unwrap_or_else(|| panic!("no preflight to the receiver: {got:#}"));
    assert_eq!(export_preflight["origin"], site.url.as_str());
    assert_eq!(export_preflight["method"], "POST");
    assert_eq!(
        export_preflight["allowed"],
        true,
        "{export_preflight:#}\n{}",
        context()
    );
    let traces = format!("{}/v1/traces", rx.http);
    let export = visit
        .requests_to(&traces)
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(export.failure, None, "{}", context());
    assert_eq!(visit.response(export).map(|r| r.status), Some(200));

    // The key appears nowhere in the browser.
    let leaks = visit.places_containing(HONEYCOMB_KEY);
    assert!(
        leaks.is_empty(),
        "the Honeycomb key reached the browser in {leaks:#?}"
    );

    let name_of = |id: &Value| {
        got["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["span_id"] == *id)
            .map(|s| format!("{} ({})", s["name"], s["resource"]["service.name"]))
            .unwrap_or_else(|| "?".into())
    };
    eprintln!(
        "browser: trace {} : fetch span {} {:?} (parent {}) -> backend span {} {:?}",
        fetch["trace_id"].as_str().unwrap(),
        fetch["span_id"].as_str().unwrap(),
        fetch["name"].as_str().unwrap(),
        if fetch["parent_span_id"] == "" {
            "none".to_string()
        } else {
            name_of(&fetch["parent_span_id"])
        },
        server["span_id"].as_str().unwrap(),
        server["name"].as_str().unwrap(),
    );
    for span in got["spans"].as_array().unwrap() {
        eprintln!(
            "browser:   {} {} parent {:16} {:18} {} {:?}",
            span["trace_id"].as_str().unwrap(),
            span["span_id"].as_str().unwrap(),
            span["parent_span_id"].as_str().unwrap(),
            span["resource"]["service.name"].as_str().unwrap_or("?"),
            span["kind"].as_str().unwrap_or("?"),
            span["name"].as_str().unwrap_or("?"),
        );
    }
    eprintln!("browser: preflights {:#}", got["cors_preflights"]);
    eprintln!("browser: the test took {:.1?}", started.elapsed());
}

#[test]
fn a_users_frontend_is_built_served_and_routed_as_create_react_app_would() {
    // The week-1 frontend as a user has it: react-router-dom, version ranges, no tracing.
    let dir = tempfile::tempdir().unwrap();
    let frontend = dir.path().join("frontend-react-js");
    copy_dir(
        &repo().join("tests/fixtures/repos/week1/frontend-react-js"),
        &frontend,
    );
    // Nothing listens there: the page's fetch fails at once, which the page logs.
    let backend = format!("http://127.0.0.1:{}", free_port());
    let site = serve(&bundle(&frontend, &[("REACT_APP_BACKEND_URL", &backend)]));

    // A deep link: only the single-page app's fallback to index.html lets the router see it.
    // (Not /@andrewbrown: react-router 6 never matches the fixture's "/@:handle", as `:` must
    // follow a `/`; the page shows its 404.)
    let visit = browse(
        &format!("{}/notifications", site.url),
        Until::Elapsed(Duration::from_millis(500)),
    );
    assert!(visit.page_errors.is_empty(), "{}", visit.summary());
    assert!(
        visit.body_text.contains("Notifications"),
        "the router shows the notifications page: {}",
        visit.summary()
    );
    let wanted = format!("{backend}/api/activities/notifications");
    let fetch = visit
        .requests_to(&wanted)
        .next()
        .unwrap_or_else(|| panic!("REACT_APP_BACKEND_URL is built in: {}", visit.summary()));
    assert!(
        fetch.failure.is_some() && visit.response(fetch).is_none(),
        "{fetch:#?}"
    );
    assert!(
        visit
            .requests
            .iter()
            .all(|r| !r.headers.contains_key("traceparent") && !r.url.contains("/v1/traces")),
        "an untraced frontend neither propagates nor exports: {}",
        visit.summary()
    );
    let index = visit
        .requests
        .iter()
        .find(|r| r.resource_type.as_deref() == Some("Document"))
        .unwrap();
    let page = visit.response(index).unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"].starts_with("text/html"),
        "{page:#?}"
    );
    assert!(
        visit
            .scripts
            .iter()
            .any(|s| s.url.ends_with("/bundle.js") && s.text.contains(&backend)),
        "the bundle holds the backend's URL: {}",
        visit.summary()
    );
}
