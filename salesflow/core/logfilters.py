"""Log filters: a refused request is one line in the server log, a crash keeps its traceback."""

from __future__ import annotations

import logging


class RefusalsOneLine(logging.Filter):
    """Drop the traceback from 4xx request records (e.g. "Forbidden (Permission denied): /x").

    Django logs a PermissionDenied raised in a view with its exception attached; a refusal
    is expected behaviour, and twenty lines of stack for each hides the real errors.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
