"""End to end: MariaDB (binlog ROW/FULL) -> row events from `mariadb-binlog --verbose` -> files in
DMS's S3 layout -> cdc_merge -> equal to SELECT * of every table; then sales_etl reads the
merged tables with source_format=cdc.

Needs mariadbd, mariadb-install-db, mariadb-binlog and mariadb (jobs/tests/install_mariadb.sh);
skipped with the reason when they are absent. The server is a child of the test, on 127.0.0.1 and
a free port, in a temp dir, killed at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from cdc_helpers import OP, TS, cdc_name, run_merge, write_dms_file
from mariadb_server import MariaDB, missing_tools

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"MariaDB binaries missing ({', '.join(missing_tools())}): run jobs/tests/install_mariadb.sh - the CDC end-to-end test did NOT run",
)

SCHEMA = "billing"
TABLES = {
    "accounts": (
        ("account_id", "INT", "int"),
        ("company_name", "VARCHAR(200)", "string"),
        ("company_address", "VARCHAR(500)", "string"),
        ("contact_person", "VARCHAR(200)", "string"),
        ("contact_phone", "VARCHAR(50)", "string"),
        ("gender", "CHAR(1)", "string"),
        ("joining_date", "DATE", "date"),
    ),
    "invoices": (
        ("invoice_id", "INT", "int"),
        ("account_id", "INT", "int"),
        ("date_issued", "DATE", "date"),
        ("payment_dates", "DATE NULL", "date"),
    ),
    "invoice_line_items": (("invoice_id", "INT", "int"), ("item_id", "VARCHAR(32)", "string"), ("quantity", "INT", "int")),
    "skus": (
        ("item_id", "VARCHAR(32)", "string"),
        ("item_name", "VARCHAR(200)", "string"),
        ("item_description", "VARCHAR(500)", "string"),
        ("item_cost_price", "DECIMAL(12,2)", "decimal(12,2)"),
        ("item_retail_price", "DECIMAL(12,2)", "decimal(12,2)"),
    ),
}
KEYS = {"accounts": ("account_id",), "invoices": ("invoice_id",), "invoice_line_items": ("invoice_id", "item_id"), "skus": ("item_id",)}
TABLES_ARG = ";".join(f"{t}:{','.join(k)}" for t, k in KEYS.items())
T0 = 1_717_200_000  # 2024-06-01 00:00:00 UTC: SET TIMESTAMP base for the scripted transactions


def _columns(table):
    return [c for c, _, _ in TABLES[table]]


def _ddl(table):
    return f"{OP} string, {TS} string, " + ", ".join(f"`{c}` {t}" for c, _, t in TABLES[table])


def _create_sql():
    out = [f"CREATE DATABASE {SCHEMA};", f"USE {SCHEMA};"]
    for table, cols in TABLES.items():
        body = ", ".join(f"`{c}` {t}" for c, t, _ in cols)
        out.append(f"CREATE TABLE `{table}` ({body}, PRIMARY KEY ({', '.join(KEYS[table])})) ENGINE=InnoDB;")
    return "\n".join(out)


def _seed_sql():
    rows = []
    for a in range(1, 21):
        rows.append(
            f"INSERT INTO accounts VALUES ({a}, 'Company {a}', '{a} Mill Lane\\nWestbrook, CA', 'Person {a}', "
            f"'(188)544-{a:04d}', '{'MF'[a % 2]}', '2017-03-{1 + a % 28:02d}');"
        )
    for s in range(1, 16):
        rows.append(f"INSERT INTO skus VALUES ('SKU-{s}', 'Item {s}', 'does thing {s}', {s * 10}.25, {s * 15}.99);")
    for i in range(1, 41):
        paid = "NULL" if i % 4 == 0 else f"'2021-02-{1 + i % 27:02d}'"
        rows.append(f"INSERT INTO invoices VALUES ({i}, {1 + i % 20}, '2021-01-{1 + i % 28:02d}', {paid});")
        for s in (1 + i % 15, 1 + (i * 7) % 15):
            rows.append(f"INSERT IGNORE INTO invoice_line_items VALUES ({i}, 'SKU-{s}', {1 + i % 5});")
    return "\n".join(rows)


def _phase_a():
    """Transactions; each one gets its own SET TIMESTAMP (some share a second on purpose)."""
    return [
        (
            1,
            [
                "INSERT INTO accounts VALUES (100, 'New Co', 'Line 1\\nLine 2', 'Ann O''Neil', '555', 'F', '2024-01-02')",
                "INSERT INTO invoices VALUES (500, 100, '2024-05-30', NULL)",
                "INSERT INTO invoice_line_items VALUES (500, 'SKU-1', 3), (500, 'SKU-2', 1)",
            ],
        ),
        (
            2,
            [
                "UPDATE accounts SET company_name = 'Renamed 1' WHERE account_id = 1",
                "UPDATE accounts SET company_name = 'Renamed 1 again', contact_phone = '777' WHERE account_id = 1",
                "UPDATE skus SET item_retail_price = 19.95 WHERE item_id = 'SKU-3'",
            ],
        ),
        (3, ["DELETE FROM invoice_line_items WHERE invoice_id = 2", "DELETE FROM invoices WHERE invoice_id = 2"]),
        (4, ["DELETE FROM accounts WHERE account_id = 3"]),
        (4, ["INSERT INTO accounts VALUES (3, 'Company 3 reborn', 'Elsewhere', 'P3', '333', 'M', '2024-06-01')"]),
        (
            5,
            [
                "UPDATE invoices SET payment_dates = '2024-06-01' WHERE invoice_id = 4",
                "UPDATE invoice_line_items SET quantity = quantity + 10 WHERE invoice_id BETWEEN 10 AND 14",
            ],
        ),
        *[(6 + n, [f"UPDATE invoice_line_items SET quantity = {20 + n} WHERE invoice_id = {15 + n % 5}"]) for n in range(10)],
    ]


def _phase_b():
    return [
        (
            100,
            [
                "UPDATE accounts SET company_address = 'Moved \"quoted\" street' WHERE account_id = 100",
                "DELETE FROM invoice_line_items WHERE invoice_id = 500 AND item_id = 'SKU-2'",
            ],
        ),
        (101, ["DELETE FROM skus WHERE item_id = 'SKU-15'", "INSERT INTO skus VALUES ('SKU-99', 'Brand new', 'n/a', 1.00, 2.50)"]),
        (101, ["UPDATE skus SET item_cost_price = 1.10 WHERE item_id = 'SKU-99'"]),
        (
            102,
            [
                "DELETE FROM accounts WHERE account_id = 100",
                "DELETE FROM invoices WHERE invoice_id = 500",
                "DELETE FROM invoice_line_items WHERE invoice_id = 500",
            ],
        ),
        (103, ["INSERT INTO accounts VALUES (100, 'Back again', 'Same place', 'Ann', '556', 'F', '2024-01-02')"]),
    ]


def _apply(db, transactions):
    script = []
    for second, statements in transactions:
        script.append(f"SET TIMESTAMP = {T0 + second}; BEGIN; " + "; ".join(statements) + "; COMMIT;")
    db.sql("\n".join(script), SCHEMA)


_HEADER = re.compile(r"^#(\d{6})\s+(\d{1,2}:\d\d:\d\d) server id")
_EVENT = re.compile(r"^### (INSERT INTO|UPDATE|DELETE FROM) `([^`]+)`\.`([^`]+)`")
_VALUE = re.compile(r"^###\s+@(\d+)=(.*)$")


def parse_binlog(text: str):
    """Row events from mariadb-binlog --verbose: [(table, op, commit ts text, {col: raw value})].
    UPDATE keeps the after image (SET), DELETE the before image (WHERE), as DMS writes them."""
    events, current, section, ts = [], None, None, None

    def flush():
        if current is not None:
            events.append(current)

    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            ts = dt.datetime.strptime(" ".join(header.groups()), "%y%m%d %H:%M:%S").strftime("%Y-%m-%d %H:%M:%S.%f")
            continue
        event = _EVENT.match(line)
        if event:
            flush()
            kind, schema, table = event.groups()
            op = {"INSERT INTO": "I", "UPDATE": "U", "DELETE FROM": "D"}[kind]
            current = (table, op, ts, {}, {})
            section = "set" if op == "I" else "where"
            continue
        if current is None:
            continue
        if line.startswith("### SET"):
            section = "set"
        elif line.startswith("### WHERE"):
            section = "where"
        elif _VALUE.match(line):
            index, raw = _VALUE.match(line).groups()
            (current[3] if section == "set" else current[4])[int(index)] = raw
        elif not line.startswith("###"):
            flush()
            current = None
    flush()
    out = []
    for table, op, ts, after, before in events:
        image = before if op == "D" else after
        out.append((table, op, ts, image))
    return out


def _value(raw: str, spark_type: str):
    if raw == "NULL":
        return None
    if raw.startswith("'") and raw.endswith("'"):
        text = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), raw[1:-1])
        if spark_type == "date":
            return dt.date(*map(int, text.replace(":", "-").split("-")))
        return text
    if spark_type == "int":
        return int(raw.split()[0])
    if spark_type.startswith("decimal"):
        return Decimal(raw)
    raise AssertionError(f"unexpected binlog value {raw!r} for {spark_type}")


def _db_row(table, record):
    out = []
    for c, _, t in TABLES[table]:
        v = record[c]
        if v is not None and t == "date":
            v = dt.date.fromisoformat(v)
        elif v is not None and t.startswith("decimal"):
            v = Decimal(v).quantize(Decimal("0.01"))
        out.append(v)
    return tuple(out)


def _write_changes(spark, root: Path, events, first_name: int):
    """Each table's events, in binlog order, into 2 CDC files (DMS cuts files by size/time)."""
    written = 0
    for table in TABLES:
        mine = [e for e in events if e[0] == table]
        cols = _columns(table)
        types = [t for _, _, t in TABLES[table]]
        rows = [(op, ts, *[_value(image[i + 1], types[i]) for i in range(len(cols))]) for _, op, ts, image in mine]
        half = (len(rows) + 1) // 2
        for n, chunk in enumerate((rows[:half], rows[half:])):
            write_dms_file(spark, root / table, cdc_name(first_name + n), (OP, TS, *cols), chunk, _ddl(table))
            written += 1
    return written


