"""Test settings: the real settings module, pointed at a throwaway data folder.

DATABASE_URL (PostgreSQL run) and other variables still come from the environment.
"""

import atexit
import os
import shutil
import tempfile

if "SAS2_DATA_DIR" not in os.environ:  # processes the tests start share their parent's folder
    os.environ["SAS2_DATA_DIR"] = tempfile.mkdtemp(prefix="sas2-test-")
    atexit.register(shutil.rmtree, os.environ["SAS2_DATA_DIR"], ignore_errors=True)
os.environ.setdefault(
    "SAS2_STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

from serverless_as2.settings import *  # noqa: E402, F403

# Hashing passwords slowly protects real accounts; tests only need it to work.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Pages served in tests find static files through the finders, as runserver does.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
