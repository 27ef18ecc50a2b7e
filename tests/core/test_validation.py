"""core.validation's Decimal checks: the boundaries, and NaN as a DecodeError."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickwire.core.errors import DecodeError
from tickwire.core.validation import MAX_SIZE, check_signed


@pytest.mark.parametrize("text", ["-12.5", "0", "3", "-999999999999999999"])
def test_check_signed_returns_a_plausible_amount(text: str) -> None:
    value = Decimal(text)
    assert check_signed(value, "balance") is value


@pytest.mark.parametrize(
    "value", [MAX_SIZE, -MAX_SIZE, Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")]
)
def test_check_signed_refuses_what_no_account_holds(value: Decimal) -> None:
    with pytest.raises(DecodeError, match="kraken: fee out of range"):
        check_signed(value, "kraken: fee")
