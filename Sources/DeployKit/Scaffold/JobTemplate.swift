/// The files of a new job made by `deployer init job NAME` (`--from empty`): an entry point, a
/// config, one SQL model, the extract / transform / load modules, pinned requirements and a test
/// with exact rows on a tiny frame. `__JOB__` in paths and text is the job's name. The job writes
/// the run record (`OUTPUT/_runs/RUN_ID.json`) that `deployer status` reads.
/// Generated from jobs/templates/job/ by jobs/templates/embed.py: edit those files, not this one.
enum JobTemplate {
    static let files: [(path: String, text: String)] = [
        (
            "jobs/__JOB__/config.yml",
            #"""
            # Default configuration of the __JOB__ job. Every key can be overridden per run with a job
            # argument `--key value` (Glue job parameters, spark-submit script arguments or `--config other.yml`).

            # Folder holding invoices.csv (header row; RFC 4180 quoting). Local path or s3://bucket/prefix.
            input_path: jobs/sample_data

            # Tables go to <output_path>/<table>/run_id=<run_id>/ (parquet); the run's record, which
            # `deployer status` reads, to <output_path>/_runs/<run_id>.json and <output_path>/_manifest.json.
            output_path: jobs/_out/__JOB__

            # Identifies the run; empty means the start time and a random part.
            run_id: ""
            """#
        ),
        (
            "jobs/__JOB__/main.py",
            #"""
            """Entry script of the __JOB__ job (Glue ScriptLocation / spark-submit application).

            All code and the default config.yml come from code.zip, shipped with --extra-py-files (Glue)
            or --py-files (EMR, spark-submit).
            """

            import sys

            try:
                from __JOB__.cli import main
            except ImportError:
                # Development convenience: run straight from the source tree without building code.zip.
                from pathlib import Path

                here = Path(__file__).resolve().parent
                sys.path[:0] = [str(here / "src"), str(here.parent / "common" / "src")]  # the job, jobs/common
                from __JOB__.cli import main

            sys.exit(main(sys.argv[1:]))
            """#
        ),
        (
            "jobs/__JOB__/requirements.txt",
            #"""
            # Runtime dependencies beyond pyspark and the standard library, pinned (NAME==VERSION), shipped
            # by deployer as a dependency bundle for each target's Python. pyspark comes with the engine.
            PyYAML==6.0.2
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/__init__.py",
            #"""
            """The __JOB__ job: invoices.csv -> invoices_per_month (one .sql per model in models/)."""
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/cli.py",
            #"""
            """Entry point: the shared command line (jobs_common.cli) with this job's config, run and report."""

            from __future__ import annotations

            import datetime as dt
            from typing import Sequence

            from jobs_common import cli as common
            from jobs_common.metrics import emf_lines

            from .config import Config, load_default_config, resolve
            from .job import RunResult, run

            PROG = "__JOB__"


            def report(result: RunResult, cfg: Config, started_at: dt.datetime) -> None:
                print(f"{PROG}: run {result.run_id} succeeded")
                for name, info in result.tables.items():
                    print(f"  {name:<24} {info['rows']:>9} rows  -> {info['path']}")
                # The figures as CloudWatch metrics (EMF lines; on Glue the driver's output reaches CloudWatch Logs).
                rows = {name: int(info["rows"]) for name, info in result.tables.items()}
                for line in emf_lines(PROG, result.run_id, rows, None, (dt.datetime.now(dt.timezone.utc) - started_at).total_seconds()):
                    print(line)


            def main(argv: Sequence[str] | None = None) -> int:
                return common.main(PROG, argv, load_default_config=load_default_config, resolve=resolve, run=run, report=report)
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/config.py",
            #"""
            """Configuration: packaged defaults, an optional YAML file, then `--key value` overrides."""

            from __future__ import annotations

            import datetime as dt
            import uuid
            from dataclasses import dataclass
            from pathlib import Path
            from typing import Any, Mapping

            from jobs_common.config import load_default_config as _load_default_config
            from jobs_common.config import text as _text
            from jobs_common.errors import ConfigError


            def load_default_config() -> dict[str, Any]:
                """config.yml from code.zip, or the job folder's copy when running from the source tree."""
                return _load_default_config("__JOB__", Path(__file__).resolve().parents[2] / "config.yml")


            @dataclass(frozen=True)
            class Config:
                input_path: str
                output_path: str
                run_id: str


            def resolve(raw: Mapping[str, Any], started_at: dt.datetime) -> Config:
                for key in ("input_path", "output_path"):
                    if not _text(raw, key):
                        raise ConfigError(f"{key} is empty; pass --{key} PATH")
                # Two runs started in the same second must not share outputs: the time and a random part.
                run_id = _text(raw, "run_id") or f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
                return Config(input_path=_text(raw, "input_path").rstrip("/"), output_path=_text(raw, "output_path").rstrip("/"), run_id=run_id)
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/job.py",
            #"""
            """One run: extract -> transform -> load, then the run record `deployer status` reads."""

            from __future__ import annotations

            import datetime as dt
            import json
            from dataclasses import dataclass

            from jobs_common.errors import SourceError
            from jobs_common.storage import Storage
            from pyspark.sql import SparkSession

            from .config import Config
            from .transform import build


            @dataclass(frozen=True)
            class RunResult:
                run_id: str
                tables: dict[str, dict]


            def extract(spark: SparkSession, cfg: Config) -> dict:
                path = f"{cfg.input_path}/invoices.csv"
                try:
                    frame = spark.read.option("header", True).option("multiLine", True).option("escape", '"').csv(path)
                except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException: no such path
                    raise SourceError(f"input {path} cannot be read ({str(exc).splitlines()[0]}); check --input_path") from None
                return {"invoices": frame}


            def run(spark: SparkSession, cfg: Config, started_at: dt.datetime) -> RunResult:
                storage = Storage(spark)
                tables = {}
                for name, frame in build(spark, extract(spark, cfg)).items():
                    path = f"{cfg.output_path}/{name}/run_id={cfg.run_id}"
                    frame.write.mode("overwrite").parquet(path)
                    tables[name] = {"path": storage.qualified(path), "rows": spark.read.parquet(path).count(), "format": "parquet"}
                record = {
                    "job": "__JOB__",
                    "run_id": cfg.run_id,
                    "status": "succeeded",
                    "ingest_ts": started_at.isoformat(),
                    "published_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "tables": tables,
                }
                text = json.dumps(record, indent=2, sort_keys=True) + "\n"
                storage.write_text(f"{cfg.output_path}/_runs/{cfg.run_id}.json", text)
                storage.replace_text(f"{cfg.output_path}/_manifest.json", text, cfg.run_id)
                return RunResult(run_id=cfg.run_id, tables=tables)
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/models/invoices_per_month.sql",
            #"""
            -- Invoices issued per calendar month. Input: the `invoices` view (all columns text).
            SELECT
                year(to_date(date_issued)) AS year,
                month(to_date(date_issued)) AS month,
                count(*) AS invoices
            FROM invoices
            WHERE to_date(date_issued) IS NOT NULL
            GROUP BY year(to_date(date_issued)), month(to_date(date_issued))
            """#
        ),
        (
            "jobs/__JOB__/src/__JOB__/transform.py",
            #"""
            """Pure transform: source DataFrames in, one DataFrame per model (models/<table>.sql) out."""

            from __future__ import annotations

            import pkgutil

            from pyspark.sql import DataFrame, SparkSession

            MODELS = ("invoices_per_month",)


            def model_sql(name: str) -> str:
                data = pkgutil.get_data(__package__, f"models/{name}.sql")
                if data is None:
                    raise FileNotFoundError(f"models/{name}.sql")
                return data.decode("utf-8")


            def build(spark: SparkSession, sources: dict[str, DataFrame]) -> dict[str, DataFrame]:
                for name, frame in sources.items():
                    frame.createOrReplaceTempView(name)
                return {name: spark.sql(model_sql(name)) for name in MODELS}
            """#
        ),
        (
            "jobs/tests/test___JOB__.py",
            #"""
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
            """#
        ),
    ]
}
