"""The deployable artifact: byte-identical builds, libraries (jobs/common) shipped beside the job's
package, and it runs under spark-submit on its own."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from build_artifact import CODE_WHEEL, BuildError, build
from build_artifact import main as build_main
from artifact_helpers import submit_command
from conftest import COMMON_DIR, JOB_DIR, JOBS_DIR, SAMPLE_DATA


def test_same_sources_give_byte_identical_artifacts(tmp_path):
    # A copy with stray bytecode and a later mtime must still build to the same bytes.
    copy = tmp_path / "job"
    shutil.copytree(JOB_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "src" / "sales_etl" / "__pycache__").mkdir()
    (copy / "src" / "sales_etl" / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"junk")
    os.utime(copy / "src" / "sales_etl" / "cli.py", (2_000_000_000, 2_000_000_000))
    first = build(JOB_DIR, tmp_path / "a")
    second = build(copy, tmp_path / "b")
    assert first == second
    for name in ("main.py", "code.zip", CODE_WHEEL, "config.yml", "SHA256SUMS"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_zip_entries_are_sorted_with_fixed_time_and_mode(tmp_path):
    build(JOB_DIR, tmp_path)
    with zipfile.ZipFile(tmp_path / "code.zip") as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert "sales_etl/models/fact_sales.sql" in names
        # The default config inside the zip is the job's config.yml, byte for byte.
        assert archive.read("sales_etl/config.yml") == (JOB_DIR / "config.yml").read_bytes()
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert [line.split("  ")[1] for line in sums] == ["code.zip", "config.yml", CODE_WHEEL, "main.py"]
    # The wheel (Glue's Python shell) holds code.zip's entries, same bytes, and its metadata.
    with zipfile.ZipFile(tmp_path / "code.zip") as code, zipfile.ZipFile(tmp_path / CODE_WHEEL) as wheel:
        extra = sorted(set(wheel.namelist()) - set(code.namelist()))
        assert extra == [f"deployer_job_code-0.dist-info/{name}" for name in ("METADATA", "RECORD", "WHEEL")]
        assert all(wheel.read(name) == code.read(name) for name in code.namelist())
        assert wheel.namelist() == sorted(wheel.namelist())


def test_artifact_runs_under_spark_submit_from_anywhere(tmp_path):
    """The invocation the deploy tool uses: spark-submit --py-files code.zip main.py --key value.
    Run from an empty directory with only the artifact, so nothing can come from the source tree."""
    artifact = tmp_path / "artifact"
    build(JOB_DIR, artifact, [COMMON_DIR])
    out = tmp_path / "out"
    command, env = submit_command(
        artifact,
        "--source_path",
        str(SAMPLE_DATA),
        "--output_path",
        str(out),
        "--as_of",
        "2021-05-31",
        "--shuffle_partitions",
        "2",
        "--run_id",
        "submitted",
    )
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sales_etl: run submitted succeeded (as_of 2021-05-31")
    assert any(line.split()[:3] == ["monthly_sales_summary", "12", "rows"] for line in lines), result.stdout
    assert (out / "_runs" / "submitted.json").is_file()


@pytest.mark.parametrize(
    "job, flag, message",
    [
        ("sales_etl", ["--output_format", "xml"], "sales_etl: error: config key 'output_format': 'xml' is not one of parquet, csv"),
        ("cdc_merge", ["--output_format", "xml"], "cdc_merge: error: config key 'output_format': 'xml' is not one of parquet, csv"),
    ],
)
def test_artifact_exits_non_zero_with_one_line_on_a_bad_flag(tmp_path, job, flag, message):
    artifact = tmp_path / "artifact"
    build(JOBS_DIR / job, artifact, [COMMON_DIR])
    # main.py with code.zip on sys.path behaves the same as under spark-submit, without a JVM.
    # Only code.zip can provide the packages: no source tree on the path, run from elsewhere.
    env = {**os.environ, "PYTHONPATH": str(artifact / "code.zip")}
    result = subprocess.run(
        [sys.executable, str(artifact / "main.py"), *flag],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == message


def _names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return [i.filename for i in archive.infolist()]


def test_a_library_adds_exactly_its_package_files_and_nothing_else_changes(tmp_path):
    build(JOB_DIR, tmp_path / "alone")
    digests = build(JOB_DIR, tmp_path / "with", [COMMON_DIR])
    alone, with_library = _names(tmp_path / "alone" / "code.zip"), _names(tmp_path / "with" / "code.zip")
    library = sorted(
        p.relative_to(COMMON_DIR / "src").as_posix()
        for p in (COMMON_DIR / "src" / "jobs_common").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    assert "jobs_common/__init__.py" in library and "jobs_common/cli.py" in library
    # Job entries, library entries and <job>/config.yml, all sorted by name as bytes.
    assert with_library == sorted(alone + library, key=lambda n: n.encode())
    with zipfile.ZipFile(tmp_path / "with" / "code.zip") as archive:
        infos = {i.filename: i for i in archive.infolist()}
        for name in library:
            assert archive.read(name) == (COMMON_DIR / "src" / name).read_bytes()
            assert infos[name].date_time == (1980, 1, 1, 0, 0, 0)
            assert infos[name].external_attr >> 16 == 0o100644
            assert infos[name].compress_type == zipfile.ZIP_STORED
    for name in ("main.py", "config.yml"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    # The command line's --library builds the same bytes.
    assert build_main([str(JOB_DIR), str(tmp_path / "cli"), "--library", str(COMMON_DIR)]) == 0
    assert (tmp_path / "cli" / "SHA256SUMS").read_bytes() == (tmp_path / "with" / "SHA256SUMS").read_bytes()
    assert digests == build(JOB_DIR, tmp_path / "again", [COMMON_DIR])


def test_a_library_without_a_package_is_an_error_naming_the_folder(tmp_path):
    empty = tmp_path / "lib"
    (empty / "src" / "not_a_package").mkdir(parents=True)
    with pytest.raises(BuildError) as error:
        build(JOB_DIR, tmp_path / "out", [empty])
    assert str(error.value) == (f"{empty}: a library needs src/ with one or more packages (folders with __init__.py), found none")


def test_a_package_shipped_twice_is_an_error_naming_both_folders(tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(COMMON_DIR, twin, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.raises(BuildError) as error:
        build(JOB_DIR, tmp_path / "out", [COMMON_DIR, twin])
    assert str(error.value) == f"package 'jobs_common' is in both {COMMON_DIR} and {twin}; a package name may be shipped once"
    clash = tmp_path / "clash"
    (clash / "src" / "sales_etl").mkdir(parents=True)
    (clash / "src" / "sales_etl" / "__init__.py").write_text("")
    with pytest.raises(BuildError) as error:
        build(JOB_DIR, tmp_path / "out", [clash])
    assert str(error.value) == f"package 'sales_etl' is in both {JOB_DIR} and {clash}; a package name may be shipped once"
