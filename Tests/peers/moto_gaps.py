"""What moto 5.2.1 lacks, or does otherwise than AWS, among the calls deployer makes: patched in
this process only (nothing on disk changes). moto_launcher.py (Tests/peers) and moto_iam.py
(Tests/e2e) call install() before moto's server starts. Requests and answers follow botocore's
service models; Tests/peers/test_moto_gaps.py checks each patch through boto3.

A transitional state a patch puts a run or step in (STOPPING, CANCEL_PENDING, SUBMITTED,
CANCELLING) is answered by the first read of it (GetJobRun, GetJobRuns, DescribeStep, ListSteps,
ListJobRuns), and from the second read on the run or step is in the state that follows, so a
poller sees both, deterministically.

1. Glue UpdateJob (moto: not implemented, HTTP 500). JobUpdate replaces the job's definition, as
   AWS says ("overwrites all previous job definition settings"): a field JobUpdate leaves out is
   reset to what CreateJob without it stores. The name, CreatedOn, tags and runs stay;
   LastModifiedOn moves. An unknown job is EntityNotFoundException. Answer {"JobName": ...}.
2. Glue BatchStopJobRun (moto: not implemented). A STARTING, RUNNING or WAITING run goes to
   STOPPING, then STOPPED, and is listed in SuccessfulSubmissions (a STOPPING one too, unchanged);
   an unknown run id (EntityNotFoundException) or a run that has already ended
   (InvalidInputException) is listed in Errors with an ErrorDetail. An unknown job is
   EntityNotFoundException. Error messages are this module's wording, not verified against AWS.
3. EMR CancelSteps (moto: not implemented). A PENDING or RUNNING step goes to CANCEL_PENDING, then
   CANCELLED (with an EndDateTime), and is answered SUBMITTED; when a RUNNING step is cancelled
   the oldest PENDING step starts, as EMR's step queue does; a step that has ended, or an unknown
   step id, is answered FAILED with a Reason. StepCancellationOption is accepted and has no other
   effect. An unknown cluster is InvalidRequestException.
4. EMR Serverless runs that stay RUNNING. moto ends every run in SUCCESS at once; that stays the
   default. `POST /moto-api/deployer/emr-serverless {"runs": "manual"}` ("default" switches back;
   GET reads the setting) makes every new run SUBMITTED, then RUNNING, where it stays until
   `POST /moto-api/deployer/emr-serverless/finish {"applicationId", "jobRunId",
   "state": "SUCCESS"|"FAILED", "stateDetails"?, "billedResourceUtilization"?}` ends it (HTTP 409
   if the run is not a manual one still running, 404 if unknown), or CancelJobRun moves it to
   CANCELLING, then CANCELLED. A manual run carries startedAt once RUNNING, and endedAt,
   totalExecutionDurationSeconds and billedResourceUtilization (moto's zeros unless finish gives
   them) once ended, as AWS's do; default runs keep moto's SUCCESS with billedResourceUtilization
   zeros. CancelJobRun of a manual run that has ended changes nothing (the model marks it
   idempotent). Every run now carries the members JobRun requires that moto left out: createdBy
   (the caller's ARN, as GetCallerIdentity names it), executionRole, stateDetails ("").
5. EMR Serverless StartJobRun idempotency: a StartJobRun with the clientToken of an earlier run on
   the same application answers that run (moto started a second one).
6. EMR Serverless GetDashboardForJobRun (moto: no route, HTTP 404): {"url": "https://..."} for a
   known run, ResourceNotFoundException otherwise. The URL has AWS's form but leads nowhere; no
   test fetches it.
7. EMR Serverless ListJobRuns (and GetJobRun, CancelJobRun) on an application without runs yet:
   moto answered ResourceNotFoundException "Application ... does not exist" for an application
   that exists; now ListJobRuns answers {"jobRuns": []} and the others name the unknown job run.
   ListJobRuns' summaries carry only JobRunSummary's members (no tags, no jobDriver, as on AWS).
8. STS AssumeRole of a role whose trust policy names a service principal ({"Service":
   "scheduler.amazonaws.com"}), once auth is on: moto's principal check read Principal["AWS"],
   missing there, and answered HTTP 500. Now a trust statement that names a Service applies to
   every caller: the trust policy is NOT evaluated for service principals here (a test may act as
   the scheduler or job role with any identity whose own policy allows sts:AssumeRole); a
   statement with an AWS principal is checked as before, and a Federated-only one does not match.
9. Step Functions (with `POST /moto-api/config {"stepfunctions": {"execute_state_machine":
   true}}`):
   a. every `.sync` task of a service without waitForTaskToken (glue:startJobRun.sync) failed
      with "'NoneType' object has no attribute 'interrupt_all'": StateTaskServiceCallback.
      _eval_integration_pattern creates no callback endpoint for such a service, then calls
      callback_endpoint.interrupt_all() in its `finally`. Such tasks now run the sync pattern
      without a callback endpoint: the run is started, then polled every 0.5 s until it ends;
   b. glue:startJobRun.sync: SUCCEEDED succeeds the task (output: the GetJobRun JobRun plus
      JobName, as moto gives it); FAILED, TIMEOUT, ERROR and now also STOPPED and EXPIRED fail it
      with States.TaskFailed, whose cause is the JobRun as JSON (its Id, JobName, JobRunState);
   c. emr-serverless:startJobRun.sync (moto: "unsupported"): Parameters as AWS's optimized
      integration takes them (ApplicationId, ExecutionRoleArn, JobDriver.SparkSubmit.EntryPoint,
      ...), the run is started and polled until it ends: SUCCESS succeeds the task with
      StartJobRun's answer (ApplicationId, JobRunId, Arn); FAILED or CANCELLED fail it with
      States.TaskFailed, whose cause is the JobRun as JSON (JobRunId, State, StateDetails). (This
      output, and the cause's form, follow AWS's documentation of the integration as far as it
      goes; they were not compared with a real execution.)
   d. the service calls of these tasks are signed as the state machine's role (or the task's
      Credentials.RoleArn), for which STS issues keys in-process when the role exists in IAM, and
      go to 127.0.0.1: with auth on, the role's own policy decides (moto signed them with the
      unknown key "ak", refused once auth is on); timestamps in their answers become epoch
      milliseconds, as Step Functions writes them (moto kept datetime objects, and
      DescribeExecution of every glue:startJobRun.sync execution then failed with HTTP 500);
   e. StartExecution deep-copied the state machine together with its backend, so once any
      execution had run in a region, every later StartExecution failed with HTTP 500 ("cannot
      pickle '_thread.RLock' object", the lock of the earlier execution's environment): the copy
      now leaves out the backend and the machine's executions, versions and aliases.
10. Signatures of requests without a body (GET, HEAD, DELETE) once auth is on: moto re-signs a
   request with `body or data`, so a GET's payload was hashed as its form-encoded parameters and
   a correct signature that does not sign x-amz-content-sha256 (botocore's) was refused with
   SignatureDoesNotMatch: every boto3 GET to EMR Serverless, such as the GetJobRun polls of an
   emr-serverless:startJobRun.sync task acting as its role. SigV4 hashes the empty body: now moto
   does too (Tests/e2e/moto_iam.py did this for its own moto already).
11. Step Functions RedriveExecution (moto: not implemented), with execution on: a FAILED,
   TIMED_OUT or ABORTED execution runs again under the same ARN from the top-level state its last
   task was in (the states before it are not run again), with the input that state had (a Pass
   state named `moto-redrive-input` gives it back first); it is RUNNING
   again and ends as that run ends; `redriveCount` counts the redrives. Differences from AWS,
   which no test relies on: the history restarts (AWS appends to it), and a Parallel state runs
   every branch again (AWS only the branches that did not succeed). Another status is
   ExecutionNotRedrivable; an unknown execution ExecutionDoesNotExist.
12. EventBridge InputTransformer values that are strings with quotes, backslashes or newlines
   (moto: put into the template as they are, so a Step Functions cause holding JSON made the
   template invalid and PutEvents answered HTTP 500). AWS escapes a variable's contents (only
   `aws.events.event` and `aws.events.event.json` are documented as not escaped), so the
   template stays valid JSON: now a string value is put in JSON-escaped, without quotes.
13. EMR Serverless imageConfiguration (moto drops it): UpdateApplication with
   `imageConfiguration: {"imageUri": URI}` keeps it and GetApplication answers it (with
   `resolvedImageDigest` when the URI names a digest, as AWS resolves one once the application
   starts; a tag is not resolved here); `imageConfiguration` without `imageUri` removes it, as
   AWS's documentation says. moto's rule that only a CREATED or STOPPED application may be
   updated stays.
14. ECR GetAuthorizationToken's registry: moto answers `proxyEndpoint`
   `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`, which nothing serves here. `POST
   /moto-api/deployer/ecr {"proxyEndpoint": "http://127.0.0.1:PORT"}` makes it name a stand-in
   registry on this machine (Debian's docker-registry with an htpasswd file holding moto's
   password, `AWS:ACCOUNT-auth-token`); `{"proxyEndpoint": null}` switches back.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

_LOCK = threading.RLock()  # the server answers requests in threads; state moves under this lock
_INSTALLED = False


def _now() -> datetime.datetime:
    from moto.core.utils import utcnow

    return utcnow()


# ---------------------------------------------------------------- transitional states


def _enter(obj: Any, attr: str, state: str, final: str, then: Callable[[Any], None] | None = None) -> None:
    """Puts obj in a transitional state, answered once; the next read finds it in `final`."""
    setattr(obj, attr, state)
    obj._deployer_pending = [1, final, then]


def _settle(obj: Any, attr: str) -> None:
    """Called before every read of obj: a transitional state answered once moves on."""
    pending = getattr(obj, "_deployer_pending", None)
    if not pending:
        return
    if pending[0] > 0:
        pending[0] -= 1
        return
    obj._deployer_pending = None
    setattr(obj, attr, pending[1])
    if pending[2]:
        pending[2](obj)


def _settling(original: Callable, runs_of: Callable[..., list]) -> Callable:
    """Wraps a read so every run or step it may answer has settled first."""

    @functools.wraps(original)
    def read(self, *args, **kwargs):
        with _LOCK:
            for item in runs_of(self, *args, **kwargs):
                _settle(item, item._deployer_attr)
            return original(self, *args, **kwargs)

    return read


# ---------------------------------------------------------------- 1. Glue UpdateJob

JOB_UPDATE_FIELDS = {  # JobUpdate member -> FakeJob's constructor argument (as CreateJob passes it)
    "Role": "role",
    "Command": "command",
    "Description": "description",
    "LogUri": "log_uri",
    "ExecutionProperty": "execution_property",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "NumberOfWorkers": "number_of_workers",
    "WorkerType": "worker_type",
    "CodeGenConfigurationNodes": "code_gen_configuration_nodes",
    "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}


def _glue_update_job(self):
    from moto.core.responses import ActionResult
    from moto.glue.models import FakeJob

    name = self.parameters.get("JobName")
    update = self.parameters.get("JobUpdate") or {}
    with _LOCK:
        old = self.glue_backend.get_job(name)  # EntityNotFoundException for an unknown job
        kwargs = {arg: update.get(member) for member, arg in JOB_UPDATE_FIELDS.items()}
        new = FakeJob(name=name, tags=None, backend=self.glue_backend, **kwargs)
        new.created_on = old.created_on
        new.job_runs = old.job_runs
        self.glue_backend.jobs[name] = new
    return ActionResult({"JobName": name})


# ---------------------------------------------------------------- 2. Glue BatchStopJobRun

GLUE_STOPPABLE = {"STARTING", "RUNNING", "WAITING"}


def _glue_stop_error(name: str, run_id: str, code: str, message: str) -> dict:
    return {"JobName": name, "JobRunId": run_id, "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message}}


def _glue_stopped(run) -> None:
    run.completed_on = run.modified_on = _now()


def _glue_stop(name: str, job, run_id: str) -> dict | None:
    """Stops one run; returns its Errors entry, or None when the stop was submitted."""
    run = next((r for r in job.job_runs if r.job_run_id == run_id), None)
    if run is None:
        return _glue_stop_error(name, run_id, "EntityNotFoundException", f"Job run {run_id} not found.")
    state = run.status
    if state == "STOPPING":
        return None
    if state not in GLUE_STOPPABLE:
        return _glue_stop_error(name, run_id, "InvalidInputException", f"Job run {run_id} is {state}; only a starting, running or waiting run can be stopped.")
    run._deployer_attr = "status"
    _enter(run, "status", "STOPPING", "STOPPED", _glue_stopped)
    run._tick = 0
    run.modified_on = _now()
    return None


def _glue_batch_stop_job_run(self):
    from moto.core.responses import ActionResult

    name = self.parameters.get("JobName")
    submitted, errors = [], []
    with _LOCK:
        job = self.glue_backend.get_job(name)
        for run_id in self.parameters.get("JobRunIds") or []:
            error = _glue_stop(name, job, run_id)
            if error:
                errors.append(error)
            else:
                submitted.append({"JobName": name, "JobRunId": run_id})
    return ActionResult({"SuccessfulSubmissions": submitted, "Errors": errors})


def _glue_runs_of_job(job, *args, **kwargs) -> list:
    for run in job.job_runs:
        run._deployer_attr = "status"
    return job.job_runs


# ---------------------------------------------------------------- 3. EMR CancelSteps

EMR_CANCELLABLE = {"PENDING", "RUNNING"}


def _emr_step_cancelled(cluster) -> Callable[[Any], None]:
    def cancelled(step) -> None:
        step.end_date_time = _now()
        if step._deployer_was_running and not any(s.state == "RUNNING" for s in cluster.steps):
            waiting = [s for s in cluster.steps if s.state == "PENDING"]
            if waiting:
                nxt = min(waiting, key=lambda s: s.creation_date_time)
                nxt.state = "RUNNING"
                nxt.start()

    return cancelled


def _emr_cancel_step(cluster, step_id: str) -> dict:
    step = next((s for s in cluster.steps if s.id == step_id), None)
    if step is None:
        return {"StepId": step_id, "Status": "FAILED", "Reason": f"Step {step_id} is not in cluster {cluster.id}."}
    if step.state == "CANCEL_PENDING":
        return {"StepId": step_id, "Status": "SUBMITTED"}
    if step.state not in EMR_CANCELLABLE:
        return {"StepId": step_id, "Status": "FAILED", "Reason": f"Step {step_id} is {step.state}; only a pending or running step can be cancelled."}
    step._deployer_attr = "state"
    step._deployer_was_running = step.state == "RUNNING"
    _enter(step, "state", "CANCEL_PENDING", "CANCELLED", _emr_step_cancelled(cluster))
    return {"StepId": step_id, "Status": "SUBMITTED"}


def _emr_cancel_steps(self):
    from moto.core.responses import ActionResult

    with _LOCK:
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))  # InvalidRequestException
        infos = [_emr_cancel_step(cluster, step_id) for step_id in self._get_param("StepIds", [])]
    return ActionResult({"CancelStepsInfoList": infos})


def _emr_steps_of_cluster(backend, cluster_id, *args, **kwargs) -> list:
    cluster = backend.clusters.get(cluster_id)
    steps = list(cluster.steps) if cluster else []
    for step in steps:
        step._deployer_attr = "state"
    return steps


# ---------------------------------------------------------------- 4.-7. EMR Serverless

EMR_SERVERLESS = {"runs": "default"}  # "manual": runs stay RUNNING until finished or cancelled
ES_ACTIVE = {"SUBMITTED", "PENDING", "SCHEDULED", "RUNNING"}


def _es_runs(backend, application_id: str) -> list:
    """The application's runs; ResourceNotFoundException for an unknown application (7.)."""
    backend.get_application(application_id)
    runs = backend.job_runs.setdefault(application_id, [])
    for run in runs:
        run._deployer_attr = "state"
    return runs


