//! Editing the user's own files safely: each edit is a byte range of the parsed original and its
//! replacement, a plan is shown as a unified diff before anything is written, and the files are
//! written all together or not at all. `init` uses it to instrument a repository in place.

pub mod devcontainer;
pub mod gitpod;
pub mod javascript;
pub mod package_json;
pub mod python;
pub mod requirements;

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::files;

/// One edit: replace `range` (byte offsets into the original text, on character boundaries) with
/// `content`. An empty range inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub content: String,
}

impl Edit {
    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            content: content.into(),
        }
    }

    pub fn replace(range: Range<usize>, content: impl Into<String>) -> Edit {
        Edit {
            range,
            content: content.into(),
        }
    }
}

/// Applies edits to `text`. Edits are sorted by position; insertions at the same point keep the
/// order they were given in. Overlapping edits are a bug in the caller.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<(usize, &Edit)> = edits.iter().enumerate().collect();
    sorted.sort_by_key(|(i, e)| (e.range.start, e.range.end, *i));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for (_, e) in sorted {
        assert!(
            e.range.start >= at && e.range.end <= text.len(),
            "overlapping or out-of-range edit {:?}",
            e.range
        );
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.content);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// How a file writes its lines: the line ending and the indentation unit, so that what we add
/// looks like what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    pub eol: &'static str,
    pub indent: String,
}

impl Style {
    /// The file's line ending (CRLF when most of its lines end so) and its smallest indentation
    /// step (spaces or a tab), or `default_indent` when nothing is indented.
    pub fn of(text: &str, default_indent: &str) -> Style {
        let crlf = text.matches("\r\n").count();
        let lf = text.matches('\n').count() - crlf;
        let eol = if crlf > lf { "\r\n" } else { "\n" };
        let mut step: Option<usize> = None;
        let mut tabs = 0;
        let mut spaces = 0;
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with('\t') {
                tabs += 1;
                continue;
            }
            let n = line.len() - line.trim_start_matches(' ').len();
            if n > 0 {
                spaces += 1;
                step = Some(step.map_or(n, |s| s.min(n)));
            }
        }
        let indent = if tabs > spaces {
            "\t".to_string()
        } else {
            match step {
                Some(n) => " ".repeat(n),
                None => default_indent.to_string(),
            }
        };
        Style { eol, indent }
    }
}

/// The offset just past the end of the line holding `offset` (past its line ending), or the end of
/// the text when that line has no ending.
pub fn line_end(text: &str, offset: usize) -> usize {
    match text[offset..].find('\n') {
        Some(i) => offset + i + 1,
        None => text.len(),
    }
}

/// The offset where the line holding `offset` starts.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The column (in characters, from 0) of `offset` in its line.
pub fn column_of(text: &str, offset: usize) -> usize {
    text[line_start(text, offset)..offset].chars().count()
}

/// Text to insert at `line_end(text, offset)` so that `lines` become new lines after that line:
/// when the line has no ending (the last line of a file without a final newline), the ending goes
/// first, and the file still ends without one.
pub fn lines_after(text: &str, offset: usize, lines: &[String], eol: &str) -> Edit {
    let at = line_end(text, offset);
    let ends_with_newline = at > 0 && text[..at].ends_with('\n');
    let mut content = String::new();
    if ends_with_newline {
        for l in lines {
            content.push_str(l);
            content.push_str(eol);
        }
    } else {
        for l in lines {
            content.push_str(eol);
            content.push_str(l);
        }
    }
    Edit::insert(at, content)
}

/// What happens to one file.
#[derive(Debug, Clone)]
pub struct Change {
    /// Relative to the workspace folder, with `/`.
    pub path: String,
    /// What is there now; `None` when the file is created.
    pub before: Option<String>,
    pub after: String,
    /// Created 0600 (files that hold secrets).
    pub private: bool,
}

impl Change {
    pub fn is_noop(&self) -> bool {
        self.before.as_deref() == Some(self.after.as_str())
    }

    /// The unified diff of this change, with `a/` and `b/` paths as git prints them.
    pub fn diff(&self) -> String {
        let before = self.before.as_deref().unwrap_or("");
        let old = if self.before.is_some() {
            format!("a/{}", self.path)
        } else {
            "/dev/null".to_string()
        };
        similar::TextDiff::from_lines(before, &self.after)
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&old, &format!("b/{}", self.path))
            .to_string()
    }
}

