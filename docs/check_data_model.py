#!/usr/bin/env python3
"""Checks docs/data-model.md against the job's code so the document cannot drift:

- every model in jobs/sales_etl/src/sales_etl/models/*.sql has a `### <table>` section whose
  column table lists exactly the model's output columns, in order (parsed from the final SELECT);
- every source in extract.py SOURCE_COLUMNS has a `### <source>` section with exactly its columns;
- the lineage Mermaid graph has an edge `<input> --> <table>` for every FROM/JOIN of each model,
  and no edge into a model that the SQL does not read;
- every `:parameter` bound in the SQL is named in the Parameters section;
- every quarantine reason literal in quality.py appears in the document.

Usage: check_data_model.py [--self-test]   (exit 1 on any mismatch)
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "jobs/sales_etl/src/sales_etl"
DOC = ROOT / "docs/data-model.md"


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def split_top_level(text: str, sep: str = ",") -> list[str]:
    parts, depth, cur, quote = [], 0, [], None
    for c in text:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
            continue
        if c in "'\"`":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def final_select(sql: str) -> tuple[str, str]:
    """(select list, rest) of the outermost SELECT that is not inside parentheses."""
    sql = strip_comments(sql)
    depth = 0
    positions = []
    for m in re.finditer(r"\(|\)|\bSELECT\b|\bFROM\b", sql, re.IGNORECASE):
        tok = m.group(0).upper()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0:
            positions.append((tok, m.start(), m.end()))
    selects = [p for p in positions if p[0] == "SELECT"]
    if not selects:
        raise ValueError("no top-level SELECT")
    _, _, sel_end = selects[-1]
    froms = [p for p in positions if p[0] == "FROM" and p[1] > sel_end]
    if not froms:
        raise ValueError("no top-level FROM after the last SELECT")
    return sql[sel_end : froms[0][1]], sql[froms[0][1] :]


def output_columns(sql: str) -> list[str]:
    select_list, _ = final_select(sql)
    cols = []
    for item in split_top_level(select_list):
        m = re.search(r"\bAS\s+`?([A-Za-z_][A-Za-z0-9_]*)`?\s*$", item, re.IGNORECASE)
        if m:
            cols.append(m.group(1))
            continue
        m = re.fullmatch(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)?`?([A-Za-z_][A-Za-z0-9_]*)`?", item)
        if not m:
            raise ValueError(f"select item without a name: {item!r}")
        cols.append(m.group(1))
    return cols


def inputs(sql: str) -> set[str]:
    """Tables read by FROM/JOIN anywhere in the model, minus its own CTE names."""
    sql = strip_comments(sql)
    ctes = set(re.findall(r"(?:\bWITH|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", sql, re.IGNORECASE))
    read = set(re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", sql, re.IGNORECASE))
    return read - ctes


def parameters(sql: str) -> set[str]:
    return set(re.findall(r"(?<![:\w]):([a-z_][a-z0-9_]*)", strip_comments(sql)))


def doc_sections(doc: str) -> dict[str, list[str]]:
    """`### name` heading -> backticked names in the first column of the first table under it."""
    sections: dict[str, list[str]] = {}
    for m in re.finditer(r"^### `?([a-z_]+)`?\s*$", doc, re.MULTILINE):
        body = doc[m.end() :]
        nxt = re.search(r"^#{1,3} ", body, re.MULTILINE)
        body = body[: nxt.start()] if nxt else body
        rows = [l for l in body.splitlines() if l.startswith("|")]
        cols = []
        for row in rows[2:]:  # header, separator
            cell = row.split("|")[1].strip()
            cm = re.fullmatch(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell)
            if cm:
                cols.append(cm.group(1))
        sections[m.group(1)] = cols
    return sections


def lineage_edges(doc: str) -> set[tuple[str, str]]:
    """Edges `a --> b` (one per line, optional |label|, shapes allowed) of the Lineage graph."""
    m = re.search(r"^## Lineage.*?```mermaid\n(.*?)```", doc, re.DOTALL | re.MULTILINE)
    if not m:
        return set()
    edge = re.compile(r"^\s*([a-z_][a-z0-9_]*)\S*\s*-->\s*(?:\|[^|]*\|\s*)?([a-z_][a-z0-9_]*)")
    return {(e.group(1), e.group(2)) for e in map(edge.match, m.group(1).splitlines()) if e}


def source_columns() -> dict[str, tuple[str, ...]]:
    """The sources' columns, from SOURCE_TYPES in schemas.py (both runtimes read them from there)."""
    tree = ast.parse((PKG / "schemas.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SOURCE_TYPES" for t in node.targets):
            return {name: tuple(c for c, _ in columns) for name, columns in ast.literal_eval(node.value).items()}
    raise ValueError("SOURCE_TYPES not found in schemas.py")


def quality_reasons() -> list[str]:
    text = (PKG / "quality.py").read_text(encoding="utf-8")
    return re.findall(r'"([a-z_]+: [^"{}]+)"\)', text)


def check(doc: str, models: dict[str, str]) -> list[str]:
    errors = []
    sections = doc_sections(doc)
    edges = lineage_edges(doc)
    if not edges:
        errors.append("no '## Lineage' section with a ```mermaid graph")
    all_params: set[str] = set()
    for name, sql in sorted(models.items()):
        want = output_columns(sql)
        got = sections.get(name)
        if got is None:
            errors.append(f"{name}: no '### {name}' section")
        elif got != want:
            errors.append(f"{name}: documented columns {got}\n    != SQL output columns {want}")
        for src in sorted(inputs(sql)):
            if (src, name) not in edges:
                errors.append(f"{name}: lineage graph lacks edge {src} --> {name} (the SQL reads {src})")
        for src, dst in sorted(edges):
            if dst == name and src not in inputs(sql):
                errors.append(f"{name}: lineage graph has {src} --> {name}, but the SQL does not read {src}")
        all_params |= parameters(sql)
    for name, cols in sorted(source_columns().items()):
        got = sections.get(name)
        if got is None:
            errors.append(f"source {name}: no '### {name}' section")
        elif got != list(cols):
            errors.append(f"source {name}: documented columns {got}\n    != schemas.py SOURCE_TYPES {list(cols)}")
    pm = re.search(r"^## Parameters\s*$(.*?)(?=^## )", doc, re.MULTILINE | re.DOTALL)
    ptext = pm.group(1) if pm else ""
    for p in sorted(all_params):
        if f"`{p}`" not in ptext:
            errors.append(f"parameter :{p} (bound in the SQL) is not named in '## Parameters'")
    for reason in quality_reasons():
        if reason not in doc:
            errors.append(f"DQ reason from quality.py not in the document: {reason!r}")
    return errors


def load_models() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((PKG / "models").glob("*.sql"))}


