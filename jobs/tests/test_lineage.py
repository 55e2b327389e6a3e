"""The model order and dependencies come from the SQL files themselves."""

import pytest

from sales_etl import MODEL_INPUTS, SOURCES, TABLES
from sales_etl.lineage import dependencies, dependents, model_names, order, tables_read


def test_packaged_models_and_their_order():
    assert model_names() == sorted(TABLES)
    assert TABLES == (
        "account_details",
        "invoice_details",
        "fact_sales",
        "client_profile",
        "fact_sales_processed",
        "monthly_sales_summary",
    )
    assert MODEL_INPUTS == {
        "account_details": set(),
        "invoice_details": set(),
        "fact_sales": {"invoice_details"},
        "client_profile": {"fact_sales"},
        "fact_sales_processed": {"fact_sales"},
        "monthly_sales_summary": {"fact_sales"},
    }
    assert dependents(MODEL_INPUTS)["fact_sales"] == {"client_profile", "fact_sales_processed", "monthly_sales_summary"}


def test_tables_read_ignores_comments_and_cte_names():
    sql = """-- FROM commented_out
    WITH per_account AS (SELECT a FROM fact_sales GROUP BY a), other AS (SELECT 1 FROM skus)
    SELECT * FROM Accounts acc LEFT JOIN per_account p ON 1 = 1 JOIN other o ON 1 = 1"""
    assert tables_read(sql) == {"fact_sales", "skus", "accounts"}


def test_a_new_model_is_ordered_after_what_it_reads():
    sqls = {
        "weekly": "SELECT * FROM fact_sales",
        "fact_sales": "SELECT * FROM invoice_details",
        "invoice_details": "SELECT * FROM invoices JOIN skus ON 1 = 1",
        "audit": "SELECT * FROM weekly JOIN accounts ON 1 = 1",
    }
    deps = dependencies(SOURCES, sqls)
    assert deps == {"weekly": {"fact_sales"}, "fact_sales": {"invoice_details"}, "invoice_details": set(), "audit": {"weekly"}}
    assert order(deps) == ("invoice_details", "fact_sales", "weekly", "audit")


def test_unknown_tables_and_cycles_are_errors():
    with pytest.raises(ValueError, match="model a reads nowhere: neither a source nor a model"):
        dependencies(SOURCES, {"a": "SELECT * FROM nowhere"})
    with pytest.raises(ValueError, match="models read each other in a cycle: a, b"):
        order(dependencies(SOURCES, {"a": "SELECT * FROM b", "b": "SELECT * FROM a"}))
