#!/usr/bin/env python3
"""One process that catches what a scaffolded Cruddur Flask backend sends, for cruddur-obs tests.

    python tests/fakes/receivers.py [--host 127.0.0.1] [--port 0] [--udp-port 0]

Binds an HTTP server and a UDP socket (0 picks a free port) and, once both are ready, prints
exactly one line to stdout:

    {"http": "http://127.0.0.1:PORT", "xray_udp": "127.0.0.1:UDPPORT"}

then serves until SIGTERM/SIGINT and exits 0. Nothing is logged per request.

Received traffic (HTTP on the one port, X-Ray on the UDP socket):
  POST /v1/traces          OTLP/HTTP, protobuf (application/x-protobuf, as the Python SDK sends) or
                           OTLP JSON (application/json, as the browser's exporter-trace-otlp-http
                           sends: hex ids, string timestamps, numeric enums), optionally
                           Content-Encoding: gzip. Every span is stored flattened the same way from
                           either (see flatten_span). Answers 200 with an empty
                           ExportTraceServiceResponse in the request's content type; 400 for an
                           undecodable body, 415 for another content type.
  OPTIONS (any path)       A CORS preflight (Origin and Access-Control-Request-Method set), answered
                           as the OpenTelemetry Collector's confighttp `cors` settings (rs/cors) do;
                           see POST /_fake/cors. Every preflight is recorded (cors_preflights).
  POST /v1/metrics, /v1/logs   200 (415 for another content type), counted; a body that decodes
                           also writes to its datasets (see Datasets below), one that does not is
                           still answered 200.
  UDP datagrams            X-Ray segments: a JSON header line, a newline, a segment document.
  POST /api/1/item/        Rollbar. The token (X-Rollbar-Access-Token header, else the body's
                           access_token) chooses the answer: none 422, "bad..." 403 not found,
                           "client..." (or "c11e...") 403 insufficient privileges, "read..." 403
                           insufficient privileges (a read token cannot post), any other 200
                           {"err": 0, "result": {"id": null, "uuid": <data.uuid, else a new one>}}:
                           the item is stored, and its data becomes an occurrence (below).
  GET  /1/auth             Honeycomb whoami for keys registered through the control API.
  GET  /2/auth             Honeycomb management-key whoami (Authorization: Bearer <id>:<secret>).

Rollbar's read API (token in X-Rollbar-Access-Token, else the deprecated ?access_token=):
  GET  /api/1/instances/               {"err": 0, "result": {"instances": [...], "page": N}}: every
                                       occurrence, newest first, 20 a page (?page=N, from 1)
  GET  /api/1/instance/{id}            {"err": 0, "result": <the occurrence>}, 404
  GET  /api/1/item/{id}                {"err": 0, "result": <the item>}, 404
  GET  /api/1/item/{id}/instances/     the item's occurrences, as /api/1/instances/
  (each path with or without its trailing slash). An occurrence is {"id", "project_id", "timestamp"
  (when it was received, unix seconds), "version": 2, "data": <the posted body's data, as posted:
  environment, level, body, request {url, method, ...}, ...>, "billable": 1, "item_id"}. An item
  groups the occurrences of one fingerprint (data.fingerprint, else data.environment and the title):
  {"id", "project_id", "counter", "environment", "title" ("Class: message" of the exception, else
  the message body), "level" (the most severe seen), "status": "active", "hash",
  "first_occurrence_id", "first_occurrence_timestamp", "last_occurrence_id",
  "last_occurrence_timestamp", "total_occurrences", ...}. Tokens: none 422, "bad..." 403 not found,
  "read..." read scope, any other 403 {"err": 1, "message": "insufficient privileges: read scope is
  required but the access token only has post_server_item."} (post_client_item for "client..."),
  then mode "rate_limited" 429; unknown ids 404 {"err": 1, "message": "Not found"}.

Honeycomb's configuration API (validated as the real service does: see honeycomb_api, validate_*):
  POST   /1/queries/{dataset}                  query spec -> 200 the spec as normalized, with "id"
  GET    /1/queries/{dataset}/{id}             200 the stored spec, 404 (queries are immutable)
  GET    /1/query_annotations/{dataset}        200 the dataset's annotations
  POST   /1/query_annotations/{dataset}        {name, description, query_id} -> 201 the annotation
  GET    /1/query_annotations/{dataset}/{id}   200 the annotation, 404
  PUT    /1/query_annotations/{dataset}/{id}   200 (query_id cannot change: 422), 404
  DELETE /1/query_annotations/{dataset}/{id}   204, 404
  GET    /1/boards                             200 every board
  POST   /1/boards                             a flexible board -> 201 it, with id and links
  GET    /1/boards/{id}                        200 the board, 404
  PUT    /1/boards/{id}                        a full replacement -> 200, 404
  DELETE /1/boards/{id}                        204, 404
  GET    /1/markers/{dataset}                  200 the dataset's markers
  POST   /1/markers/{dataset}                  {message, type, url, start_time, end_time} -> 201
  PUT    /1/markers/{dataset}/{id}             the fields given change -> 200, 404
  DELETE /1/markers/{dataset}/{id}             204, 404
  GET    /1/datasets                           200 every dataset, by slug
  GET    /1/datasets/{slug}                    200 the dataset, 404 {"error": "Dataset not found"}
  Checked in this order, each error answered {"error": "..."}: mode "hang" never answers, and
  "rate_limited" answers 429 Rate Limited; X-Honeycomb-Team an unregistered or management key 401,
  a disabled one 401; no such path 404, another method 405; the key's api_key_access lacks
  `queries` (Manage Queries and Columns: queries and annotations), `boards` (Manage Public Boards)
  or `markers` (Manage Markers), or it is an ingest key: 403 (reading datasets needs no permission:
  any configuration key may; an ingest key 403); {dataset} neither a known dataset nor __all__
  (valid for environment keys, not classic ones, whose environment slug is ""): 404 Dataset not
  found; a POST or PUT body that is not JSON 400; a body that breaks a rule 422.

Datasets are global in the fake (any configuration key reads them all): registered through POST
/_fake/honeycomb/datasets, or made by data, as an environment key files it: under the slugged
service.name of the resource of spans received on /v1/traces and of log records on /v1/logs, and
for /v1/metrics under the X-Honeycomb-Dataset header, else the service.name. A dataset reads as
Honeycomb documents it:
  {"name" (the service.name as sent; a registered one: its slug), "description": "",
   "settings": {"delete_protected": true}, "expand_json_depth": 0, "slug",
   "regular_columns_count" (columns seen in its data: an approximation), "last_written_at",
   "created_at"}
with times in ISO 8601 UTC to the second ("2026-12-01T15:04:05Z"). last_written_at is null until
data arrives, and is set to the time of each request that stores spans (log records, metric data)
for the dataset.

CORS, off until POST /_fake/cors sets allowed origins, then on every path but /_fake/:
  preflight, origin allowed (exactly, or by a pattern where * stands for any characters; "*" alone
      allows every origin), method GET, POST or HEAD, every requested header allowed:
      204 with Access-Control-Allow-Origin: <the origin>, Access-Control-Allow-Methods: <the
      method>, Access-Control-Allow-Headers: <the requested headers>,
      Access-Control-Allow-Credentials: true, and Access-Control-Max-Age when max_age is set.
      Allowed headers: those configured (any when one is "*"), plus Accept, Accept-Language,
      Content-Type, Content-Language and Origin, plus X-Requested-With when none are configured.
  preflight, anything else: 204 with no Access-Control-* header, so the browser refuses.
  a request from an allowed origin: its answer carries Access-Control-Allow-Origin: <the origin>
      and Access-Control-Allow-Credentials: true; from another origin, no Access-Control-* header.
  With CORS off (the start, and after a reset), a preflight is answered 405, as the collector's
  OTLP receiver answers OPTIONS without `cors`, and recorded as not allowed.

Test control, never recorded as received traffic:
  POST /_fake/reset            empty stores (Rollbar's items and occurrences too), normal modes, no
                               registered keys or datasets, CORS off
  GET  /_fake/received         everything received so far (see State.snapshot)
  POST /_fake/honeycomb/keys   register a Honeycomb key
  POST /_fake/honeycomb/datasets  {"environment": "<slug>", "datasets": ["backend-flask", ...]}: make
                               datasets exist (global: the environment is accepted, not used),
                               with last_written_at null (one that exists keeps what it has);
                               answers {"environment", "datasets": every known slug}
  POST /_fake/mode             {"honeycomb": "normal"|"rate_limited"|"hang",
                                "rollbar": "normal"|"rate_limited"} (either key may be left out)
  POST /_fake/cors             {"allowed_origins": [...], "allowed_headers": [...], "max_age": N}
                               as the collector's receivers.otlp.protocols.http.cors; replaces the
                               whole setting (a key left out: none, 0); answers the setting
Standard library plus opentelemetry-proto (and its protobuf) only.
"""

import argparse
import base64
import copy
import gzip
import hashlib
import json
import math
import re
import select
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

