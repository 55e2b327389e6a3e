"""moto_gaps.py's patches, through moto's server as moto_launcher.py starts it (127.0.0.1, a free
port, auth off unless a test turns it on and back off) and boto3, which checks every request
against botocore's model. Raw answers are checked against the model too: no member the output
shape lacks, every member it requires, enum values it knows.

Run: python3 -m pytest Tests/peers/test_moto_gaps.py -q
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

LAUNCHER = Path(__file__).resolve().parent / "moto_launcher.py"
ACCOUNT = "123456789012"
REGION = "us-east-1"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MODELS = botocore.session.get_session()


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("INITIAL_NO_AUTH_ACTION_COUNT", "MOTO_PORT", "DEPLOYER_CONTRACT_DIR")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _wait_ready(endpoint: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"moto exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).read(1)
            return
        time.sleep(0.2)
    pytest.fail(f"moto not ready in 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "-H", "127.0.0.1", "-p", str(port)],
            env=_server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def aws(endpoint):
    """aws("glue") -> a boto3 client of the server with dummy keys (or aws("glue", keys))."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        session = boto3.Session(region_name=REGION)

        def client(service: str, keys: dict | None = None):
            return session.client(service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}), **(keys or DUMMY))

        yield client


def _control(endpoint: str, path: str, body=None, method: str = "POST") -> tuple[int, dict]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(endpoint + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@contextlib.contextmanager
def _glue_progression(endpoint: str, times: int):
    """Glue runs move one state per `times` reads (moto's state manager), then back to moto's default."""
    status, _ = _control(
        endpoint, "/moto-api/state-manager/set-transition", {"model_name": "glue::job_run", "transition": {"progression": "manual", "times": times}}
    )
    assert status == 201
    try:
        yield
    finally:
        _control(endpoint, "/moto-api/state-manager/unset-transition", {"model_name": "glue::job_run"})


@contextlib.contextmanager
def _manual_runs(endpoint: str):
    assert _control(endpoint, "/moto-api/deployer/emr-serverless", {"runs": "manual"}) == (200, {"runs": "manual"})
    try:
        yield
    finally:
        assert _control(endpoint, "/moto-api/deployer/emr-serverless", {"runs": "default"}) == (200, {"runs": "default"})


@contextlib.contextmanager
def _auth_on(endpoint: str):
    """moto checks signatures and policies from the next request on (its reset-auth), then stops."""
    assert _control(endpoint, "/moto-api/reset-auth", b"0")[0] == 200
    try:
        yield
    finally:
        assert _control(endpoint, "/moto-api/reset-auth", b"inf")[0] == 200


# ---------------------------------------------------------------- answers vs the model


def _raw(client) -> dict:
    """The raw JSON body of each answer the client gets, by operation name."""
    bodies: dict = {}

    def keep(http_response, model, **_):
        bodies[model.name] = json.loads(http_response.content or b"{}")

    client.meta.events.register("after-call", keep)
    return bodies


def _problems(shape, value, path: str = "") -> list[str]:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path or '.'}: not an object"]
        found = [f"{path}.{k}: not a member of {shape.name}" for k in value if k not in shape.members]
        found += [f"{path}.{k}: required by {shape.name}, missing" for k in shape.required_members if k not in value]
        for key, member in shape.members.items():
            if key in value:
                found += _problems(member, value[key], f"{path}.{key}")
        return found
    if kind == "list":
        return [p for i, v in enumerate(value) for p in _problems(shape.member, v, f"{path}[{i}]")]
    if kind == "map":
        return [p for k, v in value.items() for p in _problems(shape.value, v, f"{path}.{k}")]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} is not one of {shape.name} {shape.enum}"]
    return []


def assert_model(service: str, operation: str, body: dict) -> None:
    shape = MODELS.get_service_model(service).operation_model(operation).output_shape
    assert _problems(shape, body) == [], body


