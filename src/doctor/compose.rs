//! Variables as docker compose resolves them. Compose fills `${VAR}` in the compose files from
//! the shell it runs in first, then from the `.env` file beside them; a service's container
//! receives its `environment:` entries (and its `env_file:` entries below them) after that
//! interpolation. Every value found here says where it came from, so a finding can too.
//!
//! Interpolation follows compose: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty),
//! `${VAR-default}` (unset), `${VAR:?message}` and `${VAR?message}` (an error), `${VAR:+alt}` and
//! `${VAR+alt}`, `$$` for a literal `$`; any other `$` is an invalid template. A variable set in
//! the shell counts even when empty, as it does for compose.
//!
//! `.env` follows compose's reading: `KEY=VALUE` (or `KEY: VALUE`), an optional `export `,
//! `#` comment lines, ` #` comments after unquoted values, single quotes literal, double quotes
//! with escapes and interpolation, quoted values over several lines, and a bare `KEY` that only
//! passes the shell's value on.

use std::fmt;

use crate::doctor::workspace::{File, Workspace};

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The shell doctor (and so compose) runs in.
    Shell,
    /// The `.env` beside the compose files, at this line.
    DotEnv { line: usize },
    /// A service's `env_file:`, at this line.
    EnvFile { path: String, line: usize },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Shell => write!(f, "the shell"),
            Source::DotEnv { line } => write!(f, ".env:{line}"),
            Source::EnvFile { path, line } => write!(f, "{path}:{line}"),
        }
    }
}

/// A variable's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    pub source: Source,
}

