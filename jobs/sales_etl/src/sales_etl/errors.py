"""Errors the entry point turns into a one-line message and a non-zero exit status.

JobError (1), ConfigError (2) and SourceError (3) are the shared ones (jobs_common.errors).
"""

from jobs_common.errors import EXIT_CODES, ConfigError, JobError, SourceError

__all__ = ["JobError", "ConfigError", "SourceError", "DataQualityError", "WriteError", "PublishError"]


class DataQualityError(JobError):
    """Too many source rows failed the checks; they are in the quarantine output."""

    exit_code = EXIT_CODES["DataQualityError"]


class WriteError(JobError):
    """The run failed before publishing (a write, a lost executor...); nothing was published."""

    exit_code = EXIT_CODES["JobError"]


class PublishError(JobError):
    """The run is published (_manifest.json) but the catalog could not be pointed at it."""

    exit_code = EXIT_CODES["PublishError"]
