//! Instrumenting the Cruddur app a user already has, in place: which parts are wired and how, the
//! new files (only where nothing exists), and the minimal edits of the user's own files, as one
//! plan of changes that is shown, then written all at once.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::edit::python::{self, Part, PythonFile};
use crate::edit::{self, devcontainer, gitpod, javascript, package_json, requirements, Change};
use crate::error::Failure;
use crate::manifest::{self, Host, Manifest};
use crate::scaffold;

pub const APP: &str = "backend-flask/app.py";
const REQUIREMENTS: &str = "backend-flask/requirements.txt";
const GITPOD: &str = ".gitpod.yml";
const DEVCONTAINER: &str = ".devcontainer/devcontainer.json";
const FRONTEND: &str = "frontend-react-js/";
const FRONTEND_PACKAGE: &str = "frontend-react-js/package.json";
const FRONTEND_INDEX: &str = "frontend-react-js/src/index.js";
const TRACING: &str = "frontend-react-js/src/tracing.js";
const HOME_ACTIVITIES: &str = "backend-flask/services/home_activities.py";
const USER_ACTIVITIES: &str = "backend-flask/services/user_activities.py";

/// A line of the app.py that init scaffolds: an app.py with it is init's own, not the user's.
const SCAFFOLDED: &str = "written by `cruddur-obs init`";

/// True when DIR holds a backend of the user's (not one init scaffolded): init then instruments it
/// instead of scaffolding.
pub fn has_backend(dir: &Path) -> bool {
    match std::fs::read(dir.join(APP)) {
        Ok(bytes) => !String::from_utf8_lossy(&bytes).contains(SCAFFOLDED),
        Err(_) => false,
    }
}