HONEYCOMB_MODES = ("normal", "rate_limited", "hang")
ROLLBAR_MODES = ("normal", "rate_limited")
KEY_TYPES = ("ingest", "configuration", "management")
HANG_STEP = 0.05  # seconds between checks while a "hang" request holds its connection
# rs/cors, as the collector configures it: the methods it allows by default, and the request
# headers it always allows besides the configured ones.
CORS_METHODS = ("GET", "POST", "HEAD")
CORS_ALWAYS_ALLOWED_HEADERS = ("accept", "accept-language", "content-type", "content-language", "origin")

# What Honeycomb answers for a configuration key with every permission but columns.
FULL_ACCESS = {"events": True, "markers": True, "triggers": True, "boards": True, "queries": True,
               "columns": False, "createDatasets": True, "slos": True, "recipients": True,
               "privateBoards": True}
INGEST_KEY = re.compile(r"^hc[a-z]i[kc]_")
MANAGEMENT_KEY = re.compile(r"^hc[a-z]mk_")


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# --- state


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.reset()

    def reset(self):
        """Caller holds the lock (or is __init__)."""
        self.spans = []
        self.bad_otlp = []
        self.xray = []
        self.bad_datagrams = []
        self.rollbar_items = []
        self.rollbar_calls = []
        # Rollbar's read API: every occurrence stored (oldest first) and the items they group into.
        self.rb_occurrences = []
        self.rb_items = {}  # item id -> item
        self.rb_fingerprints = {}  # fingerprint -> item id
        self.rollbar_reads = []
        self.honeycomb_auth_calls = []
        # The configuration API: every request to it, and what it stores (by id, in creation order).
        self.honeycomb_requests = []
        self.hc_datasets = set()
        # slug -> {"name", "created_at", "last_written_at", "columns": set of column names}
        self.hc_dataset_info = {}
        self.hc_queries = {}  # id -> {"dataset", "spec"}
        self.hc_annotations = {}  # id -> the annotation and its "dataset"
        self.hc_boards = {}  # id -> board
        self.hc_markers = {}  # id -> the marker and its "dataset"
        self.otlp_other = {"metrics": 0, "logs": 0}
        self.other_requests = []
        self.keys = {}  # key (management: id) -> registration
        self.modes = {"honeycomb": "normal", "rollbar": "normal"}
        self.cors = parse_cors({})  # off: no allowed origins
        self.cors_preflights = []
        # Bumped on every reset and mode change: ends any "hang" in progress.
        self.generation = getattr(self, "generation", 0) + 1

    def snapshot(self):
        """Caller holds the lock."""
        return copy.deepcopy({
            "spans": self.spans,
            "xray": self.xray,
            "bad_datagrams": self.bad_datagrams,
            "rollbar_items": self.rollbar_items,
            "honeycomb_auth_calls": self.honeycomb_auth_calls,
            # Every request to /1/queries, /1/query_annotations, /1/boards, /1/markers and
            # /1/datasets, in order:
            # method, path, key_prefix, body (the parsed JSON, null when empty, the text when not
            # JSON) and status (null while a "hang" holds it, or when the client left).
            "honeycomb_requests": self.honeycomb_requests,
            # What the configuration API holds now. Each query, annotation and marker is as the API
            # answers it plus its "dataset"; boards are as stored; datasets are the known slugs.
            "honeycomb": {
                "queries": [{**q["spec"], "dataset": q["dataset"]} for q in self.hc_queries.values()],
                "annotations": list(self.hc_annotations.values()),
                "boards": list(self.hc_boards.values()),
                "markers": list(self.hc_markers.values()),
                "datasets": sorted(self.hc_datasets),
            },
            "otlp_other": self.otlp_other,
            # Every CORS preflight: path, origin, requested method and headers, whether it was
            # allowed (and if not, why), and the status answered.
            "cors_preflights": self.cors_preflights,
            # Beyond the basic shape, for diagnosing a test: every Rollbar POST with its status,
            # every read of Rollbar's API (path, token_prefix, status), OTLP bodies that could not be
            # decoded, and requests to paths nobody serves.
            "rollbar_calls": self.rollbar_calls,
            "rollbar_reads": self.rollbar_reads,
            "bad_otlp": self.bad_otlp,
            "other_requests": self.other_requests,
            "modes": self.modes,
            "cors": self.cors,
        })


# --- OTLP


def json_safe_float(x):
    return x if math.isfinite(x) else str(x)  # "nan", "inf", "-inf": JSON has no such numbers


def any_value(v):
    """opentelemetry.proto.common.v1.AnyValue -> a JSON-ready Python value."""
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return attributes(v.kvlist_value.values)
    if which == "bytes_value":
        return v.bytes_value.hex()
    if which == "double_value":
        return json_safe_float(v.double_value)
    return getattr(v, which)  # string_value, bool_value, int_value


def attributes(kvs):
    return {kv.key: any_value(kv.value) for kv in kvs}


def flatten_span(span, resource, scope, headers):
    return {
        "name": span.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "kind": Span.SpanKind.Name(span.kind) if span.kind in Span.SpanKind.values() else str(span.kind),
        "attributes": attributes(span.attributes),
        "resource": resource,
        "scope": scope,
        "status": {
            "code": (Status.StatusCode.Name(span.status.code)
                     if span.status.code in Status.StatusCode.values() else str(span.status.code)),
            "message": span.status.message,
        },
        "events": [{"name": e.name, "attributes": attributes(e.attributes)} for e in span.events],
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano,
        "headers": dict(headers),
    }


