"""Reads of certificates: the list, one certificate's details, what expires soon, and the keys
a partnership's messages are signed and encrypted with (from a per-process cache)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F, Field, OuterRef, Q, QuerySet, Subquery
from django.db.models.options import Options
from django.utils import timezone

from certificates.expiry import SOON, Expiry, expiry_of
from certificates.models import Certificate, PartnerCertificate
from partnerships.models import Partnership
from serverless_as2.encryption import secret_open
from serverless_as2.models import Tenant
from serverless_as2.tenancy import tenant_get_or_404, tenant_queryset

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from certificates import keystore


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


def certificate_get(*, tenant: Tenant, pk: int) -> Certificate:
    """The tenant's certificate `pk` with its partnership, or 404 (missing or another's)."""
    rows = Certificate.objects.select_related(
        "partnership__tenant", "partnership__instance", "partnership__partner"
    )
    return tenant_get_or_404(rows, tenant=tenant, pk=pk)


def partner_certificate_history(*, certificate: Certificate) -> QuerySet[PartnerCertificate]:
    """The partner certificates of a certificate, current first, then by when they were used."""
    return certificate.partner_certificates.order_by(
        F("in_use_until").desc(nulls_first=True), "-in_use_from", "-pk"
    )


def certificate_info_of_pem(pem: str) -> keystore.CertificateInfo:
    """What the detail page shows about a stored PEM certificate."""
    from cryptography import x509

    from certificates import keystore

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


# -- a partnership's keys, cached ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnershipKeys:
    """What messaging signs, encrypts, decrypts and verifies a partnership's messages with."""

    private_key: rsa.RSAPrivateKey  # ours
    certificate: x509.Certificate  # ours
    partner_certificate: x509.Certificate  # the partner's current one
    earlier_partner_certificates: tuple[x509.Certificate, ...]  # newest first


class NoCertificate(Exception):
    """The partnership has no certificate (never created, or deleted)."""

    def __init__(self, partnership: Partnership) -> None:
        super().__init__(
            f"The partnership {partnership} has no certificate; create one on the Certificate "
            "page (Create Cert) before exchanging messages."
        )


@dataclass(frozen=True, slots=True)
class KeysCacheInfo:
    """Like functools' cache_info(): lookups answered from memory, and keystores opened."""

    hits: int
    loads: int
    size: int
    max_size: int


# (certificate pk, certificate.updated, keystore key, current partner certificate pk); the
# database's own value of `updated` (a datetime, or SQLite's text): it is only compared.
type _Version = tuple[int, object, str, int | None]


