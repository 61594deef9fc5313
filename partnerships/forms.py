"""Forms for instances, partners and partnerships.

A partnership's rules are `partnerships.services.partnership_validate`, which the model's
`clean()` runs for this form as for the admin's; the form only offers the tenant's own rows.
"""

import copy

from django import forms
from django.core import signing
from django.db.models import Model

from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import PartnershipSettings, partnership_create, partnership_update
from serverless_as2.models import Tenant

_OPENED_SALT = "partnerships.forms.opened"


def row_values(row: Model, names: list[str]) -> dict[str, object]:
    """A saved row's values of the fields `names`, as stored (a related row by its pk)."""
    return {name: row._meta.get_field(name).value_from_object(row) for name in names}


CONFLICT = (
    "Someone saved this record after you opened it (in another tab, or a colleague). "
    "Nothing was saved. {changes}Your own changes are still in the form below: Save again to "
    "replace their version with yours, or reload the page to start from theirs."
)


class TenantForm(forms.ModelForm):
    """A model form that knows the tenant its row belongs to.

    Two tabs saving the same record: the form carries, signed, the values the page was opened
    with, and a save over a newer version is refused, naming the fields saved since (not the
    user's own edits), instead of silently undoing it.
    """

    as2_id_field = ""

    def __init__(self, *args, tenant: Tenant, **kwargs):
        # Validation writes the posted values into the instance: edit a copy, so the page can
        # still show the record as it is stored (its title, breadcrumb, related rows).
        if kwargs.get("instance") is not None:
            kwargs["instance"] = copy.copy(kwargs["instance"])
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.instance.tenant = tenant
        for name, field in self.fields.items():
            # The product's labels are its field names (as2_url, my_as2_id): keep their case.
            field.label = self._meta.model._meta.get_field(name).verbose_name
            if isinstance(field, forms.BooleanField):
                # A record's on/off setting (Status) is a switch; a confirmation a form adds
                # later ("Yes, rename it") stays a plain checkbox with its sentence.
                field.widget.attrs["role"] = "switch"
        if self.as2_id_field:
            # Spaces around an AS2 ID are an error to show, not something to trim silently.
            self.fields[self.as2_id_field].strip = False
        if self.instance.pk:
            self.fields["row_version"] = forms.CharField(
                widget=forms.HiddenInput, required=False, initial=self._opened(self.instance)
            )

    def _compared(self) -> list[str]:
        return [name for name in self._meta.fields if name in self.fields]

    def _opened(self, row: Model) -> str:
        """The row's values as this page shows them, signed: the version the page opened."""
        return signing.dumps(row_values(row, self._compared()), salt=self._salt())

    def _salt(self) -> str:
        # One record's version is no version of another (a page's token posted elsewhere).
        return f"{_OPENED_SALT}:{self._meta.model._meta.label}:{self.instance.pk}"

    def _check_version(self) -> None:
        """Refuse to save over a change saved since the page was opened."""
        if not self.instance.pk or not self.is_bound:
            return
        current = self._meta.model.objects.filter(pk=self.instance.pk).first()
        sent = self.data.get(self.add_prefix("row_version"))
        if current is None or not sent:  # a post without a version (a script) is not checked
            return
        now = row_values(current, self._compared())
        try:
            opened = signing.loads(sent, salt=self._salt())
        except signing.BadSignature:
            opened = None  # a page from before this check, or an altered one: say only "saved"
        if opened == now:
            return
        changed = [
            f"{self.fields[name].label} is now “{_shown(current, name)}”"
            for name in now
            if opened is not None and opened.get(name) != now[name]
        ]
        changes = f"Since you opened it, they changed: {'; '.join(changed)}. " if changed else ""
        # The next Save is a deliberate overwrite: it carries the version just shown.
        self.data = self.data.copy()
        self.data[self.add_prefix("row_version")] = self._opened(current)
        raise forms.ValidationError(CONFLICT.format(changes=changes), code="conflict")

    def clean(self):
        cleaned = super().clean()
        self._check_version()
        return cleaned

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


