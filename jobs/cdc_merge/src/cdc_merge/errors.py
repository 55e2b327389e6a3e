"""Errors the entry point turns into a one-line message and a non-zero exit status.

JobError (1), ConfigError (2) and SourceError (3: an input folder is unreadable; the message
names the path) are the shared ones (jobs_common.errors).
"""

from jobs_common.errors import EXIT_CODES, ConfigError, JobError, SourceError

__all__ = ["JobError", "ConfigError", "SourceError", "SchemaError"]


class SchemaError(JobError):
    """A change file contradicts the table: type change, missing/NULL primary key, bad Op or
    commit timestamp. The message names table, column and file."""

    exit_code = EXIT_CODES["SchemaError"]
