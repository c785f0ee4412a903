"""The broker's request events leave the request path: queued, written in batches, none lost."""

from __future__ import annotations

import threading
from pathlib import Path

from pytest_httpserver import HTTPServer
from test_broker_run import _cli, _request_events, project  # noqa: F401

from agentauth.broker.events import ThreadedSink

N = 40


def test_n_requests_through_run_give_n_request_events_and_the_chain_verifies(
    project: tuple[Path, dict[str, str], HTTPServer],  # noqa: F811
) -> None:
    root, env, api = project
    api.expect_request("/v1/models").respond_with_data("{}", content_type="application/json")
    script = (
        f'for i in $(seq {N}); do curl -sS -o /dev/null -H "Authorization: Bearer '
        '$OPENAI_API_KEY" "https://api.openai.test/v1/models?i=$i"; done'
    )
    out = _cli(root, env, "run", "--", "sh", "-c", script)
    assert out.returncode == 0, out.stderr
    assert len(api.log) == N
    events = _request_events(env, root)
    assert [e["path"] for e in events] == [f"/v1/models?i={i}" for i in range(1, N + 1)]
    verified = _cli(root, env, "log", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_sink_batches_what_piled_up_in_order_and_flushes_at_close() -> None:
    gate = threading.Event()
    batches: list[list[int]] = []

    def write(events: list[dict[str, object]]) -> None:
        gate.wait(5)
        batches.append([int(str(e["i"])) for e in events])

    sink = ThreadedSink(write, batch=50)
    for i in range(120):
        sink({"i": i})
    gate.set()
    sink.close()
    assert [i for b in batches for i in b] == list(range(120))
    assert len(batches) < 120 and max(len(b) for b in batches) <= 50
