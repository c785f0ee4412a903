"""The AWS options of a policy entry: checked, normalised, and the presets ``init`` offers.

Why a module of its own: every problem with an entry is found here, before any
call to AWS, and reported through :class:`~agentauth.providers.kit.OptionError`
so the message names the policy file and line that was actually read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy
from agentauth.providers import kit
from agentauth.providers.aws.limits import CHAINED_MAX_DURATION, MAX_DURATION, MIN_DURATION
from agentauth.providers.kit import OptionError

MODES = ("auto", "scoped-session", "role", "user")
OPTION_KEYS = ("actions", "resources", "conditions", "duration", "region", "mode", "name")
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


def parse_options(entry: CredentialPolicy) -> AwsOptions:
    """Check every AWS option of ``entry``; raise ConfigError naming the key and line."""
    kit.check_keys(entry, OPTION_KEYS)
    actions = _strings(entry, "actions", required=True)
    for action in actions:
        if not _ACTION.match(action):
            raise OptionError(
                entry,
                "actions",
                f"{action!r} is not an IAM action; write service:Action, "
                "e.g. s3:GetObject (wildcards * and ? are allowed in the action part)",
            )
    resources = _strings(entry, "resources", required=True)
    for resource in resources:
        placeholder = _PLACEHOLDER.search(resource)
        if placeholder:
            raise OptionError(
                entry,
                "resources",
                f"{resource!r} still holds a placeholder; replace "
                f"{placeholder.group(0)} with the real name",
            )
        if resource != "*" and not _ARN.match(resource):
            raise OptionError(
                entry,
                "resources",
                f"{resource!r} is not an ARN; write it like "
                "arn:aws:s3:::my-bucket/* (or * for every resource)",
            )
    conditions = _conditions(entry)
    duration = _duration(entry)
    region = entry.options.get("region")
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        raise OptionError(entry, "region", f"{region!r} is not an AWS region like eu-west-1")
    mode = entry.options.get("mode", "auto")
    if mode not in MODES:
        raise OptionError(entry, "mode", f"{mode!r} is not one of: {', '.join(MODES)}")
    name = entry.options.get("name")
    if name is not None:
        if not isinstance(name, str) or not _IAM_NAME.match(name):
            raise OptionError(
                entry, "name", f"{name!r} is not an IAM name (1-64 letters, digits, +=,.@_-)"
            )
        if not name.startswith("agentauth-"):
            raise OptionError(
                entry,
                "name",
                f"{name!r} must start with 'agentauth-' so that IAM policies "
                "and permission boundaries can tell agentauth's roles apart",
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
    if raw is None:
        if required:
            raise OptionError(
                entry, key, f"missing; list what the agent may use, e.g. {key}: [...]"
            )
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, Sequence) or isinstance(items, bytes) or not items:
        raise OptionError(entry, key, "expected a non-empty list of strings")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise OptionError(entry, key, f"{item!r} is not a non-empty string")
        if item.strip() not in out:
            out.append(item.strip())
    return tuple(out)


def _conditions(entry: CredentialPolicy) -> dict[str, dict[str, Any]]:
    raw = entry.options.get("conditions")
    if raw is None:
        return {}

    def bad(where: str, problem: str) -> OptionError:
        return OptionError(entry, where, problem)

    if not isinstance(raw, Mapping) or not raw:
        raise bad("conditions", "expected a mapping like {StringEquals: {key: value}}")
    out: dict[str, dict[str, Any]] = {}
    for operator, body in raw.items():
        if not isinstance(operator, str) or not _OPERATOR.match(operator):
            raise bad("conditions", f"{operator!r} is not a condition operator like StringEquals")
        here = f"conditions.{operator}"
        if not isinstance(body, Mapping) or not body:
            raise bad(here, "expected a mapping of condition keys to values")
        checked: dict[str, Any] = {}
        for key, value in body.items():
            if not isinstance(key, str) or ":" not in key:
                raise bad(here, f"{key!r} is not a condition key like aws:SourceIp")
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
                raise bad(f"{here}.{key}", "expected a string, number, boolean or a list of them")
            checked[key] = value
        out[operator] = checked
    return out


def _duration(entry: CredentialPolicy) -> int | None:
    seconds = kit.duration(entry, "duration")
    if seconds is not None and not MIN_DURATION <= seconds <= MAX_DURATION:
        raise OptionError(
            entry,
            "duration",
            f"AWS sessions last from 15m to 12h; got {entry.options.get('duration')!r} "
            "(agentauth run mints a fresh session for every run)",
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
