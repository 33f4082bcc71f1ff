"""Equivalent Lambda handlers, one per library compared: each does one GetItem and returns the item.

Every module is a complete Lambda function as its library's users write it, configured by
``BENCH_ENDPOINT_URL`` and ``BENCH_TABLE``; the benchmark runs each under ``awslambdaric`` in its
own virtualenv (see :mod:`bench.envs`) with this folder as the task root. The event is
``{"pk": ..., "sk": ...}``; the answer is the item as JSON.
"""
