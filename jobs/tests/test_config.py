import datetime as dt

import pytest

from sales_etl.cli import parse_args
from sales_etl.config import load_default_config, merge, parse_yaml, resolve
from sales_etl.errors import ConfigError

STARTED = dt.datetime(2021, 6, 2, 23, 59, tzinfo=dt.timezone.utc)


def resolved(**overrides):
    return resolve(merge(load_default_config(), overrides, "test"), STARTED)


def test_defaults_resolve_to_typed_values():
    cfg = resolved()
    assert cfg.earliest_entry_date == dt.date(2020, 6, 1)
    assert cfg.overdue_days == 30
    assert cfg.as_of == dt.date(2021, 6, 2)  # empty as_of -> the run's UTC date
    assert cfg.source_paths == {
        "accounts": "jobs/sample_data/accounts.csv",
        "invoices": "jobs/sample_data/invoices.csv",
        "invoice_line_items": "jobs/sample_data/invoice_line_items.csv",
        "skus": "jobs/sample_data/skus.csv",
    }
    assert cfg.fact_partition_columns == ("year", "month")
    assert cfg.run_id == "20210602T235900000000Z"
    assert cfg.shuffle_partitions is None  # "auto": sized from the input
    assert cfg.retention_runs == 3
    assert cfg.catalog_database == ""


def test_string_overrides_are_typed_like_job_arguments():
    cfg = resolved(
        overdue_days="45",
        as_of="2021-01-31",
        source_format="parquet",
        source_path="s3://bucket/raw/",
        skus_path="s3://other/skus",
        fact_partition_columns="",
        dq_max_quarantine_ratio="0",
        run_id="r1",
        shuffle_partitions="0",
        retention_runs="1",
        catalog_database="CarSales",
    )
    assert cfg.overdue_days == 45
    assert cfg.as_of == dt.date(2021, 1, 31)
    assert cfg.source_paths["accounts"] == "s3://bucket/raw/accounts"
    assert cfg.source_paths["skus"] == "s3://other/skus"
    assert cfg.fact_partition_columns == ()
    assert cfg.dq_max_quarantine_ratio == 0.0
    assert cfg.run_id == "r1"
    assert cfg.shuffle_partitions == 0
    assert cfg.retention_runs == 1
    assert cfg.catalog_database == "carsales"
    assert resolved(shuffle_partitions="AUTO").shuffle_partitions is None
    assert resolved(shuffle_partitions=16).shuffle_partitions == 16


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("earliest_entry_date", "01/06/2020", "config key 'earliest_entry_date': '01/06/2020' is not a date"),
        ("as_of", "tomorrow", "config key 'as_of': 'tomorrow' is not a date"),
        # Python 3.11's date.fromisoformat takes these, 3.9's does not: refused on both.
        ("as_of", "20210531", "config key 'as_of': '20210531' is not a date; use YYYY-MM-DD"),
        ("as_of", "2021-W22-1", "config key 'as_of': '2021-W22-1' is not a date; use YYYY-MM-DD"),
        ("overdue_days", "thirty", "config key 'overdue_days': 'thirty' is not a whole number"),
        ("overdue_days", "-1", "config key 'overdue_days': -1 must be >= 0"),
        ("source_format", "json", "config key 'source_format': 'json' is not one of csv, parquet"),
        ("output_format", "orc", "config key 'output_format': 'orc' is not one of parquet, csv"),
        ("dq_max_quarantine_ratio", "5", "config key 'dq_max_quarantine_ratio': 5.0 must be between 0 and 1"),
        ("fact_partition_columns", "year,day", "config key 'fact_partition_columns': 'day' is not one of"),
        ("output_path", "", "config key 'output_path' is empty"),
        ("run_id", "a/b", "config key 'run_id': 'a/b' must not contain '/'"),
        ("run_id", "2021-05-31 10:00", "config key 'run_id': '2021-05-31 10:00' must not contain '/' or start"),
        ("run_id", ".hidden", "config key 'run_id': '.hidden' must not contain '/' or start with '.'"),
        ("shuffle_partitions", "lots", "config key 'shuffle_partitions': 'lots' is not 'auto' or a whole number"),
        ("retention_runs", "0", "config key 'retention_runs': 0 must be >= 1"),
        ("catalog_database", "car-sales", "config key 'catalog_database': 'car-sales' is not a database name"),
    ],
)
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(ConfigError) as error:
        resolved(**{key: value})
    assert str(error.value).startswith(message)


def test_unknown_key_is_rejected_with_its_origin():
    with pytest.raises(ConfigError, match=r"^my.yml: unknown key 'overdue_dayz'"):
        merge(load_default_config(), {"overdue_dayz": 3}, "my.yml")


def test_yaml_that_is_not_a_mapping_is_rejected():
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_yaml("- a\n- b\n", "list.yml")


def test_argparse_accepts_both_flag_forms_and_keeps_unknown_ones_aside():
    given, unknown = parse_args(
        ["--overdue_days", "12", "--as_of=2021-02-03", "--JOB_NAME", "x", "--config", "c.yml"],
        ["as_of", "overdue_days"],
    )
    assert given == {"overdue_days": "12", "as_of": "2021-02-03", "config": "c.yml"}
    assert unknown == ["--JOB_NAME", "x"]


def test_catalog_needs_parquet_output():
    with pytest.raises(ConfigError, match="^config key 'catalog_database' needs output_format parquet"):
        resolved(catalog_database="carsales", output_format="csv")


def test_auto_shuffle_partitions_follow_the_input_size_in_multiples_of_the_cores():
    from sales_etl.job import shuffle_partitions_for

    mb = 2**20
    assert [shuffle_partitions_for(size, 2) for size in (0, 1 * mb, 48 * mb, 160 * mb, 1000 * mb)] == [2, 2, 2, 4, 16]
    assert shuffle_partitions_for(160 * mb, 8) == 8
    assert shuffle_partitions_for(10 * mb, 1) == 1
