//! Plain HTTPS calls to Honeycomb and Rollbar: the one client (bounded timeouts, our user agent),
//! the `--timeout` and endpoint URL checks, and the sentences for a call that got no usable answer.

use std::time::Duration;

use crate::error::{Exit, Failure};

/// A client that gives up after `timeout`, connecting included.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("cruddur-obs/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with a timeout builds")
}

/// A `--timeout` in seconds: more than 0, at most 300.
pub fn timeout(seconds: f64, flag: &str) -> Result<Duration, Failure> {
    if !(seconds > 0.0 && seconds <= 300.0) {
        return Err(Failure::bad_input(format!(
            "{flag}: {seconds} is out of range; allowed: more than 0 and at most 300 seconds"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Checks that `url` is an http(s) URL with a host; `example` shows a good one in the hint.
pub fn check_url(source: &str, url: &str, example: &str) -> Result<(), Failure> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(()),
        _ => Err(
            Failure::bad_input(format!("{source}: \"{url}\" is not an endpoint URL"))
                .hint(format!("an endpoint URL looks like {example}")),
        ),
    }
}

/// How a failed call is worded: by the command that made it, which names the key and the URL it
/// asked, or as one of doctor's findings, shown beside the check's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    Command,
    Doctor,
}

/// `url` did not answer within `waited`.
pub fn timed_out(url: &str, waited: Duration) -> Failure {
    Failure::new(
        Exit::Unreachable,
        format!("no answer from {url} within {} s", waited.as_secs_f64()),
    )
}

/// `url` could not be reached at all (`why`: the innermost cause, such as "Connection refused").
pub fn unreachable(url: &str, why: &str) -> Failure {
    Failure::new(Exit::Unreachable, format!("cannot reach {url}: {why}"))
}

/// `url` answered, but not as documented.
pub fn unexpected(url: &str, why: &str) -> Failure {
    Failure::failed(format!("unexpected answer from {url}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_need_a_scheme_and_a_host() {
        assert!(check_url("--endpoint", "https://api.rollbar.com/api/1/", "x").is_ok());
        assert!(check_url("--endpoint", "http://127.0.0.1:5000", "x").is_ok());
        let e = check_url(
            "--api-endpoint",
            "api.honeycomb.io",
            "https://api.honeycomb.io",
        )
        .unwrap_err();
        assert_eq!(e.exit, Exit::BadInput);
        assert_eq!(
            e.message,
            "--api-endpoint: \"api.honeycomb.io\" is not an endpoint URL"
        );
        assert_eq!(
            e.hint.unwrap(),
            "an endpoint URL looks like https://api.honeycomb.io"
        );
        assert!(check_url("--endpoint", "https:// x", "x").is_err());
        assert!(check_url("--endpoint", "https://", "x").is_err());
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(timeout(5.0, "--timeout").unwrap(), Duration::from_secs(5));
        for wrong in [0.0, -1.0, 301.0, f64::NAN] {
            let e = timeout(wrong, "--timeout").unwrap_err();
            assert_eq!(e.exit, Exit::BadInput);
            assert!(e.message.starts_with("--timeout: "), "{}", e.message);
        }
    }
}
