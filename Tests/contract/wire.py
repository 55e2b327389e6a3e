"""Wire values back into botocore parameters: the inverse of botocore's serializers.

Each protocol puts members on the wire its own way (JSON names, `Name.member.N` form keys, XML
elements, URI labels, headers, query strings) and as text or JSON types. These functions turn a
recorded request's pieces into the params dict botocore's ParamValidator checks, with member names,
Python types and datetimes. What only the wire shows (a timestamp in the wrong format, a number
that is not a number, a key nothing reads) becomes an Issue here; an unknown member is passed on
under its wire name so ParamValidator reports it as botocore would.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import email.utils
import json
import re
from typing import Any
from xml.etree import ElementTree

NOVALUE = object()
ISO8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT"
)
EPOCH = re.compile(r"-?\d+(\.\d+)?")
INTEGER = re.compile(r"-?\d+")
BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


class Invalid:
    """A wire value that could not be converted (its Issue is already reported): kept in params
    so botocore does not also call the member missing, and skipped by every other check."""

    def __repr__(self) -> str:
        return "<invalid>"


@dataclasses.dataclass
class Issue:
    """One broken rule: where (member path or `header NAME`), which rule, and the value if any."""

    path: str
    rule: str
    value: Any = NOVALUE
    shape: Any = None


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def wire_name(name: str, shape) -> str:
    return shape.serialization.get("name", name)


# ---------------------------------------------------------------- scalars


def timestamp(value: Any, shape, path: str, issues: list[Issue], default: str) -> Any:
    """A datetime if the wire value has the format the protocol (or the shape) prescribes."""
    fmt = shape.serialization.get("timestampFormat") or default
    try:
        if fmt == "unixTimestamp":
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if isinstance(value, str) and EPOCH.fullmatch(value):
                number = float(value)
            if number is not None:
                return datetime.datetime.fromtimestamp(float(number), datetime.UTC)
        elif fmt == "iso8601" and isinstance(value, str) and ISO8601.fullmatch(value):
            return datetime.datetime.fromisoformat(value)
        elif fmt == "rfc822" and isinstance(value, str) and RFC822.fullmatch(value):
            return email.utils.parsedate_to_datetime(value)
    except (ValueError, OverflowError, OSError):
        pass
    issues.append(Issue(path, f"timestamp format {fmt}", value, shape))
    return Invalid()


def blob(value: Any, shape, path: str, issues: list[Issue]) -> Any:
    """Blobs travel base64-encoded in JSON, query and XML."""
    if isinstance(value, str) and BASE64.fullmatch(value):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
    issues.append(Issue(path, "blob: not base64", value, shape))
    return Invalid()


def from_text(text: str, shape, path: str, issues: list[Issue], ts_default: str) -> Any:
    """A scalar sent as text (form value, URI label, query string, header, XML element)."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        if INTEGER.fullmatch(text):
            return int(text)
    elif kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            pass
    elif kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
    elif kind == "timestamp":
        return timestamp(text, shape, path, issues, ts_default)
    elif kind == "blob":
        return blob(text, shape, path, issues)
    elif kind == "string" and shape.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            pass
    else:
        return text
    issues.append(Issue(path, f"type {kind}", text, shape))
    return Invalid()


# ---------------------------------------------------------------- JSON (json and rest-json bodies)


