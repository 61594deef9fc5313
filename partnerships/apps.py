from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "AS2 instances, partners and partnerships"

    def ready(self) -> None:
        from partnerships.dashboard import partnership_attention, partnership_setup_steps
        from serverless_as2.dashboard import attention_source_register, setup_step_source_register

        attention_source_register(partnership_attention)
        setup_step_source_register(partnership_setup_steps)
