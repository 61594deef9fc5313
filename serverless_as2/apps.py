from django.apps import AppConfig


class ServerlessAs2Config(AppConfig):
    name = "serverless_as2"
    verbose_name = "Tenants and users"
