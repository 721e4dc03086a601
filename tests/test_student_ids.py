"""Student ids (tl_course.student_ids): Unicode letters and digits, normalised to NFC; path
tricks and names that differ only by normalisation are refused with a clear message."""

from __future__ import annotations

import pytest

from tl_course.student_ids import check_student_id, student_ids

NFC_ZOE = "zo\u00eb"
NFD_ZOE = "zoe\u0308"


@pytest.mark.parametrize("name, why", [
    ("..", "'..' names a folder itself or its parent"),
    (".", "'.' names a folder itself or its parent"),
    ("", "empty"),
    ("a/b", "path separator"),
    ("..\\..\\x", "path separator"),
    ("a\x00b", "NUL character"),
    ("a\nb", "control character (U+000A)"),
    (".hidden", "starts with a dot"),
])
def test_check_student_id_refuses_path_like_names(name, why):
    with pytest.raises(ValueError, match="student folder names are 1 to 64") as info:
        check_student_id(name)
    assert why in str(info.value)
    assert str(info.value).startswith(f"student folder {name!r} refused: ")
    assert str(info.value).endswith(f"Received: name={name!r}")


def test_student_ids_normalise_to_nfc_and_refuse_ambiguity():
    assert check_student_id(NFD_ZOE) == NFC_ZOE
    assert check_student_id("\u674e\u96f7") == "\u674e\u96f7"
    ids, problems = student_ids(["ann", NFC_ZOE, NFD_ZOE, "Ann"])
    assert ids == {"ann": "ann", "Ann": "Ann"}
    assert len(problems) == 1 and "both are the student id 'zoë' in NFC" in problems[0]
    with pytest.raises(TypeError, match="Argument `name` must be a str"):
        check_student_id(b"ann")
