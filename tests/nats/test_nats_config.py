"""The [nats] table of the config file."""

from __future__ import annotations

import pytest

from tickwire.core import NatsConfig, load_config
from tickwire.core.errors import ConfigError


def test_the_nats_table_loads_with_defaults_for_what_it_omits(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text(
        'venue = "kraken"\n'
        "[nats]\n"
        'url = "nats://10.0.0.5:4222,nats://10.0.0.6:4222"\n'
        'stream = "MD"\nprefix = "prod.md"\nmax_age = 3600.0\nreplicas = 3\n'
        'durable = "risk"\nvenues = ["kraken"]\ntoken_env = "NATS_TOKEN"\n'
    )
    nats = load_config(path).nats
    assert nats == NatsConfig(
        url="nats://10.0.0.5:4222,nats://10.0.0.6:4222",
        stream="MD",
        prefix="prod.md",
        max_age=3600.0,
        replicas=3,
        durable="risk",
        venues=("kraken",),
        token_env="NATS_TOKEN",
    )
    assert nats.snapshot_interval == 5.0 and nats.buffer == 100_000


def test_no_nats_table_means_none(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text('venue = "kraken"\n')
    assert load_config(path).nats is None


def test_a_typo_in_the_nats_table_names_the_key(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('venue = "kraken"\n[nats]\nreplica = 3\n')
    with pytest.raises(ConfigError, match=r"unknown key 'nats\.replica'"):
        load_config(path)
