//! `cruddur-obs logs ...`: CloudWatch Logs log groups, as the aws cli's commands of the same names,
//! validated before any call and safe to re-run; and `logs tail`, the aws cli v2's `aws logs tail`.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::aws::AwsArgs;
use crate::drift::{self, Plan};
use crate::error::{Exit, Failure};
use crate::log_group::{self, LogGroupSpec};
use crate::logs::{Event, Logs};
use crate::manifest::Manifest;
use crate::output::{print_json, table, OutputArgs};
use crate::provision::apply;
use crate::tags;
use crate::validate::Problems;

#[derive(Subcommand, Debug)]
pub enum LogsCommand {
    /// Create a log group and set its retention, or confirm it exists with these settings
    #[command(after_help = CREATE_EXAMPLES)]
    CreateLogGroup(CreateArgs),
    /// List log groups
    #[command(
        after_help = "Example:\n  cruddur-obs logs describe-log-groups --log-group-name-prefix cruddur"
    )]
    DescribeLogGroups(DescribeArgs),
    /// Set how long a log group keeps its events
    #[command(
        after_help = "Example:\n  cruddur-obs logs put-retention-policy --log-group-name cruddur --retention-in-days 7"
    )]
    PutRetentionPolicy(RetentionArgs),
    /// Delete a log group and its events (succeeds if it is already gone)
    #[command(
        after_help = "Example:\n  cruddur-obs logs delete-log-group --log-group-name cruddur"
    )]
    DeleteLogGroup(NameArgs),
    /// Print a log group's latest events (with --follow, new ones as they come)
    #[command(after_help = TAIL_EXAMPLES)]
    Tail(TailArgs),
}

const TAIL_EXAMPLES: &str = "Examples:
  cruddur-obs logs tail
  cruddur-obs logs tail cruddur --follow
  cruddur-obs logs tail cruddur --since 1h --filter-pattern ERROR
  cruddur-obs logs tail cruddur --since 2024-05-01T12:00:00Z --format short

Without LOG_GROUP it reads the workspace's group: cloudwatch.log_group in ./cruddur-obs.toml.
Events print as `aws logs tail` (aws cli v2) prints them, one per line by default:
  2024-05-01T12:00:00.123000+00:00 backend-flask/1a2b3c GET /api/activities/home 200
--follow asks for new events every second until Ctrl-C (or until the output is closed).";

const CREATE_EXAMPLES: &str = "Examples:
  cruddur-obs logs create-log-group --log-group-name cruddur --retention-in-days 7
  cruddur-obs logs create-log-group --log-group-name cruddur --tags project=cruddur,env=dev

