"""Pure IAM policy logic for the AWS provider: options, documents, names, warnings, presets.

Nothing here talks to AWS, so every document agentauth sends (permission policy,
trust policy, the revoke-older-sessions deny) is built and unit-tested in one place,
and ``--dry-run`` shows exactly the JSON that ``provision`` will send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy

VERSION = "2012-10-17"
MIN_DURATION = 900
"""AssumeRole's floor: 15 minutes."""
MAX_DURATION = 43200
"""A role's MaxSessionDuration ceiling: 12 hours."""
CHAINED_MAX_DURATION = 3600
"""AWS refuses more than 1 hour when a temporary credential assumes a role (role chaining)."""
SESSION_POLICY_MAX_CHARS = 2048
ROLE_POLICY_MAX_CHARS = 10240
SCOPE_POLICY_NAME = "agentauth-scope"
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
"""The inline policy name the IAM console's "Revoke active sessions" button uses."""

MODES = ("auto", "scoped-session", "role", "user")
OPTION_KEYS = ("actions", "resources", "conditions", "duration", "region", "mode", "name")
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

_ACTION = re.compile(r"^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")
_ARN = re.compile(r"^arn:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:(?:\d{12}|\*|aws)?:.+$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
_OPERATOR = re.compile(r"^(?:(?:ForAnyValue|ForAllValues):)?[A-Za-z]+$")
_PLACEHOLDER = re.compile(r"<[^<>]+>")

PRESETS: dict[str, dict[str, object]] = {
    "read-bucket": {
        "actions": ["s3:GetObject", "s3:ListBucket"],
        "resources": ["arn:aws:s3:::<bucket>", "arn:aws:s3:::<bucket>/*"],
        "duration": "1h",
    },
    "invoke-staging-lambda": {
        "actions": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
        "resources": ["arn:aws:lambda:<region>:<account>:function:<function>"],
        "duration": "1h",
    },
    "read-dynamodb-table": {
        "actions": [
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
        ],
        "resources": [
            "arn:aws:dynamodb:<region>:<account>:table/<table>",
            "arn:aws:dynamodb:<region>:<account>:table/<table>/index/*",
        ],
        "duration": "1h",
    },
    "deploy-staging": {
        "actions": [
            "lambda:GetFunction",
            "lambda:UpdateFunctionCode",
            "lambda:InvokeFunction",
        ],
        "resources": ["arn:aws:lambda:<region>:<account>:function:<staging-function>"],
        "duration": "1h",
    },
}
"""Least-privilege starting points; ``<...>`` placeholders must be replaced before provisioning.

``read-bucket``, ``invoke-staging-lambda`` and ``read-dynamodb-table`` are AWS jobs;
``deploy-staging`` is the AWS part of ``agentauth init --preset deploy-staging``."""


def preset(name: str, **values: str) -> dict[str, object]:
    """Return a copy of preset ``name`` with ``<placeholder>`` replaced by ``values``.

    Why: ``init`` knows some values (a bucket named in the audit, the account) and
    leaves the others as visible placeholders that ``validate`` refuses until edited.
    """
    try:
        template = PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown AWS preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}"
        ) from None

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(0)[1:-1], m.group(0)), text)

    out: dict[str, object] = {}
    for key, value in template.items():
        if isinstance(value, list):
            out[key] = [fill(v) if isinstance(v, str) else v for v in value]
        else:
            out[key] = fill(value) if isinstance(value, str) else value
    return out


