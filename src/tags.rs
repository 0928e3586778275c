//! Resource tags: X-Ray's `[{"Key": .., "Value": ..}]` lists and CloudWatch Logs' `{key: value}`
//! maps, their shorthand on the command line, and their limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::Change;
use crate::error::Failure;
use crate::input::JsonInput;
use crate::validate::Problems;

/// At most this many user tags per resource, in both services.
pub const MAX_TAGS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// Checks count, key and value lengths and the reserved `aws:` prefix. CloudWatch Logs also
/// restricts the characters (`logs_charset`).
pub fn validate(
    field: &str,
    tags: &BTreeMap<String, String>,
    logs_charset: bool,
    p: &mut Problems,
) {
    if tags.len() > MAX_TAGS {
        p.push(
            field,
            format!("{} tags given", tags.len()),
            format!("at most {MAX_TAGS} tags"),
        );
    }
    for (key, value) in tags {
        let at = format!("{field}.{key}");
        p.length(&format!("{at} (key)"), key, 1, 128);
        p.length(&format!("{at} (value)"), value, 0, 256);
        if key.to_ascii_lowercase().starts_with("aws:") {
            p.push(
                &at,
                "keys starting with \"aws:\" are reserved for AWS",
                "any other key",
            );
        }
        let ok = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
        if logs_charset && !(key.chars().all(ok) && value.chars().all(ok)) {
            p.push(
                &at,
                "has a character CloudWatch Logs does not allow in tags",
                "letters, digits, spaces and _ . : / = + - @",
            );
        }
    }
}

pub fn list_to_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

pub fn map_to_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Tags in `desired` that `current` lacks or holds with another value. Extra tags on the resource
/// are left alone: they may be someone else's.
pub fn changes(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Vec<Change> {
    desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| Change {
            field: format!("Tags.{k}"),
            current: current
                .get(k)
                .map(|c| format!("\"{c}\""))
                .unwrap_or_else(|| "(none)".into()),
            desired: format!("\"{v}\""),
        })
        .collect()
}

/// X-Ray's `--tags`: the aws cli shorthand `Key=k,Value=v` (one argument per tag) or a JSON list.
pub fn parse_xray_tags(args: &[String]) -> Result<Vec<Tag>, Failure> {
    if let [only] = args {
        if only.trim_start().starts_with('[') {
            return JsonInput::inline("--tags", only).parse();
        }
    }
    args.iter()
        .map(|arg| {
            let mut key = None;
            let mut value = None;
            for part in arg.split(',') {
                match part.split_once('=') {
                    Some(("Key", k)) => key = Some(k.to_string()),
                    Some(("Value", v)) => value = Some(v.to_string()),
                    _ => return Err(shorthand_error(arg)),
                }
            }
            match (key, value) {
                (Some(key), Some(value)) => Ok(Tag { key, value }),
                _ => Err(shorthand_error(arg)),
            }
        })
        .collect()
}

fn shorthand_error(arg: &str) -> Failure {
    Failure::bad_input(format!("--tags: cannot read \"{arg}\""))
        .hint("write each tag as Key=NAME,Value=VALUE, or pass a JSON list: '[{\"Key\": \"NAME\", \"Value\": \"VALUE\"}]'")
}

/// CloudWatch Logs' `--tags`: `k=v,k2=v2` or a JSON object.
pub fn parse_logs_tags(arg: &str) -> Result<BTreeMap<String, String>, Failure> {
    if arg.trim_start().starts_with('{') {
        return JsonInput::inline("--tags", arg).parse();
    }
    arg.split(',')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Failure::bad_input(format!("--tags: cannot read \"{pair}\""))
                .hint("write tags as key=value,key2=value2, or pass a JSON object: '{\"key\": \"value\"}'")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_shorthands() {
        let t = parse_xray_tags(&[
            "Key=project,Value=cruddur".into(),
            "Key=env,Value=dev".into(),
        ])
        .unwrap();
        assert_eq!(
            t[1],
            Tag {
                key: "env".into(),
                value: "dev".into()
            }
        );
        let t = parse_xray_tags(&["[{\"Key\": \"a\", \"Value\": \"\"}]".into()]).unwrap();
        assert_eq!(t[0].key, "a");
        assert!(parse_xray_tags(&["project=cruddur".into()]).is_err());
        let m = parse_logs_tags("project=cruddur,env=dev").unwrap();
        assert_eq!(m["env"], "dev");
        assert!(parse_logs_tags("nope").is_err());
    }

    #[test]
    fn rejects_reserved_and_long_keys() {
        let mut p = Problems::new();
        let tags: BTreeMap<_, _> = [
            ("aws:owner".to_string(), "me".to_string()),
            ("k".repeat(129), String::new()),
        ]
        .into();
        validate("Tags", &tags, true, &mut p);
        assert_eq!(p.list().len(), 2, "{:?}", p.list());
    }
}

#[cfg(test)]
mod prop {
    use proptest::prelude::*;
    // The module of strategies, named plainly: `super::*` also brings this module's own name.
    use proptest::prelude::prop;

    use super::*;

    /// Cases per property: PROPTEST_CASES when set, else 12,000 (10 properties: 120,000 in all).
    fn config() -> ProptestConfig {
        crate::proptest_config(12_000)
    }

    /// One `--tags` argument: any text, the shorthands with odd values, and JSON-looking text.
    fn argument() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(Key=.{0,10},Value=.{0,10} ?){0,4}",
            "([a-z\u{f1}=,]{0,6}=[a-z\u{e9},=]{0,6},?){0,4}",
            "[\\[{] ?(\\{\"Key\": \".{0,6}\", \"Value\": \".{0,6}\"\\},? ?){0,3}[\\]}]?",
            "\\{(\".{0,6}\": ?\".{0,6}\",? ?){0,3}\\}?",
        ]
    }

    fn explained(f: &Failure) -> bool {
        !f.message.trim().is_empty() && f.message.starts_with("--tags")
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn xray_tags_never_panic(args in prop::collection::vec(argument(), 0..4)) {
            match parse_xray_tags(&args) {
                Ok(tags) => {
                    let mut p = Problems::new();
                    validate("Tags", &list_to_map(&tags), false, &mut p);
                    if let Err(f) = p.into_result("command line") {
                        prop_assert!(!f.message.trim().is_empty());
                    }
                }
                Err(f) => prop_assert!(explained(&f), "{}", f.message),
            }
        }

        #[test]
        fn logs_tags_never_panic(arg in argument()) {
            match parse_logs_tags(&arg) {
                Ok(tags) => {
                    let mut p = Problems::new();
                    validate("--tags", &tags, true, &mut p);
                    if let Err(f) = p.into_result("command line") {
                        prop_assert!(!f.message.trim().is_empty());
                    }
                }
                Err(f) => prop_assert!(explained(&f), "{}", f.message),
            }
        }
    }
}
