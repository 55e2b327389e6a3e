"""Jobs carry their own Python dependencies (jobs.NAME.requirements): the bundle deployer builds
is all a job gets, proved with an interpreter that has nothing but pyspark, on local Spark and on
a real Spark standalone cluster whose workers have no PYTHONPATH; bad locks fail early and
precisely; an unchanged lock uploads nothing.
"""

import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import EXPECTED_ROWS, PYTHON, QUARANTINED_ROWS, clean_environment


def sales_etl_job(requirements=True, output="out/sales_etl"):
    lines = [
        "  sales_etl:",
        "    source: jobs/sales_etl",
        "    libraries: [jobs/common]",
        "    entry_point: main.py",
        "    config: jobs/sales_etl/config.yml",
    ]
    if requirements:
        lines.append("    requirements: jobs/sales_etl/requirements.txt")
    lines += [
        "    arguments:",
        "      --source_path: jobs/sample_data",
        f"      --output_path: {output}",
        '      --as_of: "2021-06-30"',
    ]
    return "\n".join(lines) + "\n"


def native_job(output="out/nativejob.json"):
    return (
        "  nativejob:\n"
        "    source: jobs/nativejob\n"
        "    entry_point: main.py\n"
        "    config: jobs/nativejob/config.yml\n"
        "    requirements: jobs/nativejob/requirements.txt\n"
        "    arguments:\n"
        f"      --output: {output}\n"
    )


def manifest(target, *jobs):
    name = textwrap.dedent(target).split(":", 1)[0]
    return f"project: deptest\ndefault_target: {name}\ntargets:\n" + textwrap.indent(textwrap.dedent(target), "  ") + "jobs:\n" + "".join(jobs)


def local_target(python=None, master="local[2]"):
    text = f'local:\n  engine: local\n  artifacts: {{path: state}}\n  local:\n    master: "{master}"\n'
    if python:
        text += f"    python: {python}\n"
    return text


NATIVE_MAIN = '''\
"""Runs a probe on the executors that needs PyYAML's C extension and six, and writes what it saw."""
import json
import os
import sys

from pyspark.sql import SparkSession

from nativejob import probe


def main(argv):
    output = argv[argv.index("--output") + 1]
    spark = SparkSession.builder.appName("nativejob").getOrCreate()
    seen = spark.sparkContext.parallelize(range(8), 4).mapPartitions(probe).collect()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output + ".tmp", "w") as out:
        json.dump({"driver_executable": sys.executable, "partitions": [json.loads(s) for s in seen]}, out, indent=1)
    os.replace(output + ".tmp", output)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

NATIVE_PACKAGE = '''\
import json
import os
import sys


def probe(rows):
    """On an executor: parse with yaml.CSafeLoader (exists only with the _yaml C extension) and use six."""
    import six
    import yaml

    loaded = yaml.load("a: [1, 2]\\nb: {c: d}\\n", Loader=yaml.CSafeLoader)
    yield json.dumps({
        "rows": sum(1 for _ in rows),
        "executable": sys.executable,
        "cwd": os.getcwd(),
        "yaml_file": os.path.realpath(yaml.__file__),
        "yaml_version": yaml.__version__,
        "with_libyaml": yaml.__with_libyaml__,
        "cyaml_ext": os.path.realpath(sys.modules["yaml._yaml"].__file__) if "yaml._yaml" in sys.modules else None,
        "six_file": os.path.realpath(six.__file__),
        "six_version": six.__version__,
        "loaded": loaded,
        "text_type": six.text_type.__name__,
    })
