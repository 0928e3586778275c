//! Python files read with tree-sitter-python: only live code counts (a call inside a comment or a
//! string is no call), and every edit is a range of the parsed text.

use std::collections::BTreeSet;

use tree_sitter::{Node, Parser, Tree};

use super::{column_of, line_end, line_start, lines_after, Edit, Style};
use crate::manifest::line_column;

/// A parsed Python file.
#[derive(Debug)]
pub struct PythonFile {
    pub text: String,
    tree: Tree,
    pub style: Style,
}

/// Where a file does not parse: 1-based line and column (in characters), and what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The parts of the observability setup, as init wires them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Honeycomb,
    Xray,
    Cloudwatch,
    Rollbar,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::Honeycomb, Part::Xray, Part::Cloudwatch, Part::Rollbar];

    pub fn name(self) -> &'static str {
        match self {
            Part::Honeycomb => "honeycomb",
            Part::Xray => "xray",
            Part::Cloudwatch => "cloudwatch",
            Part::Rollbar => "rollbar",
        }
    }

    /// The calls that wire the part by hand. A name with a dot must match the callee's end
    /// exactly (`xray_recorder.configure`); one without matches its last segment.
    fn wiring_calls(self) -> &'static [&'static str] {
        match self {
            Part::Honeycomb => &[
                "TracerProvider",
                "BatchSpanProcessor",
                "SimpleSpanProcessor",
                "OTLPSpanExporter",
                "ConsoleSpanExporter",
                "add_span_processor",
                "set_tracer_provider",
                "FlaskInstrumentor",
                "RequestsInstrumentor",
            ],
            Part::Xray => &["xray_recorder.configure", "XRayMiddleware"],
            Part::Cloudwatch => &["CloudWatchLogHandler"],
            Part::Rollbar => &["rollbar.init"],
        }
    }

    /// The packages whose imports belong to the part (removed with it when nothing else uses them).
    fn packages(self) -> &'static [&'static str] {
        match self {
            Part::Honeycomb => &["opentelemetry"],
            Part::Xray => &["aws_xray_sdk"],
            Part::Cloudwatch => &["watchtower"],
            Part::Rollbar => &["rollbar"],
        }
    }
}

/// A part wired by hand: the statements that do it, as a 1-based line range for people and as
/// byte ranges of whole statements for `--take-over`.
#[derive(Debug, Clone)]
pub struct HandWiring {
    pub part: Part,
    pub first_line: usize,
    pub last_line: usize,
    statements: Vec<std::ops::Range<usize>>,
}

/// Where the Flask app is created.
#[derive(Debug, Clone)]
pub struct AppCreation {
    /// The variable holding it (`app`).
    pub name: String,
    /// 1-based line of the `app = Flask(...)` statement.
    pub line: usize,
    /// The factory function it is made in, when not at module level.
    pub factory: Option<String>,
    statement: std::ops::Range<usize>,
    /// The block holding the statement (the module, or the factory's body).
    scope: std::ops::Range<usize>,
}

/// Something an edit could not do, said to the user in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

const TRACE_HEADERS: [&str; 2] = ["traceparent", "tracestate"];

fn language() -> tree_sitter::Language {
    tree_sitter_python::LANGUAGE.into()
}

impl PythonFile {
    pub fn parse(text: &str) -> Result<PythonFile, SyntaxError> {
        let mut parser = Parser::new();
        parser
            .set_language(&language())
            .expect("the Python grammar matches the tree-sitter version");
        let tree = parser.parse(text, None).ok_or_else(|| SyntaxError {
            line: 1,
            column: 1,
            message: "the file could not be parsed".into(),
        })?;
        let file = PythonFile {
            text: text.to_string(),
            tree,
            style: Style::of(text, "    "),
        };
        if let Some((line, column, message)) = file.unexpected_indent() {
            return Err(SyntaxError {
                line,
                column,
                message,
            });
        }
        if let Some(bad) = file.first_error() {
            let (mut line, mut column) = line_column(text, bad.start_byte());
            let what = if bad.kind() == "block" {
                let header = bad.parent().map_or(line, |h| file.line_of(h.start_byte()));
                (line, column) = (header + 1, 1);
                format!("IndentationError: expected an indented block after line {header}")
            } else if bad.is_missing() {
                format!("`{}` is missing here", bad.kind())
            } else {
                let snippet: String = file.node_text(bad).chars().take(40).collect();
                let snippet = snippet.lines().next().unwrap_or("").trim().to_string();
                if snippet.is_empty() {
                    "this is not valid Python".to_string()
                } else {
                    format!("this is not valid Python: `{snippet}`")
                }
            };
            return Err(SyntaxError {
                line,
                column,
                message: what,
            });
        }
        Ok(file)
    }

    /// A statement that starts its line at another column than the statements before it in
    /// the same block (tree-sitter accepts it; Python raises IndentationError): line, column and
    /// Python's message.
    fn unexpected_indent(&self) -> Option<(usize, usize, String)> {
        let mut blocks = vec![self.root()];
        blocks.extend(self.all("block"));
        let mut found: Option<(usize, usize, String)> = None;
        for block in blocks {
            let mut expected: Option<usize> = (block.kind() == "module").then_some(0);
            for stmt in block.named_children(&mut block.walk()) {
                if stmt.kind() == "comment" || stmt.is_error() {
                    continue;
                }
                let start = stmt.start_byte();
                let first_on_line = self.text[line_start(&self.text, start)..start]
                    .chars()
                    .all(|c| c == ' ' || c == '\t');
                if !first_on_line {
                    continue;
                }
                let column = column_of(&self.text, start);
                match expected {
                    None => expected = Some(column),
                    Some(e) if e == column => {}
                    Some(e) => {
                        let line = self.line_of(start);
                        let message = if column > e {
                            "IndentationError: unexpected indent".to_string()
                        } else {
                            "IndentationError: unindent does not match any outer indentation level"
                                .to_string()
                        };
                        if found.as_ref().is_none_or(|(l, _, _)| line < *l) {
                            found = Some((line, column + 1, message));
                        }
                        break;
                    }
                }
            }
        }
        found
    }

    fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    fn node_text(&self, n: Node) -> &str {
        &self.text[n.byte_range()]
    }

    fn line_of(&self, offset: usize) -> usize {
        line_column(&self.text, offset).0
    }

