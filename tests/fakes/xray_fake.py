#!/usr/bin/env python3
"""Stateful fake of the AWS X-Ray control plane, for cruddur-obs tests.

moto has no X-Ray groups or sampling rules, so the tests use this instead. It speaks
the real rest-json protocol of botocore's xray/2016-04-12 model: every call is
`POST /<Path>` with a JSON body and a JSON response; errors carry the
`x-amzn-ErrorType` header and a `{"Message": ...}` body. Standard library only.

    python3 tests/fakes/xray_fake.py --port 0 [--host 127.0.0.1] [--page-size 10]

Prints `listening on http://HOST:PORT` once ready, then serves until killed.
Test-control endpoints live under /_fake (reset, faults, requests, state); they are
not part of AWS and never appear in the request log.
"""

import argparse
import base64
import copy
import json
import random
import re
import signal
import string
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MAX_USER_RULES = 25  # sampling rules besides "Default"
MAX_TAGS = 50  # user tags per resource (the model allows lists of 200; the service 50)
INT32_MAX = 2**31 - 1

# requestUri -> operation name, from the botocore model.
OPERATIONS = {
    "/CreateGroup": "CreateGroup",
    "/Groups": "GetGroups",
    "/GetGroup": "GetGroup",
    "/UpdateGroup": "UpdateGroup",
    "/DeleteGroup": "DeleteGroup",
    "/CreateSamplingRule": "CreateSamplingRule",
    "/GetSamplingRules": "GetSamplingRules",
    "/UpdateSamplingRule": "UpdateSamplingRule",
    "/DeleteSamplingRule": "DeleteSamplingRule",
    "/ListTagsForResource": "ListTagsForResource",
    "/TagResource": "TagResource",
    "/UntagResource": "UntagResource",
}

# The SigV4 credential scope: Credential=AKID/20260101/us-east-1/xray/aws4_request
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")


class ApiError(Exception):
    """An AWS error response: its type goes in x-amzn-ErrorType, the message in the body."""

    def __init__(self, error_type, message, status=400, extra=None):
        super().__init__(message)
        self.error_type, self.message, self.status = error_type, message, status
        self.extra = extra or {}  # additional body members, e.g. ResourceName


def invalid(message):
    return ApiError("InvalidRequestException", message)


# ---------------------------------------------------------------------------
# Input validation, reported the way AWS's request validation words it:
#   1 validation error detected: Value '1.5' at 'samplingRule.fixedRate' failed to
#   satisfy constraint: Member must have value less than or equal to 1
# Paths are the member names with the first letter lowered (so 'samplingRule.hTTPMethod'),
# list elements are 'tags.1.member.key' (1-based). A member of the wrong JSON type is a
# SerializationException instead, as on AWS.
# ---------------------------------------------------------------------------


