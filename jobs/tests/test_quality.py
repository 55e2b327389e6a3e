import datetime as dt
import json
from decimal import Decimal

from sales_etl.extract import SOURCE_COLUMNS
from sales_etl.quality import validate


def raw(spark, table, rows):
    schema = ", ".join(f"{c} string" for c in SOURCE_COLUMNS[table])
    return spark.createDataFrame(rows, schema)


def good_sources(spark, items):
    return {
        "accounts": raw(spark, "accounts", [("1", "Acme, Ltd", "1 Road\nTown", "Ann", "555", "F", "2019-01-02")]),
        "invoices": raw(
            spark,
            "invoices",
            [("10", "1", "2021-01-05", "2021-01-20"), ("11", "1", "2021-02-01", "")],
        ),
        "skus": raw(spark, "skus", [("0-1-2-X", "Pump", "air pump", "10.50", "20")]),
        "invoice_line_items": raw(spark, "invoice_line_items", items),
    }


def quarantined(result):
    return sorted((r.source_table, r.reason, r.record) for r in result.quarantine.collect())


def test_valid_rows_are_typed_and_nothing_is_quarantined(spark):
    result = validate(good_sources(spark, [("10", "0-1-2-X", "3"), ("11", "0-1-2-X", "0")]))
    assert quarantined(result) == []
    assert [tuple(r) for r in result.clean["accounts"].collect()] == [(1, "Acme, Ltd", "1 Road\nTown", "Ann", "555", "F", dt.date(2019, 1, 2))]
    # An empty payment date is an unpaid invoice, kept with NULL.
    assert sorted(tuple(r) for r in result.clean["invoices"].collect()) == [
        (10, 1, dt.date(2021, 1, 5), dt.date(2021, 1, 20)),
        (11, 1, dt.date(2021, 2, 1), None),
    ]
    assert [tuple(r) for r in result.clean["skus"].collect()] == [("0-1-2-X", "Pump", "air pump", Decimal("10.50"), Decimal("20.00"))]
    assert sorted(tuple(r) for r in result.clean["invoice_line_items"].collect()) == [
        (10, "0-1-2-X", 3),
        (11, "0-1-2-X", 0),
    ]


def test_orphan_negative_and_duplicate_line_items_are_quarantined_with_reasons(spark):
    items = [
        ("10", "0-1-2-X", "3"),  # good
        ("99", "0-1-2-X", "1"),  # no invoice 99
        ("10", "NOPE", "1"),  # no such SKU
        ("11", "0-1-2-X", "-2"),  # negative quantity
        ("11", "0-1-2-X", "1"),  # would be fine alone, but see the next row
        ("11", "0-1-2-X", "4"),  # same (invoice_id, item_id) twice -> both quarantined
        ("10", "", "2"),  # no item_id
        ("x", "0-1-2-X", "2"),  # invoice_id not a number
    ]
    result = validate(good_sources(spark, items))
    assert [tuple(r) for r in result.clean["invoice_line_items"].collect()] == [(10, "0-1-2-X", 3)]
    li = "invoice_line_items"
    assert quarantined(result) == sorted(
        [
            (
                li,
                "invoice_line_items.invoice_id: no matching row in invoices",
                json.dumps({"invoice_id": "99", "item_id": "0-1-2-X", "quantity": "1"}, separators=(",", ":")),
            ),
            (li, "invoice_line_items.item_id: no matching row in skus", '{"invoice_id":"10","item_id":"NOPE","quantity":"1"}'),
            (li, "invoice_line_items.quantity: negative", '{"invoice_id":"11","item_id":"0-1-2-X","quantity":"-2"}'),
            (li, "invoice_line_items.invoice_id+item_id: duplicate primary key", '{"invoice_id":"11","item_id":"0-1-2-X","quantity":"1"}'),
            (li, "invoice_line_items.invoice_id+item_id: duplicate primary key", '{"invoice_id":"11","item_id":"0-1-2-X","quantity":"4"}'),
            (li, "invoice_line_items.item_id: missing", '{"invoice_id":"10","item_id":"","quantity":"2"}'),
            (li, "invoice_line_items.invoice_id: missing or not a whole number", '{"invoice_id":"x","item_id":"0-1-2-X","quantity":"2"}'),
        ]
    )


def test_bad_parent_rows_cascade_to_their_children(spark):
    sources = good_sources(spark, [("10", "0-1-2-X", "1"), ("12", "0-1-2-X", "1"), ("13", "0-1-2-X", "1")])
    sources["invoices"] = raw(
        spark,
        "invoices",
        [
            ("10", "1", "2021-01-05", "2021-01-20"),
            ("12", "1", "2021-02-30", "2021-03-01"),  # impossible date
            ("13", "7", "2021-01-05", "2021-01-06"),  # account 7 does not exist
        ],
    )
    sources["skus"] = raw(
        spark,
        "skus",
        [("0-1-2-X", "Pump", "air pump", "10.50", "20"), ("9-9", "Bad", "negative", "-1.00", "2.00"), ("8-8", "Bad", "three places", "1.005", "2.00")],
    )
    result = validate(sources)
    assert [tuple(r) for r in result.clean["invoice_line_items"].collect()] == [(10, "0-1-2-X", 1)]
    assert [r.invoice_id for r in result.clean["invoices"].collect()] == [10]
    assert sorted(r.item_id for r in result.clean["skus"].collect()) == ["0-1-2-X"]
    assert [(t, reason) for t, reason, _ in quarantined(result)] == sorted(
        [
            ("invoices", "invoices.date_issued: missing or not a date (YYYY-MM-DD)"),
            ("invoices", "invoices.account_id: no matching row in accounts"),
            ("skus", "skus.item_cost_price: negative"),
            ("skus", "skus.item_cost_price: missing or not a decimal with <= 2 places"),
            ("invoice_line_items", "invoice_line_items.invoice_id: no matching row in invoices"),
            ("invoice_line_items", "invoice_line_items.invoice_id: no matching row in invoices"),
        ]
    )


def test_duplicate_account_keys_and_bad_joining_dates_are_quarantined(spark):
    sources = good_sources(spark, [("10", "0-1-2-X", "1")])
    sources["accounts"] = raw(
        spark,
        "accounts",
        [
            ("1", "Acme", "a", "Ann", "1", "F", "2019-01-02"),
            ("2", "Dup A", "a", "Bo", "2", "M", "2019-01-02"),
            ("2", "Dup B", "a", "Cy", "3", "M", "2019-01-03"),
            ("3", "Late", "a", "Di", "4", "F", "02/01/2019"),
        ],
    )
    result = validate(sources)
    assert [r.account_id for r in result.clean["accounts"].collect()] == [1]
    assert [(t, reason) for t, reason, _ in quarantined(result)] == sorted(
        [
            ("accounts", "accounts.account_id: duplicate primary key"),
            ("accounts", "accounts.account_id: duplicate primary key"),
            ("accounts", "accounts.joining_date: missing or not a date (YYYY-MM-DD)"),
        ]
    )
