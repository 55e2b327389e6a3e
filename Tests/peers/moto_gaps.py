"""Patches for what moto 5.2 lacks and deployer uses (filled in below; see install())."""
from __future__ import annotations


def install() -> None:
    """Applies every patch of this module to the moto imported in this process."""
