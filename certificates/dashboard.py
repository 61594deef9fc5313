"""What certificates tell the page after login (registered in CertificatesConfig.ready)."""

from django.urls import reverse

from certificates.models import Certificate
from certificates.selectors import expiring_certificates
from partnerships.models import Partnership
from serverless_as2.dashboard import Attention, Level, SetupStep
from serverless_as2.models import Tenant


def certificate_attention(*, tenant: Tenant) -> list[Attention]:
    """Certificates expired or expiring within 30 days, and partnerships with none."""
    found = []
    for item in expiring_certificates(tenant=tenant):
        whose = "The partner's certificate" if item.partner_certificate else "Your certificate"
        found.append(
            Attention(
                level=Level.PROBLEM if item.expiry.expired else Level.WARNING,
                text=f"{whose} for {item.certificate.partnership} {item.expiry.text} "
                f"({item.expiry.not_after:%Y-%m-%d}).",
                url=reverse("certificates:certificate_edit", args=[item.certificate.pk]),
                action="Open the certificate",
            )
        )
    bare = (
        Partnership.objects.filter(tenant=tenant, certificate__isnull=True)
        .select_related("instance", "partner")
        .order_by("instance__my_as2_id", "partner__partner_as2_id")
    )
    for partnership in bare:
        found.append(
            Attention(
                level=Level.PROBLEM,
                text=f"The partnership {partnership} has no certificate: it cannot sign, "
                "encrypt or decrypt.",
                url=reverse("certificates:certificate_create") + f"?partnership={partnership.pk}",
                action="Create Cert",
            )
        )
    return found


def certificate_setup_steps(*, tenant: Tenant) -> list[SetupStep]:
    """Create the partnership's certificate, then hand the partner your public key."""
    done = Certificate.objects.filter(tenant=tenant).exists()
    return [
        SetupStep(
            order=4,
            text="Create Cert: generate or import your key, upload the partner's certificate",
            url=reverse("certificates:certificate_create"),
            done=done,
        ),
        SetupStep(
            order=5,
            text="Send the partner your public key (Download PublicKey) and endpoint URL "
            "(Copy Endpoint URI), both on the PartnerShip page",
            url=reverse("partnerships:partnership_list"),
            done=done,
        ),
    ]
