//! Secrets: never written into tracked files, .env ignored by git and readable by its owner only.

use std::os::unix::fs::PermissionsExt;

use crate::doctor::probes::Probes;
use crate::doctor::repair::{Fix, Repair};
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

/// Files larger than this are not read (generated or vendored, not where keys get pasted).
const MAX_SIZE: u64 = 1024 * 1024;
/// A NUL byte this early means a binary file.
const BINARY_SNIFF: usize = 8 * 1024;

/// What kind of secret a finding is, and the variable its value belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AwsKeyId,
    AwsSecret,
    HoneycombIngest,
    HoneycombKey,
    RollbarToken,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::AwsKeyId => "an AWS access key id",
            Kind::AwsSecret => "an AWS secret access key",
            Kind::HoneycombIngest => "a Honeycomb ingest key",
            Kind::HoneycombKey => "a Honeycomb API key",
            Kind::RollbarToken => "a Rollbar access token",
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Kind::AwsKeyId => "AWS_ACCESS_KEY_ID",
            Kind::AwsSecret => "AWS_SECRET_ACCESS_KEY",
            Kind::HoneycombIngest | Kind::HoneycombKey => "HONEYCOMB_API_KEY",
            Kind::RollbarToken => "ROLLBAR_ACCESS_TOKEN",
        }
    }
}

/// One literal secret in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Secret {
    line: usize,
    kind: Kind,
    value: String,
}

/// After a variable's name: the quote or bracket closing it, then `=`, `:`, `:=`, `=>`, a
/// shell default (`:-`), a function argument (`,`) or plain spaces (`aws configure set NAME
/// VALUE`, Dockerfile `ENV NAME VALUE`), then an opening quote.
const ASSIGNED: &str = r#"["'\]]*(?:\s*(?:[:=]{1,2}>?|:-|,)\s*|\s+)["']?"#;

/// A value assigned to a variable (or header) that holds a secret of one kind.
struct Assignment {
    pattern: regex_lite::Regex,
    /// Lowercase text every line with such an assignment holds (to skip the others fast).
    needle: &'static str,
    kind: Kind,
    /// Whether the value has the secret's shape.
    shape: fn(&str) -> bool,
}

/// The shapes of the keys and tokens Cruddur uses, and where a value is known to be one.
struct Detector {
    /// `AKIA`/`ASIA` + 16: an access key id (long-lived or temporary).
    aws_key_id: regex_lite::Regex,
    /// `hc` + region letter + `ik`/`ic` + `_` + 58: an ingest key, wherever it sits.
    honeycomb_ingest: regex_lite::Regex,
    /// The AWS secret access key, a Honeycomb key in HONEYCOMB_API_KEY or the
    /// `x-honeycomb-team` header, the Rollbar token in ROLLBAR_ACCESS_TOKEN.
    assigned: Vec<Assignment>,
    /// `rollbar.init(` and its first argument, comments between them allowed.
    rollbar_init: regex_lite::Regex,
}

/// A Honeycomb ingest key: `hc` + region letter + `ik`/`ic` + `_` + 58 characters.
pub(super) const HONEYCOMB_INGEST: &str = r"hc[a-z]i[kc]_[a-z0-9]{58}";

fn pattern(p: &str) -> regex_lite::Regex {
    regex_lite::Regex::new(p).expect("valid pattern")
}

