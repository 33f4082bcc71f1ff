"""``python -m bench`` (what ``nox -s bench`` and ``make bench`` run): see :mod:`bench.runner`."""

from __future__ import annotations

from bench.runner import main

raise SystemExit(main())
