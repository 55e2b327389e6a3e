"""The DuckDB runtime on S3 through pyarrow's own S3 client (what a Glue Python shell job uses):
SeaweedFS with strict SigV4, started by Tests/peers/start.sh unless the peers already run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from conftest import REPO_ROOT, SAMPLE_DATA
from sales_etl.cli import main


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    env = dict(os.environ)
    state = None
    if "DEPLOYER_IT_S3_ENDPOINT" not in env:
        if not shutil.which("weed"):
            pytest.skip("SeaweedFS (weed) not installed and no peers running: run bash Tests/setup.sh")
        state = tmp_path_factory.mktemp("peers")
        # The peers run on the machine's python3 (moto, boto3), not this suite's venv.
        path = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix))
        peers_env = {**{k: v for k, v in env.items() if k != "VIRTUAL_ENV"}, "PATH": path}
        started = subprocess.run(["bash", str(REPO_ROOT / "Tests/peers/start.sh"), str(state)], capture_output=True, text=True, timeout=300, env=peers_env)
        assert started.returncode == 0, started.stdout + started.stderr
        for line in (state / "peers.env").read_text().splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                env[key] = value.strip().strip("'\"")
    yield {
        "AWS_ENDPOINT_URL_S3": env["DEPLOYER_IT_S3_ENDPOINT"],
        "AWS_ACCESS_KEY_ID": env["DEPLOYER_IT_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": env["DEPLOYER_IT_S3_SECRET_KEY"],
        "AWS_REGION": "us-east-1",
    }
    if state is not None:
        subprocess.run(["bash", str(REPO_ROOT / "Tests/peers/stop.sh"), str(state)], capture_output=True, timeout=120, env=peers_env)


@pytest.fixture
def bucket(s3, monkeypatch):
    for key, value in s3.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    endpoint = s3["AWS_ENDPOINT_URL_S3"]
    fs = pafs.S3FileSystem(region="us-east-1", endpoint_override=endpoint.split("://", 1)[1], scheme=endpoint.split("://", 1)[0], allow_bucket_creation=True)
    name = f"duck-{uuid.uuid4().hex[:12]}"
    fs.create_dir(name)
    for path in Path(SAMPLE_DATA).glob("*.csv"):
        with fs.open_output_stream(f"{name}/raw/{path.name}") as stream:
            stream.write(path.read_bytes())
    return name, fs


def test_reads_and_publishes_on_s3_and_a_rerun_changes_nothing(bucket, capsys):
    name, fs = bucket
    out = f"s3://{name}/curated/sales_etl"
    args = ["--runtime", "duckdb", "--source_path", f"s3://{name}/raw", "--output_path", out, "--as_of", "2022-06-30", "--run_id", "s3run"]
    assert main(args) == 0, capsys.readouterr().err
    assert f"fact_sales                      482 rows  -> {out}/fact_sales/run_id=s3run" in capsys.readouterr().out
    with fs.open_input_stream(f"{name}/curated/sales_etl/_manifest.json") as stream:
        manifest = json.loads(stream.read())
    assert manifest["run_id"] == "s3run" and manifest["tables"]["client_profile"]["rows"] == 20
    parts = fs.get_file_info(pafs.FileSelector(f"{name}/curated/sales_etl/fact_sales/run_id=s3run", recursive=True))
    assert any(p.path.endswith(".parquet") and "/year=2020/month=6/" in p.path for p in parts)
    assert main(args) == 0
    assert "run s3run is already published; nothing was recomputed" in capsys.readouterr().out


def test_the_size_guard_reads_the_store_listing(bucket, capsys):
    name, _ = bucket
    args = ["--runtime", "duckdb", "--source_path", f"s3://{name}/raw", "--output_path", f"s3://{name}/out", "--duckdb_max_input_bytes", "1000"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "above duckdb_max_input_bytes" in err and "run this job with runtime spark" in err
