"""The command list of ``agentauth --help``: names, one-line summaries, the global options.

Why a table apart from the typer app: ``agentauth --help`` is the first thing a new
user runs, and building the typer app (typer, rich, every command module) costs
several times the 150 ms it may take. :mod:`agentauth.launch` prints :func:`render`
without importing typer; the typer app takes each command's listing line
(``short_help``) from :data:`COMMANDS`, so the two listings cannot drift (a test
compares them). Each command's own ``--help`` is typer's.
"""

from __future__ import annotations

ABOUT = "Give AI coding agents their own scoped, short-lived, revocable credentials."
DAY = ("Typical day: agentauth audit -> init -> provision --dry-run -> provision -> "
       "run -- claude -> status -> revoke.")  # fmt: skip

OPTIONS: tuple[tuple[str, str], ...] = (
    ("--version", "Show the version and exit."),
    ("--debug", "Show redacted tracebacks on errors. [env var: AGENTAUTH_DEBUG]"),
    ("--no-color", "Disable colour (or NO_COLOR). [env var: AGENTAUTH_NO_COLOR]"),
    ("--install-completion", "Install completion for the current shell."),
    ("--show-completion", "Show completion for the current shell, to copy it or customize the "
                          "installation."),
    ("-h, --help", "Show this message and exit."),
)  # fmt: skip

COMMANDS: tuple[tuple[str, str], ...] = (
    ("audit", "Find the credentials an AI agent started in PATH could read, and what each can do."),
    ("check", "The CI and pre-commit gate: fail when a live credential is in git-tracked files."),
    ("init", "Write agentauth.yaml from the audit of your env file, with least-privilege "
             "defaults."),
    ("provision", "Create the scoped credentials of the policy and write .env.ai (ledger first)."),
    ("status", "List what is issued: agent, provider, scope, created, expires, revocable, "
               "requests."),
    ("revoke", "Remove issued credentials (idempotent); a failure is reported per grant and "
               "retried later."),
    ("log", "Show the audit log: every provision, mint, revoke, pass, drop, run and brokered "
            "request."),
    ("run", "Start CMD with only the agent's scoped credentials."),
    ("lock", "Move your own secrets out of .env into the OS keyring, leaving references behind."),
    ("unlock", "Put locked values back into .env (plaintext again) and delete them from the "
               "keyring."),
    ("guard", "Write the agent tools' deny settings and route MCP servers through agentauth run."),
    ("doctor", "Check the keyring, agent tools, env files at risk and expired grants."),
    ("delegate", "Start CMD as a sub-agent holding a strict subset of this session's "
                 "credentials."),
    ("check-capability", "Ask, as the broker would, whether this session's capability allows "
                         "a request."),
    ("attest", "Write a signed in-toto statement (DSSE envelope) of what an agent holds; never a "
               "secret."),
    ("verify-attestation", "Check an attestation's signature, its subject against the working "
                           "tree, and its expiry."),
    ("broker", "Serve the broker stand-alone and print the environment its clients need."),
)  # fmt: skip
"""Every visible command, in the order ``--help`` lists them."""

SUMMARY = dict(COMMANDS)


def render() -> str:
    """The top-level help as plain text (no colour, no box: it is read and copied)."""
    width = max(len(o) for o, _ in OPTIONS) + 2
    name_width = max(len(c) for c, _ in COMMANDS) + 2
    lines = ["Usage: agentauth [OPTIONS] COMMAND [ARGS]...", "", f"  {ABOUT}", "", f"  {DAY}", "",
             "Options:"]  # fmt: skip
    lines += [f"  {o.ljust(width)}{h}" for o, h in OPTIONS]
    lines += ["", "Commands:"]
    lines += [f"  {c.ljust(name_width)}{h}" for c, h in COMMANDS]
    lines += ["", "Run `agentauth COMMAND --help` for a command's options and examples."]
    return "\n".join(lines) + "\n"
