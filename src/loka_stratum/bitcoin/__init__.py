"""Pure Bitcoin primitives: hashing, serialization, scripts, addresses, blocks.

No I/O, no clock, no asyncio. Hashes are kept in internal byte order (as
serialized on the wire); only the ``*_hex`` display helpers reverse them.
"""
