"""``agentauth broker``: the broker alone, for tools ``run`` does not start (MCP, containers).

It prints the environment a client needs (proxy URL with its per-session
credential, CA bundle, one phantom per brokered variable) and serves until
stopped (Ctrl-C or SIGTERM). Nothing it prints is a real credential.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
from pathlib import Path

import typer

from agentauth.errors import ConfigError

_PROJECT = typer.Option(None, "--project", "-C", help="The project directory.")
_EPILOG = """\
[bold]Examples[/]

  agentauth broker --agent mcp-github > broker.env &   [dim]# then: set -a; . ./broker.env[/]

  agentauth broker --format json                       [dim]# the variables as one JSON object[/]
"""


def broker(
    agent: str | None = typer.Option(
        None, "--agent", help="The agent named in the request log (default: the policy's)."
    ),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Listen port (0: random)."),
    fmt: str = typer.Option("shell", "--format", help="shell (export lines) or json."),
    project: Path | None = _PROJECT,
) -> None:
    """Serve the broker stand-alone and print the environment its clients need."""
    from agentauth.project import cwd_root
    from agentauth.service import broker as service

    if fmt not in ("shell", "json"):
        raise typer.BadParameter("choose shell or json", param_hint="--format")
    root = cwd_root(project.resolve() if project is not None else None)
    session = service.start(root, agent=agent, port=port)
    if session is None:
        raise ConfigError(
            "the policy brokers nothing: add an entry with provider: http (or mode: broker "
            "for stripe/github); see docs/walkthrough-broker.md"
        )
    stopping = {"now": False}

    def stop(_signum: int, _frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if fmt == "json":
        print(json.dumps(session.env, indent=2, sort_keys=True))
    else:
        for name, value in sorted(session.env.items()):
            print(f"export {name}={shlex.quote(value)}")
    sys.stdout.flush()
    print(
        f"agentauth broker: serving {', '.join(session.variables)} for agent "
        f"{session.broker.agent} on 127.0.0.1:{session.broker.port}; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        service.wait(session, lambda: stopping["now"])
    finally:
        session.stop()


def register(app: typer.Typer) -> None:
    """Add ``broker`` to ``app``."""
    app.command("broker", epilog=_EPILOG)(broker)
