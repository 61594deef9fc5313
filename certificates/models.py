"""A partnership's certificate: our key (inside a stored keystore) and the partner's certificates.

The private key lives only inside the password-protected Complete KeyStore in storage; the
password is sealed with the key-encryption key. Expiry dates are columns so that lists and the
expiry check are queries, not parsing.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from certificates.expiry import Expiry, expiry_of
from certificates.rules import ALIAS_MAX_LENGTH
from partnerships.models import Partnership
from serverless_as2.models import TenantOwned


@dataclass(frozen=True)
class FirstExpiry:
    """The expiry of a partnership's certificates that comes first: "ours" or "partner's"."""

    whose: str
    expiry: Expiry


class Origin(models.TextChoices):
    GENERATED = "generated", "auto-generated"
    IMPORTED = "imported", "imported"


class Certificate(TenantOwned):
    """One per partnership: our key and certificate, and the partner's current certificate."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.PROTECT, related_name="certificate"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    private_key_alias = models.CharField("privateKeyAlias", max_length=ALIAS_MAX_LENGTH)
    partner_alias = models.CharField("alias", max_length=ALIAS_MAX_LENGTH)
    # The keystore password, sealed by serverless_as2.encryption; never shown, never logged.
    password_sealed = models.TextField(editable=False)
    keystore_key = models.CharField("Complete KeyStore", max_length=500)
    # A storage key (serverless_as2.storage_keys), not a URL; the product labels it PublicKeyURL.
    public_key_key = models.CharField("PublicKeyURL", max_length=500)
    # Which of the tenant's "<me>-<partner>[-<n>]" file names the certificate's files use.
    storage_number = models.PositiveSmallIntegerField(default=1, editable=False)
    my_cert_pem = models.TextField("my certificate (PEM)")
    my_not_before = models.DateTimeField()
    my_not_after = models.DateTimeField(db_index=True)
    # The smallest expiry warning (30, 7, 1 days; 0 = expired) already e-mailed for our cert.
    my_expiry_warned = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partnership__instance__my_as2_id", "partnership__partner__partner_as2_id"]

    def __str__(self) -> str:
        return f"certificate {self.partnership}"

    @property
    def my_expiry(self) -> Expiry:
        return expiry_of(self.my_not_after)

    @property
    def partner_expiry(self) -> Expiry | None:
        """Expiry of the partner's current certificate (annotated by the list selector)."""
        not_after = getattr(self, "partner_not_after", None)
        if not_after is None:
            current = self.current_partner_certificate
            not_after = current.not_after if current else None
        return expiry_of(not_after) if not_after else None

    @property
    def first_expiry(self) -> "FirstExpiry":
        """Whichever of ours and the partner's current certificate expires first, and whose."""
        partner = self.partner_expiry
        if partner is not None and partner.not_after < self.my_not_after:
            return FirstExpiry(whose="partner's", expiry=partner)
        return FirstExpiry(whose="ours", expiry=self.my_expiry)

    @property
    def current_partner_certificate(self) -> "PartnerCertificate | None":
        return self.partner_certificates.filter(in_use_until__isnull=True).first()


class PartnerCertificate(TenantOwned):
    """A certificate the partner gave us; the current one has no in_use_until."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="partner_certificates"
    )
    pem = models.TextField()
    subject = models.TextField()
    serial = models.CharField(max_length=100)
    sha256_fingerprint = models.CharField(max_length=100)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    in_use_from = models.DateTimeField()
    in_use_until = models.DateTimeField(null=True, blank=True)
    expiry_warned = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-in_use_from", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(in_use_until__isnull=True),
                name="one_current_partner_certificate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} (serial {self.serial})"

    @property
    def expiry(self) -> Expiry:
        return expiry_of(self.not_after)
