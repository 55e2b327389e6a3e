# syntax=docker/dockerfile:1
# The jobs' runtime as one image, matching AWS Glue 5.0 (Spark 3.5.4, Python 3.11, Java 17):
#
#   docker build -t deployer-jobs .          # or: podman build -t deployer-jobs .
#   docker run --rm -v "$PWD":/job deployer-jobs                     # sales_etl on the sample data
#   docker run --rm -v "$PWD":/job deployer-jobs cdc_merge           # any job, any of its arguments
#   docker run --rm -v "$PWD":/job deployer-jobs sales_etl --runtime duckdb --as_of 2021-05-31
#
# Output lands in ./_out/JOB of the mounted folder (or /tmp/out/JOB without a mount). deployer
# runs its `local` targets in this image when they set `image:` (docs/container.md).
#
# BASE is any Debian bookworm image with Python 3.11 (python3 and its venv module). The default is
# pinned by digest so a rebuild gets the same system; a build that must not reach Docker Hub passes
# its own, e.g. --build-arg BASE=localhost/bookworm-python.
ARG BASE=docker.io/library/python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b
FROM ${BASE}

# Glue 5.0's Spark; EMR 7.x runs the same 3.5 line.
ARG PYSPARK_VERSION=3.5.4

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    JOBS_HOME=/opt/jobs

# Java 17 for Spark; procps because Spark's launch scripts call ps. The man folder is missing from
# slim images and the JRE's post-install script needs it.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*

# The jobs' locked requirements first, so a code change rebuilds only the layers below.
COPY jobs/sales_etl/requirements.txt jobs/sales_etl/requirements-duckdb.txt /tmp/locks/sales_etl/
COPY jobs/cdc_merge/requirements.txt /tmp/locks/cdc_merge/
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv /opt/venv \
 && pip install "pyspark==${PYSPARK_VERSION}" \
      -r /tmp/locks/sales_etl/requirements.txt \
      -r /tmp/locks/sales_etl/requirements-duckdb.txt \
      -r /tmp/locks/cdc_merge/requirements.txt \
 && rm -rf /tmp/locks

# The jobs, built into the same artifacts deployer ships (main.py + code.zip per job).
COPY jobs/build_artifact.py ${JOBS_HOME}/
COPY jobs/common ${JOBS_HOME}/common
COPY jobs/sales_etl ${JOBS_HOME}/sales_etl
COPY jobs/cdc_merge ${JOBS_HOME}/cdc_merge
COPY jobs/sample_data ${JOBS_HOME}/sample_data
COPY jobs/sample_cdc ${JOBS_HOME}/sample_cdc
COPY jobs/container/run-job.sh /usr/local/bin/run-job
RUN for job in sales_etl cdc_merge; do \
      python3 ${JOBS_HOME}/build_artifact.py ${JOBS_HOME}/$job ${JOBS_HOME}/_build/$job --library ${JOBS_HOME}/common || exit 1; \
    done \
 && chmod 0755 /usr/local/bin/run-job \
 && useradd --create-home --uid 10001 --user-group etl

USER etl
WORKDIR /job
ENTRYPOINT ["run-job"]
CMD ["sales_etl"]
