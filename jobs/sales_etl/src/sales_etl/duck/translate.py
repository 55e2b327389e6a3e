"""Spark SQL models to DuckDB SQL, mechanically (sqlglot), with the differences that change rows.

The Spark SQL file stays the source of truth. sqlglot carries most of Spark's dialect (datediff,
named parameters :name -> $name, casts); what it carries with a different meaning is fixed on the
tree here:
- Spark's dayofweek counts 1 = Sunday .. 7, DuckDB's 0 = Sunday .. 6;
- a DECIMAL divided by a DECIMAL is an exact decimal in Spark (its scale from Spark's rules,
  rounded half up) and a DOUBLE in DuckDB, whose rounding error moves round(a / b, 4) by one in
  the last place when the quotient is a tie (0.21875 -> 0.2187): it is computed in integers here,
  with the operands' types from the models' inputs (sqlglot's type annotation over `schema`).
A construct sqlglot cannot express in DuckDB is an error naming the model file and line.
"""

from __future__ import annotations

from typing import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ..errors import ConfigError

MAX_PRECISION = 38


def spark_division_scale(p1: int, s1: int, p2: int, s2: int) -> int:
    """The scale of DECIMAL(p1,s1) / DECIMAL(p2,s2) in Spark (precision loss allowed, its default)."""
    scale = max(6, s1 + p2 + 1)
    precision = p1 - s1 + s2 + scale
    if precision <= MAX_PRECISION:
        return scale
    return max(MAX_PRECISION - (precision - scale), min(scale, 6))


def _decimal(node: exp.Expression) -> tuple[int, int] | None:
    kind = node.type
    if kind is None or not kind.is_type(exp.DataType.Type.DECIMAL):
        return None
    params = [int(p.name) for p in kind.expressions]
    return (params[0], params[1]) if len(params) == 2 else None


def _exact_division(left: str, right: str, s1: int, s2: int, scale: int) -> exp.Expression:
    """left / right (DuckDB SQL of DECIMAL(., s1) and DECIMAL(., s2)) as DECIMAL(38, scale): the
    unscaled integers divided and rounded half away from zero, as Spark's BigDecimal division."""
    shift = s2 - s1 + scale
    n = f"(CAST(({left}) * {10**s1} AS HUGEINT) * {10 ** max(shift, 0)})"
    d = f"(CAST(({right}) * {10**s2} AS HUGEINT) * {10 ** max(-shift, 0)})"
    quotient = f"CASE WHEN {d} = 0 THEN NULL ELSE sign({n}) * sign({d}) * ((2 * abs({n}) + abs({d})) // (2 * abs({d}))) END"
    unit = f"CAST('1e-{scale}' AS DECIMAL({scale + 1},{scale}))" if scale else "1"
    return sqlglot.parse_one(f"(CAST({quotient} AS DECIMAL(38,0)) * {unit})", read="duckdb")


def _rounded_division(left: str, right: str, s1: int, s2: int, scale: int, places: int) -> exp.Expression:
    """round(left / right, places) as Spark computes it (the quotient rounded half up to `scale`,
    then to `places`), as DECIMAL(38, places). The 128-bit integer division costs ~5 µs a row, so
    it runs only on rows whose DOUBLE quotient is too near a tie to decide (or too large); the
    margin covers Spark's first rounding and the DOUBLE's error (< 1e-6 of a last place below 1e5)."""
    if places >= scale:
        return sqlglot.parse_one(f"ROUND({_exact_division(left, right, s1, s2, scale).sql('duckdb')}, {places})", read="duckdb")
    q = f"(CAST(({left}) AS DOUBLE) / CAST(({right}) AS DOUBLE))"
    x = f"({q} * {10**places})"
    margin = 0.5 * 10 ** (places - scale) + 1e-6
    fast = f"CAST(ROUND({q}, {places}) AS DECIMAL(38, {places}))"
    exact = f"ROUND({_exact_division(left, right, s1, s2, scale).sql('duckdb')}, {places})"
    decided = f"abs({q}) < 1e5 AND abs(abs({x} - trunc({x})) - 0.5) > {margin!r}"
    return sqlglot.parse_one(f"(CASE WHEN ({right}) = 0 THEN NULL WHEN {decided} THEN {fast} ELSE {exact} END)", read="duckdb")


def _places(node: exp.Expression) -> int | None:
    """The digits of round(x, n) when n is an integer literal (round(x) is round(x, 0))."""
    if not isinstance(node, exp.Round):
        return None
    digits = node.args.get("decimals")
    if digits is None:
        return 0
    return int(digits.name) if isinstance(digits, exp.Literal) and digits.is_int else None


def _exact_decimal_divisions(tree: exp.Expression, schema: MappingSchema) -> exp.Expression:
    typed = annotate_types(qualify(tree.copy(), schema=schema, dialect="spark", validate_qualify_columns=False, quote_identifiers=False), schema=schema)
    found = list(typed.find_all(exp.Div))
    originals = list(tree.find_all(exp.Div))
    if len(found) != len(originals):
        raise OptimizeError("the qualified model has another shape")
    for original, annotated in zip(originals, found):
        left, right = _decimal(annotated.this), _decimal(annotated.expression)
        if not (left and right):
            continue
        scale = spark_division_scale(*left, *right)
        operands = (original.this.sql("duckdb"), original.expression.sql("duckdb"), left[1], right[1], scale)
        parent = original.parent
        places = _places(parent) if parent is not None and parent.this is original else None
        if places is not None:
            parent.replace(_rounded_division(*operands, places))
        else:
            original.replace(_exact_division(*operands))
    return tree


def _fix(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DayOfWeek):
        return exp.Paren(this=exp.Add(this=node.copy(), expression=exp.Literal.number(1)))
    return node


def _line_of(sql: str, needle: str) -> int:
    for number, line in enumerate(sql.splitlines(), start=1):
        if not line.lstrip().startswith("--") and needle.lower() in line.lower():
            return number
    return 1


def typing_schema(schema: Mapping[str, Mapping[str, str]]) -> MappingSchema:
    """The models' input types for sqlglot, built once for every model. Names are lower-cased here
    (Spark's identifiers are case-insensitive, and qualify lower-cases the model's), so sqlglot's
    own normalisation, a parse of every name and most of the translation's time, is skipped."""
    lowered = {table.lower(): {column.lower(): kind for column, kind in columns.items()} for table, columns in schema.items()}
    return MappingSchema(lowered, dialect="spark", normalize=False)


def to_duckdb(sql: str, origin: str, schema: Mapping[str, Mapping[str, str]] | MappingSchema | None = None) -> str:
    """DuckDB SQL of one Spark SQL model; origin names it in errors (e.g. models/fact_sales.sql);
    schema: {table: {column: Spark type}} of the tables it reads, which makes decimal division exact."""
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
    if schema:
        try:
            tree = _exact_decimal_divisions(tree, schema if isinstance(schema, MappingSchema) else typing_schema(schema))
        except (OptimizeError, ValueError) as exc:
            raise ConfigError(f"{origin}:1: the model's column types cannot be resolved for the DuckDB translation ({exc}); check its inputs") from None
    try:
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise ConfigError(f"{origin}:1: {exc}; rewrite it with constructs both engines share, or run this job with runtime spark") from None
