"""The Kraken Spot WebSocket API v2 adapter."""
