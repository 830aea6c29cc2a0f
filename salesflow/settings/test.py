"""Test settings: fast password hashing, in-memory e-mail, the database from DATABASE_URL."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
LANGUAGE_CODE = "zh-hans"

# WhiteNoise warns about a missing static root on every request; tests serve from finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Browser tests point this at a file: the live server then serves each request on its own
# connection, as production does (WAL, busy timeout, immediate transactions). On Django's default
# in-memory test database every server thread shares the test's one connection, and two requests
# at once (a wall that polls while a rep writes) collide on it ("database table is locked").
_test_database_file = env.str("SALESFLOW_TEST_DATABASE_FILE", default="")  # noqa: F405
if _test_database_file and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _test_database_file}  # noqa: F405
