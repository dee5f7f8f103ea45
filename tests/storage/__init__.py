"""Storage tests: every repository and batcher test runs on SQLite and PostgreSQL."""
