"""Offline tests of the pure pieces: options, documents, names, ratings, pairing, retry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.aws.awskit import make_policy
from tests.findingkit import verify_finding

from agentauth.errors import ConfigError
from agentauth.model import Action, CredentialPolicy, Secret, Severity
from agentauth.providers.aws import options as ao
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import endpoint_for, region_for, with_retry
from agentauth.providers.aws.options import PRESETS
from agentauth.providers.aws.provider import PROVIDER
from agentauth.providers.aws.verify import PolicyFacts, analyse, pair
from agentauth.providers.base import Provider

GOOD = {
    "actions": ["s3:GetObject", "s3:ListBucket"],
    "resources": ["arn:aws:s3:::dev-assets", "arn:aws:s3:::dev-assets/*"],
    "duration": "1h",
}


def entry(**options: Any) -> CredentialPolicy:
    return CredentialPolicy("AWS", Action.PROVISION, "aws", options, line=12)


def test_provider_satisfies_the_protocol_and_is_registered() -> None:
    from agentauth import providers

    assert providers.get("aws") is PROVIDER
    checked: Provider = PROVIDER
    assert checked.name == "aws"


def test_design_example_validates_and_is_returned_as_written() -> None:
    e = entry(**GOOD)
    assert PROVIDER.validate(e) is e
    options = ao.parse_options(e)
    assert options.actions == ("s3:GetObject", "s3:ListBucket")
    assert options.duration == 3600
    assert options.mode == "auto"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({**GOOD, "bucket": "x"}, "line 12: credentials.AWS: unknown option 'bucket'"),
        ({**GOOD, "actions": ["s3GetObject"]}, "credentials.AWS.actions: 's3GetObject'"),
        ({**GOOD, "actions": ["s3:Get Object"]}, "is not an IAM action"),
        ({**GOOD, "actions": []}, "non-empty list"),
        ({"resources": GOOD["resources"]}, "credentials.AWS.actions: missing"),
        ({**GOOD, "resources": ["dev-assets"]}, "is not an ARN"),
        ({**GOOD, "resources": ["arn:aws:s3:::<bucket>"]}, "replace <bucket>"),
        ({**GOOD, "duration": "5m"}, "from 15m to 12h"),
        ({**GOOD, "duration": "13h"}, "from 15m to 12h"),
        ({**GOOD, "duration": "soon"}, "cannot read 'soon'"),
        ({**GOOD, "region": "Europe"}, "credentials.AWS.region"),
        ({**GOOD, "mode": "forever"}, "credentials.AWS.mode"),
        ({**GOOD, "name": "claude-role"}, "must start with 'agentauth-'"),
        ({**GOOD, "name": "agentauth-" + "x" * 60}, "is not an IAM name"),
        ({**GOOD, "conditions": {"StringEquals": "x"}}, "credentials.AWS.conditions.StringEquals"),
        ({**GOOD, "conditions": {"Bad Op": {"aws:SourceIp": "1"}}}, "condition operator"),
        ({**GOOD, "conditions": {"IpAddress": {"SourceIp": "1"}}}, "condition key"),
    ],
)
def test_bad_options_name_the_key_and_line(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        PROVIDER.validate(entry(**options))
    assert message in str(info.value)
    assert "12" in str(info.value)


def test_wildcard_warnings() -> None:
    options = ao.parse_options(entry(actions=["*", "iam:*", "s3:*", "s3:Get*"], resources=["*"]))
    warnings = ap.wildcard_warnings(options)
    assert len(warnings) == 4
    assert "every action of every AWS service" in warnings[0]
    assert "iam:*" in warnings[1] and "admin" in warnings[1]
    assert "every s3 action" in warnings[2]
    assert "every resource" in warnings[3]
    assert ap.wildcard_warnings(ao.parse_options(entry(**GOOD))) == []


def test_documents_are_exact() -> None:
    options = ao.parse_options(
        entry(**GOOD, conditions={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}})
    )
    assert ap.permission_policy(options) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AgentAuthScope",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::dev-assets", "arn:aws:s3:::dev-assets/*"],
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}},
            }
        ],
    }
    until = datetime(2026, 11, 28, 17, 0, 5, 123, tzinfo=UTC)
    assert ap.trust_policy("arn:aws:iam::123456789012:user/me", until) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AgentAuthTrust",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/me"},
                "Action": "sts:AssumeRole",
                "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-11-28T17:00:05Z"}},
            }
        ],
    }
    assert ap.revoke_older_sessions_policy(until)["Statement"] == [
        {
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-28T17:00:05Z"}},
        }
    ]


def test_session_duration_defaults_and_chaining_cap() -> None:
    plain = ao.parse_options(entry(actions=["s3:GetObject"], resources=["*"]))
    assert ao.session_duration(plain, 8 * 3600, chained=False) == (3600, "")
    assert ao.session_duration(plain, 1800, chained=False) == (1800, "")
    assert ao.session_duration(plain, 60, chained=False) == (900, "")
    two_hours = ao.parse_options(entry(**{**GOOD, "duration": "2h"}))
    assert ao.session_duration(two_hours, 3600, chained=False) == (7200, "")
    seconds, note = ao.session_duration(two_hours, 3600, chained=True)
    assert seconds == 3600
    assert "capped at 1h" in note and "role chaining" in note


@pytest.mark.parametrize(
    ("arn", "kind", "name", "temporary"),
    [
        ("arn:aws:iam::123456789012:user/dev/alice", "user", "alice", False),
        ("arn:aws:iam::123456789012:root", "root", "root", False),
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_1a/alice",
            "assumed-role",
            "AWSReservedSSO_Dev_1a",
            True,
        ),
        ("arn:aws-cn:sts::123456789012:federated-user/bob", "federated-user", "bob", True),
        ("not-an-arn", "other", "not-an-arn", False),
    ],
)
def test_parse_caller(arn: str, kind: str, name: str, temporary: bool) -> None:
    caller = ap.parse_caller(arn)
    assert (caller.kind, caller.name, caller.temporary) == (kind, name, temporary)


def test_names_fit_iam_limits() -> None:
    long_agent = "a-very-long-agent-name-" * 4
    role = ap.identity_name(long_agent, "0123abcd")
    assert len(role) <= 64 and role.startswith("agentauth-") and role.endswith("-0123abcd")
    session = ap.session_name("claude code/ü", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert session == "agentauth-claude-code-20260102T030405Z"
    assert len(ap.session_name(long_agent, datetime.now(UTC))) <= 64


def test_presets_validate_once_filled() -> None:
    assert set(PRESETS) == {
        "read-bucket",
        "invoke-staging-lambda",
        "read-dynamodb-table",
        "deploy-staging",
    }
    for name in PRESETS:
        with pytest.raises(ConfigError, match="placeholder"):
            PROVIDER.validate(entry(**PRESETS[name]))
    filled = ao.preset(
        "read-dynamodb-table", region="eu-west-1", account="123456789012", table="orders"
    )
    options = ao.parse_options(entry(**filled))
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/orders" in options.resources
    assert ap.wildcard_warnings(options) == []
    bucket = ao.parse_options(entry(**ao.preset("read-bucket", bucket="dev-assets")))
    assert bucket.resources == ("arn:aws:s3:::dev-assets", "arn:aws:s3:::dev-assets/*")
    with pytest.raises(ConfigError, match="unknown AWS preset"):
        ao.preset("root-everything")


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("document", "severity"),
    [
        (_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), Severity.CRITICAL),
        (_doc({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}), Severity.CRITICAL),
        (_doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}), Severity.CRITICAL),
        (_doc({"Effect": "Allow", "Action": "iam:Put*", "Resource": "*"}), Severity.CRITICAL),
        (_doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), Severity.CRITICAL),
        (_doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), Severity.HIGH),
        (_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), Severity.HIGH),
        (_doc({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}), Severity.HIGH),
        (_doc({"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}), Severity.HIGH),
        (_doc({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}), Severity.HIGH),
        (
            _doc({"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": "*"}),
            Severity.MEDIUM,
        ),
        (_doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}), Severity.LOW),
        (_doc({"Effect": "Deny", "Action": "*", "Resource": "*"}), Severity.INFO),
    ],
)
def test_policy_rating(document: dict[str, Any], severity: Severity) -> None:
    assert analyse([("p", document)]).severity() is severity


def test_policy_rating_reads_url_encoded_json() -> None:
    text = "%7B%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22*%22%2C%20%22Resource%22%3A%20%22*%22%7D%5D%7D"  # noqa: E501
    facts = analyse([("p", text)], PolicyFacts())
    assert facts.admin


def test_pairing_prefers_the_same_prefix() -> None:
    from agentauth.model import Finding

    def f(value: str, variable: str) -> Finding:
        return verify_finding("aws", "r", variable, value)

    related = {
        "AWS_SECRET_ACCESS_KEY": Secret("A" * 40),
        "PROD_AWS_SECRET_ACCESS_KEY": Secret("B" * 40),
        "PROD_AWS_SESSION_TOKEN": Secret("T" * 80),
        "PROD_AWS_ACCESS_KEY_ID": Secret("ASIAPRODPRODPRODPROD"),
    }
    creds = pair(f("AKIAABCDEFGHIJKLMNOP", "PROD_AWS_ACCESS_KEY_ID"), related)
    assert creds is not None and creds.secret_access_key.reveal() == "B" * 40
    assert creds.session_token is not None and creds.session_token.reveal() == "T" * 80
    back = pair(f("B" * 40, "PROD_AWS_SECRET_ACCESS_KEY"), related)
    assert back is not None and back.access_key_id == "ASIAPRODPRODPRODPROD"
    assert pair(f("not-a-key", "X"), related) is None


def test_endpoint_and_region_resolution() -> None:
    source = {
        "AWS_ENDPOINT_URL": Secret("http://127.0.0.1:5000"),
        "AWS_REGION": Secret("eu-west-1"),
    }
    environ = {"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:6000", "AWS_DEFAULT_REGION": "us-west-2"}
    assert endpoint_for("sts", source, environ) == "http://127.0.0.1:5000"
    assert endpoint_for("iam", {}, environ) == "http://127.0.0.1:6000"
    assert endpoint_for("s3", {}, environ) is None
    assert region_for(None, source, environ) == "eu-west-1"
    assert region_for(None, {}, environ) == "us-west-2"
    assert region_for("ap-south-1", source, environ) == "ap-south-1"
    assert region_for(None, {}, {}) == "us-east-1"


def _denied() -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "AssumeRole")


def test_with_retry_waits_out_eventual_consistency() -> None:
    attempts = {"n": 0}
    sleeps: list[float] = []

    def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise _denied()
        return "ok"

    assert with_retry(flaky, delays=(1, 2, 4), sleep=sleeps.append) == "ok"
    assert sleeps == [1, 2]


def test_with_retry_is_bounded_and_selective() -> None:
    sleeps: list[float] = []

    def always() -> str:
        raise _denied()

    with pytest.raises(ClientError):
        with_retry(always, delays=(1, 2), sleep=sleeps.append)
    assert sleeps == [1, 2]

    def other() -> str:
        raise ClientError({"Error": {"Code": "MalformedPolicyDocument"}}, "AssumeRole")

    with pytest.raises(ClientError):
        with_retry(other, delays=(1, 2), sleep=sleeps.append)
    assert sleeps == [1, 2]


def test_make_policy_helper_builds_one_aws_entry() -> None:
    policy = make_policy(GOOD)
    assert policy.credentials[0].provider == "aws"
