"""EMR Serverless targets with `image:`: deployer builds the job's image on a stand-in EMR base
(the Debian base with a `hadoop` user; no public image can be pulled here), pushes it to a real
registry (Debian's docker-registry with htpasswd, holding the password moto's ECR
GetAuthorizationToken gives), and sets the application's imageConfiguration on moto (patched by
Tests/peers/moto_gaps.py, 13 and 14).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import BASE, DEPLOYER, HERE, REPO, container_env, podman, shown

STANDIN = "localhost/deployer-emr-standin:emr-7.2.0"
ACCOUNT = "123456789012"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/deployer-jobs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    state = tmp_path_factory.mktemp("peers")
    started = subprocess.run(["bash", str(REPO / "Tests/peers/start.sh"), str(state)], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield json.loads((state / "peers.json").read_text())
    finally:
        subprocess.run(["bash", str(REPO / "Tests/peers/stop.sh"), str(state)], capture_output=True, timeout=60)


def _control(peers: dict, body: dict) -> None:
    request = urllib.request.Request(
        peers["DEPLOYER_IT_MOTO_ENDPOINT"] + "/moto-api/deployer/ecr", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


class Registry:
    """docker-registry on 127.0.0.1 with one htpasswd user."""

    def __init__(self, root: Path, password: str):
        import bcrypt

        self.root = root
        self.port = _free_port()
        root.mkdir(parents=True, exist_ok=True)
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
        (root / "htpasswd").write_text(f"AWS:{hashed}\n")
        (root / "config.yml").write_text(
            "version: 0.1\n"
            f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
            f"http: {{addr: '127.0.0.1:{self.port}'}}\n"
            f"auth: {{htpasswd: {{realm: test, path: {root / 'htpasswd'}}}}}\n"
        )
        self.log = open(root / "registry.log", "w")
        self.process = subprocess.Popen(
            ["docker-registry", "serve", str(root / "config.yml")], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("docker-registry did not start: " + (root / "registry.log").read_text()[-2000:])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manifests_pushed(self) -> int:
        """PUT requests of manifests the registry answered 201 (from its access log)."""
        self.log.flush()
        return sum(1 for line in (self.root / "registry.log").read_text().splitlines() if "PUT /v2/" in line and "/manifests/" in line and "201" in line)

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def registry(peers, tmp_path_factory):
    if not DEPLOYER.exists():
        pytest.fail(f"{DEPLOYER} is missing: swift build --product deployer")
    if not Path("/usr/bin/docker-registry").exists():
        pytest.fail("docker-registry is not installed: Tests/container/install.sh installs it")
    made = subprocess.run(["bash", str(HERE / "make-base.sh"), BASE], capture_output=True, text=True, timeout=1800, env=container_env())
    assert made.returncode == 0, made.stdout + made.stderr
    folder = tmp_path_factory.mktemp("standin")
    (folder / "Containerfile").write_text(f"FROM {BASE}\nRUN useradd --create-home --uid 999 hadoop\n")
    podman("build", "--tag", STANDIN, str(folder))
    served = Registry(tmp_path_factory.mktemp("registry"), f"{ACCOUNT}-auth-token")
    _control(peers, {"proxyEndpoint": served.endpoint})
    try:
        yield served
    finally:
        _control(peers, {"proxyEndpoint": None})
        served.close()


def _env(peers: dict, **extra) -> dict[str, str]:
    env = container_env(
        AWS_ACCESS_KEY_ID=peers["DEPLOYER_IT_MOTO_ACCESS_KEY"], AWS_SECRET_ACCESS_KEY=peers["DEPLOYER_IT_MOTO_SECRET_KEY"],
        AWS_ENDPOINT_URL=peers["DEPLOYER_IT_MOTO_ENDPOINT"], AWS_ENDPOINT_URL_S3=peers["DEPLOYER_IT_S3_ENDPOINT"],
        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1",
    )  # fmt: skip
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        env.pop(key, None)
    env.update(extra)
    return env


def _aws(peers: dict, service: str):
    client = boto3.client(
        service, region_name="us-east-1", endpoint_url=peers["DEPLOYER_IT_MOTO_ENDPOINT"],
        aws_access_key_id=peers["DEPLOYER_IT_MOTO_ACCESS_KEY"], aws_secret_access_key=peers["DEPLOYER_IT_MOTO_SECRET_KEY"],
    )  # fmt: skip

    def add_sha(request, **_):
        # Signed as S3 clients do: moto verifies a body-less POST (StartApplication) only so.
        body = request.body or b""
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body.encode() if isinstance(body, str) else body).hexdigest()

    client.meta.events.register("before-sign", add_sha)
    return client


class ImageProject:
    """A tiny job with a pinned pure-Python lock, on an EMR Serverless target with image:."""

    def __init__(self, root: Path, peers: dict, application: str, bucket: str, base: str = STANDIN):
        self.root, self.peers = root, peers
        (root / "jobs/tiny/src/tiny").mkdir(parents=True)
        (root / "jobs/tiny/main.py").write_text("import six\nprint('tiny', six.__version__)\n")
        (root / "jobs/tiny/config.yml").write_text("{}\n")
        (root / "jobs/tiny/src/tiny/__init__.py").write_text("")
        self.lock("six==1.16.0")
        seed = REPO / ".deployer" / "cache" / "wheels"
        if seed.is_dir() and not (root / ".deployer/cache/wheels").exists():
            (root / ".deployer/cache").mkdir(parents=True, exist_ok=True)
            (root / ".deployer/cache/wheels").symlink_to(seed)
        s3 = boto3.client(
            "s3", region_name="us-east-1", endpoint_url=peers["DEPLOYER_IT_S3_ENDPOINT"],
            aws_access_key_id=peers["DEPLOYER_IT_S3_ACCESS_KEY"], aws_secret_access_key=peers["DEPLOYER_IT_S3_SECRET_KEY"],
        )  # fmt: skip
        s3.create_bucket(Bucket=bucket)
        python = ".".join(map(str, sys.version_info[:2]))
        (root / "deployer.yml").write_text(
            "project: images\n"
            "targets:\n"
            "  prod:\n"
            "    engine: emr-serverless\n"
            "    region: us-east-1\n"
            f"    artifacts: {{bucket: {bucket}, prefix: d}}\n"
            f"    runtime: {{python: '{python}', arch: x86_64}}\n"
            f"    emr_serverless:\n      application_id: {application}\n"
            f"      execution_role_arn: arn:aws:iam::{ACCOUNT}:role/job\n"
            f"      image: {{repository: {REPOSITORY}, base: '{base}'}}\n"
            "jobs:\n"
            "  tiny:\n    source: jobs/tiny\n    entry_point: main.py\n    config: jobs/tiny/config.yml\n    requirements: jobs/tiny/requirements.txt\n"
        )

    def lock(self, line: str) -> None:
        (self.root / "jobs/tiny/requirements.txt").write_text(f"# lock\n{line}\n")

    def deployer(self, *args, timeout=900, **extra) -> subprocess.CompletedProcess:
        if args[0] in ("apply", "rollback"):
            args = (*args, "--auto-approve")
        return subprocess.run([str(DEPLOYER), *args], cwd=self.root, capture_output=True, text=True, timeout=timeout, env=_env(self.peers, **extra))


def _application(peers: dict, name: str) -> str:
    return _aws(peers, "emr-serverless").create_application(name=name, releaseLabel="emr-7.2.0", type="SPARK")["applicationId"]


def _image_uri(peers: dict, application: str) -> str | None:
    return _aws(peers, "emr-serverless").get_application(applicationId=application)["application"].get("imageConfiguration", {}).get("imageUri")


def _skopeo_digest(registry: Registry, reference: str) -> str:
    inspected = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--creds", f"AWS:{ACCOUNT}-auth-token", f"docker://127.0.0.1:{registry.port}/{reference}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert inspected.returncode == 0, inspected.stderr
    return json.loads(inspected.stdout)["Digest"]


def test_apply_builds_pushes_and_sets_the_image_then_pushes_nothing_again(peers, registry, tmp_path):
    application = _application(peers, "image-apply")
    project = ImageProject(tmp_path / "p", peers, application, "image-apply")
    # doctor checks the registry login, the repository and the tool before anything is built.
    doctor = project.deployer("doctor", "-t", "prod")
    assert f"✓ image registry: 127.0.0.1:{registry.port} accepts ECR's login and has repository deployer-jobs" in doctor.stdout, shown(doctor)
    assert f"✓ image build: podman builds {REPOSITORY} on {STANDIN}" in doctor.stdout, shown(doctor)
    plan = project.deployer("plan", "-t", "prod")
    assert plan.returncode == 0, shown(plan)
    assert f"+ image {REPOSITORY}:deployer-" in plan.stdout and f"(build on {STANDIN}, push)" in plan.stdout, plan.stdout
    assert f"~ image of application {application}: the engine's own image → the digest the push gives" in plan.stdout, plan.stdout

    before = registry.manifests_pushed()
    applied = project.deployer("apply", "-t", "prod")
    assert applied.returncode == 0, shown(applied)
    uri = _image_uri(peers, application)
    assert uri and uri.startswith(REPOSITORY + "@sha256:"), uri
    digest = uri.split("@", 1)[1]
    tag = plan.stdout.split(f"+ image {REPOSITORY}:", 1)[1].split()[0]
    # The registry holds it under its content tag, with the digest the application was given.
    assert _skopeo_digest(registry, f"deployer-jobs:{tag}") == digest
    assert registry.manifests_pushed() == before + 1
    # Pulled back by digest, the image holds the job's dependency bundle where the run looks.
    pulled = f"127.0.0.1:{registry.port}/deployer-jobs@{digest}"
    podman("pull", "--tls-verify=false", "--creds", f"AWS:{ACCOUNT}-auth-token", pulled)
    listed = podman("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", pulled, "-c", "id -un; ls /opt/deployer/deps/*/six.py")
    assert listed.stdout.splitlines()[0] == "hadoop", listed.stdout
    # The job's template puts that folder on the driver's and executors' PYTHONPATH, downloads no bundle.
    shown_plan = project.deployer("plan", "-t", "prod", "--json")
    assert shown_plan.returncode == 0, shown(shown_plan)
    document = json.loads(shown_plan.stdout)["plan"]
    template = document["jobs"][0]["desired"]["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"]
    folder = listed.stdout.splitlines()[1].rsplit("/", 1)[0]
    assert f"spark.executorEnv.PYTHONPATH={folder}" in template and f"spark.emr-serverless.driverEnv.PYTHONPATH={folder}" in template, template
    assert "spark.archives" not in template and "deps.zip" not in template, template
    assert document["image"]["action"] == "unchanged" and document["image"]["desired"] == uri, document["image"]

    again = project.deployer("apply", "-t", "prod")
    assert again.returncode == 0, shown(again)
    assert "No changes" in again.stdout, again.stdout
    assert registry.manifests_pushed() == before + 1
    assert _image_uri(peers, application) == uri


def test_a_changed_lock_is_a_new_tag_and_rollback_restores_the_previous_digest(peers, registry, tmp_path):
    application = _application(peers, "image-lock")
    project = ImageProject(tmp_path / "p", peers, application, "image-lock")
    first = project.deployer("apply", "-t", "prod")
    assert first.returncode == 0, shown(first)
    old = _image_uri(peers, application)
    deployment = [line for line in first.stdout.splitlines() if "deployment" in line]
    project.lock("six==1.17.0")
    plan = project.deployer("plan", "-t", "prod")
    assert plan.returncode == 0, shown(plan)
    assert f"+ image {REPOSITORY}:deployer-" in plan.stdout, plan.stdout
    assert f"~ image of application {application}: {old} → the digest the push gives" in plan.stdout, plan.stdout
    second = project.deployer("apply", "-t", "prod")
    assert second.returncode == 0, shown(second)
    new = _image_uri(peers, application)
    assert new != old and new.startswith(REPOSITORY + "@sha256:")

    history = project.deployer("deployments", "-t", "prod", "--json")
    assert history.returncode == 0, shown(history)
    records = json.loads(history.stdout)
    records = records.get("deployments", records) if isinstance(records, dict) else records
    first_id = sorted(r["id"] for r in records)[0]
    rolled = project.deployer("rollback", "-t", "prod", "--to", first_id)
    assert rolled.returncode == 0, shown(rolled) + "\n" + "\n".join(deployment)
    assert _image_uri(peers, application) == old


def test_a_started_application_is_stopped_first_and_one_with_runs_going_is_refused(peers, registry, tmp_path):
    es = _aws(peers, "emr-serverless")
    application = _application(peers, "image-busy")
    assert es.get_application(applicationId=application)["application"]["state"] == "STARTED"
    project = ImageProject(tmp_path / "p", peers, application, "image-busy")
    applied = project.deployer("apply", "-t", "prod")
    assert applied.returncode == 0, shown(applied)
    assert f"stopping idle EMR Serverless application {application}" in applied.stderr + applied.stdout
    assert es.get_application(applicationId=application)["application"]["state"] == "STOPPED"

    # A run going: the image is not changed, and the apply says why in one line.
    es.start_application(applicationId=application)
    urllib.request.urlopen(
        urllib.request.Request(
            peers["DEPLOYER_IT_MOTO_ENDPOINT"] + "/moto-api/deployer/emr-serverless", data=b'{"runs": "manual"}', method="POST",
            headers={"Content-Type": "application/json"},
        ),
        timeout=10,
    )  # fmt: skip
    try:
        run = es.start_job_run(
            applicationId=application, clientToken="busy", executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/job",
            jobDriver={"sparkSubmit": {"entryPoint": "s3://x/main.py"}},
        )["jobRunId"]  # fmt: skip
        before = _image_uri(peers, application)
        project.lock("six==1.17.0")
        refused = project.deployer("apply", "-t", "prod")
        assert refused.returncode != 0, shown(refused)
        assert f"EMR Serverless application {application} has 1 run going ({run}): its image can change only while it is stopped" in refused.stderr
        assert _image_uri(peers, application) == before
    finally:
        urllib.request.urlopen(
            urllib.request.Request(
                peers["DEPLOYER_IT_MOTO_ENDPOINT"] + "/moto-api/deployer/emr-serverless", data=b'{"runs": "default"}', method="POST",
                headers={"Content-Type": "application/json"},
            ),
            timeout=10,
        )  # fmt: skip


def test_bad_input_is_one_line_each_and_changes_nothing(peers, registry, tmp_path):
    application = _application(peers, "image-bad")
    # A base that does not exist.
    project = ImageProject(tmp_path / "missing-base", peers, application, "image-bad-base", base="localhost/no-such-base:1")
    failed = project.deployer("apply", "-t", "prod")
    assert failed.returncode != 0, shown(failed)
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "the image's base localhost/no-such-base:1 could not be read by podman" in errors[0], failed.stderr
    assert _image_uri(peers, application) is None
    # No container tool, for content the registry does not have yet.
    project = ImageProject(tmp_path / "no-tool", peers, application, "image-bad-tool")
    project.lock("six==1.15.0")
    bare = tmp_path / "bin"  # Python for the bundle, no container tool
    bare.mkdir()
    version = ".".join(map(str, sys.version_info[:2]))
    for name in ("python3", f"python{version}"):
        (bare / name).symlink_to(sys.executable)
    failed = project.deployer("apply", "-t", "prod", PATH=str(bare))
    assert failed.returncode != 0, shown(failed)
    assert "targets.prod.emr_serverless.image: neither podman nor docker is on PATH" in failed.stderr, failed.stderr
    assert _image_uri(peers, application) is None
    # A registry refusing the login: moto's token names another password than the registry's.
    other = Registry(tmp_path / "other-registry", "another-password")
    _control(peers, {"proxyEndpoint": other.endpoint})
    try:
        failed = project.deployer("plan", "-t", "prod")
    finally:
        _control(peers, {"proxyEndpoint": registry.endpoint})
        other.close()
    assert failed.returncode != 0, shown(failed)
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"registry 127.0.0.1:{other.port} refused the login ECR's GetAuthorizationToken gave (HTTP 401" in errors[0], failed.stderr
    assert f"{ACCOUNT}-auth-token" not in failed.stderr + failed.stdout
    assert base64.b64encode(f"AWS:{ACCOUNT}-auth-token".encode()).decode() not in failed.stderr + failed.stdout


# ---------------------------------------------------------------- faults

PROXY = REPO / "Tests" / "faults" / "fault_proxy.py"


class Proxy:
    """fault_proxy.py in front of moto for one deployer run (its requests numbered from 1)."""

    def __init__(self, folder: Path, upstream: str, pid_file: Path, **options):
        folder.mkdir(parents=True, exist_ok=True)
        port_file = folder / "port"
        command = [sys.executable, str(PROXY), "--upstream", upstream, "--port-file", str(port_file), "--log", str(folder / "log.jsonl")]
        for name, value in options.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        if "kill_at" in options:
            command += ["--kill-pid-file", str(pid_file)]
        self.log = folder / "log.jsonl"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(folder / "err", "w"), start_new_session=True)
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline and self.process.poll() is None, (folder / "err").read_text()
            time.sleep(0.05)
        self.endpoint = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def requests(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def _run_through(project: ImageProject, folder: Path, **options) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`apply` with its moto requests through a fault proxy (kill_at= kills it there)."""
    pid_file = folder / "pid"
    proxy = Proxy(folder, project.peers["DEPLOYER_IT_MOTO_ENDPOINT"], pid_file, **options)
    try:
        env = _env(project.peers, AWS_ENDPOINT_URL=proxy.endpoint)
        process = subprocess.Popen(
            [str(DEPLOYER), "apply", "-t", "prod", "--auto-approve"], cwd=project.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        pid_file.write_text(str(process.pid))
        out, err = process.communicate(timeout=900)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err), proxy.requests()
    finally:
        proxy.close()