/// Why a set of changes could not be written; every file is as it was before.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub error: std::io::Error,
    /// Files that could not be put back after a failure midway (empty in every normal case).
    pub not_restored: Vec<PathBuf>,
}

/// Writes every change or none. Each file is first written to a temporary file beside it; only
/// when all are ready are they renamed into place. When a rename fails, the files already
/// replaced get their old contents back and the files already created are removed.
pub fn write_all(dir: &Path, changes: &[Change]) -> Result<(), WriteError> {
    let todo: Vec<&Change> = changes.iter().filter(|c| !c.is_noop()).collect();
    let mut staged = Vec::with_capacity(todo.len());
    for c in &todo {
        let path = dir.join(&c.path);
        let tmp =
            files::stage(&path, c.after.as_bytes(), c.private).map_err(|error| WriteError {
                path: path.clone(),
                error,
                not_restored: vec![],
            })?;
        staged.push((path, tmp, *c));
    }
    let mut done: Vec<(PathBuf, &Change)> = Vec::new();
    for (path, tmp, c) in staged {
        if let Err(e) = tmp.persist(&path) {
            let not_restored = roll_back(&done);
            return Err(WriteError {
                path,
                error: e.error,
                not_restored,
            });
        }
        done.push((path, c));
    }
    Ok(())
}

/// Puts back what `write_all` replaced or created; returns the paths it could not restore.
fn roll_back(done: &[(PathBuf, &Change)]) -> Vec<PathBuf> {
    let mut failed = Vec::new();
    for (path, c) in done.iter().rev() {
        let restored = match &c.before {
            Some(old) => files::write_atomic(path, old.as_bytes(), c.private),
            None => std::fs::remove_file(path),
        };
        if restored.is_err() {
            failed.push(path.clone());
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_keep_everything_else() {
        let text = "a\nb\nc";
        let edits = [
            Edit::insert(2, "x\n"),
            Edit::replace(4..5, "C"),
            Edit::insert(2, "y\n"),
        ];
        assert_eq!(apply(text, &edits), "a\nx\ny\nb\nC");
    }

    #[test]
    fn style_finds_indentation_and_line_endings() {
        assert_eq!(
            Style::of("def f():\r\n  return 1\r\n", "    "),
            Style {
                eol: "\r\n",
                indent: "  ".into()
            }
        );
        assert_eq!(Style::of("x = 1\n", "    ").indent, "    ");
        assert_eq!(Style::of("if x:\n\ty\n", "    ").indent, "\t");
    }

    #[test]
    fn lines_after_the_last_line_without_a_final_newline() {
        let text = "flask\nflask-cors";
        let e = lines_after(text, 7, &["rollbar==1".into()], "\n");
        assert_eq!(apply(text, &[e]), "flask\nflask-cors\nrollbar==1");
        let text = "flask\nflask-cors\n";
        let e = lines_after(text, 7, &["rollbar==1".into()], "\n");
        assert_eq!(apply(text, &[e]), "flask\nflask-cors\nrollbar==1\n");
    }

    #[test]
    fn a_failed_rename_midway_restores_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "old").unwrap();
        // A non-empty folder where a file should go: staging works, the rename fails.
        std::fs::create_dir_all(dir.path().join("z/blocked/inner")).unwrap();
        let changes = vec![
            Change {
                path: "app.py".into(),
                before: Some("old".into()),
                after: "new".into(),
                private: false,
            },
            Change {
                path: "new.txt".into(),
                before: None,
                after: "created".into(),
                private: false,
            },
            Change {
                path: "z/blocked".into(),
                before: None,
                after: "x".into(),
                private: false,
            },
        ];
        let e = write_all(dir.path(), &changes).unwrap_err();
        assert!(e.path.ends_with("z/blocked"), "{e:?}");
        assert!(e.not_restored.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("app.py")).unwrap(),
            "old"
        );
        assert!(!dir.path().join("new.txt").exists());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(".cruddur-obs-")),
            "{names:?}"
        );
    }

    #[test]
    fn diff_has_git_headers() {
        let c = Change {
            path: "backend-flask/requirements.txt".into(),
            before: Some("flask\nflask-cors".into()),
            after: "flask==3.1.3\nflask-cors".into(),
            private: false,
        };
        let d = c.diff();
        assert!(
            d.starts_with(
                "--- a/backend-flask/requirements.txt\n+++ b/backend-flask/requirements.txt\n"
            ),
            "{d}"
        );
        assert!(d.contains("-flask\n+flask==3.1.3\n"), "{d}");
    }
}
