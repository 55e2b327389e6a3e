"""Code the jobs share: the entry point (arguments, session, one-line errors), config merging,
errors with exit codes, and file access through Hadoop's FileSystem API.

Shipped inside each job's code.zip next to the job's own package (`libraries: [jobs/common]` in
deployer.yml, `--library jobs/common` for build_artifact.py). Imports pyspark lazily where it can
and depends on nothing beyond pyspark, PyYAML and the standard library.
"""
