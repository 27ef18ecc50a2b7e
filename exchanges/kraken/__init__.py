"""A local emulator of Kraken Spot WebSocket API v2 (and the REST token call)."""
