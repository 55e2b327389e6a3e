"""Fixtures of the dependency-bundle suite: the built deployer, a shared wheel cache, one
isolated interpreter (a venv holding only pyspark and py4j) and one Spark standalone cluster.

Each test gets its own project folder (a copy of the jobs it needs and its own deployer.yml);
the wheel cache is shared through a symbolic link so pip downloads a wheel at most once per run.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOYER = REPO / ".build" / "debug" / "deployer"
# The interpreter running pytest: has pip (pip downloads the wheels) and pyspark (spark-submit, spark-class).
PYTHON = os.path.realpath(sys.executable)

# Table row counts of sales_etl on the committed sample (jobs/sample_data, --as_of 2021-06-30),
# as the same job prints them when run by plain python3 (whose site-packages has PyYAML).
EXPECTED_ROWS = {
    "account_details": 90,
    "invoice_details": 482,
    "fact_sales": 482,
    "fact_sales_processed": 482,
    "monthly_sales_summary": 12,
    "client_profile": 20,
}
QUARANTINED_ROWS = 4


def pyspark_home():
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def clean_environment(**extra):
    """The environment deployer (and Spark) get: none of the caller's Python paths or interpreters."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "PYTHONPATH",
            "PYTHONHOME",
            "PYSPARK_PYTHON",
            "PYSPARK_DRIVER_PYTHON",
            "SPARK_HOME",
            "DEPLOYER_PIP_PYTHON",
            "DEPLOYER_JOBS_PYTHON",
            "VIRTUAL_ENV",
            "SPARK_SUBMIT",
        )
    }
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["DEPLOYER_PIP_PYTHON"] = PYTHON
    env.update(extra)
    return env


class Result:
    def __init__(self, args, completed):
        self.args = args
        self.status = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    @property
    def all(self):
        return f"$ deployer {' '.join(self.args)}\n(exit {self.status})\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


class Project:
    """A folder with deployer.yml, the jobs it names and a link to the shared wheel cache."""

    def __init__(self, root: Path, wheel_cache: Path):
        self.root = root
        (root / "jobs").mkdir(parents=True, exist_ok=True)
        (root / ".deployer" / "cache").mkdir(parents=True, exist_ok=True)
        (root / ".deployer" / "cache" / "wheels").symlink_to(wheel_cache, target_is_directory=True)

    def copy_jobs(self, *names):
        for name in names:
            shutil.copytree(REPO / "jobs" / name, self.root / "jobs" / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def write(self, relative, text):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def manifest(self, text):
        return self.write("deployer.yml", text)

    def deployer(self, *args, timeout=600, env=None):
        completed = subprocess.run([str(DEPLOYER), *args], cwd=self.root, capture_output=True, text=True, timeout=timeout, env=env or clean_environment())
        return Result(args, completed)

    @property
    def store(self):
        return self.root / "state"


@pytest.fixture(scope="session", autouse=True)
def _deployer_built():
    if not DEPLOYER.exists():
        pytest.exit(f"{DEPLOYER} is missing: swift build --product deployer", returncode=1)


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory):
    """One wheel cache for the whole run, seeded from the repo's own (.deployer/cache/wheels)."""
    cache = tmp_path_factory.mktemp("wheels")
    seed = REPO / ".deployer" / "cache" / "wheels"
    if seed.is_dir():
        shutil.copytree(seed, cache, dirs_exist_ok=True)
    return cache


@pytest.fixture
def project(tmp_path, wheel_cache):
    return Project(tmp_path / "project", wheel_cache)


@pytest.fixture(scope="session")
def isolated_python(tmp_path_factory):
    """A venv without pip whose site-packages holds only pyspark and py4j (links to this machine's)."""
    import py4j

    venv = tmp_path_factory.mktemp("venv") / "isolated"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    (site / "pyspark").symlink_to(pyspark_home(), target_is_directory=True)
    (site / "py4j").symlink_to(Path(py4j.__file__).resolve().parent, target_is_directory=True)
    return str(python)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, root: Path):
        self.root = root
        self.processes = []
        self.port = None
        self.work_dirs = []

    @property
    def master_url(self):
        return f"spark://127.0.0.1:{self.port}"

    def start(self):
        home = pyspark_home()
        spark_class = str(home / "bin" / "spark-class")
        # Workers (and the executors they start) see no PYTHONPATH: a job's packages can only
        # come from what the driver ships (--py-files, spark.archives).
        env = clean_environment(SPARK_HOME=str(home), SPARK_LOG_DIR=str(self.root / "logs"), SPARK_NO_DAEMONIZE="1")
        self.port = free_port()
        master_log = self.root / "master.log"
        self._spawn(
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(free_port())],
            env,
            master_log,
        )
        self._wait(master_log, "I have been elected leader", 60)
        for index in range(2):
            work = self.root / f"worker{index}"
            work.mkdir()
            self.work_dirs.append(work)
            self._spawn(
                [
                    spark_class,
                    "org.apache.spark.deploy.worker.Worker",
                    self.master_url,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(free_port()),
                    "--webui-port",
                    str(free_port()),
                    "--cores",
                    "1",
                    "--memory",
                    "1g",
                    "--work-dir",
                    str(work),
                ],
                env,
                self.root / f"worker{index}.log",
            )
        for index in range(2):
            self._wait(self.root / f"worker{index}.log", "Successfully registered with master", 60)

    def _spawn(self, command, env, log):
        with open(log, "w") as out:
            self.processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))

    def _wait(self, log, text, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if log.exists() and text in log.read_text(errors="replace"):
                return
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.25)
        raise RuntimeError(
            f"Spark standalone: {text!r} not in {log} within {seconds}s:\n" + (log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)")
        )

    def stop(self):
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A Spark standalone master and two workers (1 core, 1 GB each) on 127.0.0.1."""
    running = Cluster(tmp_path_factory.mktemp("spark-standalone"))
    try:
        running.start()
        yield running
    finally:
        running.stop()