def _es_find(backend, application_id: str, job_run_id: str):
    from moto.emrserverless.exceptions import ResourceNotFoundException

    run = next((r for r in _es_runs(backend, application_id) if r.id == job_run_id), None)
    if run is None:
        raise ResourceNotFoundException(job_run_id, "JobRun")
    return run


def _es_running(run) -> None:
    run.started_at = run.updated_at = _now()


def _es_end(run, state: str, details: str = "", billed: dict | None = None) -> None:
    now = _now()
    run._deployer_pending = None
    run.state, run.state_details = state, details
    run.updated_at = run.ended_at = now
    started = getattr(run, "started_at", None) or run.created_at
    run.total_execution_duration_seconds = int((now - started).total_seconds())
    run.billed_resource_utilization = billed or {"vCPUHour": 0.0, "memoryGBHour": 0.0, "storageGBHour": 0.0}


def _es_start_job_run(original: Callable) -> Callable:
    def start_job_run(self, application_id, client_token, *args, **kwargs):
        with _LOCK:
            for run in _es_runs(self, application_id):
                if client_token and run.client_token == client_token:
                    return run  # 5. the run this clientToken started
            run = original(self, application_id, client_token, *args, **kwargs)
            run.state_details = run.state_details or ""
            if EMR_SERVERLESS["runs"] == "manual":
                run._deployer_manual = True
                run.created_at = run.updated_at = _now()
                run.billed_resource_utilization = None
                run.total_execution_duration_seconds = None
                _enter(run, "state", "SUBMITTED", "RUNNING", _es_running)
            return run

    return start_job_run


