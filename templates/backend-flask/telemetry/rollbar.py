{%- set how = "gp env " if workspace.host == "gitpod" else ("a Codespaces secret " if workspace.host == "codespaces" else "export ") -%}
"""Rollbar: every unhandled exception of a request becomes a Rollbar item.

Variables: ROLLBAR_ACCESS_TOKEN (a post_server_item token), ROLLBAR_ENVIRONMENT (default
"development"), ROLLBAR_ENDPOINT (default https://api.rollbar.com/api/1/), GIT_SHA (the code
version shown with each item).
"""

import os

import rollbar
import rollbar.contrib.flask
from flask import got_request_exception


def init_app(app, log):
    """Report `app`'s unhandled exceptions to Rollbar.

    Returns the function that waits for the items still being sent, or None when Rollbar is off.
    """
    token = os.getenv("ROLLBAR_ACCESS_TOKEN")
    if not token:
        log.info(
            "rollbar: off: ROLLBAR_ACCESS_TOKEN is not set"
            " (set it, e.g. {{ how }}ROLLBAR_ACCESS_TOKEN=<post_server_item token>)"
        )
        return None
    environment = os.getenv("ROLLBAR_ENVIRONMENT") or "development"
    # At start-up, in an app context: Flask 2.3 removed @app.before_first_request, which the
    # older Rollbar setup used (mistake 1).
    with app.app_context():
        rollbar.init(
            token,
            environment,
            root=app.root_path,  # frames under it are shown as the app's own code
            endpoint=os.getenv("ROLLBAR_ENDPOINT") or "https://api.rollbar.com/api/1/",
            code_version=os.getenv("GIT_SHA") or None,
            # Each item is posted from a thread of its own, so a slow or unreachable Rollbar never
            # delays a response; the flush returned below waits for those threads at exit. (The
            # 'blocking' handler could not lose items either, but would make every failing
            # request wait for Rollbar.)
            handler="thread",
            # Leave logging as it is: Rollbar would otherwise call logging.basicConfig().
            allow_logging_basic_config=False,
        )
        got_request_exception.connect(rollbar.contrib.flask.report_exception, app)
    log.info(
        "rollbar: on: environment %s, posting to %s", environment, rollbar.SETTINGS["endpoint"]
    )
    return rollbar.wait  # waits until every item thread has posted
