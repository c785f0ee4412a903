"""``audit --verify`` for AWS keys: who the key is (STS) and what its IAM policies allow.

The key id is paired with its secret (and session token) from the same file, STS
says whose it is (``GetCallerIdentity`` needs no permission), and the user's or
role's attached and inline policies are read and rated: admin-equivalent is
critical, wildcard actions on iam/s3/ec2 are high. Every failure is a value
(``unknown`` or ``invalid``), never an exception.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from agentauth.errors import AgentAuthError
from agentauth.model import Finding, Secret, Severity, Verification
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import (
    ClientHook,
    Credentials,
    connect,
    endpoint_for,
    error_code,
    is_loopback,
    is_sdk_error,
    region_for,
)
from agentauth.providers.base import VerifyContext

KEY_ID = re.compile(r"^(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$")
SECRET_KEY = re.compile(r"^[A-Za-z0-9/+]{40}$")
ADMIN_MANAGED = {"AdministratorAccess", "IAMFullAccess"}
WILDCARD_HIGH = {"iam", "s3", "ec2"}
ESCALATION = (
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutGroupPolicy",
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
)
"""IAM actions that let a principal grant itself more: holding one on ``*`` is admin."""
_READ_VERBS = ("Get", "List", "Describe", "Head", "Select", "Scan", "Query", "BatchGet", "Lookup")
_DELETE_VERBS = ("Delete", "Terminate", "Remove", "Destroy", "Purge", "Deregister")
ALL_CAPS = ("cloud-admin", "delete-cloud-resources", "read-cloud-data", "write-cloud-data")


@dataclass
class PolicyFacts:
    """What a set of IAM policy documents allows, in agentauth's terms."""

    admin: bool = False
    high: bool = False
    reasons: list[str] = field(default_factory=list)
    capabilities: set[str] = field(default_factory=set)

    def severity(self) -> Severity:
        """Critical for admin-equivalent, high for wildcards on iam/s3/ec2, else by what it does."""
        if self.admin:
            return Severity.CRITICAL
        if self.high:
            return Severity.HIGH
        if self.capabilities & {"write-cloud-data", "delete-cloud-resources"}:
            return Severity.MEDIUM
        if self.capabilities:
            return Severity.LOW
        return Severity.INFO


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _document(raw: Any) -> Mapping[str, Any]:
    """Return a policy document whether boto3 gave a dict or (URL-encoded) JSON text."""
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(unquote(raw))
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


def analyse(documents: Iterable[tuple[str, Any]], facts: PolicyFacts | None = None) -> PolicyFacts:
    """Rate ``(policy name, document)`` pairs; pure, so the rules are unit-tested offline."""
    facts = facts or PolicyFacts()
    for name, raw in documents:
        statements = _document(raw).get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for st in statements if isinstance(statements, list) else []:
            if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
                continue
            _statement(name, st, facts)
    return facts


def _statement(name: str, st: Mapping[str, Any], facts: PolicyFacts) -> None:
    resources = _as_list(st.get("Resource"))
    everywhere = "*" in resources or (not resources and "NotResource" in st)
    if "NotAction" in st:
        excluded = _as_list(st.get("NotAction"))
        escalation_left = not any(_matches(p, "iam:PutUserPolicy") for p in excluded)
        facts.capabilities.update(ALL_CAPS[1:])
        if everywhere and escalation_left:
            facts.admin = True
            facts.capabilities.add("cloud-admin")
            facts.reasons.append(f"{name}: Allow NotAction on * (everything but a few actions)")
        else:
            facts.high = True
            facts.reasons.append(f"{name}: Allow NotAction (broad)")
        return
    for action in _as_list(st.get("Action")):
        lowered = action.lower()
        service, _, verb = lowered.partition(":")
        if lowered in ("*", "*:*"):
            facts.capabilities.update(ALL_CAPS)
            if everywhere:
                facts.admin = True
                facts.reasons.append(f"{name}: Allow * on *")
            else:
                facts.high = True
                facts.reasons.append(f"{name}: Allow * on {', '.join(resources)}")
            continue
        if service == "iam" and any(_matches(action, e) for e in ESCALATION):
            facts.capabilities.add("cloud-admin")
            if everywhere:
                facts.admin = True
                facts.reasons.append(f"{name}: {action} on * (can grant itself anything)")
            else:
                facts.high = True
                facts.reasons.append(f"{name}: {action} (IAM write)")
        if "*" in verb and service in WILDCARD_HIGH:
            facts.high = True
            facts.reasons.append(f"{name}: wildcard action {action}")
        facts.capabilities.update(_capabilities(action))


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _capabilities(action: str) -> set[str]:
    verb = action.partition(":")[2]
    if verb == "*" or verb == "":
        return {"read-cloud-data", "write-cloud-data", "delete-cloud-resources"}
    caps: set[str] = set()
    lowered = verb.lower()
    if any(lowered.startswith(v.lower()) for v in _READ_VERBS) or verb.startswith("*"):
        caps.add("read-cloud-data")
    if any(lowered.startswith(v.lower()) for v in _DELETE_VERBS) or verb.startswith("*"):
        caps.add("delete-cloud-resources")
    if not caps or "*" in verb:
        caps.add("write-cloud-data")
    return caps


