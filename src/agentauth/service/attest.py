"""``agentauth attest`` and ``verify-attestation``: a signed statement of what an agent holds.

The statement is an in-toto Statement v1 in a DSSE envelope, so that any standard
verifier (securesystemslib, in-toto, sigstore tooling that reads DSSE) can check
it, not only agentauth. Its subject is the SHA-256 of ``agentauth.yaml`` (and the
git commit when the project is a repository): the statement says "under *this*
policy, at *this* commit, agent X holds these grants until T". The predicate holds
names, scopes and times, never a credential value.

Why agentauth signs the envelope itself (PAE over ``cryptography``) instead of
through securesystemslib's signer: importing ``securesystemslib.dsse`` costs about
270 ms here (its signer package imports boto3), and ``run`` writes an attestation
for its child on start. Verification, which is rare, goes through securesystemslib's
own ``Envelope.verify``, the standard verifier; a test does the same.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentauth import gitcmd
from agentauth.errors import ConfigError
from agentauth.model import Grant, GrantStatus
from agentauth.state import signing

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://agentauth.dev/attestation/agent-grants/v1"
POLICY_NAME = "agentauth.yaml"
CHAIN_SEPARATOR = ">"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: what the signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def policy_digest(project_root: Path) -> str:
    """Return the SHA-256 of the project's ``agentauth.yaml`` (hex)."""
    path = project_root / POLICY_NAME
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise ConfigError(
            f"no {POLICY_NAME} in {project_root}: an attestation names the policy it was "
            "issued under (agentauth init writes one)"
        ) from None


def git_commit(project_root: Path) -> str | None:
    """Return the commit of HEAD when the project is a git repository, else None."""
    commit = gitcmd.answer(project_root, "rev-parse", "--verify", "-q", "HEAD")
    return commit if commit is not None and len(commit) in (40, 64) else None


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def belongs_to(grant: Grant, chain: str) -> bool:
    """True when ``grant`` was issued to ``chain`` itself or to one of its delegates."""
    return grant.agent == chain or grant.agent.startswith(chain + CHAIN_SEPARATOR)


def _grant_entry(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "agent": grant.agent,
        "provider": grant.provider,
        "variable": grant.variable,
        "scope": grant.scope,
        "created": _iso(grant.created),
        "expires": _iso(grant.expires),
        **({"parent": grant.parent} if grant.parent else {}),
    }


def build_statement(
    project_root: Path,
    chain: str,
    grants: Sequence[Grant],
    *,
    now: datetime,
    ttl: timedelta,
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """Build the in-toto Statement for ``chain``'s live grants (and its delegates')."""
    live = [
        g
        for g in grants
        if g.status is GrantStatus.ACTIVE
        and belongs_to(g, chain)
        and (g.expires is None or g.expires > now)
    ]
    own = [g for g in live if g.agent == chain]
    delegated = [g for g in live if g.agent != chain]
    expiries = [g.expires for g in own if g.expires is not None]
    expires = min([now + ttl, *expiries])
    subject: list[dict[str, Any]] = [
        {"name": POLICY_NAME, "digest": {"sha256": policy_digest(project_root)}}
    ]
    commit = git_commit(project_root)
    if commit:
        subject.append({"name": "git:HEAD", "digest": {"gitCommit": commit}})
    parent = chain.rsplit(CHAIN_SEPARATOR, 1)[0] if CHAIN_SEPARATOR in chain else None
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "agent": {
                "chain": chain.split(CHAIN_SEPARATOR),
                "name": chain,
                **({"delegatedBy": parent} if parent else {}),
            },
            "startedBy": {
                "user": _user(environ),
                "session": environ.get("AGENTAUTH_AGENT") or None,
            },
            "issuedAt": _iso(now),
            "expiresAt": _iso(expires),
            "grants": [_grant_entry(g) for g in own],
            "delegations": [_grant_entry(g) for g in delegated],
        },
    }


def _user(environ: Mapping[str, str]) -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return environ.get("USER", "unknown")


