"""CDC merge job: DMS S3-target full-load + CDC files -> current state of each table."""

# Columns the job adds to the merge state (never in the current-state output).
PHASE = "_cdc_phase"  # 0 full load, 1 CDC
FILE = "_cdc_file"  # ordering key of the source file (DMS name, then relative path)
ROW = "_cdc_row"  # position of the row in its file
TS = "_cdc_ts"  # commit timestamp as TIMESTAMP
INTERNAL = (PHASE, FILE, ROW, TS)
