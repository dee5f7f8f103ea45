"""The miner-facing asyncio edge: listeners, sessions, job broadcast."""