def envelope(statement: Mapping[str, Any]) -> dict[str, Any]:
    """Sign ``statement`` with agentauth's key and wrap it in a DSSE envelope."""
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    signature = signing.sign(pae(PAYLOAD_TYPE, payload))
    public = signing.public_key_hex()
    assert public is not None  # signing.sign made the key
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [
            {"keyid": signing.key_id(public), "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }


@dataclass(frozen=True)
class Verdict:
    """The outcome of ``verify-attestation``: ``ok`` or the first reason it is refused."""

    ok: bool
    reason: str
    statement: Mapping[str, Any] | None = None


def _check_signature(document: Mapping[str, Any], key_hex: str) -> Mapping[str, Any]:
    """Verify the DSSE signature with securesystemslib; return the decoded statement."""
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    try:
        env = Envelope.from_dict(dict(document))
    except (KeyError, TypeError, ValueError) as exc:
        raise _Refused(f"not a DSSE envelope ({type(exc).__name__})") from None
    if env.payload_type != PAYLOAD_TYPE:
        raise _Refused(f"payloadType is {env.payload_type!r}, expected {PAYLOAD_TYPE}")
    key = SSlibKey(signing.key_id(key_hex), "ed25519", "ed25519", {"public": key_hex})
    try:
        env.verify([key], 1)
    except VerificationError:
        raise _Refused("the signature does not verify with the trusted key") from None
    try:
        statement = json.loads(env.payload)
    except ValueError:
        raise _Refused("the signed payload is not JSON") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise _Refused("the payload is not an in-toto Statement v1")
    return statement


class _Refused(Exception):
    pass


def _check_subject(statement: Mapping[str, Any], project_root: Path) -> None:
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise _Refused(f"predicateType is not {PREDICATE_TYPE}")
    subjects = {
        s.get("name"): s.get("digest", {})
        for s in statement.get("subject", [])
        if isinstance(s, dict)
    }
    wanted = subjects.get(POLICY_NAME, {}).get("sha256")
    if not wanted:
        raise _Refused(f"the statement names no {POLICY_NAME} digest")
    try:
        actual = policy_digest(project_root)
    except ConfigError:
        raise _Refused(f"there is no {POLICY_NAME} in {project_root} to compare with") from None
    if actual != wanted:
        raise _Refused(
            f"{POLICY_NAME} changed since the attestation was signed "
            f"(signed sha256 {wanted[:12]}..., working tree {actual[:12]}...)"
        )
    commit = subjects.get("git:HEAD", {}).get("gitCommit")
    if commit:
        current = git_commit(project_root)
        if current != commit:
            raise _Refused(f"the git commit differs (signed {commit[:12]}, HEAD {current})")


def _check_expiry(statement: Mapping[str, Any], now: datetime) -> None:
    text = statement.get("predicate", {}).get("expiresAt")
    try:
        expires = datetime.fromisoformat(str(text))
    except ValueError:
        raise _Refused("the statement has no valid expiresAt") from None
    if expires <= now:
        raise _Refused(f"the attestation expired at {text}")


def verify(
    document_bytes: bytes, project_root: Path, *, key_hex: str | None, now: datetime
) -> Verdict:
    """Check signature (with ``key_hex`` or agentauth's own key), subject and expiry."""
    trusted = key_hex or signing.public_key_hex()
    if trusted is None:
        return Verdict(False, "no public key to verify with (pass --key)")
    try:
        document = json.loads(document_bytes)
        if not isinstance(document, dict):
            raise _Refused("not a DSSE envelope (not a JSON object)")
        statement = _check_signature(document, trusted)
        _check_subject(statement, project_root)
        _check_expiry(statement, now)
    except ValueError:
        return Verdict(False, "not a DSSE envelope (not JSON)")
    except _Refused as refused:
        return Verdict(False, str(refused))
    predicate = statement.get("predicate", {})
    who = predicate.get("agent", {}).get("name", "?")
    return Verdict(
        True,
        f"valid: {who}, {len(predicate.get('grants', []))} grant(s), "
        f"{len(predicate.get('delegations', []))} delegation(s), "
        f"until {predicate.get('expiresAt')}",
        statement,
    )


def write_attestation(path: Path, document: Mapping[str, Any]) -> None:
    """Write the envelope 0600 (it names grants and scopes: not secret, but not public)."""
    from agentauth.fsutil import write_atomic

    try:
        write_atomic(path, json.dumps(document, indent=2) + "\n", mode=0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write the attestation {path}: {exc.strerror}") from None


def attest(
    project_root: Path,
    chain: str,
    *,
    now: datetime | None = None,
    ttl: timedelta = timedelta(hours=8),
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the signed DSSE envelope for ``chain`` in ``project_root`` (logs ``attest``)."""
    import os

    from agentauth.state import auditlog
    from agentauth.state.ledger import Ledger

    moment = now or datetime.now(UTC)
    statement = build_statement(
        project_root,
        chain,
        Ledger(project_root).grants(),
        now=moment,
        ttl=ttl,
        environ=os.environ if environ is None else environ,
    )
    document = envelope(statement)
    predicate = statement["predicate"]
    auditlog.append(
        project_root,
        "attest",
        agent=chain,
        grants=[g["id"] for g in predicate["grants"]],
        delegations=[g["id"] for g in predicate["delegations"]],
        expires=predicate["expiresAt"],
        keyid=document["signatures"][0]["keyid"],
    )
    return document


class AttestationSidecar:
    """``run --attest``: writes the agent's attestation before it starts, removes it after.

    The child finds the file in ``AGENTAUTH_ATTESTATION`` and can attach it to a pull
    request or hand it to a reviewer, who checks it with ``verify-attestation``.
    """

    VARIABLE = "AGENTAUTH_ATTESTATION"

    def __init__(self, project_root: Path, agent: str) -> None:
        """Bind to the project and the agent (chain) the run is for."""
        self._root = project_root
        self._agent = agent
        self._path: Path | None = None

    def start(self, env: Mapping[str, str]) -> Mapping[str, str]:
        """Sign the attestation and tell the child where it is."""
        import os

        from agentauth.state import paths

        directory = paths.project_dir(self._root) / "attestations"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"run-{os.getpid()}.intoto.json"
        write_attestation(path, attest(self._root, self._agent, environ=env))
        self._path = path
        return {self.VARIABLE: str(path)}

    def stop(self) -> None:
        """Remove the file: the statement is about this run."""
        if self._path is not None:
            self._path.unlink(missing_ok=True)
