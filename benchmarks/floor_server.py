"""The floor: the smallest MCPServer with one tool, started and called exactly as ours is.

What it costs is what the SDK costs (its import, JSON-RPC framing, argument validation); what our
server costs beyond it is ours to answer for.
"""

from mcp.server import MCPServer

server = MCPServer("floor", log_level="WARNING")  # ours logs at WARNING too


@server.tool(structured_output=False)
async def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    server.run("stdio")
