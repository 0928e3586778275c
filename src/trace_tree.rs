//! One trace as a waterfall: its segment documents (the JSON strings BatchGetTraces answers with)
//! read into a tree of segments and their subsegments, drawn one line each with the duration and
//! a bar that places it within the trace. Pure: documents in, lines out; the caller prints them.
//!
//! A document that is not JSON (or not a JSON object) becomes an "unreadable" line, never a
//! panic; fields of the wrong type count as absent. A document whose `parent_id` names a span in
//! another document (an inferred segment for a downstream call, or a subsegment sent on its own)
//! hangs under that span; every other document is a top-level line.

use std::collections::HashMap;

use anstyle::{AnsiColor, Style};
use serde_json::{json, Map, Value};

/// Columns of the waterfall bar, between its two `|`.
pub const BAR_WIDTH: usize = 30;
/// Longer names are shortened, so that one long name does not push every bar off screen.
const NAME_WIDTH: usize = 48;
/// Longer annotation and metadata values (as JSON) are shortened.
const VALUE_WIDTH: usize = 120;

const FILLED: char = '█';
const RUNNING: char = '░';
const INSTANT: char = '▏';

/// A segment document as read: its JSON object, or why it could not be read.
#[derive(Debug, Clone)]
pub struct Document {
    /// The segment's id as the API gave it beside the document.
    pub id: Option<String>,
    pub json: Result<Value, String>,
}

impl Document {
    pub fn parse(id: Option<&str>, text: &str) -> Document {
        let json = match serde_json::from_str::<Value>(text) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err("not a JSON object".to_string()),
            Err(e) => Err(format!("not valid JSON ({e})")),
        };
        Document {
            id: id.map(str::to_string),
            json,
        }
    }
}

/// What to show besides names, durations and bars, and whether to colour it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub annotations: bool,
    pub metadata: bool,
    pub colour: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Http {
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<i64>,
}

/// A segment or subsegment, with its children in start order.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub name: String,
    pub id: Option<String>,
    parent_id: Option<String>,
    /// Seconds since the epoch, as in the documents.
    pub start: Option<f64>,
    /// None while the span is in progress.
    pub end: Option<f64>,
    pub fault: bool,
    pub error: bool,
    pub throttle: bool,
    pub http: Option<Http>,
    pub annotations: Map<String, Value>,
    pub metadata: Map<String, Value>,
    pub children: Vec<Span>,
    /// Why the document could not be read; the span then has only its id.
    pub unreadable: Option<String>,
    /// A whole document (a segment), not a subsegment inside one.
    pub segment: bool,
}

impl Span {
    fn unreadable(id: Option<String>, why: String) -> Span {
        Span {
            name: String::new(),
            id,
            parent_id: None,
            start: None,
            end: None,
            fault: false,
            error: false,
            throttle: false,
            http: None,
            annotations: Map::new(),
            metadata: Map::new(),
            children: Vec::new(),
            unreadable: Some(why),
            segment: true,
        }
    }

