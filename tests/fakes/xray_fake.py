#!/usr/bin/env python3
"""Stateful fake of the AWS X-Ray control plane, for cruddur-obs tests.

moto has no X-Ray groups or sampling rules, so the tests use this instead. It speaks
the real rest-json protocol of botocore's xray/2016-04-12 model: every call is
`POST /<Path>` with a JSON body and a JSON response; errors carry the
`x-amzn-ErrorType` header and a `{"Message": ...}` body. Standard library only.

    python3 tests/fakes/xray_fake.py --port 0 [--host 127.0.0.1] [--page-size 10]

Prints `listening on http://HOST:PORT` once ready, then serves until SIGTERM/SIGINT.
The region comes from the request's SigV4 credential scope (default us-east-1): each region has its
own groups, rules and tags, as in AWS (GET /_fake/state?region=R shows one; faults may name
"regions"). The region in ARNs is that region;
the account is always 123456789012.

Test control, not part of AWS and never in the request log:
  POST /_fake/reset     initial state (only the "Default" rule), no faults, empty log
  POST /_fake/faults    {"mode": "throttle"|"error500"|"denied"|"none", "count": N (-1: until reset),
                         "operations": ["CreateSamplingRule", ...] (optional; default all),
                         "regions": ["eu-west-1", ...] (optional; default all)}
  GET  /_fake/requests  {"requests": [{"operation": "CreateGroup", "status": 200}, ...]}
  GET  /_fake/state     {"groups": [...], "sampling_rules": [...], "tags": {arn: [...]}}
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

# requestUri -> operation name, from the botocore model: each path is the operation's
# name, except GetGroups, which is POST /Groups.
OPERATIONS = {"/Groups": "GetGroups"} | {f"/{op}": op for op in (
    "CreateGroup", "GetGroup", "UpdateGroup", "DeleteGroup",
    "CreateSamplingRule", "GetSamplingRules", "UpdateSamplingRule", "DeleteSamplingRule",
    "ListTagsForResource", "TagResource", "UntagResource")}

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


# --- Input validation, worded the way AWS's request validation words it:
#   1 validation error detected: Value '1.5' at 'samplingRule.fixedRate' failed to
#   satisfy constraint: Member must have value less than or equal to 1
# Paths are the member names with the first letter lowered (so 'samplingRule.hTTPMethod'),
# list elements are 'tags.1.member.key' (1-based). A member of the wrong JSON type is a
# SerializationException instead, as on AWS.


def _java_str(value):
    """Render a value like the Java toString() AWS uses inside validation messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


class Validator:
    """Collects constraint violations; raise_if_any() reports them all in one error."""

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

    def check(self, obj, name, prefix, kind, required=False, lo=None, hi=None):
        """Return obj[name] (None when absent) after checking its JSON type and bounds.

        lo/hi bound the value of numbers and the length of strings, lists and maps.
        """
        path = member_path(prefix, name)
        value = obj.get(name)
        if value is None:
            if required:
                self.fail(None, path, "Member must not be null")
            return None
        value = typed(value, kind, name)
        self.bounds(value, path, lo, hi)
        return value

    def bounds(self, value, path, lo, hi):
        number = isinstance(value, (int, float))
        size, what = (value, "value") if number else (len(value), "length")
        if hi is not None and size > hi:
            self.fail(value, path, f"Member must have {what} less than or equal to {hi}")
        if lo is not None and size < lo:
            self.fail(value, path, f"Member must have {what} greater than or equal to {lo}")

    def attributes(self, obj, prefix):
        """AttributeMap: at most 5 entries, keys and values strings of 1-32 chars."""
        value = self.check(obj, "Attributes", prefix, "map", hi=5)
        if value is None:
            return None
        path = member_path(prefix, "Attributes")
        rule = "[Member must have length less than or equal to 32, Member must have length greater than or equal to 1]"
        if any(not 1 <= len(k) <= 32 for k in value):
            self.fail(value, path, f"Map keys must satisfy constraint: {rule}")
        if any(not 1 <= len(typed(v, "string", "Attributes")) <= 32 for v in value.values()):
            self.fail(value, path, f"Map value must satisfy constraint: {rule}")
        return dict(value)

    def tags(self, obj, required=False):
        """TagList -> [(key, value)]. The 50-per-resource and 'aws:' rules are check_tags()'s."""
        value = self.check(obj, "Tags", "", "list", required)
        result = []
        for i, tag in enumerate(value or [], start=1):
            element = f"tags.{i}.member"  # AWS's path for list elements is 1-based
            tag = typed(tag, "structure", "Tags")
            result.append((self.check(tag, "Key", element, "string", True, 1, 128),
                           self.check(tag, "Value", element, "string", True, 0, 256)))
        return result