class _KeysCache:
    """A bounded LRU of PartnershipKeys by partnership pk, each with the version it was read at.

    A lookup costs one indexed query that reads the certificate's version; the keys are
    reused while the version is the same. Rotation changes `updated`, the keystore key and the
    current partner certificate; a delete removes the row; a new certificate has a new pk: each
    makes the next lookup open the stored keystore again, in every process, with no signal
    between processes. Opening a keystore (about 70 ms of PKCS#12 key derivation) happens
    outside the lock, so a slow open never blocks lookups of other partnerships.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._entries: OrderedDict[int, tuple[_Version, PartnershipKeys]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.loads = 0

    def get(self, partnership_pk: int, version: _Version) -> PartnershipKeys | None:
        with self._lock:
            entry = self._entries.get(partnership_pk)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(partnership_pk)
            self.hits += 1
            return entry[1]

    def put(self, partnership_pk: int, version: _Version, keys: PartnershipKeys) -> None:
        with self._lock:
            self.loads += 1
            self._entries[partnership_pk] = (version, keys)
            self._entries.move_to_end(partnership_pk)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def forget(self, partnership_pk: int) -> None:
        with self._lock:
            self._entries.pop(partnership_pk, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.loads = 0

    def info(self) -> KeysCacheInfo:
        with self._lock:
            return KeysCacheInfo(self.hits, self.loads, len(self._entries), self.max_size)


# A few hundred partnerships' keys are a few MB; a process serving more reopens keystores.
KEYS_CACHE_SIZE = 512
_keys_cache = _KeysCache(KEYS_CACHE_SIZE)


def partnership_keys(*, partnership: Partnership) -> PartnershipKeys:
    """Our key and certificate and the partner's certificates, for messaging.

    Served from a per-process cache checked against the database on every call (one query),
    so a rotation, a new certificate or a delete in any process is seen by the next lookup.
    Raises NoCertificate when the partnership has none.
    """
    try:
        return _partnership_keys(partnership)
    except FileNotFoundError:
        # A rotation committed between reading the version and opening the keystore it
        # named, and deleted that file: the version read again names the new one.
        return _partnership_keys(partnership)


def _partnership_keys(partnership: Partnership) -> PartnershipKeys:
    version = _keys_version(partnership.pk)
    if version is None:
        _keys_cache.forget(partnership.pk)
        raise NoCertificate(partnership)
    keys = _keys_cache.get(partnership.pk, version)
    if keys is None:
        keys = _keys_load(version[0])
        if keys is None:  # deleted between the two reads
            raise NoCertificate(partnership)
        _keys_cache.put(partnership.pk, version, keys)
    return keys


def partnership_keys_cache_info() -> KeysCacheInfo:
    """How often lookups were answered from memory, and how many keystores were opened."""
    return _keys_cache.info()


def partnership_keys_cache_clear() -> None:
    """Forget every cached key (tests and benchmarks start cold with it)."""
    _keys_cache.clear()


def _keys_version(partnership_pk: int) -> _Version | None:
    """The certificate's version, in one indexed query (the warm path's only cost).

    Written as SQL once per process: the ORM would compile the same statement on every call,
    about 0.6 ms, which is most of a warm lookup.
    """
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [partnership_pk])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


@cache
def _version_sql() -> str:
    """SELECT pk, updated, keystore_key, <current partner certificate pk> for a partnership."""
    ours, theirs = Certificate._meta, PartnerCertificate._meta
    quote = connection.ops.quote_name

    def column(meta: Options[Any], name: str) -> str:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise TypeError(f"{meta.label}.{name} is not a column")
        return quote(field.column)

    # Only quoted names from the models' meta go into the text; the pk is a parameter.
    return (
        f"SELECT c.{column(ours, 'id')}, c.{column(ours, 'updated')}, "  # noqa: S608
        f"c.{column(ours, 'keystore_key')}, "
        f"(SELECT p.{column(theirs, 'id')} FROM {quote(theirs.db_table)} p "
        f"WHERE p.{column(theirs, 'certificate')} = c.{column(ours, 'id')} "
        f"AND p.{column(theirs, 'in_use_until')} IS NULL LIMIT 1) "
        f"FROM {quote(ours.db_table)} c WHERE c.{column(ours, 'partnership')} = %s"
    )


def _keys_load(certificate_pk: int) -> PartnershipKeys | None:
    """Open the stored Complete KeyStore and read the partner's certificates (the slow path)."""
    from cryptography import x509

    from certificates import keystore

    certificate = Certificate.objects.filter(pk=certificate_pk).first()
    if certificate is None:
        return None
    with default_storage.open(certificate.keystore_key, "rb") as stored:
        data = stored.read()
    entry = keystore.load_private_keystore(
        data,
        password=secret_open(certificate.password_sealed),
        alias=certificate.private_key_alias,
    )
    history = [
        x509.load_pem_x509_certificate(row.pem.encode())
        for row in partner_certificate_history(certificate=certificate)
    ]
    if not history:
        return None  # every certificate is created with a partner certificate
    return PartnershipKeys(
        private_key=entry.key,
        certificate=entry.certificate,
        partner_certificate=history[0],
        earlier_partner_certificates=tuple(history[1:]),
    )
