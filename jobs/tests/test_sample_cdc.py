"""jobs/sample_cdc (the local target's cdc_merge input) stays the DMS form of jobs/sample_data:
each full-load file holds every row of the table's sample, and the changes file only names
tables and columns the sample has, with a valid Op and commit timestamp."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

JOBS = Path(__file__).resolve().parents[1]
TABLES = ("accounts", "invoices", "invoice_line_items", "skus")


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


@pytest.mark.parametrize("table", TABLES)
def test_full_load_is_the_sample(table):
    header, rows = read(JOBS / "sample_data" / f"{table}.csv")
    load_header, load_rows = read(JOBS / "sample_cdc" / "billing" / table / "LOAD00000001.csv")
    assert load_header == ["_commit_ts", *header]
    assert [r[1:] for r in load_rows] == rows
    assert {r[0] for r in load_rows} == {"2024-01-31 22:00:00.000000"}


@pytest.mark.parametrize("table", TABLES)
def test_changes_are_well_formed(table):
    header, _ = read(JOBS / "sample_data" / f"{table}.csv")
    changes = sorted((JOBS / "sample_cdc" / "billing" / table).glob("2*.csv"))
    assert [p.name for p in changes] == ["20240201-091500000.csv"]
    change_header, rows = read(changes[0])
    assert change_header == ["Op", "_commit_ts", *header]
    assert rows, f"{table}: the changes file has rows"
    for row in rows:
        assert row[0] in ("I", "U", "D") and len(row) == len(change_header)
        dt.datetime.strptime(row[1], "%Y-%m-%d %H:%M:%S.%f")
