#!/usr/bin/env python3
"""Every module's README.md against its variables.tf and outputs.tf.

For each module under terraform/modules/ and the environment root terraform/env/: the README must
exist and have a `## Inputs` table and a `## Outputs` table whose first column lists exactly the
module's variables and outputs (one backticked name a row), each with the description the .tf file
gives it. Prints one line per problem, naming the module and the missing / extra / differing names;
exits 1 if there is any. Types and defaults are not compared (the tables may abbreviate them).

    python3 terraform/check_readmes.py              # check
    python3 terraform/check_readmes.py --self-test  # the parser on small samples
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TF_ROOT = Path(__file__).resolve().parent
BLOCK = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{', re.M)
DESCRIPTION = re.compile(r'^\s*description\s*=\s*"((?:[^"\\]|\\.)*)"', re.M)
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|")


def tf_blocks(text: str, kind: str) -> dict[str, str]:
    """name -> description of every top-level `variable`/`output` block (terraform fmt layout:
    a block ends at the first `}` in column 0)."""
    out: dict[str, str] = {}
    for m in BLOCK.finditer(text):
        if m.group(1) != kind:
            continue
        end = text.find("\n}", m.end())
        body = text[m.end() : end if end >= 0 else len(text)]
        d = DESCRIPTION.search(body)
        out[m.group(2)] = d.group(1).replace('\\"', '"') if d else ""
    return out


def readme_table(text: str, heading: str) -> dict[str, str] | None:
    """name -> description of the table under `## heading` (None if there is no such section)."""
    m = re.search(rf"^## {re.escape(heading)}\s*$", text, re.M)
    if not m:
        return None
    section = text[m.end() :]
    nxt = re.search(r"^## ", section, re.M)
    section = section[: nxt.start()] if nxt else section
    rows: dict[str, str] = {}
    for line in section.splitlines():
        r = ROW.match(line)
        if r:
            rows[r.group(1)] = r.group(2).replace("\\|", "|")
    return rows


def norm(s: str) -> str:
    return " ".join(s.replace("`", "").split()).rstrip(".")


def check_module(module: Path) -> list[str]:
    name = module.relative_to(TF_ROOT).as_posix()
    readme = module / "README.md"
    if not readme.is_file():
        return [f"{name}: no README.md"]
    text = readme.read_text()
    problems = []
    for kind, heading, tf in (("variable", "Inputs", "variables.tf"), ("output", "Outputs", "outputs.tf")):
        declared: dict[str, str] = {}
        for f in sorted(module.glob("*.tf")):
            declared.update(tf_blocks(f.read_text(), kind))
        listed = readme_table(text, heading)
        if listed is None:
            if declared:
                problems.append(f"{name}: README.md has no '## {heading}' table ({tf} declares {', '.join(declared)})")
            continue
        missing = [n for n in declared if n not in listed]
        extra = [n for n in listed if n not in declared]
        if missing:
            problems.append(f"{name}: README.md '## {heading}' is missing {', '.join(missing)} (declared in {tf})")
        if extra:
            problems.append(f"{name}: README.md '## {heading}' lists {', '.join(extra)}, not declared in {tf}")
        for n in declared:
            if n in listed and norm(listed[n]) != norm(declared[n]):
                problems.append(f'{name}: README.md \'## {heading}\' describes {n} as "{listed[n]}"; {tf} says "{declared[n]}"')
    return problems


def modules() -> list[Path]:
    dirs = sorted(p for p in (TF_ROOT / "modules").iterdir() if p.is_dir())
    return dirs + [TF_ROOT / "env"]


def self_test() -> int:
    tf = 'variable "a" {\n  description = "The \\"a\\"."\n  type = string\n}\n\noutput "b" {\n  value = 1\n}\n'
    assert tf_blocks(tf, "variable") == {"a": 'The "a".'}, tf_blocks(tf, "variable")
    assert tf_blocks(tf, "output") == {"b": ""}
    md = '# m\n\n## Inputs\n\n| Name | Description |\n| --- | --- |\n| `a` | The `"a"` |\n\n## Outputs\n\n| `c` | x |\n'
    assert readme_table(md, "Inputs") == {"a": 'The `"a"`'}
    assert readme_table(md, "Outputs") == {"c": "x"}
    assert readme_table(md, "Example") is None
    assert norm(readme_table(md, "Inputs")["a"]) == norm('The "a".')
    print("check_readmes self-test: OK")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    problems: list[str] = []
    mods = modules()
    for m in mods:
        problems += check_module(m)
    for p in problems:
        print(p)
    if problems:
        print(f"check_readmes: {len(problems)} problem(s) in {len(mods)} modules")
        return 1
    print(f"check_readmes: {len(mods)} modules, every README lists exactly its variables and outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
