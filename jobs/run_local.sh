#!/usr/bin/env bash
# Build the artifact and run it with local Spark on the committed sample data, exactly the way a
# cluster runs it: spark-submit main.py with code.zip on --py-files. Extra arguments are passed to
# the job, e.g.  jobs/run_local.sh --as_of 2021-05-31 --output_format csv
# Needs: python3 -m pip install -r jobs/requirements-dev.txt (provides spark-submit), Java 17.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

artifact=jobs/_build/sales_etl
python3 jobs/build_artifact.py jobs/sales_etl "$artifact" --library jobs/common

# Local Spark binds to the host's address unless told otherwise: keep it on loopback.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
spark_submit="${SPARK_SUBMIT:-$(command -v spark-submit || true)}"
if [[ -z "$spark_submit" ]]; then
  spark_submit="$(python3 -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')"
fi

# Run from outside the source tree so only code.zip can provide the sales_etl package.
exec "$spark_submit" \
  --master 'local[*]' \
  --conf spark.ui.enabled=false \
  --conf spark.log.level=WARN \
  --py-files "$artifact/code.zip" \
  "$artifact/main.py" \
  --source_path "$repo_root/jobs/sample_data" \
  --output_path "$repo_root/jobs/_out/sales_etl" \
  "$@"