Running it again with the same settings succeeds and says \"unchanged\". If the group exists with
another retention or tags it fails (exit code 3) and lists the differences; --update applies them.
Without --retention-in-days the events are kept, and billed, forever.";

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Name of the log group: letters, digits and . - _ / #, not starting with aws/
    #[arg(long, value_name = "NAME")]
    log_group_name: String,
    /// Days to keep events: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    retention_in_days: Option<i32>,
    /// Tags: key=value,key2=value2 (or a JSON object)
    #[arg(long, value_name = "TAGS")]
    tags: Option<String>,
    /// ARN of the KMS key that encrypts the events
    #[arg(long, value_name = "ARN")]
    kms_key_id: Option<String>,
    /// STANDARD or INFREQUENT_ACCESS (fixed once created)
    #[arg(long, value_name = "CLASS")]
    log_group_class: Option<String>,
    /// If the group exists with another retention or tags, change it instead of failing
    #[arg(long)]
    update: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct DescribeArgs {
    /// Only groups whose name starts with this
    #[arg(long, value_name = "PREFIX")]
    log_group_name_prefix: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct RetentionArgs {
    /// Name of the log group
    #[arg(long, value_name = "NAME")]
    log_group_name: String,
    /// Days to keep events (one of the values CloudWatch Logs accepts)
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    retention_in_days: i32,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Name of the log group
    #[arg(long, value_name = "NAME")]
    log_group_name: String,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct TailArgs {
    /// Log group to read [default: cloudwatch.log_group of ./cruddur-obs.toml]
    #[arg(value_name = "LOG_GROUP")]
    log_group: Option<String>,
    /// Keep asking for new events, every second, until Ctrl-C
    #[arg(long)]
    follow: bool,
    /// Start from this long ago (a number and one unit: 30s, 10m, 1h, 2d, 1w) or from an ISO 8601
    /// timestamp (2024-05-01T12:00:00Z; without an offset, UTC)
    #[arg(long, value_name = "TIME", default_value = "10m")]
    since: String,
    /// How each event is printed
    #[arg(long, value_enum, default_value_t = TailFormat::Detailed, value_name = "FORMAT")]
    format: TailFormat,
    /// Only events that match this filter pattern (ERROR, "a phrase", { $.status >= 500 })
    #[arg(long, value_name = "PATTERN")]
    filter_pattern: Option<String>,
    /// Only events of the log streams whose names start with this
    #[arg(long, value_name = "PREFIX")]
    log_stream_name_prefix: Option<String>,
    /// Colour the timestamp and stream name
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
    #[command(flatten)]
    aws: AwsArgs,
}

/// `--format` of `aws logs tail`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailFormat {
    /// Timestamp with microseconds and offset, log stream name, message
    Detailed,
    /// Timestamp to the second (UTC) and message
    Short,
    /// As detailed, with every message that is entirely JSON pretty-printed below its line
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    /// Always
    On,
    /// Never
    Off,
}

pub async fn run(command: LogsCommand) -> Result<Exit, Failure> {
    match command {
        LogsCommand::CreateLogGroup(a) => create(a).await,
        LogsCommand::DescribeLogGroups(a) => describe(a).await,
        LogsCommand::PutRetentionPolicy(a) => put_retention(a).await,
        LogsCommand::DeleteLogGroup(a) => delete(a).await,
        LogsCommand::Tail(a) => tail(a).await,
    }
}

fn retention_note(name: &str) -> String {
    format!(
        "note: log group \"{name}\" has no retention, so its events are kept (and billed) forever\n  \
         set one: cruddur-obs logs put-retention-policy --log-group-name {name} --retention-in-days 7"
    )
}

async fn create(a: CreateArgs) -> Result<Exit, Failure> {
    let spec = LogGroupSpec {
        name: a.log_group_name.clone(),
        retention_in_days: a.retention_in_days,
        kms_key_id: a.kms_key_id.clone(),
        class: a.log_group_class.clone(),
        tags: match &a.tags {
            Some(t) => tags::parse_logs_tags(t)?,
            None => Default::default(),
        },
    };
    spec.validate().into_result("command line")?;

    let logs = Logs::connect(&a.aws).await?;
    let name = &spec.name;
    let what = format!("log group \"{name}\"");
    if logs.create(&spec).await? {
        let message = match spec.retention_in_days {
            Some(days) => {
                logs.put_retention(name, days).await?;
                format!("created {what} with a retention of {days} days")
            }
            None => format!("created {what}"),
        };
        if !a.out.json() {
            println!("{message}");
            if spec.retention_in_days.is_none() {
                eprintln!("{}", retention_note(name));
            }
        }
        return Ok(Exit::Ok);
    }
    let current = logs.find(name).await?;
    let current_tags = match (&current, spec.tags.is_empty()) {
        (Some(_), false) => logs.tags(name).await?,
        _ => Default::default(),
    };
    let message = match spec.plan(current.as_ref().map(|g| (g, &current_tags))) {
        Plan::Create => {
            return Err(
                Failure::failed(format!("{what} was deleted while it was being checked"))
                    .hint("run the command again"),
            )
        }
        Plan::Unchanged => format!("{what} unchanged"),
        Plan::Update(changes) => {
            let fixed = log_group::fixed_at_creation(&changes);
            if !fixed.is_empty() && a.update {
                let fields: Vec<&str> = fixed.iter().map(|c| c.field.as_str()).collect();
                return Err(Failure::new(
                    Exit::Drift,
                    format!("{what} exists with another {}, which cannot change after creation:\n{}", fields.join(" and "), drift::render(&changes)),
                )
                .hint(format!("keep the current value, or delete the group (cruddur-obs logs delete-log-group --log-group-name {name}) and create it again")));
            }
            if !a.update {
                return Err(drift::refusal(&what, &changes, None));
            }
            apply::log_group(&logs, &spec, &Plan::Update(changes.clone())).await?;
            format!("updated {what}:\n{}", drift::render(&changes))
        }
    };
    if !a.out.json() {
        println!("{message}");
        let retention = spec
            .retention_in_days
            .or(current.and_then(|g| g.retention_in_days));
        if retention.is_none() {
            eprintln!("{}", retention_note(name));
        }
    }
    Ok(Exit::Ok)
}

async fn describe(a: DescribeArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    if let Some(prefix) = &a.log_group_name_prefix {
        p.length("--log-group-name-prefix", prefix, 1, 512);
    }
    p.into_result("command line")?;
    let logs = Logs::connect(&a.aws).await?;
    let groups = logs.describe(a.log_group_name_prefix.as_deref()).await?;
    if a.out.json() {
        print_json(&json!({ "logGroups": groups }));
    } else if groups.is_empty() {
        println!("no log groups in {}", logs.region());
    } else {
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                vec![
                    g.log_group_name.clone().unwrap_or_default(),
                    g.retention_in_days
                        .map(|d| format!("{d} days"))
                        .unwrap_or_else(|| "never expire".into()),
                    g.log_group_class
                        .clone()
                        .unwrap_or_else(|| "STANDARD".into()),
                    g.stored_bytes
                        .map(|b| b.to_string())
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["NAME", "RETENTION", "CLASS", "STORED BYTES"], &rows)
        );
    }
    Ok(Exit::Ok)
}