def _es_caller_arn(response) -> str:
    from moto.sts.models import sts_backends

    backend = sts_backends[response.current_account][response.partition]
    return backend.get_caller_identity(response.get_access_key(), response.region)[1]


def _es_start_job_run_response(original: Callable) -> Callable:
    def start_job_run(self):
        result = original(self)
        run = _es_find(self.emrserverless_backend, self._get_param("applicationId"), result.result["jobRunId"])
        if not getattr(run, "created_by", None):
            run.created_by = _es_caller_arn(self)
        return result

    return start_job_run


def _es_get_job_run(self, application_id: str, job_run_id: str):
    with _LOCK:
        run = _es_find(self, application_id, job_run_id)
        _settle(run, "state")
        return run


def _es_list_job_runs(original: Callable) -> Callable:
    def list_job_runs(self, application_id, *args, **kwargs):
        with _LOCK:
            for run in _es_runs(self, application_id):
                _settle(run, "state")
            return original(self, application_id, *args, **kwargs)

    return list_job_runs


def _es_cancelled(run) -> None:
    _es_end(run, "CANCELLED", run.state_details or "")


def _es_cancel_job_run(original: Callable) -> Callable:
    def cancel_job_run(self, application_id: str, job_run_id: str):
        with _LOCK:
            run = _es_find(self, application_id, job_run_id)
            if run.state in ES_ACTIVE:
                run.updated_at = _now()
                _enter(run, "state", "CANCELLING", "CANCELLED", _es_cancelled)
            elif not getattr(run, "_deployer_manual", False):
                return original(self, application_id, job_run_id)
            return application_id, job_run_id

    return cancel_job_run


