"""Records deployer's requests to moto for the contract test (filled in; see install())."""
from __future__ import annotations


def install() -> None:
    """Does nothing unless DEPLOYER_CONTRACT_DIR is set."""
