"""validate.py on handcrafted records: what must pass, what must be flagged, counts and exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate
from javaregex import compile_java
from routes import decode, load_request

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/glue-job"


def scope(service: str) -> str:
    """Authorization is never recorded: only its credential scope's service (signing_service)."""
    return service


def record(method: str, path: str, service: str | None, headers: dict, body: str | bytes | None = None, query: str = "", command: str = "apply") -> dict:
    data = body.encode() if isinstance(body, str) else body
    return {
        "source": "test",
        "method": method,
        "path": path,
        "query": query,
        "signing_service": service,
        "headers": {"user-agent": f"deployer/0.1.0 cmd/{command}", "host": "127.0.0.1:1", **headers},
        "body": data.decode() if data is not None else None,
        "body_base64": False,
        "body_length": len(data or b""),
        "body_omitted": None,
        "status": 200,
    }


def json_call(service: str, target: str, body: dict, version: str = "1.1", command: str = "apply") -> dict:
    return record("POST", "/", service, {"x-amz-target": target, "content-type": f"application/x-amz-json-{version}"}, json.dumps(body), command=command)


def rest_json(method: str, path: str, service: str, body: dict | None = None, query: str = "", command: str = "run") -> dict:
    return record(
        method, path, service, {"content-type": "application/json"} if body is not None else {}, json.dumps(body) if body is not None else None, query, command
    )


GLUE_CREATE_JOB = {
    "Name": "proj-dev-sales_etl",
    "Role": ROLE,
    "GlueVersion": "5.0",
    "WorkerType": "G.1X",
    "NumberOfWorkers": 2,
    "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/p/artifacts/sales_etl/abc/main.py", "PythonVersion": "3"},
    "DefaultArguments": {"--deployer-artifact": "abc", "--as_of": "2021-06-30"},
    "Timeout": 60,
    "ExecutionProperty": {"MaxConcurrentRuns": 1},
    "Tags": {"project": "carsales"},
}
START_JOB_RUN = {
    "clientToken": "run-1",
    "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/emr-job",
    "name": "sales_etl",
    "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/p/main.py", "entryPointArguments": ["--as_of", "2021-06-30"]}},
    "tags": {"deployer-job": "sales_etl", "deployer-args": '{"extra":"2"}'},
}
CREATE_SCHEDULE = {
    "ScheduleExpression": "cron(0 3 * * ? *)",
    "ScheduleExpressionTimezone": "Europe/Berlin",
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "State": "DISABLED",
    "ClientToken": "tok-1",
    "Target": {"Arn": "arn:aws:scheduler:::aws-sdk:glue:startJobRun", "RoleArn": ROLE, "Input": json.dumps({"JobName": "proj-dev-sales_etl"})},
}


def issues_of(rec: dict) -> tuple[str, list[str]]:
    """(`service Operation`, violation lines) for one record."""
    lines, per_operation, _ = validate.evaluate([load_request(rec, "test:1")])
    (operation,) = per_operation
    return operation, sorted(lines)


def test_valid_glue_create_job_passes():
    operation, lines = issues_of(json_call("glue", "AWSGlue.CreateJob", GLUE_CREATE_JOB))
    assert operation == "glue CreateJob"
    assert lines == []


def test_emr_serverless_tag_value_with_json_is_flagged():
    operation, lines = issues_of(rest_json("POST", "/applications/00fabc123/jobruns", "emr-serverless", START_JOB_RUN))
    assert operation == "emr-serverless StartJobRun"
    assert lines == [('CONTRACT: emr-serverless StartJobRun tags.deployer-args: pattern [A-Za-z0-9 /_.:=+@-]* (value \'{"extra":"2"}\') [cmd/run]')]


def test_scheduler_name_pattern_is_flagged():
    operation, lines = issues_of(rest_json("POST", "/schedules/nightly%20sales", "scheduler", CREATE_SCHEDULE, command="apply"))
    assert operation == "scheduler CreateSchedule"
    assert lines == ["CONTRACT: scheduler CreateSchedule Name: pattern ^[0-9a-zA-Z-_.]+$ (value 'nightly sales') [cmd/apply]"]


def test_unknown_member_is_flagged():
    _, lines = issues_of(json_call("glue", "AWSGlue.CreateJob", {**GLUE_CREATE_JOB, "Bogus": 1}))
    assert len(lines) == 1 and lines[0].startswith("CONTRACT: glue CreateJob Bogus: unknown member (known: ")


