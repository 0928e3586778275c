//! Everything doctor reads from disk and the environment, read once before any check runs.
//! Nothing here fails: a file that cannot be read or parsed is recorded as such, and the checks
//! that need it say so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::edit::python::{self, PythonFile, SyntaxError};
use crate::manifest::{Host, Manifest};

/// A text file of the workspace, with its YAML or JSON parsed when it is one.
#[derive(Debug, Clone)]
pub struct File {
    /// Path relative to the workspace.
    pub path: String,
    pub text: String,
    /// For Python: the text as Python runs it, comments and docstring-like strings blanked
    /// (lines and columns kept), and where the file does not parse.
    pub live: Option<String>,
    pub syntax: Option<SyntaxError>,
}

impl File {
    fn new(path: String, text: String) -> File {
        File {
            path,
            text,
            live: None,
            syntax: None,
        }
    }

    /// A Python file: its live code, and its syntax error if any.
    fn python(mut self) -> File {
        // One parse: a file that parses gives its live text from its own tree; only a broken
        // one is read again, leniently.
        match PythonFile::parse(&self.text) {
            Ok(file) => self.live = Some(file.live()),
            Err(e) => {
                self.live = Some(python::live_text(&self.text));
                self.syntax = Some(e);
            }
        }
        self
    }

    /// The lines of live code with their 1-based numbers (for Python: without comments and
    /// strings that stand alone; otherwise without `#` comment lines), blank lines left out.
    pub fn code_lines(&self) -> impl Iterator<Item = (usize, &str)> {
        let text = self.live.as_deref().unwrap_or(&self.text);
        let python = self.live.is_some();
        text.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(move |(_, l)| {
                !l.trim().is_empty() && (python || !l.trim_start().starts_with('#'))
            })
    }

    /// Lines with their 1-based numbers.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.text.lines().enumerate().map(|(i, l)| (i + 1, l))
    }

    /// The first line holding `needle`, as `path:line`.
    pub fn locate(&self, needle: &str) -> Option<String> {
        self.lines()
            .find(|(_, l)| l.contains(needle))
            .map(|(n, _)| format!("{}:{n}", self.path))
    }

    /// The line of a key in a YAML file written in block style, found by its path from the
    /// top (`["receivers", "otlp", "protocols", "http"]`), as `path:line`; when the full path is
    /// not written, the line of its longest written beginning; None when not even its first key is.
    pub fn locate_key(&self, keys: &[&str]) -> Option<String> {
        let mut open: Vec<(usize, String)> = Vec::new();
        let mut best: Option<(usize, usize)> = None;
        for (n, line) in self.lines() {
            let text = line.trim_start();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let depth = line.len() - text.len();
            while open.last().is_some_and(|(d, _)| *d >= depth) {
                open.pop();
            }
            let Some((key, _)) = text.split_once(':') else {
                continue;
            };
            let key = key.trim().trim_matches(['"', '\'']);
            if key.is_empty() || key.starts_with("- ") || key.contains(['{', '[']) {
                continue;
            }
            open.push((depth, key.to_string()));
            let matched = open
                .iter()
                .zip(keys)
                .take_while(|((_, k), want)| k == *want)
                .count();
            if matched == open.len() && best.is_none_or(|(m, _)| matched > m) {
                best = Some((matched, n));
                if matched == keys.len() {
                    break;
                }
            }
        }
        best.map(|(_, n)| format!("{}:{n}", self.path))
    }

    pub fn yaml(&self) -> Result<serde_yaml_ng::Value, String> {
        serde_yaml_ng::from_str(&self.text).map_err(|e| match e.location() {
            Some(l) => format!("{}:{}:{}: {e}", self.path, l.line(), l.column()),
            None => format!("{}: {e}", self.path),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    /// The manifest, or defaults for a workspace wired by hand.
    pub manifest: Manifest,
    pub has_manifest: bool,
    /// The environment as this process sees it.
    pub env: BTreeMap<String, String>,
    /// Python files under backend-flask/.
    pub python: Vec<File>,
    pub requirements: Option<File>,
    /// docker-compose.yml and any override, in compose's merge order.
    pub compose: Vec<File>,
    /// Their services, merged once at load.
    services: BTreeMap<String, serde_yaml_ng::Value>,
    pub gitpod: Option<File>,
    pub collector: Option<File>,
    /// JSON files under aws/json/ and backend-flask/aws/json/.
    pub aws_json: Vec<File>,
    /// The frontend's sources under frontend-react-js/src/.
    pub frontend: Vec<File>,
    /// frontend-react-js/package.json: the versions the frontend pins.
    pub frontend_package: Option<File>,
    /// Scripts under bin/ (where people kept their aws cli commands).
    pub scripts: Vec<File>,
    pub dotenv: Option<File>,
    pub gitignore: Option<File>,
    /// In Gitpod: the names `gp env` keeps.
    pub gp_env: Option<Vec<String>>,
    /// In a git checkout: what git tracks and ignores.
    pub git: Option<Git>,
    /// The traffic the spending estimate assumes.
    pub requests_per_second: f64,
}

#[derive(Debug, Clone)]
pub struct Git {
    /// Every file git tracks under the workspace, relative to it, as git spells the name
    /// (spaces, quotes, newlines and non-ASCII kept as they are).
    pub tracked: Vec<String>,
    /// Whether git ignores `.env` in the workspace.
    pub env_ignored: bool,
}

fn git(dir: &Path) -> Option<Git> {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
    };
    // NUL-separated, so git neither quotes nor escapes any name.
    let listed =
        run(&["ls-files", "-z", "--full-name", "--", "."]).filter(|o| o.status.success())?;
    // The workspace folder within the repository (`backend/` or empty), raw as well: only the
    // line break git ends it with is dropped, never a space that is part of a folder's name.
    let prefix = run(&["rev-parse", "--show-prefix"])
        .filter(|o| o.status.success())
        .map(|o| {
            let mut p = o.stdout;
            if p.last() == Some(&b'\n') {
                p.pop();
            }
            p
        })
        .unwrap_or_default();
    let mut tracked: Vec<String> = listed
        .stdout
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| {
            let relative = name.strip_prefix(prefix.as_slice()).unwrap_or(name);
            String::from_utf8_lossy(relative).into_owned()
        })
        .collect();
    // A file with a merge conflict is listed once per stage.
    tracked.dedup();
    let env_ignored = run(&["check-ignore", "-q", ".env"]).is_some_and(|o| o.status.success());
    Some(Git {
        tracked,
        env_ignored,
    })
}

