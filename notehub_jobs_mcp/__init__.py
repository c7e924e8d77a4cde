"""notehub-jobs-mcp: Blues Notehub batch jobs as MCP tools."""

__version__ = "0.1.0"