def _es_get_dashboard_for_job_run(self):
    from moto.core.responses import ActionResult

    application_id = self._get_param("applicationId")
    job_run_id = self._get_param("jobRunId")
    with _LOCK:
        _es_find(self.emrserverless_backend, application_id, job_run_id)
    url = f"https://p-{quote(job_run_id)}-{quote(application_id)}.emrappui-prod.{self.region}.amazonaws.com/shs/?authToken=moto"
    return ActionResult({"url": url})


def _json_answer(status: int, body: dict) -> tuple[int, dict, str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def _request_json(request) -> dict | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        value = json.loads(request.get_data() or b"{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


NOT_AN_OBJECT = (400, {"message": "the body is not a JSON object"})


def _control_runs(request, full_url, headers):
    """POST /moto-api/deployer/emr-serverless {"runs": "manual"|"default"}; GET reads it."""
    if request.method == "POST":
        body = _request_json(request)
        if body is None:
            return _json_answer(*NOT_AN_OBJECT)
        runs = body.get("runs")
        if runs not in ("manual", "default"):
            return _json_answer(400, {"message": 'runs must be "manual" or "default"'})
        EMR_SERVERLESS["runs"] = runs
    return _json_answer(200, dict(EMR_SERVERLESS))


def _es_find_anywhere(application_id: str, job_run_id: str):
    from moto.emrserverless.models import emrserverless_backends

    for by_region in list(emrserverless_backends.values()):
        for backend in list(by_region.values()):
            for run in backend.job_runs.get(application_id, []):
                if run.id == job_run_id:
                    return run
    return None


def _control_finish(request, full_url, headers):
    """POST /moto-api/deployer/emr-serverless/finish: ends a manual run that is still running."""
    if request.method != "POST":
        return _json_answer(405, {"message": "POST only"})
    body = _request_json(request)
    if body is None:
        return _json_answer(*NOT_AN_OBJECT)
    state = body.get("state")
    if state not in ("SUCCESS", "FAILED"):
        return _json_answer(400, {"message": 'state must be "SUCCESS" or "FAILED"'})
    with _LOCK:
        run = _es_find_anywhere(str(body.get("applicationId")), str(body.get("jobRunId")))
        if run is None:
            return _json_answer(404, {"message": "no such job run"})
        if not getattr(run, "_deployer_manual", False) or run.state not in ES_ACTIVE:
            return _json_answer(409, {"message": f"job run is {run.state}, not a manual run still running"})
        _es_end(run, state, str(body.get("stateDetails") or ""), body.get("billedResourceUtilization"))
        answer = {"applicationId": run.application_id, "jobRunId": run.id, "state": run.state}
    return _json_answer(200, answer)


def _install_emr_serverless() -> None:
    from moto.emrserverless import urls
    from moto.emrserverless.models import EMRServerlessBackend, JobRun
    from moto.emrserverless.responses import EMRServerlessResponse
    from moto.moto_api._internal import urls as moto_api_urls

    backend, response = EMRServerlessBackend, EMRServerlessResponse
    backend.start_job_run = _es_start_job_run(backend.start_job_run)
    backend.get_job_run = _es_get_job_run
    backend.list_job_runs = _es_list_job_runs(backend.list_job_runs)
    backend.cancel_job_run = _es_cancel_job_run(backend.cancel_job_run)
    response.start_job_run = _es_start_job_run_response(response.start_job_run)
    response.get_dashboard_for_job_run = _es_get_dashboard_for_job_run
    JobRun.execution_role = property(lambda run: run.execution_role_arn)  # JobRun's executionRole
    urls.url_paths["{0}/applications/(?P<applicationId>[^/]+)/jobruns/(?P<jobRunId>[^/]+)/dashboard$"] = response.dispatch
    moto_api_urls.url_paths["{0}/moto-api/deployer/emr-serverless$"] = _control_runs
    moto_api_urls.url_paths["{0}/moto-api/deployer/emr-serverless/finish$"] = _control_finish


# ---------------------------------------------------------------- 8. STS AssumeRole of service roles


def _check_principal(self, principal: str) -> bool:
    expected = self._statement.get("Principal")
    if not expected:
        return True
    if isinstance(expected, str):
        return expected in ("*", principal)
    if "Service" in expected:
        return True  # NOT evaluated: a service principal's statement applies to every caller
    aws = expected.get("AWS")
    if aws is None:
        return False
    return aws == "*" or principal == aws or (isinstance(aws, list) and principal in aws)


# ---------------------------------------------------------------- 9. Step Functions


def _states_module(name: str):
    import importlib

    return importlib.import_module(f"moto.stepfunctions.parser.asl.component.state.exec.state_task.service.{name}")


def _role_keys(role_arn: str | None, region: str) -> tuple[str, str, str | None]:
    """Keys for the role (9d), issued in-process as STS issues them; moto's "ak"/"sk" when the
    role does not exist in IAM."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    if role_arn and role_arn.count(":") >= 5:
        account, partition = role_arn.split(":")[4], get_partition(region)
        try:
            iam_backends[account][partition].get_role_by_arn(role_arn)
        except Exception:  # noqa: BLE001 - no such role: keep moto's keys
            return "ak", "sk", None
        role = sts_backends[account][partition].assume_role(
            region_name=region, role_session_name="states-execution", role_arn=role_arn, policy=None, duration=900, external_id=None
        )
        return role.access_key_id, role.secret_access_key, role.session_token
    return "ak", "sk", None


def _epoch_millis(value: Any) -> Any:
    """Timestamps as Step Functions writes them in a task's output (epoch milliseconds): moto
    kept botocore's datetime objects, and DescribeExecution then failed (HTTP 500) to encode the
    output of every glue:startJobRun.sync task."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _epoch_millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epoch_millis(v) for v in value]
    return value


def _json_native(parsed: dict, **_) -> None:
    parsed.update(_epoch_millis(parsed))


def _boto_client_for(region: str, service: str, state_credentials: Any = None):
    import boto3
    from botocore.config import Config
    from moto.settings import moto_server_port

    key, secret, token = _role_keys(getattr(state_credentials, "role_arn", None), region)
    client = boto3.client(
        service_name=service,
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}, connect_timeout=60, read_timeout=60),
    )
    client.meta.events.register("after-call", _json_native)
    return client


