"""Catalog: register the published tables so users query `<database>.<table>` without paths.

Everything goes through Spark SQL on the session's catalog, so one code path serves the AWS Glue
Data Catalog (Glue 5 with --enable-glue-datacatalog, EMR with the Glue metastore client: Spark's
Hive client calls Glue's GetTable/CreateTable/UpdateTable/... APIs) and Spark's own catalog
locally (a Hive metastore in Derby with enableHiveSupport, or the in-memory catalog).

Tables are external Parquet tables whose location is the published run's directory; partitioned
tables also have every partition registered with its run-scoped location. Publishing a run moves
each table to the new run: partitions first (add new ones, point existing ones at the new run,
drop ones the run no longer has), then the table's location. A table whose columns changed is
dropped and created again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from .errors import ConfigError

DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")


class CatalogConflict(Exception):
    pass


@dataclass(frozen=True)
class CatalogTable:
    name: str
    location: str  # qualified URI of the run's directory
    schema: StructType  # full schema, partition columns last
    partition_by: tuple[str, ...]
    partitions: tuple[dict[str, int], ...]


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(*parts: str) -> str:
    return ".".join(f"`{p}`" for p in parts)


def _spec(values: dict[str, int]) -> str:
    return "(" + ", ".join(f"`{k}` = {int(v)}" for k, v in values.items()) + ")"


def _partition_location(location: str, values: dict[str, int]) -> str:
    return location + "".join(f"/{k}={v}" for k, v in values.items())


def _columns(schema: StructType) -> list[tuple[str, str]]:
    return [(f.name.lower(), f.dataType.simpleString()) for f in schema.fields]


def implementation(spark: SparkSession) -> str:
    return spark.conf.get("spark.sql.catalogImplementation", "in-memory")


def ensure_database(spark: SparkSession, database: str) -> None:
    """Create the database where that is ours to do (Spark's own catalog). On AWS the database
    comes from Terraform (glue_catalog module) and the job role may not create one."""
    if spark.catalog.databaseExists(database):
        return
    try:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(database)}")
    except Exception as exc:  # noqa: BLE001 - the message is what the user needs
        raise ConfigError(
            f"config key 'catalog_database': database '{database}' does not exist and cannot be created "
            f"({str(exc).strip().splitlines()[0]}); create it (terraform glue_catalog module) or unset the key"
        ) from None


def _existing(spark: SparkSession, database: str, name: str):
    """(columns, partition columns) of an existing table, or None."""
    if not spark.catalog.tableExists(f"{database}.{name}"):
        return None
    kind = spark.catalog.getTable(f"{database}.{name}").tableType
    if kind != "EXTERNAL":
        # A managed table owns its files (dropping it deletes them) and a view is someone's query:
        # neither is ours to move or replace.
        raise CatalogConflict(
            f"catalog table {database}.{name} exists as a {kind.lower()} table, not an external table "
            f"this job registered; rename or drop it, or use another catalog_database"
        )
    columns = spark.catalog.listColumns(f"{database}.{name}")
    data = [(c.name.lower(), c.dataType.lower()) for c in columns if not c.isPartition]
    parts = [(c.name.lower(), c.dataType.lower()) for c in columns if c.isPartition]
    return data + parts, tuple(c for c, _ in parts)


def _partitions(spark: SparkSession, table: str) -> list[dict[str, int]]:
    found = []
    for row in spark.sql(f"SHOW PARTITIONS {table}").collect():
        values = {}
        for piece in row[0].split("/"):
            key, _, value = piece.partition("=")
            values[key] = int(value)
        found.append(values)
    return found


def publish_table(spark: SparkSession, database: str, table: CatalogTable) -> str:
    """Point database.table at the run's location (creating the table if needed). Returns
    'created', 'recreated' (columns changed) or 'switched'."""
    full = _ident(database, table.name)
    wanted = _columns(table.schema)
    existing = _existing(spark, database, table.name)
    action = "switched"
    if existing is not None and (existing[0] != wanted or existing[1] != tuple(table.partition_by)):
        spark.sql(f"DROP TABLE {full}")
        existing, action = None, "recreated"
    if existing is None:
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in table.schema.fields)
        partitioned = f" PARTITIONED BY ({', '.join(f'`{c}`' for c in table.partition_by)})" if table.partition_by else ""
        spark.sql(f"CREATE TABLE {full} ({columns}) USING parquet{partitioned} LOCATION {_quote(table.location)}")
        action = "created" if action == "switched" else action
    if table.partition_by:
        current = _partitions(spark, full)
        new_keys = [tuple(sorted(p.items())) for p in table.partitions]
        current_keys = {tuple(sorted(p.items())) for p in current}
        if action == "switched":
            for values in table.partitions:
                if tuple(sorted(values.items())) in current_keys:
                    spark.sql(f"ALTER TABLE {full} PARTITION {_spec(values)} SET LOCATION {_quote(_partition_location(table.location, values))}")
        missing = [p for p, key in zip(table.partitions, new_keys) if key not in current_keys]
        if missing:
            adds = " ".join(f"PARTITION {_spec(values)} LOCATION {_quote(_partition_location(table.location, values))}" for values in missing)
            spark.sql(f"ALTER TABLE {full} ADD IF NOT EXISTS {adds}")
        stale = [p for p in current if tuple(sorted(p.items())) not in set(new_keys)]
        if stale:
            spark.sql(f"ALTER TABLE {full} DROP IF EXISTS {', '.join('PARTITION ' + _spec(p) for p in stale)}")
    if action == "switched":
        spark.sql(f"ALTER TABLE {full} SET LOCATION {_quote(table.location)}")
    spark.catalog.refreshTable(f"{database}.{table.name}")
    return action


def publish(spark: SparkSession, database: str, tables: Sequence[CatalogTable]) -> dict[str, str]:
    ensure_database(spark, database)
    return {t.name: publish_table(spark, database, t) for t in tables}
