"""Shared emulator machinery: the loopback server, the synthetic market, fault plans."""