/// The host a repository is made for: a `.gitpod.yml` means Gitpod, a `.devcontainer/` Codespaces.
pub fn host_of(dir: &Path) -> Option<Host> {
    if dir.join(GITPOD).is_file() {
        Some(Host::Gitpod)
    } else if dir.join(".devcontainer").is_dir() {
        Some(Host::Codespaces)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Replace the statements of parts wired by hand with the telemetry module.
    pub take_over: bool,
    /// The course's custom span and subsegment in the services.
    pub custom_spans: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Edit,
    /// A file init would write exists with other content: it is the user's, and stays.
    Keep,
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct File {
    pub path: String,
    pub action: Action,
    #[serde(skip)]
    pub change: Option<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartStatus {
    pub part: &'static str,
    /// "init", "hand", "taken-over" or "off".
    pub wired_by: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The line of `app = Flask(...)` in backend-flask/app.py.
    pub app_line: usize,
    pub factory: Option<String>,
    pub parts: Vec<PartStatus>,
    pub files: Vec<File>,
    /// What the user should know before saying yes: their pins kept, uncommitted changes.
    pub warnings: Vec<String>,
    /// What was left out, and why.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn changes(&self) -> Vec<Change> {
        self.files.iter().filter_map(|f| f.change.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.files
            .iter()
            .all(|f| matches!(f.action, Action::Unchanged | Action::Keep))
    }
}

fn read(dir: &Path, path: &str) -> Result<Option<String>, Failure> {
    match std::fs::read(dir.join(path)) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let (line, column) = manifest::line_column(&valid, valid.len());
            Failure::bad_input(format!(
                "{path}:{line}:{column}: this file is not UTF-8 text; init edits text files only"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::bad_input(format!("cannot read {path}: {e}"))),
    }
}

fn edited(path: &str, before: String, edits: &[edit::Edit]) -> File {
    let after = edit::apply(&before, edits);
    let action = if after == before {
        Action::Unchanged
    } else {
        Action::Edit
    };
    File {
        path: path.to_string(),
        action,
        change: (action == Action::Edit).then(|| Change {
            path: path.to_string(),
            before: Some(before),
            after,
            private: false,
        }),
    }
}

fn syntax_failure(path: &str, e: python::SyntaxError) -> Failure {
    Failure::bad_input(format!("{path}:{}:{}: {}", e.line, e.column, e.message)).hint(
        "fix it first (the backend cannot start like this either); init changes nothing until then",
    )
}

fn enabled(m: &Manifest, part: Part) -> bool {
    match part {
        Part::Honeycomb => m.honeycomb.enabled,
        Part::Xray => m.xray.enabled,
        Part::Cloudwatch => m.cloudwatch.enabled,
        Part::Rollbar => m.rollbar.enabled,
    }
}

fn disable(m: &mut Manifest, part: Part) {
    match part {
        Part::Honeycomb => m.honeycomb.enabled = false,
        Part::Xray => m.xray.enabled = false,
        Part::Cloudwatch => m.cloudwatch.enabled = false,
        Part::Rollbar => m.rollbar.enabled = false,
    }
}

/// Works out every change that instruments the app in DIR. Reads only; writes nothing.
pub fn plan(dir: &Path, manifest: &Manifest, opts: Options) -> Result<Plan, Failure> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();

    // backend-flask/app.py: the parts wired by hand, then telemetry and the trace headers.
    let app_text = read(dir, APP)?.unwrap_or_default();
    let app_py = PythonFile::parse(&app_text).map_err(|e| syntax_failure(APP, e))?;
    let app = app_py.app_creation().ok_or_else(|| {
        Failure::bad_input(format!(
            "{APP} does not create a Flask app (no `app = Flask(__name__)` in live code): init cannot tell where to wire it"
        ))
        .hint("create the app in backend-flask/app.py, or run init in an empty folder to scaffold a workspace")
    })?;
    let wiring: Vec<python::HandWiring> = app_py
        .hand_wiring(&app)
        .into_iter()
        .filter(|w| enabled(manifest, w.part))
        .collect();
    let mut app_edits = Vec::new();
    let mut telemetry_manifest = manifest.clone();
    let mut parts = Vec::new();
    if opts.take_over {
        app_edits.extend(app_py.take_over(&wiring));
    }
    for part in Part::ALL {
        let hand = wiring.iter().find(|w| w.part == part);
        let status = match (enabled(manifest, part), hand, opts.take_over) {
            (false, _, _) => PartStatus {
                part: part.name(),
                wired_by: "off",
                detail: "off (not in cruddur-obs.toml)".into(),
            },
            (true, Some(w), false) => {
                disable(&mut telemetry_manifest, part);
                PartStatus {
                    part: part.name(),
                    wired_by: "hand",
                    detail: format!(
                        "wired by hand in {APP}:{}-{}; left as is (--take-over lets init wire it instead)",
                        w.first_line, w.last_line
                    ),
                }
            }
            (true, Some(w), true) => PartStatus {
                part: part.name(),
                wired_by: "taken-over",
                detail: format!(
                    "wired by hand in {APP}:{}-{}; those lines are replaced by backend-flask/telemetry/{}.py",
                    w.first_line,
                    w.last_line,
                    part.name()
                ),
            },
            (true, None, _) => PartStatus {
                part: part.name(),
                wired_by: "init",
                detail: format!("wired by backend-flask/telemetry/{}.py", part.name()),
            },
        };
        parts.push(status);
    }
    let telemetry_parts = Part::ALL.iter().any(|p| enabled(&telemetry_manifest, *p));
    if telemetry_parts {
        app_edits.extend(app_py.add_telemetry(&app));
    }
    let (cors, skipped) = app_py.allow_trace_headers();
    app_edits.extend(cors);
    for s in skipped {
        warnings.push(format!("{APP}:{}: {}", s.line, s.reason));
    }
    files.push(edited(APP, app_text.clone(), &app_edits));

    // New files, rendered from the templates: only where nothing exists.
    let full = scaffold::render(dir, manifest)?;
    let telemetry = scaffold::render(dir, &telemetry_manifest)?;
    let ours = |path: &str| {
        path == manifest::FILE
            || (path.contains("compose")
                && std::fs::read_to_string(dir.join(path))
                    .is_ok_and(|t| t.starts_with(scaffold::COMPOSE_MARKER)))
    };
    let mut new_files: Vec<(String, String)> = telemetry
        .into_iter()
        .filter(|(p, _)| telemetry_parts && p.starts_with("backend-flask/telemetry/"))
        .collect();
    let mut our_requirements = String::new();
    let mut frontend_templates = Vec::new();
    for (path, contents) in full {
        if path == REQUIREMENTS {
            our_requirements = contents;
            continue;
        }
        if path.starts_with(FRONTEND) {
            frontend_templates.push((path, contents));
            continue;
        }
        let wanted = path.starts_with("aws/json/")
            || path == crate::queries::FILE
            || path == ".env.example"
            || path == "otel-collector-config.yaml"
            || path == manifest::FILE
            || path.contains("compose")
            || (path == GITPOD && !dir.join(GITPOD).exists())
            || (path == DEVCONTAINER && !dir.join(DEVCONTAINER).exists());
        if wanted {
            new_files.push((path, contents));
        }
    }
    // The React frontend: its tracing module, imported first, and the packages it needs.
    if manifest.frontend.collector {
        let found = frontend(dir, frontend_templates)?;
        new_files.extend(found.new_files);
        files.extend(found.edited);
        warnings.extend(found.warnings);
        notes.extend(found.notes);
    }
    for (path, contents) in new_files {
        let file = match read(dir, &path)? {
            None => File {
                path: path.clone(),
                action: Action::Create,
                change: Some(Change {
                    path: path.clone(),
                    before: None,
                    after: contents,
                    private: false,
                }),
            },
            Some(current) if current == contents => File {
                path,
                action: Action::Unchanged,
                change: None,
            },
            Some(current) if ours(&path) => File {
                path: path.clone(),
                action: Action::Edit,
                change: Some(Change {
                    path,
                    before: Some(current),
                    after: contents,
                    private: false,
                }),
            },
            Some(_) => {
                notes.push(format!(
                    "{path} is yours and differs from what init would write: left as is"
                ));
                File {
                    path,
                    action: Action::Keep,
                    change: None,
                }
            }
        };
        files.push(file);
    }

    // requirements.txt: our tested pins, in place or appended.
    let pins = requirements::pins(&our_requirements);
    match read(dir, REQUIREMENTS)? {
        Some(text) => {
            let (edits, conflicts) = requirements::plan(&text, &pins);
            for c in conflicts {
                warnings.push(format!(
                    "{REQUIREMENTS}:{}: your pin `{}` is kept; init's tested pin is `{}`",
                    c.line, c.theirs, c.ours
                ));
            }
            files.push(edited(REQUIREMENTS, text, &edits));
        }
        None => files.push(File {
            path: REQUIREMENTS.into(),
            action: Action::Create,
            change: Some(Change {
                path: REQUIREMENTS.into(),
                before: None,
                after: our_requirements,
                private: false,
            }),
        }),
    }

    // The host's ports, public.
    let want = gitpod::ports(manifest.xray.enabled, manifest.frontend.collector);
    let located = |path: &str, p: gitpod::Problem| {
        Failure::bad_input(format!("{path}:{}:{}: {}", p.line, p.column, p.message))
            .hint("fix it first; init changes nothing until then")
    };
    match manifest.workspace.host {
        Host::Gitpod => {
            if let Some(text) = read(dir, GITPOD)? {
                let edits = gitpod::plan(&text, &want).map_err(|p| located(GITPOD, p))?;
                files.push(edited(GITPOD, text, &edits));
            }
        }
        Host::Codespaces => {
            if let Some(text) = read(dir, DEVCONTAINER)? {
                let mut public = vec![3000, 4567];
                if manifest.frontend.collector {
                    public.push(4318);
                }
                let (edits, note) = devcontainer::plan(&text, &want, &public)
                    .map_err(|p| located(DEVCONTAINER, p))?;
                if let Some(n) = note {
                    warnings.push(format!("{DEVCONTAINER}: {n}"));
                }
                files.push(edited(DEVCONTAINER, text, &edits));
            }
        }
        Host::Local => {}
    }

    // .gitignore: .env and its copies.
    let ignore = scaffold::gitignore_entry(dir);
    files.push(if ignore.action == scaffold::Action::Unchanged {
        File {
            path: ".gitignore".into(),
            action: Action::Unchanged,
            change: None,
        }
    } else {
        let before = std::fs::read_to_string(dir.join(".gitignore")).ok();
        File {
            path: ".gitignore".into(),
            action: if before.is_some() {
                Action::Edit
            } else {
                Action::Create
            },
            change: Some(Change {
                path: ".gitignore".into(),
                before,
                after: ignore.contents,
                private: false,
            }),
        }
    });

    // The course's custom span and subsegment.
    if opts.custom_spans {
        let services = [
            (
                HOME_ACTIVITIES,
                &python::HOME_SPAN,
                manifest.honeycomb.enabled,
            ),
            (
                USER_ACTIVITIES,
                &python::USER_SUBSEGMENT,
                manifest.xray.enabled,
            ),
        ];
        for (path, wrap, on) in services {
            if !on {
                continue;
            }
            let Some(text) = read(dir, path)? else {
                notes.push(format!(
                    "{path} does not exist: no `{}` block added",
                    wrap.name
                ));
                continue;
            };
            let file = match PythonFile::parse(&text) {
                Err(e) => {
                    notes.push(format!(
                        "{path}:{}:{}: {}; no `{}` block added",
                        e.line, e.column, e.message, wrap.name
                    ));
                    continue;
                }
                Ok(f) => f,
            };
            match file.wrap_run(wrap) {
                Ok(edits) if edits.is_empty() => {}
                Ok(mut edits) => {
                    if wrap.class == "HomeActivities"
                        && !edits.iter().any(|e| e.content.contains("user.id"))
                    {
                        notes.push(format!(
                            "{path}: HomeActivities.run takes no user, so the span has no user.id yet (give run a user_handle parameter and run init again)"
                        ));
                    }
                    edits.extend(file.wrap_imports(wrap));
                    files.push(edited(path, text, &edits));
                }
                Err(reason) => {
                    notes.push(format!("{path}: no `{}` block added: {reason}", wrap.name))
                }
            }
        }
    }

    warnings.extend(uncommitted(dir, &files));
    Ok(Plan {
        app_line: app.line,
        factory: app.factory,
        parts,
        files,
        warnings,
        notes,
    })
}

/// What tracing the frontend takes.
#[derive(Default)]
struct Frontend {
    /// Files written only where nothing exists.
    new_files: Vec<(String, String)>,
    /// The user's files, edited.
    edited: Vec<File>,
    warnings: Vec<String>,
    notes: Vec<String>,
}

/// The frontend's part of the plan. A repository without `frontend-react-js/` gets init's small
/// frontend whole; one with its own gets `src/tracing.js`, an import of it first in
/// `src/index.js`, and the OpenTelemetry packages in `package.json`. A tracing module of the
/// user's own (one that creates a WebTracerProvider) is left to them.
fn frontend(dir: &Path, templates: Vec<(String, String)>) -> Result<Frontend, Failure> {
    let mut out = Frontend::default();
    let Some(package) = read(dir, FRONTEND_PACKAGE)? else {
        out.new_files = templates;
        return Ok(out);
    };
    let located = |path: &str, line: usize, column: usize, message: &str| {
        Failure::bad_input(format!("{path}:{line}:{column}: {message}"))
            .hint("fix it first (the frontend cannot build like this either); init changes nothing until then")
    };
    if read(dir, TRACING)?.is_none() {
        if let Some(theirs) = own_tracing_module(dir) {
            out.notes.push(format!(
                "{theirs} sets up tracing already: left as is, and no src/tracing.js added (`cruddur-obs doctor` checks it)"
            ));
            return Ok(out);
        }
    }
    let template = |name: &str| {
        templates
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, c)| c.clone())
            .expect("the frontend templates are rendered")
    };
    out.new_files.push((TRACING.to_string(), template(TRACING)));

    match read(dir, FRONTEND_INDEX)? {
        Some(text) => {
            let js = javascript::JsFile::parse(&text)
                .map_err(|e| located(FRONTEND_INDEX, e.line, e.column, &e.message))?;
            out.edited
                .push(edited(FRONTEND_INDEX, text, &js.import_first("tracing")));
        }
        None => out.notes.push(format!(
            "{FRONTEND_INDEX} does not exist: import './tracing' first in the frontend's entry file"
        )),
    }

    let ours = package_json::dependencies(&template(FRONTEND_PACKAGE))
        .expect("the template's package.json parses");
    let pins: Vec<(String, String)> = ours
        .into_iter()
        .filter(|(name, _)| name.starts_with("@opentelemetry/"))
        .collect();
    let (edits, conflicts) = package_json::plan(&package, &pins)
        .map_err(|p| located(FRONTEND_PACKAGE, p.line, p.column, &p.message))?;
    for c in conflicts {
        out.warnings.push(format!(
            "{FRONTEND_PACKAGE}:{}: your `{}` {} is kept; src/tracing.js is tested with {}",
            c.line, c.name, c.theirs, c.ours
        ));
    }
    out.edited.push(edited(FRONTEND_PACKAGE, package, &edits));
    Ok(out)
}

