"""Seed a tenant with two AS2 instances trading with each other through this server (the demo)."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from certificates.keystore import certificate_to_pem, generate_self_signed
from certificates.models import Certificate
from certificates.services import certificate_generate, partner_certificate_rotate
from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import partnership_create
from serverless_as2.models import Tenant
from tracklog.models import Message
from tracklog.services import message_queue

SUPPLIER, RETAILER = "DEMO-SUPPLIER", "DEMO-RETAILER"
DEMO_FILE = (
    b"ISA*00*          *00*          *ZZ*DEMO-SUPPLIER  *ZZ*DEMO-RETAILER  *260101*1200*U*00401"
    b"*000000001*0*P*>~\nGS*IN*DEMO-SUPPLIER*DEMO-RETAILER*20260101*1200*1*X*004010~\n"
    b"ST*810*0001~\nBIG*20260101*INV-1001~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
)


class Command(BaseCommand):
    help = (
        "Seed a tenant with the AS2 instances DEMO-SUPPLIER and DEMO-RETAILER, a partnership "
        "each way posting to this server's own endpoint (SAS2_SELF_URL), generated "
        "certificates, and one queued demo invoice (used by bootstrap_demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's id (UUID)")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(pk=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant}.")
        if As2Instance.objects.filter(tenant=found, my_as2_id__in=[SUPPLIER, RETAILER]).exists():
            raise CommandError("The tenant has demo AS2 instances already.")
        message = demo_seed(tenant=found)
        self.stdout.write(
            f"Seeded AS2 instances {SUPPLIER} and {RETAILER} with a loopback partnership both "
            f"ways, and queued a demo invoice ({message.message_id}): watch it reach 26 MDN "
            "Saved in the TrackLog. Send more from Send File or Send test message."
        )


def demo_seed(*, tenant: Tenant) -> Message:
    """Two instances, each the other's partner, partnerships both ways with generated
    certificates (each side trusts the other's), posting to this server's own endpoint; and one
    queued message from the supplier to the retailer."""
    url = settings.SELF_BASE_URL + reverse("tracklog:inbound", args=[tenant.id])
    with transaction.atomic():
        partnerships = {}
        for me, them in ((SUPPLIER, RETAILER), (RETAILER, SUPPLIER)):
            instance = _checked_save(
                As2Instance(
                    tenant=tenant,
                    my_as2_id=me,
                    my_name=f"{me.title()} (demo)",
                    my_as2_alias=me.lower(),
                    my_email=f"edi@{me.lower()}.example",
                )
            )
            partner = _checked_save(
                Partner(
                    tenant=tenant,
                    partner_as2_id=them,
                    partner_name=f"{them.title()} (demo)",
                    partner_as2_alias=them.lower(),
                    partner_email=f"edi@{them.lower()}.example",
                )
            )
            partnerships[me] = partnership_create(
                tenant=tenant,
                instance=instance,
                partner=partner,
                as2_url=url,
                subject="Demo invoice $filename$",
            )
    # The supplier's certificate needs the retailer's and the other way round: the first is made
    # with a stand-in partner certificate, replaced by the retailer's once that exists.
    _, stand_in = generate_self_signed(
        common_name="stand-in", organization=None, email=None, key_size=2048, validity_days=1
    )
    supplier = _generate(partnerships[SUPPLIER], certificate_to_pem(stand_in))
    retailer = _generate(partnerships[RETAILER], supplier.my_cert_pem.encode())
    partner_certificate_rotate(
        certificate=supplier, partner_certificate_file=retailer.my_cert_pem.encode()
    )
    return message_queue(
        partnership=partnerships[SUPPLIER], payload=DEMO_FILE, filename="invoice-1001.x12"
    )


def _checked_save[Row: (As2Instance, Partner)](row: Row) -> Row:
    """Save `row` after the checks its form would make (the AS2 ID rule, uniqueness)."""
    row.full_clean()
    row.save()
    return row


def _generate(partnership: Partnership, partner_pem: bytes) -> Certificate:
    return certificate_generate(
        partnership=partnership,
        password=secrets.token_urlsafe(18),
        private_key_alias=partnership.instance.my_as2_alias,
        partner_certificate_file=partner_pem,
        partner_alias=partnership.partner.partner_as2_alias,
    )
