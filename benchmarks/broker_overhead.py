"""What the broker adds: latency per small request, streamed throughput, concurrency, run start.

Usage: python benchmarks/broker_overhead.py [-n 2000] [--mb 256]

An upstream HTTPS server (a minimal asyncio server in a subprocess, certificate
from trustme) is called directly and through the broker (``agentauth broker``
in a subprocess, a real session CA, a brokered ``provider: http`` entry), by the
same keep-alive client, so the difference is the broker's cost. Reported:

- added latency per small request, p50 and p99 (targets < 2 ms, < 10 ms);
- throughput of a large streamed response, direct and through the broker, alternated
  (median of ``--streams``; target >= 200 MB/s), with the broker's CPU per MB: on a
  loaded machine the wall figure moves with the load, the CPU figure does not;
- 100 concurrent connections, direct and through the broker: all succeed, requests per
  second, p99 (the client's own queueing is in both);
- ``agentauth run -- true`` start time with a brokered policy minus without (< 300 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trustme

SMALL = b'{"ok":true}'
CHUNK = b"x" * (1 << 20)


async def _serve(port_file: Path, cert: Path, key: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1]
                if b"/big/" in target:
                    size = int(target.rsplit(b"/", 1)[1]) << 20
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
                    for _ in range(size >> 20):
                        writer.write(CHUNK)
                        await writer.drain()
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\n\r\n%s" % (len(SMALL), SMALL))  # fmt: skip
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context, backlog=512)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


def _cpu_ms(pid: int) -> float:
    """User+system CPU of a process so far (load-independent, unlike wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latencies(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> list[float]:
    for _ in range(50):
        client.get(url, headers=headers).raise_for_status()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, headers=headers).raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _throughput(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    total = 0
    with client.stream("GET", url, headers=headers) as response:
        for chunk in response.iter_raw(1 << 20):
            total += len(chunk)
    elapsed = time.perf_counter() - started
    if total == 0:
        raise RuntimeError(f"no bytes from {url}")
    return total / (1 << 20) / elapsed


async def _concurrent(proxy: str | None, verify: ssl.SSLContext, url: str, headers: dict[str, str]
                      ) -> tuple[int, int, float, float]:  # fmt: skip
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    latencies: list[float] = []
    failures = 0
    errors: set[str] = set()
    async with httpx.AsyncClient(proxy=proxy, verify=verify, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal failures
            for _ in range(20):
                started = time.perf_counter()
                try:
                    (await client.get(url, headers=headers)).raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)
                except httpx.HTTPError as exc:
                    failures += 1
                    errors.add(f"{type(exc).__name__}: {exc}"[:120])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(100)))
        elapsed = time.perf_counter() - started
    for error in sorted(errors):
        print(f"  concurrent failure: {error}")
    return len(latencies), failures, len(latencies) / elapsed, _percentile(latencies, 0.99)


