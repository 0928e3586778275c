//! Honeycomb saved queries and a board, declared in `honeycomb/queries.json` (written by `init`,
//! provisioned by `up`): the file's types, and every rule Honeycomb's API and the Terraform
//! honeycombio provider enforce, checked before any call and reported all at once.
//!
//! The file:
//!
//! ```json
//! {
//!   "dataset": "backend-flask",
//!   "queries": [
//!     {"name": "Latency by user", "description": "…", "style": "graph", "query": {…}}
//!   ],
//!   "board": {"name": "Cruddur", "description": "…"}
//! }
//! ```
//!
//! - `dataset` (optional): the dataset slug the queries run on (lowercase letters, digits, `-`,
//!   `_` and `.`), or `__all__` for the whole environment. Default: the workspace's service name,
//!   lowercased (the dataset OpenTelemetry data lands in).
//! - `queries`: the saved queries, each a query annotation (its `name`, 1–80 characters, unique in
//!   the file, and `description`, at most 266 characters) on a query. `style` (`graph`, `table` or
//!   `combo`; default `graph`) is how the board shows it. `query` is Honeycomb's query
//!   specification, exactly as `POST /1/queries/{dataset}` takes it.
//! - `board` (optional): one board showing every query, in the file's order. `name` 1–255
//!   characters, `description` at most 1024.
//!
//! Field names and operators are Honeycomb's, case-sensitive; an unknown one is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

use crate::error::Failure;
use crate::input::JsonInput;
use crate::validate::{did_you_mean, quoted, Problems};

/// Where the declarations live, relative to the workspace.
pub const FILE: &str = "honeycomb/queries.json";

/// Appended to the description of every query annotation `up` writes, to tell its own from the
/// user's.
pub const MARK: &str = " [cruddur-obs]";

/// Honeycomb's limit on a query annotation's description.
const ANNOTATION_DESCRIPTION_MAX: usize = 280;
/// What is left of it for the declared description once MARK is appended.
const DESCRIPTION_MAX: usize = ANNOTATION_DESCRIPTION_MAX - MARK.len();
/// The time range of a query that names none (two hours), in seconds.
const DEFAULT_TIME_RANGE: i64 = 7200;
/// The most calculations, filters, breakdowns and orders a query may have.
const MAX_TERMS: usize = 100;
/// The dataset name that means every dataset of the environment.
const ALL_DATASETS: &str = "__all__";

/// Enums whose JSON form is one of Honeycomb's strings. An unknown string is refused at parse
/// time with its path, line and column, the allowed values and a suggestion.
macro_rules! api_enum {
    (
        $(#[$attr:meta])* $name:ident, $what:literal,
        { $($(#[$vattr:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vattr])* $variant),+
        }

        impl $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];
            const NAMES: &'static [&'static str] = &[$($text),+];

            /// The string Honeycomb's API uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let i = d.deserialize_str(OneOf { what: $what, names: Self::NAMES })?;
                Ok(Self::ALL[i])
            }
        }
    };
}

/// Reads one of `names`, as its index.
struct OneOf {
    what: &'static str,
    names: &'static [&'static str],
}

impl Visitor<'_> for OneOf {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} (one of {})", self.what, self.names.join(", "))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        if let Some(i) = self.names.iter().position(|n| *n == v) {
            return Ok(i);
        }
        let mut text = format!("{} is not a {}", quoted(v), self.what);
        // Operators are mistyped by swapping their characters (=> for >=) as often as by case.
        let sorted = |s: &str| {
            let mut c: Vec<char> = s.chars().collect();
            c.sort_unstable();
            c
        };
        let swapped = self.names.iter().find(|n| sorted(n) == sorted(v)).copied();
        if let Some(right) = swapped.or_else(|| did_you_mean(v, self.names)) {
            text.push_str(&format!(" (did you mean \"{right}\"?)"));
        }
        text.push_str(&format!(
            "; allowed: one of {} (case-sensitive)",
            self.names.join(", ")
        ));
        Err(E::custom(text))
    }
}

api_enum!(
    /// A calculation operator.
    CalculationOp, "calculation op", {
        Count = "COUNT",
        Concurrency = "CONCURRENCY",
        Sum = "SUM",
        Avg = "AVG",
        CountDistinct = "COUNT_DISTINCT",
        Max = "MAX",
        Min = "MIN",
        P001 = "P001",
        P01 = "P01",
        P05 = "P05",
        P10 = "P10",
        P20 = "P20",
        P25 = "P25",
        P50 = "P50",
        P75 = "P75",
        P80 = "P80",
        P90 = "P90",
        P95 = "P95",
        P99 = "P99",
        P999 = "P999",
        Heatmap = "HEATMAP",
        RateAvg = "RATE_AVG",
        RateSum = "RATE_SUM",
        RateMax = "RATE_MAX",
    }
);

impl CalculationOp {
    /// COUNT and CONCURRENCY count events and take no column; every other op needs one.
    pub fn takes_column(self) -> bool {
        !matches!(self, CalculationOp::Count | CalculationOp::Concurrency)
    }
}

api_enum!(
    /// A filter operator.
    FilterOp, "filter op", {
        Equals = "=",
        NotEquals = "!=",
        Greater = ">",
        GreaterOrEqual = ">=",
        Less = "<",
        LessOrEqual = "<=",
        StartsWith = "starts-with",
        DoesNotStartWith = "does-not-start-with",
        EndsWith = "ends-with",
        DoesNotEndWith = "does-not-end-with",
        Exists = "exists",
        DoesNotExist = "does-not-exist",
        Contains = "contains",
        DoesNotContain = "does-not-contain",
        In = "in",
        NotIn = "not-in",
    }
);

/// What a filter operator takes as its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    One,
    List,
}

impl FilterOp {
    fn takes(self) -> Takes {
        match self {
            FilterOp::Exists | FilterOp::DoesNotExist => Takes::Nothing,
            FilterOp::In | FilterOp::NotIn => Takes::List,
            _ => Takes::One,
        }
    }
}

api_enum!(
    /// How several filters combine.
    FilterCombination, "filter combination", {
        And = "AND",
        Or = "OR",
    }
);

api_enum!(
    /// A sort direction.
    SortOrder, "sort order", {
        Ascending = "ascending",
        Descending = "descending",
    }
);

api_enum!(
    /// A having's comparison.
    HavingOp, "having op", {
        Equals = "=",
        NotEquals = "!=",
        Greater = ">",
        GreaterOrEqual = ">=",
        Less = "<",
        LessOrEqual = "<=",
    }
);

api_enum!(
    /// How a board shows a query (a board panel's `query_style`); graph when not given.
    #[derive(Default)]
    QueryStyle, "query style", {
        #[default]
        Graph = "graph",
        Table = "table",
        Combo = "combo",
    }
);

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueriesFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    #[serde(default)]
    pub queries: Vec<SavedQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<Board>,
}

/// A saved query: a query, and the annotation that names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedQuery {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub style: QueryStyle,
    pub query: QuerySpec,
}

/// The board showing every query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Honeycomb's query specification; serializes to exactly the body of `POST /1/queries/{dataset}`
/// (no nulls, no empty lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calculations: Vec<Calculation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_combination: Option<FilterCombination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<Order>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub havings: Vec<Having>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Seconds; 7200 when neither it nor both start_time and end_time are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Seconds per point of the graph; 0 lets Honeycomb pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calculated_fields: Vec<CalculatedField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calculation {
    pub op: CalculationOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub column: String,
    pub op: FilterOp,
    /// None for exists and does-not-exist, an array for in and not-in, else a string, number or
    /// boolean. (`null` reads as none.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<CalculationOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Ascending when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Having {
    pub calculate_op: CalculationOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub op: HavingOp,
    pub value: Number,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalculatedField {
    pub name: String,
    pub expression: String,
}

