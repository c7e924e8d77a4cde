"""What every client is told about the tools, pinned: a change to it is always a reviewed diff.

Names, titles, descriptions, annotations, and input and output schemas of all nine tools, as a
client receives them from tools/list. To accept a deliberate change:
``UPDATE_SNAPSHOTS=1 pytest tests/test_tool_schemas.py``, then review tests/snapshots/tools.json.
"""

from __future__ import annotations

import json

import pytest
from mcp import Client

from .conftest import check_snapshot

pytestmark = pytest.mark.anyio

# 4 characters a token; the tool list is paid for in every conversation.
TOKEN_BUDGET = 4_000


async def test_tool_list_matches_the_reviewed_snapshot(client: Client) -> None:
    tools = (await client.list_tools()).tools
    listed = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    check_snapshot("tools.json", json.dumps(listed, indent=1, ensure_ascii=False, sort_keys=True))


async def test_tool_list_stays_within_its_token_budget(client: Client) -> None:
    tools = (await client.list_tools()).tools
    wire = json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert len(wire) / 4 < TOKEN_BUDGET, f"tools/list is ~{len(wire) // 4} tokens"
