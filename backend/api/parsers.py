"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

JSON nested tens of thousands deep made Python's parser raise RecursionError (a 500, from
anyone, before sign-in); a body nested a few hundred deep parses but can overflow whatever
walks it next. Here both are a 400 `parse_error`: the parser's RecursionError is caught, and a
parsed body deeper than JSON_MAX_DEPTH is refused.
"""

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import (  # type: ignore[attr-defined]  # get_encoding: DRF 3.18, not in its stubs 3.18.1
    JSONParser,
    get_encoding,
)
from rest_framework.utils import json as drf_json


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers nest more than `limit` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def too_deep_message(limit: int) -> str:
    return f"JSON parse error - nested more than {limit} levels deep."


def json_loads_bounded(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads for request bodies read outside DRF: ValueError (never RecursionError) for a
    body nested too deeply."""
    limit = settings.JSON_MAX_DEPTH
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(too_deep_message(limit)) from None
    if json_depth_exceeds(data, limit):
        raise ValueError(too_deep_message(limit))
    return data


class BoundedJSONParser(JSONParser):
    """REST_FRAMEWORK's default parser (settings/base.py)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = get_encoding(parser_context or {})
        limit = settings.JSON_MAX_DEPTH
        try:
            decoded = codecs.getreader(encoding)(stream)
            parse_constant = drf_json.strict_constant if self.strict else None
            # A StreamReader reads str, all json.load needs; the stub asks for IO[str].
            data = drf_json.load(decoded, parse_constant=parse_constant)  # type: ignore[arg-type]
        except RecursionError:
            raise ParseError(too_deep_message(limit)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, limit):
            raise ParseError(too_deep_message(limit))
        return data
