#!/usr/bin/env python3
"""Docs vs CLI, both ways: every `deployer <command>` and every flag named in the docs must exist
in the real --help output of the built binary, and every subcommand and flag the binary lists must
be documented in docs/deployer.md (its `### deployer CMD` section, or `## Common flags`).

What is checked, in docs/*.md and README.md, inside code (fenced blocks and `inline code`):
- `deployer WORD` (also `dist/deployer WORD`, `swift run deployer WORD`): WORD must be a
  subcommand listed by `deployer --help` (or `help`);
- flags (`--x`, `-x`) on the same line after `deployer CMD` must be in `deployer CMD --help`;
- in docs/deployer.md, under a `### deployer CMD` heading, every flag in inline code must be in
  `deployer CMD --help`; anywhere else in docs/deployer.md and docs/runbook.md, every flag in
  inline code must be known to some subcommand.

Usage: check_cli.py FILE.md...   (binary: $DEPLOYER_BIN, default .build/debug/deployer)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
INVOKE = re.compile(r"(?:^|[\s/`(])deployer[ \t]+([a-z][a-z0-9-]*)((?:[ \t]+[^\s`|]+)*)")
STRICT_FILES = {"deployer.md", "runbook.md"}


def run_help(binary: str, *args: str) -> str:
    res = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=60)
    return res.stdout + res.stderr


def subcommands(root_help: str) -> set[str]:
    m = re.search(r"^SUBCOMMANDS:\n(.*?)(?:\n\S|\Z)", root_help, re.MULTILINE | re.DOTALL)
    names = set(re.findall(r"^  ([a-z][a-z0-9-]*)\b", m.group(1), re.MULTILINE)) if m else set()
    return names | {"help"}


def flags(cmd_help: str) -> set[str]:
    m = re.search(r"^OPTIONS:\n(.*?)(?:\n\S|\Z)", cmd_help, re.MULTILINE | re.DOTALL)
    out: set[str] = set()
    for line in (m.group(1) if m else "").splitlines():
        if re.match(r"^  -", line):
            head = re.split(r"\s{2,}", line.strip())[0]
            out |= set(FLAG.findall(head))
    return out


def code_segments(text: str):
    """(line number, code text, heading) for fenced code lines and inline code spans."""
    heading = ""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped[3:].strip()
            continue
        if fence is not None:
            yield n, line, heading
            continue
        if line.startswith("#"):
            heading = line.strip("# ").strip()
        for span in re.findall(r"`([^`]+)`", line):
            yield n, span, heading


def undocumented(cmd_flags: dict[str, set[str]]) -> list[str]:
    """The other way round: every subcommand has a `### deployer CMD` section in docs/deployer.md,
    and every flag its --help lists is named there or under `## Common flags`."""
    text = (ROOT / "docs" / "deployer.md").read_text(encoding="utf-8")
    named: dict[str, set[str]] = {}
    for _, code, heading in code_segments(text):
        hm = re.fullmatch(r"`?deployer ([a-z][a-z0-9-]*)`?.*", heading)
        key = hm.group(1) if hm else ("common" if heading == "Common flags" else "")
        named.setdefault(key, set()).update(FLAG.findall(code))
    problems = []
    for cmd, listed in sorted(cmd_flags.items()):
        if cmd not in named:
            problems.append(f"docs/deployer.md: `deployer {cmd}` has no `### deployer {cmd}` section")
            continue
        for flag in sorted(listed - named[cmd] - named.get("common", set()) - {"-h", "--help", "--version"}):
            problems.append(f"docs/deployer.md: `deployer {cmd} {flag}` (in its --help) is not documented in its section or under Common flags")
    return problems


def main(argv: list[str]) -> int:
    binary = os.environ.get("DEPLOYER_BIN") or str(ROOT / ".build/debug/deployer")
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"docs-vs-cli: FAILED: no deployer binary at {binary}")
        print("docs-vs-cli: build it first: swift build   (or set DEPLOYER_BIN=/path/to/deployer)")
        return 1
    cmds = subcommands(run_help(binary))
    if len(cmds) <= 1:
        print(f"docs-vs-cli: FAILED: could not read SUBCOMMANDS from `{binary} --help`")
        return 1
    cmd_flags = {c: flags(run_help(binary, c)) for c in sorted(cmds - {"help"})}
    # A command with subcommands of its own (`deployer schedule run-due`) accepts theirs.
    for c in list(cmd_flags):
        nested = subcommands(run_help(binary, c)) - {"help"}
        for sub in sorted(nested):
            cmd_flags[c] |= flags(run_help(binary, c, sub))
    known = set().union(*cmd_flags.values()) | {"-h", "--help", "--version"}
    errors: list[str] = []
    used_cmds: set[str] = set()
    used_flags = 0
    for name in argv:
        path = Path(name)
        strict = path.name in STRICT_FILES
        for n, code, heading in code_segments(path.read_text(encoding="utf-8")):
            where = f"{path}:{n}"
            # A shell line may chain several invocations: check each on its own.
            invocations = [m for part in re.split(r"&&|\|\||;|\|", code) for m in INVOKE.finditer(part)]
            for m in invocations:
                cmd, rest = m.group(1), m.group(2)
                used_cmds.add(cmd)
                if cmd not in cmds:
                    errors.append(f"{where}: `deployer {cmd}`: no such subcommand in `deployer --help`")
                    continue
                for f in FLAG.findall(rest):
                    used_flags += 1
                    if cmd != "help" and f not in cmd_flags[cmd] | {"-h", "--help"}:
                        errors.append(f"{where}: `deployer {cmd} ... {f}`: not in `deployer {cmd} --help`")
            if invocations or not strict:
                continue
            hm = re.fullmatch(r"`?deployer ([a-z][a-z0-9-]*)`?.*", heading)
            for f in FLAG.findall(code):
                used_flags += 1
                if hm and path.name == "deployer.md" and hm.group(1) in cmd_flags:
                    if f not in cmd_flags[hm.group(1)] | {"-h", "--help"}:
                        errors.append(f"{where}: {f} (section deployer {hm.group(1)}): not in its --help")
                elif hm and path.name == "deployer.md" and hm.group(1) not in cmds:
                    errors.append(f"{where}: {f} (section deployer {hm.group(1)}): no such subcommand")
                elif f not in known:
                    errors.append(f"{where}: {f}: no deployer subcommand lists it in --help")
    errors += undocumented(cmd_flags)
    for e in sorted(set(errors)):
        print(f"FAIL {e}")
    missing_cmds = sorted(c for c in used_cmds if c not in cmds)
    print(
        f"docs-vs-cli: binary {binary}: {len(cmds) - 1} subcommands in --help; docs use "
        f"{len(used_cmds)} commands, {used_flags} flag mentions; {len(set(errors))} problems"
        + (f"; missing commands: {', '.join(missing_cmds)}" if missing_cmds else "")
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