HEX_ID = re.compile(r"^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32})$")
ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def hex_ids_to_base64(node):
    """OTLP JSON spells trace and span ids in hex; protobuf's JSON mapping wants base64 for bytes."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name in ID_FIELDS and isinstance(value, str) and HEX_ID.match(value):
                node[name] = base64.b64encode(bytes.fromhex(value)).decode()
            else:
                hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            hex_ids_to_base64(item)


def decode_traces(body, content_type):
    request = ExportTraceServiceRequest()
    if content_type == "application/x-protobuf":
        try:
            request.ParseFromString(body)
        except DecodeError as e:
            raise BadRequest(400, f"body is not an ExportTraceServiceRequest: {e}") from None
    elif content_type == "application/json":
        try:
            doc = json.loads(body or b"{}")
            hex_ids_to_base64(doc)
            json_format.ParseDict(doc, request, ignore_unknown_fields=True)
        except (ValueError, json_format.ParseError) as e:
            raise BadRequest(400, f"body is not OTLP JSON: {e}") from None
    else:
        raise BadRequest(415, f"unsupported content type {content_type!r}; "
                              "OTLP/HTTP uses application/x-protobuf or application/json")
    return request


def decode_otlp_quietly(body, content_type, message_class):
    """An OTLP logs or metrics export, or None when the body does not decode (those paths only count
    requests, and answer 200 whatever the body)."""
    request = message_class()
    try:
        if content_type == "application/x-protobuf":
            request.ParseFromString(body)
        else:
            doc = json.loads(body or b"{}")
            hex_ids_to_base64(doc)
            json_format.ParseDict(doc, request, ignore_unknown_fields=True)
    except (ValueError, DecodeError, json_format.ParseError):
        return None
    return request


# Columns every span, log record or metric data point brings to its dataset, besides its resource's
# and its own attributes (an approximation of what Honeycomb makes of OTLP).
SPAN_COLUMNS = ("name", "trace.trace_id", "trace.span_id", "duration_ms", "span.kind", "type", "status_code",
                "library.name", "meta.signal_type", "span.num_events", "span.num_links")
LOG_COLUMNS = ("body", "severity", "severity_code", "library.name", "meta.signal_type")
METRIC_COLUMNS = ("library.name", "meta.signal_type")


def service_dataset(resource):
    """(slug, name) of the dataset an environment key files this resource's data in: its
    service.name, slugged; None without one."""
    service = resource.get("service.name")
    if isinstance(service, str) and dataset_slug(service):
        return dataset_slug(service), service.strip()
    return None


def span_columns(span, resource):
    columns = set(SPAN_COLUMNS) | set(resource) | {kv.key for kv in span.attributes}
    if span.parent_span_id:
        columns.add("trace.parent_id")
    if span.status.code == Status.STATUS_CODE_ERROR:
        columns |= {"error", "status_message"}
    return columns


# --- CORS, as the collector's confighttp sets up rs/cors


def origin_allowed(cors, origin):
    origin = origin.lower()
    for pattern in cors["allowed_origins"]:
        pattern = pattern.lower()
        if pattern == "*" or pattern == origin:
            return True
        if "*" in pattern and re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), origin):
            return True
    return False


def header_allowed(cors, name):
    configured = [h.lower() for h in cors["allowed_headers"]]
    if "*" in configured:
        return True
    always = CORS_ALWAYS_ALLOWED_HEADERS + (() if configured else ("x-requested-with",))
    return name in always or name in configured


def cors_preflight(cors, origin, method, requested_headers):
    """-> (allowed, reason when not, the Access-Control-* headers to answer with)."""
    if not cors["allowed_origins"]:
        return False, "CORS is off: no allowed_origins (POST /_fake/cors)", []
    if not origin_allowed(cors, origin):
        return False, f"origin {origin!r} is not in allowed_origins {cors['allowed_origins']}", []
    method = method.strip().upper()
    if method not in CORS_METHODS:
        return False, f"method {method!r} is not one of {', '.join(CORS_METHODS)}", []
    refused = [h for h in requested_headers if not header_allowed(cors, h)]
    if refused:
        return False, f"headers not allowed: {', '.join(refused)}", []
    headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", method)]
    if requested_headers:
        headers.append(("Access-Control-Allow-Headers", ", ".join(requested_headers)))
    headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors["max_age"] > 0:
        headers.append(("Access-Control-Max-Age", str(cors["max_age"])))
    return True, None, headers


def cors_actual(cors, origin, method):
    """The Access-Control-* (and Vary) headers for the answer to a request that is no preflight."""
    if not cors["allowed_origins"]:
        return []
    headers = [("Vary", "Origin")]
    if origin is not None and origin_allowed(cors, origin) and method in CORS_METHODS:
        headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    return headers


def parse_cors(body):
    unknown = set(body) - {"allowed_origins", "allowed_headers", "max_age"}
    if unknown:
        raise ValueError(f"unknown cors keys: {sorted(unknown)}")
    cors = {}
    for name in ("allowed_origins", "allowed_headers"):
        value = body.get(name, [])
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise ValueError(f"{name} must be a list of non-empty strings")
        cors[name] = list(value)
    max_age = body.get("max_age", 0)
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ValueError("max_age must be a whole number of seconds, 0 or more")
    cors["max_age"] = max_age
    return cors


# --- X-Ray over UDP


def parse_datagram(data):
    text = data.decode("utf-8")
    header_line, sep, document = text.partition("\n")
    if not sep:
        raise ValueError("no newline between header and document")
    header = json.loads(header_line)
    doc = json.loads(document)
    if not isinstance(header, dict) or not isinstance(doc, dict):
        raise ValueError("header and document must be JSON objects")
    if header.get("format") != "json":
        raise ValueError("header format is not json")
    return {"header": header, "document": doc}


def serve_udp(sock, state):
    while not state.stopping.is_set():
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError:
            return  # socket closed at shutdown
        try:
            record = parse_datagram(data)
        except (ValueError, UnicodeDecodeError):
            with state.lock:
                state.bad_datagrams.append(data.decode("utf-8", errors="replace"))
            continue
        with state.lock:
            state.xray.append(record)


# --- Honeycomb configuration API: saved queries, query annotations, boards, markers, datasets


HONEYCOMB_API_ROOTS = ("/1/queries", "/1/query_annotations", "/1/boards", "/1/markers", "/1/datasets")
# The api_key_access flag each resource needs, and how Honeycomb names that permission. Reading
# datasets needs none: any configuration key may.
HONEYCOMB_PERMISSIONS = {
    "datasets": (None, None),
    "queries": ("queries", "Manage Queries and Columns"),
    "query_annotations": ("queries", "Manage Queries and Columns"),
    "boards": ("boards", "Manage Public Boards"),
    "markers": ("markers", "Manage Markers"),
}
ENVIRONMENT_WIDE = "__all__"
DEFAULT_TIME_RANGE = 7200
CALCULATION_OPS = ("COUNT", "CONCURRENCY", "SUM", "AVG", "COUNT_DISTINCT", "MAX", "MIN", "P001", "P01", "P05",
                   "P10", "P20", "P25", "P50", "P75", "P80", "P90", "P95", "P99", "P999", "HEATMAP",
                   "RATE_AVG", "RATE_SUM", "RATE_MAX")
UNARY_CALCULATION_OPS = ("COUNT", "CONCURRENCY")  # no column
FILTER_OPS = ("=", "!=", ">", ">=", "<", "<=", "starts-with", "does-not-start-with", "ends-with",
              "does-not-end-with", "exists", "does-not-exist", "contains", "does-not-contain", "in", "not-in")
VALUELESS_FILTER_OPS = ("exists", "does-not-exist")
LIST_FILTER_OPS = ("in", "not-in")
HAVING_OPS = ("=", "!=", ">", ">=", "<", "<=")
SORT_ORDERS = ("ascending", "descending")
FILTER_COMBINATIONS = ("AND", "OR")
QUERY_SPEC_FIELDS = ("calculations", "filters", "filter_combination", "breakdowns", "orders", "havings",
                     "limit", "time_range", "start_time", "end_time", "granularity", "calculated_fields")
QUERY_LIST_MAX = 100  # calculations, filters, breakdowns, orders
QUERY_LIMIT_MAX = 1000
ANNOTATION_NAME_MAX = 80
ANNOTATION_DESCRIPTION_MAX = 280
BOARD_NAME_MAX = 255
BOARD_DESCRIPTION_MAX = 1024
BOARD_LAYOUTS = ("auto", "manual")
BOARD_QUERY_STYLES = ("graph", "table", "combo")
BOARD_POSITION_FIELDS = ("x_coordinate", "y_coordinate", "width", "height")
# Tags, as the Terraform provider's client checks them (client/tags.go).
MAX_TAGS = 10
TAG_KEY = re.compile(r"^[a-z]{1,32}$")
TAG_VALUE = re.compile(r"^[a-z][a-z0-9/-]{0,31}$")


def honeycomb_api_path(path):
    return any(path == root or path.startswith(root + "/") for root in HONEYCOMB_API_ROOTS)


def route_honeycomb_api(path):
    """-> (resource, dataset, id, the methods served there), or None when nothing is served at path."""
    resource, *rest = [unquote(part) for part in path.split("/")[2:]]
    if any(part == "" for part in rest):
        return None
    if resource == "datasets":
        if not rest:
            return "datasets", None, None, ("GET",)
        if len(rest) == 1:
            return "datasets", None, rest[0], ("GET",)
        return None
    if resource == "boards":
        if not rest:
            return "boards", None, None, ("GET", "POST")
        if len(rest) == 1:
            return "boards", None, rest[0], ("GET", "PUT", "DELETE")
        return None
    collection, item = {
        "queries": (("POST",), ("GET",)),
        "query_annotations": (("GET", "POST"), ("GET", "PUT", "DELETE")),
        "markers": (("GET", "POST"), ("PUT", "DELETE")),
    }[resource]
    if len(rest) == 1:
        return resource, rest[0], None, collection
    if len(rest) == 2:
        return resource, rest[0], rest[1], item
    return None


def dataset_slug(name):
    """A dataset name as Honeycomb slugs it (how a span's service.name becomes a dataset)."""
    name = name.strip().lower()
    if name.startswith("unknown_service"):  # the SDKs' default, "unknown_service:python" and the like
        return "unknown_service"
    return re.sub(r"[^a-z0-9_-]+", "-", name).strip("-")


def new_id():
    return uuid.uuid4().hex[:11]


def dataset_known(state, slug, name=None):
    """Makes dataset `slug` exist (with no data yet, when it is new) -> its record. Caller holds
    the lock."""
    state.hc_datasets.add(slug)
    info = state.hc_dataset_info.get(slug)
    if info is None:
        info = {"name": name or slug, "description": "", "created_at": utc_now(), "last_written_at": None,
                "columns": set()}
        state.hc_dataset_info[slug] = info
    return info


def dataset_written(state, slug, columns):
    """Data has just been stored for dataset `slug`, with these columns. Caller holds the lock."""
    info = dataset_known(state, slug)
    info["columns"] |= set(columns)
    info["last_written_at"] = utc_now()


def dataset_view(state, slug):
    """A dataset as GET /1/datasets/{slug} answers it. Caller holds the lock."""
    info = dataset_known(state, slug)
    return {"name": info["name"], "description": info["description"], "settings": {"delete_protected": True},
            "expand_json_depth": 0, "slug": slug, "regular_columns_count": len(info["columns"]),
            "last_written_at": info["last_written_at"], "created_at": info["created_at"]}


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def invalid(message):
    return BadRequest(422, message)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_scalar(value):
    return isinstance(value, (str, int, float, bool))


def present(obj, name):
    """JSON null counts as left out, as Honeycomb's Go decoding has it."""
    return obj.get(name) is not None


def check_fields(obj, allowed, where):
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise invalid(f"unknown field{'s' if len(unknown) > 1 else ''} in {where}: {', '.join(unknown)}")


def list_of_objects(spec, name, allowed_fields):
    items = spec.get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        raise invalid(f"{name} must be a list")
    if len(items) > QUERY_LIST_MAX and name in ("calculations", "filters", "orders"):
        raise invalid(f"too many {name}: {len(items)}, at most {QUERY_LIST_MAX}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"{name}[{i}] must be an object")
        check_fields(item, allowed_fields, f"{name}[{i}]")
    return items


def optional_string(obj, name, where):
    value = obj.get(name)
    if value is not None and not (isinstance(value, str) and value):
        raise invalid(f"{where}.{name} must be a non-empty string")
    return value


def validate_query_spec(spec):
    """A query spec as POST /1/queries/{dataset} receives it -> the spec as Honeycomb stores it.
    Raises BadRequest(422) naming the first thing wrong."""
    if not isinstance(spec, dict):
        raise invalid("the query specification must be a JSON object")
    check_fields(spec, QUERY_SPEC_FIELDS, "the query specification")

    calculations = list_of_objects(spec, "calculations", ("op", "column", "name"))
    names = set()
    for i, calc in enumerate(calculations):
        op = calc.get("op")
        if op not in CALCULATION_OPS:
            raise invalid(f"calculations[{i}].op {op!r} is not a calculation operator "
                          f"(one of {', '.join(CALCULATION_OPS)})")
        column = optional_string(calc, "column", f"calculations[{i}]")
        if op in UNARY_CALCULATION_OPS and column is not None:
            raise invalid(f"calculations[{i}]: column is not allowed with operator {op}")
        if op not in UNARY_CALCULATION_OPS and column is None:
            raise invalid(f"calculations[{i}]: {op} requires a column")
        name = optional_string(calc, "name", f"calculations[{i}]")
        if name is not None:
            if name in names:
                raise invalid(f"calculations[{i}]: the calculation name {name!r} is used more than once")
            names.add(name)
    calculated = {(c["op"], c.get("column")) for c in calculations}

    filters = list_of_objects(spec, "filters", ("column", "op", "value"))
    for i, flt in enumerate(filters):
        if not (isinstance(flt.get("column"), str) and flt["column"]):
            raise invalid(f"filters[{i}].column must be a non-empty string")
        op = flt.get("op")
        if op not in FILTER_OPS:
            raise invalid(f"filters[{i}].op {op!r} is not a filter operator (one of {', '.join(FILTER_OPS)})")
        value = flt.get("value")
        if op in VALUELESS_FILTER_OPS:
            if value is not None:
                raise invalid(f"filters[{i}]: {op} does not take a value")
        elif op in LIST_FILTER_OPS:
            if not (isinstance(value, list) and value and all(is_scalar(v) for v in value)):
                raise invalid(f"filters[{i}]: {op} requires a value that is a non-empty array of strings, "
                              "numbers or booleans")
        elif value is None:
            raise invalid(f"filters[{i}]: operator {op} requires a value")
        elif not is_scalar(value):
            raise invalid(f"filters[{i}]: operator {op} requires a single string, number or boolean value")

    combination = spec.get("filter_combination")
    if combination is not None and combination not in FILTER_COMBINATIONS:
        raise invalid(f"filter_combination must be AND or OR, not {combination!r}")

    breakdowns = spec.get("breakdowns")
    if breakdowns is None:
        breakdowns = []
    if not (isinstance(breakdowns, list) and all(isinstance(b, str) and b for b in breakdowns)):
        raise invalid("breakdowns must be a list of non-empty column names")
    if len(breakdowns) > QUERY_LIST_MAX:
        raise invalid(f"too many breakdowns: {len(breakdowns)}, at most {QUERY_LIST_MAX}")

    orders = list_of_objects(spec, "orders", ("op", "column", "order"))
    for i, order in enumerate(orders):
        direction = order.get("order")
        if direction is not None and direction not in SORT_ORDERS:
            raise invalid(f"orders[{i}].order must be ascending or descending, not {direction!r}")
        column = optional_string(order, "column", f"orders[{i}]")
        op = order.get("op")
        if op is None:
            if column is None:
                raise invalid(f"orders[{i}] names neither a calculation (op) nor a breakdown (column)")
            if column not in breakdowns:
                raise invalid(f"orders[{i}]: column {column!r} is not in breakdowns; "
                              "an order without op must name a breakdown")
            continue
        if op not in CALCULATION_OPS:
            raise invalid(f"orders[{i}].op {op!r} is not a calculation operator")
        if op == "HEATMAP":
            raise invalid(f"orders[{i}]: cannot order by HEATMAP")
        if (op, column) not in calculated:
            shown = op if column is None else f"{op}({column})"
            raise invalid(f"orders[{i}]: {shown} is not one of the query's calculations")

    havings = list_of_objects(spec, "havings", ("calculate_op", "column", "op", "value"))
    for i, having in enumerate(havings):
        calculate_op = having.get("calculate_op")
        if calculate_op not in CALCULATION_OPS:
            raise invalid(f"havings[{i}].calculate_op {calculate_op!r} is not a calculation operator")
        column = optional_string(having, "column", f"havings[{i}]")
        if calculate_op in UNARY_CALCULATION_OPS and column is not None:
            raise invalid(f"havings[{i}]: {calculate_op} should not have an accompanying column")
        if calculate_op not in UNARY_CALCULATION_OPS and column is None:
            raise invalid(f"havings[{i}]: {calculate_op} requires a column")
        if having.get("op") not in HAVING_OPS:
            raise invalid(f"havings[{i}].op {having.get('op')!r} is not one of {', '.join(HAVING_OPS)}")
        if not is_number(having.get("value")):
            raise invalid(f"havings[{i}].value must be a number")
        if (calculate_op, column) not in calculated:
            shown = calculate_op if column is None else f"{calculate_op}({column})"
            raise invalid(f"havings[{i}]: {shown} missing matching calculation")

    limit = spec.get("limit")
    if limit is not None and not (is_int(limit) and 1 <= limit <= QUERY_LIMIT_MAX):
        raise invalid(f"limit must be a whole number from 1 to {QUERY_LIMIT_MAX}, not {limit!r}")

    for name in ("time_range", "start_time", "end_time", "granularity"):
        value = spec.get(name)
        if value is not None and not (is_int(value) and value >= 0):
            raise invalid(f"{name} must be a whole number of seconds, 0 or more, not {value!r}")
    time_range, start, end = spec.get("time_range"), spec.get("start_time"), spec.get("end_time")
    if time_range is not None and time_range == 0:
        raise invalid("time_range must be more than 0 seconds")
    if None not in (time_range, start, end):
        raise invalid("specify at most two of time_range, start_time and end_time")
    if start is not None and end is not None and end <= start:
        raise invalid("end_time must be after start_time")
    span = time_range if time_range is not None else (end - start) if None not in (start, end) else DEFAULT_TIME_RANGE
    granularity = spec.get("granularity")
    if granularity is not None:
        if granularity > span:
            raise invalid(f"granularity {granularity} can not be greater than the query's time range ({span} s)")
        if granularity != 0 and granularity < span / 1000:
            raise invalid(f"granularity {granularity} can not be less than the query's time range / 1000 "
                          f"({span / 1000:g} s)")

    fields = list_of_objects(spec, "calculated_fields", ("name", "expression"))
    field_names = set()
    for i, field in enumerate(fields):
        for name in ("name", "expression"):
            if not (isinstance(field.get(name), str) and field[name]):
                raise invalid(f"calculated_fields[{i}].{name} must be a non-empty string")
        if field["name"] in field_names:
            raise invalid(f"calculated_fields[{i}]: the name {field['name']!r} is used more than once")
        field_names.add(field["name"])

    stored = {name: copy.deepcopy(value) for name, value in spec.items() if value is not None}
    if not calculations:
        stored["calculations"] = [{"op": "COUNT"}]  # what Honeycomb answers for a query without any
    if filters and combination is None:
        stored["filter_combination"] = "AND"
    if time_range is None and start is None and end is None:
        stored["time_range"] = DEFAULT_TIME_RANGE
    return stored


def string_field(body, name, where, required, max_len):
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"{where}{name} is required")
        return ""
    if not isinstance(value, str):
        raise invalid(f"{where}{name} must be a string")
    if required and not value:
        raise invalid(f"{where}{name} must not be empty")
    if len(value) > max_len:
        raise invalid(f"{where}{name} is {len(value)} characters long, at most {max_len} allowed")
    return value


def validate_board(state, body):
    """A board as POST or PUT /1/boards receives it -> the board's fields as stored (no id)."""
    if not isinstance(body, dict):
        raise invalid("the board must be a JSON object")
    classic = (body.get("queries") not in (None, []) or body.get("style") not in (None, "")
               or body.get("type") != "flexible")
    if classic:
        raise invalid("classic boards are no longer supported; create a flexible board "
                      "(type \"flexible\" with panels)")
    board = {
        "name": string_field(body, "name", "", True, BOARD_NAME_MAX),
        "description": string_field(body, "description", "", False, BOARD_DESCRIPTION_MAX),
        "type": "flexible",
    }
    layout = body.get("layout_generation")
    if layout is not None and layout not in BOARD_LAYOUTS:
        raise invalid(f"layout_generation must be auto or manual, not {layout!r}")
    board["layout_generation"] = layout or "manual"

    panels = body.get("panels")
    if panels is None:
        panels = []
    if not isinstance(panels, list):
        raise invalid("panels must be a list")
    board["panels"] = []
    for i, panel in enumerate(panels):
        where = f"panels[{i}]"
        if not isinstance(panel, dict):
            raise invalid(f"{where} must be an object")
        stored = {"type": panel.get("type")}
        position = panel.get("position")
        if position is not None:
            if not (isinstance(position, dict)
                    and all(is_int(position.get(f, 0)) and position.get(f, 0) >= 0 for f in BOARD_POSITION_FIELDS)):
                raise invalid(f"{where}.position must be an object of whole numbers 0 or more: "
                              f"{', '.join(BOARD_POSITION_FIELDS)}")
            stored["position"] = {f: position.get(f, 0) for f in BOARD_POSITION_FIELDS}
        if panel.get("type") == "query":
            query_panel = panel.get("query_panel")
            if not isinstance(query_panel, dict):
                raise invalid(f"{where}: a query panel needs a query_panel object")
            query_id = query_panel.get("query_id")
            annotation_id = query_panel.get("query_annotation_id")
            if not (isinstance(query_id, str) and query_id):
                raise invalid(f"{where}.query_panel.query_id is required")
            if not (isinstance(annotation_id, str) and annotation_id):
                raise invalid(f"{where}.query_panel.query_annotation_id is required")
            if query_id not in state.hc_queries:
                raise invalid(f"{where}.query_panel.query_id: no query {query_id!r} exists")
            annotation = state.hc_annotations.get(annotation_id)
            if annotation is None:
                raise invalid(f"{where}.query_panel.query_annotation_id: no query annotation {annotation_id!r} exists")
            if annotation["query_id"] != query_id:
                raise invalid(f"{where}.query_panel: query annotation {annotation_id!r} annotates query "
                              f"{annotation['query_id']!r}, not {query_id!r}")
            style = query_panel.get("query_style")
            if style is not None and style not in BOARD_QUERY_STYLES:
                raise invalid(f"{where}.query_panel.query_style must be graph, table or combo, not {style!r}")
            stored["query_panel"] = {"query_id": query_id, "query_annotation_id": annotation_id,
                                     "query_style": style or "graph"}
            settings = query_panel.get("visualization_settings")
            if settings is not None:
                if not isinstance(settings, dict):
                    raise invalid(f"{where}.query_panel.visualization_settings must be an object")
                stored["query_panel"]["visualization_settings"] = copy.deepcopy(settings)
        elif panel.get("type") == "text":
            text_panel = panel.get("text_panel")
            if not (isinstance(text_panel, dict) and isinstance(text_panel.get("content"), str)
                    and text_panel["content"]):
                raise invalid(f"{where}: a text panel needs text_panel.content, a non-empty string")
            stored["text_panel"] = {"content": text_panel["content"]}
        elif panel.get("type") == "slo":
            slo_panel = panel.get("slo_panel")
            slo_id = slo_panel.get("slo_id") if isinstance(slo_panel, dict) else None
            raise invalid(f"{where}.slo_panel.slo_id: no SLO {slo_id!r} exists")
        else:
            raise invalid(f"{where}.type must be query or text, not {panel.get('type')!r}")
        board["panels"].append(stored)

    tags = body.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list):
        raise invalid("tags must be a list of {key, value} objects")
    if len(tags) > MAX_TAGS:
        raise invalid(f"too many tags: {len(tags)}, at most {MAX_TAGS}")
    board["tags"] = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, dict):
            raise invalid(f"tags[{i}] must be an object with key and value")
        key, value = tag.get("key"), tag.get("value")
        if not (isinstance(key, str) and TAG_KEY.match(key)):
            raise invalid(f"tags[{i}].key {key!r}: a tag key must be 1 to 32 lowercase letters")
        if not (isinstance(value, str) and TAG_VALUE.match(value)):
            raise invalid(f"tags[{i}].value {value!r}: a tag value must begin with a lowercase letter, be 1 to "
                          "32 characters long and contain only lowercase letters, digits, - and /")
        board["tags"].append({"key": key, "value": value})
    return board


