"""Data quality on DuckDB: the Spark job's checks (sales_etl.quality), the same reasons, in SQL.

Each source becomes one checked table `checked_<source>` with its typed columns, `_reason` (the
first failing check; NULL = clean) and its raw text columns `_raw_<column>` (for the quarantine
record). Order as in Spark: value checks, primary-key uniqueness among otherwise valid rows, then
foreign keys against the parent's clean rows, so a line item of a quarantined invoice is
quarantined too. Spark's `rlike` patterns are anchored, so they are full matches here.
"""

from __future__ import annotations

import json

from ..schemas import SOURCE_COLUMNS

_INT = "-?[0-9]{1,18}"
_MONEY = "-?[0-9]{1,10}([.][0-9]{1,2})?"
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _int(c: str, sql_type: str = "BIGINT") -> str:
    return f'CASE WHEN regexp_full_match(trim("{c}"), \'{_INT}\') THEN TRY_CAST(trim("{c}") AS {sql_type}) END'


def _money(c: str) -> str:
    return f'CASE WHEN regexp_full_match(trim("{c}"), \'{_MONEY}\') THEN TRY_CAST(trim("{c}") AS DECIMAL(12,2)) END'


def _date(c: str) -> str:
    # TRY_CAST keeps an impossible date such as 2021-02-30 NULL, as Spark's try_to_timestamp does.
    return f'CASE WHEN regexp_full_match(trim("{c}"), \'{_DATE}\') THEN TRY_CAST(trim("{c}") AS DATE) END'


def _present(c: str) -> str:
    return f'("{c}" IS NOT NULL AND trim("{c}") <> \'\')'


def _trimmed(c: str) -> str:
    return f'trim("{c}")'


# Per source: typed columns, value checks (bad condition, reason), key, and foreign keys
# (columns, parent, reason suffix), in the Spark job's order.
RULES = {
    "accounts": {
        "typed": {"account_id": _int("account_id"), "joining_date": _date("joining_date")},
        "checks": [
            ("account_id IS NULL", "account_id: missing or not a whole number"),
            (f"NOT {_present('company_name')}", "company_name: missing"),
            ("joining_date IS NULL", "joining_date: missing or not a date (YYYY-MM-DD)"),
        ],
        "key": ["account_id"],
        "references": [],
    },
    "invoices": {
        "typed": {
            "invoice_id": _int("invoice_id"),
            "account_id": _int("account_id"),
            "date_issued": _date("date_issued"),
            "payment_dates": _date("payment_dates"),
        },
        "checks": [
            ("invoice_id IS NULL", "invoice_id: missing or not a whole number"),
            ("account_id IS NULL", "account_id: missing or not a whole number"),
            ("date_issued IS NULL", "date_issued: missing or not a date (YYYY-MM-DD)"),
            # An empty payment date means "not paid yet" and is allowed; a present one must parse.
            (f"{_present('_raw_payment_dates')} AND payment_dates IS NULL", "payment_dates: not a date (YYYY-MM-DD)"),
        ],
        "key": ["invoice_id"],
        "references": [(["account_id"], "accounts")],
    },
    "skus": {
        "typed": {"item_id": _trimmed("item_id"), "item_cost_price": _money("item_cost_price"), "item_retail_price": _money("item_retail_price")},
        "checks": [
            (f"NOT {_present('_raw_item_id')}", "item_id: missing"),
            ("item_cost_price IS NULL", "item_cost_price: missing or not a decimal with <= 2 places"),
            ("item_retail_price IS NULL", "item_retail_price: missing or not a decimal with <= 2 places"),
            ("item_cost_price < 0", "item_cost_price: negative"),
            ("item_retail_price < 0", "item_retail_price: negative"),
        ],
        "key": ["item_id"],
        "references": [],
    },
    "invoice_line_items": {
        "typed": {"invoice_id": _int("invoice_id"), "item_id": _trimmed("item_id"), "quantity": _int("quantity", "INTEGER")},
        "checks": [
            ("invoice_id IS NULL", "invoice_id: missing or not a whole number"),
            (f"NOT {_present('_raw_item_id')}", "item_id: missing"),
            ("quantity IS NULL", "quantity: missing or not a whole number"),
            ("quantity < 0", "quantity: negative"),
        ],
        "key": ["invoice_id", "item_id"],
        "references": [(["invoice_id"], "invoices"), (["item_id"], "skus")],
    },
}
ORDER = ("accounts", "invoices", "skus", "invoice_line_items")  # parents before children


