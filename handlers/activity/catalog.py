"""Configurable catalogue of community digital-team activity types and their Vietnamese keywords."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from locales.textnorm import fold, normalize_name

__all__ = ["GAP", "ActivityType", "default_catalog", "keyword_tokens", "load_catalog"]

GAP = "…"  # in a keyword, "…" stands for up to three words, e.g. "đến … hộ" matches "đến 20 hộ"
_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_WORD_RE = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class ActivityType:
    """One kind of logged activity. Keywords are matched on folded text (no diacritics, lower case)."""

    code: str
    label_vi: str
    label_en: str
    keywords: tuple[str, ...]


def keyword_tokens(keyword: str, *, keep_marks: bool = False) -> list[list[str]]:
    """Split a keyword into folded word groups around gaps: "Đến … hộ" → [["den"], ["ho"]]
    (with ``keep_marks``: [["đến"], ["hộ"]], lower case)."""
    parts = keyword.replace("...", GAP).split(GAP)
    norm = normalize_name if keep_marks else fold
    return [_WORD_RE.findall(norm(part)) for part in parts]


_DEFAULT: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("vneid", "Kích hoạt định danh điện tử (VNeID)", "VNeID e-ID installs and activations", (
        "VNeID", "v neid", "vn eid", "vnid", "kích hoạt VNeID", "cài VNeID", "cài đặt VNeID",
        "định danh điện tử", "định danh", "ĐDĐT", "mức 2", "mức 1", "tài khoản định danh",
        "tài khoản định danh điện tử", "kích hoạt tài khoản định danh", "căn cước điện tử",
    )),
    ("dvc", "Hồ sơ dịch vụ công trực tuyến", "Online public-service applications", (
        "hồ sơ DVC trực tuyến", "hồ sơ DVC", "DVC trực tuyến", "DVC", "DVCTT", "dịch vụ công",
        "dịch vụ công trực tuyến", "cổng dịch vụ công", "nộp hồ sơ trực tuyến", "hồ sơ trực tuyến",
        "hồ sơ online", "thủ tục hành chính", "TTHC", "nộp trực tuyến", "nộp hồ sơ",
        "khai sinh", "tạm trú", "thường trú", "lý lịch tư pháp", "LLTP",
    )),
    ("payment", "Thanh toán không dùng tiền mặt", "Cashless payment, bank accounts, QR", (
        "thanh toán không dùng tiền mặt", "TTKDTM", "tài khoản ngân hàng", "mở tài khoản ngân hàng",
        "mã QR", "QR", "ví điện tử", "thanh toán điện tử", "thanh toán qua QR", "mobile banking",
        "app ngân hàng", "ứng dụng ngân hàng", "chuyển khoản", "tài khoản thanh toán", "thanh toán",
        "không dùng tiền mặt", "ngân hàng", "Agribank", "Vietinbank", "Vietcombank", "BIDV", "MoMo",
        "Viettel Money", "VNPT Money", "ZaloPay",
    )),
    ("ehealth", "Hồ sơ sức khỏe điện tử", "Electronic health records", (
        "hồ sơ sức khỏe điện tử", "sổ sức khỏe điện tử", "HSSK", "sức khỏe điện tử", "sổ sức khỏe",
        "hồ sơ sức khỏe", "y tế điện tử",
    )),
    ("skills", "Bình dân học vụ số, kỹ năng số", "Digital-skills training", (
        "Bình dân học vụ số", "BDHVS", "học vụ số", "hướng dẫn kỹ năng số", "kỹ năng số", "kĩ năng số",
        "tập huấn", "lớp", "đào tạo", "phổ cập kỹ năng số", "lớp học", "điện thoại thông minh",
    )),
    ("outreach", "Tuyên truyền", "Awareness sessions and outreach", (
        "tuyên truyền", "buổi tuyên truyền", "phát tờ rơi", "tờ rơi", "loa", "loa phát thanh",
        "truyền thông", "đợt tuyên truyền",
    )),
    ("ecommerce", "Thương mại điện tử", "E-commerce shops and selling online", (
        "thương mại điện tử", "TMĐT", "gian hàng", "gian hàng số", "bán hàng online",
        "bán hàng trực tuyến", "sàn", "sàn TMĐT", "sàn thương mại điện tử", "shop online",
        "Postmart", "Voso", "Shopee", "Lazada", "TikTok Shop",
    )),
    ("households", "Hộ gia đình được đến hỗ trợ", "Households visited", (
        "hộ", "đến … hộ", "tới … hộ", "thăm … hộ", "thăm hộ", "đi … hộ", "xuống … hộ", "gõ cửa",
        "gõ cửa … hộ", "đi từng nhà", "từng nhà", "hộ gia đình", "hộ dân",
    )),
)


def default_catalog() -> list[ActivityType]:
    """The built-in catalogue (codes vneid, dvc, payment, ehealth, skills, outreach, ecommerce,
    households)."""
    return [ActivityType(code, vi, en, kws) for code, vi, en, kws in _DEFAULT]


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


def _keywords(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise ValueError(f"{where}: 'keywords' must be a list of strings, got {raw!r}")
    out: list[str] = []
    for kw in raw:
        if not isinstance(kw, str) or not kw.strip():
            raise ValueError(f"{where}: keyword {kw!r} must be a non-empty string")
        groups = keyword_tokens(kw)
        if not groups[0] or not groups[-1] or any(not g for g in groups):
            raise ValueError(f"{where}: keyword {kw!r} has no words (or starts/ends with a gap)")
        out.append(kw.strip())
    if not out:
        raise ValueError(f"{where}: 'keywords' must not be empty")
    return tuple(out)


def load_catalog(data: list[dict[str, Any]]) -> list[ActivityType]:
    """Build a catalogue from config entries {code, label_vi, label_en, keywords}; raises ValueError
    naming the bad entry and field."""
    if not isinstance(data, list) or not data:
        raise ValueError("activity catalogue must be a non-empty list of entries")
    seen: set[str] = set()
    catalog: list[ActivityType] = []
    for i, entry in enumerate(data):
        where = f"activity #{i + 1}"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: must be a mapping, got {type(entry).__name__}")
        code = entry.get("code")
        if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
            raise ValueError(f"{where}: 'code' must match [a-z][a-z0-9_]*, got {code!r}")
        where = f"activity {code!r}"
        if code in seen:
            raise ValueError(f"{where}: duplicate code")
        seen.add(code)
        unexpected = set(entry) - {"code", "label_vi", "label_en", "keywords"}
        if unexpected:
            raise ValueError(f"{where}: unknown fields {sorted(unexpected)}")
        catalog.append(ActivityType(
            code=code,
            label_vi=_text(entry, "label_vi", where),
            label_en=_text(entry, "label_en", where),
            keywords=_keywords(entry.get("keywords"), where),
        ))
    return catalog
