"""__JOB__: the transform the job runs, on a tiny frame with exact rows."""

from __future__ import annotations

import sys
from pathlib import Path

JOB_SRC = Path(__file__).resolve().parents[1] / "__JOB__" / "src"
if str(JOB_SRC) not in sys.path:
    sys.path.insert(0, str(JOB_SRC))


def test_invoices_per_month(spark):
    from __JOB__.transform import build

    invoices = spark.createDataFrame(
        [("1", "6", "2020-09-19"), ("2", "13", "2020-09-30"), ("3", "6", "2020-10-01"), ("4", "2", "not a date")],
        "invoice_id string, account_id string, date_issued string",
    )
    rows = build(spark, {"invoices": invoices})["invoices_per_month"].orderBy("year", "month").collect()
    assert [tuple(r) for r in rows] == [(2020, 9, 2), (2020, 10, 1)]
