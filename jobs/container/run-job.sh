#!/bin/sh
# The image's entry point: run-job [JOB] [ARGUMENTS...]
# Runs JOB (default sales_etl) the way a cluster runs it, spark-submit main.py with code.zip on
# --py-files, or with plain Python when the arguments say --runtime duckdb. Without arguments
# the job reads the committed sample data; any argument given wins over the defaults (the jobs'
# parser keeps the last value). Output goes to /job/_out/JOB when /job is writable.
set -eu
job="${1:-sales_etl}"
[ "$#" -gt 0 ] && shift
artifact="$JOBS_HOME/_build/$job"
if [ ! -f "$artifact/main.py" ]; then
  echo "run-job: no job '$job' in this image: choose one of: $(ls "$JOBS_HOME/_build" | tr '\n' ' ')" >&2
  exit 2
fi
if [ -w /job ]; then
  out=/job/_out/$job
else
  out=/tmp/out/$job
  echo "run-job: /job is not writable by uid $(id -u) (mount a folder and pass --user \"\$(id -u):\$(id -g)\"): writing to $out inside the container" >&2
fi
case "$job" in
  sales_etl) set -- --source_path "$JOBS_HOME/sample_data" --output_path "$out" "$@" ;;
  cdc_merge) set -- --input_path "$JOBS_HOME/sample_cdc/billing" --input_format csv --output_path "$out" "$@" ;;
  *) set -- --output_path "$out" "$@" ;;
esac
# Spark binds to the host's address unless told otherwise; in a container that may not resolve.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
runtime=spark
previous=
for argument in "$@"; do
  [ "$previous" = "--runtime" ] && runtime="$argument"
  case "$argument" in --runtime=*) runtime="${argument#--runtime=}" ;; esac
  previous="$argument"
done
if [ "$runtime" = duckdb ]; then
  PYTHONPATH="$artifact/code.zip${PYTHONPATH:+:$PYTHONPATH}" exec python3 "$artifact/main.py" "$@"
fi
exec spark-submit --master 'local[*]' \
  --conf spark.ui.enabled=false --conf spark.log.level=WARN \
  --py-files "$artifact/code.zip" "$artifact/main.py" "$@"
