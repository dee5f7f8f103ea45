"""HTTP surfaces. `HealthServer`: the internal `/health`, `/ready`, `/live` and metrics.

Serves inside the pool's event loop (see `server`); reads the pool through the
`subject.HealthSubject` protocol only.
"""

from loka_stratum.api.health import create_health_app
from loka_stratum.api.models import HealthReport, Liveness, Readiness
from loka_stratum.api.report import HealthReporter, format_uptime
from loka_stratum.api.server import HealthServer
from loka_stratum.api.subject import HealthSubject

__all__ = [
    "HealthReport",
    "HealthReporter",
    "HealthServer",
    "HealthSubject",
    "Liveness",
    "Readiness",
    "create_health_app",
    "format_uptime",
]
