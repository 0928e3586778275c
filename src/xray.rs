//! Calls to the X-Ray control plane, converting between the SDK's types and ours. Every call
//! that fails comes back as a `Failure` that says what we were doing.

use std::collections::BTreeMap;

use aws_sdk_xray::config::http::HttpResponse;
use aws_sdk_xray::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types as sdk;
use aws_sdk_xray::Client;

use crate::aws::{Aws, AwsArgs, Service};
use crate::error::{root_cause, Failure};
use crate::group::{CreateGroupInput, Group, InsightsConfiguration};
use crate::sampling_rule::{
    SamplingRateBoost, SamplingRule, SamplingRuleRecord, SamplingRuleUpdate,
};
use crate::tags::{self, Tag};

pub struct Xray {
    client: Client,
    aws: Aws,
}

impl Xray {
    pub async fn connect(args: &AwsArgs) -> Result<Self, Failure> {
        let aws = args.load(Service::Xray).await?;
        Ok(Xray {
            client: Client::new(&aws.config),
            aws,
        })
    }

    pub fn region(&self) -> &str {
        &self.aws.region
    }

    pub async fn sampling_rules(&self) -> Result<Vec<SamplingRuleRecord>, Failure> {
        let mut records = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .get_sampling_rules()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    self.aws
                        .explain(e, "listing sampling rules", "xray:GetSamplingRules")
                })?;
            records.extend(
                out.sampling_rule_records()
                    .iter()
                    .filter_map(record_from_sdk),
            );
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(records);
            }
        }
    }

    /// Finds a rule by name or ARN.
    pub async fn find_rule(
        &self,
        name_or_arn: &str,
    ) -> Result<Option<SamplingRuleRecord>, Failure> {
        Ok(self.sampling_rules().await?.into_iter().find(|r| {
            r.name() == name_or_arn || r.sampling_rule.rule_arn.as_deref() == Some(name_or_arn)
        }))
    }

    pub async fn create_rule(
        &self,
        rule: &SamplingRule,
        tags: &[Tag],
    ) -> Result<SamplingRuleRecord, Failure> {
        let name = rule.rule_name.as_deref().unwrap_or_default();
        let what = format!("creating sampling rule \"{name}\"");
        let out = self
            .client
            .create_sampling_rule()
            .sampling_rule(rule_to_sdk(rule)?)
            .set_tags(tags_to_sdk(tags)?)
            .send()
            .await
            .map_err(|e| self.aws.explain(e, &what, "xray:CreateSamplingRule"))?;
        out.sampling_rule_record()
            .and_then(record_from_sdk)
            .ok_or_else(|| missing(&what))
    }

    pub async fn update_rule(
        &self,
        update: &SamplingRuleUpdate,
    ) -> Result<SamplingRuleRecord, Failure> {
        let what = format!(
            "updating sampling rule \"{}\"",
            rule_ref(&update.rule_name, &update.rule_arn)
        );
        let out = self
            .client
            .update_sampling_rule()
            .sampling_rule_update(update_to_sdk(update))
            .send()
            .await
            .map_err(|e| self.aws.explain(e, &what, "xray:UpdateSamplingRule"))?;
        out.sampling_rule_record()
            .and_then(record_from_sdk)
            .ok_or_else(|| missing(&what))
    }

    pub async fn delete_rule(
        &self,
        name: &Option<String>,
        arn: &Option<String>,
    ) -> Result<SamplingRuleRecord, Failure> {
        let what = format!("deleting sampling rule \"{}\"", rule_ref(name, arn));
        let out = self
            .client
            .delete_sampling_rule()
            .set_rule_name(name.clone())
            .set_rule_arn(arn.clone())
            .send()
            .await
            .map_err(|e| self.aws.explain(e, &what, "xray:DeleteSamplingRule"))?;
        out.sampling_rule_record()
            .and_then(record_from_sdk)
            .ok_or_else(|| missing(&what))
    }

    pub async fn groups(&self) -> Result<Vec<Group>, Failure> {
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .get_groups()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.aws.explain(e, "listing groups", "xray:GetGroups"))?;
            groups.extend(out.groups().iter().map(|g| Group {
                group_name: g.group_name().map(str::to_string),
                group_arn: g.group_arn().map(str::to_string),
                filter_expression: g.filter_expression().map(str::to_string),
                insights_configuration: g.insights_configuration().map(insights_from_sdk),
            }));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    /// Finds a group by name or ARN by listing, so "not found" does not depend on error wording.
    pub async fn find_group(&self, name_or_arn: &str) -> Result<Option<Group>, Failure> {
        Ok(self.groups().await?.into_iter().find(|g| {
            g.group_name.as_deref() == Some(name_or_arn)
                || g.group_arn.as_deref() == Some(name_or_arn)
        }))
    }

    pub async fn create_group(&self, input: &CreateGroupInput) -> Result<Group, Failure> {
        let what = format!("creating group \"{}\"", input.group_name);
        let out = self
            .client
            .create_group()
            .group_name(&input.group_name)
            .set_filter_expression(input.filter_expression.clone())
            .set_insights_configuration(input.insights_configuration.as_ref().map(insights_to_sdk))
            .set_tags(tags_to_sdk(&input.tags)?)
            .send()
            .await
            .map_err(|e| self.aws.explain(e, &what, "xray:CreateGroup"))?;
        out.group()
            .map(group_from_sdk)
            .ok_or_else(|| missing(&what))
    }

    pub async fn update_group(
        &self,
        name_or_arn: &str,
        filter: Option<String>,
        insights: Option<InsightsConfiguration>,
    ) -> Result<Group, Failure> {
        let what = format!("updating group \"{name_or_arn}\"");
        let (name, arn) = split_group_ref(name_or_arn);
        let out = self
            .client
            .update_group()
            .set_group_name(name)
            .set_group_arn(arn)
            .set_filter_expression(filter)
            .set_insights_configuration(insights.as_ref().map(insights_to_sdk))
            .send()
            .await
            .map_err(|e| self.aws.explain(e, &what, "xray:UpdateGroup"))?;
        out.group()
            .map(group_from_sdk)
            .ok_or_else(|| missing(&what))
    }

    pub async fn delete_group(&self, name_or_arn: &str) -> Result<(), Failure> {
        let (name, arn) = split_group_ref(name_or_arn);
        self.client
            .delete_group()
            .set_group_name(name)
            .set_group_arn(arn)
            .send()
            .await
            .map_err(|e| {
                self.aws.explain(
                    e,
                    &format!("deleting group \"{name_or_arn}\""),
                    "xray:DeleteGroup",
                )
            })?;
        Ok(())
    }

    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, Failure> {
        let mut found = BTreeMap::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_tags_for_resource()
                .resource_arn(arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    self.aws.explain(
                        e,
                        &format!("reading the tags of {arn}"),
                        "xray:ListTagsForResource",
                    )
                })?;
            found.extend(
                out.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// The summaries of the traces between `start` and `end` (at most 24 hours apart), every page,
    /// narrowed by a filter expression such as `service("backend-flask")`.
    pub async fn trace_summaries(
        &self,
        start: DateTime,
        end: DateTime,
        filter: Option<&str>,
    ) -> Result<Vec<sdk::TraceSummary>, Failure> {
        let mut summaries = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .get_trace_summaries()
                .start_time(start)
                .end_time(end)
                .set_filter_expression(filter.map(str::to_string))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    self.explain_read(e, "listing recent traces", "xray:GetTraceSummaries")
                })?;
            summaries.extend(out.trace_summaries().iter().cloned());
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(summaries);
            }
        }
    }

    /// The traces with these ids, with their segment documents: BatchGetTraces, five ids a call
    /// (its limit), every page. A trace that comes back over several pages is put together again;
    /// ids X-Ray does not know are left out.
    pub async fn traces(&self, ids: &[String]) -> Result<Vec<sdk::Trace>, Failure> {
        let mut traces: Vec<sdk::Trace> = Vec::new();
        for batch in ids.chunks(5) {
            let what = match batch {
                [one] => format!("reading trace {one}"),
                _ => format!("reading traces {}", batch.join(", ")),
            };
            let mut token = None;
            loop {
                let out = self
                    .client
                    .batch_get_traces()
                    .set_trace_ids(Some(batch.to_vec()))
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| self.explain_read(e, &what, "xray:BatchGetTraces"))?;
                for trace in out.traces() {
                    merge_trace(&mut traces, trace);
                }
                token = out.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(traces)
    }

    /// `Aws::explain`, except that an answer with a success status that the SDK could not read
    /// (an emulator's, say) is called that rather than a failed request.
    fn explain_read<E>(&self, err: SdkError<E, HttpResponse>, what: &str, action: &str) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let SdkError::ServiceError(e) = &err {
            if e.raw().status().is_success() {
                return Failure::failed(format!(
                    "{what}: the answer from {} could not be read: {}",
                    self.aws.endpoint,
                    root_cause(&err)
                ));
            }
        }
        self.aws.explain(err, what, action)
    }

    pub async fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), Failure> {
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(tags_to_sdk(&tags::map_to_list(tags))?)
            .send()
            .await
            .map_err(|e| {
                self.aws
                    .explain(e, &format!("tagging {arn}"), "xray:TagResource")
            })?;
        Ok(())
    }
}