def _java_str(value):
    """Render a value like the Java toString() AWS uses inside validation messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    return str(value)


class Validator:
    def __init__(self):
        self.errors = []

    def fail(self, value, path, constraint):
        shown = "null" if value is None else f"'{_java_str(value)}'"
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self):
        n = len(self.errors)
        if n:
            plural = "error" if n == 1 else "errors"
            raise invalid(f"{n} validation {plural} detected: " + "; ".join(self.errors))

    # -- typed member accessors; each returns the value or None when absent --

    def member(self, obj, name, prefix, kind, required=False):
        path = (prefix + "." if prefix else "") + name[0].lower() + name[1:]
        value = obj.get(name)
        if value is None:
            if required:
                self.fail(None, path, "Member must not be null")
            return None, path
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "double": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "structure": isinstance(value, dict),
            "map": isinstance(value, dict),
            "list": isinstance(value, list),
        }[kind]
        if kind == "integer" and ok and abs(value) > INT32_MAX:
            ok = False
        if not ok:
            raise ApiError("SerializationException", f"Unexpected value type for member '{name}': expected {kind}")
        return (float(value) if kind == "double" else value), path

    def string(self, obj, name, prefix="", required=False, min_len=None, max_len=None):
        value, path = self.member(obj, name, prefix, "string", required)
        if value is not None:
            self._length(value, path, min_len, max_len)
        return value

    def number(self, obj, name, prefix="", kind="integer", required=False, lo=None, hi=None):
        value, path = self.member(obj, name, prefix, kind, required)
        if value is not None:
            if hi is not None and value > hi:
                self.fail(value, path, f"Member must have value less than or equal to {hi}")
            if lo is not None and value < lo:
                self.fail(value, path, f"Member must have value greater than or equal to {lo}")
        return value

    def _length(self, value, path, min_len, max_len):
        if max_len is not None and len(value) > max_len:
            self.fail(value, path, f"Member must have length less than or equal to {max_len}")
        if min_len is not None and len(value) < min_len:
            self.fail(value, path, f"Member must have length greater than or equal to {min_len}")

    def attributes(self, obj, prefix):
        """AttributeMap: at most 5 entries, keys and values strings of 1-32 chars."""
        value, path = self.member(obj, "Attributes", prefix, "map")
        if value is None:
            return None
        self._length(value, path, None, 5)
        rule = "[Member must have length less than or equal to 32, Member must have length greater than or equal to 1]"
        if any(not 1 <= len(k) <= 32 for k in value):
            self.fail(value, path, f"Map keys must satisfy constraint: {rule}")
        for v in value.values():
            if not isinstance(v, str):
                raise ApiError("SerializationException", "Unexpected value type in Attributes: expected string")
        if any(not 1 <= len(v) <= 32 for v in value.values()):
            self.fail(value, path, f"Map value must satisfy constraint: {rule}")
        return dict(value)

    def tags(self, obj, name="Tags", required=False):
        """TagList -> list of (key, value). The 50-per-resource and 'aws:' rules are checked by callers."""
        value, path = self.member(obj, name, "", "list", required)
        if value is None:
            return None
        result = []
        for i, tag in enumerate(value, start=1):
            if not isinstance(tag, dict):
                raise ApiError("SerializationException", f"Unexpected value type in {name}: expected structure")
            element = f"{path}.{i}.member"
            key = self.string(tag, "Key", element, required=True, min_len=1, max_len=128)
            val = self.string(tag, "Value", element, required=True, min_len=0, max_len=256)
            result.append((key, val))
        return result

    def tag_keys(self, obj):
        value, path = self.member(obj, "TagKeys", "", "list", required=True)
        for i, key in enumerate(value or [], start=1):
            if not isinstance(key, str):
                raise ApiError("SerializationException", "Unexpected value type in TagKeys: expected string")
            self._length(key, f"{path}.{i}.member", 1, 128)
        return value


def check_tag_rules(tags):
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise invalid(f"Tag key '{key}' is invalid: keys starting with 'aws:' are reserved for AWS use")


def check_filter_expression(expression):
    """Reject filter expressions whose quotes or brackets don't balance.

    Not a parser: a full X-Ray filter grammar is out of scope; this only catches the
    malformed expressions a CLI might produce through bad quoting.
    """
    pairs = {")": "(", "}": "{", "]": "["}
    stack, quote, escaped = [], None, False
    for ch in expression:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "({[":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                raise invalid("Invalid filter expression")
    if quote or stack:
        raise invalid("Invalid filter expression")


# ---------------------------------------------------------------------------
# Service state and operations
# ---------------------------------------------------------------------------


class XRayState:
    """All fake state. Every public method is called with self.lock held."""

    def __init__(self, page_size):
        self.page_size = page_size
        self.lock = threading.RLock()
        self._last_ts = 0.0
        self.reset()

    def reset(self):
        self.groups = {}  # GroupName -> Group shape (insertion order = creation order)
        self.rules = {}  # RuleName -> SamplingRuleRecord (insertion order = creation order)
        self.tags = {}  # resource ARN -> {Key: Value}
        self.fault = None  # {"mode", "count", "operations"} or None
        self.requests = []  # [{"operation", "status"}]
        now = self._now()
        self.rules["Default"] = {
            "SamplingRule": {
                "RuleName": "Default",
                "RuleARN": f"arn:aws:xray:{DEFAULT_REGION}:{ACCOUNT}:sampling-rule/Default",
                "ResourceARN": "*", "Priority": 10000, "FixedRate": 0.05, "ReservoirSize": 1,
                "ServiceName": "*", "ServiceType": "*", "Host": "*", "HTTPMethod": "*",
                "URLPath": "*", "Version": 1, "Attributes": {},
            },
            "CreatedAt": now,
            "ModifiedAt": now,
        }
        self.tags[self.rules["Default"]["SamplingRule"]["RuleARN"]] = {}

    def _now(self):
        # Epoch seconds with millisecond fractions, strictly increasing so that an
        # update right after a create still moves ModifiedAt forward.
        self._last_ts = max(round(time.time(), 3), round(self._last_ts + 0.001, 3))
        return self._last_ts

    # -- faults and the request log (test control) --

    def take_fault(self, operation):
        f = self.fault
        if not f or f["count"] == 0 or (f["operations"] and operation not in f["operations"]):
            return None
        if f["count"] > 0:
            f["count"] -= 1
        if f["mode"] == "throttle":
            return ApiError("ThrottledException", "Rate exceeded", 429)
        return ApiError("InternalFailure", "Internal server error", 500)

    def snapshot(self):
        return {
            "groups": [copy.deepcopy(g) for g in self.groups.values()],
            "sampling_rules": [copy.deepcopy(r) for r in self.rules.values()],
            "tags": {arn: tag_list(t) for arn, t in self.tags.items()},
        }

    # -- pagination: opaque tokens that encode what is being listed and the offset --

    def _page(self, items, kind, token):
        offset = 0
        if token is not None:
            try:
                k, n = base64.urlsafe_b64decode(token.encode()).decode().split(":")
                offset = int(n)
                if k != kind or offset < 0:
                    raise ValueError
            except ValueError:  # also covers binascii/unicode errors (ValueError subclasses)
                raise invalid("Invalid NextToken") from None
        page = items[offset:offset + self.page_size]
        following = offset + self.page_size
        next_token = None
        if following < len(items):
            next_token = base64.urlsafe_b64encode(f"{kind}:{following}".encode()).decode()
        return page, next_token

    # -- groups --

    def _find_group(self, body):
        v = Validator()
        name = v.string(body, "GroupName", min_len=1, max_len=32)
        arn = v.string(body, "GroupARN", min_len=1, max_len=400)
        v.raise_if_any()
        if name is None and arn is None:
            raise invalid("Either GroupName or GroupARN must be specified")
        by_arn = next((g for g in self.groups.values() if g["GroupARN"] == arn), None)
        group = by_arn if arn is not None else self.groups.get(name)
        if group is None or (name is not None and group["GroupName"] != name):
            raise invalid("Group not found")
        return group

    @staticmethod
    def _insights(v, body, current):
        """Merge a (partial) InsightsConfiguration over the current one and check it."""
        config, path = v.member(body, "InsightsConfiguration", "", "structure")
        result = dict(current)
        if config is not None:
            for member in ("InsightsEnabled", "NotificationsEnabled"):
                value, _ = v.member(config, member, path, "boolean")
                if value is not None:
                    result[member] = value
        return result

    def op_CreateGroup(self, body, region):
        v = Validator()
        name = v.string(body, "GroupName", required=True, min_len=1, max_len=32)
        expression, _ = v.member(body, "FilterExpression", "", "string")
        insights = self._insights(v, body, {"InsightsEnabled": False, "NotificationsEnabled": False})
        tags = v.tags(body) or []
        v.raise_if_any()
        if name == "Default":
            raise invalid("Default is a reserved group name")
        if expression:
            check_filter_expression(expression)
        if insights["NotificationsEnabled"] and not insights["InsightsEnabled"]:
            raise invalid("Notifications can only be enabled when insights are enabled")
        if len(tags) > MAX_TAGS:
            raise invalid(f"Number of tags exceeds the limit of {MAX_TAGS} per resource")
        check_tag_rules(tags)
        if name in self.groups:
            raise invalid("Group already exists")
        group_id = "".join(random.choices(string.ascii_uppercase + string.digits, k=32))
        group = {"GroupName": name, "GroupARN": f"arn:aws:xray:{region}:{ACCOUNT}:group/{name}/{group_id}"}
        if expression:
            group["FilterExpression"] = expression
        group["InsightsConfiguration"] = insights
        self.groups[name] = group
        self.tags[group["GroupARN"]] = dict(tags)
        return {"Group": copy.deepcopy(group)}

    def op_GetGroups(self, body, region):
        v = Validator()
        token = v.string(body, "NextToken", min_len=1, max_len=100)
        v.raise_if_any()
        page, next_token = self._page(list(self.groups.values()), "groups", token)
        result = {"Groups": copy.deepcopy(page)}
        if next_token:
            result["NextToken"] = next_token
        return result

    def op_GetGroup(self, body, region):
        return {"Group": copy.deepcopy(self._find_group(body))}

    def op_UpdateGroup(self, body, region):
        group = self._find_group(body)
        v = Validator()
        expression, _ = v.member(body, "FilterExpression", "", "string")
        insights = self._insights(v, body, group["InsightsConfiguration"])
        v.raise_if_any()
        if expression:
            check_filter_expression(expression)
        if insights["NotificationsEnabled"] and not insights["InsightsEnabled"]:
            raise invalid("Notifications can only be enabled when insights are enabled")
        if expression is None:  # only the given members change
            expression = group.get("FilterExpression")
        # Rebuild rather than edit in place so the members keep AWS's order; an
        # empty FilterExpression removes the filter.
        updated = {"GroupName": group["GroupName"], "GroupARN": group["GroupARN"]}
        if expression:
            updated["FilterExpression"] = expression
        updated["InsightsConfiguration"] = insights
        self.groups[group["GroupName"]] = group = updated
        return {"Group": copy.deepcopy(group)}

    def op_DeleteGroup(self, body, region):
        group = self._find_group(body)
        del self.groups[group["GroupName"]]
        self.tags.pop(group["GroupARN"], None)
        return {}

    # -- sampling rules --

    # (member, JSON kind, min, max): the limits shared by SamplingRule and SamplingRuleUpdate.
    # Strings use min/max as lengths, numbers as values.
    RULE_MEMBERS = [
        ("ResourceARN", "string", None, 500),
        ("Priority", "integer", 1, 9999),
        ("FixedRate", "double", 0, 1),
        ("ReservoirSize", "integer", 0, None),
        ("ServiceName", "string", None, 64),
        ("ServiceType", "string", None, 64),
        ("Host", "string", None, 64),
        ("HTTPMethod", "string", None, 10),
        ("URLPath", "string", None, 128),
    ]

    @classmethod
    def _rule_fields(cls, v, obj, prefix, required):
        """Validate the shared rule members; return the ones present."""
        fields = {}
        for name, kind, lo, hi in cls.RULE_MEMBERS:
            if kind == "string":
                value = v.string(obj, name, prefix, required, lo, hi)
            else:
                value = v.number(obj, name, prefix, kind, required, lo, hi)
            if value is not None:
                fields[name] = value
        attributes = v.attributes(obj, prefix)
        if attributes is not None:
            fields["Attributes"] = attributes
        boost, path = v.member(obj, "SamplingRateBoost", prefix, "structure")
        if boost is not None:  # newer optional member; validated and stored as given
            fields["SamplingRateBoost"] = {
                "MaxRate": v.number(boost, "MaxRate", path, "double", True, 0, 1),
                "CooldownWindowMinutes": v.number(boost, "CooldownWindowMinutes", path, "integer", True, 0),
            }
        return fields

    def _find_rule(self, obj, prefix=""):
        v = Validator()
        name = v.string(obj, "RuleName", prefix, min_len=1, max_len=32)
        arn, _ = v.member(obj, "RuleARN", prefix, "string")
        v.raise_if_any()
        if name is None and arn is None:
            raise invalid("Either RuleName or RuleARN must be specified")
        if name is not None and arn is not None:
            raise invalid("Specify either RuleName or RuleARN, but not both")
        if name is not None:
            record = self.rules.get(name)
        else:
            record = next((r for r in self.rules.values() if r["SamplingRule"]["RuleARN"] == arn), None)
        if record is None:
            raise invalid("Sampling rule does not exist")
        return record

    def op_CreateSamplingRule(self, body, region):
        v = Validator()
        rule, path = v.member(body, "SamplingRule", "", "structure", required=True)
        tags = v.tags(body) or []
        if rule is not None:
            # RuleName is optional in the model but the service needs it; a RuleARN
            # given on create is ignored (the service assigns it).
            name = v.string(rule, "RuleName", path, required=True, min_len=1, max_len=32)
            fields = self._rule_fields(v, rule, path, required=True)
            # The model only says Version >= 1; the service accepts nothing but 1.
            version = v.number(rule, "Version", path, "integer", True, 1, 1)
        v.raise_if_any()
        if len(tags) > MAX_TAGS:
            raise invalid(f"Number of tags exceeds the limit of {MAX_TAGS} per resource")
        check_tag_rules(tags)
        if name in self.rules:
            raise invalid(f"Sampling rule with name {name} already exists")
        if len(self.rules) - 1 >= MAX_USER_RULES:  # "Default" does not count
            raise ApiError("RuleLimitExceededException", "You have reached the maximum number of sampling rules.")
        now = self._now()
        stored = {"RuleName": name, "RuleARN": f"arn:aws:xray:{region}:{ACCOUNT}:sampling-rule/{name}"}
        stored.update(fields)
        stored["Version"] = version
        stored.setdefault("Attributes", {})
        record = {"SamplingRule": stored, "CreatedAt": now, "ModifiedAt": now}
        self.rules[name] = record
        self.tags[stored["RuleARN"]] = dict(tags)
        return {"SamplingRuleRecord": copy.deepcopy(record)}

    def op_GetSamplingRules(self, body, region):
        v = Validator()
        token, _ = v.member(body, "NextToken", "", "string")
        page, next_token = self._page(list(self.rules.values()), "rules", token)
        result = {"SamplingRuleRecords": copy.deepcopy(page)}
        if next_token:
            result["NextToken"] = next_token
        return result

    def op_UpdateSamplingRule(self, body, region):
        v = Validator()
        update, path = v.member(body, "SamplingRuleUpdate", "", "structure", required=True)
        v.raise_if_any()
        fields = self._rule_fields(v, update, path, required=False)
        v.raise_if_any()
        record = self._find_rule(update, path)
        rule = record["SamplingRule"]
        if rule["RuleName"] == "Default" and set(fields) - {"FixedRate", "ReservoirSize"}:
            raise invalid("Invalid update request for default sampling rule")
        rule.update(fields)
        record["ModifiedAt"] = self._now()
        return {"SamplingRuleRecord": copy.deepcopy(record)}

    def op_DeleteSamplingRule(self, body, region):
        record = self._find_rule(body)
        rule = record["SamplingRule"]
        if rule["RuleName"] == "Default":
            raise invalid("The default sampling rule cannot be deleted")
        del self.rules[rule["RuleName"]]
        self.tags.pop(rule["RuleARN"], None)
        return {"SamplingRuleRecord": copy.deepcopy(record)}

    # -- tags --

    def _resource_tags(self, arn):
        if arn not in self.tags:
            # 404 per the botocore model (the brief said 400; the model wins).
            raise ApiError("ResourceNotFoundException", f"Resource not found: {arn}", 404, {"ResourceName": arn})
        return self.tags[arn]

    def op_ListTagsForResource(self, body, region):
        v = Validator()
        arn = v.string(body, "ResourceARN", required=True, min_len=1, max_len=1011)
        v.member(body, "NextToken", "", "string")  # accepted; at most 50 tags fit in one page
        v.raise_if_any()
        return {"Tags": tag_list(self._resource_tags(arn))}

    def op_TagResource(self, body, region):
        v = Validator()
        arn = v.string(body, "ResourceARN", required=True, min_len=1, max_len=1011)
        tags = v.tags(body, required=True)
        v.raise_if_any()
        current = self._resource_tags(arn)
        check_tag_rules(tags)
        merged = dict(current)
        merged.update(tags)
        if len(merged) > MAX_TAGS:
            raise ApiError("TooManyTagsException", f"Number of tags exceeds the limit of {MAX_TAGS} per resource",
                           400, {"ResourceName": arn})
        current.update(tags)
        return {}

    def op_UntagResource(self, body, region):
        v = Validator()
        arn = v.string(body, "ResourceARN", required=True, min_len=1, max_len=1011)
        keys = v.tag_keys(body)
        v.raise_if_any()
        current = self._resource_tags(arn)
        for key in keys:
            current.pop(key, None)
        return {}


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


# ---------------------------------------------------------------------------
# HTTP layer
# ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, which the Rust SDK's pooled client relies on;
    # every response therefore carries Content-Length and every body is fully read.
    protocol_version = "HTTP/1.1"
    server_version = "xray-fake/1"

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # no per-request logging; /_fake/requests is the log

    @property
    def state(self):
        return self.server.state

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload, extra_headers=()):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self._dispatch("POST")

    def do_GET(self):
        self._dispatch("GET")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        path = urlsplit(self.path).path
        raw = self._read_body()
        if path == "/_fake" or path.startswith("/_fake/"):
            self._control(method, path, raw)
        else:
            self._aws(method, path, raw)

    def _aws(self, method, path, raw):
        operation = OPERATIONS.get(path) if method == "POST" else None
        try:
            if operation is None:
                raise ApiError("UnknownOperationException", f"No operation matches {method} {path}", 404)
            with self.state.lock:
                fault = self.state.take_fault(operation)
            if fault:
                raise fault
            body = parse_json_object(raw)
            match = CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
            region = match.group(1) if match else DEFAULT_REGION
            with self.state.lock:
                status, payload = 200, getattr(self.state, "op_" + operation)(body, region)
        except ApiError as e:
            status, payload = e.status, {"Message": e.message, **e.extra}
            error_type = e.error_type
        except Exception:  # a bug in the fake: answer like AWS would, but show the traceback
            traceback.print_exc()
            status, payload, error_type = 500, {"Message": "Internal server error"}, "InternalFailure"
        with self.state.lock:
            self.state.requests.append({"operation": operation or path.lstrip("/"), "status": status})
        self._send(status, payload, [("x-amzn-ErrorType", error_type)] if status != 200 else ())

    def _control(self, method, path, raw):
        state = self.state
        with state.lock:
            if (method, path) == ("POST", "/_fake/reset"):
                state.reset()
                return self._send(200, {})
            if (method, path) == ("GET", "/_fake/requests"):
                return self._send(200, {"requests": copy.deepcopy(state.requests)})
            if (method, path) == ("GET", "/_fake/state"):
                return self._send(200, state.snapshot())
            if (method, path) == ("POST", "/_fake/faults"):
                try:
                    state.fault = parse_fault(raw)
                except (ApiError, ValueError) as e:
                    return self._send(400, {"Message": str(e)})
                return self._send(200, {"fault": fault_view(state.fault)})
        self._send(404, {"Message": f"unknown test-control endpoint {method} {path}"})


def parse_json_object(raw):
    """Request body -> dict. An empty body means no input members."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ApiError("SerializationException", f"Request body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise ApiError("SerializationException", "Request body must be a JSON object")
    return body


