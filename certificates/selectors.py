"""Reads of certificates: the list, one certificate's details, and what expires soon."""

import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from certificates import keystore
from certificates.expiry import SOON, Expiry, expiry_of
from certificates.models import Certificate, PartnerCertificate
from partnerships.models import Partnership
from serverless_as2.models import Tenant
from serverless_as2.tenancy import tenant_queryset


def certificate_list(
    *, tenant: Tenant, search: str = "", expiring: bool = False, now: datetime | None = None
) -> QuerySet[Certificate]:
    """The tenant's certificates, with `partner_not_after` (of the partner's current cert).

    `search` matches either AS2 ID; `expiring` keeps those where ours or the partner's
    expires within 30 days or has expired.
    """
    current = PartnerCertificate.objects.filter(
        certificate=OuterRef("pk"), in_use_until__isnull=True
    )
    rows = (
        tenant_queryset(Certificate, tenant=tenant)
        .select_related("partnership__instance", "partnership__partner")
        .annotate(partner_not_after=Subquery(current.values("not_after")[:1]))
    )
    if search:
        rows = rows.filter(
            Q(partnership__instance__my_as2_id__icontains=search)
            | Q(partnership__partner__partner_as2_id__icontains=search)
        )
    if expiring:
        soon = (now or timezone.now()) + SOON
        rows = rows.filter(Q(my_not_after__lt=soon) | Q(partner_not_after__lt=soon))
    return rows


def partner_certificate_history(*, certificate: Certificate) -> QuerySet[PartnerCertificate]:
    """The partner certificates of a certificate, current first, then by when they were used."""
    return certificate.partner_certificates.order_by(
        F("in_use_until").desc(nulls_first=True), "-in_use_from", "-pk"
    )


def certificate_info_of_pem(pem: str) -> keystore.CertificateInfo:
    """What the detail page shows about a stored PEM certificate."""
    return keystore.certificate_info(x509.load_pem_x509_certificate(pem.encode()))


@dataclass(frozen=True)
class ExpiringCertificate:
    """Our certificate or a partner's current one that expires within 30 days or has expired."""

    certificate: Certificate
    partner_certificate: PartnerCertificate | None  # None: it is our certificate
    expiry: Expiry

    @property
    def whose(self) -> str:
        return "partner's" if self.partner_certificate else "our"

    @property
    def warned(self) -> int | None:
        """The smallest warning level already e-mailed for it."""
        if self.partner_certificate:
            return self.partner_certificate.expiry_warned
        return self.certificate.my_expiry_warned

    @property
    def needs_warning(self) -> bool:
        """True when it has reached a warning level (30, 7, 1 days, expired) not yet sent."""
        level = self.expiry.level
        return level is not None and (self.warned is None or level < self.warned)


def expiring_certificates(
    *, tenant: Tenant | None = None, now: datetime | None = None
) -> list[ExpiringCertificate]:
    """Ours and partners' current certificates that expire within 30 days or have expired."""
    now = now or timezone.now()
    soon = now + SOON
    ours = Certificate.objects.filter(my_not_after__lt=soon)
    partners = PartnerCertificate.objects.filter(in_use_until__isnull=True, not_after__lt=soon)
    if tenant is not None:
        ours, partners = ours.filter(tenant=tenant), partners.filter(tenant=tenant)
    related = ["tenant", "partnership__instance", "partnership__partner"]
    found = [
        ExpiringCertificate(row, None, expiry_of(row.my_not_after, now=now))
        for row in ours.select_related(*related)
    ] + [
        ExpiringCertificate(row.certificate, row, expiry_of(row.not_after, now=now))
        for row in partners.select_related(*(f"certificate__{name}" for name in related))
    ]
    return sorted(found, key=lambda item: (item.expiry.not_after, item.certificate.pk))


# --- replaced at merge by the cached version (certificates branch): same names and shape -------


@dataclass(frozen=True, slots=True)
class PartnershipKeys:
    """What messages of one partnership are signed, encrypted and verified with."""

    private_key: rsa.RSAPrivateKey  # ours
    certificate: x509.Certificate  # ours
    partner_certificate: x509.Certificate  # the partner's current one
    earlier_partner_certificates: tuple[x509.Certificate, ...]  # newest first


class NoCertificate(Exception):
    """The partnership has no certificate (str: a sentence saying what to do)."""


_keys_cache: dict[tuple, PartnershipKeys] = {}
_keys_lock = threading.Lock()


def partnership_keys(*, partnership: Partnership) -> PartnershipKeys:
    """Our key and certificate and the partner's certificates (current first) for a partnership.

    Opening the keystore costs about 70 ms, so keys are kept per process, keyed by what changes
    when a certificate is rotated, re-imported or deleted (checked with one query per call).
    """
    rows = _partner_certificate_rows(partnership.pk)
    if not rows:
        raise NoCertificate(
            f"The partnership {partnership} has no certificate: create or import one on its "
            "Certificate page."
        )
    cache_key = (rows[0][1], rows[0][2], tuple(row[0] for row in rows))
    keys = _keys_cache.get(cache_key)
    if keys is None:
        keys = _partnership_keys_load(rows[0][1], [row[0] for row in rows])
        with _keys_lock:
            if len(_keys_cache) > 1000:
                _keys_cache.clear()
            _keys_cache[cache_key] = keys
    return keys


def _partner_certificate_rows(partnership_pk: int) -> list[tuple]:
    """(partner certificate pk, certificate pk, certificate updated), current first.

    Asked once per message: plain SQL, a tenth of the ORM's query building.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, c.id, c.updated FROM {PartnerCertificate._meta.db_table} p "  # noqa: S608 (table names from the models)
            f"JOIN {Certificate._meta.db_table} c ON p.certificate_id = c.id "
            "WHERE c.partnership_id = %s "
            "ORDER BY CASE WHEN p.in_use_until IS NULL THEN 0 ELSE 1 END, "
            "p.in_use_until DESC, p.in_use_from DESC, p.id DESC",
            [partnership_pk],
        )
        return cursor.fetchall()


def _partnership_keys_load(certificate_pk: int, partner_pks: list[int]) -> PartnershipKeys:
    from certificates.services import _password, _stored_entry  # noqa: PLC0415 (services import us)

    certificate = Certificate.objects.get(pk=certificate_pk)
    entry = _stored_entry(certificate, _password(certificate))
    pems = dict(PartnerCertificate.objects.filter(pk__in=partner_pks).values_list("pk", "pem"))
    partner = [x509.load_pem_x509_certificate(pems[pk].encode()) for pk in partner_pks]
    return PartnershipKeys(entry.key, entry.certificate, partner[0], tuple(partner[1:]))
