"""The home feed."""

from datetime import datetime, timedelta, timezone
{%- if honeycomb.enabled %}

from opentelemetry import trace

tracer = trace.get_tracer("home.activities")
{%- endif %}


class HomeActivities:
    @staticmethod
    def run(user_handle="anonymous"):
        """The activities on the home feed of `user_handle` (the signed-in user)."""
        now = datetime.now(timezone.utc)
{%- if honeycomb.enabled %}
        with tracer.start_as_current_span("home-activities-mock-data") as span:
            results = mock_activities(now)
            span.set_attribute("app.now", now.isoformat())
            span.set_attribute("app.result_length", len(results))
            # Who asked: lets Honeycomb break latency down by user.
            span.set_attribute("user.id", user_handle)
        return results
{%- else %}
        return mock_activities(now)
{%- endif %}


def mock_activities(now):
    return [
        {
            "uuid": "68f126b0-1ceb-4a33-88be-d90fa7109eee",
            "handle": "Andrew Brown",
            "message": "Cloud is very fun!",
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
        {
            "uuid": "66e12864-8c26-4c3a-9658-95a10f8fea67",
            "handle": "Worf",
            "message": "I am out of prune juice",
            "created_at": (now - timedelta(days=7)).isoformat(),
            "expires_at": (now + timedelta(days=9)).isoformat(),
            "likes_count": 0,
            "replies_count": 0,
            "reposts_count": 0,
            "replies": [],
        },
        {
            "uuid": "248959df-3079-4947-b847-9e0892d1bab4",
            "handle": "Garek",
            "message": "My dear doctor, I am just simple tailor",
            "created_at": (now - timedelta(hours=1)).isoformat(),
            "expires_at": (now + timedelta(hours=12)).isoformat(),
            "likes_count": 0,
            "replies_count": 0,
            "reposts_count": 0,
            "replies": [],
        },
    ]