    fn from_json(v: &Value, segment: bool) -> Span {
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        let flag = |key: &str| v.get(key).and_then(Value::as_bool) == Some(true);
        let object = |key: &str| {
            v.get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let http = v.get("http").map(|h| Http {
            method: h
                .pointer("/request/method")
                .and_then(Value::as_str)
                .map(str::to_string),
            url: h
                .pointer("/request/url")
                .and_then(Value::as_str)
                .map(str::to_string),
            status: h.pointer("/response/status").and_then(Value::as_i64),
        });
        let children = v
            .get("subsegments")
            .and_then(Value::as_array)
            .map(|subs| {
                subs.iter()
                    .map(|s| match s.is_object() {
                        true => Span::from_json(s, false),
                        false => {
                            let mut u = Span::unreadable(None, "not a JSON object".into());
                            u.segment = false;
                            u
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Span {
            name: text("name").unwrap_or_else(|| "(no name)".to_string()),
            id: text("id"),
            parent_id: text("parent_id"),
            start: v.get("start_time").and_then(Value::as_f64),
            end: match flag("in_progress") {
                true => None,
                false => v.get("end_time").and_then(Value::as_f64),
            },
            fault: flag("fault"),
            error: flag("error"),
            throttle: flag("throttle"),
            http: http.filter(|h| h.method.is_some() || h.url.is_some() || h.status.is_some()),
            annotations: object("annotations"),
            metadata: object("metadata"),
            children,
            unreadable: None,
            segment,
        }
    }

    pub fn in_progress(&self) -> bool {
        self.unreadable.is_none() && self.end.is_none()
    }

    /// In seconds, once the span has ended.
    pub fn duration(&self) -> Option<f64> {
        Some(self.end? - self.start?)
    }

    /// The span with this id, here or below.
    fn find_mut(&mut self, id: &str) -> Option<&mut Span> {
        if self.id.as_deref() == Some(id) {
            return Some(self);
        }
        self.children.iter_mut().find_map(|c| c.find_mut(id))
    }

    fn ids<'a>(&'a self, out: &mut Vec<&'a str>) {
        out.extend(self.id.as_deref());
        for c in &self.children {
            c.ids(out);
        }
    }

    fn sort(&mut self) {
        sort_spans(&mut self.children);
    }

    fn each<'a>(&'a self, f: &mut impl FnMut(&'a Span)) {
        f(self);
        for c in &self.children {
            c.each(f);
        }
    }
}

/// By start time; spans without one last, unreadable ones after the rest; ties keep their order.
fn sort_spans(spans: &mut [Span]) {
    spans.sort_by(|a, b| match (a.start, b.start) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.unreadable.is_some().cmp(&b.unreadable.is_some()),
    });
    for s in spans {
        s.sort();
    }
}

/// The spans of one trace, and the time it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub roots: Vec<Span>,
    /// The earliest start of any span.
    pub start: Option<f64>,
    /// The latest end (or start, for spans in progress) of any span.
    pub end: Option<f64>,
    pub in_progress: bool,
}

impl Tree {
    pub fn build(documents: &[Document]) -> Tree {
        let mut spans: Vec<Option<Span>> = documents
            .iter()
            .map(|d| {
                Some(match &d.json {
                    Ok(v) => {
                        let mut s = Span::from_json(v, true);
                        if s.id.is_none() {
                            s.id = d.id.clone();
                        }
                        s
                    }
                    Err(why) => Span::unreadable(d.id.clone(), why.clone()),
                })
            })
            .collect();

        // The document holding each span id (the first, if ids repeat).
        let mut owner: HashMap<String, usize> = HashMap::new();
        for (i, s) in spans.iter().enumerate() {
            let mut ids = Vec::new();
            s.as_ref().expect("all spans present").ids(&mut ids);
            for id in ids {
                owner.entry(id.to_string()).or_insert(i);
            }
        }
        let n = spans.len();
        let parent: Vec<Option<usize>> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let p = s.as_ref().and_then(|s| s.parent_id.as_deref())?;
                owner.get(p).copied().filter(|&j| j != i)
            })
            .collect();
        // Documents whose parents lead back to themselves stay at the top, so the rest hang in a
        // forest.
        let in_cycle = |i: usize| {
            let mut j = parent[i];
            for _ in 0..n {
                match j {
                    Some(k) if k == i => return true,
                    Some(k) => j = parent[k],
                    None => return false,
                }
            }
            false
        };
        let hangs: Vec<Option<usize>> =
            (0..n).map(|i| parent[i].filter(|_| !in_cycle(i))).collect();

        let mut roots: Vec<Span> = (0..n)
            .filter(|&i| hangs[i].is_none())
            .map(|i| assemble(i, &mut spans, &hangs))
            .collect();
        sort_spans(&mut roots);

        let (mut start, mut end, mut in_progress) = (None::<f64>, None::<f64>, false);
        for r in &roots {
            r.each(&mut |s| {
                if let Some(t) = s.start {
                    start = Some(start.map_or(t, |x| x.min(t)));
                }
                if let Some(t) = s.end.or(s.start) {
                    end = Some(end.map_or(t, |x| x.max(t)));
                }
                in_progress |= s.in_progress();
            });
        }
        Tree {
            roots,
            start,
            end,
            in_progress,
        }
    }

    /// In seconds, from the earliest start to the latest end.
    pub fn duration(&self) -> Option<f64> {
        Some(self.end? - self.start?)
    }
}

/// Document `i` with the documents that hang under its spans put in place.
fn assemble(i: usize, spans: &mut [Option<Span>], hangs: &[Option<usize>]) -> Span {
    let mut span = spans[i].take().expect("each document is placed once");
    for k in (0..spans.len()).filter(|&k| hangs[k] == Some(i)) {
        let child = assemble(k, spans, hangs);
        let parent_id = child.parent_id.clone().unwrap_or_default();
        match span.find_mut(&parent_id) {
            Some(p) => p.children.push(child),
            None => span.children.push(child),
        }
    }
    span
}

/// Segment documents to lines: the pure function behind `xray traces --trace-id`.
pub fn render(documents: &[Document], opts: Options) -> Vec<String> {
    lines(&Tree::build(documents), opts)
}

struct Row<'a> {
    lead: String,
    below: String,
    span: &'a Span,
}