/// A module of the user's under frontend-react-js/src that creates a WebTracerProvider in live
/// code, other than src/tracing.js.
fn own_tracing_module(dir: &Path) -> Option<String> {
    let src = dir.join("frontend-react-js/src");
    let mut stack = vec![src.clone()];
    let mut found = Vec::new();
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != "node_modules" {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| ["js", "jsx", "ts", "tsx"].iter().any(|x| e == *x))
            {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let live = javascript::JsFile::parse(&text)
                    .is_ok_and(|f| !f.constructions("WebTracerProvider").is_empty());
                if live {
                    let relative = path.strip_prefix(dir).unwrap_or(&path);
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    found.sort();
    found.into_iter().next()
}

/// A warning for each file to be edited that has uncommitted changes, so that `git diff` stays
/// the user's undo. Nothing when DIR is not in a git repository.
fn uncommitted(dir: &Path, files: &[File]) -> Vec<String> {
    let edited: Vec<&str> = files
        .iter()
        .filter(|f| f.action == Action::Edit)
        .map(|f| f.path.as_str())
        .collect();
    if edited.is_empty() {
        return vec![];
    }
    let Ok(out) = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--"])
        .args(&edited)
        .output()
    else {
        return vec![];
    };
    if !out.status.success() {
        return vec![];
    }
    let mut warnings = Vec::new();
    let listed = String::from_utf8_lossy(&out.stdout);
    for path in edited {
        if listed.lines().any(|l| {
            l.get(3..)
                .is_some_and(|p| p.trim_matches('"').ends_with(path))
        }) {
            warnings.push(format!(
                "{path} has uncommitted changes: commit them first, so that `git diff` shows init's edits alone"
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scaffolded_app_is_recognised_as_inits_own() {
        let template = include_str!("../templates/backend-flask/app.py");
        assert!(template.contains(super::SCAFFOLDED));
    }
}
