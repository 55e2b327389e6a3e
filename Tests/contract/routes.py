"""Which botocore operation a recorded request is, and its parameters (see wire.py for values).

JSON protocol: X-Amz-Target `Prefix.Operation`. Query protocol: a form with `Action` (and the
service's `Version`). REST (rest-json, rest-xml S3 path-style): method + requestUri template
(labels, greedy `{Key+}`, literal query such as `?uploads` or `?list-type=2`); among templates
that fit, the one that explains most of the query string and headers wins (PutObject vs
UploadPart, GetObject vs ListParts, DeleteObject vs AbortMultipartUpload).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import re
import zlib
from urllib.parse import parse_qsl, unquote

import botocore.session
from wire import Issue, from_query, from_text, from_xml, json_members, parse_xml

# signing name (credential scope) -> botocore service: what moto and SeaweedFS serve deployer
SERVICES = {
    "sts": "sts",
    "iam": "iam",
    "glue": "glue",
    "elasticmapreduce": "emr",
    "emr-serverless": "emr-serverless",
    "logs": "logs",
    "events": "events",
    "scheduler": "scheduler",
    "sns": "sns",
    "sqs": "sqs",
    "states": "stepfunctions",
    "s3": "s3",
    "ecr": "ecr",
}
# headers of HTTP and SigV4 themselves, never members of an operation
TRANSPORT_HEADERS = {
    "host",
    "user-agent",
    "authorization",
    "content-length",
    "content-type",
    "content-md5",
    "content-encoding",
    "transfer-encoding",
    "expect",
    "connection",
    "accept",
    "accept-encoding",
    "date",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-target",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "keep-alive",
}
PRESIGN = re.compile(r"(?i)x-amz-(algorithm|credential|date|expires|signedheaders|signature|security-token)")
CHECKSUMS = {"x-amz-checksum-sha256": hashlib.sha256, "x-amz-checksum-sha1": hashlib.sha1}


class Unmapped(Exception):
    """No operation of the candidate services fits the request (the message says why)."""

    def __init__(self, service: str, reason: str):
        super().__init__(reason)
        self.service = service


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes | None
    body_length: int
    body_omitted: str | None
    signing_service: str | None
    where: str
    truncated: bool = False

    @property
    def command(self) -> str:
        found = re.search(r"\bcmd/(\S+)", self.headers.get("user-agent", ""))
        return found.group(1) if found else "?"

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)


def load_request(record: dict, where: str) -> Request:
    """A recorded line as a Request; cut short when fewer bytes arrived than Content-Length said
    (recorder.py flags it; older lines are judged by the numbers)."""
    body = record.get("body")
    if body is not None:
        body = base64.b64decode(body) if record.get("body_base64") else body.encode("utf-8")
    headers = record.get("headers", {})
    length = int(record.get("body_length") or 0)
    declared = str(headers.get("content-length", "")).strip()
    truncated = bool(record.get("body_truncated")) or (declared.isdigit() and length < int(declared))
    return Request(
        record.get("method", "?"),
        record.get("path", "/"),
        record.get("query", ""),
        headers,
        body,
        length,
        record.get("body_omitted"),
        record.get("signing_service"),
        where,
        truncated,
    )


@dataclasses.dataclass
class Decoded:
    service: str
    operation: object
    params: dict
    issues: list[Issue]


@functools.cache
def model(service: str):
    """botocore's service model (loaded once: the models are large)."""
    return botocore.session.get_session().get_service_model(service)


@dataclasses.dataclass
class Route:
    name: str
    method: str
    regex: re.Pattern
    labels: list[str]
    literal: dict[str, str]


@functools.cache
def routes(service: str) -> list[Route]:
    """Each operation's requestUri as a regex on the raw path (a label is one segment, `{Key+}`
    the rest) and its literal query (`?uploads`, `?list-type=2`). S3's `/{Bucket}` also takes the
    trailing slash path-style clients may send."""
    out = []
    for name in model(service).operation_names:
        http = model(service).operation_model(name).http
        template, _, literal = http.get("requestUri", "/").partition("?")
        parts = re.split(r"(\{[^}]+\})", template)
        regex = "".join(("(.+)" if p.endswith("+}") else "([^/]+)") if p.startswith("{") else re.escape(p) for p in parts)
        if service == "s3" and template == "/{Bucket}":
            regex += "/?"
        out.append(
            Route(
                name,
                http.get("method", "POST"),
                re.compile(regex),
                [p.strip("{}+") for p in parts if p.startswith("{")],
                dict(parse_qsl(literal, keep_blank_values=True)),
            )
        )
    return out


