{%- set how = "gp env " if workspace.host == "gitpod" else ("a Codespaces secret " if workspace.host == "codespaces" else "export ") -%}
"""Honeycomb: OpenTelemetry traces of every request, sent over OTLP/HTTP.

Only OpenTelemetry's standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (https://api.honeycomb.io),
OTEL_EXPORTER_OTLP_HEADERS (x-honeycomb-team=<API key>), OTEL_SERVICE_NAME, and the SDK's others
(OTEL_BSP_SCHEDULE_DELAY, OTEL_SDK_DISABLED, the ..._TRACES_ENDPOINT/_HEADERS forms).
"""

import os
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util.re import parse_env_headers

# To see the spans in the terminal while debugging, also add this processor in init_app:
#   from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
#   provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))

HONEYCOMB_HOSTS = ("api.honeycomb.io", "api.eu1.honeycomb.io")


def init_app(app, service, log):
    """Trace every request of `app` and every call made with requests, as `service`.

    Returns the function that sends the spans still buffered, or None when tracing is off.
    """
    if os.getenv("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        log.info("honeycomb: off: OTEL_SDK_DISABLED=true")
        return None
    # The exporter reads these variables itself (the ..._TRACES_ forms first, as here); they are
    # read here only to switch tracing off with a clear line instead of exporting to nowhere.
    endpoint = os.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.getenv(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not endpoint:
        log.info(
            "honeycomb: off: OTEL_EXPORTER_OTLP_ENDPOINT is not set"
            " (set it, e.g. {{ how }}OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io)"
        )
        return None
    headers = parse_env_headers(
        os.getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
        or os.getenv("OTEL_EXPORTER_OTLP_HEADERS", ""),
        liberal=True,
    )
    if urlsplit(endpoint).hostname in HONEYCOMB_HOSTS and not headers.get("x-honeycomb-team"):
        # Honeycomb rejects every span without a key. docker-compose.yml turns an unset
        # HONEYCOMB_API_KEY (say, a `gp env` that never reached the shell: mistake 13) into an
        # empty "x-honeycomb-team=".
        log.warning(
            "honeycomb: off: %s needs an API key, and OTEL_EXPORTER_OTLP_HEADERS has no"
            " x-honeycomb-team (set it to x-honeycomb-team=<key>; docker-compose.yml takes the key"
            " from HONEYCOMB_API_KEY: set it, e.g. {{ how }}HONEYCOMB_API_KEY=<key>)",
            endpoint,
        )
        return None

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    FlaskInstrumentor().instrument_app(app)
    RequestsInstrumentor().instrument()
    log.info("honeycomb: on: spans of %s to %s", service, endpoint)
    return provider.shutdown  # ends the batch processor, exporting what it holds
