"""Java (java.util.regex) patterns of AWS service models as Python `re` patterns.

AWS services check `pattern` with Java's regex engine, and botocore copies those patterns
verbatim; Python's `re` reads many of them differently or not at all:

- `\\p{L}`, `\\P{C}`, `\\p{Alnum}`: no Unicode/POSIX properties in `re` (built here as ranges);
- `\\uD800\\uDC00-\\uDBFF\\uDFFF`: Java joins an escaped surrogate pair into one code point, so
  that is U+10000..U+10FFFF; read literally it is a reversed range;
- `[\\p{L}-_]`: a `-` next to a class escape is a literal in Java, an error in `re`;
- `[\\p{Print}&&[^|:/]]` (intersection), `[a[b]]` (union), `\\x{60}`, `\\z`, `\\h`, `\\e`, `\\0oo`,
  `\\Q..\\E`, `(?<name>..)`, a flag group `(?i)` in the middle, `${1,128}` (a quantified anchor);
- `\\w`, `\\d`, `\\s`, `\\b` are ASCII in Java (so the result is compiled with re.ASCII) and Java's
  `.` also stops at `\\r`, U+0085, U+2028 and U+2029.

compile_java(p) gives a compiled pattern; use .fullmatch (AWS matches the whole value).
Anything it cannot translate faithfully raises Unsupported instead of guessing.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX = 0x10FFFF
LINE_ENDS = [(0x0A, 0x0A), (0x0D, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]
HSPACE = [(0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x180E, 0x180E), (0x2000, 0x200A), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]
VSPACE = [(0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]
PUNCT = [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)]
ALNUM = [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]
POSIX = {  # Java's POSIX classes are US-ASCII only (without UNICODE_CHARACTER_CLASS)
    "Lower": [(0x61, 0x7A)],
    "Upper": [(0x41, 0x5A)],
    "ASCII": [(0, 0x7F)],
    "Alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "Digit": [(0x30, 0x39)],
    "Alnum": ALNUM,
    "Punct": PUNCT,
    "Graph": ALNUM + PUNCT,
    "Print": ALNUM + PUNCT + [(0x20, 0x20)],
    "Blank": [(0x09, 0x09), (0x20, 0x20)],
    "Cntrl": [(0, 0x1F), (0x7F, 0x7F)],
    "XDigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
    "Space": [(0x09, 0x0D), (0x20, 0x20)],
    "all": [(0, MAX)],
    "L1": [(0, 0xFF)],
}
FLAGS = set("ims")  # x (comments) also changes classes: not translated


class Unsupported(ValueError):
    """A construct this converter does not translate faithfully (the pattern stays unchecked)."""


def normalise(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged ranges."""
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for lo, hi in normalise(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX:
        out.append((start, MAX))
    return out


@functools.lru_cache(maxsize=1)
def categories() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges per Unicode general category (two letters), built once (~0.5 s)."""
    table: dict[str, list[tuple[int, int]]] = {}
    run_cat, run_lo = None, 0
    for cp in range(MAX + 2):
        cat = unicodedata.category(chr(cp)) if cp <= MAX else None
        if cat != run_cat:
            if run_cat is not None:
                table.setdefault(run_cat, []).append((run_lo, cp - 1))
            run_cat, run_lo = cat, cp
    return table


def property_ranges(name: str) -> list[tuple[int, int]]:
    """`\\p{name}` as ranges: general categories (L, Lu, N, Z, ...), Java's POSIX classes, and the
    few Java names AWS models use (LD, IsAlphabetic, IsWhitespace...)."""
    if name in POSIX:
        return POSIX[name]
    bare = name[2:] if name.startswith("Is") and len(name) > 2 else name
    bare = bare.split("=", 1)[1] if bare.startswith(("gc=", "general_category=")) else bare
    table = categories()
    if len(bare) in (1, 2) and bare[0] in "LMNPSZC" and (len(bare) == 1 or bare in table or bare == "Cn"):
        return normalise([r for cat, rs in table.items() if cat.startswith(bare) for r in rs])
    if bare in ("LD", "LetterOrDigit"):
        return normalise(property_ranges("L") + property_ranges("Nd"))
    if bare in ("Alphabetic", "Letter"):  # Alphabetic ~ L + Nl (Other_Alphabetic marks not included)
        return normalise(property_ranges("L") + (property_ranges("Nl") if bare == "Alphabetic" else []))
    if bare in ("Digit",) and name.startswith("Is"):
        return property_ranges("Nd")
    if bare in ("Whitespace", "White_Space"):
        return normalise(property_ranges("Z") + [(0x09, 0x0D), (0x85, 0x85)])
    raise Unsupported(f"unknown property \\p{{{name}}}")


def escape_cp(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def class_text(ranges: list[tuple[int, int]]) -> str:
    """The inside of a Python character class for these ranges (every code point escaped)."""
    return "".join(escape_cp(lo) if lo == hi else f"{escape_cp(lo)}-{escape_cp(hi)}" for lo, hi in normalise(ranges))


class Converter:
    """One pass over the Java pattern; out holds atoms so a quantifier can wrap the last one."""

    def __init__(self, source: str):
        self.s, self.i = source, 0
        self.out: list[str] = []
        self.atom = 0  # index in out where the last atom starts (a quantifier applies to out[atom:])
        self.last = "none"  # what out ends with: atom, anchor, quantifier or none
        # one entry per open group: [scoped flag groups opened in it, flags text to reopen after |,
        # dotall, index of its "(" in out]
        self.groups: list[list] = [[0, "", False, 0]]

    def peek(self, k: int = 0) -> str:
        return self.s[self.i + k] if self.i + k < len(self.s) else ""

    def take(self) -> str:
        if self.i >= len(self.s):
            raise Unsupported("unexpected end of pattern")
        c = self.s[self.i]
        self.i += 1
        return c

    def emit(self, text: str, kind: str = "atom") -> None:
        if kind in ("atom", "anchor"):
            self.atom = len(self.out)
        self.out.append(text)
        self.last = kind

    def quantifier(self, c: str) -> bool:
        """Reads a quantifier (with its lazy/possessive suffix) if one starts here. Java also
        repeats an anchor (`${1,128}`) and a quantified atom (`X{11}{0,1011}`); re needs a group."""
        if c == "{":
            found = re.match(r"\d+(,\d*)?\}", self.s[self.i :])
            if not found:
                return False
            c += found.group(0)
            self.i += len(found.group(0))
        if self.peek() in ("?", "+"):
            c += self.take()
        if self.last in ("anchor", "quantifier"):
            self.out[self.atom :] = ["(?:" + "".join(self.out[self.atom :]) + ")"]
        self.emit(c, "quantifier")
        return True

    def convert(self) -> str:
        while self.i < len(self.s):
            self.step(self.take())
        self.close_scoped()
        if len(self.groups) != 1:
            raise Unsupported("unbalanced parentheses")
        return "".join(self.out)

    def step(self, c: str) -> None:
        if c == "\\":
            self.escape_outside()
        elif c == "[":
            self.emit(self.char_class())
        elif c == "(":
            self.open_group()
        elif c == ")":
            self.close_scoped()
            if len(self.groups) == 1:
                raise Unsupported("unbalanced parentheses")
            start = self.groups.pop()[3]
            self.out.append(")")
            self.atom, self.last = start, "atom"
        elif c == "|":
            self.close_scoped()
            self.emit("|", "none")
            self.reopen_scoped()
        elif c == ".":
            self.emit("[\\s\\S]" if self.groups[-1][2] else "[^\\n\\r\\u0085\\u2028\\u2029]")
        elif c in "^$":
            self.emit(c, "anchor")
        elif c in "*+?{" and self.quantifier(c):
            pass
        else:
            self.emit(re.escape(c) if c in "{}" else c)

    def escape_outside(self) -> None:
        c = self.take()
        ranges = self.class_escape(c)
        if ranges is not None:
            self.emit(f"[{class_text(ranges)}]")
        elif c in "dDwWsS":
            self.emit("\\" + c)
        elif c in "bBA":
            self.emit("\\" + c, "anchor")
        elif c == "z":
            self.emit("\\Z", "anchor")
        elif c == "Z":
            self.emit("(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?\\Z)", "anchor")
        elif c == "R":
            self.emit("(?:\\r\\n|[\\n\\x0b\\f\\r\\u0085\\u2028\\u2029])")
        elif c == "Q":
            end = self.s.find("\\E", self.i)
            end = len(self.s) if end < 0 else end
            self.emit(f"(?:{re.escape(self.s[self.i : end])})")
            self.i = min(len(self.s), end + 2)
        elif c == "k" and self.peek() == "<":
            end = self.s.index(">", self.i)
            self.emit(f"(?P={self.s[self.i + 1 : end]})")
            self.i = end + 1
        elif c.isdigit() and c != "0":
            self.emit("\\" + c)
        elif c == "N" and self.peek() == "{":
            end = self.s.index("}", self.i)
            self.emit("\\N" + self.s[self.i : end + 1])
            self.i = end + 1
        else:
            self.emit(escape_cp(self.literal_escape(c)))

    def class_escape(self, c: str) -> list[tuple[int, int]] | None:
        """Ranges for escapes that are sets re lacks (\\p, \\P, \\h, \\H, \\v, \\V); None otherwise."""
        if c in "pP":
            if self.peek() == "{":
                end = self.s.index("}", self.i)
                name, self.i = self.s[self.i + 1 : end], end + 1
            else:
                name = self.take()
            ranges = property_ranges(name)
            return complement(ranges) if c == "P" else ranges
        if c in "hH":
            return HSPACE if c == "h" else complement(HSPACE)
        if c in "vV":
            return VSPACE if c == "v" else complement(VSPACE)
        return None

    def literal_escape(self, c: str) -> int:
        """The code point of a literal escape (\\uXXXX with surrogate pairs joined, \\x, \\0, \\c...)."""
        simple = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
        if c in simple:
            return simple[c]
        if c == "u":
            cp = int(self.fixed_hex(4), 16)
            if 0xD800 <= cp <= 0xDBFF and self.s.startswith("\\u", self.i):
                low = int(self.s[self.i + 2 : self.i + 6], 16)
                if 0xDC00 <= low <= 0xDFFF:
                    self.i += 6
                    return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            return cp
        if c == "x":
            if self.peek() == "{":
                end = self.s.index("}", self.i)
                text, self.i = self.s[self.i + 1 : end], end + 1
                return int(text, 16)
            return int(self.fixed_hex(2), 16)
        if c == "0":
            digits = ""
            while len(digits) < 3 and self.peek() in "01234567" and self.peek() and int(digits + self.peek(), 8) <= 0o377:
                digits += self.take()
            if not digits:
                raise Unsupported("\\0 without octal digits")
            return int(digits, 8)
        if c == "c":
            return ord(self.take()) ^ 64
        if c.isalnum():
            raise Unsupported(f"escape \\{c}")
        return ord(c)

    def fixed_hex(self, n: int) -> str:
        text = self.s[self.i : self.i + n]
        if len(text) != n or not all(ch in "0123456789abcdefABCDEF" for ch in text):
            raise Unsupported(f"bad hex escape near {self.s[self.i - 2 : self.i + n]!r}")
        self.i += n
        return text

    def open_group(self) -> None:
        """`(`, `(?:`, lookarounds, `(?<name>`, `(?>`, and Java flag groups `(?i)` / `(?i:`."""
        dotall, start = self.groups[-1][2], len(self.out)
        if self.peek() != "?":
            self.groups.append([0, "", dotall, start])
            self.emit("(", "none")
            return
        self.take()
        if self.peek() == "<" and self.peek(1) not in "=!":
            end = self.s.index(">", self.i)
            name, self.i = self.s[self.i + 1 : end], end + 1
            self.groups.append([0, "", dotall, start])
            self.emit(f"(?P<{name}>", "none")
            return
        if self.peek() in ":=!>" or (self.peek() == "<" and self.peek(1) in "=!"):
            self.groups.append([0, "", dotall, start])
            self.emit("(?" + self.take(), "none")
            if self.out[-1] == "(?<":
                self.out[-1] += self.take()
            return
        flags = ""
        while self.peek() and self.peek() not in ":)":
            flags += self.take()
        if not set(flags.replace("-", "")) <= FLAGS:
            raise Unsupported(f"flags (?{flags})")
        on = flags.split("-")[0]
        scoped = f"(?{flags}:" if flags.replace("-", "") else "(?:"
        if self.take() == ":":
            self.groups.append([0, "", "s" in on or (dotall and "s" not in flags.partition("-")[2]), start])
            self.emit(scoped, "none")
            return
        # (?i) in Java applies to the rest of the enclosing group: a scoped group until its end
        top = self.groups[-1]
        top[0] += 1
        top[1] += scoped
        top[2] = "s" in on or (dotall and "s" not in flags.partition("-")[2])
        self.emit(scoped, "none")

    def close_scoped(self) -> None:
        if self.groups[-1][0]:
            self.out.append(")" * self.groups[-1][0])

    def reopen_scoped(self) -> None:
        if self.groups[-1][1]:
            self.emit(self.groups[-1][1], "none")

    def char_class(self) -> str:
        """A Java class (after `[`) with nesting (union) and `&&` (intersection)."""
        negate = self.peek() == "^"
        if negate:
            self.take()
        operands: list[tuple[list, list[str], list[str]]] = []
        ranges: list[tuple[int, int]] = []
        escapes: list[str] = []
        nested: list[str] = []
        first = True
        while True:
            c = self.take()
            if c == "]" and not first:
                break
            first = False
            if c == "[":
                nested.append(self.char_class())
            elif c == "&" and self.peek() == "&":
                self.take()
                operands.append((ranges, escapes, nested))
                ranges, escapes, nested = [], [], []
            else:
                self.class_item(c, ranges, escapes)
        operands.append((ranges, escapes, nested))
        parts = [self.union(*op) for op in operands if op[0] or op[1] or op[2]]
        if not parts:
            raise Unsupported("empty class")
        body = parts[0] if len(parts) == 1 else "(?:" + "".join(f"(?={p})" for p in parts[1:]) + parts[0] + ")"
        if not negate:
            return body
        if len(operands) == 1 and not operands[0][2]:
            return "[^" + class_text(operands[0][0]) + "".join(operands[0][1]) + "]"
        return f"(?:(?!{body})[\\s\\S])"

    @staticmethod
    def union(ranges: list[tuple[int, int]], escapes: list[str], nested: list[str]) -> str:
        simple = f"[{class_text(ranges)}{''.join(escapes)}]" if ranges or escapes else ""
        alternatives = ([simple] if simple else []) + nested
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    def class_item(self, c: str, ranges: list, escapes: list) -> None:
        """One class member: a code point, a range, or a set escape (a `-` next to a set is literal)."""
        low = self.class_atom(c)
        if not isinstance(low, int):
            self.add_set(low, ranges, escapes)
            return
        if self.peek() == "-" and self.peek(1) not in ("]", "[", "") and self.s[self.i : self.i + 3] != "-&&":
            self.take()
            high = self.class_atom(self.take())
            if isinstance(high, int):
                if high < low:
                    raise Unsupported("reversed range")
                ranges.append((low, high))
                return
            ranges.append((low, low))
            ranges.append((0x2D, 0x2D))
            self.add_set(high, ranges, escapes)
            return
        ranges.append((low, low))

    @staticmethod
    def add_set(item, ranges: list, escapes: list) -> None:
        if isinstance(item, str):
            escapes.append(item)
        else:
            ranges.extend(item)

    def class_atom(self, c: str):
        """A code point, a list of ranges, or a re escape text (\\d \\w \\s and negations)."""
        if c != "\\":
            return ord(c)
        e = self.take()
        if e in "dDwWsS":
            return "\\" + e
        ranges = self.class_escape(e)
        if ranges is not None:
            return ranges
        if e == "Q":
            end = self.s.find("\\E", self.i)
            end = len(self.s) if end < 0 else end
            text, self.i = self.s[self.i : end], min(len(self.s), end + 2)
            return [(ord(ch), ord(ch)) for ch in text] or []
        return self.literal_escape(e)


def convert(pattern: str) -> str:
    return Converter(pattern).convert()


@functools.lru_cache(maxsize=4096)
def compile_java(pattern: str) -> re.Pattern:
    """The Python equivalent of a Java pattern (raises Unsupported when there is none)."""
    try:
        return re.compile(convert(pattern), re.ASCII)
    except (re.error, ValueError, IndexError) as error:
        if isinstance(error, Unsupported):
            raise
        raise Unsupported(f"{type(error).__name__}: {error}") from error