def _eval_sync_without_callback(self, env, resource_runtime_part, normalised_parameters, state_credentials) -> None:
    """9a: moto's _eval_integration_pattern for a service without waitForTaskToken, without the
    callback endpoint it does not create (and then dereferenced)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )

    if self.resource.condition == ResourceCondition.Sync:
        build = self._build_sync_resolver
    else:
        build = self._build_sync2_resolver
    resolver = build(env=env, resource_runtime_part=resource_runtime_part, normalised_parameters=normalised_parameters, state_credentials=state_credentials)
    outcome = self._eval_sync(env=env, sync_resolver=resolver, timeout_seconds=None, callback_endpoint=None, heartbeat_endpoint=None)
    env.stack.append(outcome)


def _eval_integration_pattern(original: Callable) -> Callable:
    def eval_integration_pattern(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
            ResourceCondition,
        )

        if ResourceCondition.WaitForTaskToken in self._supported_integration_patterns:
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        return _eval_sync_without_callback(self, env, resource_runtime_part, normalised_parameters, state_credentials)

    return eval_integration_pattern


def _task_failed(task, env, cause: dict):
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    failed = StatesErrorNameType.StatesTaskFailed
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=failed),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    resource=task._get_sfn_resource(), resourceType=task._get_sfn_resource_type(), error=failed.to_name(), cause=json.dumps(cause, default=str)
                )
            ),
        )
    )


ES_TASK_PARAMETERS = {
    "startjobrun": {
        "ApplicationId",
        "ClientToken",
        "ExecutionRoleArn",
        "JobDriver",
        "ConfigurationOverrides",
        "Tags",
        "ExecutionTimeoutMinutes",
        "Name",
        "ExecutionIamPolicy",
        "Mode",
        "RetryPolicy",
    }
}


def _service_operation(service: str, action: str):
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(action[0].upper() + action[1:])


def _emr_serverless_task_class():
    """9c: emr-serverless:startJobRun(.sync), AWS's optimized integration."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )

    base = _states_module("state_task_service_callback").StateTaskServiceCallback

    class StateTaskServiceEmrServerless(base):
        def __init__(self):
            super().__init__(supported_integration_patterns={ResourceCondition.Sync})

        def _get_supported_parameters(self):
            return ES_TASK_PARAMETERS.get(self.resource.api_action.lower())

        def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
            action = service_action_name or self.resource.api_action
            self._to_boto_request(parameters, _service_operation("emr-serverless", action).input_shape)

        def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
            action = service_action_name or self.resource.api_action
            self._from_boto_response(response, _service_operation("emr-serverless", action).output_shape)

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            client = _boto_client_for(resource_runtime_part.region, "emr-serverless", state_credentials)
            response = getattr(client, self._get_boto_service_action())(**normalised_parameters)
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            started = env.stack.pop()
            client = _boto_client_for(resource_runtime_part.region, "emr-serverless", state_credentials)

            def resolve():
                answer = client.get_job_run(applicationId=started["ApplicationId"], jobRunId=started["JobRunId"])
                answer.pop("ResponseMetadata", None)
                state = answer["jobRun"]["state"]
                if state == "SUCCESS":
                    return started
                if state in ("FAILED", "CANCELLED"):
                    self._normalise_response(answer, service_action_name="getJobRun")
                    raise _task_failed(self, env, answer["JobRun"])
                return None

            return resolve

    return StateTaskServiceEmrServerless


