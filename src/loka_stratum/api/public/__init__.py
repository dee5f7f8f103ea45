"""The public API and dashboard port (default 0.0.0.0:8080): pool statistics for miners
and the bearer-token admin routes for operators. `PublicApiServer` serves it in the
pool's event loop; `create_public_app` builds the ASGI app over a `PublicPool`.
"""

from loka_stratum.api.public.app import OPENAPI_URL, create_public_app
from loka_stratum.api.public.protection import ProtectionControl, ProtectionMode, protected_policy
from loka_stratum.api.public.ratelimit import RateLimit
from loka_stratum.api.public.server import PublicApiServer
from loka_stratum.api.public.subject import PublicPool

__all__ = [
    "OPENAPI_URL",
    "ProtectionControl",
    "ProtectionMode",
    "PublicApiServer",
    "PublicPool",
    "RateLimit",
    "create_public_app",
    "protected_policy",
]