def _answer(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


# ---------------------------------------------------------------- 1. + 2. Glue


def _glue_job(glue, name: str, **extra) -> None:
    glue.create_job(
        Name=name, Role=f"arn:aws:iam::{ACCOUNT}:role/glue-job", Command={"Name": "glueetl", "ScriptLocation": "s3://b/old.py", "PythonVersion": "3"}, **extra
    )


def test_glue_update_job_replaces_the_whole_definition(aws):
    glue = aws("glue")
    raw = _raw(glue)
    _glue_job(
        glue,
        "upd",
        Description="old",
        DefaultArguments={"--a": "1"},
        MaxRetries=2,
        Timeout=30,
        GlueVersion="4.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        Tags={"team": "data"},
    )
    before = glue.get_job(JobName="upd")["Job"]
    run_id = glue.start_job_run(JobName="upd")["JobRunId"]

    command = {"Name": "glueetl", "ScriptLocation": "s3://b/new.py", "PythonVersion": "3"}
    answer = glue.update_job(JobName="upd", JobUpdate={"Role": f"arn:aws:iam::{ACCOUNT}:role/glue-job-2", "Command": command, "GlueVersion": "5.0"})
    assert _answer(answer) == {"JobName": "upd"}
    assert raw["UpdateJob"] == {"JobName": "upd"}

    job = glue.get_job(JobName="upd")["Job"]
    assert_model("glue", "GetJob", raw["GetJob"])
    assert (job["Role"], job["Command"], job["GlueVersion"]) == (f"arn:aws:iam::{ACCOUNT}:role/glue-job-2", command, "5.0")
    for reset in ("Description", "MaxRetries", "Timeout", "WorkerType", "NumberOfWorkers"):
        assert reset not in job, f"{reset} should be reset by UpdateJob"
    assert job.get("DefaultArguments", {}) == {}
    assert job["CreatedOn"] == before["CreatedOn"]
    assert job["LastModifiedOn"] >= before["LastModifiedOn"]
    assert glue.get_tags(ResourceArn=f"arn:aws:glue:{REGION}:{ACCOUNT}:job/upd")["Tags"] == {"team": "data"}
    assert [r["Id"] for r in glue.get_job_runs(JobName="upd")["JobRuns"]] == [run_id]

    with pytest.raises(ClientError) as e:
        glue.update_job(JobName="no-such-job", JobUpdate={"Role": "r", "Command": command})
    assert _code(e.value) == "EntityNotFoundException"


def _run_state(glue, job: str, run_id: str) -> str:
    return glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"]


def test_glue_batch_stop_job_run_stops_running_runs(aws, endpoint):
    glue = aws("glue")
    raw = _raw(glue)
    _glue_job(glue, "stop", ExecutionProperty={"MaxConcurrentRuns": 3})
    with _glue_progression(endpoint, times=1):  # STARTING, one read, RUNNING, one read, SUCCEEDED
        running = glue.start_job_run(JobName="stop")["JobRunId"]
        assert _run_state(glue, "stop", running) == "RUNNING"
        done = glue.start_job_run(JobName="stop")["JobRunId"]
        assert [_run_state(glue, "stop", done) for _ in range(2)] == ["RUNNING", "SUCCEEDED"]

        answer = glue.batch_stop_job_run(JobName="stop", JobRunIds=[running, done, "jr_unknown"])
        assert_model("glue", "BatchStopJobRun", raw["BatchStopJobRun"])
        assert answer["SuccessfulSubmissions"] == [{"JobName": "stop", "JobRunId": running}]
        errors = {e["JobRunId"]: (e["JobName"], e["ErrorDetail"]["ErrorCode"]) for e in answer["Errors"]}
        assert errors == {done: ("stop", "InvalidInputException"), "jr_unknown": ("stop", "EntityNotFoundException")}
        assert all(e["ErrorDetail"]["ErrorMessage"] for e in answer["Errors"])

        assert [_run_state(glue, "stop", running) for _ in range(3)] == ["STOPPING", "STOPPED", "STOPPED"]
        assert_model("glue", "GetJobRun", raw["GetJobRun"])
        assert _run_state(glue, "stop", done) == "SUCCEEDED"
        again = glue.batch_stop_job_run(JobName="stop", JobRunIds=[running])
        assert again["SuccessfulSubmissions"] == [] and again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"

    with pytest.raises(ClientError) as e:
        glue.batch_stop_job_run(JobName="no-such-job", JobRunIds=[running])
    assert _code(e.value) == "EntityNotFoundException"


# ---------------------------------------------------------------- 3. EMR


def _cluster(emr) -> str:
    return emr.run_job_flow(
        Name="gaps",
        ReleaseLabel="emr-7.1.0",
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]


def _steps(emr, cluster: str, count: int) -> list[str]:
    step = {"Name": "s", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://b/job.py"]}}
    return emr.add_job_flow_steps(JobFlowId=cluster, Steps=[step] * count)["StepIds"]


def test_emr_cancel_steps_cancels_pending_and_running_steps(aws):
    emr = aws("emr")
    raw = _raw(emr)
    cluster = _cluster(emr)
    running, pending, waiting = _steps(emr, cluster, 3)
    states = {s["Id"]: s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster)["Steps"]}
    assert states == {running: "RUNNING", pending: "PENDING", waiting: "PENDING"}

    answer = emr.cancel_steps(ClusterId=cluster, StepIds=[running, pending, "s-UNKNOWN"], StepCancellationOption="SEND_INTERRUPT")
    assert_model("emr", "CancelSteps", raw["CancelSteps"])
    infos = {i["StepId"]: i for i in answer["CancelStepsInfoList"]}
    assert [infos[running]["Status"], infos[pending]["Status"], infos["s-UNKNOWN"]["Status"]] == ["SUBMITTED", "SUBMITTED", "FAILED"]
    assert infos["s-UNKNOWN"]["Reason"]

    assert emr.describe_step(ClusterId=cluster, StepId=running)["Step"]["Status"]["State"] == "CANCEL_PENDING"
    steps = {s["Id"]: s["Status"] for s in emr.list_steps(ClusterId=cluster)["Steps"]}
    assert_model("emr", "ListSteps", raw["ListSteps"])
    assert {k: v["State"] for k, v in steps.items()} == {running: "CANCELLED", pending: "CANCELLED", waiting: "RUNNING"}
    assert "EndDateTime" in steps[running]["Timeline"]

    again = emr.cancel_steps(ClusterId=cluster, StepIds=[running])["CancelStepsInfoList"]
    assert again[0]["Status"] == "FAILED" and again[0]["Reason"]
    with pytest.raises(ClientError) as e:
        emr.cancel_steps(ClusterId="j-NOSUCHCLUSTER", StepIds=[running])
    assert _code(e.value) == "InvalidRequestException"


# ---------------------------------------------------------------- 4.-7. EMR Serverless

ROLE = f"arn:aws:iam::{ACCOUNT}:role/emr-job"
DRIVER = {"sparkSubmit": {"entryPoint": "s3://b/job.py", "entryPointArguments": ["--day", "1"]}}


def _application(es) -> str:
    return es.create_application(name="gaps", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]


def _start(es, app: str, **extra) -> str:
    return es.start_job_run(applicationId=app, executionRoleArn=ROLE, jobDriver=DRIVER, name="job", **extra)["jobRunId"]


def _es_state(es, app: str, run: str) -> str:
    return es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]["state"]


