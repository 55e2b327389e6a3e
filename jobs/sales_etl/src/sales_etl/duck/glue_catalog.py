"""Catalog on the DuckDB runtime: the published tables registered in the AWS Glue Data Catalog
through its API (boto3, which a Glue Python shell job has), as the Spark runtime registers them
through Spark SQL (sales_etl.catalog): external Parquet tables at the published run's directory,
every partition with its run-scoped location. Publishing a run moves each table to the new run:
partitions first (new ones added, existing ones pointed at the new run, ones the run no longer has
dropped), then the table's location. A table whose columns changed is dropped and created again;
a managed table or a view of the same name is someone else's and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..errors import ConfigError

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
# Glue takes at most 100 partitions per BatchCreatePartition.
CREATE_BATCH = 100


class CatalogConflict(Exception):
    """A table of the job's name that the job did not register (sales_etl.catalog has its own: that
    module needs pyspark, which a Python shell job lacks)."""


@dataclass(frozen=True)
class Table:
    """A published table: its columns (name, Hive type) in order, partition columns among them."""

    name: str
    columns: tuple[tuple[str, str], ...]
    partition_by: tuple[str, ...]
    location: str  # qualified URI of the run's directory
    partitions: tuple[dict[str, int], ...]


def _client():
    try:
        import boto3
    except ImportError:
        raise ConfigError(
            "config key 'catalog_database': the duckdb runtime registers tables through the Glue API and boto3 is not installed; "
            "add boto3 to the job's requirements or unset the key"
        ) from None
    return boto3.client("glue")


def _location(location: str, values: dict[str, int]) -> str:
    return location + "".join(f"/{k}={v}" for k, v in values.items())


def _storage(columns: Sequence[tuple[str, str]], location: str) -> dict[str, Any]:
    return {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": location, **PARQUET}


def _input(name: str, columns: Sequence[tuple[str, str]], partition_by: Sequence[str], location: str) -> dict[str, Any]:
    data = [c for c in columns if c[0] not in partition_by]
    keys = [c for c in columns if c[0] in partition_by]
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
        "StorageDescriptor": _storage(data, location),
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in keys],
    }


def _partitions(glue, database: str, name: str) -> list[dict[str, Any]]:
    found, token = [], None
    while True:
        page = glue.get_partitions(DatabaseName=database, TableName=name, **({"NextToken": token} if token else {}))
        found += page.get("Partitions", [])
        token = page.get("NextToken")
        if not token:
            return found


def _refuse_foreign(database: str, existing: dict[str, Any]) -> None:
    if existing.get("TableType") != "EXTERNAL_TABLE":
        kind = (existing.get("TableType") or "unknown").lower().replace("_", " ")
        raise CatalogConflict(
            f"catalog table {database}.{existing.get('Name')} exists as a {kind}, not an external table this job registered; "
            "rename or drop it, or use another catalog_database"
        )


def _gone(glue, delete, **kwargs) -> None:
    """A delete whose goal is reached when the entity is gone (a retry of a delete that landed)."""
    try:
        delete(**kwargs)
    except glue.exceptions.EntityNotFoundException:
        pass


def publish_table(glue, database: str, table: Table) -> str:
    """Point database.table at the table's location; 'created', 'recreated' (columns changed) or 'switched'."""
    name, columns, partition_by, location = table.name, table.columns, table.partition_by, table.location
    wanted = _input(name, columns, partition_by, location)
    try:
        existing = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        existing = None
    action = "switched"
    if existing is not None:
        _refuse_foreign(database, existing)
        has = [(c["Name"].lower(), c["Type"].lower()) for c in existing.get("StorageDescriptor", {}).get("Columns", [])]
        keys = [(c["Name"].lower(), c["Type"].lower()) for c in existing.get("PartitionKeys", [])]
        if has + keys != [(n, t) for n, t in columns if n not in partition_by] + [(n, t) for n, t in columns if n in partition_by]:
            _gone(glue, glue.delete_table, DatabaseName=database, Name=name)
            existing, action = None, "recreated"
    created = False
    if existing is None:
        action = "created" if action == "switched" else action
        try:
            glue.create_table(DatabaseName=database, TableInput=wanted)
            created = True
        except glue.exceptions.AlreadyExistsException:
            # A retried CreateTable whose first answer was lost: the table is there, maybe without
            # its partitions yet; the steps below bring it to `wanted` as for an existing table
            # (unless what is there is someone else's, created in between).
            _refuse_foreign(database, glue.get_table(DatabaseName=database, Name=name)["Table"])
    if partition_by:
        data = [c for c in columns if c[0] not in partition_by]
        current = {tuple(p["Values"]): p for p in _partitions(glue, database, name)}
        new = {tuple(str(values[c]) for c in partition_by): values for values in table.partitions}
        for key, values in new.items():
            if key in current:
                partition = {"Values": list(key), "StorageDescriptor": _storage(data, _location(location, values))}
                glue.update_partition(DatabaseName=database, TableName=name, PartitionValueList=list(key), PartitionInput=partition)
        missing = [(key, values) for key, values in new.items() if key not in current]
        for start in range(0, len(missing), CREATE_BATCH):
            chunk = missing[start : start + CREATE_BATCH]
            inputs = [{"Values": list(key), "StorageDescriptor": _storage(data, _location(location, values))} for key, values in chunk]
            errors = glue.batch_create_partition(DatabaseName=database, TableName=name, PartitionInputList=inputs).get("Errors", [])
            # A partition an earlier attempt of this publish added is there already: that is the goal.
            errors = [e for e in errors if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"]
            if errors:
                raise RuntimeError(f"Glue BatchCreatePartition on {database}.{name}: {errors[0].get('ErrorDetail', {}).get('ErrorMessage', errors[0])}")
        # One DeletePartition each (few: months a run no longer has): the job role's grant
        # (terraform job_roles GlueCatalogTables) is the one Spark's Hive client needs, without BatchDeletePartition.
        for key in current:
            if key not in new:
                _gone(glue, glue.delete_partition, DatabaseName=database, TableName=name, PartitionValues=list(key))
    if not created:
        glue.update_table(DatabaseName=database, TableInput=wanted)
    return action


def open_catalog(database: str):
    """A Glue client for `database`, checked before the run computes anything: the database comes
    from Terraform (glue_catalog module) and is not created here."""
    glue = _client()
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        raise ConfigError(
            f"config key 'catalog_database': database '{database}' does not exist in the Glue Data Catalog; "
            "create it (terraform glue_catalog module) or unset the key"
        ) from None
    except Exception as exc:  # noqa: BLE001 - credentials, network, access: its own words say which
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise ConfigError(f"config key 'catalog_database': the Glue Data Catalog could not be read ({text}); nothing was run") from None
    return glue


def publish(glue, database: str, tables: Sequence[Table]) -> dict[str, str]:
    """{table: action}, with the client open_catalog gave."""
    return {table.name: publish_table(glue, database, table) for table in tables}
