"""Forms of the certificate pages. They parse input; services.py holds the rules.

Labels: the product's field names where the product shows them (password, privateKeyAlias,
alias, my_as2_id, "Import Your Certificate"), plain words in sentence case for what we add.
"""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from certificates import rules
from certificates.services import CertificateRefused, WeakKey
from partnerships.models import As2Instance, Partner, Partnership
from serverless_as2.models import Tenant

GENERATE, IMPORT = "generate", "import"
KEYSTORE_ACCEPT = ".p12,.pfx"
CERTIFICATE_ACCEPT = ".cer,.crt,.pem,.der"

# CertificateRefused.field -> the form field that shows the sentence
REFUSAL_FIELDS = {
    "partnership": "partner",
    "password": "password",
    "private_key_alias": "private_key_alias",
    "keystore": "keystore_file",
    "partner_certificate": "partner_certificate",
    "partner_alias": "partner_alias",
}


def _password_field(label: str, help_text: str = "") -> forms.CharField:
    # render_value=False: a password is never echoed back into the page.
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


def _upload_field(label: str, accept: str, help_text: str, required: bool = True):
    return forms.FileField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
    )


def _small_upload(upload: UploadedFile | None) -> UploadedFile | None:
    """Refuse an upload over 1 MB before anything reads it."""
    if upload is not None and upload.size > rules.MAX_UPLOAD_BYTES:
        from certificates.keystore import FileTooLarge  # cryptography only when it is needed

        raise forms.ValidationError(str(FileTooLarge()))
    return upload


