#!/usr/bin/env python3
"""The contract test: every request deployer sent to the peers, against botocore's service models.

    python3 Tests/contract/validate.py DIR [DIR...]

Reads every *.jsonl in the folders (written by recorder.py in moto and by fault_proxy.py --record
in front of SeaweedFS), maps each request to its botocore operation (routes.py) and checks its
parameters against the model (rules.py): botocore's ParamValidator plus enum, pattern, min/max,
timestamp formats and required members, recursively. moto and SeaweedFS accept much that AWS
refuses, so a request that worked in the tests can still fail in AWS; this is where that shows.

Prints one line per violation (identical ones once, with ×N when repeated):
    CONTRACT: <service> <Operation> <member path>: <rule> (value ...) [cmd/<command>]
then the number of requests per `service Operation`, then
    contract: N requests, M operations, K violations
Exits 1 if K > 0, or if N == 0 (a contract test that saw nothing cannot pass). A request whose
body arrived cut short (the client was killed mid-request: the fault tests do that) is not what
deployer sent; it is counted and named on stderr, not checked.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routes import SERVICES, Decoded, Unmapped, decode, load_request, model
from rules import UNCHECKED, all_issues
from wire import NOVALUE, Issue, json_members

SHORT = 64
SECRET_NAME = re.compile(r"(?i)secret|password|passphrase|token|credential|private|signature|auth")
SECRET_VALUE = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{12,}|[A-Za-z0-9+/=_-]{32,}|-----BEGIN")


UNIVERSAL_TARGET = re.compile(r"arn:aws[a-z-]*:scheduler:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)")
# Scheduler replaces these context attributes in Input when the schedule fires; check the call
# with values of the shapes it substitutes (an execution id is a UUID).
CONTEXT = {
    "<aws.scheduler.execution-id>": "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    "<aws.scheduler.schedule-arn>": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/example",
    "<aws.scheduler.scheduled-time>": "2026-01-01T03:00:00Z",
    "<aws.scheduler.attempt-number>": "1",
}


def scheduled_call(decoded: Decoded) -> tuple[object, dict, str] | None:
    """A Scheduler universal target (`arn:aws:scheduler:::aws-sdk:SERVICE:apiAction`) calls that
    API with Target.Input as its parameters when the schedule fires: (operation, params, label),
    so the Input is held to that operation's model now and not first in production."""
    target = decoded.params.get("Target") if decoded.service == "scheduler" else None
    found = UNIVERSAL_TARGET.fullmatch(target.get("Arn", "")) if isinstance(target, dict) else None
    if not found or not isinstance(target.get("Input"), str):
        return None
    service = next((s for s in SERVICES.values() if s.replace("-", "") == found.group(1)), None)
    name = found.group(2)[:1].upper() + found.group(2)[1:]
    if service is None or name not in model(service).operation_names:
        return None
    text = target["Input"]
    for attribute, example in CONTEXT.items():
        text = text.replace(attribute, example)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    operation = model(service).operation_model(name)
    issues: list[Issue] = []
    params = (
        json_members(value, operation.input_shape, operation.input_shape.members, "", issues, "unixTimestamp")
        if isinstance(value, dict) and operation.input_shape is not None
        else {}
    )
    return operation, params, f"Target.Input[{service} {name}]"


def show(issue: Issue) -> str:
    """The value, only when it is short and nothing suggests a secret."""
    value = issue.value
    if value is NOVALUE or value is None:
        return ""
    if issue.shape is not None and issue.shape.metadata.get("sensitive"):
        return " (value hidden: sensitive)"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > SHORT or SECRET_NAME.search(issue.path) or SECRET_VALUE.search(text):
        return ""
    return f" (value {text!r})" if isinstance(value, str) else f" (value {text})"


def violation(service: str, operation: str, issue: Issue, command: str) -> str:
    return f"CONTRACT: {service} {operation} {issue.path or '(input)'}: {issue.rule}{show(issue)} [cmd/{command}]"