# --------------------------------------------------------------------------- pairing


def _score(name: str, wanted: str, variable: str) -> tuple[int, int]:
    same = 1 if name == wanted else 0
    common = len(_common_prefix(name, variable))
    return same, common


def _common_prefix(a: str, b: str) -> str:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return "".join(out)


def _pick(
    related: Mapping[str, Secret],
    pattern: re.Pattern[str],
    words: tuple[str, ...],
    wanted: str,
    variable: str,
) -> Secret | None:
    """Return the related value that matches ``pattern`` and is named most like ``wanted``."""
    choices = [
        (name, value)
        for name, value in related.items()
        if pattern.match(value.reveal().strip()) and any(w in name.upper() for w in words)
    ]
    if not choices:
        return None
    choices.sort(key=lambda c: _score(c[0], wanted, variable), reverse=True)
    return choices[0][1]


def pair(finding: Finding, related: Mapping[str, Secret]) -> Credentials | None:
    """Return the key id + secret (+ token) around ``finding``, or None when one is missing."""
    value = finding.secret.reveal().strip()
    variable = (finding.variable or "").upper()
    token = _pick(
        related,
        re.compile(r"^\S{16,}$"),
        ("SESSION_TOKEN", "SECURITY_TOKEN"),
        re.sub(r"(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$", "SESSION_TOKEN", variable),
        variable,
    )
    if KEY_ID.match(value):
        wanted = re.sub(r"ACCESS_KEY_ID$", "SECRET_ACCESS_KEY", variable)
        secret = _pick(related, SECRET_KEY, ("SECRET",), wanted, variable)
        return Credentials(value, secret, token) if secret else None
    if SECRET_KEY.match(value):
        wanted = re.sub(r"SECRET_ACCESS_KEY$", "ACCESS_KEY_ID", variable)
        key_id = _pick(related, KEY_ID, ("",), wanted, variable)
        return Credentials(key_id.reveal().strip(), finding.secret, token) if key_id else None
    return None


# --------------------------------------------------------------------------- network


def verify(finding: Finding, ctx: VerifyContext, *, hook: ClientHook | None = None) -> Verification:
    """Verify one AWS finding read-only; every failure is ``unknown`` or ``invalid``."""
    creds = pair(finding, ctx.related)
    if creds is None:
        return Verification(
            "unknown", "no matching AWS key id / secret access key next to it; cannot verify"
        )
    if creds.temporary and creds.session_token is None:
        return Verification(
            "unknown",
            "temporary key (ASIA) without its AWS_SESSION_TOKEN nearby: cannot be verified, "
            "and useless without the token; it expires on its own",
            details={"key_type": "temporary"},
        )
    notes: list[str] = []
    local = endpoint_for("sts", ctx.related)
    maps: list[Mapping[str, Any]] = [ctx.environ]
    if local and is_loopback(local):
        maps.insert(0, ctx.related)
    elif local:
        notes.append("ignored the file's AWS_ENDPOINT_URL (only loopback endpoints are trusted)")
    region = region_for(None, ctx.environ)
    conn = connect(creds, region, maps, hook=hook, timeout=ctx.timeout)
    try:
        return _verify(conn, creds, notes)
    except AgentAuthError as exc:
        return Verification("unknown", f"could not verify: {exc}")
    except Exception as exc:
        if is_sdk_error(exc):
            return Verification("unknown", f"could not verify ({type(exc).__name__})")
        raise