def parse_fault(raw):
    """Body of POST /_fake/faults -> fault setting (None for mode "none")."""
    spec = parse_json_object(raw)
    mode = spec.get("mode")
    if mode == "none":
        return None
    if mode not in ("throttle", "error500"):
        raise ValueError("mode must be one of throttle, error500, none")
    count = spec.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < -1:
        raise ValueError("count must be an integer >= 0, or -1 for every request until reset")
    operations = spec.get("operations")
    if operations is not None:
        unknown = [op for op in operations if op not in OPERATIONS.values()] if isinstance(operations, list) else [1]
        if unknown:
            raise ValueError(f"operations must be a list of X-Ray operation names; unknown: {unknown}")
        operations = set(operations)
    return {"mode": mode, "count": count, "operations": operations}


def fault_view(fault):
    if fault is None:
        return {"mode": "none"}
    return {**fault, "operations": sorted(fault["operations"]) if fault["operations"] else None}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client hanging up mid-request is routine in tests; anything else is a bug worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake AWS X-Ray control plane (rest-json) for tests.")
    parser.add_argument("--port", type=int, required=True, help="port to bind; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--page-size", type=int, default=10, help="items per page for GetGroups/GetSamplingRules")
    args = parser.parse_args(argv)
    if args.page_size < 1:
        parser.error("--page-size must be at least 1")

    server = Server((args.host, args.port), Handler)
    server.state = XRayState(args.page_size)

    # SIGTERM unwinds like Ctrl-C so both end with a clean exit and no traceback.
    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