def member_path(prefix, name):
    return (prefix + "." if prefix else "") + name[0].lower() + name[1:]


def typed(value, kind, name):
    """value, or a SerializationException if its JSON type doesn't fit the member's shape."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool) and abs(value) <= INT32_MAX,
        "double": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "structure": isinstance(value, dict),
        "map": isinstance(value, dict),
        "list": isinstance(value, list),
    }[kind]
    if not ok:
        raise ApiError("SerializationException", f"Unexpected value type for member '{name}': expected {kind}")
    return float(value) if kind == "double" else value


def check_tags(tags, current=None, arn=None):
    """Reserved 'aws:' keys and the 50-tags-per-resource limit (create: current is None)."""
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise invalid(f"Tag key '{key}' is invalid: keys starting with 'aws:' are reserved for AWS use")
    merged = dict(current or {})
    merged.update(tags)
    if len(merged) > MAX_TAGS:
        message = f"Number of tags exceeds the limit of {MAX_TAGS} per resource"
        if current is None:  # the create operations have no TooManyTagsException
            raise invalid(message)
        raise ApiError("TooManyTagsException", message, 400, {"ResourceName": arn})
    return merged


def check_filter_expression(expression):
    """Reject filter expressions whose quotes or brackets don't balance.

    Not a parser: the X-Ray filter grammar is out of scope; this catches the malformed
    expressions a CLI produces through bad quoting or concatenation.
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
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            raise invalid("Invalid filter expression")
    if quote or stack:
        raise invalid("Invalid filter expression")


# --- Service state and operations

# (member, kind, lo, hi): the limits shared by SamplingRule and SamplingRuleUpdate.
# The update shape's Priority/FixedRate/ReservoirSize carry no limits in the model,
# but the service enforces the same ranges there.
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


