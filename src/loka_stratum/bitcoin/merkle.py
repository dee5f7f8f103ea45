"""Bitcoin's transaction merkle tree (internal byte order throughout).

An odd level duplicates its last hash (the CVE-2012-2459 quirk consensus
keeps). Stratum sends miners the *coinbase branch*: the siblings along the
path of leaf 0, so a miner can fold its own coinbase txid up to the root.
These functions run per job and per share, so they use hashlib directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_sha256 = hashlib.sha256


def _next_level(level: list[bytes]) -> list[bytes]:
    if len(level) & 1:
        level.append(level[-1])
    return [
        _sha256(_sha256(level[i] + level[i + 1]).digest()).digest() for i in range(0, len(level), 2)
    ]


def merkle_root(hashes: Sequence[bytes]) -> bytes:
    """Root of the tree over ``hashes``; a single hash is its own root."""
    if not hashes:
        raise ValueError("merkle root of an empty list")
    level = list(hashes)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def merkle_branch(hashes: Sequence[bytes], index: int = 0) -> list[bytes]:
    """Sibling hashes from leaf ``index`` up to (not including) the root."""
    if not 0 <= index < len(hashes):
        raise IndexError(f"leaf {index} outside a tree of {len(hashes)}")
    level = list(hashes)
    branch: list[bytes] = []
    while len(level) > 1:
        sibling = index ^ 1
        branch.append(level[sibling] if sibling < len(level) else level[index])
        level = _next_level(level)
        index >>= 1
    return branch


def coinbase_merkle_branch(txids_without_coinbase: Sequence[bytes]) -> list[bytes]:
    """Stratum's ``merkle_branch``: siblings of the (unknown) coinbase at leaf 0."""
    return merkle_branch([bytes(32), *txids_without_coinbase], 0)


def root_from_branch(leaf: bytes, branch: Sequence[bytes], index: int = 0) -> bytes:
    """Fold ``leaf`` up through ``branch`` to the root it commits to."""
    node = leaf
    for sibling in branch:
        pair = sibling + node if index & 1 else node + sibling
        node = _sha256(_sha256(pair).digest()).digest()
        index >>= 1
    return node
