"""The model's rules for one request's params: botocore's ParamValidator plus what it leaves out.

ParamValidator checks types, unknown and required members, unions and `min`, but not `max`,
`enum`, `pattern`, nor `min` on maps; AWS checks all of them (a TagValue holding JSON, a schedule
name with a space, a list one entry too long are refused by the service, not by botocore).
check() walks the params with the shapes (structures, list members, map keys and values) and
reports those; validator_issues() turns ParamValidator's report into the same Issue form.
Patterns are Java regexes, matched whole (javaregex.py).
"""

from __future__ import annotations

from botocore.validate import ParamValidator
from javaregex import Unsupported, compile_java
from wire import NOVALUE, Invalid, Issue, join

NUMBERS = ("integer", "long", "float", "double")
UNCHECKED: dict[str, str] = {}  # pattern -> why it could not be translated (reported once by validate.py)


def check(value, shape, path: str, issues: list[Issue]) -> None:
    """Every rule of `shape` (and of its members, recursively) that `value` breaks."""
    if value is None or isinstance(value, Invalid):
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name, item in value.items():
            if name in shape.members:
                check(item, shape.members[name], join(path, name), issues)
    elif kind == "list" and isinstance(value, (list, tuple)):
        bounds(len(value), shape, path, issues, "entries", value)
        for i, item in enumerate(value):
            check(item, shape.member, f"{path}[{i}]", issues)
    elif kind == "map" and isinstance(value, dict):
        bounds(len(value), shape, path, issues, "entries", value)
        for key, item in value.items():
            check(key, shape.key, f"{path} (key: {key})", issues)
            check(item, shape.value, f"{path}.{key}", issues)
    elif kind == "string" and isinstance(value, str):
        string(value, shape, path, issues)
    elif kind in NUMBERS:
        number(value, shape, path, issues)
    elif kind == "blob" and isinstance(value, (bytes, bytearray)) and value:
        bounds(len(value), shape, path, issues, "bytes", None)


def bounds(size: int, shape, path: str, issues: list[Issue], unit: str, value) -> None:
    """min/max: a string's length, a list's or map's entries, a blob's bytes."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    shown = value if isinstance(value, str) else NOVALUE
    if low is not None and size < low:
        issues.append(Issue(path, f"min {low} {unit} (has {size})", shown, shape))
    if high is not None and size > high:
        issues.append(Issue(path, f"max {high} {unit} (has {size})", shown, shape))


def string(value: str, shape, path: str, issues: list[Issue]) -> None:
    bounds(len(value), shape, path, issues, "characters", value)
    if shape.enum and value not in shape.enum:
        listed = ", ".join(shape.enum[:12]) + (", …" if len(shape.enum) > 12 else "")
        issues.append(Issue(path, f"enum [{listed}]", value, shape))
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return
    try:
        compiled = compile_java(pattern)
    except Unsupported as error:
        UNCHECKED[pattern] = str(error)
        return
    if not compiled.fullmatch(value):
        issues.append(Issue(path, f"pattern {pattern}", value, shape))


def number(value, shape, path: str, issues: list[Issue]) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, bool):
            issues.append(Issue(path, f"type {shape.type_name} (got a boolean)", value, shape))
        return
    if shape.type_name in ("integer", "long") and isinstance(value, float):
        issues.append(Issue(path, f"type {shape.type_name} (got a fraction)", value, shape))
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        issues.append(Issue(path, f"min value {low}", value, shape))
    if high is not None and value > high:
        issues.append(Issue(path, f"max value {high}", value, shape))


def validator_issues(params: dict, shape) -> list[Issue]:
    """botocore's ParamValidator on the params, as Issues. Its min checks are left to check()
    (which also does max); values it rejects for type are not shown (they may be secrets)."""
    issues = []
    report = ParamValidator().validate(params, shape)
    for reason, name, extra in report._errors:
        path = name.lstrip(".")
        if reason == "missing required field":
            issues.append(Issue(join(path, extra["required_name"]), "required member missing"))
        elif reason == "unknown field":
            names = list(extra["valid_names"])
            listed = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
            issues.append(Issue(join(path, extra["unknown_param"]), f"unknown member (known: {listed})"))
        elif reason == "invalid type":
            if isinstance(extra.get("param"), Invalid):
                continue
            wanted = ", ".join(t.replace("<class '", "").replace("'>", "") for t in extra["valid_types"])
            issues.append(Issue(path, f"type: expected {wanted}, got {type(extra.get('param')).__name__}"))
        elif reason in ("invalid length", "invalid range"):
            continue
        elif reason == "more than one input":
            issues.append(Issue(path, "union: more than one member set"))
        elif reason == "empty input":
            issues.append(Issue(path, "union: no member set"))
        else:
            issues.append(Issue(path, reason))
    return issues


def all_issues(params: dict, shape) -> list[Issue]:
    if shape is None:
        return [Issue(name, "unknown member (the operation takes no input)") for name in params]
    issues = validator_issues(params, shape)
    check(params, shape, "", issues)
    return issues
