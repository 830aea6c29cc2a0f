"""Static files storage: WhiteNoise's pre-compressed files, compressed once per file version."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from whitenoise.storage import CompressedStaticFilesStorage

_SAME_MTIME_NS = 1_000_000


class IncrementalCompressedStaticFilesStorage(CompressedStaticFilesStorage):
    """WhiteNoise's storage that skips files whose compressed copies are already up to date.

    `salesflow serve` runs collectstatic on every start and Django hands post-processing every
    found file, copied or not; WhiteNoise then Brotli- and gzip-compresses all of them at the
    highest levels (a minute or more on two cores for ECharts, Tabler and the admin). WhiteNoise
    stamps each `.br`/`.gz` with its source's mtime, and collectstatic rewrites a source only
    when it changed (new mtime), so equal mtimes mean the compressed copy is of this version.
    """

    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any) -> Iterator[Any]:
        """Compress only the collected files without an up-to-date compressed copy."""
        stale = {path: found for path, found in paths.items() if not self._compressed_is_current(path)}
        yield from super().post_process(stale, dry_run=dry_run, **options)

    def _compressed_is_current(self, path: str) -> bool:
        full_path = self.path(path)
        try:
            source_mtime = os.stat(full_path).st_mtime_ns
        except FileNotFoundError:
            return False
        copies = [full_path + suffix for suffix in (".br", ".gz")]
        mtimes = [os.stat(copy).st_mtime_ns for copy in copies if os.path.exists(copy)]
        # A file that did not compress well has no copy; it is small or already compressed
        # (WhiteNoise skips fonts and images by extension), so compressing it again is cheap.
        # WhiteNoise sets the copy's mtime from a float, which may round the nanoseconds.
        return bool(mtimes) and all(abs(mtime - source_mtime) < _SAME_MTIME_NS for mtime in mtimes)


# Not collected: source maps are for a developer's browser tools only, and Django Ninja's alone
# (Swagger UI, ReDoc) are 5.5 MB, the largest files collectstatic would compress. Passed to
# collectstatic by `serve` rather than set on a custom staticfiles AppConfig: tools look for
# "django.contrib.staticfiles" by name in INSTALLED_APPS (pytest-django's live server serves
# static files only then).
IGNORE_PATTERNS = ["*.map"]
