"""Settings for Serverless AS2, read once from environment variables.

Every setting has a safe default for one machine (SQLite and local files under
``SAS2_DATA_DIR``). Set ``SAS2_PRODUCTION=1`` behind HTTPS to turn on the secure
cookies, HSTS and HTTPS redirect that ``manage.py check --deploy`` asks for.
"""

import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from serverless_as2.data_folder import PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE, private_folder

BASE_DIR = Path(__file__).resolve().parent.parent
env = os.environ
# Lambda sets this in every function's environment.
ON_LAMBDA = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = env.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read a whole-number environment variable."""
    value = env.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_float(name: str, default: float) -> float:
    """Read a decimal-number environment variable."""
    value = env.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in env.get(name, default).split(",") if item.strip()]


def secret_from_env_or_file(name: str, path: Path, make: Callable[[], str]) -> str:
    """Take a secret from the environment, else from a file made on first run (one machine)."""
    if env.get(name):
        return env[name]
    if ON_LAMBDA:
        # Lambda's disk lasts one container: a made-up key would change at every cold start,
        # logging everyone out and leaving the stored keystore passwords unreadable.
        raise ImproperlyConfigured(f"{name} must be set in the function's environment on Lambda.")
    if not path.exists():
        # Several processes may start at once (gunicorn workers): each writes a whole file
        # aside, and only the first is linked into place, so all of them read the same secret.
        private_folder(path.parent)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(make())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def fernet_key_generate() -> str:
    """A new Fernet key (first run only: cryptography stays off every other start's path)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


DATA_DIR = Path(env.get("SAS2_DATA_DIR", BASE_DIR / "var")).resolve()
PRODUCTION = env_bool("SAS2_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = secret_from_env_or_file(
    "DJANGO_SECRET_KEY", DATA_DIR / "secret_key", lambda: secrets.token_urlsafe(50)
)
# Key-encryption key for secrets at rest (keystore and HTTP passwords): a Fernet key.
KEY_ENCRYPTION_KEY = secret_from_env_or_file(
    "SAS2_KEY_ENCRYPTION_KEY",
    DATA_DIR / "key_encryption_key",
    fernet_key_generate,
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Public base URL partners use to reach us (e.g. https://as2.example.com); else the request's host.
PUBLIC_BASE_URL = env.get("SAS2_PUBLIC_BASE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "serverless_as2",
    "partnerships",
    "certificates",
    "tracklog",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "serverless_as2.middleware.RequestBodyLimitMiddleware",
    "serverless_as2.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Turns a locked-out login (django-axes) into a 429 page; last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "serverless_as2.urls"
WSGI_APPLICATION = "serverless_as2.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "serverless_as2.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'serverless_as2.sqlite3'}"),
        conn_max_age=int(env.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (gunicorn workers, the task worker) write at once: WAL lets readers go on
    # during a write, IMMEDIATE takes the write lock at BEGIN (no deadlock on lock upgrade), and
    # the timeout makes a writer wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;"
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "serverless_as2.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login rate limit (django-axes): after SAS2_LOGIN_FAILURE_LIMIT wrong passwords for one e-mail
# from one address, that pair is refused (HTTP 429, no password checked) for
# SAS2_LOGIN_LOCKOUT_MINUTES; a right password before then resets that e-mail's count. An
# address is refused the same way after SAS2_LOGIN_ADDRESS_FAILURE_LIMIT wrong passwords
# whatever the e-mails (serverless_as2.accounts.LoginLimitHandler). Failures are logged and
# recorded (admin: Access attempts) with the password masked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SAS2_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SAS2_LOGIN_LOCKOUT_MINUTES", 15))
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("SAS2_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # the handler's order
AXES_HANDLER = "serverless_as2.accounts.LoginLimitHandler"
# Proxies of ours in front of the app (a TLS-terminating nginx: 1). Without it every login
# behind a proxy comes from the proxy's address, and one address's limit would be everyone's.
PROXY_COUNT = env_int("SAS2_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "serverless_as2.accounts.client_address"
AXES_USERNAME_CALLABLE = "serverless_as2.accounts.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.get("SAS2_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Stored files (keystores, certificates, EDI payloads, MDNs): local files by default, S3 when
# a bucket is named. Keys always start with private/<tenant_id>/.
S3_BUCKET = env.get("SAS2_S3_BUCKET", "")
if S3_BUCKET:
    file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.get("SAS2_S3_ENDPOINT_URL") or None,
            "region_name": env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
            "default_acl": None,
            "querystring_auth": True,
            # Copy EDI/MDN URL links are presigned: SigV4, which every region accepts.
            "signature_version": "s3v4",
            "file_overwrite": True,
        },
    }
else:
    if not ON_LAMBDA:
        private_folder(DATA_DIR)
    file_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Keys are chosen by our code, never by uploaders: writing a key again replaces the file
        # (as on S3), without an exists() check per write.
        "OPTIONS": {
            "location": DATA_DIR / "files",
            "allow_overwrite": True,
        },
    }
# Files Django writes (stored files, uploads, collected static files) and their folders.
FILE_UPLOAD_PERMISSIONS = PRIVATE_FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = PRIVATE_FOLDER_MODE
STORAGES = {
    "default": file_storage,
    "staticfiles": {
        "BACKEND": env.get(
            "SAS2_STATICFILES_BACKEND", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Form posts keep Django's default limit: no page posts large fields (files go through upload
# handlers). The AS2 endpoint never reads request.body: it reads the stream itself, up to
# MAX_MESSAGE_BYTES, and refuses a larger Content-Length before reading anything.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Messaging (AS2 endpoint, sending, retries, background work) ---------------------------------
# Largest AS2 message (HTTP body) the endpoint accepts, and largest payload a send may carry.
MAX_MESSAGE_BYTES = env_int("SAS2_MAX_MESSAGE_BYTES", 100 * 1024 * 1024)
# Largest request body per route (path prefix), refused with 413 before it is read or spooled
# (serverless_as2.middleware); other routes: REQUEST_BODY_MAX_BYTES. None: the view reads its own
# body, bounded (the AS2 endpoint). Send File posts its files together; certificate pages post a
# keystore and a partner certificate of at most 1 MB each.
REQUEST_BODY_MAX_BYTES = 262_144
REQUEST_BODY_LIMITS: dict[str, int | None] = {
    "as2/": None,
    "send/": MAX_MESSAGE_BYTES + 1_048_576,
    "certificates/": 3 * 1_048_576,
}
# Outbound: how many attempts in all, and the first retry's delay (doubled at each retry).
SEND_ATTEMPTS = env_int("SAS2_SEND_ATTEMPTS", 5)
SEND_RETRY_BASE_SECONDS = env_float("SAS2_SEND_RETRY_BASE_SECONDS", 60.0)
SEND_RETRY_MAX_SECONDS = env_float("SAS2_SEND_RETRY_MAX_SECONDS", 3600.0)
# Seconds to wait for a partner to connect and to answer (a sync MDN can take a while).
SEND_CONNECT_TIMEOUT_SECONDS = env_float("SAS2_SEND_CONNECT_TIMEOUT_SECONDS", 10.0)
SEND_TIMEOUT_SECONDS = env_float("SAS2_SEND_TIMEOUT_SECONDS", 120.0)
# Outbound messages whose async MDN has not arrived after this many hours fail (29).
ASYNC_MDN_WAIT_HOURS = env_float("SAS2_ASYNC_MDN_WAIT_HOURS", 24.0)
# A message signed with a partner certificate replaced less than this many days ago is accepted
# (with a warning in the TrackLog): partners switch certificates a little after we do.
PREVIOUS_CERTIFICATE_GRACE_DAYS = env_int("SAS2_PREVIOUS_CERTIFICATE_GRACE_DAYS", 30)
# Partner URLs (messages, async MDNs) that resolve to loopback, private, link-local or metadata
# addresses are refused unless this is on (tests, labs, the demo's loopback partnership).
ALLOW_PRIVATE_PARTNER_URLS = env_bool("SAS2_ALLOW_PRIVATE_PARTNER_URLS")


def bind_base_url(bind: str) -> str:
    """The http:// base URL of gunicorn's --bind address (`make run`), as this machine reaches it.

    A wildcard host (0.0.0.0, ::, empty) is reached at loopback; no port is gunicorn's 8000; a
    unix socket has no URL, so the default stays (set SAS2_SELF_URL behind the proxy).
    """
    bind = bind.strip()
    if bind.startswith(("unix:", "fd://")):
        return "http://127.0.0.1:8000"
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":") or "8000"
        host = "::1" if host in ("", "::") else host
        return f"http://[{host}]:{port}"
    host, _, port = bind.rpartition(":") if ":" in bind else (bind, "", "")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 (a wildcard, read)
    return f"http://{host}:{port or '8000'}"


# How this server is reached, by partners and by itself: the base of the Receipt-Delivery-Option
# URL of our async MDN requests, of the demo's loopback partnership and of the login the demo
# prints. SAS2_SELF_URL, else SAS2_PUBLIC_BASE_URL; on one machine, where `make run` listens
# (SAS2_BIND, as scripts/serve reads it).
SELF_BASE_URL = (
    env.get("SAS2_SELF_URL")
    or PUBLIC_BASE_URL
    or bind_base_url(env.get("SAS2_BIND") or "127.0.0.1:8000")
).rstrip("/")
# Seconds a process keeps a partnership it looked up for received messages (changes saved in the
# same process apply at once; other processes see them after at most this long).
PARTNERSHIP_CACHE_SECONDS = env_float("SAS2_PARTNERSHIP_CACHE_SECONDS", 5.0)
# Lifetime of the Copy EDI URL / Copy MDN URL links of the TrackLog, in seconds.
TRACKLOG_LINK_MAX_AGE = env_int("SAS2_TRACKLOG_LINK_SECONDS", 3600)
# Background work: Django's tasks framework with the database backend; `manage.py db_worker`
# runs the tasks, `manage.py as2_run_due` picks up due work a lost task left behind.
TASKS = {
    "default": {
        "BACKEND": env.get("SAS2_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# E-mail (certificate expiry notices): printed to the console on one machine, SMTP in production.
MAILERS = {
    "default": {
        "BACKEND": env.get(
            "DJANGO_EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if PRODUCTION
            else "django.core.mail.backends.console.EmailBackend",
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": env.get("DJANGO_EMAIL_HOST", "localhost" if PRODUCTION else None),
                "port": int(env["DJANGO_EMAIL_PORT"]) if env.get("DJANGO_EMAIL_PORT") else None,
                "username": env.get("DJANGO_EMAIL_USER"),
                "password": env.get("DJANGO_EMAIL_PASSWORD"),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS") or None,
            }.items()
            if value is not None
        },
    }
}
DEFAULT_FROM_EMAIL = env.get("DJANGO_DEFAULT_FROM_EMAIL", "Serverless AS2 <noreply@localhost>")

# Security headers. A strict CSP: our own scripts and styles only, nothing inline.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A login lasts a working day from when it was made (Django's default is two weeks).
SESSION_COOKIE_AGE = env_int("SAS2_SESSION_HOURS", 12) * 3600
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and not env_bool("SAS2_BEHIND_TLS_PROXY_WITHOUT_REDIRECT")
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("SAS2_TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The AS2 endpoint is reached over plain HTTP by some partners: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^as2/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get("SAS2_LOG_LEVEL", "INFO")},
}

# --- Serverless: AWS Lambda and KMS (owned by the serverless work; keep this block together) ---
# An AWS KMS key (id, ARN or alias/...) that wraps the data keys sealing secrets at rest; empty:
# secrets are sealed with the local KEY_ENCRYPTION_KEY. Tokens sealed either way keep opening.
KMS_KEY_ID = env.get("SAS2_KMS_KEY_ID", "")
KMS_ENDPOINT_URL = env.get("SAS2_KMS_ENDPOINT_URL") or None  # a non-AWS endpoint (tests: moto)
AWS_REGION_NAME = env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
# The management command that runs the background work that is due; Zappa's scheduled event
# (serverless_as2.lambda_events.run_due_work) calls it every minute on Lambda.
DUE_WORK_COMMAND = env.get("SAS2_DUE_WORK_COMMAND", "as2_run_due")
# Running serverless (on Lambda, or SAS2_SERVERLESS=1 to see its limits elsewhere): the
# partnership page warns where a setting could exceed them and Send File refuses larger files.
SERVERLESS = ON_LAMBDA or env_bool("SAS2_SERVERLESS")
# This function's name on Lambda (set by Lambda): serverless_as2.lambda_tasks invokes itself.
LAMBDA_FUNCTION_NAME = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
# Static files collected at package time into the Lambda zip (`make package`): the data folder
# of a Lambda is an empty /tmp, where the manifest storage would find no manifest. Relative to
# the project folder (/var/task on Lambda).
if env.get("SAS2_STATIC_ROOT"):
    STATIC_ROOT = BASE_DIR / env["SAS2_STATIC_ROOT"]
# --- end of the serverless block ---
