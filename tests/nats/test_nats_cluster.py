"""A 3-node JetStream cluster on loopback, the stream at replicas 3: a node dies mid-stream
(the stream's leader) and no event is lost."""

from __future__ import annotations

import nats as nats_py
import pytest
from natshelp import collector, remote, subs_for

from tickwire.core import NatsConfig


@pytest.mark.slow
async def test_killing_the_stream_leader_mid_stream_loses_no_event(nats_cluster):
    url = ",".join(server.url for server in nats_cluster)
    nats = NatsConfig(url=url, replicas=3)
    async with (
        collector("kucoin", nats) as kucoin,
        remote(url, ["kucoin"], subs_for("kucoin")) as consumer,
    ):
        await kucoin.step(200)
        await kucoin.settle()
        probe = await nats_py.connect(nats_cluster[0].url)
        try:
            info = await probe.jetstream().stream_info(nats.stream)
        finally:
            await probe.close()
        assert info.config.num_replicas == 3
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        leader = next(s for s in nats_cluster if s.name == info.cluster.leader)
        # Mid-stream: the market keeps moving (and the collector publishing) while the
        # leader dies between two bursts.
        await kucoin.burst_steps(4, 100, after_first=leader.kill)
        await kucoin.settle()
        want = kucoin.direct.market("kucoin", snapshots=False)
        await consumer.seen.until(
            lambda: consumer.seen.market("kucoin", snapshots=False) == want, timeout=30
        )
        await consumer.stop()
    assert consumer.seen.market("kucoin", snapshots=False) == want
