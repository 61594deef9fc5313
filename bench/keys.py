"""The keys cache: a partnership's keys looked up cold (keystore opened) and warm (cached).

Run: .venv/bin/python bench/keys.py
Uses a throwaway data folder (SQLite, local files). Cold = the cache emptied before each
lookup, so the stored Complete KeyStore is read and opened (PKCS#12 key derivation); warm = the
keys served from memory after the one query that checks they are still current. The query
alone is timed too: it is the floor of the warm path.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["SAS2_DATA_DIR"] = tempfile.mkdtemp(prefix="sas2-bench-keys-")
os.environ["DJANGO_SETTINGS_MODULE"] = "serverless_as2.settings"
os.environ.setdefault("SAS2_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from certificates import keystore, selectors  # noqa: E402
from certificates.services import certificate_generate  # noqa: E402
from partnerships.models import As2Instance, Partner, Partnership  # noqa: E402
from partnerships.services import partnership_create  # noqa: E402
from serverless_as2.services import tenant_create  # noqa: E402


def median_ms(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def partnership_with_certificate() -> Partnership:
    tenant = tenant_create(
        name="Bench", email="bench@example.com", password=secrets.token_urlsafe(16)
    )
    instance = As2Instance.objects.create(
        tenant=tenant, my_as2_id="mycompany", my_name="My Company", my_as2_alias="mycompany"
    )
    partner = Partner.objects.create(
        tenant=tenant,
        partner_as2_id="amazon",
        partner_name="Amazon",
        partner_as2_alias="amazon",
        partner_email="edi@amazon.example",
    )
    partnership = partnership_create(
        tenant=tenant, instance=instance, partner=partner, as2_url="https://partner.example/as2"
    )
    _, partner_cert = keystore.generate_self_signed(common_name="amazon")
    certificate_generate(
        partnership=partnership,
        password=secrets.token_urlsafe(16),  # a throwaway keystore
        private_key_alias="mycompany",
        partner_certificate_file=keystore.certificate_to_pem(partner_cert),
        partner_alias="amazon",
    )
    return partnership


def main() -> None:
    call_command("migrate", verbosity=0)
    partnership = partnership_with_certificate()

    def cold() -> None:
        selectors.partnership_keys_cache_clear()
        selectors.partnership_keys(partnership=partnership)

    def warm() -> None:
        selectors.partnership_keys(partnership=partnership)

    def query() -> None:
        selectors._keys_version(partnership.pk)

    cold()  # imports, connection, statement caches
    cold_ms = median_ms(cold, 30)
    warm()
    warm_ms = median_ms(warm, 2000)
    query_ms = median_ms(query, 2000)
    print(f"cold lookup (keystore opened):   {cold_ms:8.3f} ms")
    print(f"warm lookup (cached, 1 query):   {warm_ms:8.3f} ms")
    print(f"  of which the freshness query:  {query_ms:8.3f} ms")
    print(f"cold / warm: {cold_ms / warm_ms:.0f}x")
    print(
        f"messages/s per core on keys alone: cold {1000 / cold_ms:.0f}, warm {1000 / warm_ms:.0f}"
    )


if __name__ == "__main__":
    main()
