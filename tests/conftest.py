"""Suite-wide pytest configuration: plugins that provide real servers."""

# Resolved relative to this file's package so the plugin loads whether or not
# tests/ itself is a package.
pytest_plugins = [f"{__package__}.fixtures.postgres" if __package__ else "fixtures.postgres"]