def _state_task_service_for(original: Callable, emr_serverless: type) -> Callable:
    def state_task_service_for(service_name: str):
        if service_name == "emr-serverless":
            return emr_serverless()
        return original(service_name=service_name)

    return state_task_service_for


SHARED_WITH_CLONE = ("backend", "executions", "versions", "aliases", "latest_version")


def _state_machine_deepcopy(self, memo: dict):
    """9e: the copy StartExecution takes of the definition, without the backend (whose other
    machines' executions hold locks) and the machine's executions, versions and aliases."""
    clone = copy.copy(self)
    memo[id(self)] = clone
    for key, value in vars(self).items():
        if key not in SHARED_WITH_CLONE:
            setattr(clone, key, copy.deepcopy(value, memo))
    return clone


def _install_step_functions() -> None:
    import importlib

    from moto.stepfunctions.models import StateMachine

    StateMachine.__deepcopy__ = _state_machine_deepcopy

    callback = _states_module("state_task_service_callback").StateTaskServiceCallback
    callback._eval_integration_pattern = _eval_integration_pattern(callback._eval_integration_pattern)
    glue = _states_module("state_task_service_glue")
    glue._JOB_RUN_STATE_ABNORMAL_TERMINAL_VALUE.update({"STOPPED", "EXPIRED"})
    glue._JOB_RUN_STATE_TERMINAL_VALUES.update({"STOPPED", "EXPIRED"})
    glue.boto_client_for = _boto_client_for
    factory = importlib.import_module("moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory")
    factory.state_task_service_for = _state_task_service_for(factory.state_task_service_for, _emr_serverless_task_class())