def _finish(endpoint: str, app: str, run: str, state: str, **extra) -> tuple[int, dict]:
    return _control(endpoint, "/moto-api/deployer/emr-serverless/finish", {"applicationId": app, "jobRunId": run, "state": state, **extra})


def test_emr_serverless_manual_runs_run_until_finished(aws, endpoint):
    es, sts = aws("emr-serverless"), aws("sts")
    raw = _raw(es)
    app = _application(es)
    assert _control(endpoint, "/moto-api/deployer/emr-serverless", method="GET") == (200, {"runs": "default"})
    assert _control(endpoint, "/moto-api/deployer/emr-serverless", {"runs": "sometimes"})[0] == 400
    with _manual_runs(endpoint):
        run = _start(es, app)
        first = es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]
        assert first["state"] == "SUBMITTED" and "billedResourceUtilization" not in first
        second = es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]
        assert_model("emr-serverless", "GetJobRun", raw["GetJobRun"])
        assert (second["state"], second["createdBy"], second["executionRole"]) == ("RUNNING", sts.get_caller_identity()["Arn"], ROLE)
        assert "startedAt" in second and "endedAt" not in second
        assert _es_state(es, app, run) == "RUNNING"

        billed = {"vCPUHour": 0.5, "memoryGBHour": 2.0, "storageGBHour": 1.0}
        assert _finish(endpoint, app, run, "SUCCESS", billedResourceUtilization=billed) == (200, {"applicationId": app, "jobRunId": run, "state": "SUCCESS"})
        done = es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]
        assert_model("emr-serverless", "GetJobRun", raw["GetJobRun"])
        assert (done["state"], done["billedResourceUtilization"]) == ("SUCCESS", billed)
        assert "endedAt" in done and done["totalExecutionDurationSeconds"] >= 0
        assert _finish(endpoint, app, run, "FAILED")[0] == 409

        failed = _start(es, app)
        assert _finish(endpoint, app, failed, "FAILED", stateDetails="boom")[0] == 200
        details = es.get_job_run(applicationId=app, jobRunId=failed)["jobRun"]
        assert (details["state"], details["stateDetails"]) == ("FAILED", "boom")

        assert _finish(endpoint, app, "nosuchrun", "SUCCESS")[0] == 404
        assert _finish(endpoint, app, failed, "RUNNING")[0] == 400
    default = _start(es, app)
    answer = es.get_job_run(applicationId=app, jobRunId=default)["jobRun"]
    assert (answer["state"], answer["billedResourceUtilization"]) == ("SUCCESS", {"vCPUHour": 0.0, "memoryGBHour": 0.0, "storageGBHour": 0.0})