async fn put_retention(a: RetentionArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    log_group::validate_name("--log-group-name", &a.log_group_name, &mut p);
    log_group::validate_retention("--retention-in-days", a.retention_in_days, &mut p);
    p.into_result("command line")?;
    let logs = Logs::connect(&a.aws).await?;
    logs.put_retention(&a.log_group_name, a.retention_in_days)
        .await?;
    if !a.out.json() {
        println!(
            "log group \"{}\" keeps events for {} days",
            a.log_group_name, a.retention_in_days
        );
    }
    Ok(Exit::Ok)
}

async fn delete(a: NameArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    log_group::validate_name("--log-group-name", &a.log_group_name, &mut p);
    p.into_result("command line")?;
    let logs = Logs::connect(&a.aws).await?;
    let name = &a.log_group_name;
    if logs.find(name).await?.is_none() {
        if !a.out.json() {
            println!(
                "log group \"{name}\" does not exist in {}; nothing to delete",
                logs.region()
            );
        }
        return Ok(Exit::Ok);
    }
    logs.delete(name).await?;
    if !a.out.json() {
        println!("deleted log group \"{name}\"");
    }
    Ok(Exit::Ok)
}

async fn tail(a: TailArgs) -> Result<Exit, Failure> {
    let now = now_ms();
    let mut p = Problems::new();
    let start_ms = match parse_since(&a.since, now) {
        Ok(ms) => Some(ms),
        Err(why) => {
            p.push("--since", why, SINCE_FORMS);
            None
        }
    };
    if let Some(group) = &a.log_group {
        validate_group_to_read("LOG_GROUP", group, &mut p);
    }
    if let Some(pattern) = &a.filter_pattern {
        p.length("--filter-pattern", pattern, 0, 1024);
    }
    if let Some(prefix) = &a.log_stream_name_prefix {
        p.length("--log-stream-name-prefix", prefix, 1, 512);
        if let Some(bad) = prefix.chars().find(|c| *c == ':' || *c == '*') {
            p.push(
                "--log-stream-name-prefix",
                format!("{} contains '{bad}'", shown(prefix)),
                "any characters but : and *",
            );
        }
    }
    let group = match &a.log_group {
        Some(g) => Some(g.clone()),
        None => Manifest::load(Path::new("."))?.map(|m| m.cloudwatch.log_group),
    };
    if group.is_none() {
        p.push(
            "LOG_GROUP",
            format!(
                "no log group given, and no {} here to take the workspace's from",
                crate::manifest::FILE
            ),
            "a log group name (cruddur-obs logs tail cruddur), or run it in a workspace made by \
             cruddur-obs init, whose cloudwatch.log_group is the default",
        );
    }
    p.into_result("command line")?;
    let (Some(group), Some(start_ms)) = (group, start_ms) else {
        unreachable!("every missing value is a problem reported above")
    };

    let color = match a.color {
        Color::On => true,
        Color::Off => false,
        Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let logs = Logs::connect(&a.aws).await?;
    let pattern = a.filter_pattern.as_deref();
    let prefix = a.log_stream_name_prefix.as_deref();
    if !a.follow {
        let events = logs
            .filter_events(&group, start_ms, None, pattern, prefix)
            .await?;
        let text: String = events
            .iter()
            .map(|e| render_event(e, a.format, color))
            .collect();
        emit(&text)?;
        return Ok(Exit::Ok);
    }

    // As `aws logs tail --follow`: ask again from the newest timestamp seen, and skip the events
    // at that timestamp already printed (their ids are kept), so none prints twice. It polls
    // every second where the aws cli waits five.
    let mut start = start_ms;
    let mut seen: HashMap<i64, HashSet<String>> = HashMap::new();
    loop {
        let asked = tokio::time::Instant::now();
        let events = logs
            .filter_events(&group, start, None, pattern, prefix)
            .await?;
        let mut text = String::new();
        for e in &events {
            if seen
                .entry(e.timestamp)
                .or_default()
                .insert(e.event_id.clone())
            {
                text.push_str(&render_event(e, a.format, color));
            }
        }
        if let Some(newest) = seen.keys().max().copied() {
            seen.retain(|ts, _| *ts == newest);
            start = newest;
        }
        if !text.is_empty() && !emit(&text)? {
            // Whoever read the output is gone (`| head`, a closed pager): done.
            return Ok(Exit::Ok);
        }
        tokio::time::sleep_until(asked + Duration::from_secs(1)).await;
    }
}

const SINCE_FORMS: &str =
    "a number and one unit (30s, 10m, 1h, 2d, 1w; one unit only, not 1h30m), \
                           or an ISO 8601 timestamp (2024-05-01, 2024-05-01T12:00:00Z, \
                           2024-05-01T14:00:00+02:00; without an offset, UTC)";

/// Writes to standard output and flushes; `Ok(false)` when the reader has closed it.
fn emit(text: &str) -> Result<bool, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::failed(format!("cannot write the events: {e}"))),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A value for a message: quoted, control characters escaped, long ones shortened.
fn shown(value: &str) -> String {
    crate::validate::quoted(&value.escape_debug().to_string())
}

