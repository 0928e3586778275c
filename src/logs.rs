//! Calls to CloudWatch Logs, converting the SDK's types into ours.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types as sdk;
use aws_sdk_cloudwatchlogs::Client;
use serde::Serialize;

use crate::aws::{Aws, AwsArgs, Service};
use crate::error::Failure;
use crate::log_group::{LogGroup, LogGroupSpec};

/// One log event, as FilterLogEvents returns it (and, as JSON, named as the aws cli prints it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(rename = "logStreamName")]
    pub stream: String,
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    pub timestamp: i64,
    pub message: String,
    /// When CloudWatch Logs received it, in milliseconds since 1970-01-01 UTC.
    #[serde(rename = "ingestionTime")]
    pub ingestion_time: i64,
    #[serde(rename = "eventId")]
    pub event_id: String,
}

pub struct Logs {
    client: Client,
    aws: Aws,
}

impl Logs {
    pub async fn connect(args: &AwsArgs) -> Result<Self, Failure> {
        let aws = args.load(Service::Logs).await?;
        Ok(Logs {
            client: Client::new(&aws.config),
            aws,
        })
    }

    pub fn region(&self) -> &str {
        &self.aws.region
    }

    /// Every log group whose name starts with `prefix` (all of them without one).
    pub async fn describe(&self, prefix: Option<&str>) -> Result<Vec<LogGroup>, Failure> {
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .describe_log_groups()
                .set_log_group_name_prefix(prefix.map(str::to_string))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    self.aws
                        .explain(e, "listing log groups", "logs:DescribeLogGroups")
                })?;
            groups.extend(out.log_groups().iter().map(from_sdk));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    pub async fn find(&self, name: &str) -> Result<Option<LogGroup>, Failure> {
        Ok(self
            .describe(Some(name))
            .await?
            .into_iter()
            .find(|g| g.log_group_name.as_deref() == Some(name)))
    }

    /// Creates the group; `Ok(false)` when it already exists (a documented error code, so no
    /// lookup is needed first and a fresh create is one call).
    pub async fn create(&self, spec: &LogGroupSpec) -> Result<bool, Failure> {
        let result = self
            .client
            .create_log_group()
            .log_group_name(&spec.name)
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_log_group_class(spec.class.as_deref().map(sdk::LogGroupClass::from))
            .set_tags((!spec.tags.is_empty()).then(|| spec.tags.clone().into_iter().collect()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.aws.explain(
                e,
                &format!("creating log group \"{}\"", spec.name),
                "logs:CreateLogGroup",
            )),
        }
    }

    pub async fn put_retention(&self, name: &str, days: i32) -> Result<(), Failure> {
        self.client
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(|e| {
                self.aws.explain(
                    e,
                    &format!("setting the retention of log group \"{name}\""),
                    "logs:PutRetentionPolicy",
                )
            })?;
        Ok(())
    }

    pub async fn delete(&self, name: &str) -> Result<(), Failure> {
        self.client
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| {
                self.aws.explain(
                    e,
                    &format!("deleting log group \"{name}\""),
                    "logs:DeleteLogGroup",
                )
            })?;
        Ok(())
    }

    /// The events of `group` from `start_ms` to `end_ms` (both inclusive, in milliseconds since
    /// 1970), every page of them, in the order CloudWatch Logs returns them (by timestamp across
    /// streams). `pattern` is a CloudWatch Logs filter pattern; `stream_prefix` keeps the streams
    /// whose names start with it. A missing group fails naming it, with a hint that `up` creates it.
    pub async fn filter_events(
        &self,
        group: &str,
        start_ms: i64,
        end_ms: Option<i64>,
        pattern: Option<&str>,
        stream_prefix: Option<&str>,
    ) -> Result<Vec<Event>, Failure> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // `interleaved` is deprecated because AWS now always interleaves the streams; the aws
            // cli still sends it, and emulators such as moto sort across streams only with it.
            #[allow(deprecated)]
            let request = self
                .client
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .set_end_time(end_ms)
                .set_filter_pattern(pattern.map(str::to_string))
                .set_log_stream_name_prefix(stream_prefix.map(str::to_string))
                .interleaved(true)
                .set_next_token(token.clone());
            let out = request.send().await.map_err(|e| {
                let missing = e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception());
                let failure = self.aws.explain(
                    e,
                    &format!("reading the events of log group \"{group}\""),
                    "logs:FilterLogEvents",
                );
                if missing {
                    failure.hint(format!(
                        "`cruddur-obs up` creates the workspace's log group (any other: cruddur-obs logs create-log-group --log-group-name {group}); if it is in another region than {}, pass --region",
                        self.aws.region
                    ))
                } else {
                    failure
                }
            })?;
            events.extend(out.events().iter().map(|e| Event {
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                timestamp: e.timestamp().unwrap_or_default(),
                message: e.message().unwrap_or_default().to_string(),
                ingestion_time: e.ingestion_time().unwrap_or_default(),
                event_id: e.event_id().unwrap_or_default().to_string(),
            }));
            match out.next_token() {
                // A token repeated verbatim would loop forever; AWS never does that, but stop.
                Some(next) if token.as_deref() != Some(next) => token = Some(next.to_string()),
                _ => return Ok(events),
            }
        }
    }

    pub async fn tags(&self, name: &str) -> Result<BTreeMap<String, String>, Failure> {
        #[allow(deprecated)] // ListTagsLogGroup takes the name, which is all we have before create
        let out = self
            .client
            .list_tags_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| {
                self.aws.explain(
                    e,
                    &format!("reading the tags of log group \"{name}\""),
                    "logs:ListTagsLogGroup",
                )
            })?;
        Ok(out
            .tags()
            .map(|t| t.clone().into_iter().collect())
            .unwrap_or_default())
    }

    pub async fn tag(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), Failure> {
        #[allow(deprecated)]
        self.client
            .tag_log_group()
            .log_group_name(name)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| {
                self.aws.explain(
                    e,
                    &format!("tagging log group \"{name}\""),
                    "logs:TagLogGroup",
                )
            })?;
        Ok(())
    }
}

fn from_sdk(g: &sdk::LogGroup) -> LogGroup {
    LogGroup {
        log_group_name: g.log_group_name().map(str::to_string),
        creation_time: g.creation_time(),
        retention_in_days: g.retention_in_days(),
        metric_filter_count: g.metric_filter_count(),
        arn: g.arn().map(str::to_string),
        stored_bytes: g.stored_bytes(),
        kms_key_id: g.kms_key_id().map(str::to_string),
        data_protection_status: g.data_protection_status().map(|s| s.as_str().to_string()),
        // The SDK cannot tell an absent list from an empty one; AWS omits it when empty.
        inherited_properties: Some(g.inherited_properties())
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().map(|p| p.as_str().to_string()).collect()),
        log_group_class: g.log_group_class().map(|c| c.as_str().to_string()),
        log_group_arn: g.log_group_arn().map(str::to_string),
        deletion_protection_enabled: g.deletion_protection_enabled(),
    }
}