def _auth_folders() -> list[str]:
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"deployer-registry-auth-{os.getuid()}"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _converged(project: ImageProject, application: str, expected_tag: str, registry: Registry, killed: str = "") -> list[str]:
    """One fault-free apply (forcing open the lock a killed apply, whose stderr is `killed`,
    held: a lease outlives a kill -9 until it expires), then the checks: the application has
    the tag's digest, the next apply has nothing to do, no login file is left."""
    problems = []
    held = re.findall(r"locked prod \(lock ([0-9a-f-]+)\)", killed)
    unlock = ["--force-unlock", held[-1]] if held and f"released lock {held[-1]}" not in killed else []
    recovery = project.deployer("apply", "-t", "prod", *unlock)
    if recovery.returncode != 0:
        problems.append("recovery apply failed: " + recovery.stderr.strip().splitlines()[-1])
        return problems
    uri = _image_uri(project.peers, application)
    if uri != f"{REPOSITORY}@{_skopeo_digest(registry, f'deployer-jobs:{expected_tag}')}":
        problems.append(f"application image {uri}, not the tag's digest")
    again = project.deployer("plan", "-t", "prod", "--detailed-exitcode")
    if again.returncode != 0:
        problems.append(f"plan after recovery exits {again.returncode}: {again.stdout.strip().splitlines()[-1:]}")
    if _auth_folders():
        problems.append(f"login folders left: {_auth_folders()}")
    return problems