    fn first_error(&self) -> Option<Node<'_>> {
        if !self.root().has_error() {
            // tree-sitter accepts a block that is not indented (`if x:` then `print()` at the same
            // column), which Python refuses with IndentationError.
            return self.all("block").into_iter().find(|b| {
                let Some(header) = b.parent() else {
                    return false;
                };
                if b.named_children(&mut b.walk())
                    .all(|c| c.kind() == "comment")
                {
                    return true;
                }
                b.start_position().row > header.start_position().row
                    && column_of(&self.text, b.start_byte())
                        <= column_of(
                            &self.text,
                            line_start(&self.text, header.start_byte())
                                + indentation(&self.text, header.start_byte()),
                        )
            });
        }
        let mut stack = vec![self.root()];
        while let Some(n) = stack.pop() {
            if n.is_error() || n.is_missing() {
                return Some(n);
            }
            if n.has_error() {
                let mut kids: Vec<Node> = n.children(&mut n.walk()).collect();
                kids.reverse();
                stack.extend(kids);
            }
        }
        None
    }

    /// Every node of a kind, in source order.
    fn all(&self, kind: &str) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut stack = vec![self.root()];
        while let Some(n) = stack.pop() {
            if n.kind() == kind {
                out.push(n);
            }
            let mut kids: Vec<Node> = n.named_children(&mut n.walk()).collect();
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// The callee of a call as written, without spaces: `xray_recorder.configure`,
    /// `FlaskInstrumentor().instrument_app`.
    fn callee(&self, call: Node) -> String {
        call.child_by_field_name("function")
            .map(|f| self.node_text(f).split_whitespace().collect())
            .unwrap_or_default()
    }

    /// Live calls whose callee matches one of `names` (see `Part::wiring_calls`).
    fn calls_to(&self, names: &[&str]) -> Vec<Node<'_>> {
        self.all("call")
            .into_iter()
            .filter(|c| {
                let callee = self.callee(*c);
                let last = callee.rsplit('.').next().unwrap_or("");
                names.iter().any(|n| {
                    if n.contains('.') {
                        callee == *n || callee.ends_with(&format!(".{n}"))
                    } else {
                        last == *n
                    }
                })
            })
            .collect()
    }

    /// The statement holding `node` whose parent is the block `scope` (or the module).
    fn statement_in<'a>(&self, node: Node<'a>, scope: &std::ops::Range<usize>) -> Node<'a> {
        let mut n = node;
        while let Some(p) = n.parent() {
            if (p.kind() == "block" || p.kind() == "module") && p.byte_range() == *scope {
                return n;
            }
            if p.kind() == "module" {
                return n;
            }
            n = p;
        }
        n
    }

    /// Where the Flask app is created: `NAME = Flask(...)` at module level, or in a factory
    /// function (`def create_app():`).
    pub fn app_creation(&self) -> Option<AppCreation> {
        for call in self.calls_to(&["Flask"]) {
            let Some(assign) = call.parent().filter(|p| p.kind() == "assignment") else {
                continue;
            };
            if assign.child_by_field_name("right") != Some(call) {
                continue;
            }
            let Some(left) = assign
                .child_by_field_name("left")
                .filter(|l| l.kind() == "identifier")
            else {
                continue;
            };
            let Some(statement) = assign
                .parent()
                .filter(|p| p.kind() == "expression_statement")
            else {
                continue;
            };
            let Some(scope) = statement.parent() else {
                continue;
            };
            let factory = match scope.kind() {
                "module" => None,
                "block" => match scope.parent() {
                    Some(f) if f.kind() == "function_definition" => f
                        .child_by_field_name("name")
                        .map(|n| self.node_text(n).to_string()),
                    _ => continue,
                },
                _ => continue,
            };
            return Some(AppCreation {
                name: self.node_text(left).to_string(),
                line: self.line_of(statement.start_byte()),
                factory,
                statement: statement.byte_range(),
                scope: scope.byte_range(),
            });
        }
        None
    }

    /// The parts this file wires by hand, in live code.
    pub fn hand_wiring(&self, app: &AppCreation) -> Vec<HandWiring> {
        let mut out = Vec::new();
        for part in Part::ALL {
            let calls = self.calls_to(part.wiring_calls());
            if calls.is_empty() {
                continue;
            }
            let mut statements: Vec<std::ops::Range<usize>> = calls
                .iter()
                .map(|c| self.statement_in(*c, &app.scope).byte_range())
                .collect();
            statements.sort_by_key(|r| r.start);
            statements.dedup();
            // Statements that only use what a removed statement made (`provider.add_span_processor
            // (processor)`, `LOGGER.addHandler(cw_handler)`) go with it.
            let scope_statements = self.statements_of(&app.scope);
            loop {
                let bound = self.bound_names(&statements);
                let more: Vec<std::ops::Range<usize>> = scope_statements
                    .iter()
                    .filter(|s| {
                        s.kind() == "expression_statement" && !statements.contains(&s.byte_range())
                    })
                    .filter(|s| {
                        self.identifiers(**s)
                            .iter()
                            .any(|i| bound.contains(i.as_str()))
                    })
                    .map(|s| s.byte_range())
                    .collect();
                if more.is_empty() {
                    break;
                }
                statements.extend(more);
                statements.sort_by_key(|r| r.start);
                statements.dedup();
            }
            let first_line = self.line_of(statements[0].start);
            let last_line = self.line_of(statements.iter().map(|r| r.end).max().unwrap_or(0));
            out.push(HandWiring {
                part,
                first_line,
                last_line,
                statements,
            });
        }
        out
    }

    fn statements_of(&self, scope: &std::ops::Range<usize>) -> Vec<Node<'_>> {
        let mut found = None;
        let mut stack = vec![self.root()];
        while let Some(n) = stack.pop() {
            if n.byte_range() == *scope && (n.kind() == "module" || n.kind() == "block") {
                found = Some(n);
                break;
            }
            stack.extend(n.named_children(&mut n.walk()));
        }
        found
            .map(|s| {
                s.named_children(&mut s.walk())
                    .filter(|c| c.kind() != "comment")
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Names assigned by the statements at `ranges` (`provider = TracerProvider()` binds `provider`).
    fn bound_names(&self, ranges: &[std::ops::Range<usize>]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for a in self.all("assignment") {
            if !ranges.iter().any(|r| r.contains(&a.start_byte())) {
                continue;
            }
            if let Some(l) = a.child_by_field_name("left") {
                if l.kind() == "identifier" {
                    out.insert(self.node_text(l).to_string());
                }
            }
        }
        out
    }

    fn identifiers(&self, node: Node) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier" {
                out.push(self.node_text(n).to_string());
            }
            stack.extend(n.named_children(&mut n.walk()));
        }
        out
    }

    /// Removes the statements of parts wired by hand, and the imports of their packages that
    /// nothing else uses, so that the telemetry module wires them instead (`--take-over`).
    pub fn take_over(&self, wiring: &[HandWiring]) -> Vec<Edit> {
        let mut removed: Vec<std::ops::Range<usize>> = wiring
            .iter()
            .flat_map(|w| w.statements.iter().cloned())
            .collect();
        let packages: Vec<&str> = wiring
            .iter()
            .flat_map(|w| w.part.packages())
            .copied()
            .collect();
        // Names still used by the code that stays.
        let mut used = BTreeSet::new();
        for id in self.all("identifier") {
            let inside_removed = removed.iter().any(|r| r.contains(&id.start_byte()));
            let in_import = ancestors(id).any(|a| a.kind().starts_with("import"));
            if !inside_removed && !in_import {
                used.insert(self.node_text(id).to_string());
            }
        }
        for import in self.root().named_children(&mut self.root().walk()) {
            let (module, names) = match self.imported(import) {
                Some(x) => x,
                None => continue,
            };
            let ours = packages
                .iter()
                .any(|p| module == *p || module.starts_with(&format!("{p}.")));
            if ours && names.iter().all(|n| !used.contains(n)) {
                removed.push(import.byte_range());
            }
        }
        removed
            .iter()
            .map(|r| Edit::replace(self.whole_lines(r.clone()), ""))
            .collect()
    }

    /// The module an import statement imports from, and the names it binds.
    fn imported(&self, import: Node) -> Option<(String, Vec<String>)> {
        match import.kind() {
            "import_statement" => {
                let mut names = Vec::new();
                let mut module = String::new();
                for n in import.named_children(&mut import.walk()) {
                    let (dotted, bound) = match n.kind() {
                        "aliased_import" => (
                            n.child_by_field_name("name")?,
                            self.node_text(n.child_by_field_name("alias")?).to_string(),
                        ),
                        "dotted_name" => {
                            let t = self.node_text(n);
                            (n, t.split('.').next().unwrap_or(t).to_string())
                        }
                        _ => continue,
                    };
                    module = self.node_text(dotted).to_string();
                    names.push(bound);
                }
                Some((module, names))
            }
            "import_from_statement" => {
                let module = self.node_text(import.child_by_field_name("module_name")?);
                let mut names = Vec::new();
                let mut cursor = import.walk();
                for n in import.children_by_field_name("name", &mut cursor) {
                    let bound = match n.kind() {
                        "aliased_import" => n.child_by_field_name("alias")?,
                        _ => n,
                    };
                    names.push(self.node_text(bound).to_string());
                }
                Some((module.to_string(), names))
            }
            _ => None,
        }
    }

    /// The whole lines a statement takes, with their line ending.
    fn whole_lines(&self, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
        line_start(&self.text, r.start)..line_end(&self.text, r.end)
    }

    /// `import telemetry` with the other imports and `telemetry.init_app(app)` right after the
    /// app is created; nothing for what is already there.
    pub fn add_telemetry(&self, app: &AppCreation) -> Vec<Edit> {
        let mut edits = Vec::new();
        let eol = self.style.eol;
        let has_import = self
            .root()
            .named_children(&mut self.root().walk())
            .filter_map(|i| self.imported(i))
            .any(|(module, _)| module == "telemetry");
        if !has_import {
            edits.push(self.import_edit("import telemetry", true));
        }
        let init = format!("telemetry.init_app({})", app.name);
        if self.calls_to(&["telemetry.init_app"]).is_empty() {
            let statement_start = app.statement.start;
            let indent = &self.text[line_start(&self.text, statement_start)..statement_start];
            edits.push(lines_after(
                &self.text,
                app.statement.end,
                &[format!(
                    "{indent}{init}  # cruddur-obs: traces, segments, logs and errors (telemetry/)"
                )],
                eol,
            ));
        }
        edits
    }

    /// An edit adding `line` as a module-level import: before the first import of the app's own
    /// `services` (so that telemetry comes first) when `before_services`, else after the last
    /// module-level import, else at the top after the docstring and comments.
    fn import_edit(&self, line: &str, before_services: bool) -> Edit {
        let eol = self.style.eol;
        let imports: Vec<Node> = self
            .root()
            .named_children(&mut self.root().walk())
            .filter(|n| {
                matches!(
                    n.kind(),
                    "import_statement" | "import_from_statement" | "future_import_statement"
                )
            })
            .collect();
        if before_services {
            if let Some(first) = imports.iter().find(|i| {
                self.imported(**i)
                    .is_some_and(|(m, _)| m == "services" || m.starts_with("services."))
            }) {
                return Edit::insert(
                    line_start(&self.text, first.start_byte()),
                    format!("{line}{eol}"),
                );
            }
        }
        if let Some(last) = imports.last() {
            return lines_after(&self.text, last.end_byte(), &[line.to_string()], eol);
        }
        let first_code = self
            .root()
            .named_children(&mut self.root().walk())
            .find(|n| {
                n.kind() != "comment"
                    && !(n.kind() == "expression_statement"
                        && n.named_child(0).is_some_and(|s| s.kind() == "string"))
            });
        match first_code {
            Some(n) => Edit::insert(
                line_start(&self.text, n.start_byte()),
                format!("{line}{eol}"),
            ),
            None => lines_after(&self.text, self.text.len(), &[line.to_string()], eol),
        }
    }

    /// Adds `traceparent` and `tracestate` to every `allow_headers=` of a live `CORS(...)` or
    /// `@cross_origin(...)`, keeping its form: a comma-separated string or a list.
    pub fn allow_trace_headers(&self) -> (Vec<Edit>, Vec<Skipped>) {
        let mut edits = Vec::new();
        let mut skipped = Vec::new();
        for call in self.calls_to(&["CORS", "cross_origin"]) {
            let Some(args) = call.child_by_field_name("arguments") else {
                continue;
            };
            for kw in args.named_children(&mut args.walk()) {
                if kw.kind() != "keyword_argument"
                    || kw
                        .child_by_field_name("name")
                        .is_none_or(|n| self.node_text(n) != "allow_headers")
                {
                    continue;
                }
                let Some(value) = kw.child_by_field_name("value") else {
                    continue;
                };
                match self.header_edit(value) {
                    Ok(Some(e)) => edits.push(e),
                    Ok(None) => {}
                    Err(reason) => skipped.push(Skipped {
                        line: self.line_of(value.start_byte()),
                        reason,
                    }),
                }
            }
        }
        (edits, skipped)
    }

    fn header_edit(&self, value: Node) -> Result<Option<Edit>, String> {
        match value.kind() {
            "string" => {
                let Some((content, _)) = self.plain_string(value) else {
                    return Err(
                        "allow_headers is a formatted string: add traceparent and tracestate to it yourself"
                            .into(),
                    );
                };
                if content.trim() == "*" {
                    return Ok(None);
                }
                // flask-cors matches a string as ONE header name (or pattern): a comma-separated
                // string matches no header at all. The headers become a list, in the file's quotes.
                let mut headers: Vec<String> = content
                    .split(',')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect();
                let have: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
                for h in TRACE_HEADERS {
                    if !have.iter().any(|x| x == h) {
                        headers.push(h.to_string());
                    }
                }
                let quote = value
                    .child(0)
                    .map_or("\"".to_string(), |q| self.node_text(q).to_string());
                let list: Vec<String> = headers
                    .iter()
                    .map(|h| format!("{quote}{h}{quote}"))
                    .collect();
                Ok(Some(Edit::replace(
                    value.start_byte()..value.end_byte(),
                    format!("[{}]", list.join(", ")),
                )))
            }
            "list" => {
                let elements: Vec<Node> = value
                    .named_children(&mut value.walk())
                    .filter(|n| n.kind() != "comment")
                    .collect();
                let mut have = Vec::new();
                let mut quote = "\"".to_string();
                for e in &elements {
                    let Some((content, _)) = (e.kind() == "string")
                        .then(|| self.plain_string(*e))
                        .flatten()
                    else {
                        return Err(
                            "allow_headers holds more than plain strings: add traceparent and tracestate to it yourself"
                                .into(),
                        );
                    };
                    have.push(content.trim().to_ascii_lowercase());
                    if let Some(start) = e.child(0) {
                        quote = self.node_text(start).to_string();
                    }
                }
                if have.iter().any(|h| h == "*") {
                    return Ok(None);
                }
                let missing: Vec<String> = TRACE_HEADERS
                    .into_iter()
                    .filter(|h| !have.iter().any(|x| x == h))
                    .map(|h| format!("{quote}{h}{quote}"))
                    .collect();
                if missing.is_empty() {
                    return Ok(None);
                }
                let Some(last) = elements.last() else {
                    return Ok(Some(Edit::insert(
                        value.start_byte() + 1,
                        missing.join(", "),
                    )));
                };
                // A comma after the last element (a trailing comma) stays last.
                let after = &self.text[last.end_byte()..value.end_byte()];
                let trailing_comma = after.trim_start().starts_with(',');
                let multiline = self.line_of(value.start_byte()) != self.line_of(last.start_byte());
                if multiline {
                    let ls = line_start(&self.text, last.start_byte());
                    let indent: String = self.text[ls..last.start_byte()]
                        .chars()
                        .take_while(|c| c.is_whitespace())
                        .collect();
                    let eol = self.style.eol;
                    if trailing_comma {
                        let comma = last.end_byte() + after.find(',').unwrap_or(0) + 1;
                        let lines: String = missing
                            .iter()
                            .map(|m| format!("{eol}{indent}{m},"))
                            .collect();
                        Ok(Some(Edit::insert(comma, lines)))
                    } else {
                        let lines: String = missing
                            .iter()
                            .map(|m| format!(",{eol}{indent}{m}"))
                            .collect();
                        Ok(Some(Edit::insert(last.end_byte(), lines)))
                    }
                } else if trailing_comma {
                    let comma = last.end_byte() + after.find(',').unwrap_or(0) + 1;
                    Ok(Some(Edit::insert(comma, format!(" {},", missing.join(", ")))))
                } else {
                    Ok(Some(Edit::insert(
                        last.end_byte(),
                        format!(", {}", missing.join(", ")),
                    )))
                }
            }
            _ => Err(format!(
                "allow_headers is `{}`, not a string or a list: add traceparent and tracestate to it yourself",
                self.node_text(value).chars().take(40).collect::<String>()
            )),
        }
    }

    /// The content of a plain (not formatted, not concatenated) string literal, and the offset
    /// where its closing quote starts.
    fn plain_string(&self, s: Node) -> Option<(String, usize)> {
        let start = s.child(0)?;
        if start.kind() != "string_start" {
            return None;
        }
        let prefix = self.node_text(start).to_ascii_lowercase();
        if prefix.contains('f') || prefix.contains('b') {
            return None;
        }
        let end = s.child(s.child_count().checked_sub(1)?)?;
        if end.kind() != "string_end" {
            return None;
        }
        let mut content = String::new();
        for c in s.named_children(&mut s.walk()) {
            match c.kind() {
                "string_content" => content.push_str(self.node_text(c)),
                "string_start" | "string_end" => {}
                _ => return None,
            }
        }
        Some((content, end.start_byte()))
    }

    /// Wraps the body of `CLASS.run` in a `with` block (a span or a subsegment), when `run` has the
    /// course's shape: a body-level `now = ...`, and a last statement `return RESULT`.
    pub fn wrap_run(&self, wrap: &Wrap) -> Result<Vec<Edit>, String> {
        if self
            .all("string")
            .iter()
            .any(|s| self.plain_string(*s).is_some_and(|(c, _)| c == wrap.name) && inside_call(*s))
        {
            return Ok(vec![]);
        }
        let class = self
            .all("class_definition")
            .into_iter()
            .find(|c| {
                c.child_by_field_name("name")
                    .is_some_and(|n| self.node_text(n) == wrap.class)
            })
            .ok_or_else(|| format!("no class {} in this file", wrap.class))?;
        let body = class
            .child_by_field_name("body")
            .ok_or("the class has no body")?;
        let run = body
            .named_children(&mut body.walk())
            .map(|n| {
                if n.kind() == "decorated_definition" {
                    n.child_by_field_name("definition").unwrap_or(n)
                } else {
                    n
                }
            })
            .find(|f| {
                f.kind() == "function_definition"
                    && f.child_by_field_name("name")
                        .is_some_and(|n| self.node_text(n) == "run")
            })
            .ok_or_else(|| format!("{} has no run method", wrap.class))?;
        let block = run.child_by_field_name("body").ok_or("run has no body")?;
        let mut statements: Vec<Node> = block
            .named_children(&mut block.walk())
            .filter(|n| n.kind() != "comment")
            .collect();
        if statements.first().is_some_and(|s| {
            s.kind() == "expression_statement"
                && s.named_child(0).is_some_and(|x| x.kind() == "string")
        }) {
            statements.remove(0);
        }
        let shape = format!(
            "{}.run does not have the course's shape (`now = ...` in its body and `return {}` last)",
            wrap.class, wrap.result
        );
        let Some((ret, body_statements)) = statements.split_last() else {
            return Err(shape);
        };
        let returns_result = ret.kind() == "return_statement"
            && ret
                .named_child(0)
                .is_some_and(|v| v.kind() == "identifier" && self.node_text(v) == wrap.result);
        let assigns = |name: &str| {
            body_statements.iter().any(|s| {
                s.named_child(0).is_some_and(|a| {
                    a.kind() == "assignment"
                        && a.child_by_field_name("left")
                            .is_some_and(|l| self.node_text(l) == name)
                })
            })
        };
        if !returns_result || !assigns("now") || body_statements.is_empty() {
            return Err(shape);
        }
        if block.start_position().row == run.start_position().row {
            return Err(format!("{}.run is written on one line", wrap.class));
        }

        let eol = self.style.eol;
        let unit = &self.style.indent;
        let first = body_statements[0];
        let start = line_start(&self.text, first.start_byte());
        let indent = &self.text[start..first.start_byte()];
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return Err(format!(
                "{}.run's body shares a line with other code",
                wrap.class
            ));
        }
        let end = line_start(&self.text, ret.start_byte());
        // Lines inside a string that spans lines are text, not code: they keep their indentation.
        let strings: Vec<std::ops::Range<usize>> = self
            .all("string")
            .into_iter()
            .filter(|s| s.start_position().row != s.end_position().row)
            .map(|s| s.byte_range())
            .collect();
        let mut edits = vec![Edit::insert(
            start,
            format!("{indent}{}{eol}", wrap.opening),
        )];
        let mut at = start;
        while at < end {
            let next = line_end(&self.text, at);
            let line = &self.text[at..next];
            let in_string = strings.iter().any(|r| r.start < at && at < r.end);
            if !line.trim().is_empty() && !in_string {
                edits.push(Edit::insert(at, unit.clone()));
            }
            at = next;
        }
        let params = run
            .child_by_field_name("parameters")
            .map(|p| self.identifiers(p))
            .unwrap_or_default();
        let closing: String = wrap
            .closing(&params, unit)
            .iter()
            .map(|l| format!("{indent}{unit}{l}{eol}"))
            .collect();
        edits.push(Edit::insert(end, closing));
        Ok(edits)
    }

    /// The import lines a wrapped `run` needs that the file does not have.
    pub fn wrap_imports(&self, wrap: &Wrap) -> Vec<Edit> {
        let defined: BTreeSet<String> = self
            .root()
            .named_children(&mut self.root().walk())
            .flat_map(|s| {
                let mut names = self.imported(s).map(|(_, n)| n).unwrap_or_default();
                if let Some(a) = s.named_child(0).filter(|a| a.kind() == "assignment") {
                    if let Some(l) = a.child_by_field_name("left") {
                        names.push(self.node_text(l).to_string());
                    }
                }
                names
            })
            .collect();
        let lines: Vec<String> = wrap
            .imports
            .iter()
            .filter(|(name, _)| !defined.contains(*name))
            .map(|(_, line)| line.to_string())
            .collect();
        if lines.is_empty() {
            return vec![];
        }
        let mut e = self.import_edit(&lines[0], false);
        for l in &lines[1..] {
            let eol = self.style.eol;
            if e.content.starts_with(eol) {
                e.content.push_str(&format!("{eol}{l}"));
            } else {
                e.content.push_str(&format!("{l}{eol}"));
            }
        }
        vec![e]
    }
}