@functools.cache
def service_headers(service: str) -> tuple[frozenset, tuple]:
    """Every header name (and header prefix) some operation of the service reads."""
    names, prefixes = set(), set()
    for name in model(service).operation_names:
        shape = model(service).operation_model(name).input_shape
        for member_name, member in shape.members.items() if shape else ():
            location = member.serialization.get("location")
            if location == "header":
                names.add(member.serialization.get("name", member_name).lower())
            elif location == "headers":
                prefixes.add(member.serialization.get("name", "").lower())
    return frozenset(names), tuple(sorted(prefixes))


def located(shape, location: str) -> dict:
    """The members serialized at one location (uri, querystring, header, headers)."""
    return {n: m for n, m in (shape.members.items() if shape else ()) if m.serialization.get("location") == location}


def candidates(request: Request) -> list[str]:
    """The service the request was signed for; every peer service when it was not signed
    (AssumeRoleWithWebIdentity is sent unsigned)."""
    if request.signing_service:
        if request.signing_service not in SERVICES:
            raise Unmapped(request.signing_service, f"signing service {request.signing_service!r} is not one deployer's peers serve")
        return [SERVICES[request.signing_service]]
    return list(SERVICES.values())


def decode(request: Request) -> Decoded:
    """The operation and params of a request, or Unmapped."""
    services = candidates(request)
    content_type = request.headers.get("content-type", "")
    if "x-amz-target" in request.headers:
        return decode_json(request, services)
    form = request.body.decode("utf-8", "replace") if request.body and "x-www-form-urlencoded" in content_type else request.query
    if "Action" in dict(parse_qsl(form, keep_blank_values=True)):
        return decode_query(request, services, form)
    return decode_rest(request, services)


def decode_json(request: Request, services: list[str]) -> Decoded:
    prefix, _, name = request.headers["x-amz-target"].rpartition(".")
    for service in services:
        meta = model(service).metadata
        if meta.get("targetPrefix") == prefix and "json" in meta.get("protocols", [meta.get("protocol")]):
            if name not in model(service).operation_names:
                raise Unmapped(service, f"X-Amz-Target {request.headers['x-amz-target']}: no operation {name!r}")
            issues: list[Issue] = []
            wanted = f"application/x-amz-json-{meta.get('jsonVersion', '1.0')}"
            if request.headers.get("content-type", "").split(";")[0].strip() != wanted:
                issues.append(Issue("header content-type", f"JSON protocol wants {wanted}", request.headers.get("content-type", "")))
            shape = model(service).operation_model(name).input_shape
            params = json_body(request, issues)
            if shape is not None and isinstance(params, dict):
                params = json_members(params, shape, shape.members, "", issues, "unixTimestamp")
            return Decoded(service, model(service).operation_model(name), params, issues)
    raise Unmapped(services[0] if len(services) == 1 else "?", f"X-Amz-Target prefix {prefix!r} is no JSON service's targetPrefix")


def json_body(request: Request, issues: list[Issue]):
    if request.body is None or not request.body.strip():
        return {}
    try:
        value = json.loads(request.body)
    except ValueError:
        issues.append(Issue("body", "body is not JSON"))
        return {}
    if not isinstance(value, dict):
        issues.append(Issue("body", "body is not a JSON object"))
        return {}
    return value


def decode_query(request: Request, services: list[str], form: str) -> Decoded:
    pairs = parse_qsl(form, keep_blank_values=True)
    flat = dict(pairs)
    action, version = flat.get("Action", ""), flat.get("Version")
    for service in services:
        meta = model(service).metadata
        if "query" not in meta.get("protocols", [meta.get("protocol")]) or action not in model(service).operation_names:
            continue
        if len(services) > 1 and version != meta["apiVersion"]:
            continue  # unsigned: the Version tells which query service it is
        issues: list[Issue] = []
        if version != meta["apiVersion"]:
            issues.append(Issue("Version", f"must be {meta['apiVersion']}", version))
        for key in {k for k, _ in pairs if [p for p, _ in pairs].count(k) > 1}:
            issues.append(Issue(key, "form key sent more than once"))
        operation = model(service).operation_model(action)
        used = {"Action", "Version"}
        params = from_query(flat, operation.input_shape, "", "", issues, used) if operation.input_shape else {}
        issues += [Issue(key, "unknown form parameter (no member reads it)") for key in flat if key not in used and not PRESIGN.fullmatch(key)]
        return Decoded(service, operation, params, issues)
    raise Unmapped(services[0] if len(services) == 1 else "?", f"query Action {action!r} (Version {version}) is no operation")