fn rows<'a>(span: &'a Span, lead: String, next: String, out: &mut Vec<Row<'a>>) {
    let below = format!(
        "{next}{}",
        if span.children.is_empty() {
            "   "
        } else {
            "│  "
        }
    );
    out.push(Row { lead, below, span });
    let count = span.children.len();
    for (k, c) in span.children.iter().enumerate() {
        let last = k + 1 == count;
        rows(
            c,
            format!("{next}{}", if last { "└─ " } else { "├─ " }),
            format!("{next}{}", if last { "   " } else { "│  " }),
            out,
        );
    }
}

/// The tree, one line per span (and, as asked, its annotations and metadata below it).
fn lines(tree: &Tree, opts: Options) -> Vec<String> {
    let mut all = Vec::new();
    for r in &tree.roots {
        rows(r, String::new(), String::new(), &mut all);
    }
    let label = |row: &Row| match &row.span.unreadable {
        Some(_) => match &row.span.id {
            Some(id) => format!("(unreadable segment {})", shorten(&clean(id), 24)),
            None => "(unreadable)".to_string(),
        },
        None => shorten(&clean(&row.span.name), NAME_WIDTH),
    };
    let labels: Vec<String> = all.iter().map(label).collect();
    let durations: Vec<String> = all
        .iter()
        .map(|r| r.span.duration().map_or("-".to_string(), ms))
        .collect();
    let label_width = all
        .iter()
        .zip(&labels)
        .map(|(r, l)| r.lead.chars().count() + l.chars().count())
        .max()
        .unwrap_or(0);
    let duration_width = durations
        .iter()
        .map(|d| d.chars().count())
        .max()
        .unwrap_or(0);

    let mut out = Vec::new();
    for ((row, label), duration) in all.iter().zip(&labels).zip(&durations) {
        let span = row.span;
        let pad = label_width - row.lead.chars().count() - label.chars().count();
        let name_style = paint(
            opts.colour,
            match (&span.unreadable, span.segment) {
                (Some(_), _) => AnsiColor::Red.on_default(),
                (None, true) => Style::new().bold(),
                (None, false) => Style::new(),
            },
        );
        let mut line = format!(
            "{}{name_style}{label}{name_style:#}{:pad$}  {duration:>duration_width$}  |{}|",
            row.lead,
            "",
            bar(span, tree, opts.colour)
        );
        let tail = tail(span, opts.colour);
        if !tail.is_empty() {
            line.push_str("  ");
            line.push_str(&tail);
        }
        out.push(line);
        if span.unreadable.is_some() {
            continue;
        }
        let dim = paint(opts.colour, Style::new().dimmed());
        if opts.annotations {
            for (key, value) in &span.annotations {
                out.push(format!(
                    "{}{dim}annotation.{dim:#}{} = {}",
                    row.below,
                    clean(key),
                    shown(value)
                ));
            }
        }
        if opts.metadata {
            for (namespace, values) in &span.metadata {
                match values.as_object() {
                    Some(values) => {
                        for (key, value) in values {
                            out.push(format!(
                                "{}{dim}metadata.{dim:#}{}.{} = {}",
                                row.below,
                                clean(namespace),
                                clean(key),
                                shown(value)
                            ));
                        }
                    }
                    None => out.push(format!(
                        "{}{dim}metadata.{dim:#}{} = {}",
                        row.below,
                        clean(namespace),
                        shown(values)
                    )),
                }
            }
        }
    }
    out
}