class IdentityForm(TenantForm):
    """An instance's or partner's form: renaming its AS2 ID or alias while certificates use
    it is saved only once the user has read what the change does and does not do."""

    # field -> what changing it does, then what it leaves as it is ({n}: certificates)
    identity_notes: dict[str, str] = {}
    side = ""  # the Partnership field that points at this row: "instance" or "partner"

    def certificate_count(self) -> int:
        """How many of this row's partnerships have a certificate."""
        if not self.instance.pk:
            return 0
        partnerships = Partnership.objects.filter(**{self.side: self.instance.pk})
        return partnerships.filter(certificate__isnull=False).count()

    def rename_notes(self, changed: list[str] | None = None) -> list[str]:
        """What renaming each identity field changes and what it does not."""
        count = self.certificate_count()
        names = self.identity_notes if changed is None else changed
        return [self.identity_notes[name].format(n=count) for name in names] if count else []

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or self.errors:
            return cleaned
        before = self._meta.model.objects.filter(pk=self.instance.pk).values(*self.identity_notes)
        was = before.first() or {}
        changed = [
            name for name in self.identity_notes if name in was and was[name] != cleaned.get(name)
        ]
        notes = self.rename_notes(changed) if changed else []
        if notes and not self.data.get(self.add_prefix("confirm_rename")):
            self.fields["confirm_rename"] = forms.BooleanField(
                label="Yes, rename it",
                required=False,
                help_text="Tick to save the new name, having read what it changes above.",
            )
            self.rename_warning = notes
            raise forms.ValidationError(
                "Nothing was saved yet: read what this rename changes, then tick "
                "“Yes, rename it” and Save.",
                code="rename",
            )
        return cleaned


class As2InstanceForm(IdentityForm):
    as2_id_field = "my_as2_id"
    side = "instance"
    identity_notes = {
        "my_as2_id": "Changing my_as2_id changes the AS2 ID your partners send to (AS2-To) and "
        "receive from (AS2-From): they must change their configuration at the same time. It "
        "does not change your {n} certificate(s): the keystore's privateKeyAlias, the "
        "certificate's subject and the stored file names stay as they are.",
        "my_as2_alias": "Changing my_as2_alias changes the privateKeyAlias suggested for "
        "certificates created from now on. It does not change your {n} existing "
        "certificate(s): their keystores keep the privateKeyAlias fixed at creation, and the "
        "certificate's subject stays.",
    }

    class Meta:
        model = As2Instance
        fields = ["my_as2_id", "my_name", "my_as2_alias", "my_email", "enabled"]

    def clean(self):
        cleaned = super().clean()
        self._check_unique_per_tenant(self.as2_id_field, "an AS2 instance")
        return cleaned


class PartnerForm(IdentityForm):
    as2_id_field = "partner_as2_id"
    side = "partner"
    identity_notes = {
        "partner_as2_id": "Changing partner_as2_id changes the AS2 ID messages are sent to and "
        "expected from: it must match the partner's own configuration. It does not change the "
        "{n} certificate(s) with this partner: the partner certificate's alias and subject "
        "and the stored file names stay as they are.",
        "partner_as2_alias": "Changing partner_as2_alias changes the alias suggested for the "
        "partner's certificate in certificates created from now on. It does not change the {n} "
        "existing certificate(s): their keystores keep the alias fixed at creation, and the "
        "partner certificate's subject stays.",
    }

    class Meta:
        model = Partner
        fields = ["partner_as2_id", "partner_name", "partner_as2_alias", "partner_email", "enabled"]

    def clean(self):
        cleaned = super().clean()
        self._check_unique_per_tenant(self.as2_id_field, "a partner")
        return cleaned


# What we add to the product's settings, in capitalised plain words (Send File's "Content
# type" too): beside the product's own field names, which keep their spelling.
PLAIN_LABELS = {
    "key_transport": "Key transport",
    "signature_padding": "Signature padding",
    "compress": "Compression",
    "mdn_mode": "MDN mode",
    "mdn_sign": "MDN signing",
    "content_type": "Content type",
}


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
        # Settings the product leaves implicit get plain words; its own keep their names.
        for name, label in PLAIN_LABELS.items():
            self.fields[name].label = label
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


def _shown(row: Model, name: str) -> object:
    """A field's stored value as the form shows it: a choice by its label, a switch On/Off."""
    value = getattr(row, name)
    if isinstance(value, bool):
        return "On" if value else "Off"
    if row._meta.get_field(name).choices:
        return getattr(row, f"get_{name}_display")()
    return value