@dataclass(frozen=True)
class AwsOptions:
    """A policy entry's AWS options, checked and normalised (the entry itself stays as written)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    duration: int | None = None
    """Session length in seconds; None means "derive from the policy's ttl"."""
    region: str | None = None
    mode: str = "auto"
    name: str | None = None


def where(entry: CredentialPolicy) -> str:
    """Return ``agentauth.yaml:12: credentials.AWS`` for messages about ``entry``."""
    prefix = f"agentauth.yaml:{entry.line}: " if entry.line else "agentauth.yaml: "
    return f"{prefix}credentials.{entry.variable}"


def parse_options(entry: CredentialPolicy) -> AwsOptions:
    """Check every AWS option of ``entry``; raise ConfigError naming the key and line."""
    here = where(entry)
    for key in entry.options:
        if key not in OPTION_KEYS:
            raise ConfigError(
                f"{here}: unknown option {key!r} for provider aws; "
                f"known options: {', '.join(OPTION_KEYS)}"
            )
    actions = _strings(entry, "actions", required=True)
    for action in actions:
        if not _ACTION.match(action):
            raise ConfigError(
                f"{here}.actions: {action!r} is not an IAM action; write service:Action, "
                "e.g. s3:GetObject (wildcards * and ? are allowed in the action part)"
            )
    resources = _strings(entry, "resources", required=True)
    for resource in resources:
        placeholder = _PLACEHOLDER.search(resource)
        if placeholder:
            raise ConfigError(
                f"{here}.resources: {resource!r} still holds a placeholder; replace "
                f"{placeholder.group(0)} with the real name"
            )
        if resource != "*" and not _ARN.match(resource):
            raise ConfigError(
                f"{here}.resources: {resource!r} is not an ARN; write it like "
                "arn:aws:s3:::my-bucket/* (or * for every resource)"
            )
    conditions = _conditions(entry)
    duration = _duration(entry)
    region = entry.options.get("region")
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        raise ConfigError(f"{here}.region: {region!r} is not an AWS region like eu-west-1")
    mode = entry.options.get("mode", "auto")
    if mode not in MODES:
        raise ConfigError(f"{here}.mode: {mode!r} is not one of: {', '.join(MODES)}")
    name = entry.options.get("name")
    if name is not None:
        if not isinstance(name, str) or not _IAM_NAME.match(name):
            raise ConfigError(
                f"{here}.name: {name!r} is not an IAM name (1-64 letters, digits, +=,.@_-)"
            )
        if not name.startswith("agentauth-"):
            raise ConfigError(
                f"{here}.name: {name!r} must start with 'agentauth-' so that IAM policies "
                "and permission boundaries can tell agentauth's roles apart"
            )
    return AwsOptions(
        actions=actions,
        resources=resources,
        conditions=conditions,
        duration=duration,
        region=region,
        mode=str(mode),
        name=name,
    )


def _strings(entry: CredentialPolicy, key: str, *, required: bool) -> tuple[str, ...]:
    raw = entry.options.get(key)
    here = f"{where(entry)}.{key}"
    if raw is None:
        if required:
            raise ConfigError(f"{here}: missing; list what the agent may use, e.g. {key}: [...]")
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, Sequence) or isinstance(items, bytes) or not items:
        raise ConfigError(f"{here}: expected a non-empty list of strings")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{here}: {item!r} is not a non-empty string")
        if item.strip() not in out:
            out.append(item.strip())
    return tuple(out)


def _conditions(entry: CredentialPolicy) -> dict[str, dict[str, Any]]:
    raw = entry.options.get("conditions")
    here = f"{where(entry)}.conditions"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{here}: expected a mapping like {{StringEquals: {{key: value}}}}")
    out: dict[str, dict[str, Any]] = {}
    for operator, body in raw.items():
        if not isinstance(operator, str) or not _OPERATOR.match(operator):
            raise ConfigError(f"{here}: {operator!r} is not a condition operator like StringEquals")
        if not isinstance(body, Mapping) or not body:
            raise ConfigError(f"{here}.{operator}: expected a mapping of condition keys to values")
        checked: dict[str, Any] = {}
        for key, value in body.items():
            if not isinstance(key, str) or ":" not in key:
                raise ConfigError(
                    f"{here}.{operator}: {key!r} is not a condition key like aws:SourceIp"
                )
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
                raise ConfigError(
                    f"{here}.{operator}.{key}: expected a string, number, boolean or a list of them"
                )
            checked[key] = value
        out[operator] = checked
    return out


def _duration(entry: CredentialPolicy) -> int | None:
    from agentauth.config.policy import parse_duration

    raw = entry.options.get("duration")
    if raw is None:
        return None
    here = where(entry)
    seconds = parse_duration(raw, key=f"credentials.{entry.variable}.duration", line=entry.line)
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise ConfigError(
            f"{here}.duration: AWS sessions last from 15m to 12h; got {raw!r} "
            "(agentauth run mints a fresh session for every run)"
        )
    return seconds


def session_duration(options: AwsOptions, ttl_seconds: int, *, chained: bool) -> tuple[int, str]:
    """Return the session length in seconds and a note when it was shortened.

    Default: the policy's ttl, but at most 1 hour (a fresh session is minted per run);
    AWS caps sessions of a chained role assumption at 1 hour, so say so when that applies.
    """
    wanted = options.duration or min(max(ttl_seconds, MIN_DURATION), CHAINED_MAX_DURATION)
    if chained and wanted > CHAINED_MAX_DURATION:
        return CHAINED_MAX_DURATION, (
            f"duration capped at 1h: the source credential is itself temporary, and AWS "
            f"limits role chaining to 1 hour (asked for {wanted // 60}m)"
        )
    return wanted, ""


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
    """Raise ConfigError when a document exceeds an AWS size limit (before anything is created)."""
    size = len(compact(document))
    if size > limit:
        raise ConfigError(
            f"{where(entry)}: the {what} is {size} characters, AWS allows {limit}; "
            "list fewer actions or resources (or use wildcards deliberately)"
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