/// Adds a trace from one page of BatchGetTraces: new, or more segments of one already read.
fn merge_trace(traces: &mut Vec<sdk::Trace>, trace: &sdk::Trace) {
    let known = trace
        .id()
        .and_then(|id| traces.iter().position(|t| t.id() == Some(id)));
    let Some(i) = known else {
        traces.push(trace.clone());
        return;
    };
    let old = &traces[i];
    let mut segments = old.segments().to_vec();
    for s in trace.segments() {
        if !segments.contains(s) {
            segments.push(s.clone());
        }
    }
    traces[i] = sdk::Trace::builder()
        .set_id(old.id().map(str::to_string))
        .set_duration(trace.duration().or(old.duration()))
        .set_limit_exceeded(match (old.limit_exceeded(), trace.limit_exceeded()) {
            (None, None) => None,
            (a, b) => Some(a == Some(true) || b == Some(true)),
        })
        .set_segments(Some(segments))
        .build();
}

fn missing(what: &str) -> Failure {
    Failure::failed(format!("{what}: the answer held no result"))
}

fn rule_ref(name: &Option<String>, arn: &Option<String>) -> String {
    name.clone().or_else(|| arn.clone()).unwrap_or_default()
}

fn split_group_ref(name_or_arn: &str) -> (Option<String>, Option<String>) {
    if name_or_arn.starts_with("arn:") {
        (None, Some(name_or_arn.to_string()))
    } else {
        (Some(name_or_arn.to_string()), None)
    }
}

