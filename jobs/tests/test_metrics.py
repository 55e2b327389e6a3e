"""The jobs' EMF lines: valid by the Embedded Metric Format's rules (jobs/tests/emf_schema.json,
plus the rules a schema cannot say: every dimension and metric named is a top-level member, metric
values are numbers, dimension values strings) and carrying the figures of the run record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
from jobs_common.metrics import NAMESPACE, emf_lines

SCHEMA = json.loads((Path(__file__).with_name("emf_schema.json")).read_text())


def check_emf(line: str) -> dict:
    document = json.loads(line)
    jsonschema.validate(document, SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimensions in directive["Dimensions"]:
            for name in dimensions:
                assert isinstance(document.get(name), str), f"dimension {name} must be a top-level string member"
        for metric in directive["Metrics"]:
            assert isinstance(document.get(metric["Name"]), (int, float)), f"metric {metric['Name']} must be a top-level number"
    return document


def test_run_and_table_lines_are_valid_emf_with_the_records_figures():
    at = dt.datetime(2024, 1, 31, 3, 0, tzinfo=dt.timezone.utc)
    lines = emf_lines("sales_etl", "r1", {"fact_sales": 484, "client_profile": 21}, 0.004444, 12.8336, at)
    assert all(line.startswith('{"_aws":') for line in lines)
    documents = [check_emf(line) for line in lines]
    run, *tables = documents
    assert run["_aws"]["Timestamp"] == 1706670000000
    assert run["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert (run["Job"], run["RunId"], run["RowsWritten"], run["QuarantineRatio"], run["DurationSeconds"]) == ("sales_etl", "r1", 505, 0.004444, 12.834)
    assert [(t["Table"], t["Rows"], t["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) for t in tables] == [
        ("client_profile", 21, [["Job", "Table"]]),
        ("fact_sales", 484, [["Job", "Table"]]),
    ]


def test_a_job_without_quarantine_has_no_ratio_metric():
    (run,) = [check_emf(line) for line in emf_lines("cdc_merge", "r2", {}, None, 1.0)]
    assert "QuarantineRatio" not in run and run["RowsWritten"] == 0
    assert [m["Name"] for m in run["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["RowsWritten", "DurationSeconds"]


def test_the_checks_see_a_broken_line():
    bad = json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["Job"]], "Metrics": [{"Name": "Rows"}]}]}})
    try:
        check_emf(bad)
    except AssertionError as error:
        assert "dimension Job" in str(error)
    else:
        raise AssertionError("a line without its dimension member passed")
    try:
        jsonschema.validate({"_aws": {"Timestamp": "now", "CloudWatchMetrics": []}}, SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a text Timestamp passed the schema")
