"""The DuckDB runtime: the same models, checks, quarantine, run record and publish as the Spark
job, on one machine without a JVM. pyarrow reads and writes the files (local or s3://), DuckDB
runs the SQL. Nothing here imports pyspark, so it runs where pyspark is absent (a Glue Python
shell job). Chosen with the config key `runtime: duckdb`.
"""
