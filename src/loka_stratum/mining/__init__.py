"""Pure mining domain: jobs, share validation, vardiff, extranonce allocation.

No I/O, no clock, no asyncio: time is passed in as ``now``.
"""
