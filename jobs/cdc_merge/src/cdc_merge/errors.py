"""Errors the entry point turns into a one-line message and a non-zero exit status."""


class JobError(Exception):
    exit_code = 1


class ConfigError(JobError):
    """Bad configuration or job argument; the message names the key."""

    exit_code = 2


class SourceError(JobError):
    """Input folder unreadable; the message names the path."""

    exit_code = 3


class SchemaError(JobError):
    """A change file contradicts the table: type change, missing/NULL primary key, bad Op or
    commit timestamp. The message names table, column and file."""

    exit_code = 5