def _merged(spark, out: Path, table):
    cols = _columns(table)
    return sorted(tuple(r[c] for c in cols) for r in spark.read.parquet(str(out / table)).collect())


def _selected(db, table):
    return sorted(_db_row(table, r) for r in db.rows(SCHEMA, table, _columns(table)))


def _master_status(db):
    name, position = db.sql("SHOW MASTER STATUS;").split()[:2]
    return name, int(position)


def test_mariadb_binlog_to_dms_files_to_current_state(spark, tmp_path):
    db = MariaDB(tmp_path / "mariadb")
    os.environ.setdefault("TZ", "UTC")
    try:
        db.start()
        db.sql(_create_sql())
        db.sql(_seed_sql(), SCHEMA)
        dms = tmp_path / "dms" / SCHEMA
        out = tmp_path / "curated"

        # Full load: the snapshot at a known binlog position (Op included, as in terraform's endpoint).
        position = _master_status(db)
        load_ts = "2024-05-31 23:59:59.000000"
        for table in TABLES:
            cols = _columns(table)
            rows = [("I", load_ts, *_db_row(table, r)) for r in db.rows(SCHEMA, table, cols)]
            write_dms_file(spark, dms / table, "LOAD00000001", (OP, TS, *cols), rows, _ddl(table))

        for phase, transactions in (("a", _phase_a()), ("b", _phase_b())):
            _apply(db, transactions)
            env_tz = os.environ.get("TZ")
            os.environ["TZ"] = "UTC"  # mariadb-binlog prints event times in the local zone
            try:
                text = db.binlog_text(*position)
            finally:
                if env_tz is None:
                    os.environ.pop("TZ")
                else:
                    os.environ["TZ"] = env_tz
            position = _master_status(db)
            events = parse_binlog(text)
            assert events, f"no row events decoded in phase {phase}"
            assert {e[1] for e in events} >= ({"I", "U", "D"} if phase == "a" else {"I", "D"})
            _write_changes(spark, dms, events, first_name=0 if phase == "a" else 1000)
            if phase == "a":
                (dms / "skus" / f"{cdc_name(500)}.parquet").write_bytes(
                    (dms / "skus" / f"{cdc_name(0)}.parquet").read_bytes()
                )  # duplicate delivery of a whole file under a later name
            result = run_merge(spark, tmp_path / "dms" / SCHEMA, out, TABLES_ARG)
            assert all(info["status"] == "merged" for info in result.tables.values()), result.tables
            for table in TABLES:
                assert _merged(spark, out, table) == _selected(db, table), f"{table} after phase {phase}"

        # Rerun without new files: nothing merged.
        result = run_merge(spark, tmp_path / "dms" / SCHEMA, out, TABLES_ARG)
        assert {info["status"] for info in result.tables.values()} == {"no_new_files"}

        # The chain: sales_etl reads the merged tables with source_format=cdc.
        from sales_etl.config import load_default_config, merge, resolve
        from sales_etl.extract import read_sources

        cfg = resolve(merge(load_default_config(), {"source_format": "cdc", "source_path": str(out)}, "test"), dt.datetime.now(dt.timezone.utc))
        sources = read_sources(spark, cfg.source_paths, cfg.source_format)
        for table in TABLES:
            assert sources[table].count() == len(_selected(db, table))
        row = sources["skus"].where("item_id = 'SKU-99'").first()
        assert (row["item_cost_price"], row["item_retail_price"]) == ("1.10", "2.50")
    finally:
        db.stop()