/// A log group name FilterLogEvents accepts. Unlike a name to create, it may start with aws/
/// (AWS's own groups, such as aws/spans, can be read).
fn validate_group_to_read(field: &str, name: &str, p: &mut Problems) {
    p.length(field, name, 1, 512);
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-/#".contains(*c)))
    {
        p.push(
            field,
            format!("{} contains '{}'", shown(name), bad.escape_debug()),
            "letters, digits and . - _ / # only",
        );
    }
}

/// `--since` as the aws cli reads it: `<number><s|m|h|d|w>` before `now_ms`, or an ISO 8601
/// timestamp (UTC without an offset). Milliseconds since 1970, or what is wrong.
pub(crate) fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let not_a_time = || format!("{} is not a time", shown(text));
    let chars: Vec<char> = text.chars().collect();
    let Some((&unit, digits)) = chars.split_last() else {
        return Err("is empty".into());
    };
    if chars.iter().all(char::is_ascii_digit) {
        return Err(format!(
            "{} has no unit (did you mean {text}m?)",
            shown(text)
        ));
    }
    if !digits.is_empty() && digits.iter().all(char::is_ascii_digit) {
        let seconds: i64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(not_a_time()),
        };
        let ms = digits
            .iter()
            .collect::<String>()
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds * 1000))
            .and_then(|back| now_ms.checked_sub(back))
            .filter(|ms| *ms >= 0);
        return ms.ok_or_else(|| format!("{} reaches back before 1970", shown(text)));
    }
    let ms = parse_iso8601(&chars).map_err(|why| match why {
        "" => not_a_time(),
        why => format!("{}: {why}", shown(text)),
    })?;
    if ms < 0 {
        return Err(format!("{} is before 1970", shown(text)));
    }
    Ok(ms)
}

/// `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM`, `HH:MM:SS` or
/// `HH:MM:SS.fraction`, and by `Z` or an offset (`+02:00`, `+0200`, `+02`). Milliseconds since
/// 1970; `Err("")` when the text does not have this shape, else what is wrong with it.
fn parse_iso8601(c: &[char]) -> Result<i64, &'static str> {
    let mut i = 0;
    let number = |i: &mut usize, n: usize| -> Result<i64, &'static str> {
        let part = c.get(*i..*i + n).ok_or("")?;
        if !part.iter().all(char::is_ascii_digit) {
            return Err("");
        }
        *i += n;
        Ok(part
            .iter()
            .fold(0, |acc, d| acc * 10 + (*d as i64 - '0' as i64)))
    };
    let expect = |i: &mut usize, want: char| -> Result<(), &'static str> {
        if c.get(*i) == Some(&want) {
            *i += 1;
            Ok(())
        } else {
            Err("")
        }
    };
    let year = number(&mut i, 4)?;
    expect(&mut i, '-')?;
    let month = number(&mut i, 2)?;
    expect(&mut i, '-')?;
    let day = number(&mut i, 2)?;
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    if matches!(c.get(i), Some('T' | 't' | ' ')) {
        i += 1;
        hour = number(&mut i, 2)?;
        expect(&mut i, ':')?;
        minute = number(&mut i, 2)?;
        if c.get(i) == Some(&':') {
            i += 1;
            second = number(&mut i, 2)?;
            if matches!(c.get(i), Some('.' | ',')) {
                i += 1;
                let start = i;
                while c.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                if i == start {
                    return Err("");
                }
                // Milliseconds are all CloudWatch Logs keeps; the rest is cut off.
                millis = c[start..i]
                    .iter()
                    .chain(std::iter::repeat(&'0'))
                    .take(3)
                    .fold(0, |acc, d| acc * 10 + (*d as i64 - '0' as i64));
            }
        }
    }
    let mut offset_minutes = 0;
    match c.get(i) {
        None => {}
        Some('Z' | 'z') => i += 1,
        Some(sign @ ('+' | '-')) => {
            let sign = if *sign == '-' { -1 } else { 1 };
            i += 1;
            let hours = number(&mut i, 2)?;
            if c.get(i) == Some(&':') {
                i += 1;
            }
            let minutes = if i < c.len() { number(&mut i, 2)? } else { 0 };
            if hours > 23 || minutes > 59 {
                return Err("the offset is out of range");
            }
            offset_minutes = sign * (hours * 60 + minutes);
        }
        Some(_) => return Err(""),
    }
    if i != c.len() {
        return Err("");
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("there is no such date");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("there is no such time of day");
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard Hinnant's
/// days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01: (year, month, day).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A timestamp in milliseconds as UTC `YYYY-MM-DDTHH:MM:SS`, and its milliseconds.
fn utc(ms: i64) -> (String, i64) {
    let seconds = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    (
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        ),
        ms.rem_euclid(1000),
    )
}

