"""jobs_common, the library both jobs ship (jobs/common/src/jobs_common): errors and exit codes,
config merging and typed values, the shared command line, Storage and the table read/write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jobs_common import cli, config, errors, storage


def test_exit_codes_and_both_jobs_raise_the_shared_classes():
    assert (errors.JobError.exit_code, errors.ConfigError.exit_code, errors.SourceError.exit_code) == (1, 2, 3)
    import cdc_merge.errors as cdc
    import sales_etl.errors as etl

    for job in (etl, cdc):
        assert (job.JobError, job.ConfigError, job.SourceError) == (errors.JobError, errors.ConfigError, errors.SourceError)
    assert (etl.DataQualityError.exit_code, etl.WriteError.exit_code, etl.PublishError.exit_code) == (4, 1, 5)
    assert issubclass(cdc.SchemaError, errors.JobError) and cdc.SchemaError.exit_code == 6
    # One table for every job: no status means two things.
    codes = {name: value for name, value in errors.EXIT_CODES.items() if name != "JobError"}
    assert len(set(codes.values())) == len(codes) and 1 not in codes.values()
    for error in (etl.DataQualityError, etl.PublishError, cdc.SchemaError, errors.ConfigError, errors.SourceError):
        assert error.exit_code == errors.EXIT_CODES[error.__name__]


def test_merge_rejects_unknown_keys_naming_the_origin_and_the_known_keys():
    assert config.merge({"a": 1, "b": 2}, {"b": 3}, "x.yml") == {"a": 1, "b": 3}
    with pytest.raises(errors.ConfigError) as error:
        config.merge({"b": 1, "a": 2}, {"c": 3}, "x.yml")
    assert str(error.value) == "x.yml: unknown key 'c' (known keys: a, b)"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: [1", "f.yml: not valid YAML (ParserError); fix the file"),
        ("- 1\n- 2\n", "f.yml: expected a mapping of key: value at the top level"),
    ],
)
def test_parse_yaml_errors(text, message):
    with pytest.raises(errors.ConfigError) as error:
        config.parse_yaml(text, "f.yml")
    assert str(error.value) == message


def test_parse_yaml_empty_is_no_keys():
    assert config.parse_yaml("", "f.yml") == {}
    assert config.parse_yaml("a: 1\nb: x\n", "f.yml") == {"a": 1, "b": "x"}


def test_default_config_comes_from_the_package_or_else_the_source_copy(tmp_path):
    copy = tmp_path / "config.yml"
    copy.write_text("k: v\n")
    assert config.load_default_config("no_such_package_here", copy) == {"k": "v"}
    # An importable package with config.yml beside its __init__.py (as in code.zip) wins.
    package = tmp_path / "pkg_with_config"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "config.yml").write_text("k: packaged\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        assert config.load_default_config("pkg_with_config", copy) == {"k": "packaged"}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("pkg_with_config", None)


@pytest.mark.parametrize(
    "reader, raw, expected",
    [
        (lambda r: config.text(r, "k"), {"k": "  x "}, "x"),
        (lambda r: config.text(r, "k"), {"k": None}, ""),
        (lambda r: config.text(r, "k"), {}, ""),
        (lambda r: config.whole_number(r, "k", 0), {"k": " 7 "}, 7),
        (lambda r: config.choice(r, "k", ("parquet", "csv")), {"k": " CSV"}, "csv"),
    ],
)
def test_typed_values(reader, raw, expected):
    assert reader(raw) == expected


@pytest.mark.parametrize(
    "reader, raw, message",
    [
        (lambda r: config.whole_number(r, "k", 0), {"k": "1.5"}, "config key 'k': '1.5' is not a whole number"),
        (lambda r: config.whole_number(r, "k", 1), {"k": "0"}, "config key 'k': 0 must be >= 1"),
        (lambda r: config.choice(r, "k", config.OUTPUT_FORMATS), {"k": "orc"}, "config key 'k': 'orc' is not one of parquet, csv"),
        (lambda r: config.choice(r, "k", config.OUTPUT_FORMATS), {"k": None}, "config key 'k': 'None' is not one of parquet, csv"),
    ],
)
def test_typed_value_errors(reader, raw, message):
    with pytest.raises(errors.ConfigError) as error:
        reader(raw)
    assert str(error.value) == message


def test_parse_args_reads_name_value_and_returns_the_rest():
    given, unknown = cli.parse_args(["--b", "2", "--config=c.yml", "--JOB_NAME", "j", "--x"], ["a", "b"], "prog")
    assert given == {"b": "2", "config": "c.yml"}
    assert unknown == ["--JOB_NAME", "j", "--x"]


def _main(argv, *, resolve=None, run=None, reports=None):
    def default_resolve(raw, started_at):
        return dict(raw)

    return cli.main(
        "prog",
        argv,
        load_default_config=lambda: {"a": "1", "b": "2"},
        resolve=resolve or default_resolve,
        run=run or (lambda spark, cfg, started_at: ("ran", cfg)),
        report=lambda result, cfg, started_at: reports.append((result, cfg)) if reports is not None else None,
    )


def test_main_errors_are_one_line_with_the_exit_code(tmp_path, capsys):
    missing = tmp_path / "missing.yml"
    assert _main(["--config", str(missing)]) == 2
    assert capsys.readouterr().err == (f"prog: error: --config {missing}: cannot read (No such file or directory); pass an existing YAML file\n")

    def bad(raw, started_at):
        raise errors.SourceError("no input")

    assert _main(["--zz", "1"], resolve=bad) == 3
    assert capsys.readouterr().err == "prog: warning: ignoring unrecognised arguments: --zz 1\nprog: error: no input\n"


def test_main_merges_defaults_file_and_arguments_then_runs_and_reports(spark, tmp_path):
    conf = tmp_path / "c.yml"
    conf.write_text("a: from-file\nb: from-file\n")
    seen = {}

    def resolve(raw, started_at):
        seen["started_at"] = started_at
        return dict(raw)

    def run(session, cfg, started_at):
        assert session is spark and started_at == seen["started_at"]
        return "result"

    reports = []
    assert _main(["--config", str(conf), "--b", "arg"], resolve=resolve, run=run, reports=reports) == 0
    assert reports == [("result", {"a": "from-file", "b": "arg"})]
    assert seen["started_at"].tzinfo == dt.timezone.utc


def test_storage_on_the_local_file_system(spark, tmp_path):
    s = storage.Storage(spark)
    root = tmp_path.as_posix()
    assert s.is_object_store("s3://bucket/key") and s.is_object_store("S3A://bucket/key")
    assert not s.is_object_store(root) and not s.is_object_store(f"file:{root}")
    assert s.qualified(f"{root}/a b") == f"file:{root}/a b"
    assert s.read_text(f"{root}/none.txt") is None
    s.write_text(f"{root}/d/f.txt", "één\n")
    assert s.read_text(f"{root}/d/f.txt") == "één\n"
    assert (tmp_path / "d" / "f.txt").read_bytes() == "één\n".encode()
    assert s.size(f"{root}/d") == 6 and s.size(f"{root}/none") == 0
    s.replace_text(f"{root}/d/f.txt", "new", "run1")
    assert (tmp_path / "d" / "f.txt").read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "d").iterdir() if not p.name.endswith(".crc")) == ["f.txt"]
    (tmp_path / "d" / "sub2").mkdir()
    (tmp_path / "d" / "sub1").mkdir()
    assert s.list_dirs(f"{root}/d") == ["sub1", "sub2"] and s.list_dirs(f"{root}/none") == []
    s.rename(f"{root}/d/sub1", f"{root}/d/sub3")
    assert s.list_dirs(f"{root}/d") == ["sub2", "sub3"]
    assert s.exists(f"{root}/d")
    s.delete(f"{root}/d")
    s.delete(f"{root}/d")  # absent: nothing to do
    assert not s.exists(f"{root}/d") and not (tmp_path / "d").exists()


def test_csv_tables_round_trip_with_header_and_multi_line_quoted_values(spark, tmp_path):
    rows = [("1", 'say "hi"\nthen go'), ("2", "plain")]
    df = spark.createDataFrame(rows, "id string, note string")
    path = str(tmp_path / "t")
    storage.table_writer(df.coalesce(1), "csv").save(path)
    header = next(p for p in Path(path).glob("part-*.csv")).read_text().splitlines()[0]
    assert header == "id,note"
    back = storage.read_table(spark, path, "csv")
    assert sorted(tuple(r) for r in back.collect()) == rows
    storage.table_writer(df, "parquet", ["id"]).save(str(tmp_path / "p"))
    assert sorted(p.name for p in (tmp_path / "p").iterdir() if p.is_dir()) == ["id=1", "id=2"]
    typed = storage.read_table(spark, str(tmp_path / "p"), "parquet", df.schema)
    assert sorted((r.id, r.note) for r in typed.collect()) == rows
