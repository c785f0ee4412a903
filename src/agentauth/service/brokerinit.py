"""What ``init`` proposes for API keys no provider can scope: a brokered entry, read-only.

Keys such as OpenAI's or Slack's cannot be narrowed at the provider, so instead of
``pass`` (the agent holds the real key) ``init`` writes ``provider: http`` with the
API's host and only read calls allowed; the human widens the ``allow`` list in
review. Paths follow each API's documented read endpoints.
"""

from __future__ import annotations

from typing import Any

PROPOSALS: dict[str, dict[str, Any]] = {
    "openai": {"hosts": ["api.openai.com"], "auth": "bearer",
               "allow": ["GET /v1/models", "GET /v1/models/*"]},
    "anthropic": {"hosts": ["api.anthropic.com"], "auth": "header:x-api-key",
                  "allow": ["GET /v1/models", "GET /v1/models/*"]},
    "slack": {"hosts": ["slack.com"], "auth": "bearer",
              "allow": ["GET /api/conversations.list", "GET /api/conversations.history",
                        "GET /api/users.list", "POST /api/auth.test"]},
    "sendgrid": {"hosts": ["api.sendgrid.com"], "auth": "bearer",
                 "allow": ["GET /v3/templates", "GET /v3/templates/*", "GET /v3/stats"]},
    "linear": {"hosts": ["api.linear.app"], "auth": "header:Authorization",
               "allow": ["POST /graphql"]},
    "huggingface": {"hosts": ["huggingface.co"], "auth": "bearer",
                    "allow": ["GET /api/models", "GET /api/models/**", "GET /api/whoami-v2"]},
    "groq": {"hosts": ["api.groq.com"], "auth": "bearer", "allow": ["GET /openai/v1/models"]},
    # NOTE: keys whose provider can scope them are brokered by their own provider (mode: broker).
    "stripe": {"mode": "broker",
               "allow": ["GET /v1/customers", "GET /v1/customers/*", "GET /v1/charges",
                         "GET /v1/charges/*"]},
    "github": {"mode": "broker",
               "allow": ["GET /repos/OWNER/REPO", "GET /repos/OWNER/REPO/**"]},
}  # fmt: skip
"""provider (as the audit names it) -> the entry's options (besides ``provider``)."""

NOTES = {
    "linear": "Linear's API is GraphQL (POST /graphql): reads and writes share one path",
    "github": "replace OWNER/REPO in the allow rules with the repositories the agent reads",
}


def proposal(provider: str | None) -> tuple[str, dict[str, Any]] | None:
    """Return (policy provider, options) of the brokered entry for ``provider``, or None."""
    if provider is None or provider not in PROPOSALS:
        return None
    options = dict(PROPOSALS[provider])
    return (provider if "mode" in options else "http"), options
