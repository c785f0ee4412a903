"""The command line: the only package that imports typer, prints, or exits.

Each command group lives in its own module and registers itself on :data:`app`;
:func:`main` wraps the whole app in the error funnel of :mod:`agentauth.cli.console`.
"""

from __future__ import annotations

import typer

from agentauth import __version__
from agentauth.cli import audit as _audit
from agentauth.cli import broker as _broker
from agentauth.cli import commands, console
from agentauth.cli import delegate as _delegate
from agentauth.cli import grants as _grants
from agentauth.cli import provision as _provision
from agentauth.cli import runner as _runner

app = typer.Typer(
    name="agentauth",
    help=f"{commands.ABOUT}\n\n{commands.DAY}",
    no_args_is_help=True,
    add_completion=True,
    # NOTE: locals in a traceback are where secrets live; never show them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        print(f"agentauth {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="AGENTAUTH_DEBUG", help="Show redacted tracebacks on errors."
    ),
    no_color: bool = typer.Option(
        False, "--no-color", envvar="AGENTAUTH_NO_COLOR", help="Disable colour (or NO_COLOR)."
    ),
) -> None:
    console.configure(debug=debug, no_color=no_color)


_audit.register(app)
_provision.register(app)
_grants.register(app)
_runner.register(app)
_delegate.register(app)
_broker.register(app)
for _info in app.registered_commands:
    # NOTE: the listing line of each command lives once, in cli/commands (the fast --help).
    if _info.name in commands.SUMMARY:
        _info.short_help = commands.SUMMARY[_info.name]


def main() -> int:
    """Run the CLI and return the exit code (the console script's entry point)."""
    return console.run_app(app)