def validate_annotation(body):
    if not isinstance(body, dict):
        raise invalid("the query annotation must be a JSON object")
    annotation = {
        "name": string_field(body, "name", "", True, ANNOTATION_NAME_MAX),
        "description": string_field(body, "description", "", False, ANNOTATION_DESCRIPTION_MAX),
    }
    query_id = body.get("query_id")
    if query_id is not None and not (isinstance(query_id, str) and query_id):
        raise invalid("query_id must be a non-empty string")
    return annotation, query_id


def validate_marker(body):
    if not isinstance(body, dict):
        raise invalid("the marker must be a JSON object")
    marker = {}
    for name in ("message", "type", "url"):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise invalid(f"{name} must be a string")
            marker[name] = value
    for name in ("start_time", "end_time"):
        value = body.get(name)
        if value is not None:
            if not (is_int(value) and value >= 0):
                raise invalid(f"{name} must be a whole number of seconds since the epoch")
            marker[name] = value
    return marker


def honeycomb_api(state, registered, method, path, body, body_error):
    """One request to the configuration API, from a registered key -> (status, payload).
    Caller holds the lock. Raises BadRequest for any error answer."""
    route = route_honeycomb_api(path)
    if route is None:
        raise BadRequest(404, f"not found: {path}")
    resource, dataset, item_id, methods = route
    if method not in methods:
        raise BadRequest(405, f"method {method} not allowed on {path}; allowed: {', '.join(methods)}")
    flag, permission = HONEYCOMB_PERMISSIONS[resource]
    if registered["type"] == "ingest" and flag is None:
        raise BadRequest(403, "the API key does not have permission: ingest keys can only send data; "
                              "this endpoint needs a configuration key")
    if registered["type"] == "ingest" or (flag is not None and not registered["api_key_access"].get(flag)):
        raise BadRequest(403, f"the API key does not have permission: {permission}")
    if dataset is not None:
        environment_wide = dataset == ENVIRONMENT_WIDE and registered["environment"]["slug"] != ""
        if not environment_wide and dataset not in state.hc_datasets:
            raise BadRequest(404, "Dataset not found")
    if method in ("POST", "PUT"):
        if body_error is not None:
            raise BadRequest(400, f"request body is not valid JSON: {body_error}")
        if body is None:
            raise BadRequest(400, "request body is empty; expected a JSON object")

    if resource == "datasets":
        if item_id is None:
            return 200, [dataset_view(state, slug) for slug in sorted(state.hc_datasets)]
        if item_id not in state.hc_datasets:
            raise BadRequest(404, "Dataset not found")
        return 200, dataset_view(state, item_id)

    if resource == "queries":
        if method == "POST":
            spec = validate_query_spec(body)
            spec["id"] = new_id()
            state.hc_queries[spec["id"]] = {"dataset": dataset, "spec": spec}
            return 200, spec
        stored = state.hc_queries.get(item_id)
        if stored is None or stored["dataset"] != dataset:
            raise BadRequest(404, "Query not found")
        return 200, stored["spec"]

    if resource == "query_annotations":
        in_dataset = {i: a for i, a in state.hc_annotations.items() if a["dataset"] == dataset}
        if item_id is None and method == "GET":
            return 200, [annotation_view(a) for a in in_dataset.values()]
        if method == "POST":
            annotation, query_id = validate_annotation(body)
            if query_id is None:
                raise invalid("query_id is required")
            saved = state.hc_queries.get(query_id)
            if saved is None or saved["dataset"] != dataset:
                raise invalid(f"query_id: no query {query_id!r} is saved in dataset {dataset!r}")
            now = utc_now()
            stored = {"id": new_id(), **annotation, "query_id": query_id, "created_at": now, "updated_at": now,
                      "dataset": dataset}
            state.hc_annotations[stored["id"]] = stored
            return 201, annotation_view(stored)
        stored = in_dataset.get(item_id)
        if stored is None:
            raise BadRequest(404, "Query Annotation not found")
        if method == "GET":
            return 200, annotation_view(stored)
        if method == "DELETE":
            del state.hc_annotations[item_id]
            return 204, None
        annotation, query_id = validate_annotation(body)  # PUT
        if query_id is not None and query_id != stored["query_id"]:
            raise invalid("query_id cannot be changed")
        stored.update(annotation, updated_at=utc_now())
        return 200, annotation_view(stored)

    if resource == "boards":
        if item_id is None and method == "GET":
            return 200, [board_view(b, registered) for b in state.hc_boards.values()]
        if method == "POST":
            board = {"id": new_id(), **validate_board(state, body)}
            state.hc_boards[board["id"]] = board
            return 201, board_view(board, registered)
        stored = state.hc_boards.get(item_id)
        if stored is None:
            raise BadRequest(404, "Board not found")
        if method == "GET":
            return 200, board_view(stored, registered)
        if method == "DELETE":
            del state.hc_boards[item_id]
            return 204, None
        board = {"id": item_id, **validate_board(state, body)}  # PUT: a full replacement
        state.hc_boards[item_id] = board
        return 200, board_view(board, registered)

    # markers
    if item_id is None and method == "GET":
        return 200, [marker_view(m) for m in state.hc_markers.values() if m["dataset"] == dataset]
    if method == "POST":
        now = utc_now()
        marker = {"id": new_id(), "start_time": int(time.time()), **validate_marker(body),
                  "created_at": now, "updated_at": now, "dataset": dataset}
        state.hc_markers[marker["id"]] = marker
        return 201, marker_view(marker)
    stored = state.hc_markers.get(item_id)
    if stored is None or stored["dataset"] != dataset:
        raise BadRequest(404, "Marker not found")
    if method == "DELETE":
        del state.hc_markers[item_id]
        return 204, None
    stored.update(validate_marker(body), updated_at=utc_now())  # PUT: the fields given change
    return 200, marker_view(stored)


