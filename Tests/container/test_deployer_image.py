"""A `local` target with `image:`: deployer runs the job inside the jobs' image with the same
records, logs, exit codes and cost line as a native run, and Ctrl-C/SIGTERM leaves no container."""

from __future__ import annotations

import json
import signal
import time

from conftest import container_env, podman, published_tables, shown, table_rows

MANIFEST = """\
project: containers
default_target: local
targets:
  local:
    engine: local
    artifacts:
      path: .deployer/local
    job_runtime: {runtime}
    local:
      image: {image}
jobs:
  sales_etl:
    source: jobs/sales_etl
    libraries: [jobs/common]
    requirements: jobs/sales_etl/requirements.txt
    duckdb:
      requirements: jobs/sales_etl/requirements-duckdb.txt
    entry_point: main.py
    config: jobs/sales_etl/config.yml
    arguments:
      --source_path: jobs/sample_data
      --output_path: .deployer/local/output/sales_etl
      --as_of: "2021-06-30"
"""

EXPECTED_ROWS = {
    "account_details": 90, "invoice_details": 482, "fact_sales": 482, "fact_sales_processed": 482, "monthly_sales_summary": 12, "client_profile": 20,
}  # fmt: skip


def containers_named(prefix: str) -> list[str]:
    return [name for name in podman("ps", "--all", "--format", "{{.Names}}").stdout.split() if name.startswith(prefix)]


def test_apply_run_logs_status_in_the_image(project, image):
    project.manifest(MANIFEST.format(image=image, runtime="spark"))
    applied = project.deployer("apply", "-t", "local", "--auto-approve")
    assert applied.returncode == 0, shown(applied)
    ran = project.deployer("run", "sales_etl", "-t", "local", "--wait", "--timeout", "10m")
    assert ran.returncode == 0, shown(ran)
    assert "EXITED 0" in ran.stdout and "cost: $0.00 = local: " in ran.stdout, shown(ran)
    cpu = float(ran.stdout.split("cost: $0.00 = local: ")[1].split(" CPU-seconds")[0])
    assert cpu > 5, f"the job's CPU time is measured inside the container, not the podman client's: {cpu}"
    logs = project.deployer("logs", "sales_etl", "-t", "local", "--run", "latest")
    assert logs.returncode == 0, shown(logs)
    assert "Spark version 3.5.4" in logs.stdout, "the run happened in the image (its Spark), not on this machine's"
    assert "sales_etl: run " in logs.stdout and " succeeded " in logs.stdout, shown(logs)
    out = project.root / ".deployer" / "local" / "output" / "sales_etl"
    tables = published_tables(out)
    assert {name: len(table_rows(tables[name])) for name in EXPECTED_ROWS} == EXPECTED_ROWS
    status = project.deployer("status", "sales_etl", "-t", "local", "--json")
    assert status.returncode == 0, shown(status)
    assert '"succeeded"' in status.stdout and "fact_sales_processed" in status.stdout, shown(status)
    assert containers_named("deployer-") == []
    # What a container may write: the output and the run's folder, as the caller (not the image's user).
    assert out.stat().st_uid == project.root.stat().st_uid


def test_the_duckdb_runtime_runs_in_the_image_too(project, image):
    project.manifest(MANIFEST.format(image=image, runtime="duckdb"))
    assert project.deployer("apply", "-t", "local", "--auto-approve").returncode == 0
    ran = project.deployer("run", "sales_etl", "-t", "local", "--wait", "--timeout", "5m")
    assert ran.returncode == 0, shown(ran)
    run_folder = next((project.root / ".deployer" / "local" / "runs").glob("*/local-*"))
    command = json.loads((run_folder / "run.json").read_text())["command"]
    assert command[1:4] == ["run", "--rm", "--init"] and image in command and "python3" in command, command
    tables = published_tables(project.root / ".deployer" / "local" / "output" / "sales_etl")
    assert {name: len(table_rows(tables[name])) for name in EXPECTED_ROWS} == EXPECTED_ROWS


def test_sigterm_cancels_the_run_exit_3_and_no_container_is_left(project, image):
    project.manifest(MANIFEST.format(image=image, runtime="spark"))
    assert project.deployer("apply", "-t", "local", "--auto-approve").returncode == 0
    waiting = project.start("run", "sales_etl", "-t", "local", "--wait", "--timeout", "10m")
    deadline = time.monotonic() + 120
    while not containers_named("deployer-") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert containers_named("deployer-"), "the run's container never started"
    time.sleep(2)
    waiting.send_signal(signal.SIGTERM)
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 3, f"{stdout}\n{stderr}"
    assert "cancelled" in stderr, stderr
    assert containers_named("deployer-") == [], "the run's container outlived the cancel"
    status = project.deployer("status", "sales_etl", "-t", "local")
    assert "cancelled" in status.stdout, shown(status)


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_a_missing_image_is_one_line_naming_it_and_how_to_build_it(project, image):
    project.manifest(MANIFEST.format(image="localhost/deployer-jobs:never-built", runtime="spark"))
    applied = project.deployer("apply", "-t", "local", "--auto-approve")
    assert applied.returncode != 0
    line = one_line(applied.stderr)
    assert "image localhost/deployer-jobs:never-built is not in podman's local images" in line, line
    assert "podman build -t localhost/deployer-jobs:never-built ." in line, line


def test_no_container_tool_is_one_line(project, image):
    project.manifest(MANIFEST.format(image=image, runtime="spark"))
    applied = project.deployer("apply", "-t", "local", "--auto-approve", env=container_env(DEPLOYER_CONTAINER_TOOL="/opt/nowhere/podman"))
    assert applied.returncode != 0
    assert one_line(applied.stderr).endswith("DEPLOYER_CONTAINER_TOOL=/opt/nowhere/podman is not an executable: install podman or docker, or unset it")


def test_a_malformed_image_reference_fails_validate_naming_the_field(project, image):
    project.manifest(MANIFEST.format(image="Deployer Jobs:latest", runtime="spark"))
    validated = project.deployer("validate", "-t", "local")
    assert validated.returncode != 0
    line = one_line(validated.stderr)
    assert "deployer.yml:" in line and "local.image" in line and "NAME[:TAG][@sha256:DIGEST]" in line, line
