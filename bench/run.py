"""``python bench/run.py``: measure the mock, Prism and the Starlette ceiling, print a table.

A thin entry point so the harness runs from a checkout without installing
anything: it puts the checkout on ``sys.path`` and hands over to
:mod:`bench.harness`. ``python -m bench.run`` works the same.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _main() -> int:
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from bench.harness import main

    return main()


if __name__ == "__main__":
    sys.exit(_main())