'''


def write_native_job(project):
    project.write("jobs/nativejob/main.py", NATIVE_MAIN)
    project.write("jobs/nativejob/config.yml", "# nothing to configure\n{}\n")
    project.write("jobs/nativejob/src/nativejob/__init__.py", NATIVE_PACKAGE)
    # PyYAML's wheel is native (_yaml C extension), six's is pure: one of each delivery.
    project.write("jobs/nativejob/requirements.txt", "PyYAML==6.0.2\nsix==1.16.0\n")


def assert_ok(result):
    assert result.status == 0, result.all


def check_sales_tables(project, output="out/sales_etl"):
    out = project.root / output
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["status"] == "succeeded", manifest
    rows = {name: table["rows"] for name, table in manifest["tables"].items()}
    assert rows == EXPECTED_ROWS
    assert manifest["quarantine"]["rows"] == QUARANTINED_ROWS
    for name, table in manifest["tables"].items():
        path = Path(re.sub(r"^file:", "", table["path"]))
        assert path.is_dir() and str(path).startswith(str(out)), (name, path)
        parquet = [p for p in path.rglob("*.parquet") if p.stat().st_size > 0]
        assert parquet, f"{name}: no parquet files under {path}"


def run_and_check(project, job, timeout="8m"):
    run = project.deployer("run", job, "--wait", "--timeout", timeout)
    logs = project.deployer("logs", job, "--run", "latest")
    assert run.status == 0, run.all + "\n--- driver log (tail)\n" + "\n".join(logs.stdout.splitlines()[-60:])
    return run, logs


def dependency_digest(project):
    folders = list((project.store / "dependencies").iterdir())
    assert len(folders) == 1, folders
    return folders[0]


# ---------------------------------------------------------------------------------------------
# 1. The isolated interpreter gets PyYAML only from the bundle.


def test_isolated_interpreter_has_pyspark_but_no_yaml(isolated_python):
    assert subprocess.run([isolated_python, "-c", "import pyspark, py4j"], capture_output=True).returncode == 0
    no_yaml = subprocess.run([isolated_python, "-c", "import yaml"], capture_output=True, text=True)
    assert no_yaml.returncode != 0 and "No module named 'yaml'" in no_yaml.stderr, no_yaml.stderr


def test_sales_etl_runs_on_an_interpreter_without_yaml(project, isolated_python):
    project.copy_jobs("sales_etl", "common", "sample_data")
    project.manifest(manifest(local_target(isolated_python), sales_etl_job()))
    assert_ok(project.deployer("validate"))
    apply = project.deployer("apply", "--auto-approve")
    assert_ok(apply)
    assert "+ dependencies sales_etl" in apply.stdout, apply.all
    bundle = dependency_digest(project)
    assert sorted(p.name for p in bundle.iterdir()) == ["SHA256SUMS", "site-packages.zip"]
    _, logs = run_and_check(project, "sales_etl")
    assert "sales_etl: run" in logs.stdout and "succeeded" in logs.stdout, logs.stdout[-3000:]
    check_sales_tables(project)


def test_without_requirements_the_same_job_fails_on_missing_yaml(project, isolated_python):
    """Negative control: the venv really lacks PyYAML, so only the bundle made the run above work."""
    project.copy_jobs("sales_etl", "common", "sample_data")
    project.manifest(manifest(local_target(isolated_python), sales_etl_job(requirements=False)))
    assert_ok(project.deployer("apply", "--auto-approve"))
    assert not (project.store / "dependencies").exists()
    run = project.deployer("run", "sales_etl", "--wait", "--timeout", "5m")
    assert run.status != 0, run.all
    logs = project.deployer("logs", "sales_etl", "--run", "latest")
    assert_ok(logs)
    assert "ModuleNotFoundError: No module named 'yaml'" in logs.stdout, logs.stdout[-3000:]
    assert not (project.root / "out" / "sales_etl" / "_manifest.json").exists()


# ---------------------------------------------------------------------------------------------
# 2. A native wheel (PyYAML, C extension) and a pure one (six), used on the executors.


def check_native_result(project, isolated_python, output="out/nativejob.json"):
    result = json.loads((project.root / output).read_text())
    partitions = result["partitions"]
    assert len(partitions) == 4 and sum(p["rows"] for p in partitions) == 8, partitions
    for seen in partitions:
        assert seen["executable"] == isolated_python, seen
        assert seen["yaml_version"] == "6.0.2" and seen["with_libyaml"] is True, seen
        assert seen["loaded"] == {"a": [1, 2], "b": {"c": "d"}}, seen
        assert seen["six_version"] == "1.16.0" and seen["text_type"] == "str", seen
        assert seen["cyaml_ext"] and seen["cyaml_ext"].endswith(".so"), seen
    return result


def test_native_and_pure_wheels_on_executors_of_local_spark(project, isolated_python):
    write_native_job(project)
    project.manifest(manifest(local_target(isolated_python), native_job()))
    apply = project.deployer("apply", "--auto-approve")
    assert_ok(apply)
    bundle = dependency_digest(project)
    # six is pure (deps.zip on --py-files), PyYAML native (site-packages.zip for spark.archives).
    assert sorted(p.name for p in bundle.iterdir()) == ["SHA256SUMS", "deps.zip", "site-packages.zip"]
    run_and_check(project, "nativejob")
    result = check_native_result(project, isolated_python)
    for seen in result["partitions"]:
        # Executors of local Spark: PyYAML from the unpacked archive, six from deps.zip.
        assert "/deps/yaml/" in seen["yaml_file"] or "/unpacked/" in seen["yaml_file"], seen
        assert "deps.zip" in seen["six_file"], seen


# ---------------------------------------------------------------------------------------------
# 3. A Spark standalone cluster (master + 2 workers on 127.0.0.1, no PYTHONPATH on the workers).


def spark_target(cluster, python):
    return f'cluster:\n  engine: spark\n  artifacts: {{path: state}}\n  spark: {{master: "{cluster.master_url}", python: {python}, deploy_mode: client}}\n'


def test_sales_etl_on_a_spark_standalone_cluster(project, isolated_python, cluster):
    project.copy_jobs("sales_etl", "common", "sample_data")
    # Executors run in the workers' folders: outputs and sources by absolute path.
    out = project.root / "out" / "sales_etl"
    job = sales_etl_job(output=str(out)).replace("jobs/sample_data", str(project.root / "jobs" / "sample_data"))
    project.manifest(manifest(spark_target(cluster, isolated_python), job))
    assert_ok(project.deployer("validate"))
    assert_ok(project.deployer("apply", "--auto-approve"))
    run, logs = run_and_check(project, "sales_etl")
    check_sales_tables(project, output=str(out))
    # The run went to the cluster: its executors ran in the workers' folders.
    apps = [d for work in cluster.work_dirs for d in work.glob("app-*/*") if d.is_dir()]
    assert apps, f"no executor folder under {cluster.work_dirs}: the job did not run on the cluster\n{logs.stdout[-2000:]}"


def test_native_job_on_a_spark_standalone_cluster(project, isolated_python, cluster):
    write_native_job(project)
    output = project.root / "out" / "nativejob.json"
    project.manifest(manifest(spark_target(cluster, isolated_python), native_job(output=str(output))))
    assert_ok(project.deployer("apply", "--auto-approve"))
    before = {d for work in cluster.work_dirs for d in work.glob("app-*")}
    run_and_check(project, "nativejob")
    result = check_native_result(project, isolated_python, output=str(output))
    apps = {d for work in cluster.work_dirs for d in work.glob("app-*")} - before
    assert apps, "the job ran no executor on the cluster"
    work_dirs = [str(w.resolve()) for w in cluster.work_dirs]
    for seen in result["partitions"]:
        # PyYAML (with its C extension) from the archive Spark unpacked beside the executor.
        assert any(seen["yaml_file"].startswith(w + "/app-") for w in work_dirs), seen
        assert "/deps/yaml/" in seen["yaml_file"] and "/deps/yaml/" in seen["cyaml_ext"], seen
        # six from deps.zip, shipped with --py-files.
        assert seen["six_file"].endswith("deps.zip/six.py") or "deps.zip" in seen["six_file"], seen
    unpacked = [p for app in apps for p in app.glob("*/deps/yaml/_yaml*.so")]
    assert unpacked, f"no executor folder of {sorted(apps)} holds deps/yaml/_yaml*.so (spark.archives)"


# ---------------------------------------------------------------------------------------------
# 4. Bad input fails early, names the line or the package, uploads nothing.


def tiny_job(project, requirements, target=None):
    project.write("jobs/tiny/main.py", "print('tiny')\n")
    project.write("jobs/tiny/config.yml", "{}\n")
    project.write("jobs/tiny/src/tiny/__init__.py", "")
    project.write("jobs/tiny/requirements.txt", requirements)
    job = "  tiny:\n    source: jobs/tiny\n    entry_point: main.py\n    config: jobs/tiny/config.yml\n    requirements: jobs/tiny/requirements.txt\n"
    project.manifest(manifest(target or local_target(), job))


def assert_nothing_stored(project):
    for folder in ("dependencies", "artifacts"):
        assert not (project.store / folder).exists(), sorted(str(p) for p in project.store.rglob("*"))


def one_line(text):
    """The error: exactly one line (progress lines such as 'downloading wheels of …' aside)."""
    errors = [line for line in text.splitlines() if line.startswith("error:") or re.match(r"\S+:\d+:\d+: ", line)]
    assert len(errors) == 1, text
    return errors[0]


def test_unpinned_line_fails_validate_naming_file_and_line(project):
    tiny_job(project, "# lock\nsix==1.16.0\nPyYAML>=6\n")
    result = project.deployer("validate")
    assert result.status != 0, result.all
    line = one_line(result.stderr)
    assert "jobs/tiny/requirements.txt:3:" in line and "'PyYAML>=6' is not pinned" in line, result.all
    assert re.match(r"(error: )?deployer\.yml:\d+:\d+: jobs\.tiny\.requirements: ", line), result.all
    assert_nothing_stored(project)


def test_unknown_package_fails_plan_naming_package_and_runtime(project):
    tiny_job(project, "no-such-package-deployer-test==1.0\n", target=local_target() + '  runtime: {python: "3.11", arch: x86_64}\n')
    result = project.deployer("plan")
    assert result.status != 0, result.all
    line = one_line(result.stderr)
    assert "no-such-package-deployer-test" in line and "CPython 3.11 x86_64" in line, result.all
    assert_nothing_stored(project)
    apply = project.deployer("apply", "--auto-approve")
    assert apply.status != 0, apply.all
    assert_nothing_stored(project)


def test_no_wheel_for_arm64_python39_fails_plan(project):
    # pyarrow 3.0.0 publishes cp39 wheels for x86_64 only (aarch64 wheels start at 4.0.0).
    tiny_job(project, "pyarrow==3.0.0\n", target=local_target() + '  runtime: {python: "3.9", arch: arm64}\n')
    result = project.deployer("plan")
    assert result.status != 0, result.all
    line = one_line(result.stderr)
    assert "CPython 3.9 aarch64" in line, result.all
    # The package is named as the subject of the message, not only inside pip's quoted output.
    assert re.search(r"requirements\.txt:1: pyarrow(==3\.0\.0)? has no wheel", line), result.all
    assert_nothing_stored(project)


def test_corrupt_bundle_in_the_store_is_caught_before_the_job_runs(project, isolated_python):
    """site-packages.zip replaced in the store after apply: plan names the damaged bundle (its
    size no longer matches), run refuses to start the job with other bytes than the digest says
    (same size too), other commands keep working, and the fix it prints (delete, apply) works."""
    write_native_job(project)
    project.manifest(manifest(local_target(isolated_python), native_job()))
    assert_ok(project.deployer("apply", "--auto-approve"))
    bundle = dependency_digest(project)
    archive = bundle / "site-packages.zip"
    good = archive.read_bytes()
    output = project.root / "out" / "nativejob.json"

    # Other bytes, same size: only a digest check on read can tell.
    archive.write_bytes(bytes(b ^ 0xFF for b in good[:4096]) + good[4096:])
    run = project.deployer("run", "nativejob", "--wait", "--timeout", "5m")
    assert run.status != 0, run.all
    line = one_line(run.stderr)
    assert str(archive) in line and "does not match its SHA256SUMS" in line, run.all
    assert not output.exists()

    # Other size: plan (and so apply) stops on it too, naming the file.
    archive.write_bytes(b"not the archive that was built")
    plan = project.deployer("plan")
    assert plan.status != 0, plan.all
    line = one_line(plan.stderr)
    assert str(archive) in line and "damaged" in line, plan.all
    run = project.deployer("run", "nativejob", "--wait", "--timeout", "5m")
    assert run.status != 0 and "does not match its SHA256SUMS" in run.stderr, run.all

    # A refused run leaves nothing that breaks the commands on-call uses next (checked at the end).
    broken = [
        result.all
        for result in (project.deployer(*command) for command in (["status"], ["runs"], ["logs", "nativejob", "--run", "latest"]))
        if "no local run" in result.stderr or "runs unavailable" in result.stdout
    ]

    # The printed fix: delete the folder, apply uploads it again, the job runs.
    shutil.rmtree(bundle)
    apply = project.deployer("apply", "--auto-approve")
    assert_ok(apply)
    assert archive.read_bytes() == good
    run_and_check(project, "nativejob")
    check_native_result(project, isolated_python)
    assert not broken, "\n".join(broken)


# ---------------------------------------------------------------------------------------------
# 5. An unchanged lock uploads nothing.


def test_apply_with_an_unchanged_lock_uploads_nothing(project):
    project.copy_jobs("sales_etl", "common", "sample_data")
    project.manifest(manifest(local_target(PYTHON), sales_etl_job()))
    first = project.deployer("apply", "--auto-approve")
    assert_ok(first)
    assert "+ dependencies sales_etl" in first.stdout, first.all
    bundle = dependency_digest(project)
    stamps = {p.name: p.stat().st_mtime_ns for p in bundle.iterdir()}
    plan = project.deployer("plan", "--detailed-exitcode")
    assert plan.status == 0, plan.all
    assert f"= dependencies sales_etl {bundle.name[:12]}" in plan.stdout, plan.all
    assert "No changes" in plan.stdout, plan.all
    second = project.deployer("apply", "--auto-approve")
    assert_ok(second)
    assert "uploaded" not in second.stdout + second.stderr, second.all
    assert {p.name: p.stat().st_mtime_ns for p in bundle.iterdir()} == stamps
    # Touching the lock's mtime is not a change: only its bytes are.
    lock = project.root / "jobs" / "sales_etl" / "requirements.txt"
    os.utime(lock)
    again = project.deployer("plan", "--detailed-exitcode")
    assert again.status == 0 and "No changes" in again.stdout, again.all


def test_a_changed_lock_shows_in_plan_as_the_bundle_digest_and_the_job_fields(project):
    project.copy_jobs("sales_etl", "common", "sample_data")
    project.manifest(manifest(local_target(PYTHON), sales_etl_job()))
    assert_ok(project.deployer("apply", "--auto-approve"))
    old = dependency_digest(project).name
    lock = project.root / "jobs" / "sales_etl" / "requirements.txt"
    lock.write_text(lock.read_text() + "six==1.16.0\n")
    plan = project.deployer("plan", "--detailed-exitcode")
    assert plan.status == 2, plan.all
    new = re.search(r"^\+ dependencies sales_etl ([0-9a-f]{12})  \(upload\)$", plan.stdout, re.M)
    assert new and not old.startswith(new.group(1)), plan.all
    assert "~ update job deptest-local-sales_etl" in plan.stdout, plan.all
    # The definition names the new bundle, and six (pure Python) adds deps.zip to --py-files.
    assert re.search(rf"^    ~ dependencies: {old} → {new.group(1)}[0-9a-f]{{52}}$", plan.stdout, re.M), plan.all
    assert re.search(r"^    ~ pyFiles: \S+/code\.zip → \S+/code\.zip,\S+/dependencies/[0-9a-f]{64}/deps\.zip$", plan.stdout, re.M), plan.all
    listed = json.loads(project.deployer("plan", "--json").stdout)
    job = listed["plan"]["jobs"][0]
    assert listed["version"] == 1 and job["upload_dependencies"] is True and job["dependencies"].startswith(new.group(1)), listed


# ---------------------------------------------------------------------------------------------
# 6. A Glue Python shell job (job_runtime: duckdb) gets every file as a wheel and runs from them.


def python39():
    """CPython 3.9 (Glue Python shell's), from PATH or pyenv; None without one."""
    candidates = [shutil.which("python3.9")] + sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3.9"), reverse=True)
    for candidate in candidates:
        if candidate and subprocess.run([str(candidate), "-c", "import ensurepip"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


SHELL_TARGET = (
    "shell:\n"
    "  engine: glue\n"
    "  region: us-east-1\n"
    "  artifacts: {bucket: b-shell, prefix: deploy}\n"
    "  role_arn: arn:aws:iam::123456789012:role/glue-job\n"
    "  job_runtime: duckdb\n"
)


def test_a_python_shell_job_installs_from_its_wheels_alone_and_runs(project, tmp_path):
    """Glue's Python shell pip-installs the .whl files of --extra-py-files and documents no .zip
    there. Emulated: a fresh CPython 3.9 venv installs exactly the files deployer ships to a Python
    shell job (the code's wheel and the bundle's wheels, no index, dependencies resolved among them
    only), then the artifact's main.py runs the job there with nothing else on its path."""
    python = python39()
    if python is None:
        pytest.skip("SKIPPED LOUDLY: no CPython 3.9 with ensurepip on this machine (pyenv install 3.9)")
    project.copy_jobs("sales_etl", "common", "sample_data")
    job = sales_etl_job() + "    duckdb: {requirements: jobs/sales_etl/requirements-duckdb.txt}\n"
    project.manifest(manifest(SHELL_TARGET, job))
    built = project.deployer("package", "sales_etl", "-t", "shell", "--out", str(tmp_path / "build"), timeout=1200)
    assert_ok(built)
    assert re.search(r"^[0-9a-f]{64}  dependencies sales_etl for CPython 3\.9 x86_64 on glue: ", built.stdout, re.M), built.all
    files = [Path(line.split("  ", 1)[1]) for line in built.stdout.splitlines() if line.split("  ", 1)[1].startswith("/")]
    bundle = [f for f in files if "/dependencies/" in str(f)]
    # Every package of the bundle is a wheel file: no deps.zip, no site-packages.zip.
    assert bundle and all(f.suffix == ".whl" and f.parent.name == "wheels" for f in bundle), files
    names = sorted(re.match(r"([A-Za-z0-9_.]+?)-", f.name).group(1).lower() for f in bundle)
    assert names == ["duckdb", "numpy", "pyarrow", "pyyaml", "sqlglot"], names
    code = [f for f in files if f.name == "deployer_job_code-0-py3-none-any.whl"]
    entry = [f for f in files if f.name == "main.py"]
    assert len(code) == 1 and len(entry) == 1, files

    venv = tmp_path / "shell"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    shell = str(venv / "bin" / "python")
    env = clean_environment()
    installed = subprocess.run(
        [shell, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--disable-pip-version-check", *map(str, code + bundle)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = subprocess.run(
        [shell, "-I", "-c", "import sales_etl, jobs_common, duckdb, pyarrow; print(sales_etl.__file__); print(duckdb.__file__)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert where.returncode == 0 and all(line.startswith(str(venv)) for line in where.stdout.split()), where.stdout + where.stderr

    # main.py alone in its folder (the script's folder is on the path; code.zip must not be).
    script = tmp_path / "script" / "main.py"
    script.parent.mkdir()
    shutil.copy(entry[0], script)
    out = tmp_path / "out"
    args = ["--runtime", "duckdb", "--source_path", str(project.root / "jobs" / "sample_data"), "--output_path", str(out), "--as_of", "2021-06-30"]
    # Glue adds its own arguments; the job ignores them.
    args += ["--JOB_NAME", "deptest-shell-sales_etl", "--job-bookmark-option", "job-bookmark-disable"]
    ran = subprocess.run([shell, "-I", str(script), *args], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    record = json.loads((out / "_manifest.json").read_text())
    assert record["status"] == "succeeded", record
    assert {name: table["rows"] for name, table in record["tables"].items()} == EXPECTED_ROWS
    assert record["quarantine"]["rows"] == QUARANTINED_ROWS
