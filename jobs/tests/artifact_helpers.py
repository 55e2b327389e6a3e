"""Running a built artifact the way deployer's local and spark engines do: spark-submit with
code.zip on --py-files and main.py, from another directory, with no PYTHONPATH help."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def spark_submit() -> str:
    """spark-submit on the PATH, else pyspark's own."""
    import pyspark

    return shutil.which("spark-submit") or str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def submit_command(artifact: Path, *job_args: str) -> tuple[list[str], dict[str, str]]:
    """(command, environment) running the artifact in `artifact` on one local core with `job_args`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYSPARK_PYTHON"] = sys.executable
    command = [
        spark_submit(),
        "--master",
        "local[1]",
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.log.level=ERROR",
        "--py-files",
        str(artifact / "code.zip"),
        str(artifact / "main.py"),
        *job_args,
    ]
    return command, env
