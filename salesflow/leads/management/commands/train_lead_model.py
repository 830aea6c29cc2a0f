"""`salesflow train_lead_model`: fit the learned lead score now (the worker also does it nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from salesflow.core import clock
from salesflow.leads import learned


class Command(BaseCommand):
    help = "Train the learned lead score on won and lost leads (needs the pack's minimum history)."

    def handle(self, *args: Any, **options: Any) -> None:
        model = learned.train(now=clock.now())
        if model is None:
            self.stdout.write("not enough won and lost leads yet (see scoring.learned in the rule pack)")
            return
        accuracy = f"{model.accuracy:.0%}" if model.accuracy is not None else "n/a"
        self.stdout.write(
            f"trained on {model.samples} leads ({model.won} won), cross-validated accuracy {accuracy}"
        )
