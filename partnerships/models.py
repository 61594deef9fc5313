"""AS2 instances, partners and partnerships (field names follow the product)."""

from django.db import models
from django.db.models import Q

from partnerships.aliases import ALIAS_MAX_LENGTH
from partnerships.validators import AS2_ID_MAX_LENGTH, validate_as2_id
from serverless_as2.models import TenantOwned


class As2Instance(TenantOwned):
    """One of the tenant's own AS2 identities."""

    my_as2_id = models.CharField(
        "my_as2_id",
        max_length=AS2_ID_MAX_LENGTH,
        validators=[validate_as2_id],
        help_text="What partners address you by (AS2-To on their messages).",
    )
    my_name = models.CharField("my_name", max_length=200)
    my_as2_alias = models.CharField(
        "my_as2_alias",
        max_length=ALIAS_MAX_LENGTH,
        help_text="Alias of your private key in the keystore.",
    )
    my_email = models.EmailField("my_email", blank=True)
    enabled = models.BooleanField("Status", default=True)

    class Meta:
        ordering = ["my_as2_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "my_as2_id"], name="unique_instance_as2_id")
        ]

    def __str__(self) -> str:
        return self.my_as2_id


class Partner(TenantOwned):
    """A trading partner as the tenant knows it."""

    partner_as2_id = models.CharField(
        "partner_as2_id",
        max_length=AS2_ID_MAX_LENGTH,
        validators=[validate_as2_id],
        help_text="Must match the partner's own configuration exactly.",
    )
    partner_name = models.CharField("partner_name", max_length=200)
    partner_as2_alias = models.CharField(
        "partner_as2_alias",
        max_length=ALIAS_MAX_LENGTH,
        help_text="Keystore alias of the partner's public certificate.",
    )
    partner_email = models.EmailField("partner_email")
    enabled = models.BooleanField("Status", default=True)

    class Meta:
        ordering = ["partner_as2_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_as2_id"], name="unique_partner_as2_id"
            )
        ]

    def __str__(self) -> str:
        return self.partner_as2_id


class Encryption(models.TextChoices):
    AES256 = "aes256", "aes256"
    AES192 = "aes192", "aes192"
    AES128 = "aes128", "aes128"
    DES3 = "3des", "3des (legacy)"
    NONE = "none", "none (only over https)"


class Signing(models.TextChoices):
    SHA256 = "sha256", "sha256"
    SHA384 = "sha384", "sha384"
    SHA512 = "sha512", "sha512"
    SHA224 = "sha224", "sha224"
    SHA1 = "sha1", "sha1 (legacy)"
    NONE = "none", "none"


class Compression(models.TextChoices):
    NONE = "none", "none"
    BEFORE_SIGNING = "before-signing", "before signing"
    AFTER_SIGNING = "after-signing", "after signing"


class MdnMode(models.TextChoices):
    SYNC = "sync", "sync"
    ASYNC = "async", "async"
    NONE = "none", "none"


class KeyTransport(models.TextChoices):
    """How the content key travels to the partner (RSA PKCS#1 v1.5, or RSAES-OAEP and its hash)."""

    RSA = "rsa", "RSA PKCS#1 v1.5 (most partners)"
    OAEP_SHA256 = "oaep-sha256", "RSAES-OAEP, sha256"
    OAEP_SHA1 = "oaep-sha1", "RSAES-OAEP, sha1 (stacks that undo only OAEP-SHA-1)"
    OAEP_SHA384 = "oaep-sha384", "RSAES-OAEP, sha384"
    OAEP_SHA512 = "oaep-sha512", "RSAES-OAEP, sha512"


class SignaturePadding(models.TextChoices):
    PKCS1V15 = "pkcs1v15", "RSA PKCS#1 v1.5 (most partners)"
    PSS = "pss", "RSASSA-PSS"


class MdnSigning(models.TextChoices):
    SHA256 = "sha256", "signed, sha256"
    SHA384 = "sha384", "signed, sha384"
    SHA512 = "sha512", "signed, sha512"
    SHA1 = "sha1", "signed, sha1 (legacy)"
    UNSIGNED = "unsigned", "unsigned"


class TransferEncoding(models.TextChoices):
    BINARY = "binary", "binary (recommended)"
    BASE64 = "base64", "base64"


