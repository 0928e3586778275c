"""The activities of one user, as shown on their profile."""

from datetime import datetime, timedelta, timezone
{%- if honeycomb.enabled or xray.enabled %}
{# A blank line between the standard library's imports and the others. #}
{%- endif %}
{%- if xray.enabled %}
from aws_xray_sdk.core import xray_recorder
{%- endif %}
{%- if honeycomb.enabled %}
from opentelemetry import trace

tracer = trace.get_tracer("user.activities")
{%- endif %}


class UserActivities:
    @staticmethod
    def run(user_handle):
        """{"data": the activities of `user_handle`} or {"errors": [...]}."""
        model = {"errors": None, "data": None}
        if not user_handle:
            model["errors"] = ["blank_user_handle"]
            return model
        now = datetime.now(timezone.utc)
{%- if honeycomb.enabled %}
        with tracer.start_as_current_span("user-activities-mock-data") as span:
            span.set_attribute("user.handle", user_handle)
            results = {{ "recorded_mock_activities" if xray.enabled else "mock_activities" }}(user_handle, now)
            span.set_attribute("app.now", now.isoformat())
            span.set_attribute("app.result_length", len(results))
{%- else %}
        results = {{ "recorded_mock_activities" if xray.enabled else "mock_activities" }}(user_handle, now)
{%- endif %}
        model["data"] = results
        return model
{%- if xray.enabled %}


def recorded_mock_activities(user_handle, now):
    """mock_activities, in an X-Ray subsegment "mock-data" of the request's segment."""
    # The context manager begins the subsegment under the request's segment and ends it exactly
    # once, even on an exception: no begin_segment that would replace the request's segment, no
    # end_subsegment that could run twice (mistakes 2 and 3).
    with xray_recorder.in_subsegment("mock-data") as subsegment:
        results = mock_activities(user_handle, now)
        # None when there is no segment (called outside a request): nothing to record then.
        if subsegment is not None:
            # Annotations are indexed (filter expressions can use them); metadata is not.
            subsegment.put_annotation("handle", user_handle)
            subsegment.put_metadata(
                "mock-data", {"now": now.isoformat(), "results-size": len(results)}
            )
    return results
{%- endif %}


def mock_activities(user_handle, now):
    return [
        {
            "uuid": "248959df-3079-4947-b847-9e0892d1bab4",
            "handle": user_handle,
            "message": "Cloud is fun!",
            "created_at": (now - timedelta(days=1)).isoformat(),
            "expires_at": (now + timedelta(days=31)).isoformat(),
            "likes_count": 0,
            "replies_count": 0,
            "reposts_count": 0,
            "replies": [],
        }
    ]