def _run_start(project: Path, env: dict[str, str], brokered: bool, n: int) -> tuple[float, float]:
    policy = project / "agentauth.yaml"
    text = policy.read_text()
    if not brokered:
        policy.write_text("version: 1\nagent: bench\ncredentials:\n  OTHER: drop\n")
    try:
        times = []
        cpus = []
        for i in range(n + 1):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "agentauth", "run", "--", "true"], cwd=project,
                           env=env, check=True, capture_output=True)  # fmt: skip
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i:
                times.append((time.perf_counter() - started) * 1000)
                cpus.append((after.ru_utime + after.ru_stime - before.ru_utime
                             - before.ru_stime) * 1000)  # fmt: skip
        return statistics.median(times), statistics.median(cpus)
    finally:
        policy.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000, help="small requests per side")
    parser.add_argument("--mb", type=int, default=256, help="size of the streamed response")
    parser.add_argument("--streams", type=int, default=3, help="large responses per side")
    parser.add_argument("--runs", type=int, default=10, help="agentauth run starts per side")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(Path(args.serve[0]), Path(args.serve[1]), Path(args.serve[2])))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="broker-bench-"))
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    port_file = tmp / "port"
    upstream = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file),
                                 str(tmp / "cert.pem"), str(tmp / "key.pem")])  # fmt: skip
    while not port_file.exists() or not port_file.read_text():
        time.sleep(0.05)
    port = int(port_file.read_text())
    project = tmp / "project"
    project.mkdir()
    (project / "ca.pem").write_bytes((tmp / "ca.pem").read_bytes())
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: bench\ncredentials:\n  API_KEY:\n    provider: http\n"
        "    hosts: [api.bench.test]\n    allow: ['GET /v1/**']\n"
        f"    upstream: https://127.0.0.1:{port}\n    upstream_ca: ca.pem\n"
    )
    (project / ".env").write_text("API_KEY=sk-bench-real-value-0123456789\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "AGENTAUTH_HOME": str(tmp / "home"),
           "LANG": "C.UTF-8"}  # fmt: skip
    broker = subprocess.Popen([sys.executable, "-m", "agentauth", "broker", "--format", "json"],
                              cwd=project, env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert broker.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "}\n":
        lines.append(broker.stdout.readline())
    served = json.loads("".join(lines))
    headers = {"Authorization": f"Bearer {served['API_KEY']}"}
    via_verify = ssl.create_default_context(cafile=served["SSL_CERT_FILE"])
    direct_verify = ssl.create_default_context(cafile=str(tmp / "ca.pem"))
    proxy = served["HTTPS_PROXY"]
    try:
        with httpx.Client(verify=direct_verify, timeout=60) as direct, \
             httpx.Client(proxy=proxy, verify=via_verify, timeout=60) as via:  # fmt: skip
            d = _latencies(direct, f"https://127.0.0.1:{port}/v1/small", {}, args.n)
            cpu0 = _cpu_ms(broker.pid)
            b = _latencies(via, "https://api.bench.test/v1/small", headers, args.n + 50)[50:]
            cpu_per_request = (_cpu_ms(broker.pid) - cpu0) / (args.n + 100)
            directs, vias, cpus = [], [], []
            for _ in range(args.streams):  # alternated, so both sides see the same load
                directs.append(
                    _throughput(direct, f"https://127.0.0.1:{port}/v1/big/{args.mb}", {})
                )
                cpu0 = _cpu_ms(broker.pid)
                vias.append(_throughput(via, f"https://api.bench.test/v1/big/{args.mb}", headers))
                cpus.append((_cpu_ms(broker.pid) - cpu0) / args.mb)
            mb_direct, mb_via = statistics.median(directs), statistics.median(vias)
        direct_c = asyncio.run(
            _concurrent(None, direct_verify, f"https://127.0.0.1:{port}/v1/small", {})
        )
        ok, failed, rps, p99c = asyncio.run(
            _concurrent(proxy, via_verify, "https://api.bench.test/v1/small", headers)
        )
    finally:
        broker.send_signal(signal.SIGTERM)
        broker.wait(10)
    with_broker = _run_start(project, env, True, args.runs)
    without = _run_start(project, env, False, args.runs)
    upstream.terminate()
    added50 = _percentile(b, 0.5) - _percentile(d, 0.5)
    added99 = _percentile(b, 0.99) - _percentile(d, 0.99)
    p = _percentile
    print(f"small request, direct:      p50 {p(d, 0.5):.2f} ms  p99 {p(d, 0.99):.2f} ms")
    print(f"small request, via broker:  p50 {p(b, 0.5):.2f} ms  p99 {p(b, 0.99):.2f} ms")
    print(f"broker CPU per small request: {cpu_per_request:.2f} ms (includes its audit write)")
    print(f"added by the broker:        p50 {added50:.2f} ms (< 2)  p99 {added99:.2f} ms (< 10)")
    print(f"streamed {args.mb} MB (median of {args.streams}): direct {mb_direct:.0f} MB/s, "
          f"broker {mb_via:.0f} MB/s (>= 200), ratio {mb_via / mb_direct:.2f}; broker CPU "
          f"{statistics.median(cpus):.2f} ms per MB")  # fmt: skip
    print(f"100 connections at once, direct: {direct_c[0]} ok, {direct_c[1]} failed, "
          f"{direct_c[2]:.0f} req/s, p99 {direct_c[3]:.1f} ms")  # fmt: skip
    print(f"100 connections at once, broker: {ok} ok, {failed} failed, {rps:.0f} req/s, "
          f"p99 {p99c:.1f} ms")  # fmt: skip
    (w_wall, w_cpu), (o_wall, o_cpu) = with_broker, without
    print(f"agentauth run -- true:      {o_wall:.0f} ms without broker, {w_wall:.0f} ms with "
          f"(+{w_wall - o_wall:.0f} ms wall; CPU {o_cpu:.0f} -> {w_cpu:.0f} ms, "
          f"+{w_cpu - o_cpu:.0f} ms) (< 300)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
