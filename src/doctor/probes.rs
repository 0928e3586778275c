//! The network calls doctor makes, each once, all at the same time, each bounded by the timeout:
//! a slow or silent service costs at most the timeout, never the sum.

use std::future::Future;
use std::time::Duration;

use crate::aws::{self, AwsArgs};
use crate::doctor::workspace::Workspace;
use crate::error::{Exit, Failure};
use crate::group::Group;
use crate::honeycomb::{self, Auth, AuthError};
use crate::log_group::LogGroup;
use crate::logs::Logs;
use crate::rollbar::{self, PostError};
use crate::sampling_rule::SamplingRuleRecord;
use crate::secret::mask;
use crate::xray::Xray;

/// What a probe found: not asked (and why), an answer, or a failure explained in one line.
#[derive(Debug, Clone)]
pub enum Probe<T> {
    NotRun(String),
    Failed(String),
    Found(T),
}

#[derive(Debug, Clone)]
pub struct XrayState {
    pub groups: Vec<Group>,
    pub rules: Vec<SamplingRuleRecord>,
}

pub struct Probes {
    pub honeycomb: Probe<Auth>,
    pub sts: Probe<(String, String)>,
    pub xray: Probe<XrayState>,
    /// The workspace's log group, when it exists.
    pub log_group: Probe<Option<LogGroup>>,
    /// The uuid of the test item, with --send-test-item.
    pub rollbar: Probe<String>,
}

impl Probes {
    /// No network: every probe not run.
    pub fn offline() -> Self {
        fn why<T>() -> Probe<T> {
            Probe::NotRun("--offline".into())
        }
        Probes {
            honeycomb: why(),
            sts: why(),
            xray: why(),
            log_group: why(),
            rollbar: why(),
        }
    }
}

pub struct Options {
    pub timeout: Duration,
    pub aws: AwsArgs,
    pub send_test_item: bool,
}

async fn bounded<T>(
    timeout: Duration,
    what: &str,
    work: impl Future<Output = Result<T, String>>,
) -> Probe<T> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(found)) => Probe::Found(found),
        Ok(Err(why)) => Probe::Failed(why),
        Err(_) => Probe::Failed(format!(
            "{what}: no answer within {} s",
            timeout.as_secs_f64()
        )),
    }
}

/// A failure to reach AWS at all: a setup problem (no region or credentials) is reported once, by
/// the check it belongs to; the other AWS checks point there instead of repeating it.
fn setup_failure<T>(f: Failure, is_sts: bool) -> Probe<T> {
    let setup = matches!(f.exit, Exit::Setup | Exit::BadInput);
    if setup && f.message.contains("region") {
        Probe::NotRun(format!(
            "needs a valid AWS region (see env.aws-region): {}",
            f.message
        ))
    } else if setup && !is_sts {
        Probe::NotRun(format!(
            "needs working AWS credentials (see aws.credentials): {}",
            f.message
        ))
    } else {
        Probe::Failed(f.message)
    }
}

pub async fn gather(w: &Workspace, o: &Options) -> Probes {
    let m = &w.manifest;
    let honeycomb = async {
        let Some(key) = w.var("HONEYCOMB_API_KEY").filter(|_| m.honeycomb.enabled) else {
            return Probe::NotRun("no HONEYCOMB_API_KEY".into());
        };
        let Ok(shape) = honeycomb::classify(key) else {
            return Probe::NotRun("HONEYCOMB_API_KEY is not a key".into());
        };
        let api = w
            .var("HONEYCOMB_API_ENDPOINT")
            .unwrap_or(shape.region.api())
            .to_string();
        bounded(o.timeout, &format!("Honeycomb ({api})"), async {
            honeycomb::whoami(&api, key, shape, o.timeout)
                .await
                .map_err(|e| match e {
                    AuthError::Rejected(m) => {
                        format!("Honeycomb does not accept {}: {m}", mask(key))
                    }
                    AuthError::RateLimited => "Honeycomb is rate limiting requests".into(),
                    AuthError::TimedOut(t) => {
                        format!("no answer from {api} within {} s", t.as_secs_f64())
                    }
                    AuthError::Unreachable(why) => format!("cannot reach {api}: {why}"),
                    AuthError::Unexpected(why) => format!("unexpected answer from {api}: {why}"),
                })
        })
        .await
    };
    let aws_needed = m.xray.enabled || m.cloudwatch.enabled;
    let sts = async {
        if !aws_needed {
            return Probe::NotRun("neither X-Ray nor CloudWatch Logs is wired".into());
        }
        match tokio::time::timeout(o.timeout, aws::caller_identity(&o.aws)).await {
            Ok(Ok(found)) => Probe::Found(found),
            Ok(Err(f)) => setup_failure(f, true),
            Err(_) => Probe::Failed(format!(
                "AWS STS: no answer within {} s",
                o.timeout.as_secs_f64()
            )),
        }
    };
    let xray = async {
        if !m.xray.enabled {
            return Probe::NotRun("X-Ray is not wired".into());
        }
        let xray = match Xray::connect(&o.aws).await {
            Ok(x) => x,
            Err(f) => return setup_failure(f, false),
        };
        bounded(o.timeout, "AWS X-Ray", async {
            let groups = xray.groups().await.map_err(|f| f.message)?;
            let rules = xray.sampling_rules().await.map_err(|f| f.message)?;
            Ok(XrayState { groups, rules })
        })
        .await
    };
    let log_group = async {
        if !m.cloudwatch.enabled {
            return Probe::NotRun("CloudWatch Logs is not wired".into());
        }
        let logs = match Logs::connect(&o.aws).await {
            Ok(l) => l,
            Err(f) => return setup_failure(f, false),
        };
        bounded(o.timeout, "CloudWatch Logs", async {
            logs.find(&m.cloudwatch.log_group)
                .await
                .map_err(|f| f.message)
        })
        .await
    };
    let rollbar = async {
        if !o.send_test_item {
            return Probe::NotRun("a live item is sent only with --send-test-item".into());
        }
        let Some(token) = w.var("ROLLBAR_ACCESS_TOKEN") else {
            return Probe::NotRun("no ROLLBAR_ACCESS_TOKEN".into());
        };
        let endpoint = w
            .var("ROLLBAR_ENDPOINT")
            .unwrap_or(rollbar::DEFAULT_ENDPOINT)
            .to_string();
        bounded(o.timeout, "Rollbar", async {
            rollbar::post_hello(&endpoint, token, "development", o.timeout)
                .await
                .map_err(|e| match e {
                    PostError::UnknownToken(m) => format!("Rollbar does not know the token: {m}"),
                    PostError::WrongScope(m) => format!("the token cannot post server items: {m}"),
                    PostError::Rejected(m) => format!("Rollbar rejected the item: {m}"),
                    PostError::RateLimited => "Rollbar is rate limiting this project".into(),
                    PostError::TimedOut(t) => {
                        format!("no answer from {endpoint} within {} s", t.as_secs_f64())
                    }
                    PostError::Unreachable(why) => format!("cannot reach {endpoint}: {why}"),
                    PostError::Unexpected(why) => {
                        format!("unexpected answer from {endpoint}: {why}")
                    }
                })
        })
        .await
    };
    let (honeycomb, sts, xray, log_group, rollbar) =
        tokio::join!(honeycomb, sts, xray, log_group, rollbar);
    Probes {
        honeycomb,
        sts,
        xray,
        log_group,
        rollbar,
    }
}