def unmapped_line(error: Unmapped, request) -> str:
    target = request.path + (f"?{request.query}" if request.query else "")
    target = target if len(target) <= 120 else target[:117] + "..."
    return f"CONTRACT: {error.service} (unmapped) {request.method} {target}: {error} [cmd/{request.command}]"


def read_records(folders: list[str]) -> tuple[list, list[str]]:
    """Every recorded request (with where it came from) and the lines that are not JSON."""
    requests, broken = [], []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.jsonl")):
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    requests.append(load_request(json.loads(line), f"{path.name}:{number}"))
                except (ValueError, TypeError, AttributeError) as error:
                    broken.append(f"CONTRACT: ? (unreadable) {path.name}:{number}: not a request record ({error}) [cmd/?]")
    return requests, broken


def dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for issue in issues:
        key = (issue.path, issue.rule)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def evaluate(requests: list) -> tuple[collections.Counter, collections.Counter, collections.Counter]:
    """(violation line -> count, `service Operation` -> requests, `service Operation` -> violations)."""
    lines: collections.Counter = collections.Counter()
    per_operation: collections.Counter = collections.Counter()
    bad_operation: collections.Counter = collections.Counter()
    for request in requests:
        if request.truncated:
            per_operation["(cut short in transit, not checked)"] += 1
            continue
        try:
            decoded = decode(request)
        except Unmapped as error:
            key = f"{error.service} (unmapped)"
            per_operation[key] += 1
            bad_operation[key] += 1
            lines[unmapped_line(error, request)] += 1
            continue
        key = f"{decoded.service} {decoded.operation.name}"
        per_operation[key] += 1
        issues = decoded.issues + all_issues(decoded.params, decoded.operation.input_shape)
        call = scheduled_call(decoded)
        if call is not None:  # what the schedule will send when it fires
            operation, params, label = call
            issues += [Issue(f"{label}.{i.path}", i.rule, i.value, i.shape) for i in all_issues(params, operation.input_shape)]
        issues = dedupe(issues)
        bad_operation[key] += len(issues)
        for issue in issues:
            lines[violation(decoded.service, decoded.operation.name, issue, request.command)] += 1
    return lines, per_operation, bad_operation


def report(lines: collections.Counter, per_operation: collections.Counter, bad_operation: collections.Counter, total: int) -> str:
    out = [line + (f" ×{count}" if count > 1 else "") for line, count in sorted(lines.items())]
    out.append(f"{'requests':>8}  {'violations':>10}  service Operation")
    out += [f"{count:>8}  {bad_operation[key]:>10}  {key}" for key, count in sorted(per_operation.items())]
    mapped = [key for key in per_operation if not key.endswith(("(unmapped)", "not checked)"))]
    out.append(f"contract: {total} requests, {len(mapped)} operations, {len(lines)} violations")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv or any(arg.startswith("-") for arg in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    missing = [folder for folder in argv if not Path(folder).is_dir()]
    if missing:
        print(f"contract: no such folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    requests, broken = read_records(argv)
    lines, per_operation, bad_operation = evaluate(requests)
    lines.update(broken)
    print(report(lines, per_operation, bad_operation, len(requests)))
    cut = [request.where for request in requests if request.truncated]
    if cut:
        print(
            f"contract: note: {len(cut)} request(s) arrived cut short (body shorter than Content-Length: the client "
            f"died mid-request) and were not checked: {', '.join(cut[:5])}{' …' if len(cut) > 5 else ''}",
            file=sys.stderr,
        )
    for pattern, why in sorted(UNCHECKED.items()):
        print(f"contract: note: pattern {pattern} not checked ({why})", file=sys.stderr)
    if not requests:
        print("contract: no requests were recorded (was DEPLOYER_CONTRACT_DIR set for the peers?)", file=sys.stderr)
    return 1 if lines or not requests else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
