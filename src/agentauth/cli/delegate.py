"""The ``delegate``, ``attest`` and ``verify-attestation`` commands, and ``log --verify``.

Thin glue over :mod:`agentauth.service.delegate`, :mod:`agentauth.service.attest`
and :mod:`agentauth.state.logverify`: parse, call, render, exit.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentauth.cli import console
from agentauth.errors import ExitCode, UsageError


def _say(message: str) -> None:
    console.err_console().print(message, markup=False, highlight=False, soft_wrap=True)


def _trusted_key(key: Path | None) -> str | None:
    if key is None:
        return None
    from agentauth.state import signing

    return signing.load_public_key_file(key)


def verify_log(project: Path, key: Path | None, *, json_output: bool) -> None:
    """Verify the audit log's chain and signed head; exit 1 naming what is wrong."""
    from agentauth.state import logverify

    check = logverify.verify(project, _trusted_key(key))
    if json_output:
        payload = {
            "schema_version": 1,
            "ok": check.ok,
            "path": check.path,
            "records": check.records,
            "legacy": check.legacy,
            "problems": [{"record": p.record, "message": p.message} for p in check.problems],
            "notes": list(check.notes),
        }
        console.write_report(json.dumps(payload, indent=2), None)
    else:
        out = console.out_console()
        for note in check.notes:
            _say(f"note: {note}")
        if check.ok:
            out.print(
                f"ok: {check.records} record(s), chain intact, head signature valid ({check.path})",
                markup=False,
                soft_wrap=True,
            )
        else:
            out.print(f"FAILED: {check.path}", markup=False, soft_wrap=True)
            for problem in check.problems:
                where = f"record {problem.record}: " if problem.record else ""
                out.print(f"  {where}{problem.message}", markup=False, soft_wrap=True)
    if not check.ok:
        raise typer.Exit(int(ExitCode.FINDINGS))


_PROJECT = typer.Option(
    Path("."), "--project", "-C", help="The project directory (default: the current one)."
)


_ONLY = typer.Option(
    ...,
    "--only",
    help="VAR or VAR=RULE,...: what the sub-agent keeps (repeatable); RULE is 'METHOD /glob' "
    "(brokered), a table, a key pattern, an IAM action or ARN, owner/repo or permission:level.",
)
_OUTPUT = typer.Option(None, "--output", "-o", help="Write the envelope here (default: stdout).")
_FILE = typer.Argument(..., help="The attestation (DSSE envelope) to check.")
_KEY = typer.Option(
    None, "--key", help="The signer's public key, PEM or hex (default: agentauth's own)."
)


def _chain(agent: str | None, project: Path) -> str:
    """The identity chain: --agent, else the session's AGENTAUTH_AGENT, else the policy's agent."""
    import os

    if agent:
        return agent
    if os.environ.get("AGENTAUTH_AGENT"):
        return os.environ["AGENTAUTH_AGENT"]
    from agentauth.config.policy import POLICY_FILE, load_policy

    return load_policy(project / POLICY_FILE).agent


def attest(
    agent: str | None = typer.Option(
        None, "--agent", help="Whose grants (default: this session's agent, else the policy's)."
    ),
    output: Path | None = _OUTPUT,
    ttl: str = typer.Option("8h", "--ttl", help="Valid at most this long, never past a grant."),
    show_key: bool = typer.Option(False, "--show-key", help="Print the public key (PEM), exit."),
    project: Path = _PROJECT,
) -> None:
    """Write a signed in-toto statement (DSSE envelope) of what an agent holds; never a secret."""
    from datetime import timedelta

    from agentauth.config.policy import parse_duration
    from agentauth.service import attest as service
    from agentauth.state import signing

    if show_key:
        signing.private_key()
        console.write_report(signing.public_key_pem().rstrip("\n"), output)
        return
    seconds = parse_duration(ttl, key="--ttl")
    document = service.attest(project, _chain(agent, project), ttl=timedelta(seconds=seconds))
    if output is None:
        console.write_report(json.dumps(document, indent=2), None)
    else:
        service.write_attestation(output, document)
        keyid = document["signatures"][0]["keyid"]
        _say(f"wrote {output} (DSSE, in-toto Statement v1, keyid {keyid[:16]}...)")


