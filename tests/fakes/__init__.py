"""In-process stand-ins for external servers (bitcoind, ...), scripted by tests."""
