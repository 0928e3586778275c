//! `.gitpod.yml`, read with tree-sitter-yaml: the app's ports made public, in the file's own
//! layout, with its tasks, comments and order kept.

use tree_sitter::{Node, Parser};

use super::{column_of, lines_after, Edit, Style};
use crate::manifest::line_column;

/// A port the workspace needs public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub port: u16,
    pub name: &'static str,
    /// Open the browser on it (the frontend).
    pub open_browser: bool,
}

/// The ports a Cruddur workspace serves on: frontend, backend, X-Ray daemon, collector.
pub fn ports(xray: bool, collector: bool) -> Vec<Port> {
    let mut out = vec![
        Port {
            port: 3000,
            name: "frontend",
            open_browser: true,
        },
        Port {
            port: 4567,
            name: "backend",
            open_browser: false,
        },
    ];
    if xray {
        out.push(Port {
            port: 2000,
            name: "xray-daemon",
            open_browser: false,
        });
    }
    if collector {
        out.push(Port {
            port: 4318,
            name: "otel-collector",
            open_browser: false,
        });
    }
    out
}

/// What could not be done, with the line it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

struct Yaml<'a> {
    text: &'a str,
}

impl<'a> Yaml<'a> {
    fn t(&self, n: Node) -> &'a str {
        &self.text[n.byte_range()]
    }

    /// The block mapping a node holds, looking through `block_node`, `document` and `stream`.
    fn mapping<'t>(&self, n: Node<'t>) -> Option<Node<'t>> {
        let mut n = n;
        loop {
            match n.kind() {
                "block_mapping" => return Some(n),
                "stream" | "document" | "block_node" => {
                    n = n
                        .named_children(&mut n.walk())
                        .find(|c| c.kind() != "comment")?;
                }
                _ => return None,
            }
        }
    }

    /// The scalar text of a key or value, without quotes.
    fn scalar(&self, n: Node) -> String {
        self.t(n).trim().trim_matches(['"', '\'']).to_string()
    }

    fn pairs<'t>(&self, mapping: Node<'t>) -> Vec<(String, Node<'t>)> {
        mapping
            .named_children(&mut mapping.walk())
            .filter(|p| p.kind() == "block_mapping_pair")
            .filter_map(|p| {
                let key = p.child_by_field_name("key")?;
                Some((self.scalar(key), p))
            })
            .collect()
    }
}

/// The edits that make every port in `want` public in `text`.
pub fn plan(text: &str, want: &[Port]) -> Result<Vec<Edit>, Problem> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_yaml::LANGUAGE.into())
        .expect("the YAML grammar matches the tree-sitter version");
    let tree = parser.parse(text, None).ok_or(Problem {
        line: 1,
        column: 1,
        message: "could not be parsed".into(),
    })?;
    let root = tree.root_node();
    if let Err(e) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        return Err(Problem {
            line,
            column,
            message: format!("this is not valid YAML: {e}"),
        });
    }
    if root.has_error() {
        let bad = first_error(root).unwrap_or(root);
        let (line, column) = line_column(text, bad.start_byte());
        return Err(Problem {
            line,
            column,
            message: "this is not valid YAML".into(),
        });
    }
    let y = Yaml { text };
    let style = Style::of(text, "  ");
    let eol = style.eol;
    let unit = if style.indent.starts_with('\t') {
        "  ".to_string()
    } else {
        style.indent.clone()
    };
    let top = y.mapping(root);
    let pairs = top.map(|m| y.pairs(m)).unwrap_or_default();

    let Some((_, ports_pair)) = pairs.iter().find(|(k, _)| k == "ports") else {
        if top.is_none()
            && !text.trim().is_empty()
            && text
                .lines()
                .any(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        {
            return Err(Problem {
                line: 1,
                column: 1,
                message: "the file is not a YAML mapping".into(),
            });
        }
        // How this file indents a list under a key: `tasks:\n  - init:` or `tasks:\n- init:`.
        let dash = pairs
            .iter()
            .find_map(|(_, p)| {
                let v = p.child_by_field_name("value")?;
                let seq = v.named_child(0).filter(|s| s.kind() == "block_sequence")?;
                Some(column_of(text, seq.start_byte()) - column_of(text, p.start_byte()))
            })
            .unwrap_or(unit.len());
        let dash = " ".repeat(dash);
        let mut lines = vec!["ports:".to_string()];
        for p in want {
            lines.extend(item_lines(p, &format!("{dash}- "), &format!("{dash}  ")));
        }
        let at = text.len().saturating_sub(1);
        if text.is_empty() {
            return Ok(vec![Edit::insert(
                0,
                lines
                    .iter()
                    .map(|l| format!("{l}{eol}"))
                    .collect::<String>(),
            )]);
        }
        return Ok(vec![lines_after(text, at, &lines, eol)]);
    };

    let value = ports_pair.child_by_field_name("value");
    let seq = value
        .and_then(|v| v.named_child(0))
        .filter(|s| s.kind() == "block_sequence");
    let Some(seq) = seq else {
        let at = value.map_or(ports_pair.start_byte(), |v| v.start_byte());
        let (line, column) = line_column(text, at);
        return Err(Problem {
            line,
            column,
            message: "`ports` is not a list of `- port: N` entries; add the ports yourself".into(),
        });
    };
    let items: Vec<Node> = seq
        .named_children(&mut seq.walk())
        .filter(|i| i.kind() == "block_sequence_item")
        .collect();
    let mut edits = Vec::new();
    let mut present = Vec::new();
    for item in &items {
        let Some(m) = item.named_child(0).and_then(|n| y.mapping(n)) else {
            continue;
        };
        let pairs = y.pairs(m);
        let Some((_, port_pair)) = pairs.iter().find(|(k, _)| k == "port") else {
            continue;
        };
        let port_text = port_pair
            .child_by_field_name("value")
            .map(|v| y.scalar(v))
            .unwrap_or_default();
        let covers = |p: u16| match port_text.split_once('-') {
            Some((a, b)) => {
                a.trim().parse::<u16>().is_ok_and(|a| a <= p)
                    && b.trim().parse::<u16>().is_ok_and(|b| p <= b)
            }
            None => port_text.parse::<u16>() == Ok(p),
        };
        let wanted: Vec<&Port> = want.iter().filter(|p| covers(p.port)).collect();
        if wanted.is_empty() {
            continue;
        }
        present.extend(wanted.iter().map(|p| p.port));
        match pairs.iter().find(|(k, _)| k == "visibility") {
            Some((_, vis)) => {
                if let Some(v) = vis.child_by_field_name("value") {
                    if y.scalar(v) != "public" {
                        edits.push(Edit::replace(v.byte_range(), "public"));
                    }
                }
            }
            None => {
                let indent = " ".repeat(column_of(text, port_pair.start_byte()));
                edits.push(lines_after(
                    text,
                    port_pair
                        .end_byte()
                        .saturating_sub(1)
                        .max(port_pair.start_byte()),
                    &[format!("{indent}visibility: public")],
                    eol,
                ));
            }
        }
    }
    let missing: Vec<&Port> = want.iter().filter(|p| !present.contains(&p.port)).collect();
    if let (false, Some(last)) = (missing.is_empty(), items.last()) {
        let dash = " ".repeat(column_of(text, last.start_byte()));
        let key = last
            .named_child(0)
            .and_then(|n| y.mapping(n))
            .map(|m| " ".repeat(column_of(text, m.start_byte())))
            .unwrap_or_else(|| format!("{dash}  "));
        let first = format!(
            "{dash}-{}",
            " ".repeat(key.len().saturating_sub(dash.len() + 1).max(1))
        );
        let lines: Vec<String> = missing
            .iter()
            .flat_map(|p| item_lines(p, &first, &key))
            .collect();
        edits.push(lines_after(text, content_end(*last) - 1, &lines, eol));
    }
    Ok(edits)
}

