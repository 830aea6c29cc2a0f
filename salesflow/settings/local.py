"""Local settings: the embedded default (SQLite under var/, demo data, loopback only)."""

from .base import *  # noqa: F403
from .base import VAR_DIR

VAR_DIR.mkdir(parents=True, exist_ok=True)
