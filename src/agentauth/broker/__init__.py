"""The loopback TLS-intercepting proxy of ``run``: the agent holds phantoms, the broker the values.

Modules: ``resolver`` (phantom -> what it stands for; the seam delegation plugs into),
``phantom`` (making and recognising stand-ins), ``ca`` (the per-run session CA),
``enforce`` (the decision for one request, pure), ``proxy`` (the asyncio server),
``forward`` (one request upstream and its response streamed back), ``events``
(the ``request`` audit event). Imported only when a policy brokers something.
"""
