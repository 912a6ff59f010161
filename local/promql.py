"""Read the PromQL of our dashboards and alert rules: which metrics and labels a query names, which
parts of an alert must return data, and Grafana's variables replaced by values Prometheus accepts.

A small lexer, not a full parser: it knows PromQL's strings, label matchers, ranges, grouping
clauses and operator precedence, which is all these questions need. The observability test
(test/e2e/test_observability.py) uses it to prove every query against a real Prometheus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

AGGREGATIONS = frozenset({
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
})
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
SET_OPERATORS = frozenset({"and", "or", "unless"})
KEYWORDS = AGGREGATIONS | GROUPING | SET_OPERATORS | {"offset", "bool", "inf", "nan", "atan2"}
COMPARISONS = frozenset({"==", "!=", ">=", "<=", ">", "<"})

_DURATION = re.compile(r"(?:\d+(?:ms|[smhdwy]))+")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OPERATOR = re.compile(r"==|!=|>=|<=|=~|!~|[-+*/%^<>(),=@]")


class PromQLSyntaxError(ValueError):
    """The text is not PromQL this lexer understands; the message names the query and the position."""


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "number", "duration", "string", "op", "matchers", "range"
    text: str
    start: int
    end: int
    matchers: tuple[tuple[str, str, str], ...] = field(default=())  # (label, operator, value) of a {...}


def _string_end(expr: str, start: int) -> int:
    """Index after the string literal that opens at `start` ("...", '...' with escapes, or `...`)."""
    quote = expr[start]
    i = start + 1
    while i < len(expr):
        if expr[i] == "\\" and quote != "`":
            i += 2
            continue
        if expr[i] == quote:
            return i + 1
        i += 1
    raise PromQLSyntaxError(f"unterminated string starting at {start} in {expr!r}")


def _unquote(literal: str) -> str:
    if literal[0] == "`":
        return literal[1:-1]
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _matchers(expr: str, start: int) -> tuple[int, tuple[tuple[str, str, str], ...]]:
    """Parse the label matchers of the {...} that opens at `start`: (index after '}', matchers)."""
    i, found = start + 1, []
    while True:
        while i < len(expr) and expr[i] in " \t\n,":
            i += 1
        if i >= len(expr):
            raise PromQLSyntaxError(f"unclosed '{{' at {start} in {expr!r}")
        if expr[i] == "}":
            return i + 1, tuple(found)
        label = _LABEL.match(expr, i)
        if label is None:
            raise PromQLSyntaxError(f"expected a label name at {i} in {expr!r}")
        i = label.end()
        while i < len(expr) and expr[i] in " \t\n":
            i += 1
        operator = re.compile(r"=~|!~|!=|=").match(expr, i)
        if operator is None:
            raise PromQLSyntaxError(f"expected =, !=, =~ or !~ after label {label.group()!r} at {i} in {expr!r}")
        i = operator.end()
        while i < len(expr) and expr[i] in " \t\n":
            i += 1
        if i >= len(expr) or expr[i] not in "\"'`":
            raise PromQLSyntaxError(f"expected a quoted value for label {label.group()!r} at {i} in {expr!r}")
        end = _string_end(expr, i)
        found.append((label.group(), operator.group(), _unquote(expr[i:end])))
        i = end


def tokens(expr: str) -> list[Token]:
    """The tokens of a PromQL expression; a {...} is one token with its matchers, a [...] one range."""
    out: list[Token] = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c.isspace():
            i += 1
        elif c == "#":
            newline = expr.find("\n", i)
            i = len(expr) if newline < 0 else newline
        elif c in "\"'`":
            end = _string_end(expr, i)
            out.append(Token("string", expr[i:end], i, end))
            i = end
        elif c == "{":
            end, matchers = _matchers(expr, i)
            out.append(Token("matchers", expr[i:end], i, end, matchers))
            i = end
        elif c == "[":
            end = expr.find("]", i)
            if end < 0:
                raise PromQLSyntaxError(f"unclosed '[' at {i} in {expr!r}")
            out.append(Token("range", expr[i:end + 1], i, end + 1))
            i = end + 1
        elif (m := _DURATION.match(expr, i)) and not _IDENT.match(expr, m.end()) and not expr[m.end():m.end() + 1].isdigit():
            out.append(Token("duration", m.group(), i, m.end()))
            i = m.end()
        elif (m := _NUMBER.match(expr, i)) and (c.isdigit() or c == "."):
            out.append(Token("number", m.group(), i, m.end()))
            i = m.end()
        elif m := _IDENT.match(expr, i):
            out.append(Token("ident", m.group(), i, m.end()))
            i = m.end()
        elif m := _OPERATOR.match(expr, i):
            out.append(Token("op", m.group(), i, m.end()))
            i = m.end()
        else:
            raise PromQLSyntaxError(f"unexpected {c!r} at {i} in {expr!r}")
    return out


def _is_keyword(token: Token) -> bool:
    return token.kind == "ident" and token.text.lower() in KEYWORDS


def _grouping_label_spans(toks: list[Token]) -> set[int]:
    """Indexes of the label names inside by(...), without(...), on(...), ignoring(...), group_x(...)."""
    inside: set[int] = set()
    for i, tok in enumerate(toks):
        if tok.kind == "ident" and tok.text.lower() in GROUPING and i + 1 < len(toks) and toks[i + 1].text == "(":
            j = i + 2
            while j < len(toks) and toks[j].text != ")":
                inside.add(j)
                j += 1
    return inside


def metric_names(expr: str) -> set[str]:
    """Every metric name the expression selects: bare names and {__name__="..."} matchers.

    A name followed by '(' is a function, and PromQL's keywords (aggregations, by, and, offset, ...)
    are never names; labels inside grouping clauses are labels, not names."""
    toks = tokens(expr)
    grouped = _grouping_label_spans(toks)
    names = set()
    for i, tok in enumerate(toks):
        if tok.kind == "matchers":
            names |= {value for label, op, value in tok.matchers if label == "__name__" and op == "="}
        if tok.kind != "ident" or i in grouped or _is_keyword(tok):
            continue
        if i + 1 < len(toks) and toks[i + 1].text == "(":
            continue  # a function call
        names.add(tok.text)
    return names


def label_names(expr: str) -> set[str]:
    """Every label name the expression matches on or groups by (__name__ excluded)."""
    toks = tokens(expr)
    labels = {toks[i].text for i in _grouping_label_spans(toks) if toks[i].kind == "ident"}
    for tok in toks:
        labels |= {label for label, _, _ in tok.matchers if label != "__name__"}
    return labels


def _split_top_level(expr: str, toks: list[Token], operators: frozenset[str]) -> list[tuple[int, int]] | None:
    """(start, end) spans of the operands between top-level `operators` (outside any parentheses);
    None when the expression has none. A `bool` and an on(...)/ignoring(...)/group_x(...) after
    the operator belong to the operator, not to the right operand."""
    depth, cuts = 0, []
    for i, tok in enumerate(toks):
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif depth == 0 and (tok.text.lower() if tok.kind == "ident" else tok.text) in operators and tok.kind in ("op", "ident"):
            j = i + 1
            while j < len(toks) and (toks[j].text.lower() == "bool" or toks[j].text.lower() in GROUPING):
                j += 1
                if j < len(toks) and toks[j].text == "(":
                    while j < len(toks) and toks[j].text != ")":
                        j += 1
                    j += 1
            cuts.append((i, j))
    if not cuts:
        return None
    spans, start = [], 0
    for op_index, right_index in cuts:
        spans.append((start, toks[op_index].start))
        start = toks[right_index].start if right_index < len(toks) else len(expr)
    spans.append((start, len(expr)))
    return spans


def _is_scalar_literal(text: str) -> bool:
    toks = tokens(text)
    while toks and toks[0].text in "()+-" and toks[0].kind == "op":
        toks = toks[1:]
    toks = [t for t in toks if t.text != ")"]
    return len(toks) == 1 and (toks[0].kind == "number" or toks[0].text.lower() in ("inf", "nan"))


def data_operands(expr: str) -> list[str]:
    """The parts of an expression that must each return data for the whole to mean something.

    An alert is `A > threshold` (or `A > B and C < D`): evaluated as is, it is empty whenever the
    system is healthy, so "empty" cannot tell a healthy system from a misspelt metric. Its operands
    can: the expression is split at its top-level set operators (or; and, unless) and then at its
    top-level comparisons, and every operand that is not a number literal is returned, an absent(X)
    as X. An expression without such operators is returned as it is."""
    parts = [expr]
    for operators in (frozenset({"or"}), frozenset({"and", "unless"}), COMPARISONS):
        split: list[str] = []
        for part in map(_unwrapped, parts):
            spans = _split_top_level(part, tokens(part), operators)
            split += [part] if spans is None else [part[a:b] for a, b in spans]
        parts = split
    return [_present_form(_unwrapped(part)) for part in parts if not _is_scalar_literal(part)]


def _unwrapped(text: str) -> str:
    """The expression without parentheses that enclose all of it: "(a > 1)" -> "a > 1"."""
    text = text.strip()
    while True:
        toks = tokens(text)
        if len(toks) < 2 or toks[0].text != "(" or toks[-1].text != ")":
            return text
        depth = 0
        for i, tok in enumerate(toks):
            depth += {"(": 1, ")": -1}.get(tok.text, 0) if tok.kind == "op" else 0
            if depth == 0 and i < len(toks) - 1:
                return text  # the first '(' closes before the end: "(a) + (b)"
        text = text[toks[0].end:toks[-1].start].strip()


def _present_form(operand: str) -> str:
    """absent(X) has data exactly when X has none; X is what must have data (absent_over_time alike)."""
    match = re.fullmatch(r"(absent|absent_over_time)\s*\((.*)\)", operand, flags=re.S)
    if match is None or _split_top_level(match.group(2), tokens(match.group(2)), frozenset({","})) is not None:
        return operand
    inner = match.group(2).strip()
    return f"count_over_time({inner})" if match.group(1) == "absent_over_time" else inner


# --- Grafana ----------------------------------------------------------------------------------

_GRAFANA_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)(?::[\w]+)?\]\]|\$(\w+)")


def substitute_variables(expr: str, values: dict[str, str]) -> str:
    """Replace Grafana's $name, ${name}, ${name:format} and [[name]] with values[name].

    A variable without a value is an error that names it: a query must not reach Prometheus with a
    '$' left in it, where it would fail for a reason that has nothing to do with the metrics."""

    def value(match: re.Match) -> str:
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise ValueError(f"Grafana variable ${name} in {expr!r} has no value; known: {sorted(values)}")
        return values[name]

    return _GRAFANA_VARIABLE.sub(value, expr)


def templating_promql(definition: str) -> str:
    """The PromQL behind a Grafana Prometheus variable query.

    label_values(<selector>, <label>) -> group by (<label>) (<selector>); query_result(<q>) -> <q>.
    label_values(<label>) (no selector) asks for every series' label and has no PromQL form: rejected,
    like any other form, so that each variable stays provable."""
    text = definition.strip()
    if match := re.fullmatch(r"label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)", text, flags=re.S):
        return f"group by ({match.group(2)}) ({match.group(1).strip()})"
    if match := re.fullmatch(r"query_result\((.+)\)", text, flags=re.S):
        return match.group(1).strip()
    raise ValueError(
        f"Grafana variable query {definition!r}: expected label_values(<selector>, <label>) or query_result(<promql>)"
    )


@dataclass(frozen=True)
class DashboardQuery:
    where: str  # "<dashboard title> / panel '<title>' / target A"
    expr: str


def dashboard_queries(dashboard: dict, name: str) -> list[DashboardQuery]:
    """Every PromQL query of a Grafana dashboard: panel targets (rows' nested panels too) and the
    queries of `query` template variables, as written (variables not yet substituted)."""
    found: list[DashboardQuery] = []

    def walk(panels: list[dict], path: str) -> None:
        for panel in panels:
            title = panel.get("title") or f"id {panel.get('id')}"
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append(DashboardQuery(f"{path} / panel '{title}' / target {target.get('refId', '?')}", target["expr"]))
            walk(panel.get("panels", []), f"{path} / row '{title}'" if panel.get("type") == "row" else path)

    walk(dashboard.get("panels", []), name)
    for row in dashboard.get("rows", []):  # the pre-5.0 layout
        walk(row.get("panels", []), f"{name} / row '{row.get('title', '')}'")
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        definition = query.get("query") if isinstance(query, dict) else query or variable.get("definition")
        if definition:
            found.append(DashboardQuery(f"{name} / variable ${variable.get('name')}", templating_promql(definition)))
    return found