def route_score(request: Request, service: str, route: Route) -> tuple | None:
    """How well a template fits: None if not at all; higher is better."""
    if route.method != request.method or not route.regex.fullmatch(request.path):
        return None
    keys = [k for k, _ in request.pairs if not PRESIGN.fullmatch(k)]
    values = dict(request.pairs)
    if any(k not in values or (v and values[k] != v) for k, v in route.literal.items()):
        return None
    shape = model(service).operation_model(route.name).input_shape
    query = {m.serialization.get("name", n): m for n, m in located(shape, "querystring").items()}
    catch_all = any(m.type_name == "map" for m in query.values())
    explained = sum(1 for k in keys if k in route.literal or k in query or catch_all)
    headers = {m.serialization.get("name", n).lower() for n, m in located(shape, "header").items()}
    prefixes = [m.serialization.get("name", "").lower() for m in located(shape, "headers").values()]
    explained += sum(1 for h in request.headers if h not in TRANSPORT_HEADERS and (h in headers or h.startswith(tuple(prefixes))))
    required = set(shape.required_members) if shape else set()
    missing = sum(1 for n in required & set(located(shape, "querystring")) if wire(shape, n) not in values)
    missing += sum(1 for n in required & set(located(shape, "header")) if wire(shape, n).lower() not in request.headers)
    return len(route.literal), -((len(keys) - explained) + missing), explained


def wire(shape, name: str) -> str:
    """A member's name on the wire (locationName), which is what requests carry."""
    return shape.members[name].serialization.get("name", name)


def decode_rest(request: Request, services: list[str]) -> Decoded:
    """The best-fitting REST operation (route_score) and its params."""
    scored = []
    for service in services:
        if model(service).metadata.get("protocol") not in ("rest-json", "rest-xml"):
            continue
        for route in routes(service):
            score = route_score(request, service, route)
            if score is not None:
                scored.append((score, service, route))
    if not scored:
        raise Unmapped(services[0] if len(services) == 1 else "?", "no operation's method and requestUri fit")
    _, service, route = max(scored, key=lambda item: item[0])
    operation = model(service).operation_model(route.name)
    issues: list[Issue] = []
    params = rest_params(request, service, operation, route, issues)
    return Decoded(service, operation, params, issues)


def rest_params(request: Request, service: str, operation, route: Route, issues: list[Issue]) -> dict:
    """Params from every place REST puts members: URI labels, query string, headers, body."""
    shape = operation.input_shape
    params: dict = {}
    if shape is None:
        return params
    labels = {wire(shape, n): n for n in located(shape, "uri")}
    for label, raw in zip(route.labels, route.regex.fullmatch(request.path).groups()):
        name = labels.get(label, label)
        params[name] = from_text(unquote(raw), shape.members[name], name, issues, "iso8601") if name in shape.members else unquote(raw)
    query_params(request, shape, route, params, issues)
    header_params(request, service, operation, params, issues)
    body_params(request, model(service).metadata["protocol"], shape, params, issues)
    integrity(request, operation, issues)
    return params


def query_params(request: Request, shape, route: Route, params: dict, issues: list[Issue]) -> None:
    """Query string members (lists repeat their key; a map member takes the rest); a key nothing
    reads is reported: AWS ignores it, so what the client meant does not happen."""
    members = located(shape, "querystring")
    by_wire = {wire(shape, n): n for n, m in members.items() if m.type_name != "map"}
    catch_all = next((n for n, m in members.items() if m.type_name == "map"), None)
    for key in dict.fromkeys(k for k, _ in request.pairs):
        values = [v for k, v in request.pairs if k == key]
        name = by_wire.get(key)
        if name is not None:
            member = shape.members[name]
            if member.type_name == "list":
                params[name] = [from_text(v, member.member, f"{name}[{i}]", issues, "iso8601") for i, v in enumerate(values)]
            else:
                if len(values) > 1:
                    issues.append(Issue(f"querystring {key}", "sent more than once"))
                params[name] = from_text(values[-1], member, name, issues, "iso8601")
        elif catch_all and key not in route.literal:
            params.setdefault(catch_all, {})[key] = values[-1]
        elif key not in route.literal and not PRESIGN.fullmatch(key):
            issues.append(Issue(f"querystring {key}", "not a member of the operation (nothing reads it)"))


