//! The frontend's `package.json`, read with jsonc-parser: packages added to `dependencies` in
//! npm's own (alphabetical) order, at the file's indentation, everything else untouched.

use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

use super::gitpod::Problem;
use super::{line_start, Edit, Style};
use crate::manifest::line_column;

/// A package the file pins at another version: theirs is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub line: usize,
    pub name: String,
    pub theirs: String,
    pub ours: String,
}

/// The `dependencies` of a package.json's text, as (name, version) in file order.
pub fn dependencies(text: &str) -> Result<Vec<(String, String)>, Problem> {
    let root = parse(text)?;
    let Some(Value::Object(deps)) = root
        .properties
        .iter()
        .find(|p| p.name.as_str() == "dependencies")
        .map(|p| &p.value)
    else {
        return Ok(vec![]);
    };
    Ok(deps
        .properties
        .iter()
        .map(|p| (p.name.as_str().to_string(), version(&p.value)))
        .collect())
}

fn version(v: &Value) -> String {
    match v {
        Value::StringLit(s) => s.value.to_string(),
        _ => String::new(),
    }
}

fn parse(text: &str) -> Result<jsonc_parser::ast::Object<'_>, Problem> {
    let parsed =
        parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).map_err(|e| {
            let (line, column) = line_column(text, e.range().start);
            Problem {
                line,
                column,
                message: e.kind().to_string(),
            }
        })?;
    match parsed.value {
        Some(Value::Object(root)) => Ok(root),
        _ => Err(Problem {
            line: 1,
            column: 1,
            message: "the file is not a JSON object".into(),
        }),
    }
}

