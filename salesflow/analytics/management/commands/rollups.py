"""`salesflow rollups rebuild|refresh|status`: the cockpit's daily roll-ups by hand.

`rebuild` recomputes every row from the stage history (and from then on the worker keeps them
current); `refresh` takes in the events since the last refresh now instead of waiting for the
worker; `status` says whether the cockpit reads the roll-up and as of when.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from salesflow.analytics import rollups
from salesflow.analytics.models import StageEntryDay
from salesflow.core import clock


class Command(BaseCommand):
    help = "Rebuild, refresh or show the cockpit's daily roll-ups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh", "status"])

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "rebuild":
            result = rollups.rebuild()
            self.stdout.write(json.dumps({"rebuilt": result.as_dict()}))
            return
        if opts["action"] == "refresh":
            done = rollups.refresh()
            if done is None:
                self.stdout.write("No roll-up is built: the cockpit reads live (see `rollups rebuild`).")
                return
            self.stdout.write(json.dumps({"refreshed": done.as_dict()}))
            return
        current = rollups.state()
        if current is None:
            self.stdout.write("The cockpit reads live; no roll-up is built.")
            return
        self.stdout.write(
            json.dumps(
                {
                    "refreshed_at": clock.to_local(current.refreshed_at).isoformat(),
                    "rebuilt_at": clock.to_local(current.rebuilt_at).isoformat(),
                    "last_event_id": current.last_event_id,
                    "rows": StageEntryDay.objects.count(),
                }
            )
        )
