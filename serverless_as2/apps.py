from django.apps import AppConfig
from django.conf import settings

from serverless_as2.data_folder import private_sqlite_file


class ServerlessAs2Config(AppConfig):
    name = "serverless_as2"
    verbose_name = "Tenants and users"

    def ready(self) -> None:
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3" and not settings.ON_LAMBDA:
            private_sqlite_file(str(database["NAME"]), data_dir=settings.DATA_DIR)
