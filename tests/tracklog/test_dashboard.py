"""TrackLog on the page after login: the latest failures and the last step to a first exchange."""

from serverless_as2 import dashboard
from tests.conftest import make_partnership
from tests.tracklog.factories import message_make
from tracklog.models import Direction, Status


def test_home_lists_the_tenants_latest_failures_newest_first_each_linking_its_detail(
    client_a, tenant_a, tenant_b
):
    partnership = make_partnership(tenant_a)
    message_make(tenant_a, partnership, status=Status.MDN_SAVED, message_id="<ok@x>")
    older = message_make(
        tenant_a, partnership, status=Status.OUTBOUND_FAILED, message_id="<old@x>", error="down"
    )
    newer = message_make(
        tenant_a,
        partnership,
        direction=Direction.INBOUND,
        status=Status.INBOUND_FAILED,
        message_id="<new@x>",
        error="The signature does not verify.",
    )
    message_make(tenant_b, make_partnership(tenant_b), status=29, message_id="<theirs@x>")
    page = client_a.get("/").content.decode()
    assert page.index("&lt;new@x&gt;") < page.index("&lt;old@x&gt;")
    assert f'href="/tracklog/{newer.pk}/"' in page and f'href="/tracklog/{older.pk}/"' in page
    assert "The signature does not verify." in page and "19 Failed" in page
    assert "ok@x" not in page and "theirs@x" not in page


def last_step(tenant):
    (step,) = [step for step in dashboard.setup_steps(tenant=tenant) if step.order == 6]
    return step


def test_the_last_step_is_done_once_a_message_went_through(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    message_make(tenant_a, partnership, status=Status.OUTBOUND_FAILED)
    message_make(tenant_a, partnership, direction=Direction.INBOUND, status=Status.MDN_SENT)
    assert not last_step(tenant_a).done  # a failure, and a message received: not our exchange
    assert 'href="/send/"' in client_a.get("/").content.decode()
    message_make(tenant_a, partnership, status=Status.MDN_SAVED)
    assert last_step(tenant_a).done
