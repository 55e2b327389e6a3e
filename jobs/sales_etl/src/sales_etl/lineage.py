"""The models and their order, derived from the SQL files themselves.

A model is a file `models/<table>.sql` in this package; the tables it reads are the names after
FROM and JOIN (minus its own CTE names). A model runs after every model it reads, so adding a
table is adding one .sql file. Pure Python (no Spark): the package's import uses it.
"""

from __future__ import annotations

import pkgutil
import re
import zipfile
from importlib import resources

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def model_names() -> list[str]:
    """Every models/*.sql of the package, from the source tree or from inside code.zip."""
    names = set()
    try:
        for entry in (resources.files("sales_etl") / "models").iterdir():
            if entry.name.endswith(".sql"):
                names.add(entry.name[: -len(".sql")])
    except (FileNotFoundError, NotADirectoryError, TypeError, AttributeError):  # pragma: no cover
        names = set(_names_from_zip())
    bad = sorted(n for n in names if not _NAME.match(n))
    if bad:
        raise ValueError(f"model file names must be lower_snake_case table names: {', '.join(bad)}")
    return sorted(names)


def _names_from_zip() -> list[str]:  # pragma: no cover - fallback for loaders without files()
    import sales_etl

    archive = getattr(getattr(sales_etl, "__loader__", None), "archive", None)
    if not archive:
        return []
    with zipfile.ZipFile(archive) as zipped:
        return [
            n[len("sales_etl/models/") : -len(".sql")]
            for n in zipped.namelist()
            if n.startswith("sales_etl/models/") and n.endswith(".sql") and n.count("/") == 2
        ]


def model_sql(name: str) -> str:
    data = pkgutil.get_data("sales_etl", f"models/{name}.sql")
    if data is None:  # pragma: no cover - only if the package loader cannot serve resources
        raise FileNotFoundError(f"model {name}.sql not found in package sales_etl")
    return data.decode("utf-8")


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def tables_read(sql: str) -> set[str]:
    """Names after FROM / JOIN anywhere in the statement, minus the statement's CTE names."""
    sql = strip_comments(sql)
    ctes = set(re.findall(r"(?:\bWITH|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", sql, re.IGNORECASE))
    read = set(re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", sql, re.IGNORECASE))
    return {name.lower() for name in read - ctes}


def dependencies(sources: tuple[str, ...], sql_by_model: dict[str, str]) -> dict[str, set[str]]:
    """{model: models it reads}. A name that is neither a source nor a model is an error."""
    deps = {}
    for model, sql in sql_by_model.items():
        read = tables_read(sql)
        unknown = sorted(read - set(sources) - set(sql_by_model))
        if unknown:
            raise ValueError(f"model {model} reads {', '.join(unknown)}: neither a source nor a model")
        deps[model] = read & set(sql_by_model)
    return deps


def order(deps: dict[str, set[str]]) -> tuple[str, ...]:
    """Models sorted so each comes after everything it reads; ties in name order (stable)."""
    done: list[str] = []
    waiting = dict(deps)
    while waiting:
        ready = sorted(m for m, needs in waiting.items() if needs <= set(done))
        if not ready:
            raise ValueError(f"models read each other in a cycle: {', '.join(sorted(waiting))}")
        done.append(ready[0])
        del waiting[ready[0]]
    return tuple(done)


def dependents(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    """{model: models that read it}."""
    readers: dict[str, set[str]] = {m: set() for m in deps}
    for model, needs in deps.items():
        for need in needs:
            readers[need].add(model)
    return readers


def model_graph(sources: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, set[str]]]:
    """(run order, {model: models it reads}) of the packaged models."""
    deps = dependencies(sources, {name: model_sql(name) for name in model_names()})
    return order(deps), deps
