//! Secrets: never written into tracked files, .env ignored by git and readable by its owner only.

use std::os::unix::fs::PermissionsExt;

use crate::doctor::probes::Probes;
use crate::doctor::workspace::{File, Workspace};
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::secret::mask;

const fn check(name: &'static str, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Security,
        needs: Needs::Nothing,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check("security.literal-secrets", literal_secrets),
    check("security.env-ignored", env_ignored),
    check("security.secret-files", secret_files),
];

/// Shapes of real secrets, and variables whose value is a secret.
const SECRET_PATTERNS: &[&str] = &[
    r"hc[a-z]i[kc]_[a-z0-9]{58}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"(?i)x-honeycomb-team[=:]\s*[A-Za-z0-9]{20,}",
];
const SECRET_VARIABLES: &[&str] = &[
    "HONEYCOMB_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "ROLLBAR_ACCESS_TOKEN",
    "AWS_SESSION_TOKEN",
];

/// The first literal secret in a file: (line, masked value).
fn literal_secret(f: &File) -> Option<(usize, String)> {
    let patterns: Vec<regex_lite::Regex> = SECRET_PATTERNS
        .iter()
        .map(|p| regex_lite::Regex::new(p).expect("valid pattern"))
        .collect();
    let assignment =
        regex_lite::Regex::new(r#"^\s*-?\s*["']?([A-Z_]+)["']?\s*[:=]\s*["']?([^"'\s#]+)"#)
            .expect("valid pattern");
    for (n, line) in f.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(m) = patterns.iter().find_map(|p| p.find(line)) {
            return Some((n, mask(m.as_str())));
        }
        if let Some(c) = assignment.captures(line) {
            let (name, value) = (&c[1], &c[2]);
            if SECRET_VARIABLES.contains(&name) && !value.starts_with('$') && value.len() >= 8 {
                return Some((n, format!("{name}={}", mask(value))));
            }
        }
    }
    None
}

fn literal_secrets(w: &Workspace, _: &Probes) -> Outcome {
    let mut files: Vec<&File> = w
        .compose
        .iter()
        .chain(w.gitpod.iter())
        .chain(w.python.iter())
        .collect();
    // A .env is fine as long as git does not track it.
    let committed_env = w
        .git
        .as_ref()
        .is_some_and(|g| g.tracked.iter().any(|t| t == ".env"));
    if committed_env {
        files.extend(w.dotenv.iter());
    }
    for f in files {
        if let Some((line, shown)) = literal_secret(f) {
            return Outcome::error(
                format!("{}:{line} holds a secret ({shown}){}", f.path, if f.path == ".env" { " and git tracks .env" } else { "" }),
                "replace it with a ${VARIABLE} reference, set the value with cruddur-obs env, and rotate the key: it may already be in git history",
            );
        }
    }
    Outcome::ok("no literal secrets in compose, .gitpod.yml or the backend")
}

fn env_ignored(w: &Workspace, _: &Probes) -> Outcome {
    let exists = w.dotenv.is_some();
    let ignored = match &w.git {
        Some(git) => {
            if git.tracked.iter().any(|t| t == ".env") {
                return Outcome::error(
                    ".env is committed to git",
                    "git rm --cached .env, add .env to .gitignore, and rotate the keys in it",
                );
            }
            git.env_ignored
        }
        None => w.gitignore.as_ref().is_some_and(|g| {
            g.lines()
                .any(|(_, l)| matches!(l.trim(), ".env" | "/.env" | "*.env" | ".env*"))
        }),
    };
    match (ignored, exists) {
        (true, _) => Outcome::ok(".env is ignored by git"),
        (false, true) => Outcome::error(
            ".env exists and git does not ignore it: the next git add commits its secrets",
            "add a line .env to .gitignore",
        ),
        (false, false) => Outcome::warn(
            ".gitignore does not list .env: a .env created later would be committed",
            "add a line .env to .gitignore",
        ),
    }
}

fn secret_files(w: &Workspace, _: &Probes) -> Outcome {
    if w.dotenv.is_none() {
        return Outcome::skipped("no .env");
    }
    let mode = std::fs::metadata(w.dir.join(".env"))
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    if mode & 0o077 != 0 {
        return Outcome::error(
            format!(".env is readable by others (mode {mode:o})"),
            "chmod 600 .env",
        );
    }
    Outcome::ok(".env is readable by its owner only")
}
