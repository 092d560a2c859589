"""A Python source writer: lines indented by block, calls wrapped at their
arguments when a line would pass WIDTH, comments (the rewrite's tags back
to the script's lines) kept whole."""

from __future__ import annotations

import contextlib
import textwrap
from dataclasses import dataclass, field

WIDTH = 99  # the column a written line stays within where it can
DOCSTRING_WIDTH = 79  # a docstring's lines, as PEP 8 keeps prose
INDENT = "    "


@dataclass
class Call:
    """`function(arguments...)`: each argument a value's source or `key=value`
    (`brackets` "{}": a dict display of "key": value items)."""
    function: str
    arguments: list = field(default_factory=list)
    brackets: str = "()"

    def __str__(self) -> str:
        inside = ", ".join(str(argument) for argument in self.arguments)
        return f"{self.function}{self.brackets[0]}{inside}{self.brackets[1]}"


def keyword(name: str, value) -> str:
    """`name=value`, the value as Python source (a string quoted with ")."""
    return f'{name}="{value}"' if isinstance(value, str) else f"{name}={value!r}"


def list_text(values: list) -> str:
    """A list of ints and Nones as short Python: a run of one value
    `[None] * n`, an arithmetic run of four or more `list(range(a, b, step))`
    (a static RNN's op seed at each time step), the rest as written."""
    def arithmetic(at: int) -> bool:
        run = values[at:at + 4]
        return len(run) == 4 and None not in run and run[1] != run[0] and \
            len({b - a for a, b in zip(run, run[1:])}) == 1

    def repeated(at: int) -> bool:
        return values[at:at + 4] == [values[at]] * 4
    parts, index = [], 0
    while index < len(values):
        end = index + 1
        if values[index] is None or repeated(index):
            while end < len(values) and values[end] == values[index]:
                end += 1
            parts.append(f"[{values[index]!r}] * {end - index}" if end > index + 1
                         else f"[{values[index]!r}]")
        elif arithmetic(index):
            step = values[index + 1] - values[index]
            while end < len(values) and values[end] is not None and \
                    values[end] - values[end - 1] == step:
                end += 1
            parts.append(f"list(range({values[index]}, {values[end - 1] + step}, {step}))")
        else:
            while end < len(values) and values[end] is not None and \
                    not arithmetic(end) and not repeated(end):
                end += 1
            parts.append(repr(values[index:end]))
        index = end
    return " + ".join(parts)


class Source:
    """The text of a module, built a line at a time."""

    def __init__(self):
        self._lines, self._depth = [], 0

    def line(self, text: str = "") -> None:
        self._lines.append(INDENT * self._depth + text if text else "")

    def comment(self, text: str) -> None:
        self.line(f"# {text}")

    def docstring(self, text: str) -> None:
        """`text` in triple quotes, wrapped at DOCSTRING_WIDTH."""
        width = DOCSTRING_WIDTH - len(INDENT) * self._depth
        for line in textwrap.wrap(f'"""{text}"""', width, break_long_words=False):
            self.line(line)

    @contextlib.contextmanager
    def block(self, header: str, closing: str | None = None):
        """`header` (a `def`, `class`, `with`, `for` ... line), its body
        indented, then `closing` (a bracket) back at the header's depth."""
        self.line(header)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if closing:
            self.line(closing)

    def statement(self, head: str, call: Call, tail: str = "") -> None:
        """`head + call + tail`, the call's arguments wrapped under its
        opening parenthesis when the line would pass WIDTH."""
        self._wrapped(INDENT * self._depth + head, call, tail)

    def _wrapped(self, lead: str, call: Call, tail: str) -> None:
        """`lead + call + tail` (lead: the line's text before the call,
        indentation included), wrapped as `statement` says."""
        whole = f"{lead}{call}{tail}"
        if len(whole) <= WIDTH or not call.arguments:
            self._lines.append(whole)
            return
        self._lines.extend(_layout(lead, call, tail))

    def expression(self, head: str, text: str) -> None:
        """`head + text` for an expression `text`, wrapped at the arguments
        of the call (or list) it ends with when the line would pass WIDTH;
        a sum or difference still too wide, parenthesized with a line per
        term (`(a` / `+ b)`), each wrapped so."""
        indent = INDENT * self._depth
        start = len(self._lines)
        self._expression_line(indent + head, text, "")
        terms = _split_terms(text)
        if len(terms) < 2 or all(len(line) <= WIDTH for line in self._lines[start:]):
            return
        del self._lines[start:]  # wrapped at its last call it is still too wide
        column = " " * (len(indent + head) + 1)
        for index, (operator, term) in enumerate(terms):
            lead = f"{indent}{head}(" if index == 0 else f"{column}{operator} "
            self._expression_line(lead, term, ")" if index == len(terms) - 1 else "")

    def _expression_line(self, lead: str, text: str, tail: str) -> None:
        parts = _split_call(text)
        if parts is None:
            self._lines.append(lead + text + tail)
            return
        prefix, arguments, suffix = parts
        self._wrapped(lead, Call(prefix, arguments, ("", suffix)), tail)

    def blank(self, count: int = 1) -> None:
        self._lines.extend([""] * count)

    def text(self) -> str:
        return "\n".join(self._lines).rstrip("\n") + "\n"


