"""Logging: everything to stderr (stdout belongs to the MCP protocol on stdio), secrets scrubbed."""

from __future__ import annotations

import logging
import sys

from .redaction import RedactingFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "WARNING") -> None:
    """One stderr handler on the root logger, whose every line passes through the redactor.

    It replaces any handler already there, so that no library's own handler can write a line
    that was not scrubbed, or write to stdout.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    set_level(level)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level)
