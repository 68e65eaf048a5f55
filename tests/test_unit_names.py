"""Typed unit names read with the one unit normaliser: no diacritics, no kind word, abbreviations,
a typo; several hits when the name is ambiguous, none when nothing is close."""

from __future__ import annotations

import pytest

from locales.textnorm import match_unit_names

NAMES = ["Thôn Nà Pài", "Thôn Nà Lẹng", "Thôn Khuổi Luông", "Phòng Văn hóa - Xã hội",
         "Trung tâm Phục vụ hành chính công", "Công an xã", "Thôn Bản Xa 1", "Thôn Bản Xa 10"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("Thôn Nà Pài", ["Thôn Nà Pài"]),
    ("na pai", ["Thôn Nà Pài"]),
    ("THON NA PAI.", ["Thôn Nà Pài"]),
    ("phong vh-xh", ["Phòng Văn hóa - Xã hội"]),
    ("VHXH", ["Phòng Văn hóa - Xã hội"]),
    ("TT PVHCC", ["Trung tâm Phục vụ hành chính công"]),
    ("khuoi luong", ["Thôn Khuổi Luông"]),
    ("Na Lengg", ["Thôn Nà Lẹng"]),  # a typo
    ("Công an xã Hòa An", ["Công an xã"]),  # the commune's name after "xã"
    ("ban xa 1", ["Thôn Bản Xa 1"]),  # whole words: not "Bản Xa 10"
    ("thon na", ["Thôn Nà Pài", "Thôn Nà Lẹng"]),  # ambiguous: both, the caller asks which
    ("phòng", ["Phòng Văn hóa - Xã hội"]),  # a kind word alone: every unit of that kind
    ("xa hoi van hoa", ["Phòng Văn hóa - Xã hội"]),
    ("Trạm Y tế", []),
    ("", []),
    ("   ", []),
])
def test_typed_unit_names(typed: str, expected: list[str]) -> None:
    assert match_unit_names(typed, NAMES, "hòa an") == expected
