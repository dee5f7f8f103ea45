"""Suite-wide pytest configuration: plugins that provide real servers, hypothesis settings."""

from hypothesis import HealthCheck, settings

# Resolved relative to this file's package so the plugin loads whether or not
# tests/ itself is a package.
pytest_plugins = [f"{__package__}.fixtures.postgres" if __package__ else "fixtures.postgres"]

# Shared CI machines stall for hundreds of milliseconds at times: a per-example
# deadline would turn that into a failure that says nothing about the code.
settings.register_profile(
    "loka",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("loka")