/// In a Gitpod workspace, the names of the variables `gp env` keeps.
fn gp_env(env: &BTreeMap<String, String>) -> Option<Vec<String>> {
    env.get("GITPOD_WORKSPACE_ID").filter(|v| !v.is_empty())?;
    let out = std::process::Command::new("gp")
        .arg("env")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .filter(|k| !k.is_empty())
            .collect(),
    )
}

fn read(dir: &Path, path: &str) -> Option<File> {
    std::fs::read_to_string(dir.join(path))
        .ok()
        .map(|text| File::new(path.to_string(), text))
}

fn read_tree(dir: &Path, sub: &str, extension: &str) -> Vec<File> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join(sub)];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.')
                    && name != "__pycache__"
                    && name != "node_modules"
                    && name != "venv"
                {
                    stack.push(path);
                }
            } else if name.ends_with(extension) {
                if let (Ok(text), Ok(relative)) =
                    (std::fs::read_to_string(&path), path.strip_prefix(dir))
                {
                    out.push(File::new(relative.display().to_string(), text));
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

impl Workspace {
    pub fn load(dir: &Path, manifest: Option<Manifest>, requests_per_second: f64) -> Workspace {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let has_manifest = manifest.is_some();
        let manifest = manifest.unwrap_or_else(|| {
            // A hand-wired Cruddur: the bootcamp's names, the region from the environment.
            let mut m = Manifest::default();
            if let Some(r) = env
                .get("AWS_DEFAULT_REGION")
                .or(env.get("AWS_REGION"))
                .filter(|r| !r.is_empty())
            {
                m.workspace.region = r.clone();
            }
            m.workspace.host = Host::detect().unwrap_or(Host::Local);
            m
        });
        let python: Vec<File> = read_tree(dir, "backend-flask", ".py")
            .into_iter()
            .map(File::python)
            .collect();
        let mut manifest = manifest;
        if !has_manifest {
            // Wired by hand: the parts are those the backend's live code imports.
            let imports = |package: &str| {
                let re = regex_lite::Regex::new(&format!(
                    r"(?m)^[ \t]*(?:from|import)[ \t]+{package}\b"
                ))
                .expect("valid pattern");
                python
                    .iter()
                    .any(|f| re.is_match(f.live.as_deref().unwrap_or(&f.text)))
            };
            manifest.honeycomb.enabled = imports("opentelemetry");
            manifest.xray.enabled = imports("aws_xray_sdk");
            manifest.cloudwatch.enabled = imports("watchtower");
            manifest.rollbar.enabled = imports("rollbar");
        }
        let compose = [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yaml",
            "docker-compose.yml",
        ]
        .iter()
        .find_map(|name| read(dir, name))
        .map(|main| {
            let override_name = main.path.replace("compose.", "compose.override.");
            let mut files = vec![main];
            files.extend(read(dir, &override_name));
            files
        })
        .unwrap_or_default();
        Workspace {
            services: merge_services(&compose),
            dir: dir.to_path_buf(),
            manifest,
            has_manifest,
            python,
            requirements: read(dir, "backend-flask/requirements.txt"),
            compose,
            gitpod: read(dir, ".gitpod.yml"),
            collector: [
                "otel-collector-config.yaml",
                "otel-collector-config.yml",
                "otel-config.yaml",
            ]
            .iter()
            .find_map(|name| read(dir, name)),
            // Where real repositories keep the X-Ray inputs: at the root, or in the backend.
            aws_json: read_tree(dir, "aws/json", ".json")
                .into_iter()
                .chain(read_tree(dir, "backend-flask/aws/json", ".json"))
                .collect(),
            frontend: ["js", "jsx", "ts", "tsx"]
                .iter()
                .flat_map(|ext| read_tree(dir, "frontend-react-js/src", &format!(".{ext}")))
                .collect(),
            frontend_package: read(dir, "frontend-react-js/package.json"),
            scripts: read_tree(dir, "bin", ""),
            dotenv: read(dir, ".env"),
            gitignore: read(dir, ".gitignore"),
            gp_env: gp_env(&env),
            git: git(dir),
            requests_per_second,
            env,
        }
    }

    /// A variable's value when set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The compose services (merged over every compose file, later files winning per key).
    pub fn compose_services(&self) -> &BTreeMap<String, serde_yaml_ng::Value> {
        &self.services
    }

    /// A compose service's environment as name -> value, whether written as a map or a list.
    pub fn service_env(&self, service: &str) -> BTreeMap<String, String> {
        let services = self.compose_services();
        let Some(env) = services.get(service).and_then(|s| s.get("environment")) else {
            return BTreeMap::new();
        };
        let scalar = |v: &serde_yaml_ng::Value| match v {
            serde_yaml_ng::Value::String(s) => s.clone(),
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            serde_yaml_ng::Value::Bool(b) => b.to_string(),
            _ => String::new(),
        };
        match env {
            serde_yaml_ng::Value::Mapping(m) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(v))))
                .collect(),
            serde_yaml_ng::Value::Sequence(items) => items
                .iter()
                .filter_map(|i| i.as_str())
                .map(|i| match i.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (i.to_string(), String::new()),
                })
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// Where the frontend sends traces to the backend, if it does: a tracing module that
    /// propagates trace headers to it, or a collector for the frontend.
    pub fn frontend_traces(&self) -> Option<String> {
        if let Some(at) = self.frontend.iter().find_map(|f| {
            f.lines()
                .find(|(_, l)| {
                    l.contains("propagateTraceHeaderCorsUrls") && !l.trim_start().starts_with("//")
                })
                .map(|(n, _)| format!("{}:{n} propagates trace headers", f.path))
        }) {
            return Some(at);
        }
        if let Some(c) = &self.collector {
            return Some(format!(
                "{} configures a collector for the frontend",
                c.path
            ));
        }
        if let Some(name) = self.collector_service() {
            return Some(format!("compose runs {name} for the frontend"));
        }
        (self.has_manifest && self.manifest.frontend.collector)
            .then(|| "cruddur-obs.toml asks for a frontend collector".to_string())
    }

    /// The compose service that runs an OpenTelemetry Collector.
    pub fn collector_service(&self) -> Option<String> {
        self.compose_services()
            .iter()
            .find(|(n, s)| {
                n.contains("collector")
                    || s.get("image")
                        .and_then(|i| i.as_str())
                        .is_some_and(|i| i.contains("opentelemetry-collector"))
            })
            .map(|(n, _)| n.clone())
    }

    /// Whether the workspace has anything to check at all.
    pub fn is_empty(&self) -> bool {
        !self.has_manifest
            && self.python.is_empty()
            && self.compose.is_empty()
            && self.gitpod.is_none()
    }
}

/// The services of the compose files, merged in order, later files winning per key.
fn merge_services(compose: &[File]) -> BTreeMap<String, serde_yaml_ng::Value> {
    let mut services = BTreeMap::new();
    for file in compose {
        let Ok(yaml) = file.yaml() else { continue };
        let Some(map) = yaml.get("services").and_then(|s| s.as_mapping()) else {
            continue;
        };
        for (name, service) in map {
            let Some(name) = name.as_str() else { continue };
            let entry = services
                .entry(name.to_string())
                .or_insert_with(|| serde_yaml_ng::Value::Mapping(Default::default()));
            if let (Some(target), Some(source)) = (entry.as_mapping_mut(), service.as_mapping()) {
                for (k, v) in source {
                    match (target.get_mut(k), v) {
                        (
                            Some(serde_yaml_ng::Value::Mapping(t)),
                            serde_yaml_ng::Value::Mapping(s),
                        ) => {
                            for (kk, vv) in s {
                                t.insert(kk.clone(), vv.clone());
                            }
                        }
                        _ => {
                            target.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
    }
    services
}