/// The line above the tree: the trace id, when it started, how long it took, how many segments.
pub fn header(trace_id: &str, tree: &Tree, segments: usize, colour: bool) -> String {
    let bold = paint(colour, Style::new().bold());
    let when = tree
        .start
        .map_or("start unknown".to_string(), |t| utc(t, true));
    let took = match (tree.in_progress, tree.duration()) {
        (true, _) => "in progress".to_string(),
        (false, Some(d)) => ms(d),
        (false, None) => "duration unknown".to_string(),
    };
    format!(
        "{bold}{}{bold:#}  {when}  {took}  {segments} segment{}",
        clean(trace_id),
        if segments == 1 { "" } else { "s" }
    )
}

/// The tree as JSON, with the fields the lines show.
pub fn to_json(tree: &Tree, opts: Options) -> Vec<Value> {
    tree.roots
        .iter()
        .map(|s| span_json(s, tree, opts))
        .collect()
}

fn span_json(span: &Span, tree: &Tree, opts: Options) -> Value {
    if let Some(why) = &span.unreadable {
        return json!({ "id": span.id, "unreadable": why });
    }
    let mut o = Map::new();
    o.insert("name".into(), json!(span.name));
    o.insert("id".into(), json!(span.id));
    o.insert("start_time".into(), json!(span.start));
    o.insert("end_time".into(), json!(span.end));
    o.insert("duration_ms".into(), json!(span.duration().map(round_ms)));
    o.insert(
        "offset_ms".into(),
        json!(span.start.zip(tree.start).map(|(s, t)| round_ms(s - t))),
    );
    o.insert("in_progress".into(), json!(span.in_progress()));
    o.insert("fault".into(), json!(span.fault));
    o.insert("error".into(), json!(span.error));
    o.insert("throttle".into(), json!(span.throttle));
    if let Some(h) = &span.http {
        o.insert(
            "http".into(),
            json!({ "method": h.method, "url": h.url, "status": h.status }),
        );
    }
    if opts.annotations {
        o.insert(
            "annotations".into(),
            Value::Object(span.annotations.clone()),
        );
    }
    if opts.metadata {
        o.insert("metadata".into(), Value::Object(span.metadata.clone()));
    }
    o.insert(
        "subsegments".into(),
        Value::Array(
            span.children
                .iter()
                .map(|c| span_json(c, tree, opts))
                .collect(),
        ),
    );
    Value::Object(o)
}

/// Milliseconds to the microsecond, free of float noise such as 59.999999999.
pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1_000_000.0).round() / 1000.0
}

/// A duration in seconds as milliseconds with one decimal: `120.0 ms`.
pub fn ms(seconds: f64) -> String {
    format!("{:.1} ms", round_ms(seconds))
}

/// Where the span lies within the trace: `█` while it ran, `░` from its start on while it is
/// in progress, `▏` for one of no duration, blank when its start is unknown.
fn bar(span: &Span, tree: &Tree, colour: bool) -> String {
    let blank = " ".repeat(BAR_WIDTH);
    let (Some(t0), Some(t1), Some(start)) = (tree.start, tree.end, span.start) else {
        return blank;
    };
    // In whole microseconds from the trace's start, as the documents are written: free of the
    // float noise of subtracting times near 1.7e9.
    let micros = |t: f64| ((t - t0) * 1e6).round().max(0.0) as u128;
    let total = micros(t1);
    let width = BAR_WIDTH as u128;
    let column = |t: f64, up: bool| -> usize {
        if total == 0 {
            return 0;
        }
        let scaled = micros(t) * width;
        let col = scaled / total + u128::from(up && !scaled.is_multiple_of(total));
        col.min(width) as usize
    };
    let first = column(start, false).min(BAR_WIDTH - 1);
    let (last, fill) = match span.end {
        None => (BAR_WIDTH, RUNNING),
        Some(end) if end <= start => (first + 1, INSTANT),
        Some(end) => (column(end, true).clamp(first + 1, BAR_WIDTH), FILLED),
    };
    let style = paint(
        colour,
        match () {
            _ if span.fault => AnsiColor::Red.on_default(),
            _ if span.error => AnsiColor::Yellow.on_default(),
            _ if span.throttle => AnsiColor::Magenta.on_default(),
            _ if span.end.is_none() => Style::new().dimmed(),
            _ => AnsiColor::Cyan.on_default(),
        },
    );
    format!(
        "{}{style}{}{style:#}{}",
        " ".repeat(first),
        fill.to_string().repeat(last - first),
        " ".repeat(BAR_WIDTH - last)
    )
}