def _verify(conn: Any, creds: Credentials, notes: list[str]) -> Verification:
    key_type = "temporary" if creds.temporary else "long-term"
    try:
        identity = conn.client("sts").get_caller_identity()
    except Exception as exc:
        code = error_code(exc)
        if code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}:
            return Verification(
                "invalid",
                f"AWS rejected the key ({code}); it grants nothing now, remove it anyway",
                severity=Severity.LOW,
                details={"key_type": key_type, "error": code},
            )
        raise
    caller = ap.parse_caller(str(identity.get("Arn", "")))
    details: dict[str, Any] = {"arn": caller.arn, "account": caller.account, "key_type": key_type}
    if caller.kind == "root":
        return Verification(
            "valid",
            f"ROOT user of account {caller.account}: full control, cannot be scoped",
            capabilities=ALL_CAPS,
            severity=Severity.CRITICAL,
            details=details,
        )
    if caller.kind not in ("user", "assumed-role"):
        return Verification(
            "valid",
            f"{key_type} key of {caller.arn}; unknown: IAM cannot list this identity's policies",
            details=details,
        )
    iam = conn.client("iam")
    try:
        named, documents = _policies(iam, caller)
    except Exception as exc:
        if not is_sdk_error(exc):
            raise
        reason = error_code(exc) or type(exc).__name__
        return Verification(
            "valid",
            f"{key_type} key of {caller.arn}; unknown: no IAM read permission ({reason})",
            details=details,
        )
    facts = PolicyFacts()
    for policy in named:
        if policy in ADMIN_MANAGED:
            facts.admin = True
            facts.capabilities.update(ALL_CAPS)
            facts.reasons.append(f"managed policy {policy}")
    analyse(documents, facts)
    details["policies"] = sorted(named)
    details["reasons"] = facts.reasons
    severity = facts.severity()
    label = {
        Severity.CRITICAL: "admin-equivalent",
        Severity.HIGH: "broad (wildcards or IAM writes)",
        Severity.MEDIUM: "can write or delete",
        Severity.LOW: "read-only",
        Severity.INFO: "no permissions found",
    }[severity]
    summary = f"{key_type} key of {caller.arn}: {label}"
    if facts.reasons:
        summary += f" ({'; '.join(facts.reasons[:3])})"
    if notes:
        summary += f"; {'; '.join(notes)}"
    return Verification(
        "valid",
        summary,
        capabilities=tuple(sorted(facts.capabilities)),
        severity=severity,
        details=details,
    )


def _pages(iam: Any, method: str, key: str, **params: Any) -> list[Any]:
    return [item for page in iam.get_paginator(method).paginate(**params) for item in page[key]]


def _managed_document(iam: Any, arn: str) -> Any:
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        return version["PolicyVersion"]["Document"]
    except Exception as exc:
        if is_sdk_error(exc):
            return {}
        raise


def _policies(iam: Any, caller: ap.Caller) -> tuple[set[str], list[tuple[str, Any]]]:
    """Return managed policy names and (name, document) pairs of the caller's identity."""
    named: set[str] = set()
    docs: list[tuple[str, Any]] = []

    def attached(method: str, **params: Any) -> None:
        for item in _pages(iam, method, "AttachedPolicies", **params):
            named.add(str(item["PolicyName"]))
            docs.append((str(item["PolicyName"]), _managed_document(iam, item["PolicyArn"])))

    def inline(list_method: str, get_method: str, **params: Any) -> None:
        for policy in _pages(iam, list_method, "PolicyNames", **params):
            answer = getattr(iam, get_method)(PolicyName=policy, **params)
            docs.append((str(policy), answer["PolicyDocument"]))

    if caller.kind == "user":
        attached("list_attached_user_policies", UserName=caller.name)
        inline("list_user_policies", "get_user_policy", UserName=caller.name)
        for group in _pages(iam, "list_groups_for_user", "Groups", UserName=caller.name):
            attached("list_attached_group_policies", GroupName=group["GroupName"])
            inline("list_group_policies", "get_group_policy", GroupName=group["GroupName"])
    elif caller.kind == "assumed-role":
        attached("list_attached_role_policies", RoleName=caller.name)
        inline("list_role_policies", "get_role_policy", RoleName=caller.name)
    return named, docs