def test_emr_serverless_cancel_job_run_of_a_running_run(aws, endpoint):
    es = aws("emr-serverless")
    raw = _raw(es)
    app = _application(es)
    with _manual_runs(endpoint):
        run = _start(es, app)
        assert [_es_state(es, app, run) for _ in range(2)] == ["SUBMITTED", "RUNNING"]
        assert _answer(es.cancel_job_run(applicationId=app, jobRunId=run)) == {"applicationId": app, "jobRunId": run}
        assert_model("emr-serverless", "CancelJobRun", raw["CancelJobRun"])
        assert [_es_state(es, app, run) for _ in range(3)] == ["CANCELLING", "CANCELLED", "CANCELLED"]
        cancelled = es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]
        assert "endedAt" in cancelled and "billedResourceUtilization" in cancelled
        es.cancel_job_run(applicationId=app, jobRunId=run)  # idempotent: nothing changes
        assert _es_state(es, app, run) == "CANCELLED"
        assert _finish(endpoint, app, run, "SUCCESS")[0] == 409


def test_emr_serverless_start_job_run_client_token_is_idempotent(aws):
    es = aws("emr-serverless")
    app = _application(es)
    first = es.start_job_run(applicationId=app, executionRoleArn=ROLE, jobDriver=DRIVER, clientToken="deploy-1")
    second = es.start_job_run(applicationId=app, executionRoleArn=ROLE, jobDriver=DRIVER, clientToken="deploy-1")
    assert _answer(second) == _answer(first)
    other = es.start_job_run(applicationId=app, executionRoleArn=ROLE, jobDriver=DRIVER, clientToken="deploy-2")
    assert other["jobRunId"] != first["jobRunId"]
    assert sorted(r["id"] for r in es.list_job_runs(applicationId=app)["jobRuns"]) == sorted([first["jobRunId"], other["jobRunId"]])