def from_json(value: Any, shape, path: str, issues: list[Issue], ts_default: str = "unixTimestamp") -> Any:
    """A JSON value with wire names (locationName) turned into member names; nulls are dropped
    (AWS reads a null member as absent)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        return json_members(value, shape, shape.members, path, issues, ts_default)
    if kind == "list" and isinstance(value, list):
        return [from_json(item, shape.member, f"{path}[{i}]", issues, ts_default) for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {key: from_json(item, shape.value, f"{path}.{key}", issues, ts_default) for key, item in value.items()}
    if kind == "timestamp":
        return timestamp(value, shape, path, issues, ts_default)
    if kind == "blob":
        return blob(value, shape, path, issues)
    return value


def json_members(value: dict, shape, members: dict, path: str, issues: list[Issue], ts_default: str) -> dict:
    """The members of one JSON object; `members` may be a subset (a REST body's members)."""
    names = {wire_name(name, member): name for name, member in members.items()}
    out = {}
    for key, item in value.items():
        if item is None:
            continue
        name = names.get(key)
        if name is None:
            if key in shape.members and key not in members:
                issues.append(Issue(join(path, key), f"member belongs in the {shape.members[key].serialization.get('location')}, not the body"))
            out[key] = item
        else:
            out[name] = from_json(item, members[name], join(path, name), issues, ts_default)
    return out


# ---------------------------------------------------------------- XML (rest-xml bodies)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def from_xml(element, shape, path: str, issues: list[Issue], members: dict | None = None) -> Any:
    """An XML element read the way botocore's RestXMLSerializer writes it."""
    kind = shape.type_name
    if kind == "structure":
        return xml_members(element, shape, shape.members if members is None else members, path, issues)
    if kind == "list":
        name = shape.member.serialization.get("name", "member")
        items = [child for child in element if local(child.tag) == name]
        for child in element:
            if local(child.tag) != name:
                issues.append(Issue(join(path, local(child.tag)), f"unknown list element (expected <{name}>)"))
        return [from_xml(child, shape.member, f"{path}[{i}]", issues) for i, child in enumerate(items)]
    if kind == "map":
        key_name, value_name = shape.key.serialization.get("name", "key"), shape.value.serialization.get("name", "value")
        entries = element if shape.serialization.get("flattened") else [e for e in element if local(e.tag) == "entry"]
        out = {}
        for entry in entries:
            key = next((c.text or "" for c in entry if local(c.tag) == key_name), "")
            value = next((c for c in entry if local(c.tag) == value_name), None)
            out[key] = from_xml(value, shape.value, f"{path}.{key}", issues) if value is not None else Invalid()
        return out
    return from_text(element.text or "", shape, path, issues, "iso8601")


def xml_members(element, shape, members: dict, path: str, issues: list[Issue]) -> dict:
    out: dict = {}
    flattened = {}
    for name, member in members.items():
        if member.serialization.get("xmlAttribute"):
            attr = wire_name(name, member).split(":")[-1]
            for key, text in element.attrib.items():
                if local(key) == attr:
                    out[name] = from_text(text, member, join(path, name), issues, "iso8601")
        elif member.type_name == "list" and member.serialization.get("flattened"):
            flattened[wire_name(name, member)] = name
    names = {wire_name(name, member): name for name, member in members.items() if not member.serialization.get("xmlAttribute")}
    for child in element:
        tag = local(child.tag)
        if tag in flattened:
            name = flattened[tag]
            out.setdefault(name, []).append(from_xml(child, members[name].member, f"{join(path, name)}[{len(out.get(name, []))}]", issues))
        elif tag in names:
            name = names[tag]
            out[name] = from_xml(child, members[name], join(path, name), issues)
        else:
            out[tag] = child.text or ""
    return out


def parse_xml(body: bytes, path: str, issues: list[Issue]):
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        issues.append(Issue(path or "body", f"body is not XML ({error})"))
        return None


# ---------------------------------------------------------------- query (form) protocol


def query_present(flat: dict[str, str], key: str) -> bool:
    return key in flat or any(k.startswith(key + ".") for k in flat)


def query_indexes(flat: dict[str, str], prefix: str, path: str, issues: list[Issue]) -> list[int]:
    """The N of `prefix.N...` keys, which must run 1..count."""
    found = sorted({int(m.group(1)) for k in flat if (m := re.match(re.escape(prefix) + r"\.(\d+)(\.|$)", k))})
    if found != list(range(1, len(found) + 1)):
        issues.append(Issue(path, f"list/map indexes are {found[:5]}, not 1..{len(found)}"))
    return found


def from_query(flat: dict[str, str], shape, key: str, path: str, issues: list[Issue], used: set[str]) -> Any:
    """The value under `key` in a form body, as botocore's QuerySerializer wrote it."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            child = join(key, wire_name(name, member))
            if query_present(flat, child):
                out[name] = from_query(flat, member, child, join(path, name), issues, used)
        return out
    if kind == "list":
        if flat.get(key) == "":
            used.add(key)
            return []
        if shape.serialization.get("flattened"):
            prefix = key if "name" not in shape.member.serialization else ".".join(key.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            prefix = f"{key}.{shape.member.serialization.get('name', 'member')}"
        return [from_query(flat, shape.member, f"{prefix}.{i}", f"{path}[{n}]", issues, used) for n, i in enumerate(query_indexes(flat, prefix, path, issues))]
    if kind == "map":
        prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name, value_name = shape.key.serialization.get("name", "key"), shape.value.serialization.get("name", "value")
        out = {}
        for i in query_indexes(flat, prefix, path, issues):
            entry_key = flat.get(f"{prefix}.{i}.{key_name}", "")
            used.add(f"{prefix}.{i}.{key_name}")
            out[entry_key] = from_query(flat, shape.value, f"{prefix}.{i}.{value_name}", f"{path}.{entry_key}", issues, used)
        return out
    if key not in flat:
        issues.append(Issue(path, "nested keys under a scalar member"))
        return Invalid()
    used.add(key)
    return from_text(flat[key], shape, path, issues, "iso8601")