/// The width in bytes of the indentation of the line holding `offset`.
fn indentation(text: &str, offset: usize) -> usize {
    let start = line_start(text, offset);
    text[start..].len() - text[start..].trim_start_matches([' ', '\t']).len()
}

fn inside_call(n: Node) -> bool {
    ancestors(n).any(|a| a.kind() == "call")
}

fn ancestors(n: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(n.parent(), |p| p.parent())
}

/// A `with` block around a service's `run`: the course's custom span and subsegment.
pub struct Wrap {
    pub class: &'static str,
    /// The variable `run` returns.
    pub result: &'static str,
    /// The span's or subsegment's name; its presence in live code means it is already there.
    pub name: &'static str,
    pub opening: &'static str,
    /// (name, line): imports or definitions the block needs.
    pub imports: &'static [(&'static str, &'static str)],
    /// The lines at the end of the block; `{user}` is a parameter of `run` naming the user.
    closing: &'static [&'static str],
    closing_with_user: &'static [&'static str],
}

/// Parameters of `run` that name the user asking.
const USER_PARAMETERS: &[&str] = &["user_handle", "cognito_user_id", "user_id", "handle"];

impl Wrap {
    fn closing(&self, params: &[String], unit: &str) -> Vec<String> {
        let mut lines: Vec<String> = self
            .closing
            .iter()
            .map(|l| l.replace("{indent}", unit))
            .collect();
        if let Some(user) = params
            .iter()
            .find(|p| USER_PARAMETERS.contains(&p.as_str()))
        {
            lines.extend(
                self.closing_with_user
                    .iter()
                    .map(|l| l.replace("{user}", user)),
            );
        }
        lines
    }
}