def self_test() -> int:
    sql = "-- c\nWITH t AS (SELECT a, b FROM x)\nSELECT t.a, f(b, 1) AS c, :p AS d\nFROM t JOIN y ON 1 = 1"
    ok = output_columns(sql) == ["a", "c", "d"] and inputs(sql) == {"x", "y"} and parameters(sql) == {"p"}
    doc = "## Lineage\n```mermaid\nflowchart LR\n  x --> m\n```\n### m\n| column | t |\n| --- | --- |\n| `a` | x |\n"
    bad = [e for e in _check_models(doc, {"m": "SELECT a, b FROM x JOIN z ON 1=1"})]
    good = _check_models(doc, {"m": "SELECT a FROM x"})
    passed = ok and len(bad) == 2 and not good
    print(f"data-model self-test: {'1 passed, 0 failed' if passed else '0 passed, 1 failed'}")
    return 0 if passed else 1


def _check_models(doc: str, models: dict[str, str]) -> list[str]:
    sections, edges, errors = doc_sections(doc), lineage_edges(doc), []
    for name, sql in models.items():
        if sections.get(name) != output_columns(sql):
            errors.append("columns")
        errors += [f"edge {s}" for s in inputs(sql) if (s, name) not in edges]
    return errors


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    models = load_models()
    if not models:
        print(f"data-model: no models found under {PKG / 'models'}")
        return 1
    errors = check(DOC.read_text(encoding="utf-8"), models)
    for e in errors:
        print(f"FAIL {e}")
    total_cols = sum(len(output_columns(s)) for s in models.values())
    print(
        f"data-model: {len(models)} models ({total_cols} columns), {len(source_columns())} sources, "
        f"{len(quality_reasons())} DQ reasons checked; {len(errors)} mismatches"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
