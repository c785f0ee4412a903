"""Starting a real broker for tests, and the client-side bundle that trusts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import trustme

from agentauth.broker import phantom
from agentauth.broker.proxy import Broker
from agentauth.broker.resolver import Resolved, StaticResolver
from agentauth.broker.session import BrokerThread
from agentauth.broker.wire import Limits
from agentauth.config.brokerpolicy import broker_policy
from agentauth.config.policy import parse_policy
from agentauth.secret import Secret


@dataclass
class BrokerFixture:
    thread: BrokerThread
    env: dict[str, str]
    phantoms: dict[str, str]
    events: list[dict[str, object]] = field(default_factory=list)
    bundle: Path = Path()

    @property
    def proxy(self) -> str:
        return self.env["HTTPS_PROXY"]

    def stop(self) -> None:
        self.thread.stop()


def start_broker(
    tmp: Path, ca: trustme.CA, text: str, values: dict[str, str], ports: tuple[int, ...]
) -> BrokerFixture:
    """Start a broker for policy ``text`` with real ``values``; the client trusts both CAs."""
    (tmp / "agentauth.yaml").write_text(text, encoding="utf-8")
    ca_file = tmp / "upstream-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    bp = broker_policy(parse_policy(text), text)
    table = {}
    phantoms = {}
    for entry in bp.entries:
        value = phantom.make(values[entry.variable])
        phantoms[entry.variable] = value
        table[value] = Resolved(
            entry=entry, real=Secret(values[entry.variable]), rules=entry.rules,
            grant_id=f"http-{entry.variable.lower()[:6]}",
        )  # fmt: skip
    events: list[dict[str, object]] = []
    broker = Broker(
        bp, StaticResolver(table), agent="claude-code", sink=events.append,
        limits=Limits(ports=ports, head_timeout=2.0), root=tmp,
    )  # fmt: skip
    thread = BrokerThread(broker)
    env = dict(thread.start())
    bundle = tmp / "client-bundle.pem"
    bundle.write_text(
        Path(env["SSL_CERT_FILE"]).read_text() + ca.cert_pem.bytes().decode(), encoding="utf-8"
    )
    return BrokerFixture(thread, env, phantoms, events, bundle)
