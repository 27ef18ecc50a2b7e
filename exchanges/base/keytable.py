"""An emulated account's API keys: verified exactly, and optionally trusting strangers.

Each emulator verifies a signed request against its key table exactly as its venue
does. Every emulator also has a built-in *test account* (its ``credentials()`` hook), so
a table always holds at least that key. Without ``api_keys`` an emulator's table also
*trusts* any other key: such a request passes once it is signed-looking (the venue's
headers present), with every permission, so a quick test can sign with anything while
the test account still gets real signature checks::

    keys = KeyTable({TEST_KEY: secret}, trust_others=True)
    verified(keys, TEST_KEY)      # keys: verify this request exactly
    verified(keys, "any-other")   # None: take it on trust (headers only)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

__all__ = ["KeyTable", "verified"]

V = TypeVar("V")


class KeyTable(dict[str, V], Generic[V]):
    """API key → the venue's key record; ``trust_others`` also accepts any unlisted key."""

    def __init__(self, keys: Mapping[str, V] | None = None, *, trust_others: bool = False):
        super().__init__(keys or {})
        self.trust_others = trust_others

    def trusts(self, api_key: str) -> bool:
        """Whether a request signed with ``api_key`` is taken on trust (not verified)."""
        return self.trust_others and api_key not in self


def verified(keys: Mapping[str, V] | None, api_key: str) -> Mapping[str, V] | None:
    """The keys a request signed with ``api_key`` is checked against; ``None``: on trust.

    ``None`` in, ``None`` out: the emulators' historical "no account to verify against".
    """
    if keys is None or (isinstance(keys, KeyTable) and keys.trusts(api_key)):
        return None
    return keys
