"""Fixtures of the container suite: the jobs' image built from the repository's Dockerfile on a
stand-in base made from Debian's packages (no public image can be pulled here), podman set up for
this machine kind (containers.conf), and the built deployer.

The suite runs wherever podman does; on a machine without it, it fails under CI and skips loudly
elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEPLOYER = REPO / ".build" / "debug" / "deployer"
BASE = "localhost/deployer-test-base:bookworm"
IMAGE = "localhost/deployer-jobs:suite"
PYTHON = os.path.realpath(sys.executable)


def container_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_HOME", "SPARK_SUBMIT")}
    env.setdefault("CONTAINERS_CONF", str(HERE / "containers.conf"))
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["DEPLOYER_PIP_PYTHON"] = PYTHON
    env.update(extra)
    return env


def podman(*args, check=True, timeout=600) -> subprocess.CompletedProcess:
    completed = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, env=container_env())
    if check and completed.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {completed.returncode}:\n{completed.stdout}\n{completed.stderr}")
    return completed


def run_in_image(image: str, folder: Path, *args, timeout=600) -> subprocess.CompletedProcess:
    """`podman run` of the image's own entry point as a user would start it, `folder` mounted at
    its own path (so the paths the job prints are the host's) and at /job."""
    return podman(
        "run", "--rm", "--network", "host", "--user", f"{os.getuid()}:{os.getgid()}",
        "--volume", f"{folder}:{folder}:rw", "--volume", f"{folder}:/job:rw", image, *args,
        check=False, timeout=timeout,
    )  # fmt: skip


def published_tables(out: Path) -> dict[str, Path]:
    """Table name → folder of the published run (and the quarantine), from _manifest.json."""
    manifest = json.loads((out / "_manifest.json").read_text())
    tables = {name: Path(t["path"].removeprefix("file:")) for name, t in manifest.get("tables", {}).items()}
    if "quarantine" in manifest:
        tables["quarantine"] = Path(manifest["quarantine"]["path"].removeprefix("file:"))
    return tables


def table_rows(path: Path, drop=("ingest_ts", "run_id")) -> list[tuple]:
    """The table's rows, sorted, without the columns that name the run (its id and start time)."""
    data = ds.dataset(str(path), format="parquet", partitioning="hive").to_table()
    keep = [name for name in data.column_names if name not in drop]
    rows = data.select(keep).to_pylist()
    return sorted((tuple((k, row[k]) for k in keep) for row in rows), key=repr)


def shown(completed: subprocess.CompletedProcess) -> str:
    """A finished deployer command as a failed assertion shows it."""
    return f"$ {' '.join(map(str, completed.args))}\n(exit {completed.returncode})\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"


class Project:
    """A folder with deployer.yml and a copy of the jobs (a container sees only what is mounted)."""

    def __init__(self, root: Path):
        self.root = root
        (root / "jobs").mkdir(parents=True)
        for name in ("common", "sales_etl", "cdc_merge", "sample_data", "sample_cdc"):
            shutil.copytree(REPO / "jobs" / name, root / "jobs" / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        seed = REPO / ".deployer" / "cache" / "wheels"
        if seed.is_dir():
            (root / ".deployer" / "cache").mkdir(parents=True)
            shutil.copytree(seed, root / ".deployer" / "cache" / "wheels")

    def manifest(self, text: str):
        (self.root / "deployer.yml").write_text(text)

    def deployer(self, *args, timeout=600, env=None) -> subprocess.CompletedProcess:
        return subprocess.run([str(DEPLOYER), *args], cwd=self.root, capture_output=True, text=True, timeout=timeout, env=env or container_env())

    def start(self, *args, env=None):
        return subprocess.Popen([str(DEPLOYER), *args], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or container_env())


@pytest.fixture(scope="session")
def image():
    """The jobs' image, built by the repository's Dockerfile on the stand-in base."""
    if shutil.which("podman") is None:
        message = "podman is not installed: Tests/setup.sh installs podman, runc, catatonit and debootstrap"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for script, args in (("make-base.sh", [BASE]), ("build-image.sh", [IMAGE, BASE])):
        completed = subprocess.run(["bash", str(HERE / script), *args], capture_output=True, text=True, timeout=1800, env=container_env())
        assert completed.returncode == 0, f"{script} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
    return IMAGE


@pytest.fixture
def project(tmp_path):
    if not DEPLOYER.exists():
        pytest.fail(f"{DEPLOYER} is missing: swift build --product deployer")
    return Project(tmp_path / "project")