def _fresh(peers: dict, tmp_path: Path, name: str) -> tuple[ImageProject, str, str]:
    """A new application and bucket, and a base of its own (the same stand-in under another
    name), so the image's content tag is new and the trial builds and pushes."""
    application = _application(peers, name)
    base = f"localhost/deployer-emr-standin:{name}"
    podman("tag", STANDIN, base)
    project = ImageProject(tmp_path / name, peers, application, name, base=base)
    plan = project.deployer("plan", "-t", "prod")
    assert plan.returncode == 0, shown(plan)
    tag = plan.stdout.split(f"+ image {REPOSITORY}:", 1)[1].split()[0]
    return project, application, tag


def test_killed_at_every_step_of_an_image_apply_then_one_apply_converges(peers, registry, tmp_path):
    """SIGKILL at each moto request of a first apply with an image (before it is forwarded and
    after it was answered): the login, build, push, stop and image update all sit between them."""
    project, application, tag = _fresh(peers, tmp_path, "kill-count")
    clean, requests = _run_through(project, tmp_path / "count-proxy")
    assert clean.returncode == 0, shown(clean)
    steps = len(requests)
    operations = [f"{r['method']} {r['path'].split('?')[0][-40:]}" for r in requests]
    assert 8 <= steps <= 60, operations
    print(f"clean apply: {steps} moto requests: " + ", ".join(operations), flush=True)
    failures = []
    for when in ("before", "after"):
        for n in range(1, steps + 1):
            trial, application, tag = _fresh(peers, tmp_path, f"k{when[0]}{n}")
            run, seen = _run_through(trial, tmp_path / f"proxy-{when}-{n}", kill_at=n, kill_when=when)
            problems = _converged(trial, application, tag, registry, killed=run.stderr)
            at = next((r for r in seen if str(r.get("fault") or "").startswith("kill")), None)
            where = f"{at['method']} {at['path'].split('?')[0][-40:]}" if at else "-"
            if at is None:
                failures.append(f"kill {when} {n}: the proxy killed nothing")
            print(f"kill {when} {n}/{steps} at {where}: exit {run.returncode}; " + ("converged" if not problems else " | ".join(problems)), flush=True)
            if problems:
                failures.append(f"kill {when} {n} at {where}: " + " | ".join(problems))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_random_faults_on_an_image_apply_then_one_apply_converges(peers, registry, tmp_path, seed):
    """5xx, throttles, lost requests and answers, cut bodies at a 30% rate on every moto request."""
    project, application, tag = _fresh(peers, tmp_path, f"faults{seed}")
    run, seen = _run_through(project, tmp_path / "proxy", seed=seed, rate=0.3)
    faults = [r["fault"] for r in seen if r.get("fault")]
    print(f"seed {seed}: exit {run.returncode}, {len(faults)} faults in {len(seen)} requests", flush=True)
    assert faults, "the proxy injected no fault"
    if run.returncode != 0:
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "converges" in errors[0] or "resumes" in errors[0], run.stderr
    assert f"{peers['DEPLOYER_IT_MOTO_SECRET_KEY']}" not in run.stdout + run.stderr
    assert not _converged(project, application, tag, registry)


def test_killed_during_the_push_leaves_no_login_and_the_next_apply_converges(peers, registry, tmp_path):
    """kill -9 of deployer while podman pushes: its login folder outlives it until the next
    apply sweeps it; that apply converges."""
    project, application, tag = _fresh(peers, tmp_path, "kill-push")
    process = subprocess.Popen(
        [str(DEPLOYER), "apply", "-t", "prod", "--auto-approve"], cwd=project.root, env=_env(peers), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 600
    while not any(name.startswith(f"{process.pid}-") for name in _auth_folders()):
        assert process.poll() is None and time.monotonic() < deadline, "the apply ended before its push: " + process.stderr.read()
        time.sleep(0.02)
    process.kill()
    _, err = process.communicate(timeout=30)
    assert any(name.startswith(f"{process.pid}-") for name in _auth_folders())
    assert _image_uri(peers, application) is None
    assert not _converged(project, application, tag, registry, killed=err)
