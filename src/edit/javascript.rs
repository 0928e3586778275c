//! The React frontend's JavaScript, read with tree-sitter: where `src/index.js` imports its
//! modules (so the tracing module can come first), and the shapes of a tracing module that the
//! doctor checks (`propagateTraceHeaderCorsUrls`, the exporter's `url`, the 1.x API).

use tree_sitter::{Node, Parser, Tree};

use super::python::SyntaxError;
use super::{line_start, Edit, Style};
use crate::manifest::line_column;

/// A parsed JavaScript (JSX) file.
pub struct JsFile {
    pub text: String,
    pub tree: Tree,
}

/// A top-level `import ... from 'source'` (or `import 'source'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub source: String,
    /// 1-based line of the statement.
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// A property `name: value` of an object literal, anywhere in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The value's tree-sitter kind: "string", "template_string", "regex", "array",
    /// "identifier", "call_expression", ...
    pub kind: String,
    /// The value's text.
    pub value: String,
    pub line: usize,
    pub column: usize,
}

impl JsFile {
    /// Parses TEXT. A syntax error is reported with its line and column.
    pub fn parse(text: &str) -> Result<JsFile, SyntaxError> {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_javascript::LANGUAGE.into())
            .expect("the JavaScript grammar matches the tree-sitter version");
        let tree = parser.parse(text, None).ok_or_else(|| SyntaxError {
            line: 1,
            column: 1,
            message: "the file could not be parsed".into(),
        })?;
        let file = JsFile {
            text: text.to_string(),
            tree,
        };
        if let Some(bad) = first_error(file.tree.root_node()) {
            let (line, column) = line_column(text, bad.start_byte());
            let message = if bad.is_missing() {
                format!("`{}` is missing here", bad.kind())
            } else {
                "JavaScript syntax error".to_string()
            };
            return Err(SyntaxError {
                line,
                column,
                message,
            });
        }
        Ok(file)
    }

    fn node_text(&self, n: Node) -> &str {
        &self.text[n.byte_range()]
    }

    fn line_of(&self, offset: usize) -> usize {
        line_column(&self.text, offset).0
    }

    /// The top-level import statements, in order.
    pub fn imports(&self) -> Vec<Import> {
        let root = self.tree.root_node();
        let mut cursor = root.walk();
        root.named_children(&mut cursor)
            .filter(|n| n.kind() == "import_statement")
            .filter_map(|n| {
                let source = n.child_by_field_name("source")?;
                Some(Import {
                    source: string_value(self.node_text(source)),
                    line: self.line_of(n.start_byte()),
                    start: n.start_byte(),
                    end: n.end_byte(),
                })
            })
            .collect()
    }

    /// Every `name: value` property of an object literal with this name, in order.
    pub fn properties(&self, name: &str) -> Vec<Property> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != "pair" {
                return;
            }
            let (Some(key), Some(value)) =
                (n.child_by_field_name("key"), n.child_by_field_name("value"))
            else {
                return;
            };
            let key_text = match key.kind() {
                "string" => string_value(self.node_text(key)),
                _ => self.node_text(key).to_string(),
            };
            if key_text == name {
                let (line, column) = line_column(&self.text, value.start_byte());
                found.push(Property {
                    kind: value.kind().to_string(),
                    value: self.node_text(value).to_string(),
                    line,
                    column,
                });
            }
        });
        found
    }

    /// `new NAME(...)` expressions: their line, column and argument texts.
    pub fn constructions(&self, name: &str) -> Vec<Call> {
        self.calls_of("new_expression", "constructor", name)
    }

    /// Calls `x.NAME(...)` or `NAME(...)`: their line, column and argument texts.
    pub fn method_calls(&self, name: &str) -> Vec<Call> {
        self.calls_of("call_expression", "function", name)
    }

    /// The name a call or `new` is made with: `NAME(...)` or `x.NAME(...)`.
    fn callee<'t>(&'t self, n: Node<'t>, field: &str) -> Option<&'t str> {
        let callee = n.child_by_field_name(field)?;
        match callee.kind() {
            "member_expression" => callee
                .child_by_field_name("property")
                .map(|p| self.node_text(p)),
            "identifier" => Some(self.node_text(callee)),
            _ => None,
        }
    }

    fn calls_of(&self, kind: &str, field: &str, name: &str) -> Vec<Call> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != kind || self.callee(n, field) != Some(name) {
                return;
            }
            let arguments = n
                .child_by_field_name("arguments")
                .map(|a| {
                    let mut c = a.walk();
                    a.named_children(&mut c)
                        .filter(|x| x.kind() != "comment")
                        .map(|x| Argument {
                            kind: x.kind().to_string(),
                            text: self.node_text(x).to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (line, column) = line_column(&self.text, n.start_byte());
            found.push(Call {
                line,
                column,
                arguments,
            });
        });
        found
    }

    fn walk<'t>(&'t self, node: Node<'t>, visit: &mut impl FnMut(Node<'t>)) {
        visit(node);
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.walk(child, visit);
        }
    }

    /// Reads TEXT as far as it is JavaScript: tree-sitter recovers from syntax errors (a
    /// TypeScript annotation, a half-typed line), so what does parse can still be queried. The
    /// first syntax error comes with it.
    pub fn parse_lenient(text: &str) -> (JsFile, Option<SyntaxError>) {
        match JsFile::parse(text) {
            Ok(file) => (file, None),
            Err(e) => {
                let mut parser = Parser::new();
                parser
                    .set_language(&tree_sitter_javascript::LANGUAGE.into())
                    .expect("the JavaScript grammar matches the tree-sitter version");
                let tree = parser.parse(text, None).unwrap_or_else(|| {
                    parser.parse("", None).expect("an empty text always parses")
                });
                (
                    JsFile {
                        text: text.to_string(),
                        tree,
                    },
                    Some(e),
                )
            }
        }
    }

    /// The modules the file loads: its `import ... from 'x'` statements and `require('x')`
    /// calls, with their lines.
    pub fn modules(&self) -> Vec<(String, usize)> {
        let mut found: Vec<(String, usize)> = self
            .imports()
            .into_iter()
            .map(|i| (i.source, i.line))
            .collect();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != "call_expression" {
                return;
            }
            let callee = n.child_by_field_name("function");
            if callee.is_none_or(|c| c.kind() != "identifier" || self.node_text(c) != "require") {
                return;
            }
            let first = n
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0));
            if let Some(arg) = first.filter(|a| a.kind() == "string") {
                found.push((
                    string_value(self.node_text(arg)),
                    self.line_of(n.start_byte()),
                ));
            }
        });
        found
    }

    /// The values given to every property `name` of an object literal, in order: `name: value`,
    /// and the shorthand `{ name }`, which is the variable of that name. Identifiers are
    /// followed to what the file declares them as.
    pub fn property_values(&self, name: &str) -> Vec<Value> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| match n.kind() {
            "pair" => {
                let (Some(key), Some(value)) =
                    (n.child_by_field_name("key"), n.child_by_field_name("value"))
                else {
                    return;
                };
                if self.key_text(key) == name {
                    found.push(self.value(value, 0));
                }
            }
            "shorthand_property_identifier" if self.node_text(n) == name => {
                found.push(self.value(n, 0));
            }
            _ => {}
        });
        found
    }

    /// `new NAME(...)` expressions with their arguments as values (identifiers followed to
    /// what the file declares them as).
    pub fn constructed(&self, name: &str) -> Vec<Construction> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != "new_expression" || self.callee(n, "constructor") != Some(name) {
                return;
            }
            let arguments = n
                .child_by_field_name("arguments")
                .map(|a| {
                    let mut c = a.walk();
                    a.named_children(&mut c)
                        .filter(|x| x.kind() != "comment")
                        .map(|x| self.value(x, 0))
                        .collect()
                })
                .unwrap_or_default();
            let (line, column) = line_column(&self.text, n.start_byte());
            found.push(Construction {
                line,
                column,
                arguments,
            });
        });
        found
    }

    /// Calls `object.NAME(...)`: the object's text, with the call's line and column.
    pub fn member_calls(&self, name: &str) -> Vec<MemberCall> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != "call_expression" {
                return;
            }
            let Some(callee) = n
                .child_by_field_name("function")
                .filter(|c| c.kind() == "member_expression")
            else {
                return;
            };
            let (Some(object), Some(property)) = (
                callee.child_by_field_name("object"),
                callee.child_by_field_name("property"),
            ) else {
                return;
            };
            if self.node_text(property) != name {
                return;
            }
            let (line, column) = line_column(&self.text, n.start_byte());
            found.push(MemberCall {
                object: self.node_text(object).to_string(),
                line,
                column,
            });
        });
        found
    }

    /// Every string literal and template string, with the name it is given to (an object's
    /// key, a variable, the target of an assignment) when it is given to one directly.
    pub fn strings(&self) -> Vec<Literal> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            if n.kind() != "string" && n.kind() != "template_string" {
                return;
            }
            let owner = n.parent().and_then(|p| match p.kind() {
                "pair" => p
                    .child_by_field_name("value")
                    .filter(|v| v.id() == n.id())
                    .and(p.child_by_field_name("key"))
                    .map(|k| self.key_text(k)),
                "variable_declarator" => p
                    .child_by_field_name("name")
                    .map(|k| self.node_text(k).to_string()),
                "assignment_expression" => p
                    .child_by_field_name("left")
                    .map(|k| self.node_text(k).to_string()),
                _ => None,
            });
            let (line, column) = line_column(&self.text, n.start_byte());
            found.push(Literal {
                kind: n.kind().to_string(),
                value: string_value(self.node_text(n)),
                owner,
                line,
                column,
            });
        });
        found
    }

    /// Every `process.env.NAME` (or `process.env['NAME']`) the file reads: the name and line.
    pub fn env_reads(&self) -> Vec<(String, usize)> {
        let mut found = Vec::new();
        self.walk(self.tree.root_node(), &mut |n| {
            let (object, name) = match n.kind() {
                "member_expression" => (
                    n.child_by_field_name("object"),
                    n.child_by_field_name("property")
                        .map(|p| self.node_text(p).to_string()),
                ),
                "subscript_expression" => (
                    n.child_by_field_name("object"),
                    n.child_by_field_name("index")
                        .filter(|i| i.kind() == "string")
                        .map(|i| string_value(self.node_text(i))),
                ),
                _ => return,
            };
            let is_env = object.is_some_and(|o| {
                o.kind() == "member_expression"
                    && self.node_text(o).replace(' ', "") == "process.env"
            });
            if let (true, Some(name)) = (is_env, name) {
                found.push((name, self.line_of(n.start_byte())));
            }
        });
        found
    }

    /// An object key as written: a string key without its quotes.
    fn key_text(&self, key: Node) -> String {
        match key.kind() {
            "string" => string_value(self.node_text(key)),
            _ => self.node_text(key).to_string(),
        }
    }

    /// The first `NAME = value` the file declares (`const`, `let` or `var`), anywhere.
    fn declaration(&self, name: &str) -> Option<Node<'_>> {
        let mut found = None;
        self.walk(self.tree.root_node(), &mut |n| {
            if found.is_some() || n.kind() != "variable_declarator" {
                return;
            }
            let named = n
                .child_by_field_name("name")
                .is_some_and(|k| k.kind() == "identifier" && self.node_text(k) == name);
            if named {
                found = n.child_by_field_name("value");
            }
        });
        found
    }

    /// An expression as a value: identifiers followed to their declaration (a few steps at
    /// most; the value keeps the identifier's place), parentheses removed, arrays, objects, `a ? b : c` and binary expressions
    /// broken into their parts.
    fn value(&self, node: Node, depth: usize) -> Value {
        let node = if node.kind() == "parenthesized_expression" {
            let mut c = node.walk();
            let inner = node.named_children(&mut c).find(|x| x.kind() != "comment");
            match inner {
                Some(inner) => return self.value(inner, depth + 1),
                None => node,
            }
        } else {
            node
        };
        if depth < 8 && matches!(node.kind(), "identifier" | "shorthand_property_identifier") {
            if let Some(declared) = self.declaration(self.node_text(node)) {
                // What it holds, at the place it is used.
                let mut held = self.value(declared, depth + 1);
                (held.line, held.column) = line_column(&self.text, node.start_byte());
                return held;
            }
        }
        let (line, column) = line_column(&self.text, node.start_byte());
        let mut value = Value {
            kind: node.kind().to_string(),
            text: self.node_text(node).to_string(),
            line,
            column,
            parts: Vec::new(),
            fields: Vec::new(),
            operator: None,
        };
        let mut cursor = node.walk();
        match node.kind() {
            "array" => {
                value.parts = node
                    .named_children(&mut cursor)
                    .filter(|x| x.kind() != "comment")
                    .map(|x| self.value(x, depth + 1))
                    .collect();
            }
            "ternary_expression" => {
                value.parts = ["consequence", "alternative"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|x| self.value(x, depth + 1))
                    .collect();
            }
            "binary_expression" => {
                value.operator = node
                    .child_by_field_name("operator")
                    .map(|o| self.node_text(o).to_string());
                value.parts = ["left", "right"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|x| self.value(x, depth + 1))
                    .collect();
            }
            "object" => {
                for entry in node.named_children(&mut cursor) {
                    match entry.kind() {
                        "pair" => {
                            if let (Some(k), Some(v)) = (
                                entry.child_by_field_name("key"),
                                entry.child_by_field_name("value"),
                            ) {
                                value
                                    .fields
                                    .push((self.key_text(k), self.value(v, depth + 1)));
                            }
                        }
                        "shorthand_property_identifier" => value.fields.push((
                            self.node_text(entry).to_string(),
                            self.value(entry, depth + 1),
                        )),
                        "spread_element" => value
                            .fields
                            .push(("...".into(), self.value(entry, depth + 1))),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        value
    }

    /// The edits that make `import './MODULE';` the file's first import: inserted before the
    /// first import (in the file's quote style, with or without semicolons as the file writes
    /// them), or moved there when the file imports it later. None when it already comes first.
    pub fn import_first(&self, module: &str) -> Vec<Edit> {
        let imports = self.imports();
        let is_it = |i: &Import| {
            let s = i.source.trim_end_matches(".js");
            s == format!("./{module}")
        };
        if imports.first().is_some_and(is_it) {
            return vec![];
        }
        let style = Style::of(&self.text, "  ");
        let (quote, semicolon) = match imports.first() {
            Some(first) => {
                let statement = &self.text[first.start..first.end];
                let quote = if statement.trim_end_matches(';').trim_end().ends_with('"') {
                    '"'
                } else {
                    '\''
                };
                (quote, statement.ends_with(';'))
            }
            None => ('\'', true),
        };
        let line = format!(
            "import {quote}./{module}{quote}{}{}",
            if semicolon { ";" } else { "" },
            style.eol
        );
        let mut edits = Vec::new();
        let at = match imports.first() {
            Some(first) => line_start(&self.text, first.start),
            None => self.first_statement_line(),
        };
        edits.push(Edit::insert(at, line));
        // A later import of it moves up: its whole line goes.
        if let Some(later) = imports.iter().find(|i| is_it(i)) {
            let start = line_start(&self.text, later.start);
            let end = super::line_end(&self.text, later.end);
            if self.text[start..later.start].trim().is_empty()
                && self.text[later.end..end].trim().is_empty()
            {
                edits.push(Edit::replace(start..end, ""));
            }
        }
        edits
    }

    /// Where a first import goes in a file without imports: after leading comments and
    /// directives ('use strict').
    fn first_statement_line(&self) -> usize {
        let root = self.tree.root_node();
        let mut cursor = root.walk();
        let first = root.named_children(&mut cursor).find(|n| {
            n.kind() != "comment"
                && !(n.kind() == "expression_statement"
                    && n.named_child(0).is_some_and(|c| c.kind() == "string"))
        });
        first.map_or(self.text.len(), |n| line_start(&self.text, n.start_byte()))
    }
}

/// What an expression is, as far as the file tells (see [`JsFile::property_values`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The tree-sitter kind: "string", "template_string", "regex", "array", "object",
    /// "member_expression", "new_expression", "call_expression", "ternary_expression",
    /// "binary_expression", "identifier" (one the file does not declare), ...
    pub kind: String,
    pub text: String,
    pub line: usize,
    pub column: usize,
    /// An array's elements; the two branches of `a ? b : c`; a binary expression's operands.
    pub parts: Vec<Value>,
    /// An object literal's entries, in order: `key: value`, the shorthand `key`, and
    /// `...spread` under the key "...".
    pub fields: Vec<(String, Value)>,
    /// A binary expression's operator.
    pub operator: Option<String>,
}

impl Value {
    /// An object literal's entry.
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// A `new NAME(...)` with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Construction {
    pub line: usize,
    pub column: usize,
    pub arguments: Vec<Value>,
}

/// A call `object.name(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCall {
    pub object: String,
    pub line: usize,
    pub column: usize,
}

/// A string literal or template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// "string" or "template_string".
    pub kind: String,
    /// Its text without the quotes (escapes and `${...}` kept as written).
    pub value: String,
    /// The object key, variable or assignment target it is given to directly.
    pub owner: Option<String>,
    pub line: usize,
    pub column: usize,
}

