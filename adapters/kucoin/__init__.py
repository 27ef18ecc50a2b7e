"""The KuCoin Spot ("Classic" push WebSocket) adapter.

Module per concern: ``schemas`` (wire Structs, venue names verbatim), ``parse`` (pure
wire → core), ``book`` (level2 sync against a REST snapshot, by sequence), ``rest``
(bullet token, symbols, book snapshot, server time; venue codes → core errors).
"""
