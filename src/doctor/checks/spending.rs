//! What the setup costs: logs kept forever, tracing above the free tier, and logs turned off
//! where a short retention would do.

use crate::doctor::probes::{Probe, Probes};
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::input::JsonInput;
use crate::sampling_rule::CreateSamplingRuleInput;

const fn check(name: &'static str, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Spending,
        needs: Needs::Nothing,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check("spending.log-retention", log_retention),
    check("spending.sampling-free-tier", sampling_free_tier),
    check("spending.cloudwatch-off", cloudwatch_off),
];

/// X-Ray records this many traces a month for free.
pub const XRAY_FREE_TRACES: f64 = 100_000.0;
/// Dollars per million traces recorded beyond the free tier.
pub const XRAY_PRICE_PER_MILLION: f64 = 5.0;
/// The time the estimate assumes a workspace is in use: 8 hours a day, 22 days a month.
pub const SECONDS_IN_USE: f64 = 8.0 * 3600.0 * 22.0;

fn log_retention(w: &Workspace, p: &Probes) -> Outcome {
    let c = &w.manifest.cloudwatch;
    if !c.enabled {
        return Outcome::skipped("CloudWatch Logs is not wired");
    }
    let forever = |source: &str| {
        Outcome::warn(
            format!(
                "log group {} keeps its events forever ({source}), and they are billed every month",
                c.log_group
            ),
            format!(
                "`cruddur-obs logs put-retention-policy --log-group-name {} --retention-in-days 7`",
                c.log_group
            ),
        )
    };
    match &p.log_group {
        Probe::Found(Some(group)) => match group.retention_in_days {
            Some(days) => Outcome::ok(format!(
                "log group {} keeps events {days} days",
                c.log_group
            )),
            None => forever("in AWS"),
        },
        Probe::Found(None) => Outcome::skipped(format!(
            "log group {} does not exist (see aws.log-group)",
            c.log_group
        )),
        _ if w.has_manifest => Outcome::ok(format!(
            "cruddur-obs.toml asks for {} days",
            c.retention_days
        )),
        _ => Outcome::skipped("needs the network to read the log group's retention"),
    }
}

/// Traces recorded a month under a rule at `rps` requests a second: the reservoir's worth each
/// second, then the fixed rate of the rest.
pub fn monthly_traces(rps: f64, fixed_rate: f64, reservoir: f64) -> f64 {
    let sampled_per_second = rps.min(reservoir) + (rps - reservoir).max(0.0) * fixed_rate;
    sampled_per_second * SECONDS_IN_USE
}

fn sampling_free_tier(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    let rule = w.aws_json.iter().find_map(|f| {
        let input: CreateSamplingRuleInput = JsonInput::inline(&f.path, &f.text).parse().ok()?;
        Some((f.path.clone(), input.sampling_rule))
    });
    // Only a source the workspace has: a rule file, or the manifest.
    let (source, rate, reservoir) =
        match &rule {
            Some((path, r)) => (path.clone(), r.fixed_rate, f64::from(r.reservoir_size)),
            None if w.has_manifest => (
                "cruddur-obs.toml".to_string(),
                w.manifest.xray.fixed_rate,
                f64::from(w.manifest.xray.reservoir_size),
            ),
            None => return Outcome::skipped(
                "no sampling rule in aws/json/ or backend-flask/aws/json/, and no cruddur-obs.toml",
            ),
        };
    let rps = w.requests_per_second;
    let traces = monthly_traces(rps, rate, reservoir);
    let figure = format!(
        "{source} (reservoir {reservoir}/s, rate {rate}) records about {} traces a month at {rps} requests/s, 8 h a day, 22 days",
        thousands(traces)
    );
    if traces <= XRAY_FREE_TRACES {
        return Outcome::ok(format!("{figure}: within the free 100,000"));
    }
    let dollars = (traces - XRAY_FREE_TRACES) / 1_000_000.0 * XRAY_PRICE_PER_MILLION;
    Outcome::warn(
        format!("{figure}: over the free 100,000 (about ${dollars:.2} a month)"),
        format!(
            "lower the rule (e.g. ReservoirSize 0, FixedRate {:.2}) with `cruddur-obs xray update-sampling-rule --cli-input-json file://aws/json/xray.json`, or accept the cost",
            (XRAY_FREE_TRACES / (rps * SECONDS_IN_USE)).min(1.0) * 0.9
        ),
    )
}

/// 633600 as "633,600".
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cloudwatch_off(w: &Workspace, _: &Probes) -> Outcome {
    if w.has_manifest && !w.manifest.cloudwatch.enabled {
        return Outcome::warn(
            "CloudWatch Logs is switched off in cruddur-obs.toml",
            "to bound its cost, keep it with a short retention instead: `cruddur-obs init --cloudwatch --retention-in-days 1 --force`",
        );
    }
    // Switched off: in the text, but not in the live code (commented or quoted out).
    let wired =
        |text: &str| text.contains("CloudWatchLogHandler") || text.contains("addHandler(cw");
    let live_anywhere = w
        .python
        .iter()
        .any(|f| wired(f.live.as_deref().unwrap_or(&f.text)));
    let commented = w.python.iter().filter(|_| !live_anywhere).find_map(|f| {
        let live: Vec<&str> = f.live.as_deref().unwrap_or(&f.text).lines().collect();
        f.lines()
            .find(|(n, l)| wired(l) && !live.get(n - 1).is_some_and(|x| wired(x)))
            .map(|(n, _)| format!("{}:{n}", f.path))
    });
    match commented {
        Some(at) => Outcome::warn(
            format!("{at}: the CloudWatch handler is commented out, so the backend's logs go nowhere durable"),
            "keep it, with a short retention to bound the cost: `cruddur-obs logs put-retention-policy --log-group-name cruddur --retention-in-days 1`",
        ),
        None if w.manifest.cloudwatch.enabled => Outcome::ok("CloudWatch Logs is on"),
        None => Outcome::skipped("CloudWatch Logs is not wired"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_traces() {
        // Reservoir 5 covers 1 request/s entirely: every request is traced.
        assert_eq!(monthly_traces(1.0, 0.1, 5.0), 633_600.0);
        assert_eq!(monthly_traces(1.0, 0.1, 0.0), 63_360.0);
        assert_eq!(
            monthly_traces(10.0, 0.1, 5.0).round(),
            (5.0 + 0.5) * 633_600.0
        );
        assert_eq!(thousands(633_600.0), "633,600");
        assert_eq!(thousands(999.0), "999");
    }
}
