"""Safe changes on the partnership pages: two tabs, renames certificates outlive, deletes, sorting."""

import html
import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate
from partnerships.models import As2Instance, Partner, Partnership
from tests.conftest import make_instance, make_partner, make_partnership
from tests.partnerships.test_views import partnership_form


def shown_form(client, url: str) -> dict:
    """The form's values as the page shows them (text inputs and hidden fields)."""
    page = client.get(url).content.decode()
    values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    values.pop("csrfmiddlewaretoken", None)
    return {**values, "enabled": "on"}


def partnership_page(client, partnership) -> tuple[str, dict]:
    """A partnership page's address and the settings its form posts, with the shown version."""
    url = f"/partnerships/{partnership.pk}/"
    page = client.get(url).content.decode()
    version = re.search(r'name="row_version" value="([^"]+)"', page).group(1)
    settings = partnership_form(
        partnership.instance,
        partnership.partner,
        as2_url=partnership.as2_url,
        as2_mdn_to=partnership.as2_mdn_to,
        row_version=version,
    )
    return url, settings


def test_a_save_over_a_newer_version_is_refused_and_says_what_changed(client_a, tenant_a):
    instance = make_instance(tenant_a, my_name="My Company")
    url = f"/instances/{instance.pk}/"
    first_tab, second_tab = shown_form(client_a, url), shown_form(client_a, url)
    assert first_tab["row_version"]
    assert client_a.post(url, {**second_tab, "my_name": "Renamed"}).status_code == 302

    response = client_a.post(url, {**first_tab, "my_email": "ops@mycompany.example"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone saved this record after you opened it" in page
    assert "my_name is now “Renamed”" in page
    assert As2Instance.objects.get().my_email == "edi@mycompany.example"
    # The page now carries the newer version: saving again is a deliberate overwrite.
    newer = re.search(r'name="row_version" value="([^"]+)"', page).group(1)
    assert newer != first_tab["row_version"]
    again = {**first_tab, "my_email": "ops@mycompany.example", "row_version": newer}
    assert client_a.post(url, again).status_code == 302
    assert As2Instance.objects.get().my_email == "ops@mycompany.example"


def test_two_tabs_on_a_partnership_conflict_too(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    url, settings = partnership_page(client_a, partnership)
    assert client_a.post(url, {**settings, "sign": "sha512"}).status_code == 302
    response = client_a.post(url, {**settings, "encrypt": "aes128"})
    assert response.content.decode().count("Someone saved this record") == 1  # said once
    assert Partnership.objects.get().encrypt == "aes256"


def test_a_conflict_names_only_what_the_other_tab_changed_and_keeps_my_edit(client_a, tenant_a):
    instance = make_instance(tenant_a, my_name="My Company")
    url = f"/instances/{instance.pk}/"
    first_tab, second_tab = shown_form(client_a, url), shown_form(client_a, url)
    assert client_a.post(url, {**first_tab, "my_name": "Renamed"}).status_code == 302

    page = client_a.post(url, {**second_tab, "my_email": "ops@mycompany.example"}).content.decode()
    assert "Since you opened it, they changed: my_name is now “Renamed”. " in page
    assert "my_email is now" not in page  # my own edit is not blamed on the other tab
    assert "Your own changes are still in the form below" in page
    assert 'name="my_email" value="ops@mycompany.example"' in page
    assert As2Instance.objects.get().my_email == "edi@mycompany.example"


def test_a_partnership_conflict_names_the_other_tabs_setting_by_its_shown_value(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    url, settings = partnership_page(client_a, partnership)
    assert client_a.post(url, {**settings, "sign": "sha1"}).status_code == 302
    page = client_a.post(url, {**settings, "encrypt": "aes128"}).content.decode()
    assert "they changed: sign is now “sha1 (legacy)”. " in page
    assert "encrypt is now" not in page
    assert Partnership.objects.get().encrypt == "aes256"


def test_an_altered_version_is_a_conflict_that_names_no_field(client_a, tenant_a):
    instance = make_instance(tenant_a)
    url = f"/instances/{instance.pk}/"
    form = {**shown_form(client_a, url), "my_name": "Renamed", "row_version": "forged"}
    page = client_a.post(url, form).content.decode()
    assert "Someone saved this record" in page and "they changed" not in page
    assert As2Instance.objects.get().my_name == "mycompany"


def test_another_records_version_is_no_version_of_this_one(client_a, client_b, tenant_a, tenant_b):
    """Two records with the same values (in two tenants): one's token never passes for the
    other's, though the values it signs are the same."""
    mine, theirs = make_instance(tenant_a), make_instance(tenant_b)
    their_version = shown_form(client_b, f"/instances/{theirs.pk}/")["row_version"]
    url = f"/instances/{mine.pk}/"
    form = {**shown_form(client_a, url), "my_name": "Renamed", "row_version": their_version}
    page = client_a.post(url, form).content.decode()
    assert "Someone saved this record" in page
    assert As2Instance.objects.get(pk=mine.pk).my_name == "mycompany"


def shown_record(page: str) -> dict[str, str]:
    """Where a page names its record: the title, the h1, the breadcrumb's last step."""
    return {
        "title": re.search(r"<title>(.*?)</title>", page, re.S).group(1),
        "h1": re.search(r'<span class="record">(.*?)</span>', page).group(1),
        "crumb": re.search(r'<span class="here">(.*?)</span>', page).group(1),
    }


def test_after_the_rename_warning_the_page_names_the_record_as_stored(client_a, tenant_a):
    from tests.certificates.factories import certificate_for

    partnership = make_partnership(tenant_a)
    certificate_for(partnership)
    url = f"/instances/{partnership.instance.pk}/"
    form = {**shown_form(client_a, url), "my_as2_id": "mycompany-prod", "my_name": "Prod"}
    page = client_a.post(url, form).content.decode()
    assert 'name="confirm_rename"' in page
    shown = shown_record(page)
    assert "mycompany" in shown["title"] and "mycompany-prod" not in shown["title"]
    assert shown["h1"] == shown["crumb"] == "mycompany"
    related = re.search(r"<h2>Related Partnership</h2>.*?</table>", page, re.S).group(0)
    assert re.search(r">mycompany</a></td><td[^>]*>mycompany</td>", related)
    assert "Prod" not in related
    assert 'name="my_as2_id" value="mycompany-prod"' in page  # the form keeps the new name


def test_after_a_validation_error_the_page_names_the_record_as_stored(client_a, tenant_a):
    partner = make_partner(tenant_a)
    url = f"/partners/{partner.pk}/"
    form = {**shown_form(client_a, url), "partner_as2_id": "amazon-eu", "partner_email": "no"}
    page = client_a.post(url, form).content.decode()
    assert "Enter a valid email address." in page
    shown = shown_record(page)
    assert "amazon" in shown["title"] and "amazon-eu" not in shown["title"]
    assert shown["h1"] == shown["crumb"] == "amazon"


def test_renaming_an_instance_with_certificates_asks_first_and_says_what_stays(client_a, tenant_a):
    from tests.certificates.factories import certificate_for

    partnership = make_partnership(tenant_a)
    certificate_for(partnership)
    url = f"/instances/{partnership.instance.pk}/"
    form = shown_form(client_a, url)
    page = client_a.get(url).content.decode()
    assert "what a rename changes" in page  # said before any change is made

    response = client_a.post(url, {**form, "my_as2_id": "mycompany-prod"})
    page = response.content.decode()
    assert response.status_code == 200 and 'name="confirm_rename"' in page
    assert "AS2-To" in page and "does not change your 1 certificate(s)" in page
    assert As2Instance.objects.get().my_as2_id == "mycompany"
    confirmed = {**form, "my_as2_id": "mycompany-prod", "confirm_rename": "on"}
    assert client_a.post(url, confirmed).status_code == 302
    assert As2Instance.objects.get().my_as2_id == "mycompany-prod"


def test_renaming_a_partner_alias_says_existing_keystores_keep_theirs(client_a, tenant_a):
    from tests.certificates.factories import certificate_for

    certificate_for(make_partnership(tenant_a))
    partner = Partner.objects.get()
    url = f"/partners/{partner.pk}/"
    response = client_a.post(url, {**shown_form(client_a, url), "partner_as2_alias": "amz"})
    assert "their keystores keep the alias fixed at creation" in response.content.decode()
    assert Partner.objects.get().partner_as2_alias == "amazon"


def test_renaming_without_certificates_saves_at_once(client_a, tenant_a):
    instance = make_partnership(tenant_a).instance
    url = f"/instances/{instance.pk}/"
    assert client_a.post(url, {**shown_form(client_a, url), "my_as2_id": "x"}).status_code == 302
    assert As2Instance.objects.get().my_as2_id == "x"


def test_delete_pages_list_what_blocks_or_what_goes(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    page = client_a.get(f"/instances/{partnership.instance.pk}/delete/").content.decode()
    assert "This cannot be deleted yet" in page and "PartnerShip mycompany → amazon" in page
    assert 'class="danger"' not in page  # no Delete button while something blocks
    page = client_a.get(f"/partnerships/{partnership.pk}/delete/").content.decode()
    assert "Deleting removes:" in page and "This cannot be undone." in page


def test_lists_sort_by_a_column_either_way_and_ignore_unknown_columns(client_a, tenant_a):
    for as2_id in ("bravo", "alpha", "charlie"):
        make_partner(tenant_a, as2_id)

    def order(query: str) -> list[str]:
        page = client_a.get(f"/partners/{query}").content.decode()
        return re.findall(r'/partners/\d+/">(\w+)</a>', page)

    assert order("?sort=id") == ["alpha", "bravo", "charlie"]
    assert order("?sort=-id") == ["charlie", "bravo", "alpha"]
    assert order("?sort=tenant__name") == ["alpha", "bravo", "charlie"]  # ignored
    page = client_a.get("/partners/?sort=-id").content.decode()
    assert 'aria-sort="descending"' in page and "sort=id" in page  # next click: ascending


def test_partnership_list_shows_certificate_and_partner_status(client_a, tenant_a):
    make_partnership(tenant_a, partner=make_partner(tenant_a, enabled=False))
    page = client_a.get("/partnerships/").content.decode()
    assert '<span class="badge off">Off</span>' in page
    assert '<span class="badge none">No</span>' in page and "Create Cert" in page


def test_partnership_list_shows_whichever_certificate_expires_first(client_a, tenant_a):
    from tests.certificates.factories import certificate_for

    instance = make_instance(tenant_a)
    theirs_first = certificate_for(make_partnership(tenant_a, instance, make_partner(tenant_a)))
    ours_first = certificate_for(
        make_partnership(tenant_a, instance, make_partner(tenant_a, "walmart"))
    )
    now = timezone.now()
    Certificate.objects.filter(pk=theirs_first.pk).update(my_not_after=now + timedelta(days=300))
    theirs_first.partner_certificates.update(not_after=now + timedelta(days=10, hours=1))
    Certificate.objects.filter(pk=ours_first.pk).update(
        my_not_after=now + timedelta(days=20, hours=1)
    )
    ours_first.partner_certificates.update(not_after=now + timedelta(days=400))

    def cells(query: str = "") -> list[str]:
        page = client_a.get(f"/partnerships/{query}").content.decode()
        found = re.findall(r'<td class="nowrap">(.*?)</td>', page, re.S)
        return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in found]

    amazon_date = timezone.localdate(now + timedelta(days=10, hours=1)).isoformat()
    walmart_date = timezone.localdate(now + timedelta(days=20, hours=1)).isoformat()
    assert cells() == [
        f"Yes, until {amazon_date} (partner's) expires in 10 days",
        f"Yes, until {walmart_date} (ours) expires in 20 days",
    ]
    # The Certificate column sorts by that first expiry, not by ours alone.
    Certificate.objects.filter(pk=ours_first.pk).update(my_not_after=now + timedelta(days=200))
    assert [cell.split(" ")[2] for cell in cells("?sort=-certificate")] == [
        timezone.localdate(now + timedelta(days=200)).isoformat(),
        amazon_date,
    ]


def test_the_partnership_list_query_count_does_not_grow_with_certificates(client_a, tenant_a):
    from tests.certificates.factories import certificate_for

    instance = make_instance(tenant_a)
    certificate_for(make_partnership(tenant_a, instance, make_partner(tenant_a)))
    with CaptureQueriesContext(connection) as one:
        client_a.get("/partnerships/")
    for as2_id in ("walmart", "target"):
        certificate_for(make_partnership(tenant_a, instance, make_partner(tenant_a, as2_id)))
    with CaptureQueriesContext(connection) as three:
        assert client_a.get("/partnerships/").status_code == 200
    assert len(three) == len(one)
