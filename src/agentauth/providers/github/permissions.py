"""GitHub's permission names and levels, and which of them are high risk.

Why a module of its own: the catalogue is data (GitHub's app-permissions schema), read
by the option parser, the plan's warnings and the PAT template URL alike.
"""

from __future__ import annotations

# NOTE(F): repository, organization and account permission names accepted by
# POST /app/installations/{id}/access_tokens (app-permissions schema) and by the
# fine-grained PAT template URL (docs "Pre-filling fine-grained personal access token
# details using URL parameters"). Unknown names are rejected so a typo cannot silently
# produce a token without the permission (or GitHub's 422 at apply time).
REPOSITORY_PERMISSIONS = frozenset(
    {
        "actions",
        "actions_variables",
        "administration",
        "artifact_metadata",
        "attestations",
        "checks",
        "code_quality",
        "codespaces",
        "codespaces_lifecycle_admin",
        "codespaces_metadata",
        "codespaces_secrets",
        "contents",
        "dependabot_secrets",
        "deployments",
        "discussions",
        "environments",
        "issues",
        "merge_queues",
        "metadata",
        "packages",
        "pages",
        "pull_requests",
        "repository_advisories",
        "repository_custom_properties",
        "repository_hooks",
        "repository_projects",
        "secret_scanning_alerts",
        "secrets",
        "security_events",
        "single_file",
        "statuses",
        "vulnerability_alerts",
        "workflows",
    }
)
ORGANIZATION_PERMISSIONS = frozenset(
    {
        "members",
        "issue_types",
        "team_discussions",
        "organization_administration",
        "organization_announcement_banners",
        "organization_copilot_seat_management",
        "organization_custom_org_roles",
        "organization_custom_properties",
        "organization_custom_roles",
        "organization_events",
        "organization_hooks",
        "organization_packages",
        "organization_personal_access_token_requests",
        "organization_personal_access_tokens",
        "organization_plan",
        "organization_projects",
        "organization_secrets",
        "organization_self_hosted_runners",
        "organization_user_blocking",
    }
)
ACCOUNT_PERMISSIONS = frozenset(
    {
        "email_addresses",
        "followers",
        "git_ssh_keys",
        "gpg_keys",
        "interaction_limits",
        "profile",
        "starring",
    }
)
PERMISSIONS = REPOSITORY_PERMISSIONS | ORGANIZATION_PERMISSIONS | ACCOUNT_PERMISSIONS
LEVELS = ("read", "write", "admin")
ADMIN_ALLOWED = frozenset({"organization_projects", "organization_custom_properties"})
WRITE_ONLY = frozenset({"workflows"})
READ_ONLY = frozenset({"metadata"})

# Permissions that let the holder change what runs, who has access or what is secret:
# the plan warns when a policy asks for them.
HIGH_RISK = frozenset(
    {
        "administration",
        "secrets",
        "workflows",
        "actions_variables",
        "dependabot_secrets",
        "codespaces_secrets",
        "environments",
        "repository_hooks",
    }
) | {p for p in ORGANIZATION_PERMISSIONS if p.startswith("organization_")}
