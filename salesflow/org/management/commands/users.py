"""`salesflow users list [--json]`: the people of the company."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from salesflow.org.models import User


class Command(BaseCommand):
    help = "List users with role, team and manager."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list users")
        listing.add_argument("--json", action="store_true", help="print JSON")
        listing.add_argument("--role", default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = User.objects.select_related("team", "manager").order_by("id")
        if opts.get("role"):
            qs = qs.filter(role=opts["role"])
        rows = [
            {
                "id": u.pk,
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "team": u.team.name if u.team else None,
                "manager": u.manager.username if u.manager else None,
            }
            for u in qs
        ]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:>5}  {r['username']:<14} {r['name'] or '':<8} {r['role']:<10} "
                f"{r['team'] or '—':<12} {r['manager'] or '—'}"
            )
