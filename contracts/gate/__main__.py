"""``python -m contracts.gate``: the same as the ``focus-contract`` command."""

import sys

from .cli import main

sys.exit(main())
