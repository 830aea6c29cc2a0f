"""The `salesflow` command: `salesflow demo|serve|worker|users|bench …` and `salesflow manage …`.

Every subcommand is a Django management command, so `salesflow manage X` reaches any of
Django's too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings.local")
    from django.core.management import execute_from_command_line

    if len(args) > 1 and args[1] == "manage":
        args = [args[0], *args[2:]]
    if len(args) == 1:
        args.append("help")
    execute_from_command_line(["salesflow", *args[1:]])


if __name__ == "__main__":
    main()
