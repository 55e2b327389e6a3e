#!/usr/bin/env python3
"""Syntax check of every ```mermaid block in the given Markdown files.

No Mermaid CLI here (it lives on npm), so this is a small validator for the two diagram types the
docs use: flowchart/graph and sequenceDiagram. It checks the diagram type line, balanced
subgraph/end and block/end, node shapes with balanced brackets and quotes, known link/arrow syntax,
node ids, and known statements. Anything it does not understand is an error, so a new construct
has to be taught here before it is used.

Usage: check_mermaid.py FILE.md...      check files (exit 1 on any error)
       check_mermaid.py --self-test     prove it accepts good diagrams and rejects broken ones
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ID = r"[A-Za-z_][A-Za-z0-9_]*"
# Node shapes, longest opener first: opener -> closer.
SHAPES = [
    ("(((", ")))"),
    ("((", "))"),
    ("([", "])"),
    ("[(", ")]"),
    ("[[", "]]"),
    ("{{", "}}"),
    ("[/", "/]"),
    ("[\\", "\\]"),
    ("[/", "\\]"),
    ("[\\", "/]"),
    ("(", ")"),
    ("[", "]"),
    ("{", "}"),
    (">", "]"),
]
# Links: --> --- -.-> -.- ==> === --o --x <--> ~~~ (any length), with optional |label|.
LINK = re.compile(r"(?:<|o|x)?(?:-{2,}|={2,}|-\.+-)(?:>|o|x)?|~~~")
TEXT_LINK = re.compile(r"(?:--|==|-\.)\s+[^|>\n]*?\s+(?:-{2,}>|={2,}>|\.-+>|-{3,}|={3,}|\.-)")
FLOW_DIRECTIONS = {"TB", "TD", "BT", "RL", "LR"}
FLOW_KEYWORDS = ("classDef ", "class ", "style ", "linkStyle ", "click ", "direction ")

SEQ_ARROW = r"(?:-->>|->>|-->|->|--x|-x|--\)|-\)|<<->>|<<-->>)"
SEQ_MESSAGE = re.compile(rf"^({ID})\s*{SEQ_ARROW}\s*[+-]?\s*({ID})\s*:(.*)$")
SEQ_PARTICIPANT = re.compile(rf"^(participant|actor)\s+({ID})(\s+as\s+\S.*)?$")
SEQ_NOTE = re.compile(rf"^[Nn]ote\s+(left of|right of|over)\s+{ID}(\s*,\s*{ID})?\s*:.*$")
SEQ_BLOCKS = ("loop", "alt", "opt", "par", "critical", "break", "rect", "box")
SEQ_MIDDLE = ("else", "and", "option")


class MermaidError(Exception):
    pass


def _close_shape(text: str, pos: int, closer: str, line: int) -> int:
    """pos is just after the opener; return the index after the closer. Quotes must balance."""
    i = pos
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise MermaidError(f"line {line}: unterminated quote in node label")
            i = end + 1
            continue
        if text.startswith(closer, i) and depth == 0:
            return i + len(closer)
        if c in "[({":
            depth += 1
        elif c in "])}" and depth > 0:
            depth -= 1
        elif c in "])}" and not text.startswith(closer, i):
            raise MermaidError(f"line {line}: '{c}' does not close the node shape (expected '{closer}')")
        i += 1
    raise MermaidError(f"line {line}: node shape not closed (expected '{closer}')")


def _node(text: str, pos: int, line: int) -> int:
    m = re.compile(ID).match(text, pos)
    if not m:
        raise MermaidError(f"line {line}: expected a node id at: {text[pos : pos + 30]!r}")
    i = m.end()
    for opener, closer in SHAPES:
        if text.startswith(opener, i):
            i = _close_shape(text, i + len(opener), closer, line)
            break
    m = re.compile(rf":::{ID}").match(text, i)
    return m.end() if m else i


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _flow_statement(stmt: str, line: int) -> list[str]:
    """A chain: node (& node)* (link node (& node)*)*. Returns the node ids seen."""
    ids: list[str] = []
    i = 0
    expect_node = True
    while True:
        i = _skip_ws(stmt, i)
        if expect_node:
            start = i
            i = _node(stmt, i, line)
            ids.append(re.match(ID, stmt[start:]).group(0))
            i = _skip_ws(stmt, i)
            if i < len(stmt) and stmt[i] == "&":
                i += 1
                continue
            expect_node = False
            if i >= len(stmt):
                return ids
            continue
        m = TEXT_LINK.match(stmt, i) or LINK.match(stmt, i)
        if not m:
            raise MermaidError(f"line {line}: expected a link (-->, ---, -.->, ==>, ...) at: {stmt[i : i + 30]!r}")
        i = _skip_ws(stmt, m.end())
        if i < len(stmt) and stmt[i] == "|":
            end = stmt.find("|", i + 1)
            if end < 0:
                raise MermaidError(f"line {line}: link label not closed with '|'")
            i = end + 1
        i = _skip_ws(stmt, i)
        if i >= len(stmt):
            raise MermaidError(f"line {line}: link without a target node")
        expect_node = True


def check_flowchart(lines: list[tuple[int, str]]) -> None:
    depth = 0
    for n, raw in lines:
        s = raw.strip().rstrip(";")
        if not s or s.startswith("%%"):
            continue
        if s.startswith("subgraph"):
            rest = s[len("subgraph") :].strip()
            if not rest:
                raise MermaidError(f"line {n}: subgraph needs an id")
            if not re.match(ID, rest) or _node(rest, 0, n) != len(rest):
                raise MermaidError(f"line {n}: bad subgraph id/label: {rest!r}")
            depth += 1
            continue
        if s == "end":
            depth -= 1
            if depth < 0:
                raise MermaidError(f"line {n}: 'end' without subgraph")
            continue
        if s.startswith(FLOW_KEYWORDS):
            if s.startswith("direction ") and s.split()[1] not in FLOW_DIRECTIONS:
                raise MermaidError(f"line {n}: unknown direction {s.split()[1]!r}")
            continue
        _flow_statement(s, n)
    if depth:
        raise MermaidError(f"{depth} subgraph(s) not closed with 'end'")


def check_sequence(lines: list[tuple[int, str]]) -> None:
    stack: list[str] = []
    for n, raw in lines:
        s = raw.strip()
        if not s or s.startswith("%%") or s == "autonumber":
            continue
        word = s.split()[0]
        if SEQ_PARTICIPANT.match(s) or SEQ_NOTE.match(s) or SEQ_MESSAGE.match(s):
            continue
        if word in ("activate", "deactivate") and re.fullmatch(rf"{word}\s+{ID}", s):
            continue
        if word in SEQ_BLOCKS:
            stack.append(word)
            continue
        if word in SEQ_MIDDLE:
            if not stack:
                raise MermaidError(f"line {n}: '{word}' outside a block")
            continue
        if s == "end":
            if not stack:
                raise MermaidError(f"line {n}: 'end' without a block")
            stack.pop()
            continue
        raise MermaidError(f"line {n}: not a sequenceDiagram statement: {s!r}")
    if stack:
        raise MermaidError(f"block(s) not closed with 'end': {', '.join(stack)}")


def check_diagram(text: str, first_line: int = 1) -> str:
    lines = [(first_line + k, l) for k, l in enumerate(text.splitlines())]
    body = [(n, l) for n, l in lines if l.strip() and not l.strip().startswith("%%")]
    if not body:
        raise MermaidError("empty diagram")
    n, head = body[0]
    words = head.split()
    if words[0] in ("flowchart", "graph"):
        if len(words) != 2 or words[1] not in FLOW_DIRECTIONS:
            raise MermaidError(f"line {n}: '{words[0]}' needs one direction of {sorted(FLOW_DIRECTIONS)}")
        check_flowchart(body[1:])
        return "flowchart"
    if words == ["sequenceDiagram"]:
        check_sequence(body[1:])
        return "sequenceDiagram"
    raise MermaidError(f"line {n}: unknown or unsupported diagram type {head.strip()!r}")


def blocks(path: Path):
    """Yield (first line number of the body, body) of each ```mermaid fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```mermaid":
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            if j == len(lines):
                raise MermaidError(f"{path}:{i + 1}: mermaid fence not closed")
            yield start + 1, "\n".join(lines[start:j])
            i = j
        i += 1