def annotation_view(stored):
    return {k: v for k, v in stored.items() if k != "dataset"}


def marker_view(stored):
    return {k: v for k, v in stored.items() if k != "dataset"}


def board_view(board, registered):
    environment = registered["environment"]["slug"]
    team = registered["team"]["slug"]
    where = f"{team}/environments/{environment}" if environment else team
    return {**board, "links": {"board_url": f"https://ui.honeycomb.io/{where}/board/{board['id']}"}}


# --- Rollbar's read API: occurrences ("instances") and the items they group into


ROLLBAR_READ_PREFIX = "read"  # a token with read scope, in the fake
ROLLBAR_PAGE_SIZE = 20  # occurrences a page, as Rollbar lists them
ROLLBAR_PROJECT_ID = 1
ROLLBAR_LEVELS = ("debug", "info", "warning", "error", "critical")
ROLLBAR_FIRST_OCCURRENCE_ID = 3000000001
ROLLBAR_FIRST_ITEM_ID = 270000001
ROLLBAR_READ_PATH = re.compile(r"^/api/1/(?:instances/?|instance/[^/]+/?|item/[^/]+/?|item/[^/]+/instances/?)$")


def rollbar_title(data):
    """An occurrence's title, as Rollbar makes an item's title of it."""
    if isinstance(data.get("title"), str) and data["title"]:
        return data["title"]
    body = data.get("body") if isinstance(data.get("body"), dict) else {}
    traces = body.get("trace_chain") if isinstance(body.get("trace_chain"), list) else [body.get("trace")]
    trace = traces[0] if traces and isinstance(traces[0], dict) else None
    if trace is not None and isinstance(trace.get("exception"), dict):
        exception = trace["exception"]
        name, message = str(exception.get("class", "")), str(exception.get("message", ""))
        return f"{name}: {message}" if message else name
    if isinstance(body.get("message"), dict) and isinstance(body["message"].get("body"), str):
        return body["message"]["body"]
    if "crash_report" in body:
        return "crash report"
    return "(no title)"