/// How a `${VAR...}` treats an unset (or empty) variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `:-`
    DefaultIfUnsetOrEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:?`
    ErrorIfUnsetOrEmpty,
    /// `?`
    ErrorIfUnset,
    /// `:+`
    AltIfSetAndNotEmpty,
    /// `+`
    AltIfSet,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var {
        name: String,
        op: Option<(Op, Vec<Part>)>,
    },
}

/// One variable an interpolation looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub name: String,
    pub found: Option<Resolved>,
    /// Written without a default (`$VAR`, `${VAR}`, `${VAR?...}`): compose needs it set.
    pub required: bool,
}

impl Used {
    /// Required, and unset or empty.
    pub fn is_missing(&self) -> bool {
        self.required && self.found.as_ref().is_none_or(|r| r.value.is_empty())
    }

    /// `NAME from .env:3`, `NAME empty in the shell`, `NAME set in neither the shell nor .env`.
    pub fn describe(&self) -> String {
        match &self.found {
            Some(r) if r.value.is_empty() => format!("{} empty in {}", self.name, r.source),
            Some(r) => format!("{} from {}", self.name, r.source),
            None => format!("{} set in neither the shell nor .env", self.name),
        }
    }
}

/// A text after compose's interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolated {
    pub value: String,
    /// The variables looked up, in order, each once.
    pub used: Vec<Used>,
    /// Why compose refuses the text: a `${VAR:?message}` whose variable is missing, or an
    /// invalid template. Compose then does not start at all.
    pub error: Option<String>,
}

impl Interpolated {
    /// Where each variable came from, joined: `AWS_DEFAULT_REGION from .env:3`.
    pub fn sources(&self) -> String {
        self.used
            .iter()
            .map(Used::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn read_name(chars: &[char], i: &mut usize) -> String {
    let mut name = String::new();
    if chars.get(*i).is_some_and(|c| is_name_start(*c)) {
        while let Some(c) = chars.get(*i).filter(|c| is_name_char(**c)) {
            name.push(*c);
            *i += 1;
        }
    }
    name
}

/// The template's parts; inside `${...}` (`nested`), up to and with the closing brace.
fn parse(chars: &[char], i: &mut usize, nested: bool) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    loop {
        let Some(&c) = chars.get(*i) else {
            if nested {
                return Err("a ${ without its closing }".into());
            }
            break;
        };
        if nested && c == '}' {
            *i += 1;
            break;
        }
        if c != '$' {
            text.push(c);
            *i += 1;
            continue;
        }
        match chars.get(*i + 1) {
            Some('$') => {
                text.push('$');
                *i += 2;
            }
            Some('{') => {
                *i += 2;
                let name = read_name(chars, i);
                if name.is_empty() {
                    return Err("a ${ not followed by a variable name".into());
                }
                let op = match (chars.get(*i), chars.get(*i + 1)) {
                    (Some('}'), _) => {
                        *i += 1;
                        None
                    }
                    (Some(':'), Some(next)) => {
                        let op = match next {
                            '-' => Op::DefaultIfUnsetOrEmpty,
                            '?' => Op::ErrorIfUnsetOrEmpty,
                            '+' => Op::AltIfSetAndNotEmpty,
                            _ => {
                                return Err(format!(
                                    "${{{name}:{next}...}} is not a form compose knows"
                                ))
                            }
                        };
                        *i += 2;
                        Some(op)
                    }
                    (Some('-'), _) => {
                        *i += 1;
                        Some(Op::DefaultIfUnset)
                    }
                    (Some('?'), _) => {
                        *i += 1;
                        Some(Op::ErrorIfUnset)
                    }
                    (Some('+'), _) => {
                        *i += 1;
                        Some(Op::AltIfSet)
                    }
                    _ => return Err(format!("${{{name} is not closed by }}")),
                };
                let op = match op {
                    Some(op) => Some((op, parse(chars, i, true)?)),
                    None => None,
                };
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var { name, op });
            }
            Some(n) if is_name_start(*n) => {
                *i += 1;
                let name = read_name(chars, i);
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var { name, op: None });
            }
            _ => {
                return Err("a $ not followed by a variable name (write $$ for a literal $)".into())
            }
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

struct Eval<'l> {
    lookup: &'l dyn Fn(&str) -> Option<Resolved>,
    used: Vec<Used>,
    error: Option<String>,
}

impl Eval<'_> {
    fn find(&mut self, name: &str, required: bool) -> Option<Resolved> {
        let found = (self.lookup)(name);
        match self.used.iter_mut().find(|u| u.name == name) {
            Some(u) => u.required |= required,
            None => self.used.push(Used {
                name: name.to_string(),
                found: found.clone(),
                required,
            }),
        }
        found
    }

    fn run(&mut self, parts: &[Part]) -> String {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var { name, op: None } => {
                    if let Some(r) = self.find(name, true) {
                        out.push_str(&r.value);
                    }
                }
                Part::Var {
                    name,
                    op: Some((op, word)),
                } => {
                    let required = matches!(op, Op::ErrorIfUnset | Op::ErrorIfUnsetOrEmpty);
                    let found = self.find(name, required);
                    let set = found.is_some();
                    let value = found.map(|r| r.value).unwrap_or_default();
                    let filled = !value.is_empty();
                    match op {
                        Op::DefaultIfUnsetOrEmpty if filled => out.push_str(&value),
                        Op::DefaultIfUnset if set => out.push_str(&value),
                        Op::DefaultIfUnsetOrEmpty | Op::DefaultIfUnset => {
                            let default = self.run(word);
                            out.push_str(&default);
                        }
                        Op::ErrorIfUnsetOrEmpty if filled => out.push_str(&value),
                        Op::ErrorIfUnset if set => out.push_str(&value),
                        Op::ErrorIfUnsetOrEmpty | Op::ErrorIfUnset => {
                            let message = self.run(word);
                            if self.error.is_none() {
                                self.error = Some(format!(
                                    "required variable {name} is missing a value: {message}"
                                ));
                            }
                        }
                        Op::AltIfSetAndNotEmpty if filled => {
                            let alt = self.run(word);
                            out.push_str(&alt);
                        }
                        Op::AltIfSet if set => {
                            let alt = self.run(word);
                            out.push_str(&alt);
                        }
                        Op::AltIfSetAndNotEmpty | Op::AltIfSet => {}
                    }
                }
            }
        }
        out
    }
}

/// `raw` interpolated as compose does, each variable taken from `lookup`.
pub fn interpolate_with(raw: &str, lookup: &dyn Fn(&str) -> Option<Resolved>) -> Interpolated {
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    match parse(&chars, &mut i, false) {
        Ok(parts) => {
            let mut eval = Eval {
                lookup,
                used: Vec::new(),
                error: None,
            };
            let value = eval.run(&parts);
            Interpolated {
                value,
                used: eval.used,
                error: eval.error,
            }
        }
        Err(why) => Interpolated {
            value: String::new(),
            used: Vec::new(),
            error: Some(format!("invalid interpolation: {why}")),
        },
    }
}

/// The names a text refers to, leniently (for finding the line that holds a reference).
fn names_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => i += 2,
            Some('{') => {
                i += 2;
                let name = read_name(&chars, &mut i);
                if !name.is_empty() {
                    names.push(name);
                }
            }
            _ => {
                i += 1;
                let name = read_name(&chars, &mut i);
                if !name.is_empty() {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// One variable a dotenv file sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvEntry {
    pub name: String,
    /// As written (without its quotes), before escapes and interpolation.
    pub raw: String,
    pub value: String,
    /// The line the entry starts on.
    pub line: usize,
    /// The variables its value was interpolated from.
    pub used: Vec<Used>,
}

/// A dotenv file as compose reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotEnv {
    pub entries: Vec<DotEnvEntry>,
    /// What compose refuses in the file (`line N: why`); it then does not start. Never holds a
    /// value, which may be a secret.
    pub problems: Vec<String>,
}

impl DotEnv {
    /// The entry that sets `name` (the last one, as compose keeps it).
    pub fn get(&self, name: &str) -> Option<&DotEnvEntry> {
        self.entries.iter().rev().find(|e| e.name == name)
    }
}

/// Spaces that do not end a line.
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{0b}' | '\u{0c}' | '\r' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphanumeric()
}

/// Double-quoted escapes: `\n`, `\t`, `\\` and friends; `\$` stays a literal `$`.
fn expand_escapes(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('a') => out.push('\u{07}'),
            Some('b') => out.push('\u{08}'),
            Some('f') => out.push('\u{0c}'),
            Some('v') => out.push('\u{0b}'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('$') => out.push_str("$$"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `text` read as compose reads a dotenv file. Values refer to the file's earlier entries first,
/// then to `outer`; `at` names the source of an entry at a line.
pub fn parse_dotenv(
    text: &str,
    outer: &dyn Fn(&str) -> Option<Resolved>,
    at: &dyn Fn(usize) -> Source,
) -> DotEnv {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut out = DotEnv::default();
    let mut i = 0;
    let mut line = 1;
    let skip_line = |i: &mut usize| {
        while *i < n && chars[*i] != '\n' {
            *i += 1;
        }
    };
    loop {
        while i < n && chars[i].is_whitespace() {
            if chars[i] == '\n' {
                line += 1;
            }
            i += 1;
        }
        if i >= n {
            break;
        }
        if chars[i] == '#' {
            skip_line(&mut i);
            continue;
        }
        let start = line;
        let export: Vec<char> = "export".chars().collect();
        if chars[i..].starts_with(&export) && chars.get(i + 6).is_some_and(|c| is_space(*c)) {
            i += 6;
            while i < n && is_space(chars[i]) {
                i += 1;
            }
        }
        let mut key = String::new();
        let mut assigned = false;
        let mut bad = None;
        while i < n {
            let c = chars[i];
            if c == '=' || c == ':' {
                assigned = true;
                i += 1;
                break;
            }
            if c == '\n' {
                break;
            }
            if !is_space(c) && !is_key_char(c) {
                bad = Some(c);
                break;
            }
            key.push(c);
            i += 1;
        }
        let key = key.trim_end().to_string();
        if let Some(c) = bad {
            out.problems.push(format!(
                "line {start}: unexpected character {c:?} in a variable name"
            ));
            skip_line(&mut i);
            continue;
        }
        if key.chars().any(is_space) {
            out.problems.push(format!(
                "line {start}: a variable name cannot contain a space"
            ));
            skip_line(&mut i);
            continue;
        }
        if key.is_empty() {
            out.problems
                .push(format!("line {start}: a value without a variable name"));
            skip_line(&mut i);
            continue;
        }
        if !assigned {
            // A bare name only passes the shell's value on: the shell wins anyway.
            continue;
        }
        while i < n && is_space(chars[i]) {
            i += 1;
        }
        let (raw, interpolated, escaped) = match chars.get(i) {
            Some(&quote) if quote == '"' || quote == '\'' => {
                let mut value = String::new();
                let mut escape = false;
                let mut closed = false;
                let mut j = i + 1;
                let mut lines = 0;
                while j < n {
                    let c = chars[j];
                    j += 1;
                    if c == '\n' {
                        lines += 1;
                    }
                    if escape {
                        escape = false;
                        if c != quote {
                            value.push('\\');
                        }
                        value.push(c);
                        continue;
                    }
                    if c == '\\' {
                        escape = true;
                    } else if c == quote {
                        closed = true;
                        break;
                    } else {
                        value.push(c);
                    }
                }
                if !closed {
                    out.problems.push(format!(
                        "line {start}: a quoted value ({key}) is not closed"
                    ));
                    break;
                }
                i = j;
                line += lines;
                (value, quote == '"', quote == '"')
            }
            _ => {
                let mut value = String::new();
                while i < n && chars[i] != '\n' {
                    value.push(chars[i]);
                    i += 1;
                }
                let value = match value.split_once(" #") {
                    Some((kept, _)) => kept.to_string(),
                    None => value,
                };
                (value.trim_end().to_string(), true, false)
            }
        };
        let (value, used) = if interpolated {
            let text = if escaped {
                expand_escapes(&raw)
            } else {
                raw.clone()
            };
            let earlier = &out.entries;
            let lookup = |name: &str| {
                earlier
                    .iter()
                    .rev()
                    .find(|e| e.name == name)
                    .map(|e| Resolved {
                        value: e.value.clone(),
                        source: at(e.line),
                    })
                    .or_else(|| outer(name))
            };
            let result = interpolate_with(&text, &lookup);
            if let Some(why) = &result.error {
                out.problems.push(format!("line {start} ({key}): {why}"));
            }
            (result.value, result.used)
        } else {
            (raw.clone(), Vec::new())
        };
        out.entries.push(DotEnvEntry {
            name: key,
            raw,
            value,
            line: start,
            used,
        });
    }
    out
}

/// What one service's container receives for one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceVar {
    pub name: String,
    /// The entry as written; `None` for a bare `NAME` that passes the shell's (or .env's) on.
    pub raw: Option<String>,
    /// What the container receives; `None` when it receives nothing.
    pub value: Option<String>,
    /// The compose file (or env_file) that holds the entry.
    pub file: String,
    pub line: Option<usize>,
    /// Whether the entry is in a compose file's `environment:` (else in an `env_file:`).
    pub in_compose: bool,
    /// The variables its value came from.
    pub used: Vec<Used>,
    /// Why compose refuses the entry.
    pub error: Option<String>,
}

impl ServiceVar {
    /// `docker-compose.yaml:14`.
    pub fn at(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        }
    }

    /// The value, when the container receives one that is not blank.
    pub fn filled(&self) -> Option<&str> {
        self.value.as_deref().filter(|v| !v.trim().is_empty())
    }

    /// Whether the value is written in the file itself, from no variable.
    pub fn is_literal(&self) -> bool {
        self.raw.is_some() && self.used.is_empty()
    }

    /// The variables it is built from that are unset or empty.
    pub fn missing(&self) -> Vec<&str> {
        self.used
            .iter()
            .filter(|u| {
                u.is_missing()
                    || (self.raw.is_none() && u.found.as_ref().is_none_or(|r| r.value.is_empty()))
            })
            .map(|u| u.name.as_str())
            .collect()
    }

    /// Where each variable it is built from came from: `AWS_DEFAULT_REGION from .env:3`.
    pub fn sources(&self) -> String {
        self.used
            .iter()
            .map(Used::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Where the value comes from, never the value itself: `written in docker-compose.yaml:14`,
    /// `docker-compose.yaml:14, AWS_DEFAULT_REGION from .env:3`.
    pub fn origin(&self) -> String {
        if self.is_literal() {
            return format!("written in {}", self.at());
        }
        let sources = self.sources();
        if self.raw.is_none() {
            return format!("{}, which passes {} on: {sources}", self.at(), self.name);
        }
        format!("{}, {sources}", self.at())
    }
}

/// What the backend reads for one variable, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    /// The value, when set and not blank.
    pub value: Option<String>,
    /// Where it comes from, never the value: `written in docker-compose.yaml:14`,
    /// `docker-compose.yaml:14, AWS_DEFAULT_REGION from .env:3`, `the shell`.
    pub from: String,
    /// Compose's entry, when compose gives the backend this variable.
    pub entry: Option<ServiceVar>,
}

/// One `${VAR}` a compose file needs set: written without a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    /// `docker-compose.yaml:9`.
    pub at: String,
    pub found: Option<Resolved>,
}

impl Reference {
    pub fn is_missing(&self) -> bool {
        self.found.as_ref().is_none_or(|r| r.value.is_empty())
    }
}

/// Lines of a YAML file that are not comments, with their numbers.
fn live_lines(file: &File) -> impl Iterator<Item = (usize, &str)> {
    file.lines()
        .filter(|(_, l)| !l.trim_start().starts_with('#'))
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

/// The lines (first, last) of `service`'s block in a compose file.
fn service_block(file: &File, service: &str) -> Option<(usize, usize)> {
    let lines: Vec<(usize, &str)> = live_lines(file)
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let heads = [
        format!("{service}:"),
        format!("\"{service}\":"),
        format!("'{service}':"),
    ];
    let mut in_services = false;
    for (k, (n, l)) in lines.iter().enumerate() {
        let depth = indent(l);
        let text = l.trim();
        if depth == 0 {
            in_services = text.starts_with("services:");
            continue;
        }
        let head = text.split(" #").next().unwrap_or(text).trim_end();
        if in_services && heads.iter().any(|h| h == head) {
            let end = lines[k + 1..]
                .iter()
                .find(|(_, l)| indent(l) <= depth)
                .map(|(m, _)| m - 1)
                .unwrap_or(usize::MAX);
            return Some((*n, end));
        }
    }
    None
}

/// The line of `service`'s block where `name` is an entry (`NAME:`, `- NAME=`, `- NAME`).
fn entry_line(file: &File, service: &str, name: &str) -> Option<usize> {
    let (first, last) = service_block(file, service)?;
    live_lines(file)
        .filter(|(n, _)| *n > first && *n <= last)
        .find(|(_, l)| {
            let t = l.trim_start();
            let t = t.strip_prefix('-').map(str::trim_start).unwrap_or(t);
            let t = t.trim_start_matches(['"', '\'']);
            t.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '=', '"', '\'', ' ']))
        })
        .map(|(n, _)| n)
}

/// The line of `service`'s block that holds `needle`.
pub fn line_in_service(file: &File, service: &str, needle: &str) -> Option<usize> {
    let (first, last) = service_block(file, service)?;
    live_lines(file)
        .filter(|(n, _)| *n >= first && *n <= last)
        .find(|(_, l)| l.contains(needle))
        .map(|(n, _)| n)
}

fn scalar(v: &serde_yaml_ng::Value) -> Option<String> {
    match v {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `name`'s entry in an `environment:` block: `Some(Some(raw))`, or `Some(None)` when bare.
fn environment_entry(env: Option<&serde_yaml_ng::Value>, name: &str) -> Option<Option<String>> {
    match env? {
        serde_yaml_ng::Value::Mapping(m) => m
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(_, v)| scalar(v)),
        serde_yaml_ng::Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str())
            .map(|i| match i.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (i, None),
            })
            .rfind(|(k, _)| k.trim() == name)
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The paths of a service's `env_file:`, in order.
fn env_files(value: Option<&serde_yaml_ng::Value>) -> Vec<String> {
    match value {
        Some(serde_yaml_ng::Value::String(s)) => vec![s.clone()],
        Some(serde_yaml_ng::Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| match i {
                serde_yaml_ng::Value::String(s) => Some(s.clone()),
                other => other.get("path").and_then(|p| p.as_str()).map(String::from),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Every string value in a YAML tree.
fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml_ng::Value::String(s) => out.push(s.clone()),
        serde_yaml_ng::Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        serde_yaml_ng::Value::Mapping(m) => m.values().for_each(|v| strings(v, out)),
        serde_yaml_ng::Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// The workspace's variables as compose sees them: the shell, then `.env`, read once.
pub struct Vars<'w> {
    pub w: &'w Workspace,
    pub dotenv: DotEnv,
}

impl<'w> Vars<'w> {
    pub fn new(w: &'w Workspace) -> Vars<'w> {
        let shell = |name: &str| {
            w.env.get(name).map(|v| Resolved {
                value: v.clone(),
                source: Source::Shell,
            })
        };
        let dotenv = w
            .dotenv
            .as_ref()
            .map(|f| parse_dotenv(&f.text, &shell, &|line| Source::DotEnv { line }))
            .unwrap_or_default();
        Vars { w, dotenv }
    }

    /// A variable as compose interpolation finds it: the shell's (even empty), else `.env`'s.
    pub fn lookup(&self, name: &str) -> Option<Resolved> {
        if let Some(v) = self.w.env.get(name) {
            return Some(Resolved {
                value: v.clone(),
                source: Source::Shell,
            });
        }
        self.dotenv.get(name).map(|e| Resolved {
            value: e.value.clone(),
            source: Source::DotEnv { line: e.line },
        })
    }

    /// A variable that is set and not blank, in the shell or `.env`.
    pub fn filled(&self, name: &str) -> Option<Resolved> {
        self.lookup(name).filter(|r| !r.value.trim().is_empty())
    }

    pub fn interpolate(&self, raw: &str) -> Interpolated {
        interpolate_with(raw, &|name| self.lookup(name))
    }

    /// The compose service the backend runs as: the manifest's service name, else
    /// `backend-flask`, when the compose files have it.
    pub fn backend_service(&self) -> Option<String> {
        let services = self.w.compose_services();
        [self.w.manifest.workspace.service.as_str(), "backend-flask"]
            .into_iter()
            .find(|s| services.contains_key(*s))
            .map(String::from)
    }

    /// What `service`'s container receives for `name`: its `environment:` entry (the last
    /// compose file that has one wins), else its `env_file:` entry; `None` when neither sets it.
    pub fn service_var(&self, service: &str, name: &str) -> Option<ServiceVar> {
        let mut found = None;
        for file in &self.w.compose {
            let Ok(yaml) = file.yaml() else { continue };
            let Some(svc) = yaml.get("services").and_then(|s| s.get(service)) else {
                continue;
            };
            if let Some(raw) = environment_entry(svc.get("environment"), name) {
                found = Some(self.entry(name, raw, file, service));
            }
        }
        if found.is_some() {
            return found;
        }
        let services = self.w.compose_services();
        let paths = env_files(services.get(service)?.get("env_file"));
        paths
            .iter()
            .rev()
            .find_map(|path| self.env_file_var(path, name))
    }

    fn entry(&self, name: &str, raw: Option<String>, file: &File, service: &str) -> ServiceVar {
        let line = entry_line(file, service, name);
        let (value, used, error) = match &raw {
            Some(raw) => {
                let r = self.interpolate(raw);
                (Some(r.value), r.used, r.error)
            }
            None => {
                let found = self.lookup(name);
                let used = vec![Used {
                    name: name.to_string(),
                    found: found.clone(),
                    required: false,
                }];
                (found.map(|r| r.value), used, None)
            }
        };
        ServiceVar {
            name: name.to_string(),
            raw,
            value,
            file: file.path.clone(),
            line,
            in_compose: true,
            used,
            error,
        }
    }

    fn env_file_var(&self, path: &str, name: &str) -> Option<ServiceVar> {
        let clean = path.trim_start_matches("./");
        let parsed = if clean == ".env" {
            self.dotenv.clone()
        } else {
            let text = std::fs::read_to_string(self.w.dir.join(clean)).ok()?;
            parse_dotenv(&text, &|n| self.lookup(n), &|line| Source::EnvFile {
                path: clean.to_string(),
                line,
            })
        };
        let entry = parsed.get(name)?;
        Some(ServiceVar {
            name: name.to_string(),
            raw: Some(entry.raw.clone()),
            value: Some(entry.value.clone()),
            file: clean.to_string(),
            line: Some(entry.line),
            in_compose: false,
            used: entry.used.clone(),
            error: None,
        })
    }

    /// What the backend's container receives for `name` (see `service_var`).
    pub fn backend_var(&self, name: &str) -> Option<ServiceVar> {
        self.service_var(&self.backend_service()?, name)
    }

    /// What the backend reads for `name`, and from where: compose's entry for the backend
    /// service; without one, the shell's when `or_shell` (the backend may run outside compose),
    /// else nothing when compose runs the backend (its container gets only what compose passes).
    pub fn backend_setting(&self, name: &str, or_shell: bool) -> Setting {
        let service = self.backend_service();
        if let Some(entry) = service.as_ref().and_then(|s| self.service_var(s, name)) {
            return Setting {
                name: name.to_string(),
                value: entry.filled().map(String::from),
                from: entry.origin(),
                entry: Some(entry),
            };
        }
        let files = self
            .w
            .compose
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        let shell = self.w.var(name).map(String::from);
        let from = match (&service, &shell) {
            (Some(s), _) if !or_shell => format!("the {s} service in {files} does not set it"),
            (_, Some(_)) => "the shell".to_string(),
            (Some(s), None) => {
                format!("set neither by the {s} service in {files} nor in the shell")
            }
            (None, None) => "not set in the shell".to_string(),
        };
        Setting {
            name: name.to_string(),
            value: shell.filter(|_| service.is_none() || or_shell),
            from,
            entry: None,
        }
    }

    /// The variables the compose files need set: each `$VAR`, `${VAR}` or `${VAR?...}` that
    /// compose evaluates, with where it is written and what it resolves to. Also what compose
    /// refuses in them (`file:line: why`).
    pub fn references(&self) -> (Vec<Reference>, Vec<String>) {
        let mut refs: Vec<Reference> = Vec::new();
        let mut problems = Vec::new();
        for file in &self.w.compose {
            let texts: Vec<String> = match file.yaml() {
                Ok(yaml) => {
                    let mut out = Vec::new();
                    strings(&yaml, &mut out);
                    out
                }
                Err(_) => live_lines(file).map(|(_, l)| l.to_string()).collect(),
            };
            let locate = |name: &str| {
                live_lines(file)
                    .find(|(_, l)| names_in(l).iter().any(|n| n == name))
                    .map(|(n, _)| format!("{}:{n}", file.path))
                    .unwrap_or_else(|| file.path.clone())
            };
            for text in texts {
                let r = self.interpolate(&text);
                if let Some(why) = &r.error {
                    let at = r
                        .used
                        .last()
                        .map(|u| locate(&u.name))
                        .or_else(|| {
                            live_lines(file)
                                .find(|(_, l)| l.contains(text.lines().next().unwrap_or("")))
                                .map(|(n, _)| format!("{}:{n}", file.path))
                        })
                        .unwrap_or_else(|| file.path.clone());
                    problems.push(format!("{at}: {why}"));
                }
                for u in r.used.into_iter().filter(|u| u.required) {
                    if refs.iter().any(|r| r.name == u.name) {
                        continue;
                    }
                    refs.push(Reference {
                        at: locate(&u.name),
                        name: u.name,
                        found: u.found,
                    });
                }
            }
        }
        problems.dedup();
        (refs, problems)
    }
}

/// A variable as compose interpolation finds it (see `Vars::lookup`).
pub fn lookup(w: &Workspace, name: &str) -> Option<Resolved> {
    Vars::new(w).lookup(name)
}

/// `raw` interpolated as compose does, from the shell and `.env`.
pub fn interpolate(w: &Workspace, raw: &str) -> Interpolated {
    Vars::new(w).interpolate(raw)
}

/// What `service`'s container receives for `name` (see `Vars::service_var`).
pub fn service_var(w: &Workspace, service: &str, name: &str) -> Option<ServiceVar> {
    Vars::new(w).service_var(service, name)
}

/// `.env` as compose reads it.
pub fn dotenv(w: &Workspace) -> DotEnv {
    Vars::new(w).dotenv
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A workspace of `files`, with `shell` as doctor's environment.
    pub(crate) fn workspace(
        dir: &std::path::Path,
        files: &[(&str, &str)],
        shell: &[(&str, &str)],
    ) -> Workspace {
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut w = Workspace::load(dir, None, 0.1);
        w.env = shell
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        w
    }

    fn from<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Resolved> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| Resolved {
                    value: v.to_string(),
                    source: Source::Shell,
                })
        }
    }

    fn value(raw: &str, pairs: &[(&str, &str)]) -> String {
        let r = interpolate_with(raw, &from(pairs));
        assert_eq!(r.error, None, "{raw}");
        r.value
    }

    #[test]
    fn doctor_compose_interpolates_every_form() {
        let set = [("SET", "v"), ("EMPTY", "")];
        assert_eq!(value("a $SET b", &set), "a v b");
        assert_eq!(value("${SET}", &set), "v");
        assert_eq!(value("${UNSET}", &set), "");
        assert_eq!(value("x${SET}y", &set), "xvy");
        assert_eq!(value("${SET:-d}", &set), "v");
        assert_eq!(value("${EMPTY:-d}", &set), "d");
        assert_eq!(value("${UNSET:-d}", &set), "d");
        assert_eq!(value("${EMPTY-d}", &set), "");
        assert_eq!(value("${UNSET-d}", &set), "d");
        assert_eq!(value("${UNSET:-}", &set), "");
        assert_eq!(value("${SET:+alt}", &set), "alt");
        assert_eq!(value("${EMPTY:+alt}", &set), "");
        assert_eq!(value("${EMPTY+alt}", &set), "alt");
        assert_eq!(value("${UNSET+alt}", &set), "");
        assert_eq!(value("$$SET costs $$5", &set), "$SET costs $5");
        assert_eq!(value("${UNSET:-${SET}}", &set), "v");
        assert_eq!(value("${UNSET:-${ALSO:-deep}}/x", &set), "deep/x");
        assert_eq!(value("${SET:?needed}", &set), "v");
        assert_eq!(value("${EMPTY?needed}", &set), "");
        assert_eq!(value("ünïcödé ${SET} ✓", &set), "ünïcödé v ✓");

        let err = interpolate_with("${EMPTY:?set it in .env}", &from(&set));
        assert_eq!(
            err.error.as_deref(),
            Some("required variable EMPTY is missing a value: set it in .env")
        );
        let err = interpolate_with("${UNSET?no}", &from(&set));
        assert!(err.error.is_some());
        for bad in [
            "$", "cost $5", "${", "${SET", "${1X}", "${SET:x}", "$(pwd)", "${SET:-x",
        ] {
            let r = interpolate_with(bad, &from(&set));
            assert!(r.error.is_some(), "{bad} is refused");
        }
    }

    #[test]
    fn doctor_compose_knows_what_is_required_and_where_it_came_from() {
        let set = [("A", "1"), ("EMPTY", "")];
        let r = interpolate_with("${A}-${B}-${C:-x}-${EMPTY}-${D?}", &from(&set));
        let missing: Vec<&str> = r
            .used
            .iter()
            .filter(|u| u.is_missing())
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(missing, vec!["B", "EMPTY", "D"]);
        assert_eq!(
            r.sources(),
            "A from the shell, B set in neither the shell nor .env, C set in neither the shell nor .env, EMPTY empty in the shell, D set in neither the shell nor .env"
        );
    }

    #[test]
    fn doctor_compose_reads_dotenv_as_compose_does() {
        let text = "# the bootcamp's variables\n\
                    export AWS_DEFAULT_REGION=eu-west-1\n\
                    \n\
                    HONEYCOMB_SERVICE_NAME = backend-flask # trailing comment\n\
                    HASH=abc#def\n\
                    SINGLE='${NOT} $$ literal'\n\
                    DOUBLE=\"line\\none ${HASH}\"\n\
                    MULTI=\"first\n\
                    second\"\n\
                    YAMLISH: colon\n\
                    # OLD=commented\n\
                    BARE\n\
                    FROM_SHELL=${SHELL_ONLY}\n\
                    EMPTY=\n\
                    LAST=no final newline";
        let shell = [("SHELL_ONLY", "s")];
        let env = parse_dotenv(text, &from(&shell), &|line| Source::DotEnv { line });
        assert_eq!(env.problems, Vec::<String>::new());
        let get = |n: &str| env.get(n).map(|e| (e.value.clone(), e.line));
        assert_eq!(get("AWS_DEFAULT_REGION"), Some(("eu-west-1".into(), 2)));
        assert_eq!(
            get("HONEYCOMB_SERVICE_NAME"),
            Some(("backend-flask".into(), 4))
        );
        assert_eq!(get("HASH"), Some(("abc#def".into(), 5)));
        assert_eq!(get("SINGLE"), Some(("${NOT} $$ literal".into(), 6)));
        assert_eq!(get("DOUBLE"), Some(("line\none abc#def".into(), 7)));
        assert_eq!(get("MULTI"), Some(("first\nsecond".into(), 8)));
        assert_eq!(get("YAMLISH"), Some(("colon".into(), 10)));
        assert_eq!(get("OLD"), None);
        assert_eq!(get("BARE"), None);
        assert_eq!(get("FROM_SHELL"), Some(("s".into(), 13)));
        assert_eq!(get("EMPTY"), Some(("".into(), 14)));
        assert_eq!(get("LAST"), Some(("no final newline".into(), 15)));
        let double = env.get("DOUBLE").unwrap();
        assert_eq!(
            double.used[0].found.as_ref().unwrap().source,
            Source::DotEnv { line: 5 }
        );

        let bad = parse_dotenv(
            "GOOD=1\nBAD KEY=2\nPRICE=5$\nOPEN=\"never closed\n",
            &from(&[]),
            &|line| Source::DotEnv { line },
        );
        assert_eq!(bad.problems.len(), 3, "{:?}", bad.problems);
        assert!(bad.problems[0].starts_with("line 2"), "{:?}", bad.problems);
        assert!(
            bad.problems[1].starts_with("line 3 (PRICE)"),
            "{:?}",
            bad.problems
        );
        assert!(bad.problems.iter().all(|p| !p.contains("never closed")));
        for text in ["=", "\"", "'", "export", "export ", "A=\"\\", "é=ü", "A=${"] {
            let _ = parse_dotenv(text, &from(&[]), &|line| Source::DotEnv { line });
        }
    }

    #[test]
    fn doctor_compose_never_panics_on_short_tricky_texts() {
        let pieces = [
            "$", "{", "}", ":", "-", "?", "+", "A", "é", "\n", "\"", "'", "#", " ", "=", "\\",
        ];
        let set = [("A", "1")];
        let lookup = from(&set);
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}")))
                .collect();
            for t in &texts {
                let _ = interpolate_with(t, &lookup);
                let _ = parse_dotenv(t, &lookup, &|line| Source::DotEnv { line });
                let _ = names_in(t);
            }
        }
    }

    /// A real-shaped compose file: two-space indentation, comments, a commented-out entry, both
    /// forms of `environment:`, and no final newline.
    const COMPOSE: &str = r#"version: "3.8"
services:
  backend-flask:
    build: ./backend-flask
    environment:
      # OTEL_SERVICE_NAME: "commented-out"
      OTEL_SERVICE_NAME: "${HONEYCOMB_SERVICE_NAME}"
      AWS_DEFAULT_REGION: "${AWS_DEFAULT_REGION}"
      PORT: 4567
      FRONTEND_URL: "${FRONTEND_URL:-http://localhost:3000}"
      BARE:
    env_file: backend.env
  xray-daemon:
    image: "amazon/aws-xray-daemon"
    environment:
      - AWS_REGION=${AWS_REGION}
      - PASSED
    command: "xray -o -b xray-daemon:2000""#;

    #[test]
    fn doctor_compose_dotenv_fills_what_the_shell_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let w = workspace(
            dir.path(),
            &[
                ("docker-compose.yaml", COMPOSE),
                (
                    ".env",
                    "# local values\nHONEYCOMB_SERVICE_NAME=from-dotenv\nAWS_DEFAULT_REGION=eu-west-1\nAWS_REGION=eu-west-1",
                ),
                ("backend.env", "FROM_FILE=${AWS_REGION}\n"),
            ],
            &[("AWS_DEFAULT_REGION", "us-east-1")],
        );
        // The shell wins over .env.
        let region = lookup(&w, "AWS_DEFAULT_REGION").unwrap();
        assert_eq!(
            (region.value.as_str(), region.source.to_string()),
            ("us-east-1", "the shell".to_string())
        );
        let name = lookup(&w, "HONEYCOMB_SERVICE_NAME").unwrap();
        assert_eq!(name.value, "from-dotenv");
        assert_eq!(name.source.to_string(), ".env:2");
        assert_eq!(lookup(&w, "NOWHERE"), None);

        let v = service_var(&w, "backend-flask", "OTEL_SERVICE_NAME").unwrap();
        assert_eq!(v.raw.as_deref(), Some("${HONEYCOMB_SERVICE_NAME}"));
        assert_eq!(v.value.as_deref(), Some("from-dotenv"));
        assert_eq!(v.at(), "docker-compose.yaml:7");
        assert_eq!(
            v.origin(),
            "docker-compose.yaml:7, HONEYCOMB_SERVICE_NAME from .env:2"
        );
        assert!(v.in_compose);

        let v = service_var(&w, "backend-flask", "AWS_DEFAULT_REGION").unwrap();
        assert_eq!(v.value.as_deref(), Some("us-east-1"));
        assert_eq!(
            v.origin(),
            "docker-compose.yaml:8, AWS_DEFAULT_REGION from the shell"
        );

        let v = service_var(&w, "backend-flask", "PORT").unwrap();
        assert_eq!(v.value.as_deref(), Some("4567"));
        assert_eq!(v.origin(), "written in docker-compose.yaml:9");

        let v = service_var(&w, "backend-flask", "FRONTEND_URL").unwrap();
        assert_eq!(v.value.as_deref(), Some("http://localhost:3000"));
        assert!(v.missing().is_empty());

        let v = service_var(&w, "backend-flask", "BARE").unwrap();
        assert_eq!((v.raw.clone(), v.value.clone()), (None, None));
        assert_eq!(v.missing(), vec!["BARE"]);

        let v = service_var(&w, "backend-flask", "FROM_FILE").unwrap();
        assert_eq!(v.value.as_deref(), Some("eu-west-1"));
        assert!(!v.in_compose);
        assert_eq!(v.origin(), "backend.env:1, AWS_REGION from .env:4");

        let v = service_var(&w, "xray-daemon", "AWS_REGION").unwrap();
        assert_eq!(v.value.as_deref(), Some("eu-west-1"));
        assert_eq!(v.at(), "docker-compose.yaml:16");
        let v = service_var(&w, "xray-daemon", "PASSED").unwrap();
        assert_eq!(v.value, None);
        assert_eq!(service_var(&w, "xray-daemon", "OTEL_SERVICE_NAME"), None);
        assert_eq!(service_var(&w, "nothing", "X"), None);
        assert_eq!(
            Vars::new(&w).backend_service().as_deref(),
            Some("backend-flask")
        );

        let (refs, problems) = Vars::new(&w).references();
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<(&str, &str)> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.at.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("HONEYCOMB_SERVICE_NAME", "docker-compose.yaml:7"),
                ("AWS_DEFAULT_REGION", "docker-compose.yaml:8"),
                ("AWS_REGION", "docker-compose.yaml:16"),
            ]
        );
        assert!(refs.iter().all(|r| !r.is_missing()));
    }

    #[test]
    fn doctor_compose_override_file_wins_and_refusals_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let w = workspace(
            dir.path(),
            &[
                ("docker-compose.yaml", COMPOSE),
                (
                    "docker-compose.override.yaml",
                    "services:\n  backend-flask:\n    environment:\n      AWS_DEFAULT_REGION: \"${REGION:?set REGION in .env}\"\n",
                ),
            ],
            &[],
        );
        let v = service_var(&w, "backend-flask", "AWS_DEFAULT_REGION").unwrap();
        assert_eq!(v.file, "docker-compose.override.yaml");
        assert_eq!(v.at(), "docker-compose.override.yaml:4");
        assert_eq!(
            v.error.as_deref(),
            Some("required variable REGION is missing a value: set REGION in .env")
        );
        let (_, problems) = Vars::new(&w).references();
        assert_eq!(
            problems,
            vec!["docker-compose.override.yaml:4: required variable REGION is missing a value: set REGION in .env"]
        );
    }
}
