//! The network calls doctor makes, each once, all at the same time, each bounded by the timeout:
//! a slow or silent service costs at most the timeout, never the sum.

use std::future::Future;
use std::time::Duration;

use crate::aws::{self, AwsArgs};
use crate::doctor::checks;
use crate::doctor::workspace::Workspace;
use crate::error::{About, Exit, Failure};
use crate::group::Group;
use crate::honeycomb::{self, Auth};
use crate::http::Wording;
use crate::log_group::LogGroup;
use crate::logs::Logs;
use crate::rollbar;
use crate::sampling_rule::SamplingRuleRecord;
use crate::xray::Xray;

/// What a probe found: not asked (and why), an answer, or the failure as the service's own
/// explanation gives it (its exit kind, and its message in one line).
#[derive(Debug)]
pub enum Probe<T> {
    NotRun(String),
    Failed(Failure),
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
    work: impl Future<Output = Result<T, Failure>>,
) -> Probe<T> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(found)) => Probe::Found(found),
        Ok(Err(failure)) => Probe::Failed(failure),
        Err(_) => Probe::Failed(no_answer(what, timeout)),
    }
}

/// `what` gave no answer within doctor's `--timeout`.
fn no_answer(what: &str, timeout: Duration) -> Failure {
    Failure::new(
        Exit::Unreachable,
        format!("{what}: no answer within {} s", timeout.as_secs_f64()),
    )
}

/// A failure to reach AWS at all: a setup problem (no region or credentials) is reported once, by
/// the check it belongs to; the other AWS checks point there instead of repeating it.
fn setup_failure<T>(f: Failure, is_sts: bool) -> Probe<T> {
    match f.exit {
        Exit::Setup | Exit::BadInput if names_the_region(&f) => Probe::NotRun(format!(
            "needs a valid AWS region (see {}): {}",
            checks::ENV_AWS_REGION,
            f.message
        )),
        Exit::Setup | Exit::BadInput if !is_sts => Probe::NotRun(format!(
            "needs working AWS credentials (see {}): {}",
            checks::aws::CREDENTIALS,
            f.message
        )),
        _ => Probe::Failed(f),
    }
}

/// Whether an AWS setup failure is about the region: none set, or a name that is not one.
fn names_the_region(f: &Failure) -> bool {
    f.about == Some(About::Region)
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
                .map_err(|e| e.failure(&api, key, Wording::Doctor))
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
            Err(_) => Probe::Failed(no_answer("AWS STS", o.timeout)),
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
            let groups = xray.groups().await?;
            let rules = xray.sampling_rules().await?;
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
        bounded(
            o.timeout,
            "CloudWatch Logs",
            logs.find(&m.cloudwatch.log_group),
        )
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
                .map_err(|e| e.failure(&endpoint, token, Wording::Doctor))
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
