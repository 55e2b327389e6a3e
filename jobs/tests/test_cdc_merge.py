"""cdc_merge on generated DMS S3-target files, checked against an independent replay.

The replay applies the change events in the order the source committed them (the order they
were generated); the job only sees files - named, split, delayed and duplicated the way DMS
delivers them - and must end at the same state.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from cdc_helpers import OP, TS, cdc_name, read_state, replay, run_merge, ts_text, write_dms_file

from cdc_merge.errors import SchemaError

LINES_KEYS = ("invoice_id", "item_id")
LINES_COLS = ("invoice_id", "item_id", "quantity", "note")
LINES_DDL = f"{OP} string, {TS} string, invoice_id int, item_id string, quantity int, note string"
TABLES = "lines:invoice_id,item_id"


def _scenario(seed: int):
    """Full load + a change log + its files. Returns (load_events, files, coverage) where files is
    [(name, [(event_index, op, ts_seconds, row)])] in DMS write order."""
    rng = random.Random(seed)
    live: dict[tuple, dict] = {}
    deleted: list[tuple] = []
    load = []
    for i in range(60):
        row = {"invoice_id": 1 + i // 3, "item_id": f"SKU-{i % 3}", "quantity": rng.randint(1, 9), "note": f"n{i}"}
        live[(row["invoice_id"], row["item_id"])] = row
        load.append(("I", row))
    events = []  # (index, op, ts, row)
    clock = 100.0
    next_invoice = 1000
    coverage = {"update_same_key_same_file": 0, "delete_then_reinsert": 0, "updates": 0, "deletes": 0}
    while len(events) < 420:
        clock += rng.choice([0.0, 0.000001, 0.5, 1.0])  # ties: several events may share a commit ts
        for _ in range(rng.randint(1, 4)):  # one transaction: one commit timestamp
            choice = rng.random()
            if choice < 0.25 or not live:
                row = {"invoice_id": next_invoice, "item_id": f"SKU-{rng.randint(0, 5)}", "quantity": 1, "note": "new"}
                next_invoice += 1
                op = "I"
            elif choice < 0.35 and deleted:
                key = deleted.pop(rng.randrange(len(deleted)))
                row = {"invoice_id": key[0], "item_id": key[1], "quantity": rng.randint(1, 9), "note": "again"}
                op = "I"
                coverage["delete_then_reinsert"] += 1
            elif choice < 0.5:
                key = rng.choice(sorted(live))
                row = dict(live[key])
                op = "D"
                coverage["deletes"] += 1
            else:
                key = rng.choice(sorted(live))
                row = dict(live[key], quantity=rng.randint(1, 99), note=f"u{len(events)}")
                op = "U"
                coverage["updates"] += 1
            key = (row["invoice_id"], row["item_id"])
            if op == "D":
                live.pop(key)
                deleted.append(key)
            else:
                live[key] = row
            events.append((len(events), op, clock, row))
    # Split into files of 1..40 events, sometimes inside a transaction (DMS cuts files by size/time).
    files = []
    position = 0
    n = 0
    while position < len(events):
        size = rng.randint(1, 40)
        files.append((cdc_name(10 * n + 10), events[position : position + size]))
        position += size
        n += 1
    for _, chunk in files:
        seen = [(e[3]["invoice_id"], e[3]["item_id"]) for e in chunk if e[1] == "U"]
        coverage["update_same_key_same_file"] += len(seen) - len(set(seen))
    return load, files, coverage


def _write(spark, folder: Path, name: str, events, fmt: str) -> None:
    rows = [(op, ts_text(ts), r["invoice_id"], r["item_id"], r["quantity"], r["note"]) for _, op, ts, r in events]
    if fmt == "csv":
        rows = [tuple(str(v) for v in row) for row in rows]
    write_dms_file(spark, folder, name, (OP, TS, *LINES_COLS), rows, LINES_DDL, fmt)


def _expected(load, delivered_events):
    events = [("I", r) for _, r in load] + [(op, r) for _, op, _, r in sorted(set_by_index(delivered_events))]
    state = replay(events, LINES_KEYS)
    return {tuple(str(row[c]) for c in LINES_COLS) for row in state.values()}


def set_by_index(events):
    unique = {}
    for e in events:
        unique[e[0]] = e
    return [unique[i] for i in sorted(unique)]


def _snapshot(path: Path):
    return sorted((str(p.relative_to(path)), p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_incremental_merge_matches_reference_replay(spark, tmp_path, fmt):
    load, files, coverage = _scenario(seed=11)
    assert coverage["update_same_key_same_file"] > 0 and coverage["delete_then_reinsert"] > 0
    folder = tmp_path / "dms" / "billing" / "lines"
    out = tmp_path / "out"
    load_rows = [("I", ts_text(0), r["invoice_id"], r["item_id"], r["quantity"], r["note"]) for _, r in load]
    write_dms_file(
        spark,
        folder,
        "LOAD00000001",
        (OP, TS, *LINES_COLS),
        [tuple(str(v) for v in row) for row in load_rows] if fmt == "csv" else load_rows,
        LINES_DDL,
        fmt,
    )
    k, late = len(files) // 2, len(files) // 2 - 3
    delivered = []

    # Run 1: full load + the first half of the CDC files except one that is late, plus an empty file.
    for i, (name, chunk) in enumerate(files[:k]):
        if i != late:
            _write(spark, folder, name, chunk, fmt)
            delivered += chunk
    _write(spark, folder, cdc_name(10 * k + 5), [], fmt)  # an empty CDC file
    result = run_merge(spark, tmp_path / "dms" / "billing", out, TABLES, fmt)
    assert result.tables["lines"]["status"] == "merged"
    assert read_state(spark, str(out / "lines"), LINES_COLS) == _expected(load, delivered)

    # Run 2: the late file (named before files already merged) and a duplicate delivery of an
    # already merged file under a new, later name (DMS resending after a task restart).
    name, chunk = files[late]
    _write(spark, folder, name, chunk, fmt)
    delivered += chunk
    dup = next(i for i in range(k - 2, 0, -1) if i != late and files[i][1][-1][2] != files[i + 1][1][0][2])
    _write(spark, folder, cdc_name(10 * k + 7), files[dup][1], fmt)
    result = run_merge(spark, tmp_path / "dms" / "billing", out, TABLES, fmt)
    info = result.tables["lines"]
    assert info["files_new"] == 2 and info["files_late"] == [f"{name}.{fmt}"]
    assert read_state(spark, str(out / "lines"), LINES_COLS) == _expected(load, delivered)

    # Run 3: the rest.
    for name, chunk in files[k:]:
        _write(spark, folder, name, chunk, fmt)
        delivered += chunk
    result = run_merge(spark, tmp_path / "dms" / "billing", out, TABLES, fmt)
    expected = _expected(load, delivered)
    assert read_state(spark, str(out / "lines"), LINES_COLS) == expected
    assert result.tables["lines"]["rows"] == len(expected)

    # Run 4: nothing new -> a no-op that writes nothing but the run record.
    before = _snapshot(out / "lines") + _snapshot(out / "_cdc")
    result = run_merge(spark, tmp_path / "dms" / "billing", out, TABLES, fmt)
    assert result.tables["lines"]["status"] == "no_new_files"
    assert _snapshot(out / "lines") + _snapshot(out / "_cdc") == before

    # A full refresh from all files reaches the same state.
    run_merge(spark, tmp_path / "dms" / "billing", out, TABLES, fmt, full_refresh=True)
    assert read_state(spark, str(out / "lines"), LINES_COLS) == expected


def _items(spark, folder, name, rows, ddl=f"{OP} string, {TS} string, id int, name string"):
    cols = [c.split()[0].strip("`") for c in ddl.split(",")]
    write_dms_file(spark, folder, name, cols, rows, ddl)


def test_full_load_without_op_column_and_same_key_in_one_file(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [(ts_text(0), 1, "a"), (ts_text(0), 2, "b")], f"{TS} string, id int, name string")
    _items(spark, folder, cdc_name(1), [("U", ts_text(5), 1, "a1"), ("U", ts_text(5), 1, "a2"), ("D", ts_text(6), 2, "b"), ("I", ts_text(6), 2, "b2")])
    run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    assert read_state(spark, str(tmp_path / "out" / "items"), ("id", "name")) == {("1", "a2"), ("2", "b2")}


def test_change_during_full_load_wins_over_load_row(spark, tmp_path):
    """Full-load rows carry the load time, later than changes cached during the load: the
    change (applied after the load, as DMS does) must win."""
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(50), 1, "old")])
    _items(spark, folder, cdc_name(1), [("U", ts_text(10), 1, "new")])
    run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    assert read_state(spark, str(tmp_path / "out" / "items"), ("id", "name")) == {("1", "new")}


def test_new_nullable_column_is_carried_through(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(0), 1, "a"), ("I", ts_text(0), 2, "b")])
    run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    _items(
        spark,
        folder,
        cdc_name(1),
        [("U", ts_text(5), 1, "a", "red"), ("I", ts_text(5), 3, "c", None)],
        f"{OP} string, {TS} string, id int, name string, color string",
    )
    result = run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    assert result.tables["items"]["new_columns"] == ["color"]
    got = read_state(spark, str(tmp_path / "out" / "items"), ("id", "name", "color"))
    assert got == {("1", "a", "red"), ("2", "b", None), ("3", "c", None)}


def test_type_change_across_runs_names_table_column_and_file(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(0), 1, "a")])
    run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    _items(spark, folder, cdc_name(1), [("U", ts_text(5), 1, 7)], f"{OP} string, {TS} string, id int, name int")
    with pytest.raises(SchemaError) as error:
        run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    message = str(error.value)
    assert "table 'items'" in message and "column 'name'" in message and f"{cdc_name(1)}.parquet" in message
    assert "from string" in message and "to int" in message


def test_type_change_within_one_run_names_the_file(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(0), 1, "a")])
    _items(spark, folder, cdc_name(1), [("U", ts_text(5), 1, "b")], f"{OP} string, {TS} string, id bigint, name string")
    with pytest.raises(SchemaError) as error:
        run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    message = str(error.value)
    assert "table 'items'" in message and "column 'id'" in message and f"{cdc_name(1)}.parquet" in message


def test_missing_primary_key_names_table_column_and_file(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(0), 1, "a")])
    _items(spark, folder, cdc_name(1), [("U", ts_text(5), "b")], f"{OP} string, {TS} string, name string")
    with pytest.raises(SchemaError) as error:
        run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    message = str(error.value)
    assert "table 'items'" in message and "primary key column 'id'" in message and f"{cdc_name(1)}.parquet" in message
    assert not (tmp_path / "out" / "items").exists()


def test_null_key_and_bad_op_name_the_file(spark, tmp_path):
    folder = tmp_path / "dms" / "items"
    _items(spark, folder, "LOAD00000001", [("I", ts_text(0), None, "a")])
    with pytest.raises(SchemaError, match=r"table 'items': primary key column 'id' is NULL in file LOAD00000001.parquet"):
        run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
    os.remove(folder / "LOAD00000001.parquet")
    _items(spark, folder, cdc_name(1), [("X", ts_text(0), 1, "a")])
    with pytest.raises(SchemaError, match=r"column 'Op' holds 'X' \(not I/U/D\) in file " + cdc_name(1)):
        run_merge(spark, tmp_path / "dms", tmp_path / "out", "items:id")
