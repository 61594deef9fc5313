"""WSGI entry point, used by gunicorn on one machine and by Zappa on Lambda."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serverless_as2.settings")

application = get_wsgi_application()