def header_params(request: Request, service: str, operation, params: dict, issues: list[Issue]) -> None:
    """Header members (`x-amz-meta-*` maps by prefix); a header that only other operations of the
    service read is reported (If-None-Match on UploadPart makes no condition)."""
    shape = operation.input_shape
    singles = {wire(shape, n).lower(): n for n in located(shape, "header")}
    prefixes = {wire(shape, n).lower(): n for n in located(shape, "headers")}
    known, known_prefixes = service_headers(service)
    for header, value in request.headers.items():
        if header in singles:
            name = singles[header]
            member = shape.members[name]
            if member.type_name == "list":
                params[name] = [from_text(v.strip(), member.member, f"{name}[{i}]", issues, "rfc822") for i, v in enumerate(value.split(","))]
            else:
                params[name] = from_text(value, member, name, issues, "rfc822")
            continue
        prefix = next((p for p in prefixes if header.startswith(p)), None)
        if prefix is not None:
            params.setdefault(prefixes[prefix], {})[header[len(prefix) :]] = value
        elif header.startswith("x-amz-checksum-") and operation.http_checksum:
            continue  # flexible checksums: any algorithm's header on an operation with the httpChecksum trait
        elif header not in TRANSPORT_HEADERS and (header in known or header.startswith(known_prefixes)):
            issues.append(Issue(f"header {header}", f"not a member of {operation.name} (AWS ignores or refuses it)"))


def body_params(request: Request, protocol: str, shape, params: dict, issues: list[Issue]) -> None:
    """The body: the payload member (raw bytes, or a JSON/XML structure), else the members
    without a location. Object bytes are not recorded; their presence is enough."""
    payload = shape.serialization.get("payload")
    has_body = request.body_length > 0
    if payload:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):
            if has_body:
                params[payload] = request.body if request.body is not None else b""
            return
        if has_body and request.body is not None:
            params[payload] = structured_body(request.body, protocol, member, payload, issues, member.members, root=wire(shape, payload))
        return
    members = {n: m for n, m in shape.members.items() if not m.serialization.get("location")}
    if not has_body or request.body is None:
        return
    if not members:
        if request.body.strip() not in (b"", b"{}"):
            issues.append(Issue("body", f"{shape.name} has no body members, but a body was sent"))
        return
    params.update(structured_body(request.body, protocol, shape, "", issues, members))


def structured_body(body: bytes, protocol: str, shape, path: str, issues: list[Issue], members: dict, root: str | None = None) -> dict:
    if protocol == "rest-json":
        value = json_body_of(body, path, issues)
        return json_members(value, shape, members, path, issues, "unixTimestamp")
    element = parse_xml(body, path, issues)
    if element is None:
        return {}
    expected = root or shape.serialization.get("name") or shape.name
    if root is not None and element.tag.rsplit("}", 1)[-1] != expected:
        issues.append(Issue(path or "body", f"XML root element is <{element.tag.rsplit('}', 1)[-1]}>, not <{expected}>"))
    return from_xml(element, shape, path, issues, members)


def json_body_of(body: bytes, path: str, issues: list[Issue]) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        issues.append(Issue(path or "body", "body is not JSON"))
        return {}
    if not isinstance(value, dict):
        issues.append(Issue(path or "body", "body is not a JSON object"))
        return {}
    return value


def integrity(request: Request, operation, issues: list[Issue]) -> None:
    """httpChecksumRequired (e.g. DeleteObjects): Content-MD5 or an x-amz-checksum-* header; and
    when the body was recorded, Content-MD5 / x-amz-checksum-sha256 / -sha1 / -crc32 must match it."""
    headers = request.headers
    required = operation.http_checksum_required or operation.http_checksum.get("requestChecksumRequired")
    has = "content-md5" in headers or any(h.startswith("x-amz-checksum-") for h in headers) or "x-amz-trailer" in headers
    if required and not has:
        issues.append(Issue("header content-md5", "httpChecksumRequired: send Content-MD5 or an x-amz-checksum-* header"))
    if request.body is None or request.body_omitted:
        return
    digests = {"content-md5": hashlib.md5, **CHECKSUMS}
    for header, algorithm in digests.items():
        if header in headers and headers[header] != base64.b64encode(algorithm(request.body).digest()).decode():
            issues.append(Issue(f"header {header}", "does not match the body"))
    if "x-amz-checksum-crc32" in headers:
        expected = base64.b64encode(zlib.crc32(request.body).to_bytes(4, "big")).decode()
        if headers["x-amz-checksum-crc32"] != expected:
            issues.append(Issue("header x-amz-checksum-crc32", "does not match the body"))
