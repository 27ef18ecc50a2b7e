"""tickwire's public API: the exchange-agnostic contract and its machinery.

Everything a strategy needs is importable from here; the submodules are implementation.
"""

from tickwire.core.errors import *  # noqa: F403
from tickwire.core.errors import __all__ as _errors_all
from tickwire.core.types import *  # noqa: F403
from tickwire.core.types import __all__ as _types_all

__all__ = [*_errors_all, *_types_all]
