from django.apps import AppConfig


class TracklogConfig(AppConfig):
    name = "tracklog"
    verbose_name = "TrackLog"
