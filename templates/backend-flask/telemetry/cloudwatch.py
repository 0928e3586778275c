{%- set how = "gp env " if workspace.host == "gitpod" else ("a Codespaces secret " if workspace.host == "codespaces" else "export ") -%}
"""CloudWatch Logs: one INFO line per request, and the service's log, in log group {{ cloudwatch.log_group | tojson }}.

The lines always go to stderr; they also go to CloudWatch through watchtower when an AWS region and
credentials are set (boto3's usual variables; AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS
point it at another endpoint, such as a local moto).
"""

import logging
import os

import boto3
import watchtower
from flask import request

# Made with its retention ({{ cloudwatch.retention_days }} days) by `cruddur-obs logs create-log-group` or
# `cruddur-obs up`, never here.
LOG_GROUP = {{ cloudwatch.log_group | tojson }}


def init_app(app, log):
    """Log every request on `log`, and ship `log` to CloudWatch when AWS is configured.

    Returns the function that sends what is still queued, or None when CloudWatch is off.
    """

    @app.after_request
    def log_request(response):
        # INFO: a request is no error, and ERROR on every request buries the real ones (mistake 9).
        # The path without its query string, which may carry what does not belong in a log.
        log.info(
            "%s %s %s remote_addr=%s scheme=%s",
            request.method,
            request.path,
            response.status_code,
            request.remote_addr,
            request.scheme,
        )
        return response

    # boto3 would raise NoRegionError without a region (mistake 7). Older boto3 reads only
    # AWS_DEFAULT_REGION, so AWS_REGION is passed on explicitly.
    region = os.getenv("AWS_DEFAULT_REGION") or os.getenv("AWS_REGION")
    if not region:
        log.info(
            "cloudwatch: off: AWS_DEFAULT_REGION is not set"
            " (set it, e.g. {{ how }}AWS_DEFAULT_REGION={{ workspace.region }});"
            " logging to stderr only"
        )
        return None
    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is None:
        log.info(
            "cloudwatch: off: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
            " e.g. {{ how }}AWS_ACCESS_KEY_ID=...); logging to stderr only"
        )
        return None

    handler = watchtower.CloudWatchLogHandler(
        log_group_name=LOG_GROUP,  # log_group= is the deprecated name (mistake 8)
        log_stream_name=log.name + "/{machine_name}/{process_id}",  # one stream per process
        # A client, since watchtower takes no region_name= (mistake 8).
        boto3_client=session.client("logs"),
        # Creating the group here would need logs:CreateLogGroup and DescribeLogGroups, and would
        # make a group that keeps its logs forever (mistakes 8 and 18).
        create_log_group=False,
        send_interval=5,  # seconds between batches: lines show up in CloudWatch within 5s
    )
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    # Flask logs each unhandled exception, with its traceback, on app.logger: ship those too.
    app.logger.addHandler(handler)
    log.info(
        "cloudwatch: on: log group %s in %s (it must exist: cruddur-obs logs create-log-group"
        " --log-group-name %s --retention-in-days {{ cloudwatch.retention_days }})",
        LOG_GROUP,
        region,
        LOG_GROUP,
    )

    def close():
        # Detach first: a line logged after close() would be dropped with a warning.
        log.removeHandler(handler)
        app.logger.removeHandler(handler)
        handler.close()  # sends the queued lines

    return close
