"""Errors the entry point turns into a one-line message and a non-zero exit status."""


class JobError(Exception):
    exit_code = 1


class ConfigError(JobError):
    """Bad configuration or job argument; the message names the key."""

    exit_code = 2


class SourceError(JobError):
    """A source file is missing or lacks a required column; the message names it."""

    exit_code = 3


class DataQualityError(JobError):
    """Too many source rows failed the checks; they are in the quarantine output."""

    exit_code = 4


class WriteError(JobError):
    """The run failed before publishing (a write, a lost executor...); nothing was published."""

    exit_code = 1


class PublishError(JobError):
    """The run is published (_manifest.json) but the catalog could not be pointed at it."""

    exit_code = 5
