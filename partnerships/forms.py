"""Forms for instances, partners and partnerships; each checks the tenant's rules."""

from django import forms
from django.db.models import Model

from partnerships.models import As2Instance, Encryption, Partner, Partnership
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
            "sign",
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

    def _header_value(self, name: str) -> str:
        # Both become message headers (Subject, Disposition-Notification-To): one line each.
        value = self.cleaned_data[name]
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            label = self.fields[name].label
            raise forms.ValidationError(
                f"The {label} is sent as a message header: remove its line breaks and other "
                "control characters."
            )
        return value

    def clean_subject(self) -> str:
        return self._header_value("subject")

    def clean_as2_mdn_to(self) -> str:
        return self._header_value("as2_mdn_to")

    def clean_as2_url(self) -> str:
        url = self.cleaned_data["as2_url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(
                "The partner's AS2 URL must start with http:// or https://."
            )
        return url

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("as2_url", "")
        if cleaned.get("encrypt") == Encryption.NONE and not url.lower().startswith("https://"):
            self.add_error(
                "encrypt",
                "Messages may go unencrypted only over https: choose an encryption or an "
                "https:// URL.",
            )
        instance, partner = cleaned.get("instance"), cleaned.get("partner")
        if instance and partner:
            clash = Partnership.objects.filter(instance=instance, partner=partner)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "partner",
                    f"{instance.my_as2_id} already has a partnership with "
                    f"{partner.partner_as2_id}; edit that one instead.",
                )
        return cleaned