impl Detector {
    fn new() -> Detector {
        let assignment = |p: &str, needle, kind, shape| Assignment {
            pattern: pattern(p),
            needle,
            kind,
            shape,
        };
        Detector {
            aws_key_id: pattern(r"(?:AKIA|ASIA)[A-Z0-9]{16}"),
            honeycomb_ingest: pattern(HONEYCOMB_INGEST),
            assigned: vec![
                assignment(
                    &format!(
                        r"(?i)(?:aws_secret_access_key|secret[-_]access[-_]key|secretaccesskey){ASSIGNED}([A-Za-z0-9/+]+)"
                    ),
                    "secret",
                    Kind::AwsSecret,
                    aws_secret_shape,
                ),
                assignment(
                    &format!(r"(?i)honeycomb_api_key{ASSIGNED}([A-Za-z0-9_]+)"),
                    "honeycomb",
                    Kind::HoneycombKey,
                    honeycomb_shape,
                ),
                assignment(
                    r#"(?i)x-honeycomb-team["']?\s*[=:]\s*["']?([A-Za-z0-9_]+)"#,
                    "honeycomb",
                    Kind::HoneycombKey,
                    honeycomb_shape,
                ),
                assignment(
                    &format!(r"(?i)rollbar_access_token{ASSIGNED}([A-Za-z0-9_]+)"),
                    "rollbar",
                    Kind::RollbarToken,
                    rollbar_shape,
                ),
            ],
            rollbar_init: pattern(
                r#"rollbar\.init\(\s*(?:#[^\n]*\n\s*)*(?:access_token\s*=\s*)?[rRuU]?["']([A-Za-z0-9_]+)["']"#,
            ),
        }
    }

    /// Every literal secret in a text, in order of line and column, each value once per line.
    fn secrets(&self, text: &str) -> Vec<Secret> {
        let mut found: Vec<(usize, usize, Secret)> = Vec::new();
        let mut add = |line: usize, column: usize, kind: Kind, value: &str| {
            if !found.iter().any(|(l, _, s)| *l == line && s.value == value) {
                found.push((
                    line,
                    column,
                    Secret {
                        line,
                        kind,
                        value: value.to_string(),
                    },
                ));
            }
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.contains("AKIA") || line.contains("ASIA") {
                for m in self.aws_key_id.find_iter(line) {
                    if standalone(line, m.start(), m.end()) && !placeholder(&m.as_str()[4..]) {
                        add(n, m.start(), Kind::AwsKeyId, m.as_str());
                    }
                }
            }
            if line.contains("hc") {
                for m in self.honeycomb_ingest.find_iter(line) {
                    if standalone(line, m.start(), m.end()) && !placeholder(&m.as_str()[6..]) {
                        add(n, m.start(), Kind::HoneycombIngest, m.as_str());
                    }
                }
            }
            let lower = line.to_ascii_lowercase();
            for a in &self.assigned {
                if !lower.contains(a.needle) {
                    continue;
                }
                for c in a.pattern.captures_iter(line) {
                    let Some(value) = c.get(1) else { continue };
                    if (a.shape)(value.as_str()) && !placeholder(value.as_str()) {
                        add(n, value.start(), a.kind, value.as_str());
                    }
                }
            }
        }
        if text.contains("rollbar.init") {
            for c in self.rollbar_init.captures_iter(text) {
                let Some(value) = c.get(1) else { continue };
                if rollbar_shape(value.as_str()) && !placeholder(value.as_str()) {
                    let before = &text[..value.start()];
                    let line = before.matches('\n').count() + 1;
                    let column = before
                        .rfind('\n')
                        .map_or(value.start(), |i| value.start() - i - 1);
                    add(line, column, Kind::RollbarToken, value.as_str());
                }
            }
        }
        found.sort_by_key(|(line, column, _)| (*line, *column));
        found.into_iter().map(|(_, _, s)| s).collect()
    }
}

/// Whether the match at `start..end` is a whole word: no letter or digit touches it.
pub(super) fn standalone(line: &str, start: usize, end: usize) -> bool {
    let touches = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !touches(line[..start].chars().next_back()) && !touches(line[end..].chars().next())
}

/// `xxxx`, `0000…`, `your-key-here` and the like: what docs and templates put in a key's place.
pub(super) fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    first.is_none_or(|f| chars.all(|c| c == f))
        || ["xxxx", "your", "changeme", "placeholder", "redacted"]
            .iter()
            .any(|w| lower.contains(w))
}

fn aws_secret_shape(value: &str) -> bool {
    value.len() == 40
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
}