def test_emr_serverless_get_dashboard_for_job_run(aws):
    es = aws("emr-serverless")
    raw = _raw(es)
    app = _application(es)
    run = _start(es, app)
    answer = _answer(es.get_dashboard_for_job_run(applicationId=app, jobRunId=run))
    assert_model("emr-serverless", "GetDashboardForJobRun", raw["GetDashboardForJobRun"])
    assert list(answer) == ["url"] and answer["url"].startswith("https://")
    with pytest.raises(ClientError) as e:
        es.get_dashboard_for_job_run(applicationId=app, jobRunId="nosuchrun")
    assert _code(e.value) == "ResourceNotFoundException"


def test_emr_serverless_list_job_runs_answers_summaries_even_when_empty(aws):
    es = aws("emr-serverless")
    raw = _raw(es)
    app = _application(es)
    assert _answer(es.list_job_runs(applicationId=app)) == {"jobRuns": []}
    assert raw["ListJobRuns"] == {"jobRuns": []}
    with pytest.raises(ClientError) as e:
        es.get_job_run(applicationId=app, jobRunId="nosuchrun")
    assert _code(e.value) == "ResourceNotFoundException" and "JobRun" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        es.list_job_runs(applicationId="nosuchapplication")
    assert _code(e.value) == "ResourceNotFoundException"

    run = _start(es, app, tags={"deployer:job": "sales"})
    es.list_job_runs(applicationId=app)
    assert_model("emr-serverless", "ListJobRuns", raw["ListJobRuns"])
    [summary] = raw["ListJobRuns"]["jobRuns"]
    assert summary["id"] == run and "tags" not in summary and "jobDriver" not in summary
    assert es.get_job_run(applicationId=app, jobRunId=run)["jobRun"]["tags"] == {"deployer:job": "sales"}


# ---------------------------------------------------------------- 8. STS


def _trust(principal: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def _user_keys(iam, name: str, actions: str) -> dict:
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_sts_assume_role_of_a_service_role_with_auth_on(aws, endpoint):
    iam = aws("iam")
    keys = _user_keys(iam, "assumer", "sts:AssumeRole")
    iam.create_role(RoleName="scheduler-role", AssumeRolePolicyDocument=_trust({"Service": "scheduler.amazonaws.com"}))
    iam.create_role(RoleName="glue-role", AssumeRolePolicyDocument=_trust({"Service": ["glue.amazonaws.com"]}))
    iam.create_role(RoleName="someone-elses", AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/other"}))
    with _auth_on(endpoint):
        sts = aws("sts", keys)
        for role in ("scheduler-role", "glue-role"):
            credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="test")["Credentials"]
            acting = aws(
                "sts",
                {
                    "aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"],
                },
            )
            assert acting.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/test"
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/someone-elses", RoleSessionName="test")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_boto3_gets_without_a_body_are_signed_right_with_auth_on(aws, endpoint):
    """10: botocore does not sign x-amz-content-sha256 for EMR Serverless; its GETs were refused."""
    iam = aws("iam")
    keys = _user_keys(iam, "getter", "emr-serverless:*")
    app = aws("emr-serverless").create_application(name="gets", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]
    with _auth_on(endpoint):
        emr = aws("emr-serverless", keys)
        assert emr.get_application(applicationId=app)["application"]["applicationId"] == app
        assert emr.list_job_runs(applicationId=app)["jobRuns"] == []


# ---------------------------------------------------------------- 9. Step Functions