def rollbar_store_occurrence(state, data):
    """Stores an occurrence that POST /api/1/item/ accepted, grouping it into an item by its
    fingerprint (data.fingerprint, else its environment and title). Caller holds the lock."""
    now = int(time.time())
    title = rollbar_title(data)
    environment = data.get("environment") if isinstance(data.get("environment"), str) else ""
    level = data.get("level") if data.get("level") in ROLLBAR_LEVELS else "error"
    fingerprint = data.get("fingerprint") if isinstance(data.get("fingerprint"), str) else None
    fingerprint = hashlib.sha1((fingerprint or json.dumps([environment, title])).encode()).hexdigest()
    occurrence_id = ROLLBAR_FIRST_OCCURRENCE_ID + len(state.rb_occurrences)
    item_id = state.rb_fingerprints.get(fingerprint)
    if item_id is None:
        item_id = ROLLBAR_FIRST_ITEM_ID + len(state.rb_items)
        state.rb_fingerprints[fingerprint] = item_id
        state.rb_items[item_id] = {
            "id": item_id, "project_id": ROLLBAR_PROJECT_ID, "counter": len(state.rb_items) + 1,
            "environment": environment, "framework": 0, "platform": 0, "hash": fingerprint, "title": title,
            "level": level, "level_lock": 0, "title_lock": 0, "status": "active",
            "first_occurrence_id": occurrence_id, "first_occurrence_timestamp": now,
            "activating_occurrence_id": occurrence_id, "last_activated_timestamp": now,
            "last_occurrence_id": occurrence_id, "last_occurrence_timestamp": now,
            "total_occurrences": 0, "unique_occurrences": 0, "last_resolved_timestamp": None,
            "resolved_in_version": None, "assigned_user_id": None, "integrations_data": None,
            "public_item_id": None,
        }
    item = state.rb_items[item_id]
    if ROLLBAR_LEVELS.index(level) > ROLLBAR_LEVELS.index(item["level"]):
        item["level"] = level  # an item takes the most severe level of its occurrences
    item.update(last_occurrence_id=occurrence_id, last_occurrence_timestamp=now,
                total_occurrences=item["total_occurrences"] + 1, unique_occurrences=item["unique_occurrences"] + 1)
    state.rb_occurrences.append({"id": occurrence_id, "project_id": ROLLBAR_PROJECT_ID, "timestamp": now,
                                 "version": 2, "data": copy.deepcopy(data), "billable": 1, "item_id": item_id})


def rollbar_read(state, path, page):
    """GET on Rollbar's read API, by a read token -> (status, payload). Caller holds the lock."""
    parts = [part for part in path.split("/") if part][2:]  # after "api", "1"
    not_found = {"err": 1, "message": "Not found"}

    def number(text):
        return int(text) if text.isascii() and text.isdigit() else None

    def listing(occurrences):
        try:
            page_number = max(1, int(page))
        except ValueError:
            page_number = 1
        newest_first = sorted(occurrences, key=lambda o: o["id"], reverse=True)
        start = (page_number - 1) * ROLLBAR_PAGE_SIZE
        return 200, {"err": 0, "result": {"instances": newest_first[start:start + ROLLBAR_PAGE_SIZE],
                                          "page": page_number}}

    if parts == ["instances"]:
        return listing(state.rb_occurrences)
    if parts[0] == "instance":
        occurrence_id = number(parts[1])
        found = [o for o in state.rb_occurrences if o["id"] == occurrence_id]
        return (200, {"err": 0, "result": found[0]}) if found else (404, not_found)
    item = state.rb_items.get(number(parts[1]))  # item/{id}, item/{id}/instances
    if item is None:
        return 404, not_found
    if len(parts) == 3:
        return listing([o for o in state.rb_occurrences if o["item_id"] == item["id"]])
    return 200, {"err": 0, "result": item}


# --- HTTP


