from django.apps import AppConfig


class TracklogConfig(AppConfig):
    name = "tracklog"
    verbose_name = "TrackLog"

    def ready(self) -> None:
        from serverless_as2.dashboard import failure_source_register, setup_step_source_register
        from tracklog.dashboard import message_failures, message_setup_steps

        failure_source_register(message_failures)
        setup_step_source_register(message_setup_steps)