@pytest.fixture(scope="module")
def states(aws, endpoint):
    assert _control(endpoint, "/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})[0] == 201
    iam = aws("iam")
    iam.create_role(RoleName="states-role", AssumeRolePolicyDocument=_trust({"Service": "states.amazonaws.com"}))
    return aws("stepfunctions")


def _machine(sfn, name: str, resource: str, parameters: dict, role: str = "states-role") -> str:
    definition = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}")["stateMachineArn"]


def _until(what, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}")


def _ended(sfn, execution: str) -> dict:
    return _until(lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d)


def _task_failed(sfn, execution: str) -> dict:
    events = sfn.get_execution_history(executionArn=execution)["events"]
    return next(e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed")


def test_sfn_glue_start_job_run_sync_waits_for_success(aws, states):
    glue = aws("glue")
    _glue_job(glue, "sfn-ok")
    machine = _machine(states, "glue-ok", "arn:aws:states:::glue:startJobRun.sync", {"JobName": "sfn-ok"})
    execution = states.start_execution(stateMachineArn=machine)["executionArn"]
    ended = _ended(states, execution)
    assert ended["status"] == "SUCCEEDED", ended
    output = json.loads(ended["output"])
    assert (output["JobName"], output["JobRunState"]) == ("sfn-ok", "SUCCEEDED")
    assert [r["Id"] for r in glue.get_job_runs(JobName="sfn-ok")["JobRuns"]] == [output["Id"]]


def test_sfn_glue_start_job_run_sync_fails_when_the_run_is_stopped(aws, endpoint, states):
    glue = aws("glue")
    _glue_job(glue, "sfn-stop")
    machine = _machine(states, "glue-stop", "arn:aws:states:::glue:startJobRun.sync", {"JobName": "sfn-stop"})
    with _glue_progression(endpoint, times=100000):  # the run stays STARTING until it is stopped
        execution = states.start_execution(stateMachineArn=machine)["executionArn"]
        [run] = _until(lambda: glue.get_job_runs(JobName="sfn-stop")["JobRuns"])
        assert states.describe_execution(executionArn=execution)["status"] == "RUNNING"
        assert glue.batch_stop_job_run(JobName="sfn-stop", JobRunIds=[run["Id"]])["Errors"] == []
        ended = _ended(states, execution)
    assert (ended["status"], ended.get("error")) == ("FAILED", "States.TaskFailed"), ended
    cause = json.loads(_task_failed(states, execution)["cause"])
    assert (cause["Id"], cause["JobName"], cause["JobRunState"]) == (run["Id"], "sfn-stop", "STOPPED")


def test_sfn_redrive_execution_runs_again_from_the_failed_state(aws, endpoint, states):
    """11: the first step is not run again; the failed one is, with the input it had (the run's
    arguments a first state made from the execution's input), and the execution ends SUCCEEDED."""
    glue = aws("glue")
    _glue_job(glue, "redrive-a")
    task = {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "ResultPath": None}
    day = {"Arguments": {"--day.$": "$.arguments.day"}}
    definition = {
        "StartAt": "Arguments",
        "States": {
            "Arguments": {"Type": "Pass", "Parameters": {"arguments": {"day.$": "$.day"}}, "Next": "Run a"},
            "Run a": {**task, "Parameters": {"JobName": "redrive-a", **day}, "Next": "Run b"},
            "Run b": {**task, "Parameters": {"JobName": "redrive-b", **day}, "End": True},
        },
    }
    machine = states.create_state_machine(name="redrive", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/states-role")[
        "stateMachineArn"
    ]
    # The second step's job does not exist yet: its task fails, and so does the execution.
    execution = states.start_execution(stateMachineArn=machine, name="night-1", input=json.dumps({"day": "2021-01-31"}))["executionArn"]
    assert _ended(states, execution)["status"] == "FAILED"
    _glue_job(glue, "redrive-b")
    with pytest.raises(ClientError) as refused:
        states.redrive_execution(executionArn=machine.replace(":stateMachine:", ":execution:") + ":no-such")
    assert refused.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    states.redrive_execution(executionArn=execution)
    assert _ended(states, execution)["status"] == "SUCCEEDED"
    assert len(glue.get_job_runs(JobName="redrive-a")["JobRuns"]) == 1, "the step that succeeded did not run again"
    assert len(glue.get_job_runs(JobName="redrive-b")["JobRuns"]) == 1, "the failed step ran again"
    assert glue.get_job_runs(JobName="redrive-b")["JobRuns"][0]["Arguments"] == {"--day": "2021-01-31"}, "with the input it had"
    with pytest.raises(ClientError) as again:
        states.redrive_execution(executionArn=execution)
    assert again.value.response["Error"]["Code"] == "ExecutionNotRedrivable"


def _es_machine(sfn, name: str, app: str) -> str:
    return _machine(
        sfn,
        name,
        "arn:aws:states:::emr-serverless:startJobRun.sync",
        {
            "ApplicationId": app,
            "ExecutionRoleArn": ROLE,
            "Name": name,
            "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://b/job.py", "EntryPointArguments": ["--day", "1"]}},
        },
    )