/// The course's custom span in `HomeActivities.run` (Honeycomb).
pub const HOME_SPAN: Wrap = Wrap {
    class: "HomeActivities",
    result: "results",
    name: "home-activities-mock-data",
    opening: "with tracer.start_as_current_span(\"home-activities-mock-data\") as span:",
    imports: &[
        ("trace", "from opentelemetry import trace"),
        ("tracer", "tracer = trace.get_tracer(\"home.activities\")"),
    ],
    closing: &[
        "span.set_attribute(\"app.now\", now.isoformat())",
        "span.set_attribute(\"app.result_length\", len(results))",
    ],
    closing_with_user: &["span.set_attribute(\"user.id\", {user})"],
};

/// The course's X-Ray subsegment in `UserActivities.run`.
pub const USER_SUBSEGMENT: Wrap = Wrap {
    class: "UserActivities",
    result: "model",
    name: "mock-data",
    opening: "with xray_recorder.in_subsegment(\"mock-data\") as subsegment:",
    imports: &[(
        "xray_recorder",
        "from aws_xray_sdk.core import xray_recorder",
    )],
    closing: &[
        "# None outside a request (no segment): nothing to record then.",
        "if subsegment is not None:",
        "{indent}subsegment.put_metadata(\"mock-data\", {\"now\": now.isoformat(), \"results-size\": len(model[\"data\"] or [])})",
    ],
    closing_with_user: &[],
};

