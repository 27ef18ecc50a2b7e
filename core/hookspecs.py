"""Plugin hooks: how adapters and emulators arrive in tickwire, and what they promise.

This module is the plugin author's manual. The built-in KuCoin and Kraken adapters and
emulators are plugins written exactly as described here.

Shipping a plugin
-----------------
A plugin is a module with functions marked ``@hookimpl``, named by an entry point in
the ``tickwire.adapters`` group of any installed distribution::

    # pyproject.toml of the package "tickwire-venue-example"
    [project.entry-points."tickwire.adapters"]
    examplex = "tickwire_examplex.plugin"

    # tickwire_examplex/plugin.py
    from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec, hookimpl
    from tickwire.core.types import Channel

    @hookimpl
    def register_adapters() -> list[AdapterSpec]:
        return [AdapterSpec(name="examplex", factory=ExamplexClient,
                            channels=frozenset({Channel.TICKER, Channel.BOOK}))]

    @hookimpl
    def register_emulators() -> list[EmulatorSpec]:
        return [EmulatorSpec(name="examplex", venue="examplex", factory=ExamplexEmulator)]

``pip install`` it and ``tickwire exchanges`` lists it; ``connect("examplex")`` and a
config file's ``venue = "examplex"`` use it; ``pip uninstall`` removes it. A complete,
separately installable example lives in ``examples/third_party_adapter/``.

Lifecycle
---------
1. The first :func:`~tickwire.core.registry.default_registry` call in a process loads
   every entry point of the group, one at a time, and registers each module under its
   entry-point name.
2. pluggy calls each plugin's hooks once, synchronously: a hook returns specs and
   factories, never does I/O, and nothing here runs per message.
3. A plugin that fails to import, raises in a hook, or claims an adapter or emulator name
   that is already taken is recorded in :attr:`Registry.problems
   <tickwire.core.registry.Registry.problems>` (``tickwire exchanges`` prints each one,
   naming the plugin) and skipped; every other plugin still loads. The first plugin to
   claim a name keeps it.
4. ``connect(config)`` looks the adapter up by ``config.venue`` and calls
   ``spec.factory(config)``. The client then lives through ``async with`` (or
   ``connect()``/``close()``): subscribe, read :meth:`events`, place orders, close.

Writing the adapter
-------------------
Implement :class:`~tickwire.core.protocol.StreamClient` (its docstring has the table of
required and optional members). The short way is to subclass
:class:`~tickwire.core.client.BaseClient` (lifecycle, task ownership, the event queue,
books, ``NotSupported`` order methods) and run one
:class:`~tickwire.core.session.Session` per socket (reconnect with backoff, heartbeat
watchdog, resubscribe in ``on_open``, ``StreamStatus`` events, request correlation
through ``session.pending``). Map the venue's errors once, to the classes of
:mod:`tickwire.core.errors`: an unknown symbol is a ``SubscriptionError``, a bad
signature an ``AuthError``, and so on. Never import your emulator from your adapter,
nor the adapter from the emulator: check both against the venue's real sample frames.

Writing the emulator
--------------------
An :class:`Emulator` serves the venue's protocol on 127.0.0.1. Subclassing
``tickwire.exchanges.base.server.EmulatorServer`` gives an ephemeral port, one ordered
writer per socket and ``drop_all()``; ``tickwire.exchanges.base.market.SyntheticMarket``
gives a seeded random-walk market with true books and trades. The optional hooks listed
on :class:`Emulator` unlock the conformance checks that need them.

The conformance kit
-------------------
:mod:`tickwire.core.testing` runs the contract tests of an adapter against an emulator,
over real sockets, each check with a fresh emulator and client:

- ``spec`` / ``connect``: coherent specs; ``connected`` on connect, ``closed`` and the
  end of the stream on close (idempotent);
- ``instruments``: unified ``BASE/QUOTE`` keys, ``Decimal`` increments;
- ``subscribe:<channel>`` for every declared market channel: subscribe (twice is a
  no-op), events for every symbol, unsubscribe stops that symbol only;
- every event, in every check: this venue's name, positive ``ts``/``received``
  nanoseconds, subscribed unified symbols, ``Decimal`` money, bid < ask, best-first
  snapshots, OHLC order, no ``StreamError``;
- ``book_integrity``: the ``BookUpdate`` events, replayed, equal the live book; sorted
  sides, spread > 0;
- ``reconnect`` (needs ``drop_all``): ``reconnecting``, ``resubscribed``, the same
  subscriptions, fresh data, books rebuilt from a snapshot;
- ``book_resync`` (needs ``corrupt_next_checksum`` or ``skip_sequence``): ``resyncing``,
  a snapshot before any delta, ``resynced``, an exact book;
- ``errors``: unknown symbol → ``SubscriptionError``; an undeclared channel refused;
  order calls without credentials refused at once; the stream survives;
- ``order_lost_before`` / ``order_lost_after`` / ``order_delayed`` / ``order_held`` /
  ``token_expiry`` (need ``private=True``, ``credentials()`` and the fault hook): a lost
  request is a typed error in time and nothing placed, or placed once and never re-sent;
  a late reply is waited for; an unanswered one is ``RequestTimeout`` within the call's
  timeout; after expired tokens the stream resubscribes and orders work again;
- ``fetch_*`` (need the client's ``_fetcher``; the account ones ``credentials()`` and
  ``engine``): the one-shot calls equal what the emulator holds (see
  ``tickwire.core.testing.fetch_checks``);
- ``orders`` (needs ``private=True`` and ``credentials()``): open, cancel, fill with the
  caller's ``client_id``, ``cancel_all``, ``UnknownOrder``/``InsufficientFunds``/
  ``InvalidOrder``, no call outliving its timeout, no secret in any text.

Run it with ``python -m tickwire.core.testing examplex``, ``await
run_conformance("examplex")``, or in pytest: ``test_it = conformance_test("examplex")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
import pluggy

from tickwire.core.types import Channel

if TYPE_CHECKING:
    from tickwire.core.config import ClientConfig
    from tickwire.core.protocol import StreamClient

__all__ = [
    "PROJECT_NAME",
    "AdapterSpec",
    "Emulator",
    "EmulatorSpec",
    "hookimpl",
    "hookspec",
    "register_adapters",
    "register_emulators",
]

PROJECT_NAME = "tickwire"
"""The pluggy project name; the entry-point group is ``tickwire.adapters``."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class AdapterSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue adapter offers, and how to build its client.

    ``name``
        The venue's name: what ``connect(name)``, a config file's ``venue`` key and
        ``StreamClient.venue`` say. Lower case, unique among installed plugins.
    ``factory``
        ``factory(config: ClientConfig) -> StreamClient``: builds a client without I/O
        (connecting is ``async with``). It must honour ``config``'s URL overrides, so
        tests and emulators can point it at 127.0.0.1.
    ``channels``
        Every :class:`~tickwire.core.types.Channel` the client can subscribe; the
        conformance kit tests each one, and expects the others to be refused.
    ``private``
        Whether the order methods and the ``balances``/``orders`` channels work (with
        credentials). ``False``: they raise ``NotSupported``.
    ``description``
        One line for ``tickwire exchanges``.
    ``urls``
        The :class:`~tickwire.core.config.ClientConfig` URL fields the client reads
        (``ws_url``, ``ws_auth_url``, ``rest_url``). ``connect()`` refuses an override of
        any other with a :class:`~tickwire.core.errors.ConfigError` instead of silently
        ignoring it (KuCoin takes only ``rest_url``: its sockets' addresses come from the
        token call).
    """

    name: str
    factory: Callable[[ClientConfig], StreamClient]
    channels: frozenset[Channel]
    private: bool = False
    description: str = ""
    urls: frozenset[str] = frozenset({"ws_url", "ws_auth_url", "rest_url"})


class Emulator(Protocol):
    """A local venue emulator: an async context manager serving on 127.0.0.1.

    ``endpoints`` maps :class:`~tickwire.core.config.ClientConfig` URL fields
    (``ws_url``, ``ws_auth_url``, ``rest_url``) to the emulator's addresses, so
    ``connect(venue, **emulator.endpoints)`` targets it. It is valid once the context
    is entered; leaving the context closes every socket and stops every task.

    Optional hooks. None is required; each one the emulator has turns on the
    conformance checks (and fault tests) that need it, which are skipped otherwise:

    ========================================  ===============================================
    hook                                      what it does
    ========================================  ===============================================
    ``async drop_all() -> None``              cut every open socket abruptly, as a network
                                              failure would; return once they are gone
    ``async step(n: int) -> None``            advance the synthetic market ``n`` events now
                                              and publish what they cause (the kit keeps
                                              the market busy with it)
    ``send_raw(frame: bytes) -> int``         send ``frame`` as-is (a text frame) on every
                                              open socket; returns how many got it
    ``corrupt_next_checksum(symbol=None)``    give the next book message a wrong checksum
    ``skip_sequence(symbol=None)``            never send the next sequenced book message
    ``credentials() -> Credentials``          an account on the emulator for the private
                                              side, its signatures verified as the venue
                                              does (long, distinctive values: the kit
                                              searches every text for them)
    ``fail_next_order(stage="before", *,      lose the next order request (of venue method
    method=None, times=1)``                   ``method``, or any): ``"before"`` the socket
                                              drops before the engine sees it (nothing
                                              placed); ``"after"`` the engine executes it,
                                              then the socket drops before the reply
    ``delay_next_order(seconds, *,            answer the next order request ``seconds``
    method=None)``                            late
    ``hold_next_order(*, method=None)``       never answer the next order request (the
                                              venue still does the work)
    ``orders_with_client_id(client_id)        how many orders the ``credentials()``
    -> int``                                  account accepted with ``client_id`` (open or
                                              closed): the truth the order-fault checks
                                              compare with
    ``async expire_tokens() -> None``         every token issued so far stops working;
                                              live private sockets are closed the way the
                                              venue does it; return once they are gone
    ``stop_heartbeats()`` /                   the venue's liveness signal (heartbeats,
    ``resume_heartbeats()``                   pongs) stops / comes back
    ``rate_limit_next(kind, times=1)``        refuse the next ``times`` requests of
                                              ``kind`` (``"subscribe"``, ``"request"``,
                                              ``"order"``) with the venue's rate-limit error
    ``engine`` (``balances()``,               the ``credentials()`` account's paper engine:
    ``open_orders()``)                        the truth the ``fetch_*`` account checks
                                              compare with
    ``market.book(symbol, depth)``            the true ``(bids, asks)``, unified symbol
                                              (else ``book(symbol, depth)``): what
                                              ``fetch_book`` is compared with
    ``candles_kept(interval) -> int | None``  how many latest candles the venue keeps
                                              (Kraken 720); absent: the whole history
    ========================================  ===============================================

    The two book hooks take a symbol in the venue's own spelling; without one they hit
    the next book message of any symbol. The fault hooks are one vocabulary on every
    emulator; ``tickwire.exchanges.base.faults`` implements the arming ones as mixins
    over a ``FaultPlan`` that the venue code consumes. A hook an emulator cannot honour
    is absent (or raises ``NotImplementedError``); the kit's private-fault checks
    (``order_lost_before``, ``order_lost_after``, ``order_delayed``, ``order_held``,
    ``token_expiry``) skip when theirs is missing. ``credentials()`` is also how a program runs
    offline with an account: :func:`tickwire.core.testing.emulated` swaps a config's
    credentials for it, and the kit's ``orders`` check signs with it. The built-in
    emulators hand out a fixed test key, always verified (``TEST_KEY`` and friends in
    ``tickwire.exchanges.kraken.emulator`` and ``tickwire.exchanges.kucoin.emulator``).
    """

    @property
    def endpoints(self) -> dict[str, str]: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


class EmulatorSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A local emulator of the adapter called ``venue``.

    ``factory(seed=..., port=...)`` builds one (not started): ``seed`` fixes its market,
    ``port`` 0 (the default) binds an ephemeral port. Any other keyword is the
    emulator's own. ``name`` is what ``registry.emulator(name)`` finds;
    ``description`` one line for ``tickwire exchanges``.
    """

    name: str
    venue: str
    factory: Callable[..., Emulator]
    description: str = ""


# --- hooks: each is called once per plugin, when the registry loads it ----------------


@hookspec
def register_adapters() -> list[AdapterSpec]:  # type: ignore[empty-body]
    """Return the venue adapters this plugin provides (no I/O: specs and factories)."""


@hookspec
def register_emulators() -> list[EmulatorSpec]:  # type: ignore[empty-body]
    """Return the local venue emulators this plugin provides (no I/O)."""