def _es_run_of(es, app: str, name: str) -> dict:
    return _until(lambda: next((r for r in es.list_job_runs(applicationId=app)["jobRuns"] if r.get("name") == name), None))


def test_sfn_emr_serverless_start_job_run_sync_waits_for_the_end(aws, endpoint, states):
    es = aws("emr-serverless")
    app = _application(es)
    with _manual_runs(endpoint):
        ok = states.start_execution(stateMachineArn=_es_machine(states, "es-ok", app))["executionArn"]
        bad = states.start_execution(stateMachineArn=_es_machine(states, "es-bad", app))["executionArn"]
        run_ok, run_bad = _es_run_of(es, app, "es-ok"), _es_run_of(es, app, "es-bad")
        assert es.get_job_run(applicationId=app, jobRunId=run_ok["id"])["jobRun"]["jobDriver"] == DRIVER
        time.sleep(1.2)  # two polls of each task: both still wait for their runs
        assert [states.describe_execution(executionArn=x)["status"] for x in (ok, bad)] == ["RUNNING", "RUNNING"]
        assert _finish(endpoint, app, run_ok["id"], "SUCCESS")[0] == 200
        assert _finish(endpoint, app, run_bad["id"], "FAILED", stateDetails="out of memory")[0] == 200
        ended_ok, ended_bad = _ended(states, ok), _ended(states, bad)
    assert ended_ok["status"] == "SUCCEEDED", ended_ok
    assert json.loads(ended_ok["output"]) == {"ApplicationId": app, "JobRunId": run_ok["id"], "Arn": run_ok["arn"]}
    assert (ended_bad["status"], ended_bad.get("error")) == ("FAILED", "States.TaskFailed"), ended_bad
    cause = json.loads(_task_failed(states, bad)["cause"])
    assert (cause["JobRunId"], cause["State"], cause["StateDetails"]) == (run_bad["id"], "FAILED", "out of memory")


def test_sfn_tasks_act_as_the_state_machine_role(aws, endpoint, states):
    iam, glue = aws("iam"), aws("glue")
    _glue_job(glue, "sfn-role")
    for role, actions in (("states-glue", "glue:*"), ("states-no-glue", "glue:GetJobRun")):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust({"Service": "states.amazonaws.com"}))
        iam.put_role_policy(
            RoleName=role,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
        )
    allowed = _machine(states, "as-role", "arn:aws:states:::glue:startJobRun.sync", {"JobName": "sfn-role"}, "states-glue")
    denied = _machine(states, "as-denied", "arn:aws:states:::glue:startJobRun.sync", {"JobName": "sfn-role"}, "states-no-glue")
    admin = _user_keys(iam, "states-admin", "*")
    with _auth_on(endpoint):
        sfn = aws("stepfunctions", admin)
        ok = _ended(sfn, sfn.start_execution(stateMachineArn=allowed)["executionArn"])
        refused = _ended(sfn, sfn.start_execution(stateMachineArn=denied)["executionArn"])
    assert ok["status"] == "SUCCEEDED", ok
    # moto refuses with an XML body botocore cannot read a code from, hence "Glue.403"
    assert (refused["status"], refused["error"]) == ("FAILED", "Glue.403"), refused
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/states-no-glue/" in refused["cause"]
    assert "not authorized to perform: glue:StartJobRun" in refused["cause"]