/// `doctor --fix`: the mechanical repairs of Python code. Each gives the edits of the smallest
/// repair (none when nothing is left to do), or why it cannot be made safely.
impl PythonFile {
    /// Where a node's code ends: past its last token that is not a comment (a block's trailing
    /// comments and a decorator's comment are not its code).
    fn code_end(&self, n: Node) -> usize {
        let mut end = n.start_byte();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if x.kind() == "comment" {
                continue;
            }
            if x.child_count() == 0 {
                if x.end_byte() > x.start_byte() {
                    end = end.max(x.end_byte());
                }
                continue;
            }
            stack.extend(x.children(&mut x.walk()));
        }
        end
    }

    /// True when nothing but indentation comes before the node on its first line, and nothing
    /// but a comment after it on its last.
    fn alone_on_its_lines(&self, n: Node) -> bool {
        let start = line_start(&self.text, n.start_byte());
        let end = self.code_end(n);
        let after = self.text[end..line_end(&self.text, end)].trim();
        self.text[start..n.start_byte()].trim().is_empty()
            && (after.is_empty() || after.starts_with('#'))
    }

    /// The whole lines a node's code takes, with their line ending.
    fn code_lines(&self, n: Node) -> std::ops::Range<usize> {
        line_start(&self.text, n.start_byte())..line_end(&self.text, self.code_end(n))
    }

    /// The statements of a block, without its comments.
    fn block_statements<'a>(&self, block: Node<'a>) -> Vec<Node<'a>> {
        block
            .named_children(&mut block.walk())
            .filter(|c| c.kind() != "comment")
            .collect()
    }

    /// The expression of a decorator as written, without spaces (`app.before_first_request`).
    fn decorator_expression<'a>(&self, decorator: Node<'a>) -> Option<(Node<'a>, String)> {
        let e = decorator
            .named_children(&mut decorator.walk())
            .find(|c| c.kind() != "comment")?;
        Some((e, self.node_text(e).split_whitespace().collect()))
    }

    /// The line (1-based) where a call's callee ends: the line that reads `end_subsegment(`.
    fn callee_line(&self, call: Node) -> usize {
        let at = call
            .child_by_field_name("function")
            .map_or(call.start_byte(), |f| f.end_byte());
        self.line_of(at)
    }

    /// `@app.before_first_request` (gone from Flask 2.3) on a function: the decorator line goes,
    /// and after the function `with app.app_context():` calls it once, at start-up.
    pub fn repair_before_first_request(&self) -> Result<Vec<Edit>, String> {
        let eol = self.style.eol;
        let unit = &self.style.indent;
        let mut edits = Vec::new();
        for def in self.all("decorated_definition") {
            for d in def.named_children(&mut def.walk()) {
                if d.kind() != "decorator" {
                    continue;
                }
                let Some((expr, written)) = self.decorator_expression(d) else {
                    continue;
                };
                if expr.kind() != "attribute" || !written.ends_with(".before_first_request") {
                    continue;
                }
                let line = self.line_of(d.start_byte());
                let object: String = expr
                    .child_by_field_name("object")
                    .map(|o| self.node_text(o).split_whitespace().collect())
                    .unwrap_or_default();
                let function = def
                    .child_by_field_name("definition")
                    .filter(|f| f.kind() == "function_definition")
                    .ok_or_else(|| format!("line {line}: @{written} is not on a function"))?;
                let name = function
                    .child_by_field_name("name")
                    .map(|n| self.node_text(n).to_string())
                    .ok_or_else(|| format!("line {line}: the function has no name"))?;
                if function.child(0).is_some_and(|c| c.kind() == "async") {
                    return Err(format!(
                        "line {line}: {name} is async, so it cannot simply be called at start-up: call it yourself"
                    ));
                }
                let required = function.child_by_field_name("parameters").is_some_and(|p| {
                    p.named_children(&mut p.walk()).any(|a| {
                        a.kind() == "identifier"
                            || (a.kind() == "typed_parameter"
                                && a.named_child(0).is_some_and(|n| n.kind() == "identifier"))
                    })
                });
                if required {
                    return Err(format!(
                        "line {line}: {name} takes arguments, so it cannot be called at start-up as it is"
                    ));
                }
                let def_line = line_start(&self.text, def.start_byte());
                let indent = &self.text[def_line..def.start_byte()];
                if !indent.chars().all(|c| c == ' ' || c == '\t') {
                    return Err(format!(
                        "line {line}: the decorated function shares its line with other code"
                    ));
                }
                // As many blank lines before the `with` as the file leaves before the function.
                let mut blanks = 0;
                let mut at = def_line;
                while at > 0 && blanks < 2 {
                    let prev = line_start(&self.text, at - 1);
                    if !self.text[prev..at].trim().is_empty() {
                        break;
                    }
                    blanks += 1;
                    at = prev;
                }
                let mut lines = vec![String::new(); blanks.max(1)];
                lines.push(format!("{indent}with {object}.app_context():"));
                lines.push(format!("{indent}{unit}{name}()"));
                edits.push(Edit::replace(
                    line_start(&self.text, d.start_byte())..line_end(&self.text, expr.end_byte()),
                    "",
                ));
                // After the function's last line: its code, or a comment indented under it.
                let column = column_of(&self.text, def.start_byte());
                let last = self
                    .all("comment")
                    .into_iter()
                    .filter(|c| {
                        function.byte_range().contains(&c.start_byte())
                            && column_of(&self.text, c.start_byte()) > column
                    })
                    .map(|c| c.end_byte())
                    .fold(self.code_end(function), usize::max);
                edits.push(lines_after(&self.text, last, &lines, eol));
            }
        }
        Ok(edits)
    }

    /// `log_group=` of every live `CloudWatchLogHandler(...)` becomes `log_group_name=`.
    pub fn repair_log_group_name(&self) -> Result<Vec<Edit>, String> {
        let mut edits = Vec::new();
        for call in self.calls_to(&["CloudWatchLogHandler"]) {
            let Some(args) = call.child_by_field_name("arguments") else {
                continue;
            };
            let names: Vec<Node> = args
                .named_children(&mut args.walk())
                .filter(|k| k.kind() == "keyword_argument")
                .filter_map(|k| k.child_by_field_name("name"))
                .collect();
            let old: Vec<&Node> = names
                .iter()
                .filter(|n| self.node_text(**n) == "log_group")
                .collect();
            if old.is_empty() {
                continue;
            }
            if names.iter().any(|n| self.node_text(*n) == "log_group_name") {
                return Err(format!(
                    "line {}: CloudWatchLogHandler is given both log_group and log_group_name: keep one yourself",
                    self.line_of(call.start_byte())
                ));
            }
            edits.extend(
                old.iter()
                    .map(|n| Edit::replace(n.byte_range(), "log_group_name")),
            );
        }
        Ok(edits)
    }

    /// In every function hooked with `@<app>.after_request`, `<logger>.error(...)` becomes
    /// `<logger>.info(...)`.
    pub fn repair_request_log_info(&self) -> Vec<Edit> {
        let mut edits: Vec<Edit> = Vec::new();
        let calls = self.all("call");
        for def in self.all("decorated_definition") {
            let hooked = def.named_children(&mut def.walk()).any(|d| {
                d.kind() == "decorator"
                    && self.decorator_expression(d).is_some_and(|(e, w)| {
                        e.kind() == "attribute" && w.ends_with(".after_request")
                    })
            });
            let Some(function) = def.child_by_field_name("definition").filter(|_| hooked) else {
                continue;
            };
            for call in &calls {
                if !function.byte_range().contains(&call.start_byte()) {
                    continue;
                }
                let Some(attr) = call
                    .child_by_field_name("function")
                    .filter(|f| f.kind() == "attribute")
                    .and_then(|f| f.child_by_field_name("attribute"))
                else {
                    continue;
                };
                if self.node_text(attr) == "error"
                    && !edits.iter().any(|e| e.range == attr.byte_range())
                {
                    edits.push(Edit::replace(attr.byte_range(), "info"));
                }
            }
        }
        edits
    }

    /// The `end_subsegment()` call statement at `line` goes when an earlier one in the same
    /// function already ended the subsegment: its whole lines, or, when it is its block's only
    /// statement, its text becomes `pass`.
    pub fn repair_second_end(&self, line: usize) -> Result<Vec<Edit>, String> {
        let calls = self.calls_to(&["end_subsegment"]);
        let Some(call) = calls.iter().copied().find(|c| self.callee_line(*c) == line) else {
            return Ok(vec![]);
        };
        let function = |n: Node| {
            ancestors(n)
                .find(|a| a.kind() == "function_definition")
                .map(|f| f.id())
        };
        let second = calls
            .iter()
            .any(|c| c.start_byte() < call.start_byte() && function(*c) == function(call));
        if !second {
            return Ok(vec![]);
        }
        let statement = call
            .parent()
            .filter(|s| {
                s.kind() == "expression_statement" && self.block_statements(*s).len() == 1
            })
            .ok_or_else(|| {
                format!("line {line}: end_subsegment() is part of a larger statement: remove it yourself")
            })?;
        let only = statement
            .parent()
            .is_some_and(|b| b.kind() == "block" && self.block_statements(b).len() == 1);
        if only {
            return Ok(vec![Edit::replace(
                statement.start_byte()..self.code_end(statement),
                "pass",
            )]);
        }
        if !self.alone_on_its_lines(statement) {
            return Err(format!(
                "line {line}: end_subsegment() shares its line with other code: remove it yourself"
            ));
        }
        Ok(vec![Edit::replace(self.code_lines(statement), "")])
    }

    /// `NAME = <recorder>.begin_segment(ARGS)` at `line`, in a function, becomes
    /// `with <recorder>.in_subsegment(ARGS) as NAME:` around the statements after it in its
    /// block, up to its `<recorder>.end_segment()` (which goes) or the block's end.
    pub fn repair_segment_in_service(&self, line: usize) -> Result<Vec<Edit>, String> {
        let Some(call) = self
            .calls_to(&["begin_segment"])
            .into_iter()
            .find(|c| self.callee_line(*c) == line)
        else {
            return Ok(vec![]);
        };
        let shape = || {
            format!(
                "line {line}: begin_segment() is not a statement of its own (`NAME = RECORDER.begin_segment(...)`): put the code in `with RECORDER.in_subsegment(...)` yourself"
            )
        };
        let callee = call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "attribute")
            .ok_or_else(shape)?;
        let recorder: String = callee
            .child_by_field_name("object")
            .map(|o| self.node_text(o).split_whitespace().collect())
            .ok_or_else(shape)?;
        let args = call
            .child_by_field_name("arguments")
            .map(|a| self.node_text(a))
            .ok_or_else(shape)?;
        let parent = call.parent().ok_or_else(shape)?;
        let (statement, target) = match parent.kind() {
            "expression_statement" => (parent, None),
            "assignment" => {
                let left = parent
                    .child_by_field_name("left")
                    .filter(|l| matches!(l.kind(), "identifier" | "attribute"))
                    .filter(|_| {
                        parent.child_by_field_name("type").is_none()
                            && parent.child_by_field_name("right") == Some(call)
                    })
                    .ok_or_else(shape)?;
                let statement = parent
                    .parent()
                    .filter(|s| s.kind() == "expression_statement")
                    .ok_or_else(shape)?;
                (statement, Some(self.node_text(left).to_string()))
            }
            _ => return Err(shape()),
        };
        if self.block_statements(statement).len() != 1 || !self.alone_on_its_lines(statement) {
            return Err(shape());
        }
        let Some(function) = ancestors(statement).find(|a| a.kind() == "function_definition")
        else {
            return Err(format!(
                "line {line}: begin_segment() is not in a function: move it into the code that serves the request yourself"
            ));
        };
        let block = statement
            .parent()
            .filter(|b| b.kind() == "block")
            .ok_or_else(shape)?;
        let ends_segment = |s: Node| {
            s.kind() == "expression_statement"
                && self.block_statements(s).len() == 1
                && s.named_child(0).is_some_and(|c| {
                    c.kind() == "call" && self.callee(c) == format!("{recorder}.end_segment")
                })
        };
        let mut moved = Vec::new();
        let mut end = None;
        for s in self.block_statements(block) {
            if s.start_byte() <= statement.start_byte() {
                continue;
            }
            if ends_segment(s) {
                end = Some(s);
                break;
            }
            moved.push(s);
        }
        let Some(last) = moved.last() else {
            return Err(format!(
                "line {line}: no statement follows begin_segment() in its block to go under the `with`"
            ));
        };
        if let Some(e) = end {
            if !self.alone_on_its_lines(e) {
                return Err(format!(
                    "line {}: end_segment() shares its line with other code: make the `with` yourself",
                    self.line_of(e.start_byte())
                ));
            }
        }
        // Any other end_segment() of the function would end the request's own segment.
        if let Some(other) = self.calls_to(&["end_segment"]).into_iter().find(|c| {
            function.byte_range().contains(&c.start_byte())
                && end.is_none_or(|e| !e.byte_range().contains(&c.start_byte()))
        }) {
            return Err(format!(
                "line {}: the segment begun at line {line} is also ended there, outside its block: make the `with` yourself",
                self.line_of(other.start_byte())
            ));
        }
        let opening = match &target {
            Some(name) => format!("with {recorder}.in_subsegment{args} as {name}:"),
            None => format!("with {recorder}.in_subsegment{args}:"),
        };
        let mut edits = vec![Edit::replace(
            statement.start_byte()..self.code_end(statement),
            opening,
        )];
        // Every line from the next one to the last moved statement's goes one unit in, except
        // the lines inside a string that spans lines, which are text.
        let strings: Vec<std::ops::Range<usize>> = self
            .all("string")
            .into_iter()
            .filter(|s| s.start_position().row != s.end_position().row)
            .map(|s| s.byte_range())
            .collect();
        let unit = &self.style.indent;
        let mut at = line_end(&self.text, self.code_end(statement));
        let stop = line_end(&self.text, self.code_end(*last));
        while at < stop {
            let next = line_end(&self.text, at);
            let in_string = strings.iter().any(|r| r.start < at && at < r.end);
            if !self.text[at..next].trim().is_empty() && !in_string {
                edits.push(Edit::insert(at, unit.clone()));
            }
            at = next;
        }
        if let Some(e) = end {
            edits.push(Edit::replace(self.code_lines(e), ""));
        }
        Ok(edits)
    }
}

