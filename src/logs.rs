//! Calls to CloudWatch Logs, converting the SDK's types into ours.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types as sdk;
use aws_sdk_cloudwatchlogs::Client;

use crate::aws::{Aws, AwsArgs, Service};
use crate::error::Failure;
use crate::log_group::{LogGroup, LogGroupSpec};

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