def test_events_input_transformer_escapes_string_values(aws):
    """12: a cause holding JSON, quotes and a newline reaches the target as one valid string."""
    events, sqs = aws("events"), aws("sqs")
    queue = sqs.create_queue(QueueName="escaped")["QueueUrl"]
    events.put_rule(Name="escaped", EventPattern=json.dumps({"source": ["test.escape"]}))
    events.put_targets(
        Rule="escaped",
        Targets=[
            {
                "Id": "q",
                "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:escaped",
                "InputTransformer": {"InputPathsMap": {"cause": "$.detail.cause"}, "InputTemplate": '"ended: <cause>."'},
            }
        ],
    )
    cause = 'step a failed: {"Id":"jr_1","ErrorMessage":"line \\"one\\"\nline two"}'
    answer = events.put_events(Entries=[{"Source": "test.escape", "DetailType": "t", "Detail": json.dumps({"cause": cause})}])
    assert answer["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"]) for m in messages] == [f"ended: {cause}."]


def test_emr_serverless_image_configuration_is_kept_and_removed(aws):
    """13: UpdateApplication's imageConfiguration is answered by GetApplication; an empty one
    removes it; a started application is still refused."""
    es = aws("emr-serverless")
    app = es.create_application(name="images", releaseLabel="emr-7.2.0", type="SPARK")["applicationId"]
    es.stop_application(applicationId=app)
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/jobs@sha256:" + "b" * 64
    es.update_application(applicationId=app, imageConfiguration={"imageUri": uri})
    assert es.get_application(applicationId=app)["application"]["imageConfiguration"] == {"imageUri": uri, "resolvedImageDigest": "sha256:" + "b" * 64}
    tagged = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/jobs:v1"
    es.update_application(applicationId=app, imageConfiguration={"imageUri": tagged})
    assert es.get_application(applicationId=app)["application"]["imageConfiguration"] == {"imageUri": tagged}
    es.update_application(applicationId=app, imageConfiguration={})
    assert "imageConfiguration" not in es.get_application(applicationId=app)["application"]
    es.start_application(applicationId=app)
    with pytest.raises(ClientError) as refused:
        es.update_application(applicationId=app, imageConfiguration={"imageUri": uri})
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_ecr_proxy_endpoint_names_the_stand_in_registry(aws, endpoint):
    """14: GetAuthorizationToken's proxyEndpoint is moto's until the control names a stand-in;
    the token is base64 of AWS:ACCOUNT-auth-token either way."""
    import base64

    ecr = aws("ecr")
    data = ecr.get_authorization_token()["authorizationData"][0]
    assert data["proxyEndpoint"] == f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert base64.b64decode(data["authorizationToken"]).decode() == f"AWS:{ACCOUNT}-auth-token"
    assert _control(endpoint, "/moto-api/deployer/ecr", {"proxyEndpoint": "http://example.com"})[0] == 400
    try:
        assert _control(endpoint, "/moto-api/deployer/ecr", {"proxyEndpoint": "http://127.0.0.1:5999"}) == (200, {"proxyEndpoint": "http://127.0.0.1:5999"})
        assert ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"] == "http://127.0.0.1:5999"
    finally:
        _control(endpoint, "/moto-api/deployer/ecr", {"proxyEndpoint": None})
    assert ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"].startswith("https://")
