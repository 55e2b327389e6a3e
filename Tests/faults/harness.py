"""Fault-injection harness for `deployer apply` (used by test_faults.py and Tests/Benchmarks/faults.py).

What it does, all on 127.0.0.1:
  * Peers: Tests/peers/start.sh in a temp state dir (stop.sh at close/exit).
  * Proxies: two Tests/faults/fault_proxy.py processes per deployer run, one in front of
    SeaweedFS (S3) and one in front of moto (STS, Glue), sharing one request counter so
    `--kill-at N` means "the N-th request of the apply, whatever the service".
  * Cases: a fresh project/target each: a copy of jobs/sales_etl with a ~12 MiB file of
    deterministic pseudo-random bytes in its package (code.zip then goes multipart with
    DEPLOYER_MULTIPART_THRESHOLD/PART_SIZE), an artifacts prefix of its own in one shared bucket,
    and a `glue` target manifest.
  * Inspection: straight at the peers with boto3 (never through a proxy): in-progress multipart
    uploads under the prefix, the lock object, latest.json vs the live Glue job, and
    `deployer plan --detailed-exitcode` on a fault-free path.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAULTS = Path(__file__).resolve().parent
PROXY_SCRIPT = FAULTS / "fault_proxy.py"
DEFAULT_BINARY = REPO / ".build" / "debug" / "deployer"
KINDS = ("error", "throttle", "drop", "lose", "cut")
REGION = "us-east-1"
TARGET = "dev"
JOB = "sales_etl"
PIPELINE = "nightly"
BIG_FILE_SIZE = 12 * 1024 * 1024
MULTIPART_ENV = {"DEPLOYER_MULTIPART_THRESHOLD": "8388608", "DEPLOYER_MULTIPART_PART_SIZE": "5242880"}
APPLY_TIMEOUT = 120.0
LOCKED_LINE = re.compile(r"locked (\S+) \(lock ([0-9a-fA-F-]+)\)")


class Unavailable(Exception):
    """The binary or the peers cannot be used; the reason says which and why."""


def binary_path() -> Path:
    return Path(os.environ.get("DEPLOYER_BIN", str(DEFAULT_BINARY)))


def snapshot_binary(into: Path, wait_seconds: float = 0.0) -> Path:
    """Copies the deployer binary into `into` so a rebuild during the run cannot change it
    under us. Waits (bounded) for it to appear; raises Unavailable if it does not."""
    source = binary_path()
    deadline = time.monotonic() + wait_seconds
    while True:
        if source.is_file() and os.access(source, os.X_OK):
            size = source.stat().st_size
            time.sleep(0.5)  # a linker still writing it changes the size
            if source.is_file() and source.stat().st_size == size:
                break
        if time.monotonic() >= deadline:
            raise Unavailable(f"deployer binary {source} is missing (build it with 'swift build --product deployer', or set DEPLOYER_BIN)")
        time.sleep(2)
    into.mkdir(parents=True, exist_ok=True)
    copy = into / "deployer"
    shutil.copy2(source, copy)
    probe = subprocess.run([str(copy), "--help"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        raise Unavailable(f"{source} --help exited {probe.returncode}: {probe.stderr.decode(errors='replace')[-300:]}")
    return copy


# ------------------------------------------------------------------ peers


class Peers:
    """SeaweedFS + moto from Tests/peers/start.sh, stopped by close() (also at exit)."""

    def __init__(self, root: Path):
        self.state = root / "peers"
        start = REPO / "Tests" / "peers" / "start.sh"
        try:
            result = subprocess.run(["bash", str(start), str(self.state)], capture_output=True, text=True, timeout=150)
        except subprocess.TimeoutExpired as error:
            self.close()
            raise Unavailable("Tests/peers/start.sh did not finish within 150 s") from error
        if result.returncode != 0:
            self.close()
            hint = (result.stderr or result.stdout).strip().splitlines()
            raise Unavailable(f"Tests/peers/start.sh exited {result.returncode}: {' | '.join(hint[-5:])}")
        atexit.register(self.close)
        info = json.loads((self.state / "peers.json").read_text())
        self.s3 = info["DEPLOYER_IT_S3_ENDPOINT"]
        self.moto = info["DEPLOYER_IT_MOTO_ENDPOINT"]
        self.key = info["DEPLOYER_IT_MOTO_ACCESS_KEY"]
        self.secret = info["DEPLOYER_IT_MOTO_SECRET_KEY"]
        self.account = info["DEPLOYER_IT_MOTO_ACCOUNT_ID"]
        self.session_token = None
        # The role moto's Step Functions runs a pipeline's tasks as (it may start Glue runs).
        self.pipeline_role = info.get("DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN", f"arn:aws:iam::{self.account}:role/pipeline")

    def close(self) -> None:
        subprocess.run(["bash", str(REPO / "Tests" / "peers" / "stop.sh"), str(self.state)], capture_output=True, timeout=60)

    def secrets(self) -> list[str]:
        return [s for s in (self.secret, self.session_token) if s]


# ------------------------------------------------------------------ proxies


@dataclasses.dataclass
class FaultConfig:
    seed: int = 0
    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    kill_at: int | None = None
    kill_when: str = "before"
    kill_signal: str = "KILL"


class ProxyPair:
    """One fault proxy per upstream (S3, moto), started for one deployer run."""

    def __init__(self, peers: Peers, work: Path, config: FaultConfig, pid_file: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="proxies.", dir=work))
        self.counter = self.dir / "counter"
        self.logs = [self.dir / "s3.jsonl", self.dir / "moto.jsonl"]
        self.processes: list[subprocess.Popen] = []
        self.ports: list[int] = []
        for index, (upstream, log) in enumerate(zip((peers.s3, peers.moto), self.logs)):
            port_file = self.dir / f"port{index}"
            command = [
                sys.executable,
                str(PROXY_SCRIPT),
                "--upstream",
                upstream,
                "--port-file",
                str(port_file),
                "--seed",
                str(config.seed * 2 + index),
                "--rate",
                str(config.rate),
                "--kinds",
                ",".join(config.kinds),
                "--log",
                str(log),
                "--counter-file",
                str(self.counter),
                "--protocol",
                "s3" if index == 0 else "auto",
            ]
            if config.kill_at is not None:
                command += [
                    "--kill-at",
                    str(config.kill_at),
                    "--kill-pid-file",
                    str(pid_file),
                    "--kill-when",
                    config.kill_when,
                    "--kill-signal",
                    config.kill_signal,
                ]
            self.processes.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(self.dir / f"proxy{index}.err", "w"), start_new_session=True)
            )
        deadline = time.monotonic() + 20
        for index, process in enumerate(self.processes):
            port_file = self.dir / f"port{index}"
            while not port_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"fault proxy {index} did not start: {(self.dir / f'proxy{index}.err').read_text()[-500:]}")
                time.sleep(0.02)
            self.ports.append(int(port_file.read_text()))

    @property
    def s3(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    @property
    def moto(self) -> str:
        return f"http://127.0.0.1:{self.ports[1]}"

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = []

    def requests(self) -> list[dict]:
        """Every request both proxies saw, in shared-counter order."""
        entries = []
        for name, log in zip(("s3", "moto"), self.logs):
            if log.exists():
                for line in log.read_text().splitlines():
                    if line.strip():
                        entry = json.loads(line)
                        entry["service"] = name
                        entries.append(entry)
        return sorted(entries, key=lambda e: e["g"])


# ------------------------------------------------------------------ deployer runs


@dataclasses.dataclass
class RunResult:
    args: list[str]
    status: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    requests: list[dict] = dataclasses.field(default_factory=list)

    @property
    def killed(self) -> bool:
        return self.status == -signal.SIGKILL

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def lock_id_from_stderr(self) -> str | None:
        found = LOCKED_LINE.findall(self.stderr)
        return found[-1][1] if found else None

    def faults(self) -> list[str]:
        return [
            f"{r['g']}:{r['service']}:{r['method']} {r['path']}{'?' + r['query'] if r['query'] else ''}={r['fault']}" for r in self.requests if r.get("fault")
        ]

    def describe(self) -> str:
        tail = "\n".join(self.stderr.splitlines()[-12:])
        return (
            f"deployer {' '.join(self.args)} -> status {self.status}{' (timed out)' if self.timed_out else ''} in {self.seconds:.1f}s\n"
            f"faults: {', '.join(self.faults()) or 'none'}\nstdout tail: {self.stdout[-400:]!r}\nstderr tail:\n{tail}"
        )


def leaks(text: str, secrets: list[str]) -> list[str]:
    """What in `text` must never be printed: a secret, or a SigV4 signature value."""
    found = [f"secret #{i}" for i, secret in enumerate(secrets) if secret and secret in text]
    if re.search(r"Signature=(?!<|\*|REDACTED|redacted)[0-9A-Za-z%+/=]{8,}", text):
        found.append("Signature=")
    return found


# ------------------------------------------------------------------ cases


class Harness:
    """One peer pair, one bucket, one snapshot of the binary; cases are made with case()."""

    def __init__(self, keep: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="deployer-faults."))
        self.keep = keep
        self.peers: Peers | None = None
        try:
            self.binary = snapshot_binary(self.root / "bin")
            self.peers = Peers(self.root)
        except BaseException:
            self.close()
            raise
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(aws_access_key_id=self.peers.key, aws_secret_access_key=self.peers.secret, region_name=REGION)
        self.s3 = session.client(
            "s3", endpoint_url=self.peers.s3, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"})
        )
        self.glue = session.client("glue", endpoint_url=self.peers.moto, config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        self.sfn = session.client("stepfunctions", endpoint_url=self.peers.moto, config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        self.bucket = f"faults-{random.Random().randrange(16**8):08x}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.big = random.Random(20240601).randbytes(BIG_FILE_SIZE)
        self.counter = 0
        self.dependency_cache = self.prepare_dependency_cache()

    def prepare_dependency_cache(self) -> Path:
        """The job's dependency bundle (PyYAML for Glue's CPython 3.11), built once with
        `deployer package` so every case starts from the same build cache instead of pip."""
        template = self.root / "template"
        shutil.copytree(REPO / "jobs" / "sales_etl", template / "sales_etl", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc"))
        (template / "deployer.yml").write_text(Case.manifest("template", "template", self.bucket, self.peers.account))
        built = subprocess.run([str(self.binary), "package", "-t", TARGET], cwd=template, capture_output=True, text=True, timeout=600)
        if built.returncode != 0:
            raise RuntimeError(f"deployer package (the dependency bundle) failed: {built.stdout}{built.stderr}")
        return template / ".deployer"

    def close(self) -> None:
        if self.peers:
            self.peers.close()
            self.peers = None
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def case(self, label: str) -> "Case":
        self.counter += 1
        return Case(self, f"f{os.getpid() % 10000}{label}{self.counter}".lower().replace("_", ""))


class Case:
    """A fresh project (Glue job name, artifacts prefix, work dir) on the shared peers."""

    def __init__(self, harness: Harness, project: str):
        self.h = harness
        self.project = project
        self.prefix = f"deploy-{project}"
        self.work = harness.root / "cases" / project
        self.work.mkdir(parents=True)
        shutil.copytree(REPO / "jobs" / "sales_etl", self.work / "sales_etl", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc"))
        (self.work / "sales_etl" / "src" / "sales_etl" / "fault_payload.bin").write_bytes(harness.big)
        (self.work / "deployer.yml").write_text(self.manifest(project, self.prefix, harness.bucket, harness.peers.account, harness.peers.pipeline_role))
        # The same build cache for every case: the bundle is built once, uploaded by each case.
        for part in ("cache", "build/dependencies"):
            shutil.copytree(harness.dependency_cache / part, self.work / ".deployer" / part)
        self.pid_file = self.work / "deployer.pid"
        self.glue_name = f"{project}-{TARGET}-{JOB}"
        self.state_machine_arn = f"arn:aws:states:{REGION}:{harness.peers.account}:stateMachine:{project}-{TARGET}-{PIPELINE}"

    @staticmethod
    def manifest(project: str, prefix: str, bucket: str, account: str, pipeline_role: str | None = None) -> str:
        """A Glue target and the job, with its pinned requirements (a dependency bundle to upload),
        a schedule (an EventBridge Scheduler schedule to create), alerts (an EventBridge rule
        and its SNS target) and a pipeline (a Step Functions state machine)."""
        return f"""project: {project}
