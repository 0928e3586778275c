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

#[cfg(test)]
mod prop {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    // The module of strategies, named plainly: `super::*` also brings this module's own name.
    use proptest::prelude::prop;
    use serde_json::Value;

    use super::*;
    use crate::group::CreateGroupInput;
    use crate::sampling_rule::{CreateSamplingRuleInput, UpdateSamplingRuleInput};
    use crate::validate::Problems;

    /// Cases per property: PROPTEST_CASES when set, else 12,000 (10 properties: 120,000 in all).
    fn config() -> ProptestConfig {
        crate::proptest_config(12_000)
    }

    const ORIGIN: &str = "in\u{e9}.json";

    const RULE: &str = include_str!("../aws/json/xray.json");

    const GROUP: &str = r#"{"GroupName": "Cruddur", "FilterExpression": "service(\"backend-flask\")",
        "InsightsConfiguration": {"InsightsEnabled": true}, "Tags": [{"Key": "project", "Value": "cruddur"}]}"#;

    /// Field names of every input, near-misses of them, and odd ones.
    const FIELDS: &[&str] = &[
        "SamplingRule",
        "SamplingRuleUpdate",
        "RuleName",
        "RuleARN",
        "ResourceARN",
        "Priority",
        "FixedRate",
        "ReservoirSize",
        "ServiceName",
        "ServiceType",
        "Host",
        "HTTPMethod",
        "URLPath",
        "Version",
        "Attributes",
        "SamplingRateBoost",
        "MaxRate",
        "CooldownWindowMinutes",
        "Tags",
        "Key",
        "Value",
        "GroupName",
        "FilterExpression",
        "InsightsConfiguration",
        "InsightsEnabled",
        "NotificationsEnabled",
        "fixedRate",
        "FixedRat\u{e9}",
        "\u{f1}",
        "",
        "a`b",
        " at line 1 column 2",
        "\u{1b}[31m",
    ];

    /// Every input read from `text` must parse, or fail with a message naming where; a parsed
    /// one must validate, or fail with a message.
    fn check(text: &str) -> Result<(), TestCaseError> {
        let input = JsonInput::inline(ORIGIN, text);
        fn explained<T>(r: Result<T, Failure>) -> Result<Option<T>, TestCaseError> {
            match r {
                Ok(v) => Ok(Some(v)),
                Err(f) => {
                    prop_assert!(f.message.starts_with(ORIGIN), "{}", f.message);
                    prop_assert!(f.message.len() > ORIGIN.len() + 2, "{}", f.message);
                    Ok(None)
                }
            }
        }
        fn valid(p: Problems) -> Result<(), TestCaseError> {
            if let Err(f) = p.into_result(ORIGIN) {
                prop_assert!(!f.message.trim().is_empty());
            }
            Ok(())
        }
        if let Some(rule) = explained(input.parse::<CreateSamplingRuleInput>())? {
            valid(rule.validate())?;
        }
        if let Some(update) = explained(input.parse::<UpdateSamplingRuleInput>())? {
            valid(update.sampling_rule_update.validate())?;
        }
        if let Some(group) = explained(input.parse::<CreateGroupInput>())? {
            valid(group.validate())?;
        }
        if let Some(tags) = explained(input.parse::<BTreeMap<String, String>>())? {
            let mut p = Problems::new();
            crate::tags::validate("--tags", &tags, true, &mut p);
            valid(p)?;
        }
        Ok(())
    }

    /// Text: anything, and text that starts like each input.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "\\{\"SamplingRule\": .{0,200}\\}",
            "\\{\"SamplingRuleUpdate\": \\{.{0,100}\\}\\}",
            "\\{\"GroupName\": .{0,100}\\}",
            "[ \n]*[\\[{\"].{0,40}",
        ]
    }

    /// JSON documents built from the inputs' field names with values of every type.
    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop_oneof![Just(-1.0), Just(0.5), Just(1.5), Just(1e300)].prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(FIELDS), inner), 0..8).prop_map(
                    |fields| Value::Object(
                        fields
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect()
                    )
                ),
            ]
        });
        value.prop_map(|v| v.to_string())
    }

    /// The shipped rule or a full group with one character put in, taken out, or the text cut.
    fn mutated() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![RULE, GROUP]),
            any::<prop::sample::Index>(),
            prop_oneof![Just(None), any::<char>().prop_map(Some)],
            any::<bool>(),
        )
            .prop_map(|(base, at, put, cut)| {
                let mut chars: Vec<char> = base.chars().collect();
                let i = at.index(chars.len());
                match put {
                    Some(c) => chars.insert(i, c),
                    None if cut => chars.truncate(i),
                    None => {
                        chars.remove(i);
                    }
                }
                chars.into_iter().collect()
            })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn json_text_never_panics(text in text()) {
            check(&text)?;
        }

        #[test]
        fn json_documents_never_panic(text in document()) {
            check(&text)?;
        }

        #[test]
        fn edited_inputs_never_panic(text in mutated()) {
            check(&text)?;
        }
    }
}
