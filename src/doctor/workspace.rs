//! Everything doctor reads from disk and the environment, read once before any check runs.
//! Nothing here fails: a file that cannot be read or parsed is recorded as such, and the checks
//! that need it say so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::{Host, Manifest};

/// A text file of the workspace, with its YAML or JSON parsed when it is one.
#[derive(Debug, Clone)]
pub struct File {
    /// Path relative to the workspace.
    pub path: String,
    pub text: String,
}

impl File {
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
    pub gitpod: Option<File>,
    pub collector: Option<File>,
    /// JSON files under aws/json/.
    pub aws_json: Vec<File>,
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
    let listed = run(&["ls-files", "--full-name", "."]).filter(|o| o.status.success())?;
    let prefix = run(&["rev-parse", "--show-prefix"])
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let tracked = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| l.strip_prefix(prefix.as_str()).unwrap_or(l).to_string())
        .collect();
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
        .map(|text| File {
            path: path.to_string(),
            text,
        })
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
                    out.push(File {
                        path: relative.display().to_string(),
                        text,
                    });
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
            dir: dir.to_path_buf(),
            manifest,
            has_manifest,
            python: read_tree(dir, "backend-flask", ".py"),
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
            aws_json: read_tree(dir, "aws/json", ".json"),
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
    pub fn compose_services(&self) -> BTreeMap<String, serde_yaml_ng::Value> {
        let mut services = BTreeMap::new();
        for file in &self.compose {
            let Ok(yaml) = file.yaml() else { continue };
            let Some(map) = yaml.get("services").and_then(|s| s.as_mapping()) else {
                continue;
            };
            for (name, service) in map {
                let Some(name) = name.as_str() else { continue };
                let entry = services
                    .entry(name.to_string())
                    .or_insert_with(|| serde_yaml_ng::Value::Mapping(Default::default()));
                if let (Some(target), Some(source)) = (entry.as_mapping_mut(), service.as_mapping())
                {
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

    /// Whether the workspace has anything to check at all.
    pub fn is_empty(&self) -> bool {
        !self.has_manifest
            && self.python.is_empty()
            && self.compose.is_empty()
            && self.gitpod.is_none()
    }
}