fn build_error(e: impl std::fmt::Display) -> Failure {
    Failure::bad_input(format!("incomplete input: {e}"))
}

fn tags_to_sdk(tags: &[Tag]) -> Result<Option<Vec<sdk::Tag>>, Failure> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|t| {
            sdk::Tag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn boost_to_sdk(b: &SamplingRateBoost) -> sdk::SamplingRateBoost {
    sdk::SamplingRateBoost::builder()
        .max_rate(b.max_rate)
        .cooldown_window_minutes(b.cooldown_window_minutes)
        .build()
}

fn rule_to_sdk(r: &SamplingRule) -> Result<sdk::SamplingRule, Failure> {
    sdk::SamplingRule::builder()
        .set_rule_name(r.rule_name.clone())
        .set_rule_arn(r.rule_arn.clone())
        .resource_arn(&r.resource_arn)
        .priority(r.priority)
        .fixed_rate(r.fixed_rate)
        .reservoir_size(r.reservoir_size)
        .service_name(&r.service_name)
        .service_type(&r.service_type)
        .host(&r.host)
        .http_method(&r.http_method)
        .url_path(&r.url_path)
        .version(r.version)
        .set_attributes(r.attributes.clone().map(|a| a.into_iter().collect()))
        .set_sampling_rate_boost(r.sampling_rate_boost.as_ref().map(boost_to_sdk))
        .build()
        .map_err(build_error)
}

fn update_to_sdk(u: &SamplingRuleUpdate) -> sdk::SamplingRuleUpdate {
    sdk::SamplingRuleUpdate::builder()
        .set_rule_name(u.rule_name.clone())
        .set_rule_arn(u.rule_arn.clone())
        .set_resource_arn(u.resource_arn.clone())
        .set_priority(u.priority)
        .set_fixed_rate(u.fixed_rate)
        .set_reservoir_size(u.reservoir_size)
        .set_host(u.host.clone())
        .set_service_name(u.service_name.clone())
        .set_service_type(u.service_type.clone())
        .set_http_method(u.http_method.clone())
        .set_url_path(u.url_path.clone())
        .set_attributes(u.attributes.clone().map(|a| a.into_iter().collect()))
        .set_sampling_rate_boost(u.sampling_rate_boost.as_ref().map(boost_to_sdk))
        .build()
}

fn record_from_sdk(r: &sdk::SamplingRuleRecord) -> Option<SamplingRuleRecord> {
    let s = r.sampling_rule()?;
    Some(SamplingRuleRecord {
        sampling_rule: SamplingRule {
            rule_name: s.rule_name().map(str::to_string),
            rule_arn: s.rule_arn().map(str::to_string),
            resource_arn: s.resource_arn().to_string(),
            priority: s.priority(),
            fixed_rate: s.fixed_rate(),
            reservoir_size: s.reservoir_size(),
            service_name: s.service_name().to_string(),
            service_type: s.service_type().to_string(),
            host: s.host().to_string(),
            http_method: s.http_method().to_string(),
            url_path: s.url_path().to_string(),
            version: s.version(),
            attributes: s
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            sampling_rate_boost: s.sampling_rate_boost().map(|b| SamplingRateBoost {
                max_rate: b.max_rate(),
                cooldown_window_minutes: b.cooldown_window_minutes(),
            }),
        },
        created_at: r.created_at().map(|t| t.as_secs_f64()),
        modified_at: r.modified_at().map(|t| t.as_secs_f64()),
    })
}

fn insights_to_sdk(c: &InsightsConfiguration) -> sdk::InsightsConfiguration {
    sdk::InsightsConfiguration::builder()
        .set_insights_enabled(c.insights_enabled)
        .set_notifications_enabled(c.notifications_enabled)
        .build()
}

fn insights_from_sdk(c: &sdk::InsightsConfiguration) -> InsightsConfiguration {
    InsightsConfiguration {
        insights_enabled: c.insights_enabled(),
        notifications_enabled: c.notifications_enabled(),
    }
}

fn group_from_sdk(g: &sdk::Group) -> Group {
    Group {
        group_name: g.group_name().map(str::to_string),
        group_arn: g.group_arn().map(str::to_string),
        filter_expression: g.filter_expression().map(str::to_string),
        insights_configuration: g.insights_configuration().map(insights_from_sdk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(id: &str, segments: &[&str]) -> sdk::Trace {
        sdk::Trace::builder()
            .id(id)
            .duration(0.12)
            .set_segments(Some(
                segments
                    .iter()
                    .map(|s| sdk::Segment::builder().id(*s).document("{}").build())
                    .collect(),
            ))
            .build()
    }

    #[test]
    fn pages_of_one_trace_are_put_together() {
        let mut traces = Vec::new();
        merge_trace(&mut traces, &trace("1-a", &["s1", "s2"]));
        merge_trace(&mut traces, &trace("1-b", &["s9"]));
        merge_trace(&mut traces, &trace("1-a", &["s2", "s3"]));
        assert_eq!(traces.len(), 2);
        let ids: Vec<&str> = traces[0].segments().iter().filter_map(|s| s.id()).collect();
        assert_eq!(ids, ["s1", "s2", "s3"]);
        assert_eq!(traces[0].duration(), Some(0.12));
        assert_eq!(traces[1].id(), Some("1-b"));
    }
}
