//! `--cli-input-json` and other JSON inputs: read from `file://PATH`, a plain path, `-` (stdin) or
//! inline text, then parsed into typed structs with errors that point at the line, column and field.

use std::io::Read;
use std::path::PathBuf;

use serde::de::DeserializeOwned;

use crate::error::Failure;
use crate::validate::did_you_mean;

/// JSON text and a name for where it came from, used in every message about it.
#[derive(Debug, Clone)]
pub struct JsonInput {
    pub origin: String,
    pub text: String,
}

impl JsonInput {
    /// Reads a `--cli-input-json` argument the way the aws cli does (`file://PATH` or inline JSON),
    /// and also accepts a plain path and `-` for standard input.
    pub fn read(arg: &str) -> Result<Self, Failure> {
        if arg == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::bad_input(format!("cannot read JSON from standard input: {e}"))
            })?;
            return Ok(JsonInput {
                origin: "<stdin>".into(),
                text,
            });
        }
        if arg.trim_start().starts_with('{') {
            return Ok(JsonInput {
                origin: "--cli-input-json".into(),
                text: arg.to_string(),
            });
        }
        let path = PathBuf::from(arg.strip_prefix("file://").unwrap_or(arg));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let f =
                Failure::bad_input(format!("cannot read {}: {}", path.display(), io_reason(&e)));
            if arg.starts_with("file://") || path.exists() {
                f
            } else {
                f.hint("pass file://PATH, a path, - for standard input, or the JSON itself")
            }
        })?;
        Ok(JsonInput {
            origin: path.display().to_string(),
            text,
        })
    }

    pub fn inline(origin: &str, text: &str) -> Self {
        JsonInput {
            origin: origin.into(),
            text: text.into(),
        }
    }

    /// Parses into `T`. Malformed JSON names the line and column; a wrong field names its path,
    /// the problem and the allowed names, with a suggestion for a misspelled or wrongly-cased one.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        let mut de = serde_json::Deserializer::from_str(&self.text);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| self.explain(e.path().to_string(), e.inner()))?;
        de.end().map_err(|e| self.explain(".".into(), &e))?;
        Ok(value)
    }

    fn explain(&self, path: String, err: &serde_json::Error) -> Failure {
        use serde_json::error::Category;
        let at = format!("{}:{}:{}", self.origin, err.line(), err.column());
        let message = strip_position(&err.to_string());
        match err.classify() {
            Category::Io | Category::Syntax => Failure::bad_input(format!(
                "{at}: malformed JSON: {message}"
            ))
            .hint(
                "check the JSON around that position (a missing comma or quote is the usual cause)",
            ),
            Category::Eof if self.text.trim().is_empty() => {
                Failure::bad_input(format!("{}: the input is empty", self.origin))
                    .hint("expected a JSON object, for example {\"SamplingRule\": {...}}")
            }
            Category::Eof => Failure::bad_input(format!("{at}: malformed JSON: {message}"))
                .hint("the JSON ends too early: check for a missing closing bracket or brace"),
            Category::Data => explain_message(&at, &path, &message),
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// serde_json appends " at line L column C"; we print the position ourselves.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The names inside backticks in a serde message, in order.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// Explains a serde error message (from JSON or TOML) found at `at` (file:line:column), for the
/// field at `path` (empty when unknown).
pub fn explain_message(at: &str, path: &str, message: &str) -> Failure {
    if message.starts_with("unknown field") {
        let names = backticked(message);
        let (wrong, allowed) = names
            .split_first()
            .map(|(w, a)| (*w, a.to_vec()))
            .unwrap_or(("", vec![]));
        // serde_path_to_error may or may not include the unknown key in the path.
        let parent = match path.rsplit_once('.') {
            Some((p, last)) if last == wrong => p.to_string(),
            _ if path == wrong => String::new(),
            _ => path.to_string(),
        };
        let field = if parent.is_empty() || parent == "." {
            wrong.to_string()
        } else {
            format!("{parent}.{wrong}")
        };
        let mut text = format!("{at}: {field}: unknown field \"{wrong}\"");
        if let Some(right) = did_you_mean(wrong, &allowed) {
            text.push_str(&format!("; did you mean \"{right}\"?"));
        }
        return Failure::bad_input(text).hint(format!(
            "allowed fields here: {} (names are case-sensitive)",
            allowed.join(", ")
        ));
    }
    if message.starts_with("missing field") {
        let name = backticked(message).first().copied().unwrap_or("");
        let field = if path.is_empty() || path == "." {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return Failure::bad_input(format!("{at}: {field}: required field is missing"));
    }
    let friendly = message
        .replace("expected f64", "expected a number")
        .replace("expected i32", "expected a whole number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    if path.is_empty() || path == "." {
        Failure::bad_input(format!("{at}: {friendly}"))
    } else {
        Failure::bad_input(format!("{at}: {path}: {friendly}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Inner {
        #[allow(dead_code)]
        fixed_rate: f64,
        #[allow(dead_code)]
        priority: i32,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Outer {
        #[allow(dead_code)]
        rule: Inner,
    }

    fn err(text: &str) -> Failure {
        JsonInput::inline("in.json", text)
            .parse::<Outer>()
            .unwrap_err()
    }

    #[test]
    fn names_line_and_column_of_malformed_json() {
        let e = err("{\n  \"Rule\": {\n    \"FixedRate\": 0.1\n    \"Priority\": 1}}");
        assert_eq!(
            e.message,
            "in.json:4:5: malformed JSON: expected `,` or `}`"
        );
    }

    #[test]
    fn suggests_the_right_case() {
        let e = err("{\"Rule\": {\"fixedRate\": 0.1, \"Priority\": 1}}");
        assert!(e.message.starts_with("in.json:1:"), "{}", e.message);
        assert!(
            e.message.ends_with(
                "Rule.fixedRate: unknown field \"fixedRate\"; did you mean \"FixedRate\"?"
            ),
            "{}",
            e.message
        );
        assert_eq!(
            e.hint.unwrap(),
            "allowed fields here: FixedRate, Priority (names are case-sensitive)"
        );
    }

    #[test]
    fn names_missing_and_mistyped_fields() {
        let e = err("{\"Rule\": {\"FixedRate\": 0.1}}");
        assert!(
            e.message
                .ends_with("Rule.Priority: required field is missing"),
            "{}",
            e.message
        );
        let e = err("{\"Rule\": {\"FixedRate\": \"0.1\", \"Priority\": 1}}");
        assert!(
            e.message
                .ends_with("Rule.FixedRate: invalid type: string \"0.1\", expected a number"),
            "{}",
            e.message
        );
    }

    #[test]
    fn empty_and_trailing_input() {
        assert_eq!(err("  \n").message, "in.json: the input is empty");
        let e = err("{\"Rule\": {\"FixedRate\": 0.1, \"Priority\": 1}} x");
        assert!(
            e.message.contains("malformed JSON: trailing characters"),
            "{}",
            e.message
        );
    }
}
