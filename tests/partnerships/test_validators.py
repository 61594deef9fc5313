import pytest
from django.core.exceptions import ValidationError

from as2.identifiers import InvalidAs2Id, check_as2_id
from partnerships.subjects import subject_render
from partnerships.validators import validate_as2_id


@pytest.mark.parametrize("as2_id", ["a", "AS2 Server", "mecas2", "x" * 128, "!~#@\"'"])
def test_valid_as2_ids_pass(as2_id):
    validate_as2_id(as2_id)


@pytest.mark.parametrize(
    ("as2_id", "sentence"),
    [
        ("", "cannot be empty"),
        ("x" * 129, "at most 128"),
        (" leading", "start or end with a space"),
        ("trailing ", "start or end with a space"),
        ("tab\there", "printable ASCII"),
        ("café", "printable ASCII"),
    ],
)
def test_invalid_as2_ids_get_a_sentence(as2_id, sentence):
    with pytest.raises(ValidationError, match=sentence):
        validate_as2_id(as2_id)


def test_subject_placeholders_are_substituted():
    subject = subject_render(
        "$sender$ to $receiver$: $filename$ ($message_id$) on $date$ $unknown$",
        sender="mycompany",
        receiver="amazon",
        filename="po.edi",
        message_id="<1@x>",
        date="2026-11-28",
    )
    assert subject == "mycompany to amazon: po.edi (<1@x>) on 2026-11-28 $unknown$"


def test_subject_cannot_inject_header_lines():
    assert subject_render("$filename$", filename="a\r\nBcc: x") == "a Bcc: x"


@pytest.mark.parametrize(
    "as2_id", ["a", "AS2 Server", "a  b", " lead", "trail ", "", "x" * 129, "tab\t", "é"]
)
def test_the_form_rule_is_the_engines_rule(as2_id):
    """partnerships accepts exactly the AS2 IDs the engine can put in AS2-From / AS2-To."""
    try:
        check_as2_id(as2_id)
    except InvalidAs2Id as engine_error:
        with pytest.raises(ValidationError) as caught:
            validate_as2_id(as2_id)
        assert caught.value.messages == [str(engine_error)]
    else:
        validate_as2_id(as2_id)
