"""The static storage compresses each version of a file once, and history managers are reused."""

from __future__ import annotations

import os
from pathlib import Path

from salesflow.core.staticfiles import IncrementalCompressedStaticFilesStorage
from salesflow.org.models import User


def _post_process(root: Path, names: list[str]) -> list[str]:
    storage = IncrementalCompressedStaticFilesStorage(location=str(root), base_url="/static/")
    return [compressed for _name, compressed, _done in storage.post_process(dict.fromkeys(names))]


def test_collected_files_are_compressed_once_per_version(tmp_path: Path) -> None:
    script = tmp_path / "app.js"
    script.write_text("console.log('销售');\n" * 500)
    assert sorted(_post_process(tmp_path, ["app.js"])) == ["app.js.br", "app.js.gz"]
    assert _post_process(tmp_path, ["app.js"]) == []  # unchanged: the copies stand

    script.write_text("console.log('新版本');\n" * 500)
    later = script.stat().st_mtime_ns + 5_000_000_000
    os.utime(script, ns=(later, later))  # collectstatic copied a new version
    assert sorted(_post_process(tmp_path, ["app.js"])) == ["app.js.br", "app.js.gz"]


def test_history_manager_class_is_built_once() -> None:
    assert type(User.history) is type(User.history)
