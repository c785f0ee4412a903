"""The providers a policy may name, and the module that implements each: data, no imports.

Why below the provider layer: ``provider:`` in ``agentauth.yaml`` is checked when the
policy loads (``FILE:LINE``, with did-you-mean), and the policy parser must not import
the providers it names. :mod:`agentauth.providers` is the registry that uses this
table (``providers.get`` imports a module only when it is asked for); adding a
provider is one line here plus its module.
"""

from __future__ import annotations

# NOTE: module paths, not objects, so that reading the table imports no provider or SDK.
PROVIDERS: dict[str, str] = {
    "postgres": "agentauth.providers.postgres.provider",
    "mysql": "agentauth.providers.mysql.provider",
    "redis": "agentauth.providers.redis",
    "aws": "agentauth.providers.aws.provider",
    "github": "agentauth.providers.github.provider",
    "stripe": "agentauth.providers.stripe.provider",
    "http": "agentauth.providers.http",
}
