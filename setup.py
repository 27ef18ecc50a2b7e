"""Build the optional C extension of the Kraken book path (issue 12).

Everything else is declared in ``pyproject.toml``. The extension is ``optional``: where
it cannot be compiled (no compiler, no Python headers), the install still succeeds and
tickwire uses the pure-Python path, with the same results (``adapters/kraken/book.py``).
"""

import sys

from setuptools import Extension, setup

CSRC = "adapters/kraken/csrc"

# -O2 and no -march: one binary for every CPU of the platform (the CRC picks PCLMUL at
# run time). MSVC takes its own flags; its default optimisation is kept.
COMPILE_ARGS = [] if sys.platform == "win32" else ["-O2", "-std=c11", "-Wall", "-Wextra"]

setup(
    ext_modules=[
        Extension(
            "tickwire.adapters.kraken._kbook",
            sources=[f"{CSRC}/{name}.c" for name in ("module", "book", "side", "text", "crc")],
            depends=[f"{CSRC}/kbook.h"],
            extra_compile_args=COMPILE_ARGS,
            optional=True,
        )
    ]
)
