from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from certificates.dashboard import certificate_attention, certificate_setup_steps
        from serverless_as2.dashboard import attention_source_register, setup_step_source_register

        attention_source_register(certificate_attention)
        setup_step_source_register(certificate_setup_steps)
