"""manage.py check_certificates: expiring certificates listed, each tenant's users e-mailed once per level."""

from datetime import UTC, datetime, timedelta

from django.core import mail
from django.core.management import call_command

from certificates.expiry import expiry_of
from certificates.models import PartnerCertificate
from certificates.services import expiry_warnings_send
from tests.certificates.factories import certificate_for, pem_of, rsa_key, self_signed
from tests.conftest import make_partner, make_partnership

NOW = datetime.now(UTC)


def expiring_setup(tenant):
    """amazon: the partner's cert expires in 10 days; walmart: ours in 5; ebay: nothing soon."""
    amazon = make_partnership(tenant)
    instance = amazon.instance
    soon = self_signed(rsa_key(name="soon"), "amazon-soon", not_after=NOW + timedelta(days=10))
    certificate_for(amazon, partner_certificate_file=pem_of(soon))
    certificate_for(
        make_partnership(tenant, instance, make_partner(tenant, "walmart")), validity_days=5
    )
    certificate_for(make_partnership(tenant, instance, make_partner(tenant, "ebay")))


def test_lists_ours_and_partners_expiring_certificates_and_mails_the_tenant(
    tenant_a, tenant_b, capsys
):
    expiring_setup(tenant_a)
    call_command("check_certificates")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "\t" in line]
    assert len(lines) == 2
    assert "walmart\tour\t" in lines[0] and "expires in 4 days" in lines[0]
    assert "amazon\tpartner's\t" in lines[1] and "expires in 9 days" in lines[1]
    assert "ebay" not in out and "2 certificate(s)" in out
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"]
    assert "2 certificate(s)" in message.subject
    assert "mycompany → walmart: our certificate expires in 4 days" in message.body
    assert "mycompany → amazon: partner's certificate expires in 9 days" in message.body


def test_each_warning_level_is_sent_once(tenant_a):
    expiring_setup(tenant_a)
    expiry_warnings_send(now=NOW)
    expiry_warnings_send(now=NOW + timedelta(hours=12))
    assert len(mail.outbox) == 1
    # Four days on: ours is under a day from expiry (level 1), the partner's under 7 days.
    expiry_warnings_send(now=NOW + timedelta(days=4, hours=1))
    assert len(mail.outbox) == 2
    assert "walmart: our certificate expires today" in mail.outbox[1].body
    assert "amazon: partner's certificate expires in 5 days" in mail.outbox[1].body
    expiry_warnings_send(now=NOW + timedelta(days=4, hours=2))
    assert len(mail.outbox) == 2
    # Nine days on: ours has expired (level 0), the partner's is under a day away (level 1).
    expiry_warnings_send(now=NOW + timedelta(days=9, hours=1))
    assert len(mail.outbox) == 3
    assert "walmart: our certificate expired" in mail.outbox[2].body
    assert "amazon: partner's certificate expires today" in mail.outbox[2].body


def test_a_rotated_partner_certificate_is_no_longer_warned_about(tenant_a):
    expiring_setup(tenant_a)
    PartnerCertificate.objects.filter(subject="CN=amazon-soon").update(in_use_until=NOW)
    found = expiry_warnings_send(now=NOW)
    assert [item.certificate.partnership.partner.partner_as2_id for item in found] == ["walmart"]


def test_no_email_only_lists(tenant_a, capsys):
    expiring_setup(tenant_a)
    call_command("check_certificates", "--no-email")
    assert "walmart" in capsys.readouterr().out and mail.outbox == []
    expiry_warnings_send(now=NOW)
    assert len(mail.outbox) == 1


def test_nothing_expiring_says_so(tenant_a, capsys):
    certificate_for(make_partnership(tenant_a))
    call_command("check_certificates")
    assert "No certificate expires within 30 days." in capsys.readouterr().out
    assert mail.outbox == []


def test_expiry_levels_and_badges():
    assert expiry_of(NOW + timedelta(days=45), now=NOW).text == ""
    assert expiry_of(NOW + timedelta(days=45), now=NOW).level is None
    soon = expiry_of(NOW + timedelta(days=20, hours=1), now=NOW)
    assert (soon.text, soon.level, soon.css) == ("expires in 20 days", 30, "expiring")
    week = expiry_of(NOW + timedelta(days=6, hours=1), now=NOW)
    assert (week.text, week.level, week.css) == ("expires in 6 days", 7, "expired")
    day = expiry_of(NOW + timedelta(hours=5), now=NOW)
    assert (day.text, day.level) == ("expires today", 1)
    gone = expiry_of(NOW - timedelta(seconds=1), now=NOW)
    assert (gone.text, gone.level, gone.css) == ("expired", 0, "expired")
