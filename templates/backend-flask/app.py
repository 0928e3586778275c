"""Cruddur's backend: the API the React frontend calls.

Start it from this directory: flask --app app run --port 4567 (docker compose runs the same).
The observability wiring lives in the telemetry package, written by `cruddur-obs init`.
"""

import os
{% if rollbar.enabled %}
import rollbar
{%- endif %}
from flask import Flask, request
from flask_cors import CORS

{% if xray.enabled -%}
# telemetry before the services: it checks AWS_XRAY_DAEMON_ADDRESS before the X-Ray SDK is imported.
{% endif -%}
import telemetry
from services.home_activities import HomeActivities
from services.notifications_activities import NotificationsActivities
from services.user_activities import UserActivities

app = Flask(__name__)
# After the app exists, since every part hooks into it (mistake 4), and before any request.
telemetry.init_app(app)


def origins(variable, default):
    """The origins in `variable`, a comma-separated list of URLs."""
    urls = os.getenv(variable) or default
    # An Origin header never ends with "/": a FRONTEND_URL copied with one would never match.
    return [url.strip().rstrip("/") for url in urls.split(",") if url.strip()]


# The frontend's and backend's URLs come from the environment, which docker-compose.yml sets for
# Gitpod, Codespaces or a local run alike; URLs built from GITPOD_* variables would work on Gitpod
# only (mistake 15).
CORS(
    app,
    resources={
        r"/api/*": {
            "origins": origins("FRONTEND_URL", "http://localhost:3000")
            + origins("BACKEND_URL", "http://localhost:4567")
        }
    },
    # traceparent and tracestate carry the browser's trace on to the backend's spans (mistake 15).
    allow_headers=[
        "authorization",
        "content-type",
        "if-modified-since",
        "traceparent",
        "tracestate",
        "x-cruddur-user",
    ],
    expose_headers=["location", "link"],
    methods=["OPTIONS", "GET", "HEAD", "POST"],
)


def signed_in_user():
    """The signed-in user's handle: the X-Cruddur-User header, else ?user=, else "anonymous"."""
    return request.headers.get("X-Cruddur-User") or request.args.get("user") or "anonymous"


@app.route("/api/health")
def health():
    return {"ok": True}


@app.route("/api/activities/home")
def data_home():
    return HomeActivities.run(user_handle=signed_in_user())


@app.route("/api/activities/notifications")
def data_notifications():
    return NotificationsActivities.run(user_handle=signed_in_user())


@app.route("/api/activities/@<string:handle>")
def data_handle(handle):
    model = UserActivities.run(handle)
    if model["errors"] is not None:
        return model["errors"], 422
    return model["data"], 200
{%- if rollbar.enabled %}


@app.route("/rollbar/test")
def rollbar_test():
    rollbar.report_message("Hello World!", "warning")
    return "Hello World!"
{%- endif %}


class CruddurDebugError(Exception):
    """Raised on purpose by /api/debug/error."""


# Fails on purpose, to check the error path end to end: `curl localhost:4567/api/debug/error`
# answers 500, and the exception reaches
{%- if rollbar.enabled %}
#   Rollbar: an item for CruddurDebugError,
{%- endif %}
{%- if xray.enabled %}
#   X-Ray: the request's segment, marked fault, with the exception,
{%- endif %}
{%- if honeycomb.enabled %}
#   Honeycomb: the request's span, with status error and an exception event,
{%- endif %}
#   the log: Flask's traceback on stderr{% if cloudwatch.enabled %}, and in CloudWatch{% endif %}.
@app.route("/api/debug/error")
def debug_error():
    raise CruddurDebugError("raised on purpose by /api/debug/error")