/// A call or construction found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub line: usize,
    pub column: usize,
    pub arguments: Vec<Argument>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    /// The tree-sitter kind: "object", "string", "identifier", ...
    pub kind: String,
    pub text: String,
}

/// The first error or missing node, depth first.
fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

/// A string literal's value, quotes removed (escapes are kept as written).
fn string_value(literal: &str) -> String {
    let mut chars = literal.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a @ ('\'' | '"' | '`')), Some(b)) if a == b => chars.as_str().to_string(),
        _ => literal.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    const INDEX: &str = "import React from 'react';\nimport ReactDOM from 'react-dom/client';\nimport App from './App';\n\nconst root = ReactDOM.createRoot(document.getElementById('root'));\nroot.render(\n  <React.StrictMode>\n    <App />\n  </React.StrictMode>\n);";

    #[test]
    fn the_tracing_module_is_imported_first() {
        let f = JsFile::parse(INDEX).unwrap();
        let after = apply(INDEX, &f.import_first("tracing"));
        assert_eq!(after, format!("import './tracing';\n{INDEX}"));
        let again = JsFile::parse(&after).unwrap();
        assert!(again.import_first("tracing").is_empty());
    }

    #[test]
    fn quotes_semicolons_and_line_endings_follow_the_file() {
        let text = "// the app\r\nimport React from \"react\"\r\nimport App from \"./App\"\r\n";
        let f = JsFile::parse(text).unwrap();
        assert_eq!(
            apply(text, &f.import_first("tracing")),
            "// the app\r\nimport \"./tracing\"\r\nimport React from \"react\"\r\nimport App from \"./App\"\r\n"
        );
    }

    #[test]
    fn a_later_import_of_it_moves_first() {
        let text = "import React from 'react';\nimport App from './App';\nimport './tracing.js';\nrender();";
        let f = JsFile::parse(text).unwrap();
        assert_eq!(
            apply(text, &f.import_first("tracing")),
            "import './tracing';\nimport React from 'react';\nimport App from './App';\nrender();"
        );
    }

    #[test]
    fn a_commented_import_is_not_an_import() {
        let text = "// import './tracing';\nimport App from './App';\n";
        let f = JsFile::parse(text).unwrap();
        assert_eq!(f.import_first("tracing").len(), 1);
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let e = JsFile::parse("import React from 'react';\nconst x = ;\n")
            .err()
            .unwrap();
        assert_eq!(e.line, 2, "{}", e.message);
    }

    #[test]
    fn values_follow_variables_and_keep_their_parts() {
        let text = "import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';\nconst backend = process.env.REACT_APP_BACKEND_URL;\nconst propagateTraceHeaderCorsUrls = backend ? [new RegExp(backend), 'https://x'] : [];\n// new FetchInstrumentation({ propagateTraceHeaderCorsUrls: 'https://commented' });\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls });\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls: (backend) });\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls: 'https://' + host });";
        let f = JsFile::parse(text).unwrap();
        let values = f.property_values("propagateTraceHeaderCorsUrls");
        assert_eq!(values.len(), 3);
        // The shorthand is the variable: a ternary of two arrays, at the place it is used.
        assert_eq!(
            (values[0].kind.as_str(), values[0].line),
            ("ternary_expression", 5)
        );
        let first = &values[0].parts[0];
        assert_eq!(first.kind, "array");
        let kinds: Vec<&str> = first.parts.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, ["new_expression", "string"]);
        assert_eq!(first.parts[1].line, 3);
        assert_eq!(values[1].kind, "member_expression");
        assert_eq!(values[1].text, "process.env.REACT_APP_BACKEND_URL");
        assert_eq!(values[1].line, 6);
        assert_eq!(values[2].operator.as_deref(), Some("+"));
        assert_eq!(values[2].parts[0].kind, "string");
    }

    #[test]
    fn constructions_with_their_options() {
        let text = "const options = { url: `${collector}/v1/traces`, ...extra };\nconst a = new OTLPTraceExporter(options);\nconst b = new OTLPTraceExporter({ headers: { 'x-honeycomb-team': key } });\nconst c = new otlp.OTLPTraceExporter();";
        let f = JsFile::parse(text).unwrap();
        let made = f.constructed("OTLPTraceExporter");
        assert_eq!(made.len(), 3);
        let a = &made[0].arguments[0];
        assert_eq!(a.kind, "object");
        assert_eq!(a.field("url").unwrap().kind, "template_string");
        assert!(a.field("...").is_some());
        let b = &made[1].arguments[0];
        assert!(b.field("url").is_none());
        assert_eq!(b.field("headers").unwrap().fields[0].0, "x-honeycomb-team");
        assert!(made[2].arguments.is_empty());
        assert_eq!(made[2].line, 4);
    }

    #[test]
    fn strings_env_reads_member_calls_and_modules() {
        let text = "import { trace } from '@opentelemetry/api';\nconst sdk = require('@opentelemetry/sdk-trace-web');\n// const key = 'commented';\nconst HONEYCOMB_API_KEY = 'abc';\nconst headers = { 'x-honeycomb-team': process.env['REACT_APP_HONEYCOMB_API_KEY'] };\nwindow.title = `Crüddur 🐦 ${process.env.REACT_APP_NAME}`;\nprovider.addSpanProcessor(processor);\n// provider.addSpanProcessor(commented);";
        let f = JsFile::parse(text).unwrap();
        assert_eq!(
            f.modules(),
            [
                ("@opentelemetry/api".to_string(), 1),
                ("@opentelemetry/sdk-trace-web".to_string(), 2)
            ]
        );
        let strings: Vec<(String, Option<String>, usize)> = f
            .strings()
            .into_iter()
            .filter(|s| s.line > 2)
            .map(|s| (s.value, s.owner, s.line))
            .collect();
        assert_eq!(
            strings,
            [
                ("abc".to_string(), Some("HONEYCOMB_API_KEY".to_string()), 4),
                ("x-honeycomb-team".to_string(), None, 5),
                ("REACT_APP_HONEYCOMB_API_KEY".to_string(), None, 5),
                (
                    "Crüddur 🐦 ${process.env.REACT_APP_NAME}".to_string(),
                    Some("window.title".to_string()),
                    6
                ),
            ]
        );
        assert_eq!(
            f.env_reads(),
            [
                ("REACT_APP_HONEYCOMB_API_KEY".to_string(), 5),
                ("REACT_APP_NAME".to_string(), 6)
            ]
        );
        let calls = f.member_calls("addSpanProcessor");
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0].object.as_str(), calls[0].line), ("provider", 7));
    }

    #[test]
    fn a_file_with_a_syntax_error_is_read_as_far_as_it_parses() {
        let text = "import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';\nconst provider: WebTracerProvider = new WebTracerProvider();\nprovider.addSpanProcessor(x);";
        let (f, error) = JsFile::parse_lenient(text);
        assert!(error.is_some());
        assert_eq!(f.modules().len(), 1);
        assert_eq!(f.member_calls("addSpanProcessor").len(), 1);
        let (_, none) = JsFile::parse_lenient(INDEX);
        assert!(none.is_none());
    }

    #[test]
    fn properties_and_calls() {
        let text = "const p = new WebTracerProvider();\np.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()));\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls: 'https://x' });\nnew FetchInstrumentation({ 'propagateTraceHeaderCorsUrls': [/x/] });";
        let f = JsFile::parse(text).unwrap();
        let props = f.properties("propagateTraceHeaderCorsUrls");
        assert_eq!(props.len(), 2);
        assert_eq!((props[0].kind.as_str(), props[0].line), ("string", 3));
        assert_eq!(props[1].kind, "array");
        assert_eq!(f.method_calls("addSpanProcessor")[0].line, 2);
        assert!(f.constructions("OTLPTraceExporter")[0].arguments.is_empty());
    }
}