def lower_headers(message):
    headers = {}
    for name, value in message.items():
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: every response carries Content-Length and every body is fully read.
    protocol_version = "HTTP/1.1"
    server_version = "cruddur-receivers-fake/1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (about 40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # no per-request logging; /_fake/received is the log

    @property
    def state(self):
        return self.server.state

    # -- plumbing

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        if encoding == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as e:
                raise BadRequest(400, f"body is not valid gzip: {e}") from None
        elif encoding not in ("", "identity"):
            raise BadRequest(415, f"unsupported Content-Encoding {encoding!r}")
        return raw

    def _send_bytes(self, status, data, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in getattr(self, "_cors_headers", []):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status, payload, content_type="application/json"):
        self._send_bytes(status, json.dumps(payload).encode(), content_type)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_OPTIONS(self):
        self._dispatch("OPTIONS")

    def _dispatch(self, method):
        path = urlsplit(self.path).path
        self._cors_headers = []
        try:
            try:
                raw = self._read_body()
            except BadRequest as e:
                if path.startswith("/v1/"):
                    with self.state.lock:
                        self.state.bad_otlp.append({"path": path, "error": e.message,
                                                    "content_type": self.headers.get("Content-Type", "")})
                return self._send(e.status, {"error": e.message})
            if path == "/_fake" or path.startswith("/_fake/"):
                return self._control(method, path, raw)
            origin = self.headers.get("Origin")
            requested_method = self.headers.get("Access-Control-Request-Method")
            if method == "OPTIONS" and origin is not None and requested_method is not None:
                return self._preflight(path, origin, requested_method)
            with self.state.lock:
                self._cors_headers = cors_actual(self.state.cors, origin, method)
            route = {
                ("POST", "/v1/traces"): self._traces,
                ("POST", "/v1/metrics"): lambda raw: self._otlp_other("metrics", raw),
                ("POST", "/v1/logs"): lambda raw: self._otlp_other("logs", raw),
                ("POST", "/api/1/item/"): self._rollbar_item,
                ("POST", "/api/1/item"): self._rollbar_item,
                ("GET", "/1/auth"): lambda raw: self._honeycomb_auth(1),
                ("GET", "/2/auth"): lambda raw: self._honeycomb_auth(2),
            }.get((method, path))
            if route is None and method == "GET" and ROLLBAR_READ_PATH.match(path):
                route = lambda raw: self._rollbar_read(path)  # noqa: E731
            if route is None and honeycomb_api_path(path):
                route = lambda raw: self._honeycomb_config(method, path, raw)  # noqa: E731
            if route is None:
                with self.state.lock:
                    self.state.other_requests.append({"method": method, "path": path})
                return self._send(404, {"error": f"nothing here: {method} {path}"})
            route(raw)
        except ConnectionError:
            raise
        except Exception:  # a bug in the fake: show it, and answer 500
            traceback.print_exc()
            self._send(500, {"error": "internal error in the fake"})

    # -- CORS

    def _preflight(self, path, origin, requested_method):
        requested_headers = [h.strip().lower()
                             for h in self.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()]
        with self.state.lock:
            cors = copy.deepcopy(self.state.cors)
        allowed, reason, headers = cors_preflight(cors, origin, requested_method, requested_headers)
        # Off, the collector's OTLP receiver answers OPTIONS 405; with cors set, rs/cors answers
        # every preflight 204 and leaves the Access-Control-* headers out of a refused one.
        status = 204 if cors["allowed_origins"] else 405
        with self.state.lock:
            self.state.cors_preflights.append({
                "path": path, "origin": origin, "method": requested_method,
                "headers": requested_headers, "allowed": allowed, "reason": reason, "status": status})
        self.send_response(status)
        if cors["allowed_origins"]:
            self.send_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        for name, value in headers:
            self.send_header(name, value)
        if status == 204:
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            data = json.dumps({"error": f"405 method not allowed, supported: [POST]: OPTIONS {path}"}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    # -- OTLP

    def _content_type(self):
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def _otlp_reply(self, content_type, empty_message):
        if content_type == "application/json":
            self._send_bytes(200, json_format.MessageToJson(empty_message).encode(), "application/json")
        else:
            self._send_bytes(200, empty_message.SerializeToString(), "application/x-protobuf")

    def _traces(self, raw):
        content_type = self._content_type()
        try:
            request = decode_traces(raw, content_type)
        except BadRequest as e:
            with self.state.lock:
                self.state.bad_otlp.append({"path": "/v1/traces", "error": e.message, "content_type": content_type})
            return self._send(e.status, {"error": e.message})
        headers = lower_headers(self.headers)
        spans = []
        datasets = {}  # slug -> name
        written = {}  # slug -> the columns of the spans stored for it
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            dataset = service_dataset(resource)
            if dataset is not None:
                datasets.setdefault(*dataset)  # Honeycomb makes a dataset per service.name
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(flatten_span(span, resource, scope_spans.scope.name, headers))
                    if dataset is not None:
                        written.setdefault(dataset[0], set()).update(span_columns(span, resource))
        with self.state.lock:
            self.state.spans.extend(spans)
            for slug, name in datasets.items():
                dataset_known(self.state, slug, name)
            for slug, columns in written.items():
                dataset_written(self.state, slug, columns)
        self._otlp_reply(content_type, ExportTraceServiceResponse())

    def _otlp_written(self, signal_name, raw, content_type):
        """What a logs or metrics export writes to which dataset: {slug: (name, columns)}. A dataset
        is the resource's service.name; for metrics the X-Honeycomb-Dataset header comes first, as
        Honeycomb files OTLP metrics under it."""
        if signal_name == "logs":
            request = decode_otlp_quietly(raw, content_type, ExportLogsServiceRequest)
            groups = [] if request is None else [
                (rl.resource, [(list(sl.log_records), LOG_COLUMNS) for sl in rl.scope_logs])
                for rl in request.resource_logs]
        else:
            request = decode_otlp_quietly(raw, content_type, ExportMetricsServiceRequest)
            groups = [] if request is None else [
                (rm.resource, [(list(sm.metrics), METRIC_COLUMNS) for sm in rm.scope_metrics])
                for rm in request.resource_metrics]
        header_dataset = self.headers.get("X-Honeycomb-Dataset", "").strip()
        written = {}
        for resource_message, scopes in groups:
            resource = attributes(resource_message.attributes)
            if signal_name == "metrics" and dataset_slug(header_dataset):
                dataset = (dataset_slug(header_dataset), header_dataset)
            else:
                dataset = service_dataset(resource)
            if dataset is None:
                continue
            for records, base in scopes:
                for record in records:
                    if signal_name == "logs":
                        columns = {kv.key for kv in record.attributes}
                        if record.trace_id:
                            columns |= {"trace.trace_id", "trace.span_id"}
                    else:
                        columns = {record.name}
                    entry = written.setdefault(dataset[0], (dataset[1], set()))
                    entry[1].update(set(base) | set(resource) | columns)
        return written

    def _otlp_other(self, signal_name, raw):
        content_type = self._content_type()
        if content_type not in ("application/x-protobuf", "application/json"):
            return self._send(415, {"error": f"unsupported content type {content_type!r}"})
        written = self._otlp_written(signal_name, raw, content_type)
        with self.state.lock:
            self.state.otlp_other[signal_name] += 1
            for slug, (name, columns) in written.items():
                dataset_known(self.state, slug, name)
                dataset_written(self.state, slug, columns)
        # Empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON.
        if content_type == "application/json":
            self._send_bytes(200, b"{}", "application/json")
        else:
            self._send_bytes(200, b"", "application/x-protobuf")

    # -- Rollbar

    def _rollbar_item(self, raw):
        body = None
        body_error = None
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError) as e:
            body_error = str(e)
        token = self.headers.get("X-Rollbar-Access-Token", "").strip()
        if not token and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            token = body["access_token"].strip()
        call = {"token_prefix": token[:6], "status": None}
        with self.state.lock:
            self.state.rollbar_calls.append(call)
            rate_limited = self.state.modes["rollbar"] == "rate_limited"
        if not token:
            status, payload = 422, {"err": 1, "message": "No access token provided"}
        elif token.startswith("bad"):
            status, payload = 403, {"err": 1, "message": f"access token not found: {token}"}
        elif token.startswith(("client", "c11e")):  # c11e: a client token of the real, hex shape
            status, payload = 403, {"err": 1, "message": "insufficient privileges: post_server_item scope is "
                                    "required but the access token only has post_client_item."}
        elif token.startswith(ROLLBAR_READ_PREFIX):
            status, payload = 403, {"err": 1, "message": "insufficient privileges: post_server_item scope is "
                                    "required but the access token only has read."}
        elif rate_limited:
            status, payload = 429, {"err": 1, "message": "rate limit reached"}
        elif body_error is not None or not isinstance(body, dict):
            status, payload = 400, {"err": 1, "message": f"Invalid JSON: {body_error or 'expected an object'}"}
        else:
            data = body.get("data")
            given = data.get("uuid") if isinstance(data, dict) else None
            status, payload = 200, {"err": 0, "result": {
                "id": None, "uuid": given if isinstance(given, str) and given else str(uuid.uuid4())}}
        with self.state.lock:
            call["status"] = status
            if status == 200:
                self.state.rollbar_items.append({"token": token, "body": body,
                                                 "headers": lower_headers(self.headers)})
                if isinstance(body.get("data"), dict):
                    rollbar_store_occurrence(self.state, body["data"])
        self._send(status, payload)

    def _rollbar_read(self, path):
        """Rollbar's read API (see rollbar_read): the token must have read scope."""
        query = parse_qs(urlsplit(self.path).query)
        token = self.headers.get("X-Rollbar-Access-Token", "").strip()
        if not token:
            token = (query.get("access_token") or [""])[0].strip()  # deprecated, still accepted
        call = {"path": path, "token_prefix": token[:6], "status": None}
        with self.state.lock:
            self.state.rollbar_reads.append(call)
            rate_limited = self.state.modes["rollbar"] == "rate_limited"
        scope = "post_client_item" if token.startswith(("client", "c11e")) else "post_server_item"
        if not token:
            status, payload = 422, {"err": 1, "message": "No access token provided"}
        elif token.startswith("bad"):
            status, payload = 403, {"err": 1, "message": f"access token not found: {token}"}
        elif not token.startswith(ROLLBAR_READ_PREFIX):
            status, payload = 403, {"err": 1, "message": "insufficient privileges: read scope is required but "
                                    f"the access token only has {scope}."}
        elif rate_limited:
            status, payload = 429, {"err": 1, "message": "rate limit reached"}
        else:
            with self.state.lock:
                status, payload = rollbar_read(self.state, path, (query.get("page") or ["1"])[0])
                payload = copy.deepcopy(payload)
        with self.state.lock:
            call["status"] = status
        self._send(status, payload)

    # -- Honeycomb

    def _hang(self):
        """Hold the request until the mode changes, the fake is reset or stops, or the client leaves.
        Returns True when the request should still be answered."""
        state = self.state
        with state.lock:
            generation = state.generation
        conn = self.connection
        while True:
            with state.lock:
                if state.generation != generation:
                    return True
            if state.stopping.is_set():
                return False
            readable, _, _ = select.select([conn], [], [], HANG_STEP)
            if readable:
                try:
                    if conn.recv(1, socket.MSG_PEEK) == b"":
                        return False  # client hung up
                except OSError:
                    return False
                time.sleep(HANG_STEP)  # a pipelined request waits its turn

    def _honeycomb_mode(self):
        """The Honeycomb mode once it is not "hang"; None when the request must go unanswered."""
        while True:
            with self.state.lock:
                mode = self.state.modes["honeycomb"]
            if mode != "hang":
                return mode
            if not self._hang():
                self.close_connection = True
                return None

    def _honeycomb_config(self, method, path, raw):
        """Saved queries, query annotations, boards, markers and datasets (see honeycomb_api)."""
        state = self.state
        key = self.headers.get("X-Honeycomb-Team", "")
        body, body_error = None, None
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                body_error = str(e)
        request = {"method": method, "path": path, "key_prefix": key[:6],
                   "body": raw.decode("utf-8", errors="replace") if body_error is not None else body,
                   "status": None}
        with state.lock:
            state.honeycomb_requests.append(request)
        mode = self._honeycomb_mode()
        if mode is None:
            return
        with state.lock:
            registered = state.keys.get(key) if key else None
            if mode == "rate_limited":
                status, payload = 429, {"error": "Rate Limited"}
            elif registered is None or registered["type"] == "management":
                status, payload = 401, {"error": "unknown API key - check your credentials"}
            elif registered.get("disabled"):
                status, payload = 401, {"error": "attempted to use disabled API key"}
            else:
                try:
                    status, payload = honeycomb_api(state, registered, method, path, body, body_error)
                    payload = copy.deepcopy(payload)
                except BadRequest as e:
                    status, payload = e.status, {"error": e.message}
            request["status"] = status
        if status == 204:
            self.send_response(204)
            for name, value in self._cors_headers:
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(status, payload)

    def _honeycomb_auth(self, version):
        state = self.state
        if version == 1:
            key = self.headers.get("X-Honeycomb-Team", "")
            secret = None
        else:
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer "):].strip() if auth[:7].lower() == "bearer " else ""
            key, _, secret = token.partition(":")
        call = {"path": f"/{version}/auth", "key_prefix": key[:6], "status": None}
        with state.lock:
            state.honeycomb_auth_calls.append(call)
        mode = self._honeycomb_mode()
        if mode is None:
            return
        with state.lock:
            registered = copy.deepcopy(state.keys.get(key)) if key else None
        if mode == "rate_limited":
            if version == 1:
                status, payload = 429, {"error": "Rate Limited"}
            else:
                status, payload = 429, {"errors": [{"status": "429", "code": "rate_limited", "title": "Rate Limited"}]}
        elif version == 1:
            if registered is None or registered["type"] == "management":
                status, payload = 401, {"error": "unknown API key - check your credentials"}
            elif registered.get("disabled"):
                status, payload = 401, {"error": "attempted to use disabled API key"}
            else:
                status, payload = 200, {"id": registered["id"], "type": registered["type"],
                                        "api_key_access": registered["api_key_access"],
                                        "environment": registered["environment"], "team": registered["team"]}
                if "time_to_live" in registered:
                    payload["time_to_live"] = registered["time_to_live"]
        else:
            if (registered is None or registered["type"] != "management"
                    or registered.get("secret") != secret or registered.get("disabled")):
                status, payload = 401, {"errors": [{"status": "401", "code": "unauthorized",
                                                    "title": "unknown API key"}]}
            else:
                team = registered["team"]
                team_id = team.get("id") or team["slug"]
                status, payload = 200, {
                    "data": {"id": registered["id"], "type": "api-keys",
                             "attributes": {"name": registered["name"], "key_type": "management",
                                            "disabled": False, "scopes": registered["scopes"]},
                             "relationships": {"team": {"data": {"id": team_id, "type": "teams"}}}},
                    "included": [{"id": team_id, "type": "teams",
                                  "attributes": {"name": team["name"], "slug": team["slug"]}}],
                }
        with state.lock:
            call["status"] = status
        self._send(status, payload, "application/json" if version == 1 else "application/vnd.api+json")

    # -- test control

    def _control(self, method, path, raw):
        state = self.state
        if (method, path) == ("POST", "/_fake/reset"):
            with state.lock:
                state.reset()
            return self._send(200, {})
        if (method, path) == ("GET", "/_fake/received"):
            with state.lock:
                snapshot = state.snapshot()
            return self._send(200, snapshot)
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            if (method, path) == ("POST", "/_fake/honeycomb/keys"):
                registration = parse_key_registration(body)
                with state.lock:
                    state.keys[registration["key"]] = registration
                return self._send(200, registration)
            if (method, path) == ("POST", "/_fake/honeycomb/datasets"):
                environment, datasets = parse_datasets(body)
                with state.lock:
                    for dataset in datasets:
                        dataset_known(state, dataset)
                    known = sorted(state.hc_datasets)
                return self._send(200, {"environment": environment, "datasets": known})
            if (method, path) == ("POST", "/_fake/cors"):
                cors = parse_cors(body)
                with state.lock:
                    state.cors = cors
                return self._send(200, cors)
            if (method, path) == ("POST", "/_fake/mode"):
                with state.lock:
                    modes = parse_modes(body, state.modes)
                    state.modes = modes
                    state.generation += 1
                return self._send(200, modes)
        except ValueError as e:
            return self._send(400, {"error": str(e)})
        self._send(404, {"error": f"unknown test-control endpoint {method} {path}"})