class XRayState:
    """All fake state. Callers hold self.lock around every method."""

    def __init__(self, page_size):
        self.page_size = page_size
        self.lock = threading.RLock()
        self._last_ts = 0.0
        self.reset()

    def reset(self):
        self.fault = None  # {"mode", "count", "operations", "regions"} or None
        self.requests = []  # [{"operation", "status", "region"}]
        # Each region has its own groups, rules and tags, as in AWS.
        self.by_region = {}
        self.use_region(DEFAULT_REGION)

    def use_region(self, region):
        """Points groups, rules and tags at REGION's, made (with its Default rule) on first use."""
        if region not in self.by_region:
            self.groups, self.rules, self.tags = {}, {}, {}
            self._default_rule(region)
            self.by_region[region] = (self.groups, self.rules, self.tags)
        self.groups, self.rules, self.tags = self.by_region[region]

    def _default_rule(self, region):
        # self.groups: GroupName -> Group shape (insertion order = creation order)
        # self.rules: RuleName -> SamplingRuleRecord (insertion order = creation order)
        # self.tags: resource ARN -> {Key: Value}; holds an entry for every resource
        now = self._now()
        default = {
            "RuleName": "Default", "RuleARN": f"arn:aws:xray:{region}:{ACCOUNT}:sampling-rule/Default",
            "ResourceARN": "*", "Priority": 10000, "FixedRate": 0.05, "ReservoirSize": 1,
            "ServiceName": "*", "ServiceType": "*", "Host": "*", "HTTPMethod": "*", "URLPath": "*",
            "Version": 1, "Attributes": {},
        }
        self.rules["Default"] = {"SamplingRule": default, "CreatedAt": now, "ModifiedAt": now}
        self.tags[default["RuleARN"]] = {}

    def _now(self):
        # Epoch seconds with millisecond fractions, strictly increasing so that an
        # update right after a create still moves ModifiedAt forward.
        self._last_ts = max(round(time.time(), 3), round(self._last_ts + 0.001, 3))
        return self._last_ts

    def take_fault(self, operation, region=DEFAULT_REGION):
        """The injected error for this request, if a /_fake/faults setting matches it."""
        f = self.fault
        if not f or f["count"] == 0 or (f["operations"] and operation not in f["operations"]):
            return None
        if f.get("regions") and region not in f["regions"]:
            return None
        if f["count"] > 0:
            f["count"] -= 1
        if f["mode"] == "throttle":
            return ApiError("ThrottledException", "Rate exceeded", 429)
        if f["mode"] == "denied":
            # What IAM answers for a user without the permission, on every AWS service.
            return ApiError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{ACCOUNT}:user/cruddur is not authorized to perform: xray:{operation}",
                403,
            )
        return ApiError("InternalFailure", "Internal server error", 500)

    def snapshot(self):
        return copy.deepcopy({
            "groups": list(self.groups.values()),
            "sampling_rules": list(self.rules.values()),
            "tags": {arn: tag_list(t) for arn, t in self.tags.items()},
        })

    def _page(self, items, key, kind, token):
        """One page of items; NextToken is opaque to clients (base64 of kind:offset)."""
        offset = 0
        if token is not None:
            try:
                k, n = base64.urlsafe_b64decode(token.encode()).decode().split(":")
                offset = int(n)
                if k != kind or offset < 0:
                    raise ValueError
            except ValueError:  # binascii and unicode errors are ValueErrors too
                raise invalid("Invalid NextToken") from None
        result = {key: copy.deepcopy(items[offset:offset + self.page_size])}
        if offset + self.page_size < len(items):
            result["NextToken"] = base64.urlsafe_b64encode(f"{kind}:{offset + self.page_size}".encode()).decode()
        return result

    # -- groups --

    def _find_group(self, body):
        v = Validator()
        name = v.check(body, "GroupName", "", "string", lo=1, hi=32)
        arn = v.check(body, "GroupARN", "", "string", lo=1, hi=400)
        v.raise_if_any()
        if name is None and arn is None:
            raise invalid("Either GroupName or GroupARN must be specified")
        if arn is not None:  # when both are given they must name the same group
            group = next((g for g in self.groups.values() if g["GroupARN"] == arn), None)
        else:
            group = self.groups.get(name)
        if group is None or (name is not None and group["GroupName"] != name):
            raise invalid("Group not found")
        return group

    @staticmethod
    def _group_settings(v, body, current):
        """Validate FilterExpression and (partial) InsightsConfiguration; merge over current."""
        expression = v.check(body, "FilterExpression", "", "string")
        config = v.check(body, "InsightsConfiguration", "", "structure") or {}
        insights = dict(current["InsightsConfiguration"])
        for member in ("InsightsEnabled", "NotificationsEnabled"):
            value = v.check(config, member, "insightsConfiguration", "boolean")
            if value is not None:
                insights[member] = value
        v.raise_if_any()
        if expression:
            check_filter_expression(expression)
        if insights["NotificationsEnabled"] and not insights["InsightsEnabled"]:
            raise invalid("Notifications can only be enabled when insights are enabled")
        if expression is None:  # only the given members change
            expression = current.get("FilterExpression")
        # A new dict keeps AWS's member order; an empty FilterExpression means no filter.
        group = {"GroupName": current["GroupName"], "GroupARN": current["GroupARN"]}
        if expression:
            group["FilterExpression"] = expression
        group["InsightsConfiguration"] = insights
        return group

    def op_CreateGroup(self, body, region):
        v = Validator()
        name = v.check(body, "GroupName", "", "string", True, 1, 32)
        tags = v.tags(body)
        v.raise_if_any()
        if name == "Default":
            raise invalid("Default is a reserved group name")
        group_id = "".join(random.choices(string.ascii_uppercase + string.digits, k=32))
        blank = {"GroupName": name, "GroupARN": f"arn:aws:xray:{region}:{ACCOUNT}:group/{name}/{group_id}",
                 "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False}}
        group = self._group_settings(v, body, blank)
        tags = check_tags(tags)
        if name in self.groups:
            raise invalid("Group already exists")
        self.groups[name] = group
        self.tags[group["GroupARN"]] = tags
        return {"Group": copy.deepcopy(group)}

    def op_GetGroups(self, body, region):
        v = Validator()
        token = v.check(body, "NextToken", "", "string", lo=1, hi=100)
        v.raise_if_any()
        return self._page(list(self.groups.values()), "Groups", "groups", token)

    def op_GetGroup(self, body, region):
        return {"Group": copy.deepcopy(self._find_group(body))}

    def op_UpdateGroup(self, body, region):
        group = self._group_settings(Validator(), body, self._find_group(body))
        self.groups[group["GroupName"]] = group
        return {"Group": copy.deepcopy(group)}

    def op_DeleteGroup(self, body, region):
        group = self._find_group(body)
        del self.groups[group["GroupName"]]
        del self.tags[group["GroupARN"]]
        return {}

    # -- sampling rules --

    @staticmethod
    def _rule_fields(v, obj, prefix, required):
        """Validate the members shared by SamplingRule and SamplingRuleUpdate; return those present."""
        fields = {name: v.check(obj, name, prefix, kind, required, lo, hi) for name, kind, lo, hi in RULE_MEMBERS}
        fields["Attributes"] = v.attributes(obj, prefix)
        boost = v.check(obj, "SamplingRateBoost", prefix, "structure")
        if boost is not None:  # newer optional member: validated and stored as given
            path = member_path(prefix, "SamplingRateBoost")
            fields["SamplingRateBoost"] = {
                "MaxRate": v.check(boost, "MaxRate", path, "double", True, 0, 1),
                "CooldownWindowMinutes": v.check(boost, "CooldownWindowMinutes", path, "integer", True, 0),
            }
        return {k: value for k, value in fields.items() if value is not None}

    def _find_rule(self, obj, prefix=""):
        v = Validator()
        name = v.check(obj, "RuleName", prefix, "string", lo=1, hi=32)
        arn = v.check(obj, "RuleARN", prefix, "string")
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
        rule = v.check(body, "SamplingRule", "", "structure", required=True)
        tags = v.tags(body)
        if rule is not None:
            # RuleName is optional in the model but the service needs one. A RuleARN
            # given here is ignored: the service assigns it.
            name = v.check(rule, "RuleName", "samplingRule", "string", True, 1, 32)
            fields = self._rule_fields(v, rule, "samplingRule", required=True)
            # The model only says Version >= 1; the service accepts nothing but 1.
            version = v.check(rule, "Version", "samplingRule", "integer", True, 1, 1)
        v.raise_if_any()
        tags = check_tags(tags)
        if name in self.rules:
            raise invalid(f"Sampling rule with name {name} already exists")
        if len(self.rules) - 1 >= MAX_USER_RULES:  # "Default" does not count
            raise ApiError("RuleLimitExceededException", "You have reached the maximum number of sampling rules.")
        stored = {"RuleName": name, "RuleARN": f"arn:aws:xray:{region}:{ACCOUNT}:sampling-rule/{name}",
                  **fields, "Version": version}
        stored.setdefault("Attributes", {})
        now = self._now()
        self.rules[name] = record = {"SamplingRule": stored, "CreatedAt": now, "ModifiedAt": now}
        self.tags[stored["RuleARN"]] = tags
        return {"SamplingRuleRecord": copy.deepcopy(record)}

    def op_GetSamplingRules(self, body, region):
        token = Validator().check(body, "NextToken", "", "string")
        return self._page(list(self.rules.values()), "SamplingRuleRecords", "rules", token)

    def op_UpdateSamplingRule(self, body, region):
        v = Validator()
        update = v.check(body, "SamplingRuleUpdate", "", "structure", required=True)
        v.raise_if_any()
        fields = self._rule_fields(v, update, "samplingRuleUpdate", required=False)
        v.raise_if_any()
        record = self._find_rule(update, "samplingRuleUpdate")
        rule = record["SamplingRule"]
        # On Default only the rate and reservoir may change; any other member is refused,
        # even when it repeats the current value.
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
        del self.tags[rule["RuleARN"]]
        return {"SamplingRuleRecord": copy.deepcopy(record)}

    # -- tags --

    def _resource(self, v, body):
        """Validate ResourceARN (and the rest of v) and return the resource's tag dict."""
        arn = v.check(body, "ResourceARN", "", "string", True, 1, 1011)
        v.raise_if_any()
        if arn not in self.tags:
            # 404, as the model declares for this error.
            raise ApiError("ResourceNotFoundException", f"Resource not found: {arn}", 404, {"ResourceName": arn})
        return arn, self.tags[arn]

    def op_ListTagsForResource(self, body, region):
        v = Validator()
        v.check(body, "NextToken", "", "string")  # accepted; at most 50 tags always fit one page
        _, current = self._resource(v, body)
        return {"Tags": tag_list(current)}

    def op_TagResource(self, body, region):
        v = Validator()
        tags = v.tags(body, required=True)
        arn, current = self._resource(v, body)
        self.tags[arn] = check_tags(tags, current, arn)
        return {}

    def op_UntagResource(self, body, region):
        v = Validator()
        keys = v.check(body, "TagKeys", "", "list", required=True) or []
        for i, key in enumerate(keys, start=1):
            v.bounds(typed(key, "string", "TagKeys"), f"tagKeys.{i}.member", 1, 128)
        _, current = self._resource(v, body)
        for key in keys:
            current.pop(key, None)
        return {}


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


# --- HTTP layer


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, which the Rust SDK's pooled client relies on;
    # every response therefore carries Content-Length and every body is fully read.
    protocol_version = "HTTP/1.1"
    server_version = "xray-fake/1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (about 40 ms) on a kept-alive connection. AWS's front ends do not stall so.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # no per-request logging; /_fake/requests is the log

    @property
    def state(self):
        return self.server.state

    def _read_body(self):
        # botocore and aws-sdk-rust always send Content-Length for these small JSON
        # bodies; chunked uploads are not supported.
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

    def _dispatch(self, method):
        path = urlsplit(self.path).path
        raw = self._read_body()
        if path == "/_fake" or path.startswith("/_fake/"):
            self._control(method, path, raw)
        else:
            self._aws(method, path, raw)

    def _aws(self, method, path, raw):
        operation = OPERATIONS.get(path) if method == "POST" else None
        region = DEFAULT_REGION
        try:
            if operation is None:
                raise ApiError("UnknownOperationException", f"No operation matches {method} {path}", 404)
            match = CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
            region = match.group(1) if match else DEFAULT_REGION
            with self.state.lock:
                fault = self.state.take_fault(operation, region)
            if fault:
                raise fault
            body = parse_json_object(raw)
            with self.state.lock:
                self.state.use_region(region)
                status, payload = 200, getattr(self.state, "op_" + operation)(body, region)
        except ApiError as e:
            status, payload = e.status, {"Message": e.message, **e.extra}
            error_type = e.error_type
        except Exception:  # a bug in the fake: answer like AWS would, but show the traceback
            traceback.print_exc()
            status, payload, error_type = 500, {"Message": "Internal server error"}, "InternalFailure"
        with self.state.lock:
            self.state.requests.append({"operation": operation or path.lstrip("/"), "status": status,
                                        "region": region})
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
                query = dict(p.split("=", 1) for p in urlsplit(self.path).query.split("&") if "=" in p)
                state.use_region(query.get("region", DEFAULT_REGION))
                return self._send(200, state.snapshot())
            if (method, path) == ("POST", "/_fake/faults"):
                try:
                    state.fault = parse_fault(raw)
                except (ApiError, ValueError) as e:
                    return self._send(400, {"Message": str(e)})
                return self._send(200, {"fault": state.fault or {"mode": "none"}})
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
    if mode not in ("throttle", "error500", "denied"):
        raise ValueError("mode must be one of throttle, error500, denied, none")
    count = spec.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < -1:
        raise ValueError("count must be an integer >= 0, or -1 for every request until reset")
    operations = spec.get("operations")
    if operations is not None:
        unknown = [op for op in operations if op not in OPERATIONS.values()] if isinstance(operations, list) else [1]
        if unknown:
            raise ValueError(f"operations must be a list of X-Ray operation names; unknown: {unknown}")
        operations = sorted(set(operations))
    regions = spec.get("regions")
    if regions is not None and not (isinstance(regions, list) and all(isinstance(r, str) for r in regions)):
        raise ValueError("regions must be a list of region names")
    return {"mode": mode, "count": count, "operations": operations, "regions": regions}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client hanging up mid-request is routine in tests; anything else is a bug worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake AWS X-Ray control plane (rest-json) for tests.")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 (the default) picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--page-size", type=int, default=10, help="items per page for GetGroups/GetSamplingRules")
    args = parser.parse_args(argv)
    if args.page_size < 1:
        parser.error("--page-size must be at least 1")

    server = Server((args.host, args.port), Handler)
    server.state = XRayState(args.page_size)

    # SIGTERM and SIGINT both unwind serve_forever for a clean exit without a traceback.
    # SIGINT is installed explicitly: a shell starts background jobs with it ignored.
    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
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