const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// One event as `aws logs tail` prints it (awscli/customizations/logs/tail.py, aws cli v2):
/// detailed is `timestamp.isoformat(timespec='microseconds')`, the stream and the message; short
/// is `strftime("%Y-%m-%dT%H:%M:%S")` and the message; json is detailed with `isoformat()` (no
/// fraction at a whole second) and a message that is entirely JSON as `"\n" + json.dumps(...,
/// indent=4)`. Colour is colorama's green timestamp and cyan stream. The line loses its trailing
/// whitespace (Python's `rstrip()`) and ends with one newline.
fn render_event(e: &Event, format: TailFormat, color: bool) -> String {
    let paint = |text: &str, code: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let (second, millis) = utc(e.timestamp);
    let line = match format {
        TailFormat::Detailed => format!(
            "{} {} {}",
            paint(&format!("{second}.{:06}+00:00", millis * 1000), GREEN),
            paint(&e.stream, CYAN),
            e.message
        ),
        TailFormat::Short => format!("{} {}", paint(&second, GREEN), e.message),
        TailFormat::Json => {
            let stamp = match millis {
                0 => format!("{second}+00:00"),
                m => format!("{second}.{:06}+00:00", m * 1000),
            };
            let message = match python_json::pretty(&e.message) {
                Some(pretty) => format!("\n{pretty}"),
                None => e.message.clone(),
            };
            format!(
                "{} {} {message}",
                paint(&stamp, GREEN),
                paint(&e.stream, CYAN)
            )
        }
    };
    let mut line = line
        .trim_end_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
        .to_string();
    line.push('\n');
    line
}

/// `json.dumps(json.loads(text), indent=4)` as Python 3 computes it, for `--format json`: the
/// same values accepted (NaN and Infinity too, a later duplicate key replacing the earlier's
/// value in place, lone surrogates), integers kept digit for digit, floats as Python's `repr`,
/// every character outside printable ASCII escaped as `\uXXXX`.
mod python_json {
    use std::collections::HashMap;

    /// Nested deeper than this, Python's json fails on its recursion limit (1000) and the aws cli
    /// with it; here the message prints as is.
    const MAX_DEPTH: usize = 1000;

    /// A container being read: its items so far (and for an object, the index of its keys and the
    /// key of the value being read).
    enum Container {
        Array(Vec<Value>),
        Object(Vec<(Vec<u16>, Value)>, HashMap<Vec<u16>, usize>, Vec<u16>),
    }

    enum Value {
        Literal(&'static str),
        Int(String),
        Float(f64),
        Str(Vec<u16>),
        Array(Vec<Value>),
        Object(Vec<(Vec<u16>, Value)>),
    }

    /// The pretty-printed JSON, or `None` when `text` is not entirely one JSON value.
    pub fn pretty(text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut parser = Parser { c: &chars, i: 0 };
        parser.space();
        let value = parser.value()?;
        parser.space();
        if parser.i != chars.len() {
            return None;
        }
        let mut out = String::new();
        write(&value, 0, &mut out);
        Some(out)
    }

    struct Parser<'a> {
        c: &'a [char],
        i: usize,
    }

    impl Parser<'_> {
        fn peek(&self) -> Option<char> {
            self.c.get(self.i).copied()
        }