def _checked_sql(name: str) -> str:
    rules = RULES[name]
    columns = SOURCE_COLUMNS[name]
    raw = ", ".join(f'"{c}" AS "_raw_{c}"' for c in columns)
    typed = ", ".join(f'{rules["typed"].get(c, f"{chr(34)}{c}{chr(34)}")} AS "{c}"' for c in columns)
    first = "coalesce(" + ", ".join(f"CASE WHEN coalesce({bad}, false) THEN '{name}.{reason}' END" for bad, reason in rules["checks"]) + ")"
    keys = rules["key"]
    ok = "_reason IS NULL"
    unique = (
        f"CASE WHEN {ok} AND sum(CASE WHEN {ok} THEN 1 ELSE 0 END) OVER (PARTITION BY {', '.join(keys)}) > 1 "
        f"THEN '{name}.{'+'.join(keys)}: duplicate primary key' ELSE _reason END"
    )
    sql = f"""
        WITH typed AS (SELECT {typed}, {raw} FROM raw_{name}),
        checked AS (SELECT *, {first} AS _reason FROM typed),
        keyed AS (SELECT * REPLACE ({unique} AS _reason) FROM checked)"""
    previous = "keyed"
    for index, (fk, parent) in enumerate(rules["references"]):
        join = " AND ".join(f"p.{k} = c.{k}" for k in fk)
        reason = f"{name}.{'+'.join(fk)}: no matching row in {parent}"
        sql += f""",
        fk{index} AS (
            SELECT c.* REPLACE (CASE WHEN c._reason IS NULL AND NOT EXISTS (
                SELECT 1 FROM checked_{parent} p WHERE p._reason IS NULL AND {join}) THEN '{reason}' ELSE c._reason END AS _reason)
            FROM {previous} c)"""
        previous = f"fk{index}"
    return f"CREATE OR REPLACE TABLE checked_{name} AS {sql} SELECT * FROM {previous}"


def validate(con) -> dict[str, tuple[int, int]]:
    """Creates checked_<source> for raw_<source> tables and the clean views <source>; returns
    {source: (clean rows, quarantined rows)}."""
    counts = {}
    for name in ORDER:
        con.execute(_checked_sql(name))
        columns = ", ".join(f'"{c}"' for c in SOURCE_COLUMNS[name])
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM checked_{name} WHERE _reason IS NULL")
        clean, bad = con.execute(f"SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FILTER (WHERE _reason IS NOT NULL) FROM checked_{name}").fetchone()
        counts[name] = (int(clean), int(bad))
    return counts


def record(values: dict) -> str:
    """A bad row's raw values as JSON, as Spark's to_json(struct(...)) writes it: columns in order,
    NULLs left out, no spaces, non-ASCII as is."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, ensure_ascii=False, separators=(",", ":"))


def quarantined_rows(con, name: str) -> list[tuple[str, str, str]]:
    """[(source_table, reason, record)] of the source's bad rows."""
    columns = SOURCE_COLUMNS[name]
    raw = ", ".join(f'"_raw_{c}"' for c in columns)
    rows = con.execute(f"SELECT _reason, {raw} FROM checked_{name} WHERE _reason IS NOT NULL").fetchall()
    return [(name, row[0], record(dict(zip(columns, row[1:])))) for row in rows]