targets:
  {TARGET}:
    engine: glue
    region: {REGION}
    account_ids: ["{account}"]
    artifacts: {{bucket: {bucket}, prefix: {prefix}}}
    role_arn: arn:aws:iam::{account}:role/glue-job
    schedule_role_arn: arn:aws:iam::{account}:role/scheduler
    pipeline_role_arn: {pipeline_role or f"arn:aws:iam::{account}:role/pipeline"}
jobs:
  {JOB}:
    source: sales_etl
    requirements: sales_etl/requirements.txt
    # An EventBridge Scheduler schedule: its writes go through the fault proxy too.
    schedule: {{cron: "0 3 * * ? *", timezone: Europe/Berlin}}
    # An EventBridge rule and target (PutRule, PutTargets): through the fault proxy too.
    notify: {{sns_topic: "arn:aws:sns:{REGION}:{account}:alerts-{project}"}}
    arguments:
      --as_of: "2021-06-30"
pipelines:
  # A Step Functions state machine (CreateStateMachine, UpdateStateMachine): through the fault proxy too.
  {PIPELINE}:
    # A run input: a backfill gives each execution its date.
    arguments:
      --as_of: "2021-06-30"
    steps:
      - job: {JOB}
"""

    def change_sources(self, note: str) -> None:
        """A new artifact (and so an update of the job) on the next apply."""
        with open(self.work / "sales_etl" / "src" / "sales_etl" / "cli.py", "a") as f:
            f.write(f"\n# {note}\n")

    def cleanup(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    # -------------------------------------------------------------- running deployer

    def environment(self, s3: str, moto: str) -> dict[str, str]:
        peers = self.h.peers
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work),
            "LANG": "C.UTF-8",
            "USER": "fault-test",
            "AWS_ACCESS_KEY_ID": peers.key,
            "AWS_SECRET_ACCESS_KEY": peers.secret,
            "AWS_ENDPOINT_URL": moto,
            "AWS_ENDPOINT_URL_S3": s3,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update(MULTIPART_ENV)
        return env

    def run(self, args: list[str], faults: FaultConfig | None = None, timeout: float = APPLY_TIMEOUT, extra_env: dict[str, str] | None = None) -> RunResult:
        """Runs deployer in the case's work dir; through a fresh proxy pair when `faults` is
        given (also for rate 0: the proxy logs count the requests), else straight at the peers."""
        proxies = ProxyPair(self.h.peers, self.work, faults, self.pid_file) if faults else None
        try:
            env = self.environment(proxies.s3, proxies.moto) if proxies else self.environment(self.h.peers.s3, self.h.peers.moto)
            env.update(extra_env or {})
            self.pid_file.unlink(missing_ok=True)
            started = time.monotonic()
            process = subprocess.Popen(
                [str(self.h.binary), *args],
                cwd=self.work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            tmp = self.pid_file.with_suffix(".tmp")
            tmp.write_text(str(process.pid))
            tmp.replace(self.pid_file)
            timed_out = False
            try:
                out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                out, err = process.communicate(timeout=30)
            seconds = time.monotonic() - started
        finally:
            if proxies:
                proxies.close()
        result = RunResult(args, process.returncode, out.decode(errors="replace"), err.decode(errors="replace"), seconds, timed_out)
        if proxies:
            result.requests = proxies.requests()
            if not self.h.keep:
                shutil.rmtree(proxies.dir, ignore_errors=True)
        return result

    def apply(self, faults: FaultConfig | None = None, force_unlock: str | None = None) -> RunResult:
        args = ["apply", "-t", TARGET, "--auto-approve"]
        if force_unlock:
            args += ["--force-unlock", force_unlock]
        return self.run(args, faults)

    def plan_exit(self) -> tuple[int | None, RunResult]:
        result = self.run(["plan", "-t", TARGET, "--detailed-exitcode"])
        return result.status, result

    # -------------------------------------------------------------- inspecting the peers

    def key(self, rest: str) -> str:
        return f"{self.prefix}/{rest}"

    def get_json(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            body = self.h.s3.get_object(Bucket=self.h.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        try:
            return json.loads(body)
        except ValueError:
            return {"_unreadable": body[:200].decode(errors="replace")}

    def lock(self) -> dict | None:
        """The lease object PREFIX/locks/TARGET.json, or None."""
        return self.get_json(self.key(f"locks/{TARGET}.json"))

    def uploads(self) -> list[dict]:
        """In-progress multipart uploads under the case's prefix."""
        found = []
        params = {"Bucket": self.h.bucket, "Prefix": self.prefix + "/"}
        for _ in range(100):  # bounded pagination
            page = self.h.s3.list_multipart_uploads(**params)
            found += [{"Key": u["Key"], "UploadId": u["UploadId"]} for u in page.get("Uploads", [])]
            if not page.get("IsTruncated"):
                break
            params.update(KeyMarker=page.get("NextKeyMarker", ""), UploadIdMarker=page.get("NextUploadIdMarker", ""))
        return found

    def object_exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.h.s3.head_object(Bucket=self.h.bucket, Key=key)
            return True
        except ClientError:
            return False

    def glue_job(self) -> dict | None:
        try:
            return self.h.glue.get_job(JobName=self.glue_name)["Job"]
        except self.h.glue.exceptions.EntityNotFoundException:
            return None

    def state_machine(self) -> dict | None:
        try:
            return self.h.sfn.describe_state_machine(stateMachineArn=self.state_machine_arn)
        except self.h.sfn.exceptions.StateMachineDoesNotExist:
            return None

    def pipeline_problems(self, latest: dict) -> list[str]:
        """Why latest.json's pipeline and the live state machine disagree."""
        recorded = (latest.get("pipelines") or {}).get(PIPELINE)
        live = self.state_machine()
        if recorded is None:
            return [] if live is None else [f"state machine {self.state_machine_arn} exists but latest.json records no pipeline {PIPELINE}"]
        if live is None:
            return [f"latest.json records pipeline {PIPELINE} but its state machine does not exist"]
        wanted = (recorded.get("definition") or {}).get("definition")
        if json.loads(live["definition"]) != wanted:
            return [f"the live state machine's definition is not latest.json's ({latest.get('id')})"]
        return []

    def record_problems(self) -> list[str]:
        """Why latest.json and the live Glue job (and state machine) disagree (empty: consistent)."""
        latest = self.get_json(self.key(f"deployments/{TARGET}/latest.json"))
        job = self.glue_job()
        if latest is None:
            return [] if job is None else [f"Glue job {self.glue_name} exists but there is no latest.json"]
        if "_unreadable" in latest:
            return [f"latest.json is not JSON: {latest['_unreadable']!r}"]
        problems = self.pipeline_problems(latest)
        digest = (latest.get("artifacts") or {}).get(JOB)
        if not digest:
            problems.append(f"latest.json has no artifact for {JOB}: {sorted(latest)}")
        elif (latest.get("jobNames") or {}).get(JOB) != self.glue_name:
            problems.append(f"latest.json names job {(latest.get('jobNames') or {}).get(JOB)!r}, not {self.glue_name}")
        if job is None:
            problems.append(f"latest.json records {latest.get('id')} but Glue job {self.glue_name} does not exist")
        elif digest:
            live = (job.get("DefaultArguments") or {}).get("--deployer-artifact")
            if live != digest:
                problems.append(f"Glue job --deployer-artifact {str(live)[:12]} != latest.json artifact {digest[:12]} ({latest.get('id')})")
            if digest not in (job.get("Command") or {}).get("ScriptLocation", ""):
                problems.append(f"Glue job ScriptLocation {(job.get('Command') or {}).get('ScriptLocation')} is not artifact {digest[:12]}")
        if digest:
            record_key = self.key(f"deployments/{TARGET}/{latest.get('id')}.json")
            if not self.object_exists(record_key):
                problems.append(f"latest.json's record {latest.get('id')}.json does not exist")
            # The five files deployer uploads (the code's wheel is for Glue's Python shell).
            for name in ("main.py", "code.zip", "deployer_job_code-0-py3-none-any.whl", "config.yml", "SHA256SUMS"):
                if not self.object_exists(self.key(f"artifacts/{JOB}/{digest}/{name}")):
                    problems.append(f"artifact {digest[:12]} lacks {name}")
        # The live job never names a dependency bundle that is not complete in the store.
        bundle = ((job or {}).get("DefaultArguments") or {}).get("--deployer-dependencies")
        if job is not None and not bundle:
            problems.append(f"Glue job {self.glue_name} names no dependency bundle (--deployer-dependencies)")
        elif bundle:
            sums = (
                self.h.s3.get_object(Bucket=self.h.bucket, Key=self.key(f"dependencies/{bundle}/SHA256SUMS"))["Body"].read().decode()
                if self.object_exists(self.key(f"dependencies/{bundle}/SHA256SUMS"))
                else None
            )
            if sums is None:
                problems.append(f"Glue job {self.glue_name} names dependency bundle {bundle[:12]}, which has no SHA256SUMS in the store")
            else:
                for line in sums.splitlines():
                    name = line.split("  ", 1)[1]
                    if not self.object_exists(self.key(f"dependencies/{bundle}/{name}")):
                        problems.append(f"dependency bundle {bundle[:12]} lacks {name}")
        return problems

    def state(self, with_plan: bool = True) -> "State":
        lock = self.lock()
        plan_status, plan = self.plan_exit() if with_plan else (None, None)
        return State(
            lock=lock,
            uploads=self.uploads(),
            record_problems=self.record_problems(),
            plan_status=plan_status,
            plan_output=(plan.stdout[-600:] + plan.stderr[-600:]) if plan else "",
        )


