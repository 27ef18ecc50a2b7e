"""``python -m tickwire.core.cli``: the ``tickwire`` command without its console script."""

import sys

from tickwire.core.cli import main

sys.exit(main())
