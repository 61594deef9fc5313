"""Expiry warnings: e-mail each tenant's users when a certificate reaches a new warning level."""

from datetime import datetime

from django.core.mail import send_mail
from django.db import transaction

from certificates.models import Certificate, PartnerCertificate
from certificates.selectors import ExpiringCertificate, expiring_certificates
from serverless_as2.models import Tenant, User


def expiry_warnings_send(*, now: datetime | None = None) -> list[ExpiringCertificate]:
    """E-mail each tenant's users about certificates that reached a new warning level.

    Levels are 30, 7 and 1 days ahead and expired; each is sent once per certificate, so the
    check can run daily. Returns every certificate that expires within 30 days or has expired.
    """
    expiring = expiring_certificates(now=now)
    by_tenant: dict[Tenant, list[ExpiringCertificate]] = {}
    for item in expiring:
        if item.needs_warning:
            by_tenant.setdefault(item.certificate.tenant, []).append(item)
    for tenant, items in by_tenant.items():
        recipients = list(
            User.objects.filter(tenant=tenant, is_active=True).values_list("email", flat=True)
        )
        if recipients:
            send_mail(
                f"Serverless AS2: {len(items)} certificate(s) expire soon or have expired",
                _warning_text(items),
                None,
                recipients,
            )
        with transaction.atomic():
            for item in items:
                _warned(item)
    return expiring


def _warning_text(items: list[ExpiringCertificate]) -> str:
    lines = ["These certificates need attention:", ""]
    for item in items:
        lines.append(
            f"- {item.certificate.partnership}: {item.whose} certificate "
            f"{item.expiry.text or 'expires soon'} "
            f"(valid to {item.expiry.not_after:%Y-%m-%d %H:%M} UTC)"
        )
    lines += [
        "",
        "Ask your partner for their new certificate before theirs expires and upload it on "
        "the certificate's page; when ours expires, create a new certificate and send your "
        "partner its public key.",
    ]
    return "\n".join(lines)


def _warned(item: ExpiringCertificate) -> None:
    level = item.expiry.level
    if item.partner_certificate:
        PartnerCertificate.objects.filter(pk=item.partner_certificate.pk).update(
            expiry_warned=level
        )
    else:
        Certificate.objects.filter(pk=item.certificate.pk).update(my_expiry_warned=level)