@dataclasses.dataclass
class State:
    lock: dict | None
    uploads: list[dict]
    record_problems: list[str]
    plan_status: int | None
    plan_output: str

    @property
    def lock_id(self) -> str | None:
        return (self.lock or {}).get("id") or ("ANY" if self.lock else None)

    def problems(self) -> list[str]:
        """Every invariant of a converged target that does not hold."""
        found = []
        if self.lock is not None:
            found.append(f"lock object left: {self.lock.get('id', self.lock)}")
        if self.uploads:
            found.append(f"{len(self.uploads)} in-progress multipart upload(s): {[u['Key'].rsplit('/', 2)[-2:] for u in self.uploads]}")
        found += self.record_problems
        if self.plan_status is not None and self.plan_status != 0:
            found.append(f"plan --detailed-exitcode exited {self.plan_status}: {self.plan_output.strip()[-300:]!r}")
        return found


# ------------------------------------------------------------------ one faulted apply and its recovery


def clean_failure_problems(result: RunResult, secrets: list[str]) -> list[str]:
    """Why a finished apply is not 'completed or failed cleanly'."""
    problems = [f"printed {what}" for what in leaks(result.stdout + result.stderr, secrets)]
    if result.timed_out:
        return problems + [f"did not finish within {APPLY_TIMEOUT:.0f}s"]
    if result.status == 0:
        return problems
    if result.status is None or result.status < 0:
        problems.append(f"died of signal {-(result.status or 0)}")
    elif result.status != 1:
        problems.append(f"exit status {result.status}, not 1")
    if len(result.error_lines) != 1:
        problems.append(f"{len(result.error_lines)} 'error:' lines on stderr, not 1: {result.error_lines[:3]}")
    return problems