fn item_lines(p: &Port, first: &str, rest: &str) -> Vec<String> {
    let mut lines = vec![
        format!("{first}name: {}", p.name),
        format!("{rest}port: {}", p.port),
    ];
    if p.open_browser {
        lines.push(format!("{rest}onOpen: open-browser"));
    }
    lines.push(format!("{rest}visibility: public"));
    lines
}

/// Where a node's content ends: comments after it (which tree-sitter may count in) stay after
/// what is added.
fn content_end(n: Node) -> usize {
    let last = n
        .named_children(&mut n.walk())
        .filter(|c| c.kind() != "comment")
        .last();
    match last {
        Some(c) => content_end(c),
        None => n.end_byte(),
    }
}

fn first_error(n: Node) -> Option<Node> {
    if n.is_error() || n.is_missing() {
        return Some(n);
    }
    n.children(&mut n.walk()).find_map(|c| {
        if c.has_error() || c.is_error() || c.is_missing() {
            first_error(c)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    #[test]
    fn a_ports_section_is_added_in_the_files_layout() {
        let text = "# tasks\ntasks:\n  - name: aws-cli\n    init: |\n      cd /workspace\nvscode:\n  extensions:\n    - 42Crunch.vscode-openapi";
        let edits = plan(text, &ports(true, false)).unwrap();
        let out = apply(text, &edits);
        assert_eq!(out, format!("{text}\nports:\n  - name: frontend\n    port: 3000\n    onOpen: open-browser\n    visibility: public\n  - name: backend\n    port: 4567\n    visibility: public\n  - name: xray-daemon\n    port: 2000\n    visibility: public"));
        assert!(plan(&out, &ports(true, false)).unwrap().is_empty());
    }

    #[test]
    fn existing_ports_are_merged_and_made_public() {
        let text = "ports:\n- port: 3000\n  visibility: private # was private\n- port: 4567\n# the end\ntasks:\n- init: npm i\n";
        let edits = plan(text, &ports(false, true)).unwrap();
        let out = apply(text, &edits);
        assert_eq!(out, "ports:\n- port: 3000\n  visibility: public # was private\n- port: 4567\n  visibility: public\n- name: otel-collector\n  port: 4318\n  visibility: public\n# the end\ntasks:\n- init: npm i\n");
        assert!(plan(&out, &ports(false, true)).unwrap().is_empty());
    }

    #[test]
    fn a_range_counts_and_bad_yaml_is_located() {
        let text = "ports:\n  - port: 3000-5000\n    visibility: public\n";
        assert!(plan(text, &ports(false, false)).unwrap().is_empty());
        let e = plan("tasks:\n  - init: [\n", &ports(false, false)).unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }
}
