"""Errors the entry point turns into a one-line message and a non-zero exit status.

A job adds its own subclasses of JobError in its errors module, with its exit code from EXIT
CODES: one table for every job, so a status means the same whichever job ended with it.
"""

# Every job's exit statuses. 0 is success; a code is never reused for another meaning.
EXIT_CODES = {
    "JobError": 1,  # anything else, including a failed write before publishing (WriteError)
    "ConfigError": 2,  # a bad configuration key or job argument
    "SourceError": 3,  # an input missing, unreadable or lacking a required column
    "DataQualityError": 4,  # sales_etl: too many rows quarantined; nothing published
    "PublishError": 5,  # sales_etl: published, but the catalog could not be pointed at it
    "SchemaError": 6,  # cdc_merge: a change file contradicts the table
}


class JobError(Exception):
    exit_code = EXIT_CODES["JobError"]


class ConfigError(JobError):
    """Bad configuration or job argument; the message names the key."""

    exit_code = EXIT_CODES["ConfigError"]


class SourceError(JobError):
    """An input is missing, unreadable or lacks a required column; the message names it."""

    exit_code = EXIT_CODES["SourceError"]
