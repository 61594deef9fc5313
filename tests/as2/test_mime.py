"""The MIME layer keeps exact bytes: headers, folding, boundaries, parameters, filenames."""

import pytest

from as2.exceptions import MalformedMessage
from as2.mime import (
    Headers,
    build_entity,
    build_multipart,
    decode_transfer_encoding,
    encode_base64,
    entity_from_headers,
    filename_of,
    format_filename_param,
    make_boundary,
    parse_content_type,
    parse_entity,
    safe_filename,
    split_multipart,
)


def test_headers_are_case_insensitive_and_keep_order():
    headers = Headers.of({"AS2-From": "a", "as2-to": "b"})

    assert headers.get("as2-from") == "a" and headers.get("AS2-TO") == "b"
    assert "Content-Type" not in headers
    assert headers.items() == [("AS2-From", "a"), ("as2-to", "b")]


def test_folded_lf_header_lines_are_joined():
    entity = parse_entity(
        b"Content-Type: multipart/report;\n\treport-type=disposition-notification;\n"
        b'  boundary="b1"\n\nbody'
    )

    content_type = entity.content_type
    assert content_type.value == "multipart/report"
    assert content_type.param("boundary") == "b1"
    assert content_type.param("report-type") == "disposition-notification"
    assert entity.body.tobytes() == b"body"


def test_entity_body_is_the_exact_bytes_after_the_blank_line():
    raw = b"Content-Type: application/octet-stream\r\n\r\n\r\n\x00\r\r\n\n"

    entity = parse_entity(raw)

    assert entity.body.tobytes() == b"\r\n\x00\r\r\n\n"
    assert entity.raw.tobytes() == raw


def test_canonical_form_changes_header_line_ends_only():
    entity = parse_entity(b"Content-Type: text/plain\nX-A: 1\n\nline\nline\n")

    assert not entity.has_canonical_headers
    assert entity.canonical() == b"Content-Type: text/plain\r\nX-A: 1\r\n\r\nline\nline\n"


def test_part_without_headers_starts_with_the_blank_line():
    entity = parse_entity(b"\r\nno headers here")

    assert entity.headers.items() == []
    assert entity.body.tobytes() == b"no headers here"


def test_garbage_header_line_is_malformed():
    with pytest.raises(MalformedMessage):
        parse_entity(b"this is not a header\r\n\r\nbody")


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_multipart_parts_exclude_the_line_break_before_a_delimiter(newline):
    body = newline.join(
        [
            b"preamble",
            b"--XYZ",
            b"Content-Type: text/plain",
            b"",
            b"first" + newline,  # ends in a line break that belongs to the content
            b"--XYZ  ",  # transport padding after a delimiter is allowed
            b"",
            b"second",
            b"--XYZ--",
            b"epilogue",
        ]
    )
    entity = entity_from_headers(
        Headers.of({"Content-Type": 'multipart/mixed; boundary="XYZ"'}), body
    )

    first, second = split_multipart(entity)

    assert first.body.tobytes() == b"first" + newline
    assert second.body.tobytes() == b"second"
    assert second.headers.items() == []


def test_boundary_text_inside_a_line_is_not_a_delimiter():
    body = b"--B\r\n\r\nx--B\r\n--Bad\r\n--B--\r\n"
    entity = entity_from_headers(Headers.of({"Content-Type": "multipart/mixed; boundary=B"}), body)

    (part,) = split_multipart(entity)

    assert part.body.tobytes() == b"x--B\r\n--Bad"


def test_multipart_without_a_boundary_or_parts_is_malformed():
    no_boundary = entity_from_headers(Headers.of({"Content-Type": "multipart/mixed"}), b"x")
    no_parts = entity_from_headers(
        Headers.of({"Content-Type": "multipart/mixed; boundary=Q"}), b"x"
    )

    with pytest.raises(MalformedMessage):
        split_multipart(no_boundary)
    with pytest.raises(MalformedMessage):
        split_multipart(no_parts)


def test_built_multipart_splits_back_into_the_same_parts():
    parts = [build_entity([("Content-Type", "a/b")], b"\n\r\n--x"), b"\r\nraw\r\n"]
    boundary = make_boundary(*parts)
    entity = entity_from_headers(
        Headers.of({"Content-Type": f'multipart/mixed; boundary="{boundary}"'}),
        b"".join(build_multipart(parts, boundary)),
    )

    assert [part.raw.tobytes() for part in split_multipart(entity)] == parts


def test_parameters_quoted_escaped_and_case_insensitive():
    content_type = parse_content_type(
        'Multipart/Signed; Protocol="application/pkcs7-signature"; MICALG=SHA1; boundary="a;b\\"c"'
    )

    assert content_type.value == "multipart/signed"
    assert content_type.param("micalg") == "SHA1"
    assert content_type.param("boundary") == 'a;b"c'


def test_rfc2231_continuations_and_charset_are_decoded():
    disposition = parse_content_type(
        "attachment; filename*0*=utf-8''Pr%C3%BCf; filename*1*=%C3%BCng; filename*2=.edi"
    )

    assert disposition.param("filename") == "Prüfüng.edi"


@pytest.mark.parametrize("charset", ["no-such-charset", "utf\x008", "utf-8\x00"])
def test_a_charset_that_is_no_charset_name_falls_back_to_utf8(charset):
    # A NUL in a codec name is a ValueError in Python, not the LookupError of an unknown name.
    disposition = parse_content_type(f"attachment; filename*={charset}''Pr%C3%BCf.edi")

    assert disposition.param("filename") == "Prüf.edi"


def test_a_parameter_with_a_huge_section_number_is_an_ordinary_parameter():
    # int() of 5,000 digits raises ValueError (Python's digit limit): it must never be tried.
    name = "filename*" + "9" * 5000
    disposition = parse_content_type(f'attachment; {name}="x.edi"; filename="order.edi"')

    assert disposition.param("filename") == "order.edi"
    assert disposition.param(name) == "x.edi"


def test_rfc2047_encoded_filename_is_decoded():
    headers = Headers.of({"Content-Disposition": 'attachment; filename="=?UTF-8?B?w6ljaG8uZWRp?="'})

    assert filename_of(headers) == "écho.edi"


def test_filename_falls_back_to_the_content_type_name():
    headers = Headers.of({"Content-Type": 'application/edi-x12; name="order.x12"'})

    assert filename_of(headers) == "order.x12"


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.bat", "evil.bat"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        ("..", None),
        ("", None),
        ("é" * 200, "é" * 127),
    ],
)
def test_filenames_are_made_safe(given, safe):
    assert safe_filename(given) == safe


def test_non_ascii_filename_round_trips_through_rfc2231():
    param = format_filename_param("Bestellung Nr. 5 – März.edi")
    headers = Headers.of({"Content-Disposition": f"attachment; {param}"})

    assert param.startswith("filename*=utf-8''")
    assert filename_of(headers) == "Bestellung Nr. 5 – März.edi"


def test_base64_lines_are_76_characters_and_decode_back():
    data = bytes(range(256)) * 3

    encoded = encode_base64(data)

    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert decode_transfer_encoding(encoded, "BASE64") == data


def test_absent_or_binary_transfer_encoding_keeps_bytes():
    assert decode_transfer_encoding(b"\r\n\x00", None) == b"\r\n\x00"
    assert decode_transfer_encoding(b"\r\n\x00", "binary") == b"\r\n\x00"


def test_invalid_base64_is_malformed():
    with pytest.raises(MalformedMessage):
        decode_transfer_encoding(b"abc", "base64")
