"""Telemetry for {{ workspace.service }}, written by `cruddur-obs init`.

init_app(app) sets up every part this workspace enabled in cruddur-obs.toml:
{%- if cloudwatch.enabled %}
  cloudwatch  request log lines, shipped to CloudWatch Logs (telemetry/cloudwatch.py)
{%- endif %}
{%- if honeycomb.enabled %}
  honeycomb   OpenTelemetry traces to Honeycomb over OTLP/HTTP (telemetry/honeycomb.py)
{%- endif %}
{%- if xray.enabled %}
  xray        one AWS X-Ray segment per request (telemetry/xray.py)
{%- endif %}
{%- if rollbar.enabled %}
  rollbar     unhandled exceptions to Rollbar (telemetry/rollbar.py)
{%- endif %}
{%- if not (cloudwatch.enabled or honeycomb.enabled or xray.enabled or rollbar.enabled) %}
  (none: enable parts in cruddur-obs.toml and run `cruddur-obs init` again)
{%- endif %}
A part whose variables are missing switches itself off with one log line saying what to set, so
the app always starts. When the server stops (Ctrl-C, SIGINT, SIGTERM from `docker stop`),
everything the parts still buffer is sent before the process exits.
"""
{% if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}
import atexit
{%- endif %}
import logging
import os
import signal
import threading
{%- if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}
import time
{%- endif %}
{%- if cloudwatch.enabled or honeycomb.enabled or xray.enabled or rollbar.enabled %}

{# The enabled parts: `init` writes only their modules. #}
from . import {{ ["cloudwatch" if cloudwatch.enabled else "", "honeycomb" if honeycomb.enabled else "", "rollbar" if rollbar.enabled else "", "xray" if xray.enabled else ""] | select | join(", ") }}
{%- endif %}

# The service's name everywhere: Honeycomb's service.name, the X-Ray segment name (which the
# group filter service({{ workspace.service | tojson }}) and the sampling rule's ServiceName match) and the
# logger's name. OTEL_SERVICE_NAME overrides it.
DEFAULT_SERVICE = {{ workspace.service | tojson }}
{%- if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}

# How long each part may take to send what it still holds when the server stops: all parts
# together stay within the 10s that `docker stop` waits before it kills the process.
FLUSH_SECONDS = 3
{%- endif %}


def init_app(app):
    """Set up every enabled part on `app` (call it once, after `app = Flask(__name__)`).

    Returns the service's logger.
    """
    service = os.getenv("OTEL_SERVICE_NAME", "").strip()
    log = service_logger(service or DEFAULT_SERVICE)
    if not service:
        # docker compose turns an unset ${VARIABLE} into "", and the OpenTelemetry SDK then files
        # the spans under "unknown_service" (mistake 11): name the service here, and say so.
        service = DEFAULT_SERVICE
        log.info("telemetry: OTEL_SERVICE_NAME is not set; the service is named %r", service)
{%- if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}

    # (part, flush) pairs, flushed at exit in reverse order of start-up.
    flushes = []
{%- endif %}
{%- if cloudwatch.enabled %}
    # Logs first: the other parts' status lines then reach CloudWatch too, and the log handler is
    # flushed last, after the lines the other parts log while they flush.
    flushes.append(("cloudwatch", cloudwatch.init_app(app, log)))
{%- endif %}
{%- if honeycomb.enabled %}
    flushes.append(("honeycomb", honeycomb.init_app(app, service, log)))
{%- endif %}
{%- if xray.enabled %}
    # X-Ray buffers nothing: each segment is sent to the daemon as it ends.
    xray.init_app(app, service, log)
{%- endif %}
{%- if rollbar.enabled %}
    flushes.append(("rollbar", rollbar.init_app(app, log)))
{%- endif %}
{%- if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}
    flush_at_exit([(part, flush) for part, flush in flushes if flush is not None], log)
{%- endif %}
    stop_on_signals()
    return log


def service_logger(name):
    """The logger named after the service, printing INFO and above to stderr."""
    log = logging.getLogger(name)
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    # Its own handlers only: a root handler (a library's logging.basicConfig) would print each
    # line twice.
    log.propagate = False
    return log
{%- if cloudwatch.enabled or honeycomb.enabled or rollbar.enabled %}


def flush_at_exit(flushes, log):
    """At exit, run every flush, newest part first, each for FLUSH_SECONDS at most."""
    if not flushes:
        return

    def flush_all():
        started = time.monotonic()
        flushed = []
        for part, flush in reversed(flushes):
            # In a thread of its own, so that a backend that does not answer costs FLUSH_SECONDS,
            # not its client's timeouts (up to a minute), and the other parts still get their turn.
            worker = threading.Thread(target=flush, name=f"flush-{part}", daemon=True)
            worker.start()
            worker.join(FLUSH_SECONDS)
            if worker.is_alive():
                log.warning("%s: not flushed after %ss; exiting without it", part, FLUSH_SECONDS)
            else:
                flushed.append(part)
        log.info(
            "telemetry: flushed %s in %.2fs",
            ", ".join(flushed) or "nothing",
            time.monotonic() - started,
        )

    atexit.register(flush_all)
{%- endif %}


def stop_on_signals():
    """Make SIGTERM and SIGINT stop the server the way Ctrl-C does.

    Ctrl-C raises KeyboardInterrupt, on which werkzeug's server (flask run) stops cleanly and the
    interpreter exits normally, running the atexit handlers. SIGTERM, what `docker stop` sends,
    would kill the process at once and lose what is buffered; and as PID 1 in a container, where
    a signal without a handler is ignored, the container would only die by SIGKILL 10s later.
    SIGINT is ignored in a script's background job (`flask run &`), so `kill -INT` would do
    nothing.
    """
    # Only the main thread may set handlers; and a server with handlers of its own keeps them.
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.SIG_IGN):
            signal.signal(signum, signal.default_int_handler)
