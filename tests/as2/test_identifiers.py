"""The AS2 ID rule (RFC 4130 section 6.2), written once in as2.identifiers."""

import pytest

import as2
from as2.identifiers import InvalidAs2Id, check_as2_id, quote_as2_id, unquote_as2_id

VALID = ["a", "AS2 Server", "mecas2", "x" * 128, "!~#@\"'", "Bob AS2", "a\\b", "a  b"]
INVALID = [
    ("", "cannot be empty"),
    ("x" * 129, "at most 128"),
    (" leading", "start or end with a space"),
    ("trailing ", "start or end with a space"),
    ("tab\there", "printable ASCII"),
    ("line\r\nbreak", "printable ASCII"),
    ("café", "printable ASCII"),
    ("\x7f", "printable ASCII"),
]


@pytest.mark.parametrize("as2_id", VALID)
def test_valid_as2_ids_pass_and_survive_the_header_round_trip(as2_id):
    assert check_as2_id(as2_id) == as2_id
    assert unquote_as2_id(quote_as2_id(as2_id)) == as2_id


@pytest.mark.parametrize(("as2_id", "sentence"), INVALID)
def test_invalid_as2_ids_get_a_sentence(as2_id, sentence):
    with pytest.raises(InvalidAs2Id, match=sentence):
        check_as2_id(as2_id)
    with pytest.raises(ValueError, match=sentence):
        quote_as2_id(as2_id)


@pytest.mark.parametrize(
    ("as2_id", "on_the_wire"),
    [("AS2Server", "AS2Server"), ("AS2 Server", '"AS2 Server"'), ('say "hi"', '"say \\"hi\\""')],
)
def test_as2_ids_travel_as_an_atom_or_a_quoted_string(as2_id, on_the_wire):
    assert quote_as2_id(as2_id) == on_the_wire


@pytest.mark.parametrize(("as2_id", "sentence"), INVALID)
def test_build_message_refuses_what_the_rule_refuses(as2_id, sentence):
    with pytest.raises(ValueError, match=sentence):
        as2.build_message(
            b"x", filename="x", content_type="text/plain", sender=as2_id, receiver="b", subject=""
        )
