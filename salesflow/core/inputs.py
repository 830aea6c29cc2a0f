"""Text no field may hold: NUL and lone UTF-16 surrogates, and JSON nested deeper than any form.

PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate, so either one
reaching a query is a 500. They are refused at the edge (the middleware and the API's JSON
parser), once for every page and endpoint, with the field's location named.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

# No request body the product accepts nests this deep; far below Python's recursion limit.
MAX_JSON_DEPTH = 32

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")

# The request attribute that carries an already checked JSON body to the API's parser.
_CHECKED_JSON = "_salesflow_checked_json"


class BadInput(ValueError):
    """A request value no field may hold; `loc` names where it is (Django Ninja's `loc`)."""

    def __init__(self, loc: list[str | int], reason: str) -> None:
        super().__init__(reason)
        self.loc = loc
        self.reason = reason

    @property
    def field(self) -> str:
        """The location as people read it: `form.reason`, `body.contacts[0].name`."""
        text = ""
        for part in self.loc:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text


def forbidden_character(value: str) -> str | None:
    """What is wrong with `value` ("NUL", "lone surrogate") or None when it may be stored."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    return "NUL" if found.group() == "\x00" else "lone surrogate"


def check_text(value: str, loc: list[str | int]) -> None:
    """Raise BadInput when `value` holds a character no field may hold."""
    problem = forbidden_character(value)
    if problem is not None:
        raise BadInput(loc, problem)


def check_json(data: Any, loc: list[str | int]) -> None:
    """Walk a parsed JSON value (without recursion): every key and string, and the depth."""
    stack: list[tuple[Any, list[str | int], int]] = [(data, loc, 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadInput(where, f"nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    check_text(key, [*where, key])
                    stack.append((item, [*where, key], depth + 1))
            else:
                for index, item in enumerate(value):
                    stack.append((item, [*where, index], depth + 1))


def load_json(body: bytes | str) -> Any:
    """Parse a JSON body and check it; ValueError when it is not JSON, BadInput when it holds
    what no field may hold or nests too deep (the parser's own recursion limit included)."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadInput(["body"], f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    check_json(data, ["body"])
    return data


def remember_checked_json(request: HttpRequest, data: Any) -> None:
    """Keep the body the middleware parsed and checked, so the API does not parse it again."""
    setattr(request, _CHECKED_JSON, data)


class CheckedJSONParser(Parser):
    """Django Ninja's body parser with the checks above (a failure is Ninja's 400)."""

    def parse_body(self, request: HttpRequest) -> Any:
        """The checked body: the middleware's copy, else parsed and checked here."""
        if hasattr(request, _CHECKED_JSON):
            return getattr(request, _CHECKED_JSON)
        return load_json(request.body)