/// Reads `DIR/honeycomb/queries.json`: `Ok(None)` when there is none, else the path it was read
/// from (relative to DIR, as messages show it) and the file, parsed and valid.
pub fn load(dir: &Path) -> Result<Option<(String, QueriesFile)>, Failure> {
    let text = match std::fs::read_to_string(dir.join(FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::bad_input(format!("cannot read {FILE}: {e}"))),
    };
    let input = JsonInput::inline(FILE, &text);
    Ok(Some((FILE.to_string(), parse(&input)?)))
}

/// Parses and validates the file: every problem in one bad-input failure.
pub fn parse(input: &JsonInput) -> Result<QueriesFile, Failure> {
    let file: QueriesFile = input.parse().map_err(|f| {
        if input.text.trim().is_empty() {
            f.hint("expected a JSON object, for example {\"queries\": []}")
        } else {
            f
        }
    })?;
    file.validate().into_result(&input.origin).map_err(|f| {
        f.hint("nothing was sent to Honeycomb; fix the fields above and run the command again")
    })?;
    Ok(file)
}

impl QueriesFile {
    /// The dataset the queries run on: the declared one, else the service's.
    pub fn dataset(&self, service: &str) -> String {
        self.dataset.clone().unwrap_or_else(|| slug(service))
    }

    /// Every rule on the file, its queries and its board.
    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        if let Some(d) = &self.dataset {
            validate_dataset("dataset", d, &mut p);
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, q) in self.queries.iter().enumerate() {
            let at = format!("queries[{i}]");
            q.validate(&at, &mut p);
            if let Some(first) = seen.get(q.name.as_str()) {
                p.push(
                    format!("{at}.name"),
                    format!("{} is also the name of queries[{first}]", quoted(&q.name)),
                    "a name used once in the file (up finds each saved query by its name)",
                );
            } else {
                seen.insert(&q.name, i);
            }
        }
        if let Some(b) = &self.board {
            name("board.name", &b.name, 255, &mut p);
            p.length("board.description", &b.description, 0, 1024);
        }
        p
    }
}

impl SavedQuery {
    pub fn validate(&self, at: &str, p: &mut Problems) {
        name(&format!("{at}.name"), &self.name, 80, p);
        let n = self.description.chars().count();
        if n > DESCRIPTION_MAX {
            p.push(
                format!("{at}.description"),
                format!("{} is {n} characters long", quoted(&self.description)),
                format!(
                    "at most {DESCRIPTION_MAX} characters (Honeycomb allows \
                     {ANNOTATION_DESCRIPTION_MAX}, and up appends \"{MARK}\" to tell its queries \
                     from yours)"
                ),
            );
        }
        self.query.validate(&format!("{at}.query"), p);
    }
}

/// A name: 1 to `max` characters, not only spaces.
fn name(field: &str, value: &str, max: usize, p: &mut Problems) {
    p.length(field, value, 1, max);
    if !value.is_empty() && value.trim().is_empty() {
        p.push(
            field,
            "is blank",
            format!("1 to {max} characters, not only spaces"),
        );
    }
}

fn validate_dataset(field: &str, dataset: &str, p: &mut Problems) {
    let allowed = format!(
        "a dataset slug of 1 to 255 lowercase letters, digits, - _ and . (for example {}), \
         or {ALL_DATASETS} for every dataset of the environment",
        quoted("backend-flask")
    );
    let n = dataset.chars().count();
    if dataset == ALL_DATASETS {
        return;
    }
    if n == 0 {
        p.push(field, "is empty", allowed);
    } else if n > 255 {
        p.push(
            field,
            format!("{} is {n} characters long", quoted(dataset)),
            allowed,
        );
    } else if let Some(c) = dataset.chars().find(|c| !is_slug_char(*c)) {
        let suggestion = slug(dataset);
        p.push(
            field,
            format!(
                "{} has {}, which a dataset slug cannot have (did you mean {}?)",
                quoted(dataset),
                quoted(&c.to_string()),
                quoted(&suggestion)
            ),
            allowed,
        );
    }
}

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)
}

/// A name as a dataset slug: lowercased, other characters as `-`.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if is_slug_char(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A column name as messages show it.
fn column_text(column: &Option<String>) -> String {
    match column {
        Some(c) => format!("column {}", quoted(c)),
        None => "no column".into(),
    }
}