def verify_attestation(
    file: Path = _FILE,
    key: Path | None = _KEY,
    project: Path = _PROJECT,
) -> None:
    """Check an attestation's signature, its subject against the working tree, and its expiry."""
    from datetime import UTC, datetime

    from agentauth.service import attest as service

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    verdict = service.verify(data, project, key_hex=_trusted_key(key), now=datetime.now(UTC))
    if verdict.ok:
        console.out_console().print(verdict.reason, markup=False, soft_wrap=True)
        return
    console.out_console().print(f"REFUSED: {verdict.reason}", markup=False, soft_wrap=True)
    raise typer.Exit(int(ExitCode.FINDINGS))


def delegate(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", help="The sub-agent's name (the chain becomes A>NAME)."),
    only: list[str] = _ONLY,
    ttl: str = typer.Option("10m", "--ttl", help="Lifetime, never past the parent's grants."),
    project: Path = _PROJECT,
) -> None:
    """Start CMD as a sub-agent holding a strict subset of this session's credentials."""
    import os
    from datetime import timedelta

    from agentauth.config.policy import parse_duration
    from agentauth.service import delegate as service

    command = list(ctx.args)
    if not command:
        raise UsageError("nothing to run; write the command after --, e.g. -- claude -p ...")
    seconds = parse_duration(ttl, key="--ttl")
    made = service.delegate(project, dict(os.environ), to=to, only=service.parse_only(only),
                            ttl=timedelta(seconds=seconds))  # fmt: skip
    for grant in made.grants:
        _say(f"{made.chain}: {grant.id} {grant.variable} {grant.scope} (until {grant.expires})")
    raise typer.Exit(service.run_delegated(project, made, command))


def check_capability(
    variable: str = typer.Argument(..., help="The variable holding the phantom (read from env)."),
    request: str = typer.Argument(..., help='The request, e.g. "POST /repos/acme/web/issues".'),
    host: str | None = typer.Option(None, "--host", help="The host (default: the grant's)."),
    project: Path = _PROJECT,
) -> None:
    """Ask, as the broker would, whether this session's capability allows a request."""
    import os

    from agentauth.broker import capability
    from agentauth.service.delegate import revoked_ids
    from agentauth.state import signing
    from agentauth.state.ledger import Ledger

    token = capability.token_of(os.environ.get(variable, ""))
    public = signing.public_key_hex()
    if token is None or public is None:
        raise UsageError(f"{variable} holds no agentauth capability in this environment")
    method, _, path = request.strip().partition(" ")
    grants = Ledger(project).grants()
    hosts = [h for g in grants if g.variable == variable for h in g.objects.get("hosts", [])]
    decision = capability.authorize(
        token, bytes.fromhex(public), host=host or (hosts[0] if hosts else ""),
        method=method, path=path.strip(), revoked=revoked_ids(grants),
    )  # fmt: skip
    out = console.out_console()
    if decision.allowed:
        out.print(f"allowed: {method.upper()} {path.strip()}", markup=False, soft_wrap=True)
        return
    out.print(f"refused: {method.upper()} {path.strip()}: {decision.reason}", markup=False,
              soft_wrap=True)  # fmt: skip
    raise typer.Exit(int(ExitCode.FINDINGS))


_DELEGATE_EPILOG = """\
[bold]Examples[/] (inside an `agentauth run` session)

  agentauth delegate --to reviewer --only GITHUB_TOKEN='GET /repos/acme/web/**' -- claude -p review

  agentauth delegate --to tests --only OPENAI_API_KEY --ttl 5m -- pytest

  agentauth delegate --to analyst --only DATABASE_URL=orders,public.products -- claude -p report

  agentauth delegate --to fetcher --only 'AWS=s3:GetObject,arn:aws:s3:::reports/*' -- ./fetch.sh
"""

_ATTEST_EPILOG = """\
[bold]Examples[/]

  agentauth attest -o agent.intoto.json        [dim]# this session's agent (or the policy's)[/]

  agentauth attest --show-key > agentauth.pub  [dim]# hand this to whoever verifies[/]

  agentauth verify-attestation agent.intoto.json --key agentauth.pub
"""


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command(
        "delegate",
        epilog=_DELEGATE_EPILOG,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(delegate)
    app.command("check-capability")(check_capability)
    app.command("attest", epilog=_ATTEST_EPILOG)(attest)
    app.command("verify-attestation", epilog=_ATTEST_EPILOG)(verify_attestation)
