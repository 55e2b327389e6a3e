"""`deployer apply` under injected faults, against the real peers (SeaweedFS, moto) through
Tests/faults/fault_proxy.py. See Tests/faults/README.md.

    python3 -m pytest Tests/faults -q -rs      # ~5 min; needs .build/debug/deployer (or DEPLOYER_BIN)

Invariants, checked at the peers, never through the proxy:
  * a faulted apply completes, or fails cleanly: exit 1, exactly one `error:` line, no secret
    or `Signature=` value in its output;
  * then ONE fault-free `apply --auto-approve [--force-unlock ID]` converges: exit 0, no lock
    object, no in-progress multipart upload under the prefix, latest.json agrees with the live
    Glue job (its --deployer-artifact), the artifact is complete, `plan --detailed-exitcode` is 0.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as H  # noqa: E402

# Seeds chosen for coverage: at rate 0.2 these draw the most faults (seed 6 cuts the answer to
# CreateMultipartUpload); at 0.5 seed 4 loses the answers to the lock's PutObject. Concurrent
# requests take draws in arrival order, so a seed fixes the fault sequence, not exactly the call.
SEEDS_LOW = tuple(int(s) for s in os.environ.get("FAULTS_SEEDS", "3,4,6,10").split(","))
SEED_HIGH = int(os.environ.get("FAULTS_SEED_HIGH", "4"))
KILL_BUDGET = float(os.environ.get("FAULTS_KILL_BUDGET", "400"))  # seconds for both kill passes (a clean apply: ~51 requests, ~3 s a trial)
MAX_STEPS = 80


def say(text: str) -> None:
    print(text, flush=True)  # shown with a failure's captured output (or with -s)


@pytest.fixture(scope="module")
def h():
    try:
        harness = H.Harness()
    except H.Unavailable as error:
        reason = f"fault-injection tests SKIPPED: {error}"
        sys.__stderr__.write(f"\n*** {reason}\n")
        pytest.skip(reason)
    yield harness
    harness.close()


def trial_problems(trial: H.Trial, secrets: list[str], require_lock_released: bool) -> list[str]:
    problems = [f"faulted apply: {p}" for p in trial.unclean]
    if require_lock_released and trial.run.status != 0 and trial.after.lock is not None:
        problems.append(f"failed apply left its lock {trial.after.lock_id} behind")
    if trial.recovery is not None:
        problems += [f"recovery apply printed {w}" for w in H.leaks(trial.recovery.stdout + trial.recovery.stderr, secrets)]
    problems += [f"after recovery: {p}" for p in trial.recovery_problems()]
    return problems


def report(trial: H.Trial, problems: list[str]) -> str:
    lines = [
        f"[{trial.label}] {'completed' if trial.completed else 'failed'} in {trial.run.seconds:.1f}s "
        f"({len(trial.run.faults())} faults in {len(trial.run.requests)} requests); "
        f"left: lock={trial.after.lock_id} uploads={len(trial.after.uploads)} record={'ok' if not trial.after.record_problems else trial.after.record_problems}"
    ]
    lines += [f"  PROBLEM {p}" for p in problems]
    if problems:
        lines.append("  " + trial.run.describe().replace("\n", "\n  "))
        if trial.recovery is not None:
            lines.append("  recovery: " + trial.recovery.describe().replace("\n", "\n  "))
    return "\n".join(lines)


def run_trial(h: H.Harness, seed: int, rate: float, require_lock_released: bool) -> None:
    """A first apply (upload, multipart, create) of a fresh target under faults, then its
    fault-free recovery. (Updates are not exercised: moto 5.2 has no Glue UpdateJob.)"""
    case = h.case(f"s{seed}r{int(rate * 100)}")
    try:
        trial = H.trial(case, H.FaultConfig(seed=seed, rate=rate), f"seed {seed} rate {rate}")
    finally:
        case.cleanup()
    problems = trial_problems(trial, h.peers.secrets(), require_lock_released)
    say(report(trial, problems))
    assert not problems, report(trial, problems)


@pytest.mark.parametrize("seed", SEEDS_LOW)
def test_random_faults_rate_0_2(h, seed):
    run_trial(h, seed, 0.2, require_lock_released=False)


def test_random_faults_rate_0_5_release_the_lock(h):
    run_trial(h, SEED_HIGH, 0.5, require_lock_released=True)


@pytest.fixture(scope="module")
def steps(h) -> int:
    """M: requests of one clean apply of a fresh target (both services)."""
    case = h.case("count")
    try:
        run = case.apply(H.FaultConfig(rate=0.0))
        assert run.status == 0, run.describe()
        say(f"clean apply: {len(run.requests)} requests in {run.seconds:.1f}s: " + ", ".join(f"{r['service']}:{r['method']}" for r in run.requests))
        return len(run.requests)
    finally:
        case.cleanup()


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_at_every_step(h, steps, when):
    """SIGKILL deployer at request N (before it is forwarded / after the upstream answered),
    for every N of a clean apply; one fault-free apply must then converge."""
    assert 0 < steps <= MAX_STEPS, f"a clean apply made {steps} requests"
    deadline = time.monotonic() + KILL_BUDGET / 2
    failures, not_killed, untested = [], [], []
    for n in range(1, steps + 1):
        if time.monotonic() > deadline:
            untested = list(range(n, steps + 1))
            break
        case = h.case(f"k{when[0]}{n}x")
        try:
            trial = H.trial(case, H.FaultConfig(kill_at=n, kill_when=when), f"kill {when} request {n}/{steps}")
        finally:
            case.cleanup()
        killed_at = next((r for r in trial.run.requests if str(r.get("fault", "")).startswith("kill")), None)
        where = f"{killed_at['service']}:{killed_at['method']} {killed_at['path'].split('/', 2)[-1][-60:]}" if killed_at else "-"
        if not trial.run.killed:
            not_killed.append(n)
        problems = [f"after recovery: {p}" for p in trial.recovery_problems()]
        problems += [f"recovery printed {w}" for w in H.leaks(trial.recovery.stdout + trial.recovery.stderr, h.peers.secrets())]
        line = (
            f"kill {when} N={n} at {where}: {'killed' if trial.run.killed else f'not killed (exit {trial.run.status})'}; "
            f"left lock={trial.after.lock_id is not None} uploads={len(trial.after.uploads)}; "
            f"recovery exit {trial.recovery.status}" + ("" if not problems else "; " + " | ".join(problems))
        )
        say(line)
        if problems:
            failures.append(line + "\n    recovery stderr tail: " + " / ".join(trial.recovery.stderr.splitlines()[-4:]))
    message = []
    if failures:
        message.append(f"{len(failures)} of {steps} kill points did not converge after one fault-free apply:")
        message += failures
    if untested:
        message.append(f"time budget ({KILL_BUDGET / 2:.0f}s) ran out: N={untested[0]}..{untested[-1]} not tested")
    if not_killed:
        say(f"note: N={not_killed} finished before the kill point (fewer requests than the clean run)")
    assert not message, "\n".join(message)


@pytest.mark.parametrize("signal_name", ["TERM", "INT"])
def test_signal_during_apply_cleans_up(h, steps, signal_name):
    """SIGTERM (a cancelled CI job) or SIGINT (Ctrl-C) at each request after the lock is taken:
    apply stops at its next safe point, aborts its uploads, releases the lock, says what it did
    in one line and exits 143/130; the next apply converges without --force-unlock."""
    case = h.case("count-sig")
    try:
        clean = case.apply(H.FaultConfig(rate=0.0))
    finally:
        case.cleanup()
    assert clean.status == 0, clean.describe()
    locked_at = next(i for i, r in enumerate(clean.requests, 1) if r["method"] == "PUT" and "/locks/" in r["path"])
    released_at = max(i for i, r in enumerate(clean.requests, 1) if r["method"] == "DELETE" and "/locks/" in r["path"])
    expected = 143 if signal_name == "TERM" else 130
    problems = []
    for n in range(locked_at + 1, released_at):
        case = h.case(f"g{signal_name[0]}{n}x")
        try:
            run = case.apply(H.FaultConfig(kill_at=n, kill_when="before", kill_signal=signal_name))
            after = case.state(with_plan=False)
            recovery = case.apply()
            converged = case.state()
        finally:
            case.cleanup()
        where = clean.requests[n - 1]
        line = f"SIG{signal_name} at request {n} ({where['service']}:{where['method']} {where['path'][-50:]}): exit {run.status}"
        say(line)
        errors = [l for l in run.stderr.splitlines() if l.startswith("error:")]
        if run.status == 0:
            continue  # the signal came after the last safe point: the apply finished
        if run.status != expected:
            problems.append(f"{line}: expected exit {expected}\n{run.stderr[-600:]}")
        said = errors[0] if len(errors) == 1 else ""
        if f"SIG{signal_name}" not in said or not ("released" in said or "nothing was changed" in said):
            problems.append(f"{line}: expected one 'error: SIG{signal_name}: … (lock released | nothing was changed) …' line, got {errors}")
        if after.lock is not None:
            problems.append(f"{line}: left its lock {after.lock_id}")
        if after.uploads:
            problems.append(f"{line}: left {len(after.uploads)} multipart upload(s)")
        if recovery.status != 0 or converged.problems():
            problems.append(f"{line}: the next apply did not converge: exit {recovery.status}, {converged.problems()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("when", ["before", "after"])
def test_doctor_killed_at_every_step_leaves_no_probe(h, when):
    """`doctor` proves a lock can be taken by writing and removing one probe object beside the
    lock. SIGKILL at each of its requests leaves at most that object; the next doctor removes
    it and reports the same checks as a clean run."""
    case = h.case(f"doc{when[0]}")
    probe = case.key(f"locks/{H.TARGET}.doctor-probe.json")

    def under_locks() -> list[str]:
        listed = h.s3.list_objects_v2(Bucket=h.bucket, Prefix=case.key("locks/"))
        return [o["Key"].rsplit("/", 1)[-1] for o in listed.get("Contents", [])]

    try:
        clean = case.run(["doctor", "-t", H.TARGET, "--json"], H.FaultConfig(rate=0.0))
        checks = {c["name"]: c["status"] for c in json.loads(clean.stdout)["checks"]}
        assert checks.get("lock") == "ok", clean.describe()
        assert not under_locks(), f"a clean doctor removes its probe: {under_locks()}"
        problems, left = [], 0
        for n in range(1, len(clean.requests) + 1):
            run = case.run(["doctor", "-t", H.TARGET, "--json"], H.FaultConfig(kill_at=n, kill_when=when))
            left += case.object_exists(probe)
            after = case.run(["doctor", "-t", H.TARGET, "--json"])
            where = clean.requests[n - 1]
            line = f"kill {when} doctor request {n} ({where['service']}:{where['method']} {where['path'][-40:]}): exit {run.status}"
            say(line)
            again = {c["name"]: c["status"] for c in json.loads(after.stdout or "{}").get("checks", [])}
            if under_locks():
                problems.append(f"{line}: the next doctor left {under_locks()} under locks/")
            if after.status != clean.status or again != checks:
                problems.append(f"{line}: the next doctor exited {after.status} with {again}, a clean one {clean.status} with {checks}")
            problems += [f"{line}: printed {w}" for w in H.leaks(run.stdout + run.stderr + after.stdout + after.stderr, h.peers.secrets())]
        say(f"doctor: {len(clean.requests)} requests; {left} kill point(s) left the probe, each removed by the next doctor")
        assert not problems, "\n".join(problems)
    finally:
        case.cleanup()


# ---------------------------------------------------------------- the harness itself


def test_invariant_checks_see_bad_states(h):
    """The checks are not vacuous: a planted lock, orphan upload and stale record are all reported."""
    case = h.case("detect")
    try:
        assert case.apply().status == 0
        clean = case.state()
        assert clean.problems() == [], clean.problems()
        lock_key = case.key(f"locks/{H.TARGET}.json")
        h.s3.put_object(Bucket=h.bucket, Key=lock_key, Body=b'{"id": "planted"}')
        upload = h.s3.create_multipart_upload(Bucket=h.bucket, Key=case.key("artifacts/sales_etl/planted/code.zip"))
        latest_key = case.key(f"deployments/{H.TARGET}/latest.json")
        latest = h.s3.get_object(Bucket=h.bucket, Key=latest_key)["Body"].read()
        record = json.loads(latest)
        record["artifacts"][H.JOB] = "0" * 64
        h.s3.put_object(Bucket=h.bucket, Key=latest_key, Body=json.dumps(record).encode())
        try:
            bad = case.state(with_plan=False)
            text = "\n".join(bad.problems())
            assert bad.lock_id == "planted"
            assert "lock object left" in text and "multipart" in text and "--deployer-artifact" in text and "lacks" in text, text
        finally:
            h.s3.abort_multipart_upload(Bucket=h.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            h.s3.delete_object(Bucket=h.bucket, Key=lock_key)
            h.s3.put_object(Bucket=h.bucket, Key=latest_key, Body=latest)
        assert case.state().problems() == []
    finally:
        case.cleanup()


class _Upstream:
    """A tiny HTTP/1.1 upstream on 127.0.0.1 that counts what reaches it."""

    def __init__(self):
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen.append((self.path, self.headers.get("Host"), len(body)))
                answer = b"<ok>" + b"x" * 100 + b"</ok>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_PUT = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _proxy(tmp_path, upstream, *args):
    import subprocess

    port_file = tmp_path / f"port{len(list(tmp_path.iterdir()))}"
    process = subprocess.Popen(
        [sys.executable, str(H.PROXY_SCRIPT), "--upstream", upstream.url, "--port-file", str(port_file), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while not port_file.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.02)
    return process, int(port_file.read_text())


def _send(port, method="PUT", path="/b/k", headers=None, body=b"hello" * 1000):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("kind", H.KINDS)
def test_proxy_fault_kinds(tmp_path, kind):
    """Each fault kind at rate 1 does what the README says (no peers needed)."""
    import http.client

    upstream = _Upstream()
    process, port = _proxy(tmp_path, upstream, "--rate", "1", "--kinds", kind, "--log", str(tmp_path / "log.jsonl"))
    try:
        if kind in ("error", "throttle"):
            status, body = _send(port)
            assert (status, b"<Code>" + (b"InternalError" if kind == "error" else b"SlowDown") in body) == (500 if kind == "error" else 503, True), body
            status, body = _send(port, "POST", "/", {"X-Amz-Target": "AWSGlue.GetJob", "Content-Type": "application/x-amz-json-1.1"}, b"{}")
            assert status == (500 if kind == "error" else 400) and (b"InternalFailure" if kind == "error" else b"ThrottlingException") in body
            status, body = _send(port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=GetCallerIdentity")
            assert (
                status == (500 if kind == "error" else 400) and b"<ErrorResponse" in body and (b"InternalFailure" if kind == "error" else b"Throttling") in body
            )
            assert upstream.seen == []
            # An S3 upstream answers in S3 XML whatever the object's content type.
            process.terminate()
            process.wait(timeout=10)
            process, port = _proxy(tmp_path, upstream, "--rate", "1", "--kinds", kind, "--protocol", "s3")
            status, body = _send(port, "PUT", "/b/lock.json", {"Content-Type": "application/json"}, b"{}")
            assert status == (500 if kind == "error" else 503) and b"<Error><Code>" in body, body
        elif kind in ("drop", "lose"):
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                _send(port)
            assert len(upstream.seen) == (1 if kind == "lose" else 0)
        else:
            with pytest.raises(http.client.IncompleteRead):
                _send(port)
            assert len(upstream.seen) == 1
        if upstream.seen:
            assert upstream.seen[0] == ("/b/k", f"127.0.0.1:{port}", 5000), "path, Host and body forwarded unchanged"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0, "exits cleanly on SIGTERM"
        upstream.close()
    entries = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert entries and all(e["fault"] == kind for e in entries)


@pytest.mark.parametrize("when", ["before", "after"])
def test_proxy_kill_at(tmp_path, when):
    import subprocess

    upstream = _Upstream()
    victim = subprocess.Popen(["sleep", "60"])
    (tmp_path / "pid").write_text(str(victim.pid))
    process, port = _proxy(tmp_path, upstream, "--kill-at", "2", "--kill-pid-file", str(tmp_path / "pid"), "--kill-when", when)
    try:
        assert _send(port)[0] == 200
        assert victim.poll() is None
        import http.client

        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            _send(port)
        assert victim.wait(timeout=10) == -9
        assert len(upstream.seen) == (2 if when == "after" else 1)
    finally:
        victim.kill()
        process.terminate()
        process.wait(timeout=10)
        upstream.close()


# ------------------------------------------------------------------ pipeline runs

RUN_ENV = {"DEPLOYER_PIPELINE_POLL_MS": "200"}
RUN_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def pipeline_case(h):
    """A deployed pipeline (fault-free apply) on moto with Step Functions executing it."""
    request = urllib.request.Request(
        h.peers.moto + "/moto-api/config", data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 201)
    case = h.case("pipe")
    applied = case.apply()
    assert applied.status == 0, applied.describe()
    yield case
    case.cleanup()


def executions(h: H.Harness, case: H.Case) -> dict[str, dict]:
    pages = h.sfn.get_paginator("list_executions").paginate(stateMachineArn=case.state_machine_arn)
    return {e["name"]: e for page in pages for e in page["executions"]}


def glue_runs_of(h: H.Harness, case: H.Case, run_id: str) -> list[dict]:
    runs = h.glue.get_job_runs(JobName=case.glue_name, MaxResults=200)["JobRuns"]
    return [r for r in runs if (r.get("Arguments") or {}).get("--run_id") == run_id]


def run_pipeline(case: H.Case, key: str, faults: H.FaultConfig | None = None) -> H.RunResult:
    return case.run(["run", H.PIPELINE, "-t", H.TARGET, "--idempotency-key", key], faults, timeout=RUN_TIMEOUT, extra_env=RUN_ENV)


def pipeline_run_problems(h: H.Harness, case: H.Case, key: str, keys: set[str]) -> list[str]:
    """After a (faulted or killed) `run PIPELINE --idempotency-key KEY`, one fault-free rerun
    with the same key: it exits 0 and the execution KEY succeeded, no execution was started
    under another name, and its one step ran once (one Glue run with --run_id KEY)."""
    rerun = run_pipeline(case, key)
    problems = []
    if rerun.status != 0:
        problems.append(f"fault-free rerun exited {rerun.status}: {rerun.stderr.strip()[-300:]}")
    found = executions(h, case)
    if set(found) != keys:
        problems.append(f"executions {sorted(found)}, expected exactly {sorted(keys)}")
    if found.get(key, {}).get("status") != "SUCCEEDED":
        problems.append(f"execution {key} is {found.get(key, {}).get('status')}, not SUCCEEDED")
    runs = glue_runs_of(h, case, key)
    if len(runs) != 1:
        problems.append(f"{len(runs)} Glue runs with --run_id {key}, not 1")
    return problems


@pytest.mark.parametrize("seed", (1, 2, 3, 5))
def test_pipeline_run_under_faults(h, pipeline_case, seed):
    """`run PIPELINE` (DescribeExecution, StartExecution, then the history until the end)
    through the fault proxy at rate 0.3: it succeeds or fails cleanly (exit 1, one error line,
    no secret), and a fault-free rerun with the same key converges on the one execution."""
    keys = set(executions(h, pipeline_case)) | {f"faults-{seed}"}
    run = run_pipeline(pipeline_case, f"faults-{seed}", H.FaultConfig(seed=seed, rate=0.3))
    problems = [f"faulted run: {p}" for p in H.clean_failure_problems(run, h.peers.secrets())]
    problems += pipeline_run_problems(h, pipeline_case, f"faults-{seed}", keys)
    say(f"seed {seed}: faulted run exit {run.status} ({len(run.faults())} faults in {len(run.requests)} requests); problems: {problems or 'none'}")
    assert not problems, "\n".join(problems + [run.describe()])


@pytest.mark.parametrize("when", ["before", "after"])
def test_pipeline_run_killed_at_every_step(h, pipeline_case, when):
    """SIGKILL `run PIPELINE` at request N (before it is forwarded / after it was answered),
    for each of the first requests of a clean run (the start is among them); a rerun with the
    same key then finds that execution or starts it, once."""
    clean = run_pipeline(pipeline_case, f"count-{when}", H.FaultConfig(rate=0.0))
    assert clean.status == 0, clean.describe()
    steps = min(len(clean.requests), 12)
    say(f"clean pipeline run: {len(clean.requests)} requests: " + ", ".join(f"{r['service']}:{r['method']}" for r in clean.requests[:steps]))
    failures = []
    for n in range(1, steps + 1):
        key = f"kill-{when}-{n}"
        keys = set(executions(h, pipeline_case)) | {key}
        run = run_pipeline(pipeline_case, key, H.FaultConfig(kill_at=n, kill_when=when))
        problems = pipeline_run_problems(h, pipeline_case, key, keys)
        say(f"kill {when} N={n}: {'killed' if run.killed else f'exit {run.status}'}; problems: {problems or 'none'}")
        if problems:
            failures.append(f"N={n}: " + " | ".join(problems))
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ backfill


@pytest.fixture(scope="module")
def backfill_case(h):
    """A deployed Glue job (fault-free apply) whose runs a backfill starts."""
    case = h.case("bf")
    applied = case.apply()
    assert applied.status == 0, applied.describe()
    yield case
    case.cleanup()


def backfill_month(index: int) -> tuple[int, int]:
    """Each trial its own month (a backfill's record is per range): 2024-01, 2024-02, ..."""
    return 2024 + index // 12, index % 12 + 1


def run_backfill(case: H.Case, index: int, faults: H.FaultConfig | None = None) -> H.RunResult:
    """Four dates of the trial's month, two at a time."""
    year, month = backfill_month(index)
    args = ["backfill", H.JOB, "-t", H.TARGET, "--from", f"{year}-{month:02d}-01", "--to", f"{year}-{month:02d}-04", "--concurrency", "2"]
    return case.run(args, faults, timeout=RUN_TIMEOUT, extra_env=RUN_ENV)


def backfill_problems(h: H.Harness, case: H.Case, index: int) -> list[str]:
    """One fault-free rerun of the backfill: it exits 0, and each date has exactly one Glue run
    (its key the --run_id), which succeeded: a lost answer never started a date twice."""
    rerun = run_backfill(case, index)
    problems = []
    if rerun.status != 0:
        problems.append(f"fault-free rerun exited {rerun.status}: {rerun.stderr.strip()[-300:]}")
    runs = h.glue.get_job_runs(JobName=case.glue_name, MaxResults=200)["JobRuns"]
    year, month = backfill_month(index)
    for day in range(1, 5):
        key = f"bf-{H.JOB}-{year}{month:02d}{day:02d}"
        mine = [r for r in runs if str((r.get("Arguments") or {}).get("--run_id", "")).startswith(key)]
        if len(mine) != 1 or mine[0]["JobRunState"] != "SUCCEEDED":
            problems.append(f"{key}: {[(r['Id'], r['JobRunState']) for r in mine]}, not one SUCCEEDED run")
    return problems


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_backfill_under_faults_runs_each_date_once(h, backfill_case, seed):
    """`backfill` (the record's reads and writes in S3, StartJobRun with its key, the polls)
    through the fault proxy at rate 0.2: it ends cleanly, and a fault-free rerun completes the
    range with one run per date."""
    run = run_backfill(backfill_case, seed, H.FaultConfig(seed=seed, rate=0.2))
    problems = [f"faulted backfill: {p}" for p in H.clean_failure_problems(run, h.peers.secrets())] if run.status != 0 else []
    problems += backfill_problems(h, backfill_case, seed)
    say(f"seed {seed}: faulted backfill exit {run.status} ({len(run.faults())} faults in {len(run.requests)} requests); problems: {problems or 'none'}")
    assert not problems, "\n".join(problems + [run.describe()])


def kill_at_every_step(label: str, run, problems, base: int, when: str, limit: int) -> None:
    """SIGKILL `run(index, faults)` at each of the first `limit` requests a clean run of it sent
    (before the request is forwarded, or after its answer), trial N on its own index base + N;
    `problems(index)` then reruns it fault-free and says what is wrong."""
    clean = run(base, H.FaultConfig(rate=0.0))
    assert clean.status == 0, clean.describe()
    steps = min(len(clean.requests), limit)
    say(f"clean {label}: {len(clean.requests)} requests: " + ", ".join(f"{r['service']}:{r['method']}" for r in clean.requests[:steps]))
    failures = []
    for n in range(1, steps + 1):
        killed = run(base + n, H.FaultConfig(kill_at=n, kill_when=when))
        found = problems(base + n)
        say(f"kill {when} N={n}: {'killed' if killed.killed else f'exit {killed.status}'}; problems: {found or 'none'}")
        if found:
            failures.append(f"N={n}: " + " | ".join(found))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("when", ["before", "after"])
def test_backfill_killed_at_every_step_runs_each_date_once(h, backfill_case, when):
    """SIGKILL `backfill` at each of the first requests of a clean one (the record's read, the
    first starts and their keys among them); a rerun then completes it with one run per date."""
    kill_at_every_step(
        "backfill",
        lambda index, faults: run_backfill(backfill_case, index, faults),
        lambda index: backfill_problems(h, backfill_case, index),
        10 if when == "before" else 30,
        when,
        12,
    )


# ------------------------------------------------------------------ backfill of a pipeline on Step Functions


def run_pipeline_backfill(case: H.Case, index: int, faults: H.FaultConfig | None = None) -> H.RunResult:
    """Two dates (the trial's own: a backfill's record is per range), two at a time: one
    execution each, its date the execution's input."""
    year, month = 2030 + index // 12, index % 12 + 1
    args = ["backfill", H.PIPELINE, "-t", H.TARGET, "--from", f"{year}-{month:02d}-01", "--to", f"{year}-{month:02d}-02", "--concurrency", "2"]
    return case.run(args, faults, timeout=RUN_TIMEOUT, extra_env=RUN_ENV)


def pipeline_backfill_problems(h: H.Harness, case: H.Case, index: int) -> list[str]:
    """One fault-free rerun: it exits 0, and each date has exactly one execution (no lost answer
    started a second), SUCCEEDED, whose one step ran once with the date as --as_of."""
    rerun = run_pipeline_backfill(case, index)
    problems = []
    if rerun.status != 0:
        problems.append(f"fault-free rerun exited {rerun.status}: {rerun.stderr.strip()[-300:]}")
    found = executions(h, case)
    year, month = 2030 + index // 12, index % 12 + 1
    for day in (1, 2):
        key = f"bf-{H.PIPELINE}-{year}{month:02d}{day:02d}"
        mine = {name: e["status"] for name, e in found.items() if name.startswith(key)}
        if list(mine.values()) != ["SUCCEEDED"]:
            problems.append(f"{key}: executions {mine}, not one SUCCEEDED")
            continue
        runs = glue_runs_of(h, case, next(iter(mine)))
        dates = [(r.get("Arguments") or {}).get("--as_of") for r in runs]
        if dates != [f"{year}-{month:02d}-{day:02d}"]:
            problems.append(f"{key}: Glue runs with --as_of {dates}, not one with its date")
    return problems


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_pipeline_backfill_under_faults_runs_each_date_once(h, pipeline_case, seed):
    """`backfill PIPELINE` on Step Functions (the record in S3, DescribeExecution and
    StartExecution by name with the date as input, the histories) through the fault proxy at
    rate 0.2: it ends cleanly, and a fault-free rerun completes the range, one execution a date."""
    run = run_pipeline_backfill(pipeline_case, seed, H.FaultConfig(seed=seed, rate=0.2))
    problems = [f"faulted backfill: {p}" for p in H.clean_failure_problems(run, h.peers.secrets())] if run.status != 0 else []
    problems += pipeline_backfill_problems(h, pipeline_case, seed)
    say(
        f"seed {seed}: faulted pipeline backfill exit {run.status} ({len(run.faults())} faults in {len(run.requests)} requests); problems: {problems or 'none'}"
    )
    assert not problems, "\n".join(problems + [run.describe()])


@pytest.mark.parametrize("when", ["before", "after"])
def test_pipeline_backfill_killed_at_every_step_runs_each_date_once(h, pipeline_case, when):
    """SIGKILL `backfill PIPELINE` at each request of a clean one (up to 30: the record's read and
    writes, the starts by name, the histories); a rerun then completes it, one execution a date.
    Each trial has its own dates: the two runs of this test take disjoint index ranges."""
    kill_at_every_step(
        "pipeline backfill",
        lambda index, faults: run_pipeline_backfill(pipeline_case, index, faults),
        lambda index: pipeline_backfill_problems(h, pipeline_case, index),
        10 if when == "before" else 50,
        when,
        30,
    )