def test_s3_put_object_with_if_none_match():
    rec = record(
        "PUT",
        "/bucket/deploy-p/locks/dev.json",
        "s3",
        {"if-none-match": "*", "content-type": "application/json", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
        '{"id":"x"}',
    )
    decoded = decode(load_request(rec, "t"))
    assert (decoded.service, decoded.operation.name) == ("s3", "PutObject")
    assert decoded.params["IfNoneMatch"] == "*" and decoded.params["Key"] == "deploy-p/locks/dev.json"
    assert issues_of(rec)[1] == []


def test_s3_upload_part_and_complete_multipart_upload():
    part = record("PUT", "/bucket/a/code.zip", "s3", {}, None, query="partNumber=2&uploadId=u-1")
    part["body_length"], part["body_omitted"] = 5242880, "object upload"
    assert issues_of(part) == ("s3 UploadPart", [])
    xml = (
        '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber>'
        '<ETag>"e1"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"e2"</ETag></Part></CompleteMultipartUpload>'
    )
    complete = record("POST", "/bucket/a/code.zip", "s3", {"content-type": "application/xml"}, xml, query="uploadId=u-1")
    decoded = decode(load_request(complete, "t"))
    assert decoded.operation.name == "CompleteMultipartUpload"
    assert [p["PartNumber"] for p in decoded.params["MultipartUpload"]["Parts"]] == [1, 2]
    assert issues_of(complete)[1] == []


def test_s3_header_of_another_operation_and_bad_part_number():
    rec = record("PUT", "/bucket/a/code.zip", "s3", {"if-none-match": "*"}, None, query="partNumber=one&uploadId=u-1")
    _, lines = issues_of(rec)
    assert lines == [
        "CONTRACT: s3 UploadPart PartNumber: type integer (value 'one') [cmd/apply]",
        "CONTRACT: s3 UploadPart header if-none-match: not a member of UploadPart (AWS ignores or refuses it) [cmd/apply]",
    ]


def test_delete_objects_needs_a_checksum():
    xml = "<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>"
    _, lines = issues_of(record("POST", "/bucket", "s3", {}, xml, query="delete="))
    assert lines == [("CONTRACT: s3 DeleteObjects header content-md5: httpChecksumRequired: send Content-MD5 or an x-amz-checksum-* header [cmd/apply]")]


def test_sts_get_caller_identity_query():
    rec = record(
        "POST",
        "/",
        "sts",
        {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        "Action=GetCallerIdentity&Version=2011-06-15",
        command="whoami",
    )
    assert issues_of(rec) == ("sts GetCallerIdentity", [])


def test_query_lists_maps_and_version():
    body = (
        "Action=CreateTopic&Version=2010-03-31&Name=alerts&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x"
        "&Tags.member.1.Key=project&Tags.member.1.Value=carsales&Tags.member.3.Key=b&Tags.member.3.Value=c"
    )
    _, lines = issues_of(record("POST", "/", "sns", {"content-type": "application/x-www-form-urlencoded"}, body))
    assert lines == ["CONTRACT: sns CreateTopic Tags: list/map indexes are [1, 3], not 1..2 [cmd/apply]"]
    _, lines = issues_of(
        record("POST", "/", "sts", {"content-type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity&Version=2012-01-01&Extra=1")
    )
    assert [line.split(": ", 2)[1:] for line in lines] == [
        ["sts GetCallerIdentity Extra", "unknown form parameter (no member reads it) [cmd/apply]"],
        ["sts GetCallerIdentity Version", "must be 2011-06-15 (value '2012-01-01') [cmd/apply]"],
    ]


def test_timestamps_enum_and_max():
    bad = rest_json("GET", "/applications/00fabc123/jobruns", "emr-serverless", query="createdAtAfter=1700000000&states=RUNNING&states=NOPE&maxResults=500")
    _, lines = issues_of(bad)
    rules = [line.split(": ", 2)[2] for line in lines]
    assert rules == [
        "timestamp format iso8601 (value '1700000000') [cmd/run]",
        "max value 50 (value 500) [cmd/run]",
        "enum [SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED, CANCELLING, CANCELLED, QUEUED] (value 'NOPE') [cmd/run]",
    ]
    good = json_call(
        "logs",
        "Logs_20140328.GetLogEvents",
        {"logGroupName": "/aws-glue/jobs/output", "logStreamName": "jr_1", "startTime": 1700000000000, "startFromHead": True},
        command="logs",
    )
    assert issues_of(good)[1] == []


def test_json_protocol_content_type_and_secrets_are_not_shown():
    rec = json_call("glue", "AWSGlue.CreateJob", GLUE_CREATE_JOB, version="1.0")
    _, lines = issues_of(rec)
    assert lines == [
        ("CONTRACT: glue CreateJob header content-type: JSON protocol wants application/x-amz-json-1.1 (value 'application/x-amz-json-1.0') [cmd/apply]")
    ]
    secret = rest_json(
        "POST", "/applications/00fabc123/jobruns", "emr-serverless", {**START_JOB_RUN, "tags": {"k": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY{}"}}
    )
    assert "wJalr" not in "\n".join(issues_of(secret)[1])


def test_schedule_universal_target_input_is_checked_as_the_call_it_makes():
    """A schedule's Input is the parameters of the API it calls when it fires: checked now."""
    start = {
        "applicationId": "00fabc123",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/emr-job",
        "clientToken": "<aws.scheduler.execution-id>",  # a context attribute: replaced when it fires
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/main.py", "entryPointArguments": ["--note", ""]}},
    }
    target = {**CREATE_SCHEDULE["Target"], "Arn": "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun", "Input": json.dumps(start)}
    _, lines = issues_of(rest_json("POST", "/schedules/nightly", "scheduler", {**CREATE_SCHEDULE, "Target": target}, command="apply"))
    prefix = "CONTRACT: scheduler CreateSchedule Target.Input[emr-serverless StartJobRun].jobDriver.sparkSubmit.entryPointArguments[1]"
    assert lines == [
        f"{prefix}: min 1 characters (has 0) (value hidden: sensitive) [cmd/apply]",
        f"{prefix}: pattern .*\\S.* (value hidden: sensitive) [cmd/apply]",
    ]


def test_unmappable_request_is_a_violation():
    rec = rest_json("GET", "/no/such/route", "emr-serverless", command="status")
    operation, lines = issues_of(rec)
    assert operation == "emr-serverless (unmapped)"
    assert lines == ["CONTRACT: emr-serverless (unmapped) GET /no/such/route: no operation's method and requestUri fit [cmd/status]"]


def test_java_patterns():
    assert compile_java(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*").fullmatch("ok 😀")
    assert not compile_java(r"[\p{L}\p{N}\p{Z}-_]*").fullmatch("a.b")
    assert compile_java(r"[\p{L}\p{N}\p{Z}-_]*").fullmatch("Grüße 1-_")
    assert not compile_java(r"[\p{Print}&&[^|:/]]+").fullmatch("a:b")
    assert compile_java(r"^(?i)(true|false)$").fullmatch("TRUE")
    assert compile_java(r"([\p{L}]*)${1,128}").fullmatch("abc")
    assert not compile_java(r"\w+").fullmatch("é")  # Java's \w is ASCII


def write(folder: Path, records: list[dict]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "moto-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_counts_and_exit_code(tmp_path, capsys):
    good = [
        json_call("glue", "AWSGlue.CreateJob", GLUE_CREATE_JOB),
        record("POST", "/", "sts", {"content-type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity&Version=2011-06-15"),
    ]
    write(tmp_path / "good", good * 2)
    assert validate.main([str(tmp_path / "good")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "contract: 4 requests, 2 operations, 0 violations"
    assert "       2           0  glue CreateJob" in out

    bad = good + [rest_json("POST", "/applications/00fabc123/jobruns", "emr-serverless", START_JOB_RUN)] * 2 + [rest_json("GET", "/nope", "emr-serverless")]
    write(tmp_path / "bad", bad)
    assert validate.main([str(tmp_path / "bad")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "contract: 5 requests, 3 operations, 2 violations"
    assert any(line.startswith("CONTRACT: emr-serverless StartJobRun tags.deployer-args") and line.endswith("×2") for line in out)


def test_requests_cut_short_are_not_checked(tmp_path, capsys):
    """A client killed mid-request leaves fewer bytes than Content-Length: not deployer's contract."""
    cut = json_call("glue", "AWSGlue.GetJob", {"JobName": "j"})
    cut["headers"]["content-length"] = "39"
    cut["body"], cut["body_length"] = "", 0
    flagged = {**json_call("events", "AWSEvents.DescribeRule", {}), "body_truncated": True}
    write(tmp_path / "cut", [cut, flagged, json_call("glue", "AWSGlue.GetJob", {"JobName": "j"})])
    assert validate.main([str(tmp_path / "cut")]) == 0
    captured = capsys.readouterr()
    assert "       2           0  (cut short in transit, not checked)" in captured.out
    assert captured.out.splitlines()[-1] == "contract: 3 requests, 1 operations, 0 violations"
    assert "2 request(s) arrived cut short" in captured.err


def test_nothing_recorded_fails(tmp_path, capsys):
    assert validate.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "contract: 0 requests, 0 operations, 0 violations"


@pytest.mark.parametrize("args", [[], ["--help"], ["/nonexistent/contract-dir"]])
def test_usage_errors(args):
    assert validate.main(args) == 2