def _entered_input(history: list, name: str):
    """The input the last entry into top-level state `name` had (None when none is known)."""
    for event in reversed(history):
        details = event.get("stateEnteredEventDetails") or {}
        if event.get("type", "").endswith("StateEntered") and details.get("name") == name and "input" in details:
            try:
                return json.loads(details["input"])
            except ValueError:
                return None
    return None


def _redrive_from(history: list, definition: dict) -> str:
    """The top-level state holding the last task entered (a branch's task: its Parallel)."""
    entered = [e for e in history if e.get("type") == "TaskStateEntered"]
    name = (entered[-1].get("stateEnteredEventDetails") or {}).get("name") if entered else None
    states = definition.get("States") or {}
    if name in states:
        return name
    for top, state in states.items():
        for branch in state.get("Branches") or []:
            if name in (branch.get("States") or {}):
                return top
    return definition.get("StartAt")


def _sfn_redrive_execution(self):
    from moto.stepfunctions.exceptions import AWSError

    class ExecutionNotRedrivable(AWSError):
        TYPE = "ExecutionNotRedrivable"
        STATUS = 400

    arn = self._get_param("executionArn")
    with _LOCK:
        execution = self.stepfunction_backend.describe_execution(arn)
        status = getattr(execution.status, "value", execution.status)
        if status not in ("FAILED", "TIMED_OUT", "ABORTED") or not hasattr(execution, "exec_worker"):
            raise ExecutionNotRedrivable(f"Execution {arn} is {status}: only a failed, timed out or aborted one is redriven")
        history = execution.to_history_output().get("events") or []
        machine = copy.copy(execution.state_machine)
        definition = json.loads(machine.definition)
        start = _redrive_from(history, definition)
        definition["StartAt"] = start
        given = _entered_input(history, start)
        if given is not None:
            # AWS redrives a state with the input it had, not the execution's: a Pass state first
            # gives it back (the steps read the run's arguments from it).
            definition["States"]["moto-redrive-input"] = {"Type": "Pass", "Result": given, "Next": start}
            definition["StartAt"] = "moto-redrive-input"
        machine.definition = json.dumps(definition)
        execution.state_machine = machine
        execution.exec_worker = None
        execution.stop_date = execution.error = execution.cause = None
        execution.redrive_count = getattr(execution, "redrive_count", 0) + 1
        execution.start()
    from moto.core.responses import ActionResult

    return ActionResult({"redriveDate": _now()})


