"""The jobs as installable packages: each pyproject.toml builds a wheel that carries the code,
the SQL models and the packaged default config, and the installed job runs from it alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from conftest import JOBS_DIR, SAMPLE_DATA


def test_the_wheels_install_and_the_installed_job_runs_on_the_sample(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels)]
        + [str(JOBS_DIR / name) for name in ("common", "sales_etl", "cdc_merge")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    names = sorted(p.name for p in wheels.iterdir())
    assert names == ["cdc_merge-1.0.0-py3-none-any.whl", "jobs_common-1.0.0-py3-none-any.whl", "sales_etl-1.0.0-py3-none-any.whl"]
    members = zipfile.ZipFile(wheels / "sales_etl-1.0.0-py3-none-any.whl").namelist()
    assert "sales_etl/config.yml" in members and "sales_etl/models/fact_sales.sql" in members and "sales_etl/schemas.json" in members
    assert "cdc_merge/config.yml" in zipfile.ZipFile(wheels / "cdc_merge-1.0.0-py3-none-any.whl").namelist()

    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)] + [str(p) for p in wheels.iterdir()],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    # Only the installed copy is importable: run from elsewhere with the target alone on the path
    # (the interpreter's own site-packages give duckdb and pyarrow).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    out = tmp_path / "out"
    code = (
        "import sys, sales_etl; assert sales_etl.__file__.startswith(sys.argv[1]), sales_etl.__file__; "
        "from sales_etl.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(target), "--runtime", "duckdb", "--source_path", str(SAMPLE_DATA), "--output_path", str(out), "--run_id", "pkg-1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    manifest = json.loads((out / "_manifest.json").read_text())
    assert (manifest["run_id"], manifest["runtime"], manifest["status"]) == ("pkg-1", "duckdb", "succeeded")
    # The packaged default config was used: its earliest_entry_date, not a copy from the source tree.
    assert manifest["config"]["earliest_entry_date"] == "2020-06-01"
    assert all(info["rows"] > 0 for info in manifest["tables"].values()), manifest["tables"]