GOOD = [
    "flowchart LR\n  A[Start] --> B{Ok?}\n  B -->|yes| C([done])\n  B -- no --> D[(db)]\n  A & B -.-> E((x))",
    'graph TD\n  subgraph aws[AWS account]\n    direction LR\n    s3["S3 (artifacts)"] ==> g[[Glue]]\n  end\n  gh>GitHub] --- s3',
    "sequenceDiagram\n  participant U as User\n  U->>+S: call\n  S-->>-U: reply\n  alt ok\n    Note over U,S: fine\n  else bad\n    S--xU: error\n  end",
]
BAD = [
    ("flowchart LR\n  A[Start --> B", "unbalanced bracket"),
    ('flowchart LR\n  A["quote] --> B', "unterminated quote"),
    ("flowchart LR\n  A -> B", "unknown arrow"),
    ("flowchart LR\n  A -->", "link without target"),
    ("flowchart LR\n  subgraph x\n  A --> B", "subgraph not closed"),
    ("flowchart LR\n  end", "stray end"),
    ("flowchart XY\n  A --> B", "bad direction"),
    ('pie title x\n  "a": 1', "unsupported type"),
    ("flowchart LR\n  1bad --> B", "bad node id"),
    ("flowchart LR\n  A(round] --> B", "mismatched shape"),
    ("sequenceDiagram\n  A->B hello", "message without colon"),
    ("sequenceDiagram\n  loop forever\n  A->>B: x", "block not closed"),
    ("sequenceDiagram\n  A=>>B: x", "unknown sequence arrow"),
]


def self_test() -> int:
    failures = 0
    for text in GOOD:
        try:
            check_diagram(text)
        except MermaidError as exc:
            failures += 1
            print(f"self-test: good diagram rejected: {exc}\n{text}")
    for text, why in BAD:
        try:
            check_diagram(text)
        except MermaidError:
            continue
        failures += 1
        print(f"self-test: broken diagram ({why}) accepted:\n{text}")
    print(f"mermaid self-test: {len(GOOD) + len(BAD) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    count = errors = 0
    for name in argv:
        path = Path(name)
        try:
            for first, body in blocks(path):
                count += 1
                try:
                    kind = check_diagram(body, first)
                    print(f"ok   {path}:{first - 1} {kind}")
                except MermaidError as exc:
                    errors += 1
                    print(f"FAIL {path}: {exc}")
        except MermaidError as exc:
            errors += 1
            print(f"FAIL {exc}")
    print(f"mermaid: {count} blocks checked, {errors} invalid")
    return 1 if errors or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
