#!/usr/bin/env python3
"""Writes Sources/DeployKit/Scaffold/JobTemplate.swift from the files under jobs/templates/job/:
the job `deployer init job NAME` creates (`__JOB__` is the name). The deployer binary carries the
template, so after editing a file here run this (DeployKitTests.JobTemplateTests fails until then).

    python3 jobs/templates/embed.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE / "job"
TARGET = HERE.parents[1] / "Sources" / "DeployKit" / "Scaffold" / "JobTemplate.swift"
HEADER = """/// The files of a new job made by `deployer init job NAME` (`--from empty`): an entry point, a
/// config, one SQL model, the extract / transform / load modules, pinned requirements and a test
/// with exact rows on a tiny frame. `__JOB__` in paths and text is the job's name. The job writes
/// the run record (`OUTPUT/_runs/RUN_ID.json`) that `deployer status` reads.
/// Generated from jobs/templates/job/ by jobs/templates/embed.py: edit those files, not this one.
enum JobTemplate {
    static let files: [(path: String, text: String)] = ["""


def swift_literal(text: str) -> str:
    body = text[:-1] if text.endswith("\n") else text
    lines = "\n".join(("            " + line) if line else "" for line in body.split("\n"))
    return f'            #"""\n{lines}\n            """#'


def main() -> None:
    parts = [HEADER]
    for path in sorted(p for p in ROOT.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        text = path.read_text(encoding="utf-8")
        if '"""#' in text:
            raise SystemExit(f"{path}: contains the Swift raw-string terminator")
        parts.append(f'        (\n            "{path.relative_to(ROOT).as_posix()}",\n{swift_literal(text)}\n        ),')
    parts.append("    ]\n}\n")
    TARGET.write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
