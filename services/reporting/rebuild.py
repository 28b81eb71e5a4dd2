"""`python -m services.reporting.rebuild PROJECTION`: the same as `… cli rebuild PROJECTION`."""

from __future__ import annotations

import sys

from services.reporting.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["rebuild", *sys.argv[1:]]))
