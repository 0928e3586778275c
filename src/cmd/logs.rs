//! `cruddur-obs logs ...`: CloudWatch Logs log groups, as the aws cli's commands of the same names,
//! validated before any call and safe to re-run.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::aws::AwsArgs;
use crate::drift::{self, Plan};
use crate::error::{Exit, Failure};
use crate::log_group::{self, LogGroupSpec};
use crate::logs::Logs;
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
}

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

pub async fn run(command: LogsCommand) -> Result<Exit, Failure> {
    match command {
        LogsCommand::CreateLogGroup(a) => create(a).await,
        LogsCommand::DescribeLogGroups(a) => describe(a).await,
        LogsCommand::PutRetentionPolicy(a) => put_retention(a).await,
        LogsCommand::DeleteLogGroup(a) => delete(a).await,
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