/// `text` as Python runs it: comments and strings that stand alone as statements (docstrings,
/// and the triple-quoted strings people use to switch code off) become spaces, so that lines and
/// columns stay where they were. Parsed even when the file has a syntax error.
pub fn live_text(text: &str) -> String {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .expect("the Python grammar matches the tree-sitter version");
    match parser.parse(text, None) {
        Some(tree) => live_of(&tree, text),
        None => text.to_string(),
    }
}

impl PythonFile {
    /// The file as Python runs it (see `live_text`), from the tree already parsed.
    pub fn live(&self) -> String {
        live_of(&self.tree, &self.text)
    }
}

fn live_of(tree: &Tree, text: &str) -> String {
    let mut dead: Vec<std::ops::Range<usize>> = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        let standalone_string = n.kind() == "expression_statement"
            && n.named_child_count() == 1
            && n.named_child(0)
                .is_some_and(|c| matches!(c.kind(), "string" | "concatenated_string"));
        if n.kind() == "comment" || standalone_string {
            dead.push(n.byte_range());
            continue;
        }
        stack.extend(n.children(&mut n.walk()));
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    dead.sort_by_key(|r| r.start);
    for r in dead {
        if r.start < at || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.extend(
            text[r.clone()]
                .chars()
                .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
        );
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    const WEEK1: &str = "from flask import Flask\nfrom flask import request\nfrom flask_cors import CORS, cross_origin\nimport os\n\nfrom services.home_activities import *\nfrom services.user_activities import *\n\napp = Flask(__name__)\nfrontend = os.getenv('FRONTEND_URL')\ncors = CORS(\n  app,\n  expose_headers=\"location,link\",\n  allow_headers=\"content-type,if-modified-since\",\n  methods=\"OPTIONS,GET,HEAD,POST\"\n)\n\n@app.route(\"/api/activities/home\", methods=['GET'])\ndef data_home():\n  data = HomeActivities.run()\n  return data, 200";

    #[test]
    fn week1_app_gets_telemetry_and_trace_headers() {
        let f = PythonFile::parse(WEEK1).unwrap();
        let app = f.app_creation().unwrap();
        assert_eq!(
            (app.name.as_str(), app.line, app.factory.clone()),
            ("app", 9, None)
        );
        assert!(f.hand_wiring(&app).is_empty());
        let mut edits = f.add_telemetry(&app);
        let (cors, skipped) = f.allow_trace_headers();
        assert!(skipped.is_empty());
        edits.extend(cors);
        let out = apply(WEEK1, &edits);
        assert!(
            out.contains("import os\n\nimport telemetry\nfrom services.home_activities import *\n"),
            "{out}"
        );
        assert!(
            out.contains("app = Flask(__name__)\ntelemetry.init_app(app)  # cruddur-obs"),
            "{out}"
        );
        assert!(
            out.contains("allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"]"),
            "{out}"
        );
        assert!(out.ends_with("return data, 200"));
        // A second pass finds nothing to do.
        let again = PythonFile::parse(&out).unwrap();
        let app = again.app_creation().unwrap();
        assert!(again.add_telemetry(&app).is_empty());
        assert!(again.allow_trace_headers().0.is_empty());
    }

    #[test]
    fn factory_and_list_cors_use_the_files_indentation() {
        let text = "from flask import Flask\nfrom flask_cors import CORS\n\n\ndef create_app():\n    app = Flask(__name__)\n    CORS(\n        app,\n        allow_headers=[\n            \"content-type\",\n            \"if-modified-since\",\n        ],\n    )\n    return app\n";
        let f = PythonFile::parse(text).unwrap();
        let app = f.app_creation().unwrap();
        assert_eq!(app.factory.as_deref(), Some("create_app"));
        let mut edits = f.add_telemetry(&app);
        edits.extend(f.allow_trace_headers().0);
        let out = apply(text, &edits);
        assert!(
            out.contains("from flask_cors import CORS\nimport telemetry\n"),
            "{out}"
        );
        assert!(
            out.contains("    app = Flask(__name__)\n    telemetry.init_app(app)"),
            "{out}"
        );
        assert!(out.contains("            \"if-modified-since\",\n            \"traceparent\",\n            \"tracestate\",\n        ],"), "{out}");
        let single = "from flask_cors import CORS\nCORS(app, allow_headers=['a', 'b'])\n";
        let f = PythonFile::parse(single).unwrap();
        assert_eq!(
            apply(single, &f.allow_trace_headers().0),
            "from flask_cors import CORS\nCORS(app, allow_headers=['a', 'b', 'traceparent', 'tracestate'])\n"
        );
    }

    #[test]
    fn comments_and_strings_are_not_wiring() {
        let text = "import os\nfrom flask import Flask\n# from aws_xray_sdk.core import xray_recorder\n# xray_recorder.configure(service='backend-flask')\n\"\"\"\nimport watchtower\ncw_handler = watchtower.CloudWatchLogHandler(log_group='cruddur')\n\"\"\"\napp = Flask(__name__)\n";
        let f = PythonFile::parse(text).unwrap();
        let app = f.app_creation().unwrap();
        assert!(f.hand_wiring(&app).is_empty());
    }

    #[test]
    fn hand_wiring_is_found_and_taken_over_whole() {
        let text = "from flask import Flask\nfrom opentelemetry import trace\nfrom opentelemetry.sdk.trace import TracerProvider\nfrom opentelemetry.sdk.trace.export import BatchSpanProcessor\nfrom opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\nfrom opentelemetry.instrumentation.flask import FlaskInstrumentor\n\nprovider = TracerProvider()\nprocessor = BatchSpanProcessor(OTLPSpanExporter())\nprovider.add_span_processor(processor)\ntrace.set_tracer_provider(provider)\ntracer = trace.get_tracer(__name__)\n\napp = Flask(__name__)\nFlaskInstrumentor().instrument_app(app)\n\n@app.route('/')\ndef home():\n  with tracer.start_as_current_span('x'):\n    return 'ok'\n";
        let f = PythonFile::parse(text).unwrap();
        let app = f.app_creation().unwrap();
        let wiring = f.hand_wiring(&app);
        assert_eq!(wiring.len(), 1);
        assert_eq!(
            (wiring[0].part, wiring[0].first_line, wiring[0].last_line),
            (Part::Honeycomb, 8, 15)
        );
        let out = apply(text, &f.take_over(&wiring));
        assert_eq!(out, "from flask import Flask\nfrom opentelemetry import trace\n\ntracer = trace.get_tracer(__name__)\n\napp = Flask(__name__)\n\n@app.route('/')\ndef home():\n  with tracer.start_as_current_span('x'):\n    return 'ok'\n");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = PythonFile::parse("import os\nif x:\nprint('é')\n").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        let e = PythonFile::parse("x = (1,\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
    }

    #[test]
    fn home_run_is_wrapped_in_the_span() {
        let text = "from datetime import datetime, timedelta, timezone\nclass HomeActivities:\n  def run():\n    now = datetime.now(timezone.utc).astimezone()\n    results = [{\n      'uuid': '1',\n      'message': '''two\nlines'''\n    }]\n    return results";
        let f = PythonFile::parse(text).unwrap();
        let mut edits = f.wrap_run(&HOME_SPAN).unwrap();
        edits.extend(f.wrap_imports(&HOME_SPAN));
        let out = apply(text, &edits);
        assert_eq!(out, "from datetime import datetime, timedelta, timezone\nfrom opentelemetry import trace\ntracer = trace.get_tracer(\"home.activities\")\nclass HomeActivities:\n  def run():\n    with tracer.start_as_current_span(\"home-activities-mock-data\") as span:\n      now = datetime.now(timezone.utc).astimezone()\n      results = [{\n        'uuid': '1',\n        'message': '''two\nlines'''\n      }]\n      span.set_attribute(\"app.now\", now.isoformat())\n      span.set_attribute(\"app.result_length\", len(results))\n    return results");
        let again = PythonFile::parse(&out).unwrap();
        assert!(again.wrap_run(&HOME_SPAN).unwrap().is_empty());
        assert!(again.wrap_imports(&HOME_SPAN).is_empty());
        let odd = "class HomeActivities:\n  def run():\n    return load()\n";
        let e = PythonFile::parse(odd)
            .unwrap()
            .wrap_run(&HOME_SPAN)
            .unwrap_err();
        assert!(e.contains("course's shape"), "{e}");
    }
}
