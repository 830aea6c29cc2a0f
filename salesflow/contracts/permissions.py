"""Who may read and work on contracts and collections.

Reading: the owner, their managers and company-wide roles (owner scope), the project manager,
whoever holds an open to-do about the contract, and finance and legal for every contract
(finance collects the money, legal reviews clauses). Working on a contract (plan, review,
signing, delivery): its owner and their managers; the project manager moves delivery and
raises payment requests. Only finance records money received.
"""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role

CONTRACT_READERS_ALL = frozenset({Role.FINANCE, Role.LEGAL})


def records_payments(user: Any) -> bool:
    """Whether `user` records money received (finance)."""
    return getattr(user, "role", "") == Role.FINANCE
