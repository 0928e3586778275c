"""The notifications of the signed-in user."""

from datetime import datetime, timedelta, timezone
{%- if honeycomb.enabled %}

from opentelemetry import trace

tracer = trace.get_tracer("notifications.activities")
{%- endif %}


class NotificationsActivities:
    @staticmethod
    def run(user_handle="anonymous"):
        """The activities that `user_handle` (the signed-in user) is notified of."""
        now = datetime.now(timezone.utc)
{%- if honeycomb.enabled %}
        with tracer.start_as_current_span("notifications-activities-mock-data") as span:
            results = mock_notifications(now)
            span.set_attribute("app.now", now.isoformat())
            span.set_attribute("app.result_length", len(results))
            span.set_attribute("user.id", user_handle)
        return results
{%- else %}
        return mock_notifications(now)
{%- endif %}


def mock_notifications(now):
    return [
        {
            "uuid": "68f126b0-1ceb-4a33-88be-d90fa7109eee",
            "handle": "coco",
            "message": "I am white unicorn",
            "created_at": (now - timedelta(days=2)).isoformat(),
            "expires_at": (now + timedelta(days=5)).isoformat(),
            "likes_count": 5,
            "replies_count": 1,
            "reposts_count": 0,
            "replies": [
                {
                    "uuid": "26e12864-1c26-5c3a-9658-97a10f8fea67",
                    "reply_to_activity_uuid": "68f126b0-1ceb-4a33-88be-d90fa7109eee",
                    "handle": "Worf",
                    "message": "This post has no honor!",
                    "likes_count": 0,
                    "replies_count": 0,
                    "reposts_count": 0,
                    "created_at": (now - timedelta(days=2)).isoformat(),
                }
            ],
        },
    ]