        fn space(&mut self) {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.i += 1;
            }
        }

        fn word(&mut self, word: &str) -> bool {
            let n = word.chars().count();
            let matches = self
                .c
                .get(self.i..self.i + n)
                .is_some_and(|s| s.iter().copied().eq(word.chars()));
            if matches {
                self.i += n;
            }
            matches
        }

        /// One value, containers included, without recursion (so no depth can exhaust the stack).
        fn value(&mut self) -> Option<Value> {
            let mut open: Vec<Container> = Vec::new();
            loop {
                self.space();
                let mut done = match self.peek()? {
                    '[' | '{' if open.len() >= MAX_DEPTH => return None,
                    '[' => {
                        self.i += 1;
                        self.space();
                        if self.peek() == Some(']') {
                            self.i += 1;
                            Value::Array(Vec::new())
                        } else {
                            open.push(Container::Array(Vec::new()));
                            continue;
                        }
                    }
                    '{' => {
                        self.i += 1;
                        self.space();
                        if self.peek() == Some('}') {
                            self.i += 1;
                            Value::Object(Vec::new())
                        } else {
                            let key = self.key()?;
                            open.push(Container::Object(Vec::new(), HashMap::new(), key));
                            continue;
                        }
                    }
                    _ => self.scalar()?,
                };
                // A value is complete: it goes into the innermost open container, which may be
                // complete in turn.
                loop {
                    let Some(container) = open.last_mut() else {
                        return Some(done);
                    };
                    self.space();
                    match container {
                        Container::Array(items) => {
                            items.push(done);
                            match self.peek()? {
                                ',' => self.i += 1,
                                ']' => {
                                    self.i += 1;
                                    done = Value::Array(std::mem::take(items));
                                    open.pop();
                                    continue;
                                }
                                _ => return None,
                            }
                        }
                        Container::Object(members, index, key) => {
                            let key = std::mem::take(key);
                            // As a Python dict: a repeated key keeps its place, takes the value.
                            match index.get(&key) {
                                Some(&at) => members[at].1 = done,
                                None => {
                                    index.insert(key.clone(), members.len());
                                    members.push((key, done));
                                }
                            }
                            match self.peek()? {
                                ',' => {
                                    self.i += 1;
                                    self.space();
                                    let next = self.key()?;
                                    if let Some(Container::Object(_, _, key)) = open.last_mut() {
                                        *key = next;
                                    }
                                }
                                '}' => {
                                    self.i += 1;
                                    done = Value::Object(std::mem::take(members));
                                    open.pop();
                                    continue;
                                }
                                _ => return None,
                            }
                        }
                    }
                    break;
                }
            }
        }

        /// `"key" :` of an object member.
        fn key(&mut self) -> Option<Vec<u16>> {
            if self.peek()? != '"' {
                return None;
            }
            let key = self.string()?;
            self.space();
            if self.peek()? != ':' {
                return None;
            }
            self.i += 1;
            Some(key)
        }

        fn scalar(&mut self) -> Option<Value> {
            for (word, literal) in [
                ("null", "null"),
                ("true", "true"),
                ("false", "false"),
                ("NaN", "NaN"),
                ("Infinity", "Infinity"),
                ("-Infinity", "-Infinity"),
            ] {
                if self.word(word) {
                    return Some(Value::Literal(literal));
                }
            }
            match self.peek()? {
                '"' => self.string().map(Value::Str),
                '-' | '0'..='9' => self.number(),
                _ => None,
            }
        }

        fn digits(&mut self) -> usize {
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            self.i - start
        }

        fn number(&mut self) -> Option<Value> {
            let start = self.i;
            if self.peek() == Some('-') {
                self.i += 1;
            }
            match self.peek()? {
                '0' => self.i += 1,
                '1'..='9' => {
                    self.digits();
                }
                _ => return None,
            }
            let mut float = false;
            if self.peek() == Some('.')
                && self.c.get(self.i + 1).is_some_and(|c| c.is_ascii_digit())
            {
                self.i += 1;
                self.digits();
                float = true;
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let before = self.i;
                self.i += 1;
                if matches!(self.peek(), Some('+' | '-')) {
                    self.i += 1;
                }
                if self.digits() == 0 {
                    self.i = before;
                } else {
                    float = true;
                }
            }
            let text: String = self.c[start..self.i].iter().collect();
            if float {
                text.parse().ok().map(Value::Float)
            } else if text == "-0" {
                Some(Value::Int("0".into()))
            } else {
                Some(Value::Int(text))
            }
        }

        /// A string as UTF-16 code units, so lone surrogates from `\u` escapes survive.
        fn string(&mut self) -> Option<Vec<u16>> {
            self.i += 1;
            let mut units = Vec::new();
            loop {
                let c = self.peek()?;
                self.i += 1;
                match c {
                    '"' => return Some(units),
                    '\\' => {
                        let escaped = self.peek()?;
                        self.i += 1;
                        let unit = match escaped {
                            '"' => '"' as u16,
                            '\\' => '\\' as u16,
                            '/' => '/' as u16,
                            'b' => 8,
                            'f' => 12,
                            'n' => 10,
                            'r' => 13,
                            't' => 9,
                            'u' => {
                                let hex: String = self.c.get(self.i..self.i + 4)?.iter().collect();
                                if !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                                    return None;
                                }
                                self.i += 4;
                                u16::from_str_radix(&hex, 16).ok()?
                            }
                            _ => return None,
                        };
                        units.push(unit);
                    }
                    c if (c as u32) < 0x20 => return None,
                    c => units.extend(c.encode_utf16(&mut [0; 2]).iter()),
                }
            }
        }
    }

    fn write(value: &Value, level: usize, out: &mut String) {
        let newline = |out: &mut String, level: usize| {
            out.push('\n');
            out.push_str(&"    ".repeat(level));
        };
        match value {
            Value::Literal(l) => out.push_str(l),
            Value::Int(digits) => out.push_str(digits),
            Value::Float(f) => out.push_str(&float_repr(*f)),
            Value::Str(units) => string(units, out),
            Value::Array(items) if items.is_empty() => out.push_str("[]"),
            Value::Object(members) if members.is_empty() => out.push_str("{}"),
            Value::Array(items) => {
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    write(item, level + 1, out);
                }
                newline(out, level);
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (n, (key, item)) in members.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    string(key, out);
                    out.push_str(": ");
                    write(item, level + 1, out);
                }
                newline(out, level);
                out.push('}');
            }
        }
    }

    /// As Python's `json.dumps` with `ensure_ascii=True`.
    fn string(units: &[u16], out: &mut String) {
        out.push('"');
        for &u in units {
            match u {
                0x22 => out.push_str("\\\""),
                0x5c => out.push_str("\\\\"),
                0x0a => out.push_str("\\n"),
                0x0d => out.push_str("\\r"),
                0x09 => out.push_str("\\t"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                0x20..=0x7e => out.push(u as u8 as char),
                _ => out.push_str(&format!("\\u{u:04x}")),
            }
        }
        out.push('"');
    }

    /// Python's `repr(float)`: the shortest digits that read back the same, positional from
    /// 1e-4 up to 1e16 (with `.0` when whole), else `d.ddde+XX`.
    pub(super) fn float_repr(f: f64) -> String {
        if f.is_nan() {
            return "NaN".into();
        }
        if f.is_infinite() {
            return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
        }
        // Rust's `{:e}` also prints the shortest round-trip digits: "-1.2345e-5".
        let scientific = format!("{f:e}");
        let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an e");
        let exponent: i64 = exponent.parse().expect("{:e} has a whole exponent");
        let (sign, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => ("-", m),
            None => ("", mantissa),
        };
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let n = digits.len() as i64;
        let point = exponent + 1;
        let body = if point <= -4 || point > 16 {
            let rest = if n > 1 {
                format!(".{}", &digits[1..])
            } else {
                String::new()
            };
            let e = point - 1;
            format!(
                "{}{rest}e{}{:02}",
                &digits[..1],
                if e < 0 { '-' } else { '+' },
                e.abs()
            )
        } else if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point >= n {
            format!("{digits}{}.0", "0".repeat((point - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

    fn event(timestamp: i64, message: &str) -> Event {
        Event {
            stream: "backend-flask/1a2b".into(),
            timestamp,
            message: message.into(),
            ingestion_time: timestamp + 5,
            event_id: "1".into(),
        }
    }

    #[test]
    fn since_takes_the_aws_cli_forms() {
        assert_eq!(parse_since("10m", NOW), Ok(NOW - 600_000));
        assert_eq!(parse_since("30s", NOW), Ok(NOW - 30_000));
        assert_eq!(parse_since("1h", NOW), Ok(NOW - 3_600_000));
        assert_eq!(parse_since("2d", NOW), Ok(NOW - 2 * 86_400_000));
        assert_eq!(parse_since("1w", NOW), Ok(NOW - 7 * 86_400_000));
        assert_eq!(parse_since("0m", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T12:00:00Z", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T12:00:00", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01 12:00", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T14:00:00+02:00", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T14:30:00+0230", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T10:00:00-02", NOW), Ok(NOW));
        assert_eq!(parse_since("2024-05-01T12:00:00.1234Z", NOW), Ok(NOW + 123));
        assert_eq!(parse_since("2024-05-01T12:00:00,5", NOW), Ok(NOW + 500));
        assert_eq!(parse_since("2024-05-01", NOW), Ok(NOW - 12 * 3_600_000));
        assert_eq!(parse_since("1970-01-01T00:00:00Z", NOW), Ok(0));
        assert_eq!(parse_since("2024-02-29", NOW), Ok(1_709_164_800_000));
    }

    #[test]
    fn since_refuses_everything_else_saying_why() {
        for (text, why) in [
            ("", "is empty"),
            ("10", "\"10\" has no unit (did you mean 10m?)"),
            ("1h30m", "\"1h30m\" is not a time"),
            ("10x", "\"10x\" is not a time"),
            ("m", "\"m\" is not a time"),
            ("-5m", "\"-5m\" is not a time"),
            ("10M", "\"10M\" is not a time"),
            ("１０m", "\"１０m\" is not a time"),
            ("yesterday", "\"yesterday\" is not a time"),
            ("2024-05-01T12", "\"2024-05-01T12\" is not a time"),
            (
                "2024-05-01T12:00:00.Z",
                "\"2024-05-01T12:00:00.Z\" is not a time",
            ),
            (
                "2024-05-01T12:00:00Zx",
                "\"2024-05-01T12:00:00Zx\" is not a time",
            ),
            ("2023-02-29", "\"2023-02-29\": there is no such date"),
            ("2024-13-01", "\"2024-13-01\": there is no such date"),
            (
                "2024-05-01T24:00",
                "\"2024-05-01T24:00\": there is no such time of day",
            ),
            (
                "2024-05-01T12:00+24:00",
                "\"2024-05-01T12:00+24:00\": the offset is out of range",
            ),
            ("1969-12-31", "\"1969-12-31\" is before 1970"),
            ("2500000w", "\"2500000w\" reaches back before 1970"),
            (
                "99999999999999999999m",
                "\"99999999999999999999m\" reaches back before 1970",
            ),
            ("10m\n", "\"10m\\n\" is not a time"),
        ] {
            assert_eq!(parse_since(text, NOW), Err(why.to_string()), "{text:?}");
        }
    }

    #[test]
    fn dates_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
        }
        assert_eq!(utc(0), ("1970-01-01T00:00:00".into(), 0));
        assert_eq!(utc(-1), ("1969-12-31T23:59:59".into(), 999));
        assert_eq!(utc(951_782_400_000), ("2000-02-29T00:00:00".into(), 0));
    }

    #[test]
    fn detailed_is_the_aws_cli_v2_format() {
        assert_eq!(
            render_event(
                &event(NOW + 123, "GET /api 200"),
                TailFormat::Detailed,
                false
            ),
            "2024-05-01T12:00:00.123000+00:00 backend-flask/1a2b GET /api 200\n"
        );
        // Microseconds even at a whole second (aws-cli#5912), trailing whitespace dropped.
        assert_eq!(
            render_event(&event(NOW, "done \r\n\t\x1f"), TailFormat::Detailed, false),
            "2024-05-01T12:00:00.000000+00:00 backend-flask/1a2b done\n"
        );
        assert_eq!(
            render_event(&event(NOW, ""), TailFormat::Detailed, false),
            "2024-05-01T12:00:00.000000+00:00 backend-flask/1a2b\n"
        );
        assert_eq!(
            render_event(&event(NOW + 7, "a\nb"), TailFormat::Detailed, true),
            "\x1b[32m2024-05-01T12:00:00.007000+00:00\x1b[0m \x1b[36mbackend-flask/1a2b\x1b[0m a\nb\n"
        );
    }

    #[test]
    fn short_and_json() {
        assert_eq!(
            render_event(&event(NOW + 999, "héllo"), TailFormat::Short, false),
            "2024-05-01T12:00:00 héllo\n"
        );
        assert_eq!(
            render_event(&event(NOW, "x"), TailFormat::Short, true),
            "\x1b[32m2024-05-01T12:00:00\x1b[0m x\n"
        );
        assert_eq!(
            render_event(
                &event(NOW, "{\"level\": \"info\"}  "),
                TailFormat::Json,
                false
            ),
            "2024-05-01T12:00:00+00:00 backend-flask/1a2b \n{\n    \"level\": \"info\"\n}\n"
        );
        assert_eq!(
            render_event(&event(NOW + 50, "not {json}"), TailFormat::Json, false),
            "2024-05-01T12:00:00.050000+00:00 backend-flask/1a2b not {json}\n"
        );
    }

    /// Expected values from Python 3: `json.dumps(json.loads(text), indent=4)`, or `None` for a
    /// JSONDecodeError.
    #[test]
    fn json_is_pretty_printed_as_python_does() {
        let cases: &[(&str, Option<&str>)] = &[
            ("{\"a\": 1}", Some("{\n    \"a\": 1\n}")),
            ("[]", Some("[]")),
            ("{}", Some("{}")),
            (
                " [1, -0, -0.0, 1.5e300, 1e400, -1e400, 0.00001, 0.0001, 123456789012345678901234567890, 1E5, 1.0] ",
                Some("[\n    1,\n    0,\n    -0.0,\n    1.5e+300,\n    Infinity,\n    -Infinity,\n    1e-05,\n    0.0001,\n    123456789012345678901234567890,\n    100000.0,\n    1.0\n]"),
            ),
            ("NaN", Some("NaN")),
            ("-Infinity", Some("-Infinity")),
            (
                "\"\\ud800x\\ud83d\\ude00 \u{e9} \\u001f\u{7f}/\\/\"",
                Some("\"\\ud800x\\ud83d\\ude00 \\u00e9 \\u001f\\u007f//\""),
            ),
            (
                "{\"a\": 1, \"b\": [], \"a\": {\"c\": null}}",
                Some("{\n    \"a\": {\n        \"c\": null\n    },\n    \"b\": []\n}"),
            ),
            ("42", Some("42")),
            ("true", Some("true")),
            ("\"plain\"", Some("\"plain\"")),
            ("[[[]]]", Some("[\n    [\n        []\n    ]\n]")),
            (
                "{\"x\": [true, false, null, {\"y\": \"z\"}]}",
                Some("{\n    \"x\": [\n        true,\n        false,\n        null,\n        {\n            \"y\": \"z\"\n        }\n    ]\n}"),
            ),
            (
                "  \n {\"a\":\"\u{1F600}\"}\r\n",
                Some("{\n    \"a\": \"\\ud83d\\ude00\"\n}"),
            ),
            ("1.", None),
            ("01", None),
            ("[1,]", None),
            ("{\"a\" 1}", None),
            ("\u{feff}{}", None),
            ("{\"k\": \"tab\there\"}", None),
            ("[1 2]", None),
            ("-", None),
            ("1e5x", None),
            ("nul", None),
            ("hello", None),
            ("", None),
            ("\x0c{}", None),
        ];
        for (text, want) in cases {
            assert_eq!(python_json::pretty(text).as_deref(), *want, "{text:?}");
        }
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let pretty = python_json::pretty(&nested(999)).unwrap();
        assert_eq!(pretty.lines().count(), 2 * 998 + 1);
        assert_eq!(python_json::pretty(&nested(1001)), None);
        assert_eq!(python_json::pretty(&nested(100_000)), None);
    }

    #[test]
    fn floats_print_as_python_repr() {
        for (f, repr) in [
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123.456, "123.456"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (2.5e-7, "2.5e-07"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (0.3, "0.3"),
        ] {
            assert_eq!(python_json::float_repr(f), repr);
        }
    }
}
