"""Build the optional C extensions of the receive path (issue 12).

Everything else is declared in ``pyproject.toml``. Each extension is ``optional``: where
it cannot be compiled (no compiler, no Python headers), the install still succeeds and
tickwire uses the pure-Python path, with the same results. An extension's sources are
every ``.c`` file of its ``csrc`` folder, so a new file needs no change here.
"""

import sys
from glob import glob

from setuptools import Extension, setup

# -O2 and no -march: one binary for every CPU of the platform (the CRC picks PCLMUL at
# run time). MSVC takes its own flags; its default optimisation is kept.
COMPILE_ARGS = [] if sys.platform == "win32" else ["-O2", "-std=c11", "-Wall", "-Wextra"]


def extension(module: str, csrc: str) -> Extension:
    """The optional extension ``module`` built from every C file of ``csrc``."""
    return Extension(
        module,
        sources=sorted(glob(f"{csrc}/*.c")),
        depends=sorted(glob(f"{csrc}/*.h")),
        extra_compile_args=COMPILE_ARGS,
        optional=True,
    )


setup(
    ext_modules=[
        # The Kraken book: an update parsed, applied, CRC32-verified and delivered in C.
        extension("tickwire.adapters.kraken._kbook", "adapters/kraken/csrc"),
        extension("tickwire.adapters.kucoin._kucoin", "adapters/kucoin/csrc"),
    ]
)