def parse_key_registration(body):
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise ValueError("key must be a non-empty string")
    key_type = body.get("type")
    if key_type is None:
        key_type = ("management" if MANAGEMENT_KEY.match(key)
                    else "ingest" if INGEST_KEY.match(key) else "configuration")
    if key_type not in KEY_TYPES:
        raise ValueError(f"type must be one of {', '.join(KEY_TYPES)}")
    environment = body.get("environment", {"name": "bootcamp", "slug": "bootcamp"})
    team = body.get("team", {"name": "My Team", "slug": "my-team"})
    for name, value in (("environment", environment), ("team", team)):
        if not (isinstance(value, dict) and isinstance(value.get("name"), str) and isinstance(value.get("slug"), str)):
            raise ValueError(f"{name} must be an object with string name and slug")
    access = body.get("api_key_access")
    if access is None:
        access = {"createDatasets": True} if key_type == "ingest" else dict(FULL_ACCESS)
    if not isinstance(access, dict):
        raise ValueError("api_key_access must be an object")
    registration = {
        "key": key,
        "id": str(body.get("id") or ("fake" + uuid.uuid4().hex[:10])),
        "type": key_type,
        "api_key_access": access,
        "environment": {"name": environment["name"], "slug": environment["slug"]},
        "team": {k: team[k] for k in ("name", "slug", "id") if k in team},
        "disabled": bool(body.get("disabled", False)),
    }
    if "time_to_live" in body:
        registration["time_to_live"] = body["time_to_live"]
    if key_type == "management":
        secret = body.get("secret")
        if not isinstance(secret, str) or not secret:
            raise ValueError("a management key needs a non-empty secret")
        registration["secret"] = secret
        registration["name"] = str(body.get("name", "cruddur-obs test key"))
        registration["scopes"] = list(body.get("scopes", ["environments:read", "api-keys:read"]))
    return registration


def parse_datasets(body):
    unknown = set(body) - {"environment", "datasets"}
    if unknown:
        raise ValueError(f"unknown dataset keys: {sorted(unknown)}")
    environment = body.get("environment", "")
    if not isinstance(environment, str):
        raise ValueError("environment must be a string (an environment slug; datasets are global in the fake)")
    datasets = body.get("datasets")
    if not (isinstance(datasets, list) and all(isinstance(d, str) and d for d in datasets)):
        raise ValueError("datasets must be a list of non-empty dataset slugs")
    if ENVIRONMENT_WIDE in datasets:
        raise ValueError(f"{ENVIRONMENT_WIDE} is not a dataset: it stands for the whole environment")
    return environment, datasets


def parse_modes(body, current):
    unknown = set(body) - {"honeycomb", "rollbar"}
    if unknown:
        raise ValueError(f"unknown mode keys: {sorted(unknown)}")
    modes = dict(current)
    for name, allowed in (("honeycomb", HONEYCOMB_MODES), ("rollbar", ROLLBAR_MODES)):
        if name in body:
            if body[name] not in allowed:
                raise ValueError(f"{name} mode must be one of {', '.join(allowed)}")
            modes[name] = body[name]
    return modes


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: an idle kept-alive connection would block the exit.
    block_on_close = False

    def handle_error(self, request, client_address):
        # A client hanging up mid-request is routine in tests; anything else is a bug worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake OTLP/X-Ray/Rollbar/Honeycomb receivers for tests.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="HTTP port; 0 (the default) picks a free one")
    parser.add_argument("--udp-port", type=int, default=0, help="X-Ray UDP port; 0 (the default) picks a free one")
    args = parser.parse_args(argv)

    ipv6 = ":" in args.host
    Server.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
    state = State()
    server = Server((args.host, args.port), Handler)
    server.state = state
    udp = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind((args.host, args.udp_port))
    udp.settimeout(0.2)
    udp_thread = threading.Thread(target=serve_udp, args=(udp, state), name="xray-udp", daemon=True)
    udp_thread.start()

    # SIGTERM and SIGINT both unwind serve_forever for a clean exit without a traceback.
    # SIGINT is installed explicitly: a shell starts background jobs with it ignored.
    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = server.server_address[:2]
    udp_host, udp_port = udp.getsockname()[:2]
    shown = f"[{host}]" if ipv6 else host
    print(json.dumps({"http": f"http://{shown}:{port}", "xray_udp": f"{shown if ipv6 else udp_host}:{udp_port}"}),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        state.stopping.set()
        server.server_close()
        udp.close()  # the daemon UDP thread sees the closed socket (or the flag) within 0.2 s or dies at exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
