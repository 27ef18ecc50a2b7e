"""KuCoin Spot ("Classic" API) emulator: REST helpers and the public push WebSocket."""

from tickwire.exchanges.kucoin.emulator import KucoinEmulator

__all__ = ["KucoinEmulator"]
