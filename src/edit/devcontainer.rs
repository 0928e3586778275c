//! `.devcontainer/devcontainer.json` (JSON with comments), read with jsonc-parser: the app's ports
//! forwarded and made public, with every comment kept.

use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::tokens::Token;
use jsonc_parser::{parse_to_ast, CollectOptions, CommentCollectionStrategy, ParseOptions};

use super::gitpod::{Port, Problem};
use super::{line_start, Edit, Style};
use crate::manifest::line_column;

/// The edits that forward every port in `want` and make the public ones public when the
/// codespace starts (`gh codespace ports visibility`, since devcontainer.json has no setting for
/// it). A `postStartCommand` of the user's is left alone; `public_note` then says what to run.
pub fn plan(
    text: &str,
    want: &[Port],
    public: &[u16],
) -> Result<(Vec<Edit>, Option<String>), Problem> {
    let parsed = parse_to_ast(
        text,
        &CollectOptions {
            comments: CommentCollectionStrategy::Separate,
            tokens: true,
        },
        &ParseOptions::default(),
    )
    .map_err(|e| {
        let (line, column) = line_column(text, e.range().start);
        Problem {
            line,
            column,
            message: e.kind().to_string(),
        }
    })?;
    let Some(Value::Object(root)) = parsed.value else {
        return Err(Problem {
            line: 1,
            column: 1,
            message: "the file is not a JSON object".into(),
        });
    };
    let commas: Vec<usize> = parsed
        .tokens
        .unwrap_or_default()
        .iter()
        .filter(|t| matches!(t.token, Token::Comma))
        .map(|t| t.range.start)
        .collect();
    let style = Style::of(text, "  ");
    let eol = style.eol;
    let prop = |name: &str| root.properties.iter().find(|p| p.name.as_str() == name);
    let visibility = format!(
        "gh codespace ports visibility {} -c \"$CODESPACE_NAME\" || true",
        public
            .iter()
            .map(|p| format!("{p}:public"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    let mut edits = Vec::new();
    let mut new_props: Vec<String> = Vec::new();
    match prop("forwardPorts").map(|p| &p.value) {
        Some(Value::Array(a)) => {
            let have: Vec<String> = a
                .elements
                .iter()
                .map(|e| {
                    text[e.range().start..e.range().end]
                        .trim_matches('"')
                        .to_string()
                })
                .collect();
            let missing: Vec<String> = want
                .iter()
                .map(|p| p.port.to_string())
                .filter(|p| !have.contains(p))
                .collect();
            if !missing.is_empty() {
                match a.elements.last() {
                    Some(last) => edits.push(Edit::insert(
                        last.range().end,
                        format!(", {}", missing.join(", ")),
                    )),
                    None => edits.push(Edit::insert(a.range.start + 1, missing.join(", "))),
                }
            }
        }
        Some(other) => {
            let (line, column) = line_column(text, other.range().start);
            return Err(Problem {
                line,
                column,
                message: "`forwardPorts` is not a list; add the ports yourself".into(),
            });
        }
        None => new_props.push(format!(
            "\"forwardPorts\": [{}]",
            want.iter()
                .map(|p| p.port.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    let note = match prop("postStartCommand") {
        Some(p)
            if text[p.value.range().start..p.value.range().end].contains("ports visibility") =>
        {
            None
        }
        Some(_) => Some(format!(
            "your postStartCommand is kept: to make the ports public, add `{visibility}` to it"
        )),
        None => {
            new_props.push(format!(
                "\"postStartCommand\": {}",
                serde_json::to_string(&visibility).expect("a string serializes")
            ));
            None
        }
    };
    if !new_props.is_empty() {
        edits.push(add_properties(
            text,
            &root.properties,
            root.range.start,
            &commas,
            &new_props,
            eol,
        ));
    }
    Ok((edits, note))
}

/// Adds properties after the last one of the object at `object_start`, in its indentation.
fn add_properties(
    text: &str,
    props: &[ObjectProp],
    object_start: usize,
    commas: &[usize],
    new: &[String],
    eol: &str,
) -> Edit {
    let Some(last) = props.last() else {
        let lines: String = new
            .iter()
            .map(|p| format!("{eol}  {p}"))
            .collect::<Vec<_>>()
            .join(",");
        return Edit::insert(object_start + 1, format!("{lines}{eol}"));
    };
    let end = last.range().end;
    let start = last.range().start;
    let indent: String = text[line_start(text, start)..start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    // A trailing comma after the last property stays last.
    let next_token = commas.iter().find(|c| **c >= end).copied();
    let closing = text[end..].find('}').map(|i| end + i);
    match (next_token, closing) {
        (Some(c), Some(close)) if c < close => {
            let lines: String = new.iter().map(|p| format!("{eol}{indent}{p},")).collect();
            Edit::insert(c + 1, lines)
        }
        _ => {
            let lines: String = new.iter().map(|p| format!(",{eol}{indent}{p}")).collect();
            Edit::insert(end, lines)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;
    use crate::edit::gitpod::ports;

    #[test]
    fn ports_are_added_and_comments_kept() {
        let text = "// Cruddur\n{\n  \"name\": \"cruddur\", // the name\n  /* the image */\n  \"image\": \"python:3.10\"\n}";
        let (edits, note) = plan(text, &ports(true, false), &[3000, 4567]).unwrap();
        assert!(note.is_none());
        let out = apply(text, &edits);
        assert_eq!(out, "// Cruddur\n{\n  \"name\": \"cruddur\", // the name\n  /* the image */\n  \"image\": \"python:3.10\",\n  \"forwardPorts\": [3000, 4567, 2000],\n  \"postStartCommand\": \"gh codespace ports visibility 3000:public 4567:public -c \\\"$CODESPACE_NAME\\\" || true\"\n}");
        assert!(plan(&out, &ports(true, false), &[3000, 4567])
            .unwrap()
            .0
            .is_empty());
    }

    #[test]
    fn existing_ports_are_merged_and_their_command_kept() {
        let text = "{\n  \"forwardPorts\": [3000],\n  \"postStartCommand\": \"npm i\",\n}";
        let (edits, note) = plan(text, &ports(false, false), &[3000, 4567]).unwrap();
        assert_eq!(
            apply(text, &edits),
            "{\n  \"forwardPorts\": [3000, 4567],\n  \"postStartCommand\": \"npm i\",\n}"
        );
        assert!(note
            .unwrap()
            .contains("gh codespace ports visibility 3000:public 4567:public"));
        let e = plan("{\n  \"a\": [1,\n}", &ports(false, false), &[]).unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
    }
}