class ContentType(models.TextChoices):
    X12 = "application/EDI-X12", "EDI X12 (application/EDI-X12)"
    EDIFACT = "application/EDIFACT", "EDIFACT (application/EDIFACT)"
    EDI_CONSENT = "application/EDI-consent", "Other EDI (application/EDI-consent)"
    XML = "application/xml", "XML (application/xml)"
    OCTET_STREAM = "application/octet-stream", "Binary (application/octet-stream)"
    TEXT = "text/plain", "Text (text/plain)"


# Settings that become message headers (Subject, Disposition-Notification-To): one line each.
HEADER_FIELDS = ("subject", "as2_mdn_to")
_HEADER_LABELS = {"subject": "subject", "as2_mdn_to": "as2MdnTo"}


class Partnership(TenantOwned):
    """How one of our instances exchanges messages with one partner."""

    instance = models.ForeignKey(
        As2Instance, on_delete=models.PROTECT, related_name="partnerships", verbose_name="my_as2"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="partnerships", verbose_name="partner_as2"
    )
    as2_url = models.URLField("as2_url", max_length=500, help_text="The partner's AS2 endpoint.")
    encrypt = models.CharField(
        "encrypt", max_length=10, choices=Encryption.choices, default=Encryption.AES256
    )
    sign = models.CharField("sign", max_length=10, choices=Signing.choices, default=Signing.SHA256)
    key_transport = models.CharField(
        "key transport",
        max_length=12,
        choices=KeyTransport.choices,
        default=KeyTransport.RSA,
        db_default=KeyTransport.RSA,  # rows written by older code or raw SQL get it too
        help_text="How the encryption key is sent to the partner; ask the partner which it reads.",
    )
    signature_padding = models.CharField(
        "signature padding",
        max_length=10,
        choices=SignaturePadding.choices,
        default=SignaturePadding.PKCS1V15,
        db_default=SignaturePadding.PKCS1V15,
    )
    compress = models.CharField(
        "compress", max_length=20, choices=Compression.choices, default=Compression.NONE
    )
    subject = models.CharField(
        "subject",
        max_length=300,
        default="AS2 message $message_id$",
        help_text="Placeholders: $filename$, $message_id$, $sender$, $receiver$, $date$.",
    )
    as2_mdn_to = models.CharField(
        "as2MdnTo",
        max_length=300,
        blank=True,
        help_text="Disposition-Notification-To: where receipts go (an e-mail address is usual).",
    )
    mdn_mode = models.CharField(
        "MDN mode", max_length=10, choices=MdnMode.choices, default=MdnMode.SYNC
    )
    mdn_sign = models.CharField(
        "MDN signing", max_length=10, choices=MdnSigning.choices, default=MdnSigning.SHA256
    )
    content_transfer_encoding = models.CharField(
        "contentTransferEncoding",
        max_length=10,
        choices=TransferEncoding.choices,
        default=TransferEncoding.BINARY,
    )
    content_type = models.CharField(
        "content_type", max_length=60, choices=ContentType.choices, default=ContentType.X12
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instance__my_as2_id", "partner__partner_as2_id"]
        # The rules live in partnerships.services.partnership_validate; the database also
        # holds the structural ones, so no writer (raw SQL, a bulk update) can break them.
        # "Unencrypted only over https" stays a rule of the service: it is a policy (tests
        # of unencrypted messages run over a plain-HTTP loopback server), not integrity.
        constraints = [
            models.UniqueConstraint(fields=["instance", "partner"], name="unique_partnership"),
            models.CheckConstraint(
                condition=Q(as2_url__istartswith="http://") | Q(as2_url__istartswith="https://"),
                name="partnership_url_http_or_https",
                violation_error_message="The partner's AS2 URL must start with http:// or https://.",
            ),
            *(
                models.CheckConstraint(
                    condition=~Q(**{f"{name}__contains": "\r"}) & ~Q(**{f"{name}__contains": "\n"}),
                    name=f"partnership_{name}_one_line",
                    violation_error_message=(
                        f"The {_HEADER_LABELS[name]} is sent as a message header: one line."
                    ),
                )
                for name in HEADER_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instance.my_as2_id} → {self.partner.partner_as2_id}"

    def clean(self) -> None:
        super().clean()
        # services imports this module: import the rules when they are used.
        from partnerships.services import partnership_validate

        partnership_validate(partnership=self)
