"""Keystore aliases: an instance's my_as2_alias and a partner's partner_as2_alias.

They become the aliases of our private key and of the partner's certificate in the
keystores, so the certificates' own alias limit must accept at least as long an alias.
Plain values, no Django: certificates (above partnerships) may import them.
"""

ALIAS_MAX_LENGTH = 100  # keytool sets no limit; this is the database column's
