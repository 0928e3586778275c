//! One `apply` for each resource kind: the calls that bring one resource from what it is to what
//! its plan says. The aws-cli-style commands (`xray create-group --update`, `logs
//! create-log-group --update`, ...) and `up` call the same functions.

use crate::drift::Plan;
use crate::error::Failure;
use crate::group::{CreateGroupInput, Group};
use crate::log_group::LogGroupSpec;
use crate::logs::Logs;
use crate::sampling_rule::{CreateSamplingRuleInput, SamplingRuleRecord};
use crate::tags;
use crate::xray::Xray;

/// What applying a plan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
    Unchanged,
}

impl Applied {
    pub fn word(self) -> &'static str {
        match self {
            Applied::Created => "created",
            Applied::Updated => "updated",
            Applied::Unchanged => "unchanged",
        }
    }
}

/// Brings an X-Ray group to `want`; returns the group as it is afterwards (`existing` when the
/// plan changes nothing).
pub async fn group(
    x: &Xray,
    want: &CreateGroupInput,
    existing: Option<&Group>,
    plan: &Plan,
) -> Result<(Applied, Option<Group>), Failure> {
    match plan {
        Plan::Unchanged => Ok((Applied::Unchanged, existing.cloned())),
        Plan::Create => Ok((Applied::Created, Some(x.create_group(want).await?))),
        Plan::Update(_) => {
            let calls = plan.calls();
            let mut now = existing.cloned();
            if calls.settings {
                now = Some(
                    x.update_group(
                        &want.group_name,
                        want.filter_expression.clone(),
                        want.insights_configuration,
                    )
                    .await?,
                );
            }
            if let Some(arn) = existing
                .and_then(|e| e.group_arn.as_deref())
                .filter(|_| calls.tags)
            {
                x.tag(arn, &tags::list_to_map(&want.tags)).await?;
            }
            Ok((Applied::Updated, now))
        }
    }
}

/// Brings a sampling rule to `want`; returns the rule as it is afterwards.
pub async fn rule(
    x: &Xray,
    want: &CreateSamplingRuleInput,
    existing: Option<&SamplingRuleRecord>,
    plan: &Plan,
) -> Result<(Applied, Option<SamplingRuleRecord>), Failure> {
    match (plan, existing) {
        (Plan::Unchanged, _) => Ok((Applied::Unchanged, existing.cloned())),
        (Plan::Create, _) => Ok((
            Applied::Created,
            Some(x.create_rule(&want.sampling_rule, &want.tags).await?),
        )),
        (Plan::Update(_), Some(record)) => {
            let mut now = record.clone();
            let update = record.sampling_rule.update_to(&want.sampling_rule);
            if !update.is_empty() {
                now = x.update_rule(&update).await?;
            }
            if let Some(arn) = record
                .sampling_rule
                .rule_arn
                .as_deref()
                .filter(|_| plan.calls().tags)
            {
                x.tag(arn, &tags::list_to_map(&want.tags)).await?;
            }
            Ok((Applied::Updated, Some(now)))
        }
        (Plan::Update(_), None) => Err(Failure::failed(format!(
            "sampling rule \"{}\" was deleted while it was being updated",
            want.sampling_rule.rule_name.as_deref().unwrap_or_default()
        ))
        .hint("run the command again")),
    }
}

/// Brings a log group to `want`: created with its retention, or its retention and tags changed
/// (class and KMS key are fixed at creation, and are never the reason for a call).
pub async fn log_group(l: &Logs, want: &LogGroupSpec, plan: &Plan) -> Result<Applied, Failure> {
    match plan {
        Plan::Unchanged => Ok(Applied::Unchanged),
        Plan::Create => {
            l.create(want).await?;
            if let Some(days) = want.retention_in_days {
                l.put_retention(&want.name, days).await?;
            }
            Ok(Applied::Created)
        }
        Plan::Update(_) => {
            let calls = plan.calls();
            if let Some(days) = want.retention_in_days.filter(|_| calls.settings) {
                l.put_retention(&want.name, days).await?;
            }
            if calls.tags {
                l.tag(&want.name, &want.tags).await?;
            }
            Ok(Applied::Updated)
        }
    }
}
