"""Deleting what the AWS provider created: roles (after denying older sessions) and users.

Why a module of its own: revocation must be idempotent and ordered (the deny on
older sessions first, so a failure half-way leaves no live session), and must
treat "already gone" as success at every step; that logic is easier to review alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import (
    NOT_FOUND,
    Connection,
    error_code,
    is_sdk_error,
    translate,
)
from agentauth.redact import Scrubber


class NotOurs(Exception):
    """The IAM object exists but does not carry this grant's tag: never delete it."""


def _check_owner(tags: list[Any], grant_id: str, what: str) -> None:
    """Refuse to touch an object that another grant or a human created under the same name."""
    found = {str(t.get("Key")): str(t.get("Value")) for t in tags}
    if found.get("agentauth-grant") != grant_id:
        raise NotOurs(
            f"{what} exists but was not created by grant {grant_id} (tag agentauth-grant is "
            f"{found.get('agentauth-grant', 'missing')}); left untouched"
        )


def delete_role(
    name: str, conn: Connection, scrub: Scrubber, now: datetime | None, grant_id: str
) -> str:
    """Deny sessions issued before ``now``, then remove the role's policies and the role.

    Only a role tagged with ``grant_id`` is touched: a ``name`` from the policy could
    match a role someone else made, and revoke must never delete that.
    """
    iam = conn.client("iam")
    try:
        tags = _pages(iam, "list_role_tags", "Tags", RoleName=name)
        _check_owner(tags, grant_id, f"role {name}")
        if now is not None:
            # First, as the console's "Revoke active sessions" does: every session issued
            # before now is denied, so a failure in the steps below leaves no live session.
            deny = ap.compact(ap.revoke_older_sessions_policy(now))
            _missing_is_gone(
                lambda: iam.put_role_policy(
                    RoleName=name, PolicyName=ap.REVOKE_POLICY_NAME, PolicyDocument=deny
                )
            )
        inline = _pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
        for policy in inline:
            _ignore_missing(partial(iam.delete_role_policy, RoleName=name, PolicyName=policy))
        attached = _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        for item in attached:
            arn = item["PolicyArn"]
            _ignore_missing(partial(iam.detach_role_policy, RoleName=name, PolicyArn=arn))
        _ignore_missing(lambda: iam.delete_role(RoleName=name))
    except _Gone:
        return f"role {name} was already deleted"
    except NotOurs as exc:
        return str(exc)
    except Exception as exc:
        if is_sdk_error(exc):
            raise translate(exc, "iam:DeleteRole", scrub) from None
        raise
    return (
        f"role {name}: sessions issued before now denied, then {len(inline)} inline and "
        f"{len(attached)} attached policies and the role deleted"
    )


def delete_user(name: str, conn: Connection, scrub: Scrubber, grant_id: str) -> str:
    """Remove the user's access keys, policies and the user itself (only if tagged ours)."""
    iam = conn.client("iam")
    try:
        tags = _pages(iam, "list_user_tags", "Tags", UserName=name)
        _check_owner(tags, grant_id, f"IAM user {name}")
        keys = _pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
        for key in keys:
            kid = key["AccessKeyId"]
            _ignore_missing(partial(iam.delete_access_key, UserName=name, AccessKeyId=kid))
        inline = _pages(iam, "list_user_policies", "PolicyNames", UserName=name)
        for policy in inline:
            _ignore_missing(partial(iam.delete_user_policy, UserName=name, PolicyName=policy))
        attached = _pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        for item in attached:
            arn = item["PolicyArn"]
            _ignore_missing(partial(iam.detach_user_policy, UserName=name, PolicyArn=arn))
        _ignore_missing(lambda: iam.delete_user(UserName=name))
    except _Gone:
        return f"IAM user {name} was already deleted"
    except NotOurs as exc:
        return str(exc)
    except Exception as exc:
        if is_sdk_error(exc):
            raise translate(exc, "iam:DeleteUser", scrub) from None
        raise
    return (
        f"IAM user {name}: {len(keys)} access key(s), {len(inline) + len(attached)} "
        "policies and the user deleted"
    )


class _Gone(Exception):
    """The role or user no longer exists: revocation already happened."""


def _pages(iam: Any, method: str, key: str, **params: Any) -> list[Any]:
    try:
        return [item for page in iam.get_paginator(method).paginate(**params) for item in page[key]]
    except Exception as exc:
        if is_sdk_error(exc) and error_code(exc) in NOT_FOUND:
            raise _Gone from None
        raise


def _missing_is_gone(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception as exc:
        if is_sdk_error(exc) and error_code(exc) in NOT_FOUND:
            raise _Gone from None
        raise


def _ignore_missing(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception as exc:
        if not (is_sdk_error(exc) and error_code(exc) in NOT_FOUND):
            raise
