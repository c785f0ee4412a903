"""Pure IAM policy logic for the AWS provider: documents, names, limits, warnings.

Nothing here talks to AWS, so every document agentauth sends (permission policy,
trust policy, the revoke-older-sessions deny) is built and unit-tested in one place,
and ``--dry-run`` shows exactly the JSON that ``provision`` will send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agentauth.model import CredentialPolicy
from agentauth.providers.kit import OptionError

if TYPE_CHECKING:
    from agentauth.providers.aws.options import AwsOptions

VERSION = "2012-10-17"
SESSION_POLICY_MAX_CHARS = 2048
ROLE_POLICY_MAX_CHARS = 10240
SCOPE_POLICY_NAME = "agentauth-scope"
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
"""The inline policy name the IAM console's "Revoke active sessions" button uses."""

OUTPUTS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CREDENTIAL_EXPIRATION",
)
"""What a session writes to ``.env.ai``; AWS_DEFAULT_REGION too, because boto3 and the
AWS CLI v1 read only that one (the other SDKs and CLI v2 read AWS_REGION)."""
USER_OUTPUTS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")
EXPIRY_VARIABLE = "AWS_CREDENTIAL_EXPIRATION"
"""The ``.env.ai`` variable holding a session's expiry (aws-vault's spelling)."""


def permission_policy(options: AwsOptions) -> dict[str, Any]:
    """Return the identity/session policy document that grants exactly the listed actions."""
    statement: dict[str, Any] = {
        "Sid": "AgentAuthScope",
        "Effect": "Allow",
        "Action": list(options.actions),
        "Resource": list(options.resources),
    }
    if options.conditions:
        statement["Condition"] = {op: dict(body) for op, body in options.conditions.items()}
    return {"Version": VERSION, "Statement": [statement]}


def trust_policy(principal_arn: str, not_after: datetime | None = None) -> dict[str, Any]:
    """Return the role trust policy: only ``principal_arn`` may assume it, until ``not_after``.

    The date condition makes AWS itself refuse new sessions once the grant expires,
    even if nobody runs ``agentauth revoke``.
    """
    statement: dict[str, Any] = {
        "Sid": "AgentAuthTrust",
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": "sts:AssumeRole",
    }
    if not_after is not None:
        statement["Condition"] = {"DateLessThan": {"aws:CurrentTime": iso(not_after)}}
    return {"Version": VERSION, "Statement": [statement]}


def revoke_older_sessions_policy(now: datetime) -> dict[str, Any]:
    """Return the console's "revoke active sessions" deny: every session issued before ``now``."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": iso(now)}},
            }
        ],
    }


def iso(moment: datetime) -> str:
    """Return ``2026-11-28T09:44:05Z`` (UTC, seconds), the form IAM conditions and .env use."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compact(document: Mapping[str, Any]) -> str:
    """Return the JSON sent to AWS (no spaces: size limits count characters)."""
    return json.dumps(document, separators=(",", ":"))


def pretty(document: Mapping[str, Any]) -> str:
    """Return the JSON shown by ``--dry-run``."""
    return json.dumps(document, indent=2)


def wildcard_warnings(options: AwsOptions) -> list[str]:
    """Return one warning per wildcard that widens the grant beyond a named job."""
    out: list[str] = []
    for action in options.actions:
        if action in ("*", "*:*"):
            out.append(f"action {action!r} allows every action of every AWS service")
        elif action.lower() == "iam:*":
            out.append("action 'iam:*' lets the agent grant itself any permission (admin)")
        elif action.endswith(":*"):
            service = action.split(":", 1)[0]
            out.append(f"action {action!r} allows every {service} action, including deletes")
    if "*" in options.resources:
        out.append("resource '*' applies the actions to every resource in the account")
    return out


def check_size(document: Mapping[str, Any], limit: int, what: str, entry: CredentialPolicy) -> None:
    """Raise OptionError when a document exceeds an AWS size limit (before anything is created)."""
    size = len(compact(document))
    if size > limit:
        raise OptionError(
            entry,
            None,
            f"the {what} is {size} characters, AWS allows {limit}; "
            "list fewer actions or resources (or use wildcards deliberately)",
        )


@dataclass(frozen=True)
class Caller:
    """Who a credential is, from ``sts:GetCallerIdentity``'s ARN."""

    arn: str
    partition: str
    account: str
    kind: str
    """``user``, ``root``, ``assumed-role``, ``federated-user`` or ``other``."""
    name: str
    """User name, role name (for assumed roles) or federated name."""

    @property
    def temporary(self) -> bool:
        """True for STS credentials (an assumed role, SSO, a federated user)."""
        return self.kind in ("assumed-role", "federated-user")

    @property
    def role_arn(self) -> str:
        """The IAM role ARN behind an assumed-role session (without its path)."""
        return f"arn:{self.partition}:iam::{self.account}:role/{self.name}"


def parse_caller(arn: str) -> Caller:
    """Classify a caller ARN; unknown shapes become kind ``other``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return Caller(arn, "aws", "", "other", arn)
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource == "root":
        return Caller(arn, partition, account, "root", "root")
    if service == "iam" and resource.startswith("user/"):
        return Caller(arn, partition, account, "user", resource.rsplit("/", 1)[-1])
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        return Caller(arn, partition, account, "assumed-role", pieces[1] if len(pieces) > 1 else "")
    if service == "sts" and resource.startswith("federated-user/"):
        return Caller(arn, partition, account, "federated-user", resource.split("/", 1)[1])
    return Caller(arn, partition, account, "other", resource)


def identity_name(agent: str, suffix: str) -> str:
    """Return ``agentauth-<agent>-<suffix>``, a valid IAM role/user name of at most 64 chars."""
    slug = re.sub(r"[^A-Za-z0-9+=,.@_-]+", "-", agent).strip("-") or "agent"
    room = 64 - len("agentauth--") - len(suffix)
    return f"agentauth-{slug[:room]}-{suffix}"


def session_name(agent: str, now: datetime) -> str:
    """Return the RoleSessionName CloudTrail shows: ``agentauth-<agent>-<UTC time>``."""
    slug = re.sub(r"[^A-Za-z0-9+=,.@_-]+", "-", agent).strip("-") or "agent"
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"agentauth-{slug[: 64 - len('agentauth--') - len(stamp)]}-{stamp}"


def scope_summary(options: AwsOptions) -> str:
    """Return the one-line ``status`` description of what the agent may do."""
    actions = ", ".join(options.actions)
    resources = ", ".join(options.resources)
    text = f"{actions} on {resources}"
    if options.conditions:
        text += f" when {', '.join(options.conditions)}"
    return text
