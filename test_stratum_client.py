"""Check a Stratum pool: `python test_stratum_client.py --host H --port P [--json] ...`.

A real CPU miner that subscribes, authorizes, mines and submits valid shares; the
exit code is the verdict (0 pass, 1 pool failed, 2 connection failed). The same
command is `loka-stratum client`; see `loka_stratum.client`.
"""

import sys
from pathlib import Path

_SRC = Path(__file__).resolve().parent / "src"
if _SRC.is_dir():
    sys.path.insert(0, str(_SRC))  # run from a checkout without installing

from loka_stratum.client.command import client_command  # noqa: E402

if __name__ == "__main__":
    client_command.main(prog_name="test_stratum_client.py")
