"""What the tool list costs in every conversation: ``tools/list`` as the client receives it, in tokens.

Tokens are approximated at 4 characters each: Claude's tokenizer is not published for offline use,
and the ratio is close for English prose and JSON alike.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

from mcp.types import ListToolsResult, Tool

from .measure import Row

CHARS_PER_TOKEN = 4
TOOL_LIST_AIM = 4_000


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def wire(model: ListToolsResult | Tool) -> str:
    """The JSON as sent: the SDK serializes with ``by_alias`` and ``exclude_unset``."""
    return model.model_dump_json(by_alias=True, exclude_unset=True)


def model_facing(tool: Tool) -> str:
    """What a client passes on to the model: name, description and input schema."""
    return json.dumps(
        {"name": tool.name, "description": tool.description, "input_schema": tool.input_schema},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def measure(listing: ListToolsResult) -> list[Row]:
    total = tokens(wire(listing))
    facing = sum(tokens(model_facing(tool)) for tool in listing.tools)
    rows = [
        Row(
            f"tools/list: all {len(listing.tools)} tools, as sent",
            f"{total:,} tokens",
            f"{len(wire(listing)):,} chars at {CHARS_PER_TOKEN}/token",
            aim=f"< {TOOL_LIST_AIM:,} tokens",
            met=total < TOOL_LIST_AIM,
        ),
        Row("  of which the model reads (name, description, schema)", f"{facing:,} tokens"),
    ]
    for tool in sorted(listing.tools, key=lambda t: -len(wire(t))):
        rows.append(Row(f"  tools/list: {tool.name}", f"{tokens(wire(tool)):,} tokens"))
    return rows


def repeated_descriptions(listing: ListToolsResult) -> list[tuple[int, int, str]]:
    """(times, tokens spent on the repeats, text) for every description given more than once."""
    seen = Counter(text for tool in listing.tools for text in _descriptions(tool.input_schema) if text)
    repeats = [(n, (n - 1) * tokens(text), text) for text, n in seen.items() if n > 1]
    return sorted(repeats, reverse=True, key=lambda r: r[1])


def _descriptions(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _descriptions(item)