def _layout(lead: str, call: Call, tail: str) -> list:
    """The lines of `lead + call + tail`: the arguments under the opening
    parenthesis; where one is too wide there, hanging on the next lines,
    indented once (a nested call too wide itself laid out so in turn)."""
    opening = f"{lead}{call.function}{call.brackets[0]}"
    lines = _packed(opening, " " * len(opening), call, tail)
    if all(len(line) <= WIDTH for line in lines):
        return lines
    hanging = " " * (len(lead) - len(lead.lstrip()) + len(INDENT))
    other, last = [opening.rstrip()], len(call.arguments) - 1
    for index, argument in enumerate(call.arguments):
        ending = "," if index < last else f"{call.brackets[1]}{tail}"
        if isinstance(argument, Call) and len(f"{hanging}{argument}{ending}") > WIDTH:
            other += _layout(hanging, argument, ending)
        elif other[-1].startswith(hanging) and not other[-1].endswith(("(", "[", "{")) and \
                len(f"{other[-1]} {argument}{ending}") <= WIDTH and \
                not isinstance(call.arguments[index - 1], Call):
            other[-1] += f" {argument}{ending}"
        else:
            other.append(f"{hanging}{argument}{ending}")
    return other if max(map(len, other)) < max(map(len, lines)) else lines


def _packed(first: str, indent: str, call: Call, tail: str) -> list:
    """The call's arguments after `first`, as many to a line as WIDTH allows,
    each further line starting with `indent`."""
    lines, current, last = [], first, len(call.arguments) - 1
    for index, argument in enumerate(call.arguments):
        piece = f"{argument}," if index < last else f"{argument}{call.brackets[1]}{tail}"
        joined = current + piece if current in (first, indent) else f"{current} {piece}"
        if len(joined) > WIDTH and current not in (first, indent):
            lines.append(current)
            current = indent + piece
        else:
            current = joined
    return lines + [current]


OPENING, CLOSING = "([{", ")]}"


def _brackets(text: str, marks: str = ","):
    """(index, character, depth) of each bracket and each of `marks` outside
    string literals; a bracket's depth is the one outside it."""
    depth, quote = 0, None
    for index, character in enumerate(text):
        if quote:
            quote = None if character == quote else quote
        elif character in "'\"":
            quote = character
        elif character in OPENING:
            yield index, character, depth
            depth += 1
        elif character in CLOSING:
            depth -= 1
            yield index, character, depth
        elif character in marks:
            yield index, character, depth


def _split_terms(text: str) -> list:
    """[(operator, term)] of `text` split at its top-level binary ` + ` and
    ` - ` (the first term's operator ""); one item where there are none."""
    found = [(index, character) for index, character, depth in _brackets(text, "+-")
             if depth == 0 and character in "+-"
             and text[index - 1:index + 2] in (" + ", " - ")]
    start, terms, operator = 0, [], ""
    for index, character in found:
        terms.append((operator, text[start:index - 1]))
        operator, start = character, index + 2
    return terms + [(operator, text[start:])]


def _split_call(text: str):
    """(prefix, arguments, suffix) of the bracket group `text` ends with:
    prefix + ", ".join(arguments) + suffix == text; a group holding one
    argument that itself ends with a group is split inside that one. None
    where `text` does not end with a group of several arguments."""
    if not text or text[-1] not in CLOSING:
        return None
    marks = list(_brackets(text))
    if not marks or marks[-1][0] != len(text) - 1:
        return None
    outer = marks[-1][2]
    opening = max(index for index, character, depth in marks
                  if character in OPENING and depth == outer)
    commas = [index for index, character, depth in marks
              if character == "," and depth == outer + 1 and index > opening]
    bounds = [opening, *commas, len(text) - 1]
    arguments = [text[start + 1:end].strip() for start, end in zip(bounds, bounds[1:])]
    if len(arguments) == 1:
        nested = _split_call(arguments[0])
        if nested is None:
            return None
        return text[:opening + 1] + nested[0], nested[1], nested[2] + text[-1]
    return text[:opening + 1], arguments, text[-1]
