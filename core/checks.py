"""Value checks of a decoded wire record, declared as a table of its fields.

A venue's account records (an execution report, an order push, a REST order, a fill, a
balance) carry several prices and amounts, each to be checked against the rules of
:mod:`tickwire.core.validation` before anything is merged. An adapter declares which
field is which once and checks a record in one call::

    ORDER = Fields(prices=("price", "match_price"), sizes=("size", "filled_size"))
    ORDER.check(data, "kucoin: order")     # DecodeError naming the field, or None

A price of ``0`` in :attr:`Fields.zero_prices` means "no price" (a market order's limit
price, an unfilled order's average) and passes; ``None`` (absent) always passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tickwire.core.validation import check_price, check_signed, check_size

__all__ = ["Fields"]


@dataclass(frozen=True, slots=True)
class Fields:
    """Which fields of a record are prices (> 0), sizes (>= 0) and signed amounts."""

    prices: tuple[str, ...] = ()
    zero_prices: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    signed: tuple[str, ...] = ()

    def check(self, record: object, what: str) -> None:
        """Raise :class:`~tickwire.core.errors.DecodeError` (``what`` and the field
        named) if a field present breaks its rule."""
        for name in self.prices:
            _check(check_price, record, name, what)
        for name in self.zero_prices:
            if getattr(record, name) != 0:  # NaN is not 0, so it is checked
                _check(check_price, record, name, what)
        for name in self.sizes:
            _check(check_size, record, name, what)
        for name in self.signed:
            _check(check_signed, record, name, what)


def _check(rule: Callable[[Decimal, str], Decimal], record: object, name: str, what: str) -> None:
    value: Decimal | None = getattr(record, name)
    if value is not None:
        rule(value, f"{what} {name}")
