"""Challenge-response with the federation's shared secret; the secret never crosses the wire.

Each side sends a fresh random nonce with its node name; the other answers
``HMAC-SHA256(secret, nonce + answerer's node name)``. The answer is bound to
the nonce, so one recorded from an earlier link is useless on the next (the
nonce differs); and to the answerer's name, so a peer cannot reflect our own
challenge back at us and pass our answer off as its own (we refuse a challenge
that names us or carries our nonce).
"""

from __future__ import annotations

import hashlib
import hmac


def answer_mac(secret: bytes, nonce: bytes, answerer: str) -> bytes:
    """What ``answerer`` sends to prove it knows ``secret`` for the challenge ``nonce``."""
    return hmac.new(secret, nonce + answerer.encode(), hashlib.sha256).digest()


def verify_answer(secret: bytes, nonce: bytes, answerer: str, mac: bytes) -> bool:
    """Constant-time check of an answer to our challenge ``nonce``."""
    return hmac.compare_digest(answer_mac(secret, nonce, answerer), mac)
