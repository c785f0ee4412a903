"""The one body of ``agentauth run``: parse, execute, fail through the funnel.

Why a module of its own: both front doors call it, the typer-free fast path of
:mod:`agentauth.launch` and the typer command in :mod:`agentauth.cli.runner`, so it
must sit below both of them (were it in ``launch``, the CLI would import the entry
point that imports the CLI: a cycle). Import-light like ``launch``: the use case is
imported only when ``run`` is called.
"""

from __future__ import annotations


def run_argv(argv: list[str]) -> int:
    """Run ``agentauth run ARGV`` (without the word ``run``) and return the exit code."""
    from agentauth.cli import funnel, runargs, stderr

    try:
        from agentauth.service import run

        request = runargs.parse(argv)
        return run.execute(request, stderr.StderrObserver())
    except (Exception, KeyboardInterrupt) as exc:
        return funnel.handle(exc)
    finally:
        funnel.keyring_notice(["run"])
