"""Forms for instances, partners and partnerships.

A partnership's rules are `partnerships.services.partnership_validate`, which the model's
`clean()` runs for this form as for the admin's; the form only offers the tenant's own rows.
"""

from django import forms
from django.db.models import Model

from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import PartnershipSettings, partnership_create, partnership_update
from serverless_as2.models import Tenant


class TenantForm(forms.ModelForm):
    """A model form that knows the tenant its row belongs to."""

    as2_id_field = ""

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.instance.tenant = tenant
        for name, field in self.fields.items():
            # The product's labels are its field names (as2_url, my_as2_id): keep their case.
            field.label = self._meta.model._meta.get_field(name).verbose_name
        if self.as2_id_field:
            # Spaces around an AS2 ID are an error to show, not something to trim silently.
            self.fields[self.as2_id_field].strip = False

    def _check_unique_per_tenant(self, field: str, label: str) -> None:
        value = self.cleaned_data.get(field)
        if value is None:
            return
        model: type[Model] = self._meta.model
        clash = model.objects.filter(tenant=self.tenant, **{field: value})
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error(field, f"You already have {label} with the AS2 ID {value!r}.")


class As2InstanceForm(TenantForm):
    as2_id_field = "my_as2_id"

    class Meta:
        model = As2Instance
        fields = ["my_as2_id", "my_name", "my_as2_alias", "my_email", "enabled"]

    def clean(self):
        cleaned = super().clean()
        self._check_unique_per_tenant(self.as2_id_field, "an AS2 instance")
        return cleaned


class PartnerForm(TenantForm):
    as2_id_field = "partner_as2_id"

    class Meta:
        model = Partner
        fields = ["partner_as2_id", "partner_name", "partner_as2_alias", "partner_email", "enabled"]

    def clean(self):
        cleaned = super().clean()
        self._check_unique_per_tenant(self.as2_id_field, "a partner")
        return cleaned


class PartnershipForm(TenantForm):
    class Meta:
        model = Partnership
        fields = [
            "instance",
            "partner",
            "as2_url",
            "encrypt",
            "key_transport",
            "sign",
            "signature_padding",
            "compress",
            "subject",
            "as2_mdn_to",
            "mdn_mode",
            "mdn_sign",
            "content_transfer_encoding",
            "content_type",
        ]
        widgets = {"as2_url": forms.URLInput(attrs={"placeholder": "https://partner.example/as2"})}

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        instances = As2Instance.objects.filter(tenant=tenant)
        partners = Partner.objects.filter(tenant=tenant)
        # A disabled partner can't be chosen for a new partnership, but stays on an existing one.
        usable = partners.filter(enabled=True)
        if self.instance.pk:
            usable = partners.filter(enabled=True) | partners.filter(pk=self.instance.partner_id)
        self.fields["instance"].queryset = instances
        self.fields["partner"].queryset = usable
        self.fields["instance"].empty_label = "Choose an AS2 instance"
        self.fields["partner"].empty_label = "Choose a partner"
        if self.instance.pk:
            # The pair is what the partnership is: its certificate (our key, the partner's
            # certificate, the storage key) and its messages were made for it. A different
            # pair is a new partnership.
            for name in ("instance", "partner"):
                self.fields[name].disabled = True

    def settings_fields(self) -> list[forms.BoundField]:
        """The partnership's settings, shown below the instance and partner blocks."""
        return [self[name] for name in self.fields if name not in ("instance", "partner")]

    def save(self, commit: bool = True) -> Partnership:
        """Save through the partnerships service (its rules already ran in `is_valid`)."""
        if not commit:
            return super().save(commit=False)
        settings = {name: self.cleaned_data[name] for name in PartnershipSettings.__annotations__}
        if self.instance.pk:
            return partnership_update(partnership=self.instance, **settings)
        return partnership_create(
            tenant=self.tenant,
            instance=self.cleaned_data["instance"],
            partner=self.cleaned_data["partner"],
            **settings,
        )
