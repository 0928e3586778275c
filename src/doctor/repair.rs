//! `doctor --fix`: the mechanical repairs. A finding that has one carries a `Repair`: the file and
//! what to do to it. Each repair re-reads the file's current text with a real parser and returns
//! the minimal edit, so several repairs of one file apply one after the other; a repair with
//! nothing left to do returns the text unchanged.

use serde::Serialize;

/// One repair of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// The file, relative to the workspace.
    pub path: String,
    #[serde(flatten)]
    pub fix: Fix,
}

impl Repair {
    pub fn new(path: impl Into<String>, fix: Fix) -> Repair {
        Repair {
            path: path.into(),
            fix,
        }
    }
}

/// What a repair does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "repair", rename_all = "kebab-case")]
pub enum Fix {
    /// `@app.before_first_request` on a function: the decorator goes, and the function is called
    /// in `with app.app_context():` right after its definition, at start-up.
    BeforeFirstRequest,
    /// `CloudWatchLogHandler(log_group=...)` becomes `log_group_name=`.
    LogGroupName,
    /// The `after_request` hook logs with `.info(` instead of `.error(`.
    RequestLogInfo,
    /// `traceparent` and `tracestate` join the CORS allow_headers.
    CorsTraceHeaders,
    /// The `end_subsegment()` call at this line (a function's second) is removed.
    SecondEnd { line: usize },
    /// `x = xray_recorder.begin_segment(...)` at this line becomes
    /// `with xray_recorder.in_subsegment(...) as x:` around the statements up to its
    /// `end_segment()`, which goes.
    SegmentInService { line: usize },
    /// These ports of `.gitpod.yml` become public (added when missing).
    GitpodPortsPublic { ports: Vec<u16> },
    /// `.env` is added to `.gitignore` (created when missing).
    GitignoreEnv,
    /// Unpinned requirements that cruddur-obs has a proven version of get pinned to it.
    PinRequirements,
    /// In compose, `service`'s `variable` taken from an unset variable becomes `value` itself.
    ComposeLiteral {
        service: String,
        variable: String,
        value: String,
    },
    /// The sampling rule's `ServiceName` becomes `name`, the segments' name.
    RuleServiceName { name: String },
}

/// The file's text after the repair, or why the repair cannot be made.
pub fn apply(fix: &Fix, text: &str) -> Result<String, String> {
    let _ = text;
    Err(format!("{fix:?} is not made by this version"))
}
