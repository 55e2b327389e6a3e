"""Spark SQL models to DuckDB SQL, mechanically (sqlglot), with the differences that change rows.

The Spark SQL file stays the source of truth. sqlglot carries most of Spark's dialect (datediff,
named parameters :name -> $name, casts); what it carries with a different meaning is fixed on the
tree here: Spark's dayofweek counts 1 = Sunday .. 7, DuckDB's 0 = Sunday .. 6. A construct
sqlglot cannot express in DuckDB is an error naming the model file and line.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from ..errors import ConfigError


def _fix(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DayOfWeek):
        return exp.Paren(this=exp.Add(this=node.copy(), expression=exp.Literal.number(1)))
    return node


def _line_of(sql: str, needle: str) -> int:
    for number, line in enumerate(sql.splitlines(), start=1):
        if not line.lstrip().startswith("--") and needle.lower() in line.lower():
            return number
    return 1


def to_duckdb(sql: str, origin: str) -> str:
    """DuckDB SQL of one Spark SQL model; origin names it in errors (e.g. models/fact_sales.sql)."""
    try:
        tree = sqlglot.parse_one(sql, read="spark")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise ConfigError(f"{origin}:{first.get('line', 1)}: Spark SQL that cannot be parsed ({first.get('description', exc)}); fix the model") from None
    for node in tree.find_all(exp.Anonymous):
        # A function sqlglot does not know is passed through by name: DuckDB would fail on it at
        # run time, or worse, run its own function of that name.
        name = str(node.this)
        raise ConfigError(
            f"{origin}:{_line_of(sql, name + '(')}: function {name}() is Spark-only or unknown to the DuckDB translation; "
            f"rewrite it with functions both engines share, or run this job with runtime spark"
        )
    tree = tree.transform(_fix)
    try:
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise ConfigError(f"{origin}:1: {exc}; rewrite it with constructs both engines share, or run this job with runtime spark") from None
