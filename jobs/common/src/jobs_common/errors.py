"""Errors the entry point turns into a one-line message and a non-zero exit status.

A job adds its own subclasses of JobError (each with its exit code) in its errors module.
"""


class JobError(Exception):
    exit_code = 1


class ConfigError(JobError):
    """Bad configuration or job argument; the message names the key."""

    exit_code = 2


class SourceError(JobError):
    """An input is missing, unreadable or lacks a required column; the message names it."""

    exit_code = 3
