#!/usr/bin/env python3
"""moto_server for the tests, as `moto_server -H 127.0.0.1 -p PORT` runs it, with two additions
made in this process only (nothing on disk changes):

- moto_gaps.install(): the operations and behaviours moto 5.2 lacks that deployer uses
  (see moto_gaps.py for each patch and why);
- Tests/contract/recorder.install(): when DEPLOYER_CONTRACT_DIR is set, every request that
  deployer sends (User-Agent deployer/…) is written there for the contract test.

Usage: python3 moto_launcher.py -H 127.0.0.1 -p PORT   (Tests/peers/start.sh runs it)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "contract"))


def install() -> None:
    """The gap patches and the recorder; moto_iam.py (the e2e launcher) calls this too."""
    import moto_gaps
    import recorder

    moto_gaps.install()
    recorder.install()


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