# ---------------------------------------------------------------- install


def _install_empty_body_signatures() -> None:
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase._create_aws_request

    def create_aws_request(self):
        request = original(self)
        if not self._body and self._method in ("GET", "HEAD", "DELETE"):
            request.data = b""
        return request

    IAMRequestBase._create_aws_request = create_aws_request


def _install_escaped_input_transformer() -> None:
    from jsonpath_ng.ext import parse as parse_path
    from moto.events.utils import EventTemplateParser

    original = EventTemplateParser.parse

    def parse(input_template, input_paths_map, event):
        template = input_template
        for name, path in (input_paths_map or {}).items():
            matches = parse_path(path).find(event)
            if matches and isinstance(matches[0].value, str):
                template = template.replace(f"<{name}>", json.dumps(matches[0].value)[1:-1])
        return original(template, input_paths_map, event)

    EventTemplateParser.parse = staticmethod(parse)


# ---------------------------------------------------------------- 13. EMR Serverless images


def _es_update_application(original: Callable) -> Callable:
    def update_application(self):
        result = original(self)
        image = self._get_param("imageConfiguration")
        if image is not None:
            with _LOCK:
                application = self.emrserverless_backend.get_application(self._get_param("applicationId"))
                uri = image.get("imageUri")
                if uri:
                    configuration = {"imageUri": uri}
                    if "@sha256:" in uri:
                        configuration["resolvedImageDigest"] = uri.split("@", 1)[1]
                    application.image_configuration = configuration
                else:
                    application.image_configuration = None
        return result

    return update_application


# ---------------------------------------------------------------- 14. ECR's registry endpoint

ECR = {"proxyEndpoint": None}


def _ecr_get_authorization_token(original: Callable) -> Callable:
    def get_authorization_token(self):
        result = original(self)
        if ECR["proxyEndpoint"]:
            for data in result.result.get("authorizationData", []):
                data["proxyEndpoint"] = ECR["proxyEndpoint"]
        return result

    return get_authorization_token


def _control_ecr(request, full_url, headers):
    """POST /moto-api/deployer/ecr {"proxyEndpoint": URL|null}; GET reads it."""
    if request.method == "POST":
        body = _request_json(request)
        if body is None:
            return _json_answer(*NOT_AN_OBJECT)
        endpoint = body.get("proxyEndpoint")
        if endpoint is not None and not (isinstance(endpoint, str) and endpoint.startswith(("http://127.0.0.1:", "https://"))):
            return _json_answer(400, {"message": "proxyEndpoint must be null, https://..., or http://127.0.0.1:PORT"})
        ECR["proxyEndpoint"] = endpoint
    return _json_answer(200, dict(ECR))


def _install_images() -> None:
    from moto.ecr.responses import ECRResponse
    from moto.emrserverless.models import Application
    from moto.emrserverless.responses import EMRServerlessResponse
    from moto.moto_api._internal import urls as moto_api_urls

    Application.image_configuration = None
    EMRServerlessResponse.update_application = _es_update_application(EMRServerlessResponse.update_application)
    ECRResponse.get_authorization_token = _ecr_get_authorization_token(ECRResponse.get_authorization_token)
    moto_api_urls.url_paths["{0}/moto-api/deployer/ecr$"] = _control_ecr


def install() -> None:
    """Applies every patch of this module to the moto imported in this process (once)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.emr.models import ElasticMapReduceBackend
    from moto.emr.responses import ElasticMapReduceResponse
    from moto.glue.models import FakeJob
    from moto.glue.responses import GlueResponse
    from moto.iam.access_control import IAMPolicyStatement

    GlueResponse.update_job = _glue_update_job  # 1.
    GlueResponse.batch_stop_job_run = _glue_batch_stop_job_run  # 2.
    FakeJob.get_job_run = _settling(FakeJob.get_job_run, _glue_runs_of_job)
    FakeJob.get_job_runs = _settling(FakeJob.get_job_runs, _glue_runs_of_job)
    ElasticMapReduceResponse.cancel_steps = _emr_cancel_steps  # 3.
    ElasticMapReduceBackend.describe_step = _settling(ElasticMapReduceBackend.describe_step, _emr_steps_of_cluster)
    ElasticMapReduceBackend.list_steps = _settling(ElasticMapReduceBackend.list_steps, _emr_steps_of_cluster)
    _install_emr_serverless()  # 4.-7.
    IAMPolicyStatement._check_principal = _check_principal  # 8.
    _install_step_functions()  # 9.
    _install_empty_body_signatures()  # 10.
    from moto.stepfunctions.responses import StepFunctionResponse

    StepFunctionResponse.redrive_execution = _sfn_redrive_execution  # 11.
    _install_escaped_input_transformer()  # 12.
    _install_images()  # 13., 14.
