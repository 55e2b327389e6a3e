"""The Glue branch of argument parsing, with a stand-in for awsglue (not installable off Glue).

The stand-in behaves like awsglue.utils.getResolvedOptions: every requested option is required,
so asking for an option the run did not pass would fail the job.
"""

import sys
import textwrap

import pytest

from sales_etl.cli import parse_args

GLUE_UTILS = textwrap.dedent(
    """
    import argparse

    def getResolvedOptions(args, options):
        parser = argparse.ArgumentParser()
        for option in options:
            parser.add_argument("--" + option, required=True)
        known, _ = parser.parse_known_args(args[1:])
        return vars(known)
    """
)


@pytest.fixture
def fake_awsglue(tmp_path, monkeypatch):
    package = tmp_path / "awsglue"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "utils.py").write_text(GLUE_UTILS)
    (package / "context.py").write_text("class GlueContext:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
        del sys.modules[name]


def test_glue_branch_resolves_only_the_options_passed(fake_awsglue):
    argv = ["--JOB_NAME", "sales", "--job-bookmark-option", "job-bookmark-disable", "--as_of", "2021-05-31", "--output_path", "s3://bucket/out"]
    given, unknown = parse_args(argv, ["as_of", "output_path", "overdue_days"])
    assert given == {"JOB_NAME": "sales", "as_of": "2021-05-31", "output_path": "s3://bucket/out"}
    assert unknown == []