/// What follows the bar: the marks, then the request.
fn tail(span: &Span, colour: bool) -> String {
    let mut parts = Vec::new();
    if let Some(why) = &span.unreadable {
        let red = paint(colour, AnsiColor::Red.on_default());
        parts.push(format!("{red}unreadable: {}{red:#}", clean(why)));
    }
    let marks = [
        (span.fault, "fault", AnsiColor::Red.on_default().bold()),
        (span.error, "error", AnsiColor::Yellow.on_default().bold()),
        (
            span.throttle,
            "throttle",
            AnsiColor::Magenta.on_default().bold(),
        ),
        (span.in_progress(), "in progress", Style::new().dimmed()),
    ];
    for (on, word, style) in marks {
        if on {
            let s = paint(colour, style);
            parts.push(format!("{s}{word}{s:#}"));
        }
    }
    if let Some(h) = &span.http {
        let request: Vec<String> = [
            h.method.as_deref().map(clean),
            h.url.as_deref().map(|u| shorten(&clean(u), VALUE_WIDTH)),
            h.status.map(|s| s.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.push(request.join(" "));
    }
    parts.join("  ")
}

fn paint(colour: bool, style: Style) -> Style {
    if colour {
        style
    } else {
        Style::new()
    }
}

/// A value as compact JSON, shortened.
fn shown(value: &Value) -> String {
    shorten(&value.to_string(), VALUE_WIDTH)
}

/// Text from a document with control characters escaped, so none reaches the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = match c.is_control() {
                true => c.escape_default().collect(),
                false => vec![c],
            };
            escaped
        })
        .collect()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut short: String = text.chars().take(max - 1).collect();
        short.push('…');
        short
    } else {
        text.to_string()
    }
}

