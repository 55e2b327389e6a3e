"""A run's figures as CloudWatch Embedded Metric Format (EMF) lines in the driver's output.

CloudWatch Logs turns each such JSON line into metrics when it is ingested (no API call from the
job, no permission): on Glue the driver's output goes to CloudWatch Logs by continuous logging.
One line for the run (namespace `Deployer/Jobs`, dimension Job: RowsWritten, QuarantineRatio,
DurationSeconds) and one per table (dimensions Job, Table: Rows), the figures of the run record.
Specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Mapping

NAMESPACE = "Deployer/Jobs"


def _line(at: dt.datetime, dimensions: list[str], metrics: Mapping[str, tuple[float | int, str]], properties: Mapping[str, str]) -> str:
    document = {
        "_aws": {
            "Timestamp": int(at.timestamp() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [dimensions], "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()]}
            ],
        },
        **properties,
        **{name: value for name, (value, _) in metrics.items()},
    }
    # `_aws` first: a reader (and a log filter) can tell an EMF line by its start.
    return json.dumps(document, separators=(",", ":"))


def emf_lines(job: str, run_id: str, tables: Mapping[str, int], quarantine_ratio: float | None, duration_s: float, at: dt.datetime | None = None) -> list[str]:
    """The EMF lines of one run: the run's, then one per table (sorted)."""
    at = at or dt.datetime.now(dt.timezone.utc)
    run: dict[str, tuple[float | int, str]] = {"RowsWritten": (int(sum(tables.values())), "Count"), "DurationSeconds": (round(duration_s, 3), "Seconds")}
    if quarantine_ratio is not None:
        run["QuarantineRatio"] = (float(quarantine_ratio), "None")
    lines = [_line(at, ["Job"], run, {"Job": job, "RunId": run_id})]
    for table in sorted(tables):
        lines.append(_line(at, ["Job", "Table"], {"Rows": (int(tables[table]), "Count")}, {"Job": job, "Table": table, "RunId": run_id}))
    return lines