impl QuerySpec {
    /// Every rule of Honeycomb's query specification, with problems named under `at`.
    pub fn validate(&self, at: &str, p: &mut Problems) {
        for (what, n) in [
            ("calculations", self.calculations.len()),
            ("filters", self.filters.len()),
            ("breakdowns", self.breakdowns.len()),
            ("orders", self.orders.len()),
        ] {
            if n > MAX_TERMS {
                p.push(
                    format!("{at}.{what}"),
                    format!("{n} {what} given"),
                    format!("at most {MAX_TERMS} {what}"),
                );
            }
        }
        self.validate_calculations(at, p);
        self.validate_filters(at, p);
        for (i, b) in self.breakdowns.iter().enumerate() {
            required(&format!("{at}.breakdowns[{i}]"), b, "a column name", p);
        }
        self.validate_orders(at, p);
        self.validate_havings(at, p);
        if let Some(limit) = self.limit {
            p.int_range(&format!("{at}.limit"), limit, 1, Some(1000));
        }
        self.validate_time(at, p);
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, f) in self.calculated_fields.iter().enumerate() {
            let field = format!("{at}.calculated_fields[{i}]");
            required(&format!("{field}.name"), &f.name, "a name", p);
            required(
                &format!("{field}.expression"),
                &f.expression,
                "an expression, such as LTE($duration_ms, 200)",
                p,
            );
            if let Some(first) = names.get(f.name.as_str()) {
                p.push(
                    format!("{field}.name"),
                    format!(
                        "{} is also the name of calculated_fields[{first}]",
                        quoted(&f.name)
                    ),
                    "a name used once among the calculated fields",
                );
            } else {
                names.insert(&f.name, i);
            }
        }
    }

    /// The calculations Honeycomb runs: the declared ones, or COUNT when none are.
    fn effective_calculations(&self) -> Vec<Calculation> {
        if self.calculations.is_empty() {
            vec![Calculation {
                op: CalculationOp::Count,
                column: None,
                name: None,
            }]
        } else {
            self.calculations.clone()
        }
    }

    fn validate_calculations(&self, at: &str, p: &mut Problems) {
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in self.calculations.iter().enumerate() {
            let field = format!("{at}.calculations[{i}]");
            validate_op_column(&field, "op", c.op, &c.column, p);
            if let Some(name) = &c.name {
                required(&format!("{field}.name"), name, "a name, or no \"name\"", p);
                if let Some(first) = names.get(name.as_str()) {
                    p.push(
                        format!("{field}.name"),
                        format!("{} is also the name of calculations[{first}]", quoted(name)),
                        "a name used once among the calculations",
                    );
                } else {
                    names.insert(name, i);
                }
            }
        }
    }

    fn validate_filters(&self, at: &str, p: &mut Problems) {
        for (i, f) in self.filters.iter().enumerate() {
            let field = format!("{at}.filters[{i}]");
            required(&format!("{field}.column"), &f.column, "a column name", p);
            let value_field = format!("{field}.value");
            let op = f.op;
            match (op.takes(), &f.value) {
                (Takes::Nothing, Some(v)) => p.push(
                    value_field,
                    format!("{op} takes no value, but {} is given", shown(v)),
                    format!(
                        "no value: remove \"value\" (or use = to compare with {})",
                        shown(v)
                    ),
                ),
                (Takes::One, None) => p.push(
                    value_field,
                    format!("{op} needs a value, and none is given"),
                    "a string, number or boolean",
                ),
                (Takes::One, Some(v)) if !is_scalar(v) => p.push(
                    value_field,
                    format!("{} is not a single value", shown(v)),
                    format!(
                        "a string, number or boolean for {op} (a list of values goes with in or \
                         not-in)"
                    ),
                ),
                (Takes::List, v) => {
                    let good = matches!(v, Some(Value::Array(items))
                        if !items.is_empty() && items.iter().all(is_scalar));
                    if !good {
                        let what = match v {
                            None => "none is given".to_string(),
                            Some(Value::Array(items)) if items.is_empty() => {
                                "the array is empty".to_string()
                            }
                            Some(v @ Value::Array(_)) => {
                                format!("{} holds something other than a value", shown(v))
                            }
                            Some(v) => format!("{} is not an array", shown(v)),
                        };
                        p.push(
                            value_field,
                            format!("{op} needs an array of values: {what}"),
                            "a non-empty array of strings, numbers or booleans, for example \
                             [\"/api/activities/home\", \"/api/health\"]",
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn validate_orders(&self, at: &str, p: &mut Problems) {
        let calculations = self.effective_calculations();
        // What an order may name, as messages show it.
        let mut terms: Vec<String> = Vec::new();
        for c in &calculations {
            // HEATMAP cannot be sorted by; a calculation wrong itself is reported on its own.
            if c.op == CalculationOp::Heatmap || c.op.takes_column() != c.column.is_some() {
                continue;
            }
            terms.push(match &c.column {
                Some(col) => format!("{{\"op\": \"{}\", \"column\": {}}}", c.op, quoted(col)),
                None => format!("{{\"op\": \"{}\"}}", c.op),
            });
            if let Some(n) = &c.name {
                terms.push(format!(
                    "{{\"column\": {}}} (a calculation's name)",
                    quoted(n)
                ));
            }
        }
        for b in &self.breakdowns {
            terms.push(format!("{{\"column\": {}}} (a breakdown)", quoted(b)));
        }
        let allowed = if terms.is_empty() {
            "a calculation (but not HEATMAP) or a breakdown of this query; it has none to order by"
                .to_string()
        } else {
            format!("one of {}", terms.join(", "))
        };
        for (i, o) in self.orders.iter().enumerate() {
            let field = format!("{at}.orders[{i}]");
            let found = match (o.op, &o.column) {
                (Some(CalculationOp::Heatmap), column) => {
                    p.push(
                        format!("{field}.op"),
                        format!(
                            "orders by HEATMAP ({}), which has no single value to sort by",
                            column_text(column)
                        ),
                        allowed.clone(),
                    );
                    continue;
                }
                (Some(op), column) => calculations
                    .iter()
                    .any(|c| c.op == op && c.column == *column),
                (None, Some(column)) => {
                    self.breakdowns.contains(column)
                        || calculations
                            .iter()
                            .any(|c| c.name.as_deref() == Some(column.as_str()))
                }
                (None, None) => {
                    p.push(field, "names neither an op nor a column", allowed.clone());
                    continue;
                }
            };
            if !found {
                let what = match (o.op, &o.column) {
                    (Some(op), column) => format!(
                        "orders by {op} with {}, which is not one of the calculations",
                        column_text(column)
                    ),
                    (None, column) => format!(
                        "orders by {}, which is neither a breakdown nor a calculation's name",
                        column_text(column)
                    ),
                };
                p.push(field, what, allowed.clone());
            }
        }
    }

    fn validate_havings(&self, at: &str, p: &mut Problems) {
        let calculations = self.effective_calculations();
        let terms: Vec<String> = calculations
            .iter()
            .filter(|c| c.op != CalculationOp::Heatmap && c.op.takes_column() == c.column.is_some())
            .map(|c| match &c.column {
                Some(col) => format!(
                    "{{\"calculate_op\": \"{}\", \"column\": {}}}",
                    c.op,
                    quoted(col)
                ),
                None => format!("{{\"calculate_op\": \"{}\"}}", c.op),
            })
            .collect();
        let allowed = if terms.is_empty() {
            "a calculation of this query other than HEATMAP; it has none".to_string()
        } else {
            format!("one of the calculations: {}", terms.join(", "))
        };
        for (i, h) in self.havings.iter().enumerate() {
            let field = format!("{at}.havings[{i}]");
            let op = h.calculate_op;
            if op == CalculationOp::Heatmap {
                p.push(
                    format!("{field}.calculate_op"),
                    "HEATMAP has no single value to compare",
                    allowed.clone(),
                );
                continue;
            }
            validate_op_column(&field, "calculate_op", op, &h.column, p);
            let matches = calculations
                .iter()
                .any(|c| c.op == op && c.column == h.column);
            if !matches {
                p.push(
                    field,
                    format!(
                        "{op} with {} is not one of the calculations",
                        column_text(&h.column)
                    ),
                    allowed.clone(),
                );
            }
        }
    }

    fn validate_time(&self, at: &str, p: &mut Problems) {
        let f = |name: &str| format!("{at}.{name}");
        if let Some(t) = self.time_range {
            p.int_range(&f("time_range"), t, 1, None);
        }
        if let Some(s) = self.start_time {
            p.int_range(&f("start_time"), s, 0, None);
        }
        if let Some(e) = self.end_time {
            p.int_range(&f("end_time"), e, 0, None);
        }
        match (self.time_range, self.start_time, self.end_time) {
            (Some(t), Some(s), Some(e)) => p.push(
                at,
                format!("time_range ({t}), start_time ({s}) and end_time ({e}) are all given"),
                "at most two of them: time_range alone (the last N seconds), start_time and \
                 end_time, or either one with time_range",
            ),
            (None, Some(s), Some(e)) if s >= e => p.push(
                f("end_time"),
                format!("{e} is not after start_time ({s})"),
                "an end_time later than start_time",
            ),
            _ => {}
        }
        let Some(g) = self.granularity else { return };
        let range = match (self.time_range, self.start_time, self.end_time) {
            (Some(t), _, _) => t,
            (None, Some(s), Some(e)) => e.saturating_sub(s),
            _ => DEFAULT_TIME_RANGE,
        };
        let min = (range / 1000).max(1);
        let allowed = format!(
            "0 (Honeycomb picks), or {min} to {range} seconds: between the time range / 1000 and \
             the time range ({range} seconds{})",
            if self.time_range.is_none() && range == DEFAULT_TIME_RANGE {
                ", the default"
            } else {
                ""
            }
        );
        let field = f("granularity");
        if g < 0 {
            p.push(field, format!("{g} is negative"), allowed);
        } else if range < 1 {
            // The time range is wrong itself, and said so above.
        } else if g > range {
            p.push(
                field,
                format!("{g} seconds is longer than the time range"),
                allowed,
            );
        } else if g != 0 && g < range / 1000 {
            p.push(
                field,
                format!("{g} seconds is finer than the time range / 1000"),
                allowed,
            );
        }
    }
}

/// An op and its column: none for COUNT and CONCURRENCY, one (not empty) for every other op.
fn validate_op_column(
    field: &str,
    op_name: &str,
    op: CalculationOp,
    column: &Option<String>,
    p: &mut Problems,
) {
    match (op.takes_column(), column) {
        (false, Some(c)) => p.push(
            format!("{field}.column"),
            format!("{op} counts events and takes no column, but {} is given", quoted(c)),
            format!("no column with {op}: remove \"column\" (or use another op, such as COUNT_DISTINCT)"),
        ),
        (true, None) => p.push(
            format!("{field}.{op_name}"),
            format!("{op} needs a column, and none is given"),
            format!("a \"column\" to compute {op} on, such as \"duration_ms\""),
        ),
        (true, Some(c)) => required(&format!("{field}.column"), c, "a column name", p),
        (false, None) => {}
    }
}

/// A value that must not be empty.
fn required(field: &str, value: &str, allowed: &str, p: &mut Problems) {
    if value.is_empty() {
        p.push(field, "is empty", allowed);
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// A JSON value as a message shows it: shortened when long.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    const MAX: usize = 60;
    if text.chars().count() > MAX {
        let short: String = text.chars().take(MAX).collect();
        format!("{short}…")
    } else {
        text
    }
}

/// `description` with MARK appended: what `up` writes as the annotation's description.
pub fn described(description: &str) -> String {
    if description.is_empty() {
        // Honeycomb may trim a leading space; never write one.
        MARK.trim_start().to_string()
    } else {
        format!("{description}{MARK}")
    }
}

/// Whether an annotation's description is one `up` wrote (it ends with MARK).
pub fn is_ours(description: &str) -> bool {
    description.trim_end().ends_with(MARK.trim_start())
}

/// Whether a query spec as Honeycomb returns it (`GET /1/queries/{dataset}/{id}`) is the declared
/// one. Fields Honeycomb fills in count as absent when they hold its default: no calculations
/// and `[{"op": "COUNT"}]`, `filter_combination` and AND, an order's `order` and ascending, no
/// time range and 7200 (a window given by two of time_range, start_time and end_time is compared
/// as the window, however it is given), no granularity and 0, no limit and 100 or 1000 (Honeycomb
/// documents 100, the Terraform provider 1000), a missing list and an empty one, null and absent.
/// Numbers compare by value (100 equals 100.0). Fields cruddur-obs does not declare (`id`,
/// anything newer) are ignored. Lists compare in order.
pub fn same_spec(declared: &QuerySpec, found: &Value) -> bool {
    let Ok(mine) = serde_json::to_value(declared) else {
        return false;
    };
    if !found.is_object() {
        return false;
    }
    same_value(&canonical(&mine), &canonical(found))
        && same_limit(int(&mine["limit"]), int(&found["limit"]))
}

/// The limits Honeycomb may report for a query that sets none.
const DEFAULT_LIMITS: &[i64] = &[100, 1000];

fn same_limit(declared: Option<i64>, found: Option<i64>) -> bool {
    match (declared, found) {
        (Some(d), Some(f)) => d == f,
        (None, None) => true,
        (Some(l), None) | (None, Some(l)) => DEFAULT_LIMITS.contains(&l),
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        _ => None,
    }
}

/// A spec with Honeycomb's defaults filled in and only the fields compared.
fn canonical(spec: &Value) -> Value {
    let list = |name: &str| match &spec[name] {
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    let pick = |item: &Value, keys: &[&str]| -> Value {
        let mut m = Map::new();
        for k in keys {
            match &item[*k] {
                Value::Null => {}
                Value::String(s) if s.is_empty() && *k == "name" => {}
                v => {
                    m.insert(k.to_string(), v.clone());
                }
            }
        }
        Value::Object(m)
    };
    let mut calculations: Vec<Value> = list("calculations")
        .iter()
        .map(|c| pick(c, &["op", "column", "name"]))
        .collect();
    if calculations.is_empty() {
        calculations.push(serde_json::json!({"op": "COUNT"}));
    }
    let filters: Vec<Value> = list("filters")
        .iter()
        .map(|f| pick(f, &["column", "op", "value"]))
        .collect();
    let orders: Vec<Value> = list("orders")
        .iter()
        .map(|o| {
            let mut v = pick(o, &["op", "column", "order"]);
            v.as_object_mut()
                .expect("an object")
                .entry("order")
                .or_insert_with(|| Value::from("ascending"));
            v
        })
        .collect();
    let havings: Vec<Value> = list("havings")
        .iter()
        .map(|h| pick(h, &["calculate_op", "column", "op", "value"]))
        .collect();
    let calculated: Vec<Value> = list("calculated_fields")
        .iter()
        .map(|c| pick(c, &["name", "expression"]))
        .collect();
    let combination = match &spec["filter_combination"] {
        Value::Null => Value::from("AND"),
        v => v.clone(),
    };
    let (range, start) = window(
        int(&spec["time_range"]),
        int(&spec["start_time"]),
        int(&spec["end_time"]),
    );
    serde_json::json!({
        "calculations": calculations,
        "filters": filters,
        "filter_combination": combination,
        "breakdowns": list("breakdowns"),
        "orders": orders,
        "havings": havings,
        "calculated_fields": calculated,
        "time_range": range,
        "start_time": start,
        "granularity": int(&spec["granularity"]).unwrap_or(0),
    })
}

/// A query's time window as (length, start): start is None for "the last `length` seconds".
fn window(range: Option<i64>, start: Option<i64>, end: Option<i64>) -> (i64, Option<i64>) {
    match (range, start, end) {
        (_, Some(s), Some(e)) => (e.saturating_sub(s), Some(s)),
        (r, Some(s), None) => (r.unwrap_or(DEFAULT_TIME_RANGE), Some(s)),
        (r, None, Some(e)) => {
            let r = r.unwrap_or(DEFAULT_TIME_RANGE);
            (r, Some(e.saturating_sub(r)))
        }
        (r, None, None) => (r.unwrap_or(DEFAULT_TIME_RANGE), None),
    }
}

/// JSON equality with numbers compared by value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;
    use serde_json::json;

    const TEMPLATE: &str = include_str!("../templates/honeycomb/queries.json");

    /// The template as `init` renders it for the default service.
    fn rendered() -> String {
        TEMPLATE.replace("{{ workspace.service }}", "backend-flask")
    }

    fn template() -> QueriesFile {
        parse(&JsonInput::inline(FILE, &rendered())).unwrap_or_else(|f| panic!("{f}"))
    }

    fn bad(text: &str) -> Failure {
        let f = parse(&JsonInput::inline(FILE, text)).expect_err("a bad file");
        assert_eq!(f.exit, Exit::BadInput, "{}", f.message);
        f
    }

    /// The failure for a file holding one query with `spec`.
    fn bad_spec(spec: &str) -> Failure {
        bad(&format!(
            "{{\"queries\": [{{\"name\": \"Q\", \"query\": {spec}}}]}}"
        ))
    }

    fn assert_says(f: &Failure, parts: &[&str]) {
        for part in parts {
            assert!(
                f.message.contains(part),
                "{part:?} is not in the message:\n{}",
                f.message
            );
        }
    }

    #[test]
    fn the_template_renders_parses_and_validates() {
        let env = minijinja::Environment::new();
        let context = minijinja::context! {
            workspace => minijinja::context! { service => "backend-flask" }
        };
        let by_minijinja = env.render_str(TEMPLATE, context).unwrap();
        assert_eq!(by_minijinja.trim_end(), rendered().trim_end());
        for syntax in ["{#", "{%", "%}", "#}"] {
            assert!(!TEMPLATE.contains(syntax), "the template holds {syntax}");
        }
        assert_eq!(
            TEMPLATE.matches("{{").count(),
            TEMPLATE.matches("{{ workspace.service }}").count()
        );

        let file = template();
        let names: Vec<&str> = file.queries.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Latency by user",
                "Recent traces",
                "Slowest home feed",
                "Errors by route"
            ]
        );
        let board = file.board.as_ref().unwrap();
        assert_eq!(board.name, "Cruddur");
        assert!(board.description.contains("backend-flask service"));
        assert_eq!(file.dataset("backend-flask"), "backend-flask");
        assert_eq!(
            file.queries.iter().map(|q| q.style).collect::<Vec<_>>(),
            [
                QueryStyle::Graph,
                QueryStyle::Table,
                QueryStyle::Graph,
                QueryStyle::Combo
            ]
        );
        for q in &file.queries {
            assert!(!q.description.is_empty(), "{} has no description", q.name);
        }
        // Exactly what is POSTed.
        assert_eq!(
            serde_json::to_value(&file.queries[0].query).unwrap(),
            json!({
                "calculations": [
                    {"op": "HEATMAP", "column": "duration_ms"},
                    {"op": "P90", "column": "duration_ms"}
                ],
                "filters": [{"column": "user.id", "op": "exists"}],
                "breakdowns": ["user.id"],
                "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}]
            })
        );
        assert_eq!(
            serde_json::to_value(&file.queries[1].query).unwrap(),
            json!({
                "calculations": [{"op": "COUNT"}],
                "breakdowns": ["trace.trace_id"],
                "orders": [{"op": "COUNT", "order": "descending"}],
                "limit": 100,
                "time_range": 600
            })
        );
    }

    #[test]
    fn a_service_with_capitals_still_gives_a_valid_template_and_dataset() {
        let text = TEMPLATE.replace("{{ workspace.service }}", "Backend.Flask_2");
        let file = parse(&JsonInput::inline(FILE, &text)).unwrap();
        assert_eq!(file.dataset("Backend.Flask_2"), "backend.flask_2");
        let declared: QueriesFile =
            parse(&JsonInput::inline(FILE, r#"{"dataset": "__all__"}"#)).unwrap();
        assert_eq!(declared.dataset("backend-flask"), "__all__");
    }

    #[test]
    fn unknown_calculation_op_suggests_the_right_one() {
        let f = bad_spec(r#"{"calculations": [{"op": "P9O", "column": "duration_ms"}]}"#);
        assert_says(
            &f,
            &[
                "honeycomb/queries.json:1:",
                "queries[0].query.calculations[0].op",
                "\"P9O\" is not a calculation op",
                "did you mean \"P90\"?",
                "allowed: one of COUNT, CONCURRENCY, SUM, AVG, COUNT_DISTINCT",
            ],
        );
        let f = bad_spec(r#"{"calculations": [{"op": "count"}]}"#);
        assert_says(&f, &["did you mean \"COUNT\"?"]);
        let f = bad_spec(r#"{"calculations": [{"op": 5}]}"#);
        assert_says(
            &f,
            &[
                "calculations[0].op",
                "integer `5`",
                "one of COUNT, CONCURRENCY",
            ],
        );
    }

    #[test]
    fn count_takes_no_column() {
        let f = bad_spec(r#"{"calculations": [{"op": "COUNT", "column": "duration_ms"}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.calculations[0].column",
                "\"duration_ms\"",
                "allowed: no column with COUNT",
            ],
        );
        let f = bad_spec(r#"{"calculations": [{"op": "CONCURRENCY", "column": "x"}]}"#);
        assert_says(
            &f,
            &["calculations[0].column", "no column with CONCURRENCY"],
        );
    }

    #[test]
    fn p90_needs_a_column() {
        let f = bad_spec(r#"{"calculations": [{"op": "P90"}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.calculations[0].op: P90 needs a column",
                "allowed: a \"column\" to compute P90 on",
            ],
        );
        let f = bad_spec(r#"{"calculations": [{"op": "P90", "column": ""}]}"#);
        assert_says(&f, &["calculations[0].column: is empty"]);
    }

    #[test]
    fn unknown_filter_op_suggests_the_right_one() {
        let f = bad_spec(r#"{"filters": [{"column": "name", "op": "start-with", "value": "x"}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.filters[0].op",
                "\"start-with\" is not a filter op",
                "did you mean \"starts-with\"?",
                "=, !=, >, >=, <, <=, starts-with",
                "in, not-in",
            ],
        );
    }

    #[test]
    fn exists_takes_no_value() {
        let f = bad_spec(r#"{"filters": [{"column": "error", "op": "exists", "value": true}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.filters[0].value: exists takes no value, but true is given",
                "allowed: no value",
            ],
        );
        // null reads as no value.
        let ok = r#"{"queries": [{"name": "Q", "query":
            {"filters": [{"column": "error", "op": "does-not-exist", "value": null}]}}]}"#;
        parse(&JsonInput::inline(FILE, ok)).unwrap();
    }

    #[test]
    fn in_needs_an_array() {
        let f = bad_spec(r#"{"filters": [{"column": "http.route", "op": "in", "value": "/api"}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.filters[0].value: in needs an array of values: \"/api\" is not an array",
                "allowed: a non-empty array of strings, numbers or booleans",
            ],
        );
        let f = bad_spec(r#"{"filters": [{"column": "c", "op": "not-in", "value": []}]}"#);
        assert_says(&f, &["not-in needs an array of values: the array is empty"]);
        let f = bad_spec(r#"{"filters": [{"column": "c", "op": "in", "value": [[1]]}]}"#);
        assert_says(&f, &["[[1]] holds something other than a value"]);
        let f = bad_spec(r#"{"filters": [{"column": "c", "op": "in"}]}"#);
        assert_says(&f, &["in needs an array of values: none is given"]);
    }

    #[test]
    fn equals_needs_one_value() {
        let f = bad_spec(r#"{"filters": [{"column": "c", "op": "=", "value": ["a", "b"]}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.filters[0].value: [\"a\",\"b\"] is not a single value",
                "allowed: a string, number or boolean for =",
            ],
        );
        let f = bad_spec(r#"{"filters": [{"column": "c", "op": ">"}]}"#);
        assert_says(&f, &["filters[0].value: > needs a value"]);
        let f = bad_spec(r#"{"filters": [{"column": "", "op": "=", "value": 1}]}"#);
        assert_says(&f, &["filters[0].column: is empty"]);
    }

    #[test]
    fn an_order_must_name_a_calculation_or_a_breakdown() {
        let f = bad_spec(
            r#"{"calculations": [{"op": "P90", "column": "duration_ms"}],
                "breakdowns": ["user.id"],
                "orders": [{"op": "P99", "column": "duration_ms"}, {"column": "http.route"}, {}]}"#,
        );
        assert_says(
            &f,
            &[
                "3 problems",
                "queries[0].query.orders[0]: orders by P99 with column \"duration_ms\", which is not one of the calculations",
                "allowed: one of {\"op\": \"P90\", \"column\": \"duration_ms\"}, {\"column\": \"user.id\"} (a breakdown)",
                "queries[0].query.orders[1]: orders by column \"http.route\", which is neither a breakdown nor a calculation's name",
                "queries[0].query.orders[2]: names neither an op nor a column",
            ],
        );
        // COUNT is the calculation of a query that declares none; a named calculation counts.
        let ok = r#"{"queries": [{"name": "Q", "query": {"orders": [{"op": "COUNT"}]}},
            {"name": "R", "query": {"calculations": [{"op": "AVG", "column": "d", "name": "avg"}],
             "orders": [{"column": "avg", "order": "ascending"}]}}]}"#;
        parse(&JsonInput::inline(FILE, ok)).unwrap();
    }

    #[test]
    fn no_order_by_heatmap() {
        let f = bad_spec(
            r#"{"calculations": [{"op": "HEATMAP", "column": "duration_ms"}],
                "orders": [{"op": "HEATMAP", "column": "duration_ms", "order": "descending"}]}"#,
        );
        assert_says(
            &f,
            &[
                "queries[0].query.orders[0].op: orders by HEATMAP (column \"duration_ms\")",
                "allowed: a calculation (but not HEATMAP) or a breakdown of this query",
            ],
        );
    }

    #[test]
    fn limit_is_1_to_1000() {
        for limit in [0, 1001, -5] {
            let f = bad_spec(&format!("{{\"limit\": {limit}}}"));
            assert_says(
                &f,
                &[
                    &format!("queries[0].query.limit: {limit} is out of range"),
                    "allowed: a whole number from 1 to 1000",
                ],
            );
        }
        let f = bad_spec(r#"{"limit": 2.5}"#);
        assert_says(&f, &["queries[0].query.limit", "expected a whole number"]);
    }

    #[test]
    fn granularity_lies_between_a_thousandth_of_the_time_range_and_all_of_it() {
        let f = bad_spec(r#"{"time_range": 60000, "granularity": 59}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.granularity: 59 seconds is finer than the time range / 1000",
                "allowed: 0 (Honeycomb picks), or 60 to 60000 seconds",
            ],
        );
        let f = bad_spec(r#"{"time_range": 600, "granularity": 601}"#);
        assert_says(
            &f,
            &[
                "queries[0].query.granularity: 601 seconds is longer than the time range",
                "1 to 600 seconds",
            ],
        );
        // No time range: the default, two hours.
        let f = bad_spec(r#"{"granularity": 7201}"#);
        assert_says(&f, &["7 to 7200 seconds", "the default"]);
        let f = bad_spec(r#"{"granularity": 6}"#);
        assert_says(&f, &["6 seconds is finer"]);
        let f = bad_spec(r#"{"granularity": -1}"#);
        assert_says(&f, &["granularity: -1 is negative"]);
        // start and end give the range.
        let f = bad_spec(r#"{"start_time": 1000, "end_time": 1100, "granularity": 101}"#);
        assert_says(&f, &["1 to 100 seconds"]);
        for ok in [
            r#"{"granularity": 0}"#,
            r#"{"granularity": 7}"#,
            r#"{"granularity": 7200}"#,
            r#"{"time_range": 60000, "granularity": 60}"#,
        ] {
            let text = format!("{{\"queries\": [{{\"name\": \"Q\", \"query\": {ok}}}]}}");
            parse(&JsonInput::inline(FILE, &text)).unwrap_or_else(|f| panic!("{ok}: {f}"));
        }
    }

    #[test]
    fn at_most_two_of_time_range_start_time_and_end_time() {
        let f =
            bad_spec(r#"{"time_range": 3600, "start_time": 1700000000, "end_time": 1700003600}"#);
        assert_says(
            &f,
            &[
                "queries[0].query: time_range (3600), start_time (1700000000) and end_time (1700003600) are all given",
                "allowed: at most two of them",
            ],
        );
        let f = bad_spec(r#"{"start_time": 1700003600, "end_time": 1700000000}"#);
        assert_says(
            &f,
            &["queries[0].query.end_time: 1700000000 is not after start_time (1700003600)"],
        );
        let f = bad_spec(r#"{"time_range": 0}"#);
        assert_says(&f, &["queries[0].query.time_range: 0 is out of range"]);
    }

    #[test]
    fn an_annotation_name_is_1_to_80_characters() {
        let f = bad(r#"{"queries": [{"name": "", "query": {}}]}"#);
        assert_says(
            &f,
            &["queries[0].name: is empty; allowed: 1 to 80 characters"],
        );
        let long = "é".repeat(81);
        let f = bad(&format!(
            "{{\"queries\": [{{\"name\": \"{long}\", \"query\": {{}}}}]}}"
        ));
        assert_says(
            &f,
            &[
                "queries[0].name: \"éééé",
                "is 81 characters long; allowed: 1 to 80 characters",
            ],
        );
        let f = bad(r#"{"queries": [{"name": "   ", "query": {}}]}"#);
        assert_says(&f, &["queries[0].name: is blank"]);
        let ok = format!(
            "{{\"queries\": [{{\"name\": \"{}\", \"query\": {{}}}}]}}",
            "é".repeat(80)
        );
        parse(&JsonInput::inline(FILE, &ok)).unwrap();
    }

    #[test]
    fn a_description_leaves_room_for_the_mark() {
        let text = |n: usize| {
            format!(
                "{{\"queries\": [{{\"name\": \"Q\", \"description\": \"{}\", \"query\": {{}}}}]}}",
                "d".repeat(n)
            )
        };
        let f = bad(&text(267));
        assert_says(
            &f,
            &[
                "queries[0].description: \"ddd",
                "is 267 characters long",
                "allowed: at most 266 characters (Honeycomb allows 280, and up appends \" [cruddur-obs]\"",
            ],
        );
        let ok = parse(&JsonInput::inline(FILE, &text(266))).unwrap();
        assert_eq!(described(&ok.queries[0].description).chars().count(), 280);
    }

    #[test]
    fn a_board_name_is_1_to_255_characters() {
        let f = bad(r#"{"board": {"name": ""}}"#);
        assert_says(&f, &["board.name: is empty; allowed: 1 to 255 characters"]);
        let f = bad(&format!(
            "{{\"board\": {{\"name\": \"{}\"}}}}",
            "b".repeat(256)
        ));
        assert_says(
            &f,
            &[
                "board.name: \"bbb",
                "is 256 characters long; allowed: 1 to 255 characters",
            ],
        );
        let f = bad(&format!(
            "{{\"board\": {{\"name\": \"B\", \"description\": \"{}\"}}}}",
            "b".repeat(1025)
        ));
        assert_says(
            &f,
            &["board.description", "allowed: at most 1024 characters"],
        );
    }

    #[test]
    fn query_names_are_unique() {
        let f = bad(
            r#"{"queries": [{"name": "A", "query": {}}, {"name": "B", "query": {}},
                {"name": "A", "query": {}}]}"#,
        );
        assert_says(
            &f,
            &[
                "queries[2].name: \"A\" is also the name of queries[0]",
                "allowed: a name used once in the file",
            ],
        );
    }

    #[test]
    fn calculation_names_are_unique() {
        let f = bad_spec(
            r#"{"calculations": [{"op": "P90", "column": "d", "name": "slow"},
                {"op": "P99", "column": "d", "name": "slow"}]}"#,
        );
        assert_says(
            &f,
            &[
                "queries[0].query.calculations[1].name: \"slow\" is also the name of calculations[0]",
                "allowed: a name used once among the calculations",
            ],
        );
    }

    #[test]
    fn a_having_must_match_a_calculation() {
        let f = bad_spec(
            r#"{"calculations": [{"op": "P90", "column": "duration_ms"}],
                "havings": [{"calculate_op": "P99", "column": "duration_ms", "op": ">", "value": 100}]}"#,
        );
        assert_says(
            &f,
            &[
                "queries[0].query.havings[0]: P99 with column \"duration_ms\" is not one of the calculations",
                "allowed: one of the calculations: {\"calculate_op\": \"P90\", \"column\": \"duration_ms\"}",
            ],
        );
        let f = bad_spec(
            r#"{"calculations": [{"op": "HEATMAP", "column": "d"}],
                "havings": [{"calculate_op": "HEATMAP", "column": "d", "op": ">", "value": 1}]}"#,
        );
        assert_says(
            &f,
            &["havings[0].calculate_op: HEATMAP has no single value"],
        );
        let f = bad_spec(r#"{"havings": [{"calculate_op": "COUNT", "op": "=>", "value": 1}]}"#);
        assert_says(
            &f,
            &[
                "havings[0].op",
                "\"=>\" is not a having op",
                "did you mean \">=\"?",
            ],
        );
        let ok = r#"{"queries": [{"name": "Q", "query":
            {"havings": [{"calculate_op": "COUNT", "op": ">", "value": 10}]}}]}"#;
        parse(&JsonInput::inline(FILE, ok)).unwrap();
    }

    #[test]
    fn at_most_100_breakdowns_calculations_filters_and_orders() {
        let columns: Vec<String> = (0..101).map(|i| format!("\"c{i}\"")).collect();
        let f = bad_spec(&format!("{{\"breakdowns\": [{}]}}", columns.join(",")));
        assert_says(
            &f,
            &["queries[0].query.breakdowns: 101 breakdowns given; allowed: at most 100 breakdowns"],
        );
        let calcs: Vec<String> = (0..101)
            .map(|i| format!("{{\"op\": \"MAX\", \"column\": \"c{i}\"}}"))
            .collect();
        let f = bad_spec(&format!("{{\"calculations\": [{}]}}", calcs.join(",")));
        assert_says(&f, &["101 calculations given"]);
    }

    #[test]
    fn the_dataset_is_a_slug() {
        let f = bad(r#"{"dataset": "Backend Flask"}"#);
        assert_says(
            &f,
            &[
                "dataset: \"Backend Flask\" has \"B\", which a dataset slug cannot have (did you mean \"backend-flask\"?)",
                "allowed: a dataset slug of 1 to 255 lowercase letters, digits, - _ and .",
                "or __all__",
            ],
        );
        let f = bad(r#"{"dataset": ""}"#);
        assert_says(&f, &["dataset: is empty"]);
        let f = bad(&format!("{{\"dataset\": \"{}\"}}", "a".repeat(256)));
        assert_says(&f, &["is 256 characters long"]);
        parse(&JsonInput::inline(FILE, r#"{"dataset": "my-app_2.prod"}"#)).unwrap();
    }

    #[test]
    fn an_empty_file_says_what_it_should_hold() {
        let f = bad(" \n");
        assert_eq!(f.message, "honeycomb/queries.json: the input is empty");
        assert!(f.hint.unwrap().contains("\"queries\""));
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let f = bad("{\n  \"queries\": [\n    {\"name\": \"A\" \"query\": {}}\n  ]\n}");
        assert_eq!(
            f.message,
            "honeycomb/queries.json:3:18: malformed JSON: expected `,` or `}`"
        );
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let f = bad_spec(r#"{"breakdown": ["user.id"]}"#);
        assert_says(
            &f,
            &[
                "honeycomb/queries.json:1:",
                "queries[0].query.breakdown: unknown field \"breakdown\"; did you mean \"breakdowns\"?",
            ],
        );
        assert!(f
            .hint
            .unwrap()
            .contains("calculations, filters, filter_combination, breakdowns"));
        let f = bad(r#"{"queries": [], "Board": {"name": "B"}}"#);
        assert_says(&f, &["unknown field \"Board\"; did you mean \"board\"?"]);
        let f = bad(r#"{"queries": [{"name": "Q", "query": {}, "style": "chart"}]}"#);
        assert_says(
            &f,
            &[
                "queries[0].style",
                "\"chart\" is not a query style",
                "graph, table, combo",
            ],
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let f = bad(r#"{"dataset": "A B", "queries": [
                {"name": "", "query": {"limit": 0, "calculations": [{"op": "P90"}]}},
                {"name": "Q", "query": {"filters": [{"column": "c", "op": "exists", "value": 1}]}}],
                "board": {"name": ""}}"#);
        assert!(
            f.message.starts_with("6 problems in the input\n"),
            "{}",
            f.message
        );
        assert_says(
            &f,
            &[
                "honeycomb/queries.json: dataset:",
                "honeycomb/queries.json: queries[0].name:",
                "honeycomb/queries.json: queries[0].query.calculations[0].op:",
                "honeycomb/queries.json: queries[0].query.limit:",
                "honeycomb/queries.json: queries[1].query.filters[0].value:",
                "honeycomb/queries.json: board.name:",
            ],
        );
        assert!(f.hint.unwrap().starts_with("nothing was sent to Honeycomb"));
    }

    #[test]
    fn the_mark_tells_ours_from_theirs() {
        assert_eq!(described("Slow requests"), "Slow requests [cruddur-obs]");
        assert_eq!(described(""), "[cruddur-obs]");
        assert_eq!(MARK.chars().count(), 14);
        assert!(is_ours(&described("Slow requests")));
        assert!(is_ours(&described("")));
        assert!(is_ours("Slow requests [cruddur-obs] "));
        assert!(!is_ours("Slow requests"));
        assert!(!is_ours("[cruddur-obs] at the start"));
    }

    #[test]
    fn load_reads_the_workspace_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        std::fs::create_dir_all(dir.path().join("honeycomb")).unwrap();
        std::fs::write(dir.path().join(FILE), rendered()).unwrap();
        let (origin, file) = load(dir.path()).unwrap().unwrap();
        assert_eq!(origin, "honeycomb/queries.json");
        assert_eq!(file, template());
        std::fs::write(
            dir.path().join(FILE),
            "{\"queries\": [{\"name\": \"\", \"query\": {}}]}",
        )
        .unwrap();
        let f = load(dir.path()).unwrap_err();
        assert_eq!(f.exit, Exit::BadInput);
        assert_says(&f, &["honeycomb/queries.json: queries[0].name: is empty"]);
    }

    fn spec(value: Value) -> QuerySpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn same_spec_fills_honeycombs_defaults() {
        let declared = spec(json!({
            "calculations": [{"op": "P90", "column": "duration_ms"}],
            "filters": [{"column": "name", "op": "=", "value": "home"}],
            "breakdowns": ["user.id"],
            "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}]
        }));
        let as_sent = serde_json::to_value(&declared).unwrap();
        assert!(same_spec(&declared, &as_sent));
        let found = json!({
            "id": "abc123",
            "calculations": [{"op": "P90", "column": "duration_ms"}],
            "filters": [{"column": "name", "op": "=", "value": "home"}],
            "filter_combination": "AND",
            "breakdowns": ["user.id"],
            "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}],
            "havings": [],
            "calculated_fields": [],
            "time_range": 7200,
            "granularity": 0,
            "limit": 1000,
            "start_time": null
        });
        assert!(same_spec(&declared, &found));
        // The default calculation, order and limit.
        let declared = spec(json!({"breakdowns": ["a"], "orders": [{"column": "a"}]}));
        let found = json!({"calculations": [{"op": "COUNT"}], "breakdowns": ["a"],
            "orders": [{"column": "a", "order": "ascending"}], "limit": 100});
        assert!(same_spec(&declared, &found));
        // Numbers compare by value.
        let declared = spec(json!({"calculations": [{"op": "COUNT"}],
            "havings": [{"calculate_op": "COUNT", "op": ">", "value": 100}]}));
        let found = json!({"calculations": [{"op": "COUNT"}],
            "havings": [{"calculate_op": "COUNT", "op": ">", "value": 100.0}]});
        assert!(same_spec(&declared, &found));
        // A window however it is given.
        let declared = spec(json!({"start_time": 1000, "end_time": 4600}));
        assert!(same_spec(
            &declared,
            &json!({"start_time": 1000, "time_range": 3600})
        ));
        assert!(same_spec(
            &declared,
            &json!({"end_time": 4600, "time_range": 3600})
        ));
        assert!(!same_spec(
            &declared,
            &json!({"start_time": 1000, "time_range": 7200})
        ));
    }

    #[test]
    fn same_spec_sees_every_declared_difference() {
        let declared = spec(json!({
            "calculations": [{"op": "P95", "column": "duration_ms"}],
            "filters": [{"column": "name", "op": "=", "value": "home"}],
            "breakdowns": ["user.id"],
            "orders": [{"op": "P95", "column": "duration_ms", "order": "descending"}],
            "limit": 20,
            "time_range": 600
        }));
        let as_sent = serde_json::to_value(&declared).unwrap();
        assert!(same_spec(&declared, &as_sent));
        let changed = |path: &[&str], to: Value| {
            let mut v = as_sent.clone();
            let mut at = &mut v;
            for p in path {
                at = match p.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*p],
                };
            }
            *at = to;
            v
        };
        for found in [
            changed(&["calculations", "0", "op"], json!("P99")),
            changed(&["calculations", "0", "column"], json!("db.duration")),
            changed(&["filters", "0", "value"], json!("home2")),
            changed(&["filters", "0", "op"], json!("!=")),
            changed(&["filter_combination"], json!("OR")),
            changed(&["breakdowns"], json!(["user.id", "http.route"])),
            changed(&["breakdowns"], json!([])),
            changed(&["orders", "0", "order"], json!("ascending")),
            changed(&["orders"], Value::Null),
            changed(&["limit"], json!(1000)),
            changed(&["limit"], Value::Null),
            changed(&["time_range"], json!(7200)),
            changed(&["time_range"], Value::Null),
            changed(&["granularity"], json!(60)),
            changed(
                &["havings"],
                json!([{"calculate_op": "P95", "column": "duration_ms", "op": ">", "value": 1}]),
            ),
            changed(
                &["calculated_fields"],
                json!([{"name": "x", "expression": "1"}]),
            ),
            changed(&["start_time"], json!(1000)),
            json!(null),
            json!([]),
        ] {
            assert!(!same_spec(&declared, &found), "{found}");
        }
    }
}

#[cfg(test)]
mod prop {
    use proptest::prelude::*;
    // The module of strategies, named plainly: `super::*` also brings this module's own name.
    use proptest::prelude::prop;
    use serde_json::Value;

    use super::*;
    use crate::error::Exit;

    /// Cases per property: PROPTEST_CASES when set, else 3,000.
    fn config() -> ProptestConfig {
        crate::proptest_config(3_000)
    }

    const ORIGIN: &str = "honeycomb/quer\u{ee}es.json";

    fn template() -> String {
        include_str!("../templates/honeycomb/queries.json")
            .replace("{{ workspace.service }}", "backend-flask")
    }

    /// Field names and values of the format, near-misses of them, and odd ones.
    const WORDS: &[&str] = &[
        "dataset",
        "queries",
        "board",
        "name",
        "description",
        "style",
        "query",
        "calculations",
        "filters",
        "filter_combination",
        "breakdowns",
        "orders",
        "havings",
        "limit",
        "time_range",
        "start_time",
        "end_time",
        "granularity",
        "calculated_fields",
        "op",
        "column",
        "value",
        "order",
        "calculate_op",
        "expression",
        "COUNT",
        "HEATMAP",
        "P90",
        "exists",
        "in",
        "=",
        "descending",
        "graph",
        "__all__",
        "Breakdowns",
        "\u{e9}",
        "",
        "a`b",
        " at line 1 column 2",
    ];

    /// Any text must parse and validate, or fail as bad input with a message; a valid file's
    /// queries must each be the same spec as what is sent for them.
    fn check(text: &str) -> Result<(), TestCaseError> {
        match parse(&JsonInput::inline(ORIGIN, text)) {
            Ok(file) => {
                for q in &file.queries {
                    let sent = serde_json::to_value(&q.query).expect("a spec serializes");
                    prop_assert!(same_spec(&q.query, &sent), "{}", sent);
                }
                let _ = file.dataset("backend-flask");
            }
            Err(f) => {
                prop_assert_eq!(f.exit, Exit::BadInput);
                prop_assert!(!f.message.trim().is_empty());
                prop_assert!(f.message.contains(ORIGIN), "{}", f.message);
            }
        }
        Ok(())
    }

    /// Text: anything, and text that starts like the file.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "\\{\"queries\": \\[.{0,200}",
            "\\{\"board\": \\{.{0,100}\\}\\}",
            "[ \n]*[\\[{\"].{0,40}",
        ]
    }

    /// The template with characters put in, taken out, or the text cut.
    fn mutated() -> impl Strategy<Value = String> {
        let edit = (
            any::<prop::sample::Index>(),
            prop_oneof![
                Just(None),
                any::<char>().prop_map(Some),
                prop::sample::select(vec!['"', '{', '}', '[', ']', ',', ':', '0', '-'])
                    .prop_map(Some),
            ],
            any::<bool>(),
        );
        prop::collection::vec(edit, 1..4).prop_map(|edits| {
            let mut chars: Vec<char> = template().chars().collect();
            for (at, put, cut) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at.index(chars.len());
                match put {
                    Some(c) => chars.insert(i, c),
                    None if cut => chars.truncate(i),
                    None => {
                        chars.remove(i);
                    }
                }
            }
            chars.into_iter().collect()
        })
    }

    /// JSON values built from the format's words, with values of every type.
    fn document() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop_oneof![
                Just(0),
                Just(1),
                Just(600),
                Just(7200),
                Just(1001),
                Just(i64::MIN)
            ]
            .prop_map(Value::from),
            prop::sample::select(WORDS).prop_map(Value::from),
            ".{0,20}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(WORDS), inner), 0..8).prop_map(
                    |fields| Value::Object(
                        fields
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect()
                    )
                ),
            ]
        })
    }

    /// The template's first query with one field set to a generated value.
    fn edited_spec() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "calculations",
                "filters",
                "filter_combination",
                "breakdowns",
                "orders",
                "havings",
                "limit",
                "time_range",
                "start_time",
                "end_time",
                "granularity",
                "calculated_fields",
            ]),
            document(),
        )
            .prop_map(|(field, value)| {
                let mut file: Value = serde_json::from_str(&template()).expect("the template");
                file["queries"][0]["query"][field] = value;
                file.to_string()
            })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_text_is_parsed_or_explained(text in text()) {
            check(&text)?;
        }

        #[test]
        fn an_edited_template_is_parsed_or_explained(text in mutated()) {
            check(&text)?;
        }

        #[test]
        fn any_document_is_parsed_or_explained(value in document()) {
            check(&value.to_string())?;
        }

        #[test]
        fn any_spec_field_is_parsed_or_explained(text in edited_spec()) {
            check(&text)?;
        }

        #[test]
        fn same_spec_takes_any_answer(found in document()) {
            let file = parse(&JsonInput::inline(ORIGIN, &template())).expect("the template");
            for q in &file.queries {
                let _ = same_spec(&q.query, &found);
            }
        }
    }
}