/// Seconds since the epoch as an RFC 3339 time in UTC, to the second or to the millisecond.
pub fn utc(seconds: f64, millis: bool) -> String {
    let total = (seconds * 1000.0).floor() as i64;
    let (days, of_day) = (total.div_euclid(86_400_000), total.rem_euclid(86_400_000));
    let (y, m, d) = crate::cmd::logs::civil_from_days(days);
    let (h, mi, s, ms) = (
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000,
    );
    if millis {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_714_564_800.0; // 2024-05-01T12:00:00Z

    fn doc(v: Value) -> Document {
        Document::parse(None, &v.to_string())
    }

    fn plain(documents: &[Document]) -> String {
        render(documents, Options::default()).join("\n")
    }

    fn home() -> Value {
        json!({
            "name": "backend-flask", "id": "70de5b6f19ff9a0a",
            "trace_id": "1-66322f40-0123456789abcdef01234567",
            "start_time": T0, "end_time": T0 + 0.120,
            "http": {"request": {"method": "GET", "url": "http://localhost:4567/api/activities/home"},
                     "response": {"status": 200}},
            "annotations": {"user": "andrew"},
            "metadata": {"default": {"count": 3}},
            "subsegments": [
                {"name": "mock-data", "id": "a1", "start_time": T0 + 0.030, "end_time": T0 + 0.090,
                 "subsegments": [
                    {"name": "build", "id": "a2", "start_time": T0 + 0.060, "end_time": T0 + 0.090}
                 ]},
                {"name": "auth", "id": "a0", "start_time": T0, "end_time": T0 + 0.012}
            ]
        })
    }

    #[test]
    fn nested_subsegments_in_start_order_with_bars() {
        assert_eq!(
            plain(&[doc(home())]),
            "\
backend-flask  120.0 ms  |██████████████████████████████|  GET http://localhost:4567/api/activities/home 200
├─ auth         12.0 ms  |███                           |
└─ mock-data    60.0 ms  |       ████████████████       |
   └─ build     30.0 ms  |               ████████       |"
        );
    }

    #[test]
    fn fault_error_and_throttle_are_marked() {
        let mut v = home();
        v["fault"] = json!(true);
        v["http"]["response"]["status"] = json!(500);
        v["subsegments"][0]["error"] = json!(true);
        v["subsegments"][1]["throttle"] = json!(true);
        let out = plain(&[doc(v)]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].ends_with("|  fault  GET http://localhost:4567/api/activities/home 500"),
            "{out}"
        );
        assert!(lines[1].ends_with("|  throttle"), "{out}");
        assert!(lines[2].ends_with("|  error"), "{out}");
        assert!(lines[3].ends_with('|'), "{out}");
    }

    #[test]
    fn in_progress_spans_run_to_the_end_of_the_trace() {
        let mut v = home();
        v.as_object_mut().unwrap().remove("end_time");
        v["in_progress"] = json!(true);
        // An end_time beside in_progress does not count either.
        v["subsegments"][1]["in_progress"] = json!(true);
        let out = plain(&[doc(v)]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "backend-flask        -  |░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░|  in progress  GET http://localhost:4567/api/activities/home 200"
        );
        assert_eq!(
            lines[1],
            "├─ auth              -  |░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░|  in progress"
        );
        let tree = Tree::build(&[doc(home())]);
        assert!(!tree.in_progress);
        assert!(header("1-x", &tree, 1, false).ends_with("  120.0 ms  1 segment"));
        let mut v = home();
        v.as_object_mut().unwrap().remove("end_time");
        let tree = Tree::build(&[doc(v)]);
        assert!(tree.in_progress);
        assert_eq!(
            header("1-x", &tree, 2, false),
            "1-x  2024-05-01T12:00:00.000Z  in progress  2 segments"
        );
    }

    #[test]
    fn durations_of_zero() {
        let zero = json!({
            "name": "instant", "id": "b0", "start_time": T0, "end_time": T0,
            "subsegments": [{"name": "nothing", "id": "b1", "start_time": T0, "end_time": T0}]
        });
        assert_eq!(
            plain(&[doc(zero)]),
            "\
instant     0.0 ms  |▏                             |
└─ nothing  0.0 ms  |▏                             |"
        );
        // Within a longer trace a zero-length span sits where it happened.
        let mut v = home();
        v["subsegments"][1] =
            json!({"name": "check", "start_time": T0 + 0.060, "end_time": T0 + 0.060});
        let out = plain(&[doc(v)]);
        assert!(
            out.contains("├─ mock-data    60.0 ms  |       ████████████████       |\n│  └─ build     30.0 ms"),
            "{out}"
        );
        assert!(
            out.ends_with("└─ check         0.0 ms  |               ▏              |"),
            "{out}"
        );
    }

    #[test]
    fn unreadable_documents_are_shown_never_a_panic() {
        let broken = Document::parse(Some("5a1b2c3d4e5f6071"), "{\"name\": \"backend-flask\", ");
        let out = plain(&[doc(home()), broken.clone()]);
        let last = out.lines().last().unwrap();
        assert!(
            last.starts_with("(unreadable segment 5a1b2c3d4e5f6071)         -  |                              |  unreadable: not valid JSON ("),
            "{out}"
        );
        // Alone, and when the JSON is not an object or its fields have the wrong types.
        assert_eq!(render(&[broken], Options::default()).len(), 1);
        let odd = [
            Document::parse(None, "[1, 2]"),
            Document::parse(None, ""),
            doc(
                json!({"name": 7, "start_time": "soon", "end_time": null, "subsegments": [3, {"name": "x"}],
                       "annotations": [], "http": {"request": "GET"}, "fault": "yes"}),
            ),
        ];
        let out = plain(&odd);
        assert_eq!(
            out,
            "\
(no name)        -  |                              |  in progress
├─ x             -  |                              |  in progress
└─ (unreadable)  -  |                              |  unreadable: not a JSON object
(unreadable)     -  |                              |  unreadable: not a JSON object
(unreadable)     -  |                              |  unreadable: not valid JSON (EOF while parsing a value at line 1 column 0)"
        );
    }

    #[test]
    fn annotations_and_metadata_below_their_span() {
        let opts = Options {
            annotations: true,
            metadata: true,
            colour: false,
        };
        let mut v = home();
        v["subsegments"][0]["annotations"] = json!({"page": 1});
        let out = render(&[doc(v)], opts).join("\n");
        assert_eq!(
            out,
            "\
backend-flask  120.0 ms  |██████████████████████████████|  GET http://localhost:4567/api/activities/home 200
│  annotation.user = \"andrew\"
│  metadata.default.count = 3
├─ auth         12.0 ms  |███                           |
└─ mock-data    60.0 ms  |       ████████████████       |
   │  annotation.page = 1
   └─ build     30.0 ms  |               ████████       |"
        );
    }

    #[test]
    fn documents_hang_under_the_span_their_parent_id_names() {
        let dynamo = json!({"name": "DynamoDB", "id": "c0", "parent_id": "a2", "start_time": T0 + 0.070,
                            "end_time": T0 + 0.080, "inferred": true});
        let orphan = json!({"name": "worker", "id": "d0", "parent_id": "gone", "start_time": T0 + 0.1,
                            "end_time": T0 + 0.11});
        // Two documents naming each other as parents stay at the top.
        let a = json!({"name": "loop-a", "id": "e0", "parent_id": "f0", "start_time": T0 + 0.2, "end_time": T0 + 0.3});
        let b = json!({"name": "loop-b", "id": "f0", "parent_id": "e0", "start_time": T0 + 0.2, "end_time": T0 + 0.3});
        let out = plain(&[doc(dynamo), doc(a), doc(home()), doc(b), doc(orphan)]);
        let names: Vec<String> = out
            .lines()
            .map(|l| {
                let body = l.trim_start();
                let lead = l.len() - body.len();
                l[..lead + body.find("  ").unwrap()].to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "backend-flask",
                "├─ auth",
                "└─ mock-data",
                "   └─ build",
                "      └─ DynamoDB",
                "worker",
                "loop-a",
                "loop-b"
            ]
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let mut v = home();
        v["fault"] = json!(true);
        let plain_lines = render(&[doc(v.clone())], Options::default()).join("\n");
        assert!(!plain_lines.contains('\x1b'));
        let coloured = render(
            &[doc(v)],
            Options {
                colour: true,
                ..Options::default()
            },
        )
        .join("\n");
        assert!(coloured.contains("\x1b[31m"), "{coloured:?}");
        // Escape sequences from a document never reach the terminal as such.
        let sneaky = json!({"name": "a\u{1b}[2Jb", "start_time": T0, "end_time": T0 + 1.0});
        assert!(plain(&[doc(sneaky)]).starts_with("a\\u{1b}[2Jb  "));
    }

    #[test]
    fn json_has_what_the_lines_show() {
        let tree = Tree::build(&[doc(home())]);
        let v = to_json(&tree, Options::default());
        assert_eq!(v[0]["name"], "backend-flask");
        assert_eq!(v[0]["duration_ms"], 120.0);
        assert_eq!(v[0]["http"]["status"], 200);
        assert!(v[0].get("annotations").is_none());
        assert_eq!(v[0]["subsegments"][1]["name"], "mock-data");
        assert_eq!(v[0]["subsegments"][1]["offset_ms"], 30.0);
        assert_eq!(v[0]["subsegments"][1]["subsegments"][0]["name"], "build");
        let with = to_json(
            &tree,
            Options {
                annotations: true,
                ..Options::default()
            },
        );
        assert_eq!(with[0]["annotations"]["user"], "andrew");
        let broken = Tree::build(&[Document::parse(Some("x1"), "nope")]);
        assert_eq!(to_json(&broken, Options::default())[0]["id"], "x1");
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(T0, false), "2024-05-01T12:00:00Z");
        assert_eq!(utc(T0 + 0.1234, true), "2024-05-01T12:00:00.123Z");
        assert_eq!(utc(0.0, true), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc(951_782_400.0, false), "2000-02-29T00:00:00Z");
        assert_eq!(utc(-1.0, false), "1969-12-31T23:59:59Z");
    }
}