@dataclasses.dataclass
class Trial:
    """A faulted apply, what it left behind, and the fault-free apply after it."""

    label: str
    run: RunResult
    unclean: list[str]
    after: State
    recovery: RunResult | None
    converged: State | None

    @property
    def completed(self) -> bool:
        return self.run.status == 0

    def recovery_problems(self) -> list[str]:
        problems = []
        if self.recovery is not None and self.recovery.status != 0:
            problems.append(f"recovery apply exited {self.recovery.status}: {self.recovery.error_lines[:1] or self.recovery.stderr[-300:]}")
        if self.converged is not None:
            problems += self.converged.problems()
        return problems


def trial(case: Case, faults: FaultConfig, label: str = "") -> Trial:
    """Faulted apply -> state (no plan: cheap) -> one fault-free apply (forcing the lock
    open when one is left) -> full state with plan."""
    run = case.apply(faults)
    unclean = clean_failure_problems(run, case.h.peers.secrets())
    after = case.state(with_plan=False)
    lock_id = after.lock_id
    if lock_id and run.lock_id_from_stderr() and run.lock_id_from_stderr() != lock_id:
        unclean.append(f"stderr says lock {run.lock_id_from_stderr()}, the lock object holds {lock_id}")
    recovery = case.apply(force_unlock=lock_id)
    converged = case.state(with_plan=True)
    return Trial(label, run, unclean, after, recovery, converged)
