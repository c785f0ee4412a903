"""Running a :class:`~agentauth.broker.proxy.Broker` beside the child, and the child's env.

``run`` keeps the broker in a thread of its own process (no second process whose
command line or environment could show anything): it lives exactly as long as
``agentauth run``, and if it dies its listening socket goes with it, so the child's
requests fail (connection refused) instead of going out without the broker.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from agentauth.broker.proxy import Broker

_PR_SET_DUMPABLE = 4
NO_PROXY = "localhost,127.0.0.1,::1"
CA_VARIABLES = (
    "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
)  # fmt: skip
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")


def child_env(proxy_url: str, bundle: Path) -> dict[str, str]:
    """Return the variables that route a child through the broker and make it trust it."""
    env = dict.fromkeys(PROXY_VARIABLES, proxy_url)
    env["NO_PROXY"] = env["no_proxy"] = NO_PROXY
    env.update(dict.fromkeys(CA_VARIABLES, str(bundle)))
    env["AGENTAUTH_BROKER"] = proxy_url.rsplit("@", 1)[-1]
    return env


def make_undumpable() -> bool:
    """Set PR_SET_DUMPABLE to 0 on Linux; return whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


class BrokerThread:
    """Runs one broker on an event loop in a daemon thread."""

    def __init__(self, broker: Broker, port: int = 0) -> None:
        """Keep ``broker``; nothing starts until :meth:`start` (``port`` 0: a random one)."""
        self.broker = broker
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="agentauth-broker", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.bundle: Path | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        # NOTE: asyncio's default handler prints tracebacks to stderr, into the agent's
        # terminal; the broker counts such failures instead (Broker.failures).
        self._loop.set_exception_handler(self._quiet)
        try:
            self._loop.run_until_complete(self.broker.start(port=self.port))
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.broker.close())
        self._loop.close()

    def _quiet(self, _loop: asyncio.AbstractEventLoop, _context: dict[str, object]) -> None:
        self.broker.failures += 1

    def start(self, timeout: float = 10.0) -> Mapping[str, str]:
        """Start listening; return the child's proxy and CA variables.

        First the process is made non-dumpable (Linux): its ``/proc/PID/environ``,
        ``mem`` and ``fd`` become unreadable to the child, which runs as the same
        user, and it cannot be ptrace-attached, so the values held in this process's
        memory stay out of the agent's reach.
        """
        make_undumpable()
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"the broker did not start: {self._error}")
        self.bundle = self.broker.ca.write_bundle()
        return child_env(self.broker.proxy_url, self.bundle)

    def alive(self) -> bool:
        """Return True while the broker thread serves."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop, close connections, remove the CA bundle."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        self.broker.ca.cleanup()
