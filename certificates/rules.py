"""The rules of new certificates and keystores, written once: forms, models and services use these.

Plain values, apart from certificates.keystore: a form or a model that needs a rule does not load
cryptography and asn1crypto (a Lambda cold start pays for those only when a keystore is read).
"""

# The keystores' aliases are the instance's and the partner's: their limit is partnerships'.
from partnerships.aliases import ALIAS_MAX_LENGTH as ALIAS_MAX_LENGTH

MAX_UPLOAD_BYTES = 1_048_576
KEY_SIZES = (2048, 3072, 4096)
DEFAULT_KEY_SIZE = KEY_SIZES[0]
DEFAULT_VALIDITY_DAYS = 730  # two years, the usual term between partners' certificate swaps
MIN_VALIDITY_DAYS, MAX_VALIDITY_DAYS = 1, 3650
# 2048 bits is the modern minimum (NIST SP 800-131A, what partners expect); keys from 1024 to
# 2047 bits are weak but still met with legacy partners, so a user may accept them explicitly.
# Under 1024 bits a key can be factored by anyone with a few machines: never accepted.
MIN_RSA_KEY_SIZE = 2048
RSA_KEY_SIZE_FLOOR = 1024
