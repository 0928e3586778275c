"""AWS X-Ray: one segment per request, sent over UDP to the X-Ray daemon.

Variables: AWS_XRAY_DAEMON_ADDRESS (host:port, or "tcp:host:port udp:host:port"; without it, a
daemon listening on 127.0.0.1:2000 is used if there is one), AWS_XRAY_SDK_ENABLED=false (off), and
CRUDDUR_XRAY_SAMPLE_ALL=true (record every request, for tests and debugging). Otherwise the
sampling rule {{ xray.sampling_rule | tojson }} in X-Ray decides which requests are recorded (`cruddur-obs xray
get-sampling-rules` shows it).
"""

import os
import re
import socket

# The SDK parses AWS_XRAY_DAEMON_ADDRESS when it is imported, and a value it cannot parse makes
# every `import aws_xray_sdk.core` raise, here and in the services: the app would not start. So
# such a value is set aside before the first import (telemetry is imported before the services),
# and init_app reports it and leaves X-Ray off.
HOST_PORT = r"[^\s:]+:\d+"
DAEMON_ADDRESS = re.compile(
    rf"{HOST_PORT}|tcp:{HOST_PORT} udp:{HOST_PORT}|udp:{HOST_PORT} tcp:{HOST_PORT}"
)
INVALID_ADDRESS = None
if not DAEMON_ADDRESS.fullmatch(os.environ.get("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000")):
    INVALID_ADDRESS = os.environ.pop("AWS_XRAY_DAEMON_ADDRESS")

from aws_xray_sdk import global_sdk_config  # noqa: E402 (after the check above)
from aws_xray_sdk.core import xray_recorder  # noqa: E402
from aws_xray_sdk.core.daemon_config import DaemonConfig  # noqa: E402
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware  # noqa: E402


def init_app(app, service, log):
    """Record a segment named `service` for every request of `app`."""
    if not global_sdk_config.sdk_enabled():
        log.info("xray: off: AWS_XRAY_SDK_ENABLED=%s", os.getenv("AWS_XRAY_SDK_ENABLED"))
        return
    if INVALID_ADDRESS is not None:
        switch_off()
        log.warning(
            "xray: off: AWS_XRAY_DAEMON_ADDRESS=%r is neither host:port nor"
            " 'tcp:host:port udp:host:port' (docker-compose.yml sets xray-daemon:2000)",
            INVALID_ADDRESS,
        )
        return
    daemon = DaemonConfig()  # AWS_XRAY_DAEMON_ADDRESS, else 127.0.0.1:2000, as the SDK reads it
    if "AWS_XRAY_DAEMON_ADDRESS" not in os.environ and not listening(daemon):
        switch_off()
        log.info(
            "xray: off: AWS_XRAY_DAEMON_ADDRESS is not set and no X-Ray daemon listens on"
            " 127.0.0.1:2000 (set it to the daemon's host:port: docker-compose.yml sets"
            " xray-daemon:2000; a `flask run` outside compose needs 127.0.0.1:2000)"
        )
        return

    sample_all = os.getenv("CRUDDUR_XRAY_SAMPLE_ALL", "").strip().lower() == "true"
    xray_recorder.configure(
        # The segment name is the service name, never the Host header (no dynamic_naming): what
        # the group filter service({{ workspace.service | tojson }}) and the sampling rule's ServiceName match
        # (mistake 5).
        service=service,
        # sampling=False records every request; True asks the daemon for the sampling rules.
        sampling=not sample_all,
        # Without a segment (code run outside a request), log and go on: never crash the request.
        context_missing="LOG_ERROR",
    )
    # Only now that the app exists (mistake 4). The middleware opens and closes each request's
    # segment, marks it fault with the exception when the request fails, and so is the only
    # place that begins or ends a segment (mistakes 2 and 3).
    XRayMiddleware(app, xray_recorder)
    log.info(
        "xray: on: segments named %r to the daemon at %s:%s, %s",
        xray_recorder.service,  # AWS_XRAY_TRACING_NAME would override the name: this shows it
        daemon.udp_ip,
        daemon.udp_port,
        "every request (CRUDDUR_XRAY_SAMPLE_ALL=true)"
        if sample_all
        else "sampled by the X-Ray sampling rules",
    )


def switch_off():
    """Turn the SDK into no-ops, so the services' subsegments are silently skipped."""
    global_sdk_config.set_sdk_enabled(False)


def listening(daemon):
    """Whether something accepts TCP connections at the daemon's address, as the daemon does."""
    try:
        with socket.create_connection((daemon.tcp_ip, daemon.tcp_port), timeout=0.2):
            return True
    except OSError:
        return False