/// A configuration key (22 letters and digits) or a Classic key (32 hex digits); ingest keys
/// are found by their own shape.
pub(super) fn honeycomb_shape(value: &str) -> bool {
    (value.len() == 22 && value.chars().all(|c| c.is_ascii_alphanumeric()))
        || (value.len() == 32 && value.chars().all(|c| c.is_ascii_hexdigit()))
}

fn rollbar_shape(value: &str) -> bool {
    value.len() == 32 && value.chars().all(|c| c.is_ascii_hexdigit())
}

/// A path as one line of output: control characters (a newline in a file name) escaped.
fn shown(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A tracked file's text, unless it is missing, not a regular file, too large or binary.
/// Invalid UTF-8 is read lossily: a key in a Latin-1 file is still a key.
fn read_tracked(w: &Workspace, path: &str) -> Option<String> {
    use std::io::Read;
    let full = w.dir.join(path);
    let meta = std::fs::symlink_metadata(&full).ok()?;
    if !meta.is_file() || meta.len() > MAX_SIZE {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&full)
        .ok()?
        .take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_SIZE || bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether .gitignore lists .env (for a folder that is not a git checkout).
fn gitignore_lists_env(w: &Workspace) -> bool {
    w.gitignore.as_ref().is_some_and(|g| {
        g.lines()
            .any(|(_, l)| matches!(l.trim(), ".env" | "/.env" | "*.env" | ".env*"))
    })
}

fn literal_secrets(w: &Workspace, _: &Probes) -> Outcome {
    let detector = Detector::new();
    let committed = w.git.is_some();
    // (path, text) of every file to scan.
    let mut files: Vec<(String, String)> = Vec::new();
    let mut skipped = 0;
    match &w.git {
        Some(git) => {
            for path in &git.tracked {
                match read_tracked(w, path) {
                    Some(text) => files.push((path.clone(), text)),
                    None => skipped += 1,
                }
            }
        }
        None => {
            // No repository: what the workspace read, and a .env that git would pick up.
            let read: Vec<&File> = w
                .compose
                .iter()
                .chain(w.gitpod.iter())
                .chain(w.collector.iter())
                .chain(w.python.iter())
                .chain(w.scripts.iter())
                .chain(w.aws_json.iter())
                .collect();
            files.extend(read.into_iter().map(|f| (f.path.clone(), f.text.clone())));
        }
    }
    let mut findings = Vec::new();
    for (path, text) in &files {
        let env = path == ".env";
        let python = path.ends_with(".py");
        for secret in detector.secrets(text) {
            let whose = match (committed, env) {
                (true, true) => ", and git tracks .env",
                (true, false) => "",
                (false, true) => ", and .gitignore does not list .env",
                (false, false) => "",
            };
            let finding = format!(
                "{}:{} holds {} ({}){whose}",
                shown(path),
                secret.line,
                secret.kind.describe(),
                mask(&secret.value),
            );
            let name = secret.kind.variable();
            let history = if committed {
                "rotate the key: it stays in git history"
            } else {
                "rotate the key if it was ever committed"
            };
            let fix = if env {
                format!(
                    "git rm --cached .env and add .env to .gitignore (or keep {name} in gp env or Codespaces secrets), and {history}"
                )
            } else {
                let reference = if python {
                    format!("os.getenv(\"{name}\")")
                } else {
                    format!("${{{name}}}")
                };
                format!(
                    "replace it with {reference}, keep the value in gp env, Codespaces secrets or the git-ignored .env, and {history}"
                )
            };
            findings.push(Outcome::error(finding, fix));
        }
    }
    let ok = if committed {
        let others = if skipped > 0 {
            format!(" ({skipped} more skipped: binary, over 1 MiB, or not on disk)")
        } else {
            String::new()
        };
        Outcome::ok(format!(
            "no literal secrets in the {} files git tracks{others}",
            files.len()
        ))
    } else {
        Outcome::ok(format!(
            "no literal secrets in the {} files doctor reads (not a git checkout, so not every file was scanned)",
            files.len()
        ))
    };
    Outcome::each(findings, ok)
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
        None => gitignore_lists_env(w),
    };
    let repair = Repair::new(".gitignore", Fix::GitignoreEnv);
    match (ignored, exists) {
        (true, _) => Outcome::ok(".env is ignored by git"),
        (false, true) => Outcome::error(
            ".env exists and git does not ignore it: the next git add commits its secrets",
            "add a line .env to .gitignore",
        )
        .repaired_by(repair),
        (false, false) => Outcome::warn(
            ".gitignore does not list .env: a .env created later would be committed",
            "add a line .env to .gitignore",
        )
        .repaired_by(repair),
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::doctor::Status;

    // Fake keys with real shapes (the AWS ones are the examples from AWS's own docs).
    // Fake values with real shapes (the AWS pair is the documentation's example); the others are
    // written in two halves so that no key-shaped literal sits in the source.
    const AWS_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const AWS_SECRET_2: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
    const HONEYCOMB: &str = concat!(
        "hcaik_01j9zx0ztvc8t7qgqd4qvbpm3e4",
        "ym1h5v9ypq2kbd6qfhe7q2qg5a8y0wk"
    );
    const ROLLBAR: &str = concat!("5f3a4c2e9b8d7a6f", "1e0c3b2a9d8e7f6a");

    fn write(dir: &Path, path: &str, bytes: &[u8]) {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.email=doctor@example.com",
                "-c",
                "user.name=doctor",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    /// Every finding of the check, first and further ones in order.
    fn all(o: Outcome) -> Vec<Outcome> {
        let mut out = vec![o.clone()];
        for more in o.more {
            out.extend(all(more));
        }
        out
    }

    fn location(o: &Outcome) -> &str {
        o.finding.split(" holds ").next().unwrap()
    }

    fn assert_nothing_whole(findings: &[Outcome]) {
        for o in findings {
            for secret in [AWS_ID, AWS_SECRET, AWS_SECRET_2, HONEYCOMB, ROLLBAR] {
                assert!(!o.finding.contains(secret), "{}", o.finding);
                assert!(!o.fix.clone().unwrap_or_default().contains(secret));
            }
        }
    }

    /// A Cruddur repository whose commits hold keys in scripts, compose and the backend.
    fn repository() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "bin/xray group.sh",
            format!(
                "#! /usr/bin/bash\n\
                 aws configure set aws_access_key_id \"$AWS_ACCESS_KEY_ID\"\n\
                 aws configure set aws_secret_access_key {AWS_SECRET}\n\
                 aws xray create-group \\\n  --group-name \"Cruddur\" \\\n  \
                 --filter-expression \"service(\\\"backend-flask\\\")\""
            )
            .as_bytes(),
        );
        write(
            d,
            "backend-flask/bin/it's \"set\".sh",
            format!(
                "#! /usr/bin/bash\n\
                 export AWS_ACCESS_KEY_ID={AWS_ID}\n\
                 export AWS_SECRET_ACCESS_KEY=\"{AWS_SECRET_2}\"\n\
                 export AWS_DEFAULT_REGION=ca-central-1"
            )
            .as_bytes(),
        );
        write(
            d,
            "docker-compose.yaml",
            format!(
                "version: \"3.8\"\nservices:\n  backend-flask:\n    environment:\n      \
                 FRONTEND_URL: \"https://3000-${{GITPOD_WORKSPACE_ID}}.${{GITPOD_WORKSPACE_CLUSTER_HOST}}\"\n      \
                 OTEL_EXPORTER_OTLP_ENDPOINT: \"https://api.honeycomb.io\"\n      \
                 OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team=${{HONEYCOMB_API_KEY}}\"\n      \
                 # OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team={HONEYCOMB}\"\n      \
                 AWS_ACCESS_KEY_ID: \"${{AWS_ACCESS_KEY_ID}}\"\n      \
                 AWS_SECRET_ACCESS_KEY: \"${{AWS_SECRET_ACCESS_KEY}}\"\n      \
                 ROLLBAR_ACCESS_TOKEN: \"${{ROLLBAR_ACCESS_TOKEN}}\"\n    \
                 build: ./backend-flask\n    ports:\n      - \"4567:4567\""
            )
            .as_bytes(),
        );
        write(
            d,
            "backend-flask/app.py",
            format!(
                "import os\nimport rollbar\nimport rollbar.contrib.flask\n\
                 from flask import got_request_exception\n\n\
                 rollbar_access_token = os.getenv('ROLLBAR_ACCESS_TOKEN')\n\n\
                 @app.before_first_request\ndef init_rollbar():\n  \
                 \"\"\"init rollbar module\"\"\"\n  \
                 rollbar.init('{ROLLBAR}', 'production', allow_logging_basic_config=False)\n  \
                 got_request_exception.connect(rollbar.contrib.flask.report_exception, app)"
            )
            .as_bytes(),
        );
        // References and placeholders, as READMEs and templates write them.
        write(
            d,
            ".gitpod.yml",
            b"tasks:\n  - name: aws-cli\n    env:\n      AWS_CLI_AUTO_PROMPT: on-partial\n    \
              init: |\n      gp env HONEYCOMB_API_KEY=\"<your honeycomb key>\"\n      \
              gp env AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n      \
              gp env AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\n      \
              gp env ROLLBAR_ACCESS_TOKEN=00000000000000000000000000000000\n      \
              export HONEYCOMB_API_KEY=${HONEYCOMB_API_KEY}\n      \
              export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY",
        );
        write(
            d,
            "backend-flask/services/home_activities.py",
            b"import os\nfrom opentelemetry import trace\n\n\
              HONEYCOMB_API_KEY = os.getenv(\"HONEYCOMB_API_KEY\")\n\
              tracer = trace.get_tracer(\"home.activities\")",
        );
        // A binary file that happens to hold a key's shape.
        let mut icon = vec![0u8, 0, 1, 0, 1, 0, 16, 16];
        icon.extend_from_slice(AWS_ID.as_bytes());
        write(d, "frontend-react-js/public/favicon.ico", &icon);
        write(d, ".gitignore", b"node_modules\n.env");
        git(d, &["init", "-q"]);
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "Week 2"]);
        // Neither committed nor tracked: not this check's business.
        write(
            d,
            "bin/scratch.sh",
            format!("export AWS_SECRET_ACCESS_KEY={AWS_SECRET}").as_bytes(),
        );
        write(
            d,
            ".env",
            format!("HONEYCOMB_API_KEY={HONEYCOMB}\nAWS_ACCESS_KEY_ID={AWS_ID}").as_bytes(),
        );
        dir
    }

    #[test]
    fn every_committed_secret_is_reported_once_with_its_place() {
        let dir = repository();
        let w = Workspace::load(dir.path(), None, 0.1);
        assert!(w.git.is_some());
        let findings = all(literal_secrets(&w, &Probes::offline()));
        assert!(findings.iter().all(|o| o.status == Status::Error));
        let places: Vec<&str> = findings.iter().map(location).collect();
        assert_eq!(
            places,
            [
                "backend-flask/app.py:11",
                "backend-flask/bin/it's \"set\".sh:2",
                "backend-flask/bin/it's \"set\".sh:3",
                "bin/xray group.sh:3",
                "docker-compose.yaml:8",
            ],
            "{findings:#?}"
        );
        assert_eq!(
            findings[0].finding,
            "backend-flask/app.py:11 holds a Rollbar access token (5f3a…7f6a)"
        );
        assert_eq!(
            findings[1].finding,
            "backend-flask/bin/it's \"set\".sh:2 holds an AWS access key id (AKIA…MPLE)"
        );
        assert!(findings[2]
            .finding
            .contains("AWS secret access key (je7M…EKEY)"));
        assert!(findings[3]
            .finding
            .contains("AWS secret access key (wJal…EKEY)"));
        assert!(findings[4]
            .finding
            .contains("Honeycomb ingest key (hcai…y0wk)"));
        assert_eq!(
            findings[0].fix.as_deref(),
            Some(
                "replace it with os.getenv(\"ROLLBAR_ACCESS_TOKEN\"), keep the value in gp env, \
                 Codespaces secrets or the git-ignored .env, and rotate the key: it stays in git history"
            )
        );
        assert!(findings[3]
            .fix
            .as_deref()
            .unwrap()
            .starts_with("replace it with ${AWS_SECRET_ACCESS_KEY}, "));
        assert_nothing_whole(&findings);
    }

    #[test]
    fn a_tracked_env_and_odd_names_are_scanned() {
        let dir = repository();
        let d = dir.path();
        write(
            d,
            "bin/new\nline.sh",
            format!("# aws_secret_access_key = {AWS_SECRET}").as_bytes(),
        );
        // Latin-1, not UTF-8: read lossily, still scanned.
        let mut latin = b"# cl\xe9 Honeycomb\n".to_vec();
        latin.extend_from_slice(
            format!("HONEYCOMB_API_KEY: {}", "a1B2c3D4e5F6g7H8i9J0kL").as_bytes(),
        );
        write(d, "bin/notes é.txt", &latin);
        // Over 1 MiB: skipped.
        let mut big = "#\n".repeat(600 * 1024);
        big.push_str(&format!("export AWS_ACCESS_KEY_ID={AWS_ID}"));
        write(d, "bin/big.log", big.as_bytes());
        git(
            d,
            &[
                "add",
                "-f",
                ".env",
                "bin/new\nline.sh",
                "bin/notes é.txt",
                "bin/big.log",
            ],
        );
        let w = Workspace::load(d, None, 0.1);
        let findings = all(literal_secrets(&w, &Probes::offline()));
        let places: Vec<&str> = findings.iter().map(location).collect();
        assert_eq!(
            places,
            [
                ".env:1",
                ".env:2",
                "backend-flask/app.py:11",
                "backend-flask/bin/it's \"set\".sh:2",
                "backend-flask/bin/it's \"set\".sh:3",
                "bin/new\\nline.sh:1",
                "bin/notes é.txt:2",
                "bin/xray group.sh:3",
                "docker-compose.yaml:8",
            ],
            "{findings:#?}"
        );
        assert!(findings[0].finding.ends_with(", and git tracks .env"));
        assert!(findings[0]
            .fix
            .as_deref()
            .unwrap()
            .starts_with("git rm --cached .env"));
        assert!(findings[6]
            .finding
            .contains("Honeycomb API key (a1B2…J0kL)"));
        assert_nothing_whole(&findings);
    }

    #[test]
    fn a_workspace_in_a_subfolder_names_paths_from_there() {
        let dir = repository();
        let w = Workspace::load(&dir.path().join("backend-flask"), None, 0.1);
        let findings = all(literal_secrets(&w, &Probes::offline()));
        let places: Vec<&str> = findings.iter().map(location).collect();
        assert_eq!(
            places,
            [
                "app.py:11",
                "bin/it's \"set\".sh:2",
                "bin/it's \"set\".sh:3"
            ]
        );
    }

    #[test]
    fn a_clean_repository_says_how_many_files_were_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "docker-compose.yml",
            b"services:\n  backend-flask:\n    environment:\n      \
              HONEYCOMB_API_KEY: \"${HONEYCOMB_API_KEY}\"",
        );
        write(d, "bin/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        git(d, &["init", "-q"]);
        git(d, &["add", "-A"]);
        let w = Workspace::load(d, None, 0.1);
        let o = literal_secrets(&w, &Probes::offline());
        assert_eq!(o.status, Status::Ok);
        assert_eq!(
            o.finding,
            "no literal secrets in the 1 files git tracks (1 more skipped: binary, over 1 MiB, or not on disk)"
        );
    }

    #[test]
    fn without_git_what_the_workspace_read_is_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "docker-compose.yml",
            format!("services:\n  backend-flask:\n    environment:\n      ROLLBAR_ACCESS_TOKEN: {ROLLBAR}").as_bytes(),
        );
        write(
            d,
            ".env",
            format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}").as_bytes(),
        );
        let w = Workspace::load(d, None, 0.1);
        assert!(
            w.git.is_none(),
            "the temporary folder must not sit inside a git repository"
        );
        // A .env holds secrets by design; that git would take it is security.env-ignored's finding.
        let findings = all(literal_secrets(&w, &Probes::offline()));
        let places: Vec<&str> = findings.iter().map(location).collect();
        assert_eq!(places, ["docker-compose.yml:4"]);
        assert_nothing_whole(&findings);
    }

    #[test]
    fn every_syntax_of_an_assignment() {
        let d = Detector::new();
        let found = |text: &str| -> Vec<(usize, Kind)> {
            d.secrets(text).iter().map(|s| (s.line, s.kind)).collect()
        };
        for line in [
            format!("export AWS_SECRET_ACCESS_KEY={AWS_SECRET}"),
            format!("AWS_SECRET_ACCESS_KEY: '{AWS_SECRET}'"),
            format!("  - AWS_SECRET_ACCESS_KEY={AWS_SECRET}"),
            format!("{{\"AWS_SECRET_ACCESS_KEY\": \"{AWS_SECRET}\"}}"),
            format!("aws sts get-caller-identity --secret-access-key {AWS_SECRET}"),
            format!("aws configure set aws_secret_access_key \"{AWS_SECRET}\""),
            format!("aws_secret_access_key = {AWS_SECRET}"),
            format!("os.environ['AWS_SECRET_ACCESS_KEY'] = '{AWS_SECRET}'"),
            format!("key = os.getenv('AWS_SECRET_ACCESS_KEY', '{AWS_SECRET}')"),
            format!("KEY=\"${{AWS_SECRET_ACCESS_KEY:-{AWS_SECRET}}}\""),
        ] {
            assert_eq!(found(&line), [(1, Kind::AwsSecret)], "{line}");
        }
        assert_eq!(
            found(&format!("ASIAY34FZKBOKMUTVV7A {AWS_ID},{AWS_ID}")),
            [(1, Kind::AwsKeyId), (1, Kind::AwsKeyId)]
        );
        for line in [
            "HONEYCOMB_API_KEY=a1B2c3D4e5F6g7H8i9J0kL".to_string(),
            "OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=0123456789abcdef0123456789abcdef"
                .to_string(),
            format!("headers:\n  \"x-honeycomb-team\": \"{HONEYCOMB}\""),
        ] {
            assert_eq!(found(&line).len(), 1, "{line}");
        }
        assert_eq!(
            found(&format!(
                "  rollbar.init(\n    # access token\n    '{ROLLBAR}',\n    'production')"
            )),
            [(3, Kind::RollbarToken)]
        );
        for not_secret in [
            "export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
            "AWS_SECRET_ACCESS_KEY: \"$AWS_SECRET_ACCESS_KEY\"",
            "aws_secret_access_key = os.getenv('AWS_SECRET_ACCESS_KEY')",
            "HONEYCOMB_API_KEY=<your api key>",
            "HONEYCOMB_API_KEY: YOUR_HONEYCOMB_API_KEY",
            "HONEYCOMB_API_KEY=aaaaaaaaaaaaaaaaaaaaaa",
            "ROLLBAR_ACCESS_TOKEN=ffffffffffffffffffffffffffffffff",
            "rollbar.init(rollbar_access_token, 'production')",
            "rollbar.init('POST_SERVER_ITEM_ACCESS_TOKEN')",
            "AKIAXXXXXXXXXXXXXXXX",
            "XAKIAIOSFODNN7EXAMPLE",
            "hcaik_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "AWS_SECRET_ACCESS_KEY is read from gp env",
            "é AKIA ünïcödé 🔑 hcaik_ x-honeycomb-team=é rollbar.init('é",
            "",
        ] {
            assert_eq!(found(not_secret), [], "{not_secret}");
        }
    }
}