/// The indentation of the line a node starts on.
fn indentation_at(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    text[start..offset]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// The edits that add each of `pins` (name, exact version) missing from `dependencies`. A
/// package already there at another version is the user's choice: it stays, as a conflict.
pub fn plan(text: &str, pins: &[(String, String)]) -> Result<(Vec<Edit>, Vec<Conflict>), Problem> {
    let root = parse(text)?;
    let style = Style::of(text, "  ");
    let eol = style.eol;
    let mut pins: Vec<&(String, String)> = pins.iter().collect();
    pins.sort();
    let entry = |(name, version): &(String, String)| {
        format!(
            "{}: {}",
            serde_json::to_string(name).expect("a string serializes"),
            serde_json::to_string(version).expect("a string serializes")
        )
    };
    let deps = root
        .properties
        .iter()
        .find(|p| p.name.as_str() == "dependencies");
    let mut edits = Vec::new();
    let mut conflicts = Vec::new();
    match deps.map(|p| &p.value) {
        None => {
            // A new "dependencies" member after the last one of the root object.
            let indent = root.properties.first().map_or(style.indent.clone(), |p| {
                indentation_at(text, p.range.start)
            });
            let inner = format!("{indent}{}", style.indent);
            let body: Vec<String> = pins
                .iter()
                .map(|p| format!("{inner}{}", entry(p)))
                .collect();
            let member = format!(
                "\"dependencies\": {{{eol}{}{eol}{indent}}}",
                body.join(&format!(",{eol}"))
            );
            match root.properties.last() {
                Some(last) => edits.push(Edit::insert(
                    last.range.end,
                    format!(",{eol}{indent}{member}"),
                )),
                None => {
                    let open = root.range.start + 1;
                    edits.push(Edit::insert(open, format!("{eol}{indent}{member}{eol}")));
                }
            }
        }
        Some(Value::Object(object)) => {
            let props: &Vec<ObjectProp> = &object.properties;
            let outer = deps.map_or(String::new(), |p| indentation_at(text, p.range.start));
            let inner = props
                .first()
                .map_or(format!("{outer}{}", style.indent), |p| {
                    indentation_at(text, p.range.start)
                });
            let mut missing = Vec::new();
            for pin in pins {
                match props.iter().find(|p| p.name.as_str() == pin.0) {
                    Some(p) => {
                        let theirs = version(&p.value);
                        if theirs != pin.1 {
                            conflicts.push(Conflict {
                                line: line_column(text, p.range.start).0,
                                name: pin.0.clone(),
                                theirs,
                                ours: pin.1.clone(),
                            });
                        }
                    }
                    None => missing.push(pin),
                }
            }
            if props.is_empty() {
                if !missing.is_empty() {
                    let body: Vec<String> = missing
                        .iter()
                        .map(|p| format!("{inner}{}", entry(p)))
                        .collect();
                    edits.push(Edit::replace(
                        object.range.start..object.range.end,
                        format!("{{{eol}{}{eol}{outer}}}", body.join(&format!(",{eol}"))),
                    ));
                }
            } else {
                for pin in missing {
                    match props.iter().find(|p| p.name.as_str() > pin.0.as_str()) {
                        // Before the first package that sorts after it, on a line of its own.
                        Some(next) => edits.push(Edit::insert(
                            next.range.start,
                            format!("{},{eol}{inner}", entry(pin)),
                        )),
                        None => {
                            let last = props.last().expect("not empty");
                            edits.push(Edit::insert(
                                last.range.end,
                                format!(",{eol}{inner}{}", entry(pin)),
                            ));
                        }
                    }
                }
            }
        }
        Some(other) => {
            let (line, column) = line_column(text, other.range().start);
            return Err(Problem {
                line,
                column,
                message: "\"dependencies\" is not an object".into(),
            });
        }
    }
    Ok((edits, conflicts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    fn pins(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    const WEEK1: &str = "{\n  \"name\": \"frontend\",\n  \"private\": true,\n  \"dependencies\": {\n    \"react\": \"^18.2.0\",\n    \"react-dom\": \"^18.2.0\"\n  },\n  \"scripts\": {\n    \"start\": \"react-scripts start\"\n  }\n}";

    #[test]
    fn packages_go_in_alphabetical_order_at_the_files_indentation() {
        let (edits, conflicts) = plan(
            WEEK1,
            &pins(&[
                ("@opentelemetry/api", "1.9.1"),
                ("zone", "1.0.0"),
                ("@a/b", "2.0.0"),
            ]),
        )
        .unwrap();
        assert!(conflicts.is_empty());
        let after = apply(WEEK1, &edits);
        assert_eq!(
            after,
            "{\n  \"name\": \"frontend\",\n  \"private\": true,\n  \"dependencies\": {\n    \"@a/b\": \"2.0.0\",\n    \"@opentelemetry/api\": \"1.9.1\",\n    \"react\": \"^18.2.0\",\n    \"react-dom\": \"^18.2.0\",\n    \"zone\": \"1.0.0\"\n  },\n  \"scripts\": {\n    \"start\": \"react-scripts start\"\n  }\n}"
        );
        let value: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(value["dependencies"]["zone"], "1.0.0");
        // A second run adds nothing.
        let (again, _) = plan(&after, &pins(&[("@opentelemetry/api", "1.9.1")])).unwrap();
        assert!(again.is_empty());
    }

    #[test]
    fn their_version_is_kept_and_reported() {
        let (edits, conflicts) = plan(WEEK1, &pins(&[("react", "18.3.1")])).unwrap();
        assert!(edits.is_empty());
        assert_eq!(conflicts[0].line, 5);
        assert_eq!(conflicts[0].theirs, "^18.2.0");
    }

    #[test]
    fn no_dependencies_yet_and_crlf() {
        let text = "{\r\n    \"name\": \"x\"\r\n}\r\n";
        let (edits, _) = plan(text, &pins(&[("a", "1")])).unwrap();
        assert_eq!(
            apply(text, &edits),
            "{\r\n    \"name\": \"x\",\r\n    \"dependencies\": {\r\n        \"a\": \"1\"\r\n    }\r\n}\r\n"
        );
        let (edits, _) = plan("{\"dependencies\": {}}", &pins(&[("a", "1")])).unwrap();
        let after = apply("{\"dependencies\": {}}", &edits);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&after).unwrap()["dependencies"]["a"],
            "1"
        );
    }

    #[test]
    fn broken_json_has_a_place() {
        let e = plan(
            "{\n  \"dependencies\": {\n    \"react\" \"1\"\n  }\n}",
            &pins(&[("a", "1")]),
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{}", e.message);
        assert!(plan("[]", &[]).is_err());
        assert!(plan("{\"dependencies\": 3}", &[]).is_err());
    }
}