class RefusalsForm(forms.Form):
    """A form that can show a service's CertificateRefused next to the right field."""

    accept_weak_key = forms.BooleanField(
        label="Accept a weak key",
        required=False,
        help_text=f"RSA of {rules.RSA_KEY_SIZE_FLOOR} to {rules.MIN_RSA_KEY_SIZE - 1} bits; "
        f"under {rules.RSA_KEY_SIZE_FLOOR} bits is never accepted.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.found_aliases: tuple[str, ...] = ()
        # The weak-key checkbox appears once a weak key was found (or was already ticked).
        self.show_accept_weak_key = bool(self.data.get("accept_weak_key"))

    def add_refusal(self, refusal: CertificateRefused) -> None:
        field = REFUSAL_FIELDS.get(refusal.field or "")
        self.add_error(field if field in self.fields else None, str(refusal))
        self.found_aliases = tuple(refusal.aliases)
        if isinstance(refusal, WeakKey):
            self.show_accept_weak_key = True


class CertificateCreateForm(RefusalsForm):
    """Create Cert: the partnership, then Option A (auto-generate) or Option B (import)."""

    instance = forms.ModelChoiceField(
        label="my_as2_id", queryset=As2Instance.objects.none(), empty_label="Choose an AS2 instance"
    )
    partner = forms.ModelChoiceField(
        label="partner_as2_id", queryset=Partner.objects.none(), empty_label="Choose a partner"
    )
    mode = forms.ChoiceField(
        label="Certificate",
        choices=[
            (GENERATE, "Option A: Auto-Generate Certificate"),
            (IMPORT, "Option B: Import Your Own Certificate"),
        ],
        initial=GENERATE,
        widget=forms.RadioSelect,
    )
    password = _password_field(
        "password",
        "Auto-generate: the password that will protect the new keystore (8 characters or "
        "more). Import: the password of your .p12/.pfx. It cannot change later.",
    )
    # Option A's password protects every download and cannot change: it is typed twice.
    password_again = _password_field("Repeat the password")
    private_key_alias = forms.CharField(
        label="privateKeyAlias",
        required=False,
        max_length=rules.ALIAS_MAX_LENGTH,
        strip=False,
        help_text="Auto-generate: filled from your AS2 instance's my_as2_alias. Import: the alias "
        "of the private key inside your file. It cannot change later.",
        widget=forms.TextInput(attrs={"list": "keystore-alias-list", "autocomplete": "off"}),
    )
    key_size = forms.TypedChoiceField(
        label="Key size",
        coerce=int,
        required=False,
        choices=[(size, f"RSA {size} bits") for size in rules.KEY_SIZES],
        initial=rules.DEFAULT_KEY_SIZE,
    )
    validity_days = forms.IntegerField(
        label="Validity (days)",
        required=False,
        min_value=rules.MIN_VALIDITY_DAYS,
        max_value=rules.MAX_VALIDITY_DAYS,
        initial=rules.DEFAULT_VALIDITY_DAYS,
        help_text=f"{rules.DEFAULT_VALIDITY_DAYS} days is 2 years.",
    )
    keystore_file = _upload_field(
        "Import Your Certificate",
        KEYSTORE_ACCEPT,
        "Your PKCS#12 keystore (.p12/.pfx) with your private key and certificate.",
        required=False,
    )
    partner_certificate = _upload_field(
        "Partner certificate",
        CERTIFICATE_ACCEPT,
        "Your partner's public certificate (.cer/.crt/.pem, PEM or DER).",
    )
    partner_alias = forms.CharField(
        label="alias",
        required=False,
        max_length=rules.ALIAS_MAX_LENGTH,
        strip=False,
        help_text="The partner certificate's alias in the keystore; filled from the partner's "
        "partner_as2_alias.",
    )

    field_order = [
        "instance",
        "partner",
        "mode",
        "password",
        "password_again",
        "private_key_alias",
        "key_size",
        "validity_days",
        "keystore_file",
        "partner_certificate",
        "partner_alias",
        "accept_weak_key",
    ]

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["instance"].queryset = As2Instance.objects.filter(tenant=tenant)
        self.fields["partner"].queryset = Partner.objects.filter(tenant=tenant)
        self.fields["password_again"].required = False  # required for Option A, in clean()
        # Help that follows the chosen option (ui.js shows the one for the checked option).
        self.fields["password"].mode_help = {
            GENERATE: "The password that will protect the new keystore and both .p12 "
            "downloads (8 characters or more). It cannot change later.",
            IMPORT: "The password of your .p12/.pfx; it will protect the stored keystore and "
            "both .p12 downloads. It cannot change later.",
        }
        self.fields["private_key_alias"].mode_help = {
            GENERATE: "Filled from your AS2 instance's my_as2_alias: the alias of your new "
            "private key in the keystore. It cannot change later.",
            IMPORT: "The alias of the private key entry inside your file (listed below once "
            "you choose the file and type its password). It cannot change later.",
        }
        # Required as the product says (filled in for Option A, typed or chosen for Option B).
        self.fields["private_key_alias"].marked_required = True
        self.fields["keystore_file"].marked_required = True
        self.fields["password_again"].marked_required = True

    def common_fields(self) -> list[forms.BoundField]:
        return [self["password"]]

    def alias_fields(self) -> list[forms.BoundField]:
        return [self["private_key_alias"]]

    def repeat_fields(self) -> list[forms.BoundField]:
        return [self["password_again"]]

    def import_fields(self) -> list[forms.BoundField]:
        return [self["keystore_file"]]

    def generate_fields(self) -> list[forms.BoundField]:
        return [self["key_size"], self["validity_days"]]

    def partner_fields(self) -> list[forms.BoundField]:
        fields = [self["partner_certificate"], self["partner_alias"]]
        return fields + ([self["accept_weak_key"]] if self.show_accept_weak_key else [])

    def clean_keystore_file(self):
        return _small_upload(self.cleaned_data.get("keystore_file"))

    def clean_partner_certificate(self):
        return _small_upload(self.cleaned_data.get("partner_certificate"))

    def clean(self):
        cleaned = super().clean()
        instance, partner = cleaned.get("instance"), cleaned.get("partner")
        if instance and partner:
            cleaned["partnership"] = Partnership.objects.filter(
                tenant=self.tenant, instance=instance, partner=partner
            ).first()
            if cleaned["partnership"] is None:
                self.add_error(
                    "partner",
                    f"{instance.my_as2_id} has no partnership with {partner.partner_as2_id} "
                    "yet; create the PartnerShip first.",
                )
            if not cleaned.get("partner_alias"):
                cleaned["partner_alias"] = partner.partner_as2_alias
        if cleaned.get("mode") == GENERATE:
            if cleaned.get("password") and cleaned.get("password_again") != cleaned["password"]:
                self.add_error(
                    "password_again",
                    "The two passwords differ: type the same password twice (it protects the "
                    "keystore and cannot change later).",
                )
            if instance and not cleaned.get("private_key_alias"):
                cleaned["private_key_alias"] = instance.my_as2_alias
            cleaned["key_size"] = cleaned.get("key_size") or rules.DEFAULT_KEY_SIZE
            cleaned["validity_days"] = cleaned.get("validity_days") or (rules.DEFAULT_VALIDITY_DAYS)
        elif cleaned.get("mode") == IMPORT:
            if not cleaned.get("keystore_file") and "keystore_file" not in self.errors:
                self.add_error("keystore_file", "Choose your .p12 or .pfx file.")
            if not cleaned.get("private_key_alias"):
                self.add_error(
                    "private_key_alias",
                    "Enter the alias of the private key in your file (the aliases it holds "
                    "are listed once you choose the file and type its password).",
                )
        return cleaned


class PartnerCertificateForm(RefusalsForm):
    """Upload a new partner certificate (rotation)."""

    partner_certificate = _upload_field(
        "Partner certificate",  # as on Create Cert; the heading above it says "new"
        CERTIFICATE_ACCEPT,
        "Replaces the partner's public certificate; your key and certificate stay the same.",
    )

    field_order = ["partner_certificate", "accept_weak_key"]

    def visible_fields_now(self) -> list[forms.BoundField]:
        fields = [self["partner_certificate"]]
        return fields + ([self["accept_weak_key"]] if self.show_accept_weak_key else [])

    def clean_partner_certificate(self):
        return _small_upload(self.cleaned_data.get("partner_certificate"))


class KeystoreAliasesForm(forms.Form):
    """A .p12/.pfx and its password, to list the aliases inside (nothing is stored)."""

    keystore_file = forms.FileField()
    password = forms.CharField(strip=False)

    def clean_keystore_file(self):
        return _small_upload(self.cleaned_data.get("keystore_file"))
