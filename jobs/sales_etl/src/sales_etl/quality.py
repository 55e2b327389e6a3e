"""Data quality: type the raw string sources and split them into clean rows and quarantined rows.

Pure transform: string DataFrames in, typed clean DataFrames plus one quarantine DataFrame out.
Each bad row is kept once, with the first failing reason, as a JSON copy of its raw values.
Order of checks: value checks, then primary-key uniqueness, then foreign keys against the
*clean* parent rows, so a line item of a quarantined invoice is quarantined too.

One pass per source: every source becomes one "checked" frame (typed columns, `_reason`,
`_record`) from which its clean rows, its quarantined rows and its counts are all derived. The
caller can materialise each checked frame once (`materialize`, e.g. persist) before anything reads
it, children included: the foreign-key checks then read the parents' materialised rows.
Small dimensions (accounts, SKUs) are broadcast to the foreign-key joins; line items are
clustered by invoice_id once, which serves both their uniqueness check and the join to invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from .extract import SOURCE_COLUMNS

QUARANTINE_COLUMNS = ("source_table", "reason", "record")

_INT = r"^-?[0-9]{1,18}$"
_MONEY = r"^-?[0-9]{1,10}([.][0-9]{1,2})?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class Validated:
    clean: dict[str, DataFrame]
    quarantine: DataFrame
    # Per source: typed output columns, _reason (NULL = clean) and _record (raw values as JSON, bad rows only).
    checked: dict[str, DataFrame]


def _trimmed(name: str) -> Column:
    return F.trim(F.col(name))


def _int(name: str, sql_type: str = "BIGINT") -> Column:
    return F.when(_trimmed(name).rlike(_INT), F.expr(f"try_cast(trim(`{name}`) AS {sql_type})"))


def _money(name: str) -> Column:
    return F.when(_trimmed(name).rlike(_MONEY), F.expr(f"try_cast(trim(`{name}`) AS DECIMAL(12,2))"))


def _date(name: str) -> Column:
    # try_to_timestamp keeps an impossible date such as 2021-02-30 NULL even with ANSI mode on.
    return F.when(
        _trimmed(name).rlike(_DATE),
        F.expr(f"CAST(try_to_timestamp(trim(`{name}`), 'yyyy-MM-dd') AS DATE)"),
    )


def _present(name: str) -> Column:
    return F.col(name).isNotNull() & (_trimmed(name) != "")


def _first_reason(checks: list[tuple[Column, str]]) -> Column:
    """The reason of the first check whose `bad` condition holds, else NULL."""
    return F.coalesce(*[F.when(bad, F.lit(reason)) for bad, reason in checks], F.lit(None).cast("string"))


class _Table:
    """A source being validated: raw columns, typed columns (prefixed) and a reason column."""

    def __init__(self, name: str, raw: DataFrame):
        self.name = name
        self.raw_columns = SOURCE_COLUMNS[name]
        self.df = raw.withColumn("_reason", F.lit(None).cast("string"))

    def check(self, checks: list[tuple[Column, str]]) -> None:
        qualified = [(bad, f"{self.name}.{reason}") for bad, reason in checks]
        self.df = self.df.withColumn("_reason", F.coalesce(F.col("_reason"), _first_reason(qualified)))

    def type(self, typed: dict[str, Column]) -> None:
        for column, expression in typed.items():
            self.df = self.df.withColumn(f"_t_{column}", expression)

    def unique(self, keys: list[str]) -> None:
        """Every row of a key that occurs more than once among otherwise-valid rows is bad:
        with two candidate rows there is no telling which one is right."""
        ok = F.col("_reason").isNull()
        window = Window.partitionBy(*[F.col(f"_t_{k}") for k in keys])
        copies = F.sum(F.when(ok, 1).otherwise(0)).over(window)
        self.df = self.df.withColumn(
            "_reason",
            F.when(ok & (copies > 1), F.lit(f"{self.name}.{'+'.join(keys)}: duplicate primary key")).otherwise(F.col("_reason")),
        )

    def references(self, keys: list[str], parent: DataFrame, parent_name: str, small: bool = False) -> None:
        """Rows whose key has no clean parent row are bad (orphans). small: broadcast the parent."""
        marker = f"_fk_{parent_name}"
        parent_keys = parent.select(*[F.col(k).alias(f"_t_{k}") for k in keys]).withColumn(marker, F.lit(True))
        if small:
            parent_keys = F.broadcast(parent_keys)
        self.df = self.df.join(parent_keys, on=[f"_t_{k}" for k in keys], how="left")
        reason = f"{self.name}.{'+'.join(keys)}: no matching row in {parent_name}"
        self.df = self.df.withColumn(
            "_reason",
            F.when(F.col("_reason").isNull() & F.col(marker).isNull(), F.lit(reason)).otherwise(F.col("_reason")),
        ).drop(marker)

    def finish(self, materialize: Callable[[str, DataFrame], DataFrame]) -> None:
        """Keep only what the outputs need: typed columns, the reason, and the raw record of bad rows."""
        record = F.to_json(F.struct(*[F.col(c) for c in self.raw_columns]))
        typed = [(F.col(f"_t_{c}") if f"_t_{c}" in self.df.columns else F.col(c)).alias(c) for c in self.raw_columns]
        self.df = materialize(
            self.name,
            self.df.select(*typed, "_reason", F.when(F.col("_reason").isNotNull(), record).alias("_record")),
        )

    def clean(self) -> DataFrame:
        return clean_rows(self.name, self.df)

    def quarantined(self) -> DataFrame:
        return quarantined_rows(self.name, self.df)


def clean_rows(name: str, checked: DataFrame) -> DataFrame:
    return checked.where(F.col("_reason").isNull()).select(*SOURCE_COLUMNS[name])


def quarantined_rows(name: str, checked: DataFrame) -> DataFrame:
    return checked.where(F.col("_reason").isNotNull()).select(
        F.lit(name).alias("source_table"), F.col("_reason").alias("reason"), F.col("_record").alias("record")
    )


def _as_is(_name: str, df: DataFrame) -> DataFrame:
    return df


def validate(raw: dict[str, DataFrame], materialize: Callable[[str, DataFrame], DataFrame] = _as_is) -> Validated:
    accounts = _Table("accounts", raw["accounts"])
    accounts.type({"account_id": _int("account_id"), "joining_date": _date("joining_date")})
    accounts.check(
        [
            (F.col("_t_account_id").isNull(), "account_id: missing or not a whole number"),
            (~_present("company_name"), "company_name: missing"),
            (F.col("_t_joining_date").isNull(), "joining_date: missing or not a date (YYYY-MM-DD)"),
        ]
    )
    accounts.unique(["account_id"])
    accounts.finish(materialize)
    clean_accounts = accounts.clean()

    invoices = _Table("invoices", raw["invoices"])
    invoices.type(
        {
            "invoice_id": _int("invoice_id"),
            "account_id": _int("account_id"),
            "date_issued": _date("date_issued"),
            "payment_dates": _date("payment_dates"),
        }
    )
    invoices.check(
        [
            (F.col("_t_invoice_id").isNull(), "invoice_id: missing or not a whole number"),
            (F.col("_t_account_id").isNull(), "account_id: missing or not a whole number"),
            (F.col("_t_date_issued").isNull(), "date_issued: missing or not a date (YYYY-MM-DD)"),
            # An empty payment date means "not paid yet" and is allowed; a present one must parse.
            (_present("payment_dates") & F.col("_t_payment_dates").isNull(), "payment_dates: not a date (YYYY-MM-DD)"),
        ]
    )
    invoices.unique(["invoice_id"])
    invoices.references(["account_id"], clean_accounts, "accounts", small=True)
    invoices.finish(materialize)
    clean_invoices = invoices.clean()

    skus = _Table("skus", raw["skus"])
    skus.type(
        {
            "item_id": _trimmed("item_id"),
            "item_cost_price": _money("item_cost_price"),
            "item_retail_price": _money("item_retail_price"),
        }
    )
    skus.check(
        [
            (~_present("item_id"), "item_id: missing"),
            (F.col("_t_item_cost_price").isNull(), "item_cost_price: missing or not a decimal with <= 2 places"),
            (F.col("_t_item_retail_price").isNull(), "item_retail_price: missing or not a decimal with <= 2 places"),
            (F.col("_t_item_cost_price") < 0, "item_cost_price: negative"),
            (F.col("_t_item_retail_price") < 0, "item_retail_price: negative"),
        ]
    )
    skus.unique(["item_id"])
    skus.finish(materialize)
    clean_skus = skus.clean()

    items = _Table("invoice_line_items", raw["invoice_line_items"])
    items.type(
        {
            "invoice_id": _int("invoice_id"),
            "item_id": _trimmed("item_id"),
            "quantity": _int("quantity", "INT"),
        }
    )
    items.check(
        [
            (F.col("_t_invoice_id").isNull(), "invoice_id: missing or not a whole number"),
            (~_present("item_id"), "item_id: missing"),
            (F.col("_t_quantity").isNull(), "quantity: missing or not a whole number"),
            (F.col("_t_quantity") < 0, "quantity: negative"),
        ]
    )
    # Cluster by invoice_id once: the (invoice_id, item_id) uniqueness window and the join to
    # invoices on invoice_id both accept that partitioning, so the line items shuffle once.
    items.df = items.df.repartition(F.col("_t_invoice_id"))
    items.unique(["invoice_id", "item_id"])
    items.references(["invoice_id"], clean_invoices, "invoices")
    items.references(["item_id"], clean_skus, "skus", small=True)
    items.finish(materialize)
    clean_items = items.clean()

    tables = (accounts, invoices, skus, items)
    quarantine = reduce(DataFrame.unionByName, [t.quarantined() for t in tables])
    return Validated(
        clean={
            "accounts": clean_accounts,
            "invoices": clean_invoices,
            "invoice_line_items": clean_items,
            "skus": clean_skus,
        },
        quarantine=quarantine,
        checked={t.name: t.df for t in tables},
    )
