"""Benchmarks: speed and cost of the server measured against the floor, in one run on one machine.

Run ``python -m benchmarks`` (``--quick`` for a smoke run in seconds, ``--profile`` to add the
import-time and summary hot-path profiles).
"""
