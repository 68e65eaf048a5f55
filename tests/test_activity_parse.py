"""Table tests for the free-text activity-log parser, the catalogue and Vietnamese number words."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.activity.catalog import ActivityType, default_catalog, load_catalog
from handlers.activity.parse import MAX_COUNT, ParsedLog, parse_activity
from handlers.activity.vi_numbers import parse_vi_number

TODAY = date(2026, 11, 25)  # a Wednesday
CATALOG = default_catalog()
CODES = {a.code for a in CATALOG}


def d(day: int, month: int = 11, year: int = 2026) -> date:
    return date(year, month, day)


# (message, expected counts, expected date)
MESSAGES: list[tuple[str, dict[str, int], date]] = [
    # the brief's example, with and without diacritics
    ("Hôm nay hỗ trợ 12 người kích hoạt VNeID mức 2, 3 hồ sơ DVC trực tuyến, đến 20 hộ ở thôn Nà Pài",
     {"vneid": 12, "dvc": 3, "households": 20}, TODAY),
    ("hom nay ho tro 12 nguoi kich hoat vneid muc 2, 3 ho so dvc truc tuyen, den 20 ho o thon Na Pai",
     {"vneid": 12, "dvc": 3, "households": 20}, TODAY),
    # relative dates and number words
    ("Hôm qua cài VNeID cho năm người và mở hai tài khoản ngân hàng", {"vneid": 5, "payment": 2}, d(24)),
    ("hom kia huong dan ba muoi tu nguoi cai VNEID", {"vneid": 34}, d(23)),
    ("Hôm kia tập huấn kỹ năng số cho hai mươi lăm học viên", {"skills": 25}, d(23)),
    ("chú Năm hỗ trợ mười lăm người nộp hồ sơ dịch vụ công", {"dvc": 15}, TODAY),
    ("Sáng nay hướng dẫn một trăm linh năm người cài định danh điện tử", {"vneid": 105}, TODAY),
    ("tối qua tuyên truyền trên loa cho hai trăm ba mươi hộ dân", {"outreach": 230}, d(24)),
    ("mot chuc nguoi mo tai khoan ngan hang", {"payment": 10}, TODAY),
    # explicit dates: day/month takes the latest such date not after today
    ("ngày 15/11 hỗ trợ 8 người làm sổ sức khỏe điện tử", {"ehealth": 8}, d(15)),
    ("ngay 28/11 ho tro 3 nguoi cai vneid", {"vneid": 3}, d(28, 11, 2025)),
    ("15/11/2026: 8 người kích hoạt ĐDĐT mức 2", {"vneid": 8}, d(15)),
    ("Ngày 5 tháng 11 hướng dẫn 9 người cài VNeID", {"vneid": 9}, d(5)),
    ("20-11-2026 hỗ trợ 1.234 hồ sơ DVC", {"dvc": 1234}, d(20)),
    # weekdays (most recent, not after today)
    ("Thứ hai: tuyên truyền 2 buổi, phát tờ rơi", {"outreach": 2}, d(23)),
    ("thu nam den 10 ho huong dan cai VNeID", {"households": 10}, d(19)),
    ("T2 tuần trước đi gõ cửa 25 hộ", {"households": 25}, d(16)),
    ("chủ nhật mở 1 lớp Bình dân học vụ số", {"skills": 1}, d(22)),
    ("thứ tư hỗ trợ 4 hồ sơ TTHC", {"dvc": 4}, TODAY),
    # label-value lists, abbreviations, bullets
    ("VNeID: 12\nDVC: 3\nTTKDTM: 5", {"vneid": 12, "dvc": 3, "payment": 5}, TODAY),
    ("ĐDĐT 10, HSSK 4, TMĐT 2, BDHVS 1 lớp", {"vneid": 10, "ehealth": 4, "ecommerce": 2, "skills": 1}, TODAY),
    ("- Cài vneid: 7 ng\n- DVCTT: 2 hs\n- Ví điện tử: 3", {"vneid": 7, "dvc": 2, "payment": 3}, TODAY),
    ("12 người VNeID 3 hồ sơ DVC", {"vneid": 12, "dvc": 3}, TODAY),
    ("VNeID 12 người DVC 3 hồ sơ", {"vneid": 12, "dvc": 3}, TODAY),
    ("Tổ 5 đi gõ cửa 25 hộ, hướng dẫn v neid 18 người; 4 ho so DVC", {"households": 25, "vneid": 18, "dvc": 4},
     TODAY),
    # several activities, summing, continuation clauses
    ("đến 20 hộ hướng dẫn 35 người cài VNeID", {"households": 20, "vneid": 35}, TODAY),
    ("Kích hoạt VNeID: sáng 5 người, chiều 7 người", {"vneid": 12}, TODAY),
    ("cài VNeID cho 6 người. Chiều lại cài VNeID thêm 4 người", {"vneid": 10}, TODAY),
    ("hỗ trợ bà con cài VNeID, được 15 người", {"vneid": 15}, TODAY),
    ("tuyên truyền và hướng dẫn 30 người", {"outreach": 30}, TODAY),
    ("hướng dẫn 10 người tạo mã QR thanh toán, 3 người cài ví điện tử", {"payment": 13}, TODAY),
    ("lập 4 gian hàng trên sàn TMĐT cho hộ kinh doanh", {"ecommerce": 4}, TODAY),
    ("ban 5 san pham OCOP tren san thuong mai dien tu", {"ecommerce": 5}, TODAY),
    ("hỗ trợ 12 người kích hoạt VNeID, trong đó 5 người mức 2", {"vneid": 12}, TODAY),
    ("dang ky 3 tai khoan dinh danh muc 2 va 2 so suc khoe dien tu", {"vneid": 3, "ehealth": 2}, TODAY),
    ("📱 Hôm nay 3 người cài VNEID 👍", {"vneid": 3}, TODAY),
    ("hỗ trợ 12nguoi cài vneid", {"vneid": 12}, TODAY),
    ("thu 5 ho so dvc", {"dvc": 5}, TODAY),  # "thu" = received, not Thursday
    ("Hôm nay tổ hỗ trợ: VNeID 12 người; DVC 3 hồ sơ; TTKDTM 5 tài khoản; tuyên truyền 1 buổi",
     {"vneid": 12, "dvc": 3, "payment": 5, "outreach": 1}, TODAY),
    ("Kích hoạt VNeID\n12 người", {"vneid": 12}, TODAY),
    ("12 người, kích hoạt VNeID", {"vneid": 12}, TODAY),
    ("Hướng dẫn 3 hộ kinh doanh mở gian hàng trên Postmart", {"ecommerce": 3}, TODAY),
    ("Mở 3 tài khoản Agribank, 2 hộ cài VNeID", {"payment": 3, "vneid": 2}, TODAY),
    # spelling: upper case, old tone placement, hyphens, zero-width characters, decomposed Unicode
    ("HỖ TRỢ 7 NGƯỜI CÀI VNEID", {"vneid": 7}, TODAY),
    ("làm 6 sổ sức khoẻ điện tử cho bà con", {"ehealth": 6}, TODAY),
    ("cai V-NeID cho 4 nguoi", {"vneid": 4}, TODAY),
    ("hỗ trợ 3 người cài VNe\u200bID 中文 Ωμέγα", {"vneid": 3}, TODAY),
    (unicodedata.normalize("NFD", "Hôm qua hướng dẫn hai mươi người nộp hồ sơ trực tuyến"), {"dvc": 20}, d(24)),
    # breakdowns in parentheses or after "trong đó" are not added again
    ("Hỗ trợ 12 người kích hoạt VNeID (5 người mức 2)", {"vneid": 12}, TODAY),
    ("VNeID: 12 (mức 1: 8, mức 2: 4)", {"vneid": 12}, TODAY),
    ("kích hoạt VNeID (12 người)", {"vneid": 12}, TODAY),
    # numbers that are not counts
    ("Năm 2026 thôn 3 đã hỗ trợ 8 người làm HSSK, sdt 0912 345 678", {"ehealth": 8}, TODAY),
    ("Hỗ trợ 1 cụ 80 tuổi cài VNeID lúc 8h30", {"vneid": 1}, TODAY),
    ("lần thứ 2 đến 7 hộ ở xóm 4", {"households": 7}, TODAY),
    ("sau do ba con den nha van hoa, huong dan 6 nguoi cai vneid", {"vneid": 6}, TODAY),
    ("anh Hai hướng dẫn bà Tư cài VNeID", {}, TODAY),
    ("tu van cho 5 nguoi ve HSSK tai tram y te", {"ehealth": 5}, TODAY),
    ("Họp thôn tuyên truyền cho 45 hộ về BDHVS", {"outreach": 45}, TODAY),
    ("Sáng nay tổ em xuống thôn Khuổi Hẩu hỗ trợ được 9 bà con kích hoạt VNeID mức 2", {"vneid": 9}, TODAY),
    ("Hôm nay: 0 hồ sơ DVC, VNeID 4", {"dvc": 0, "vneid": 4}, TODAY),
    # nothing recognisable
    ("hôm nay không có gì", {}, TODAY),
    ("Báo cáo tổ 3 thôn Nà Pài", {}, TODAY),
    ("", {}, TODAY),
]


@pytest.mark.parametrize(("text", "counts", "on_date"), MESSAGES, ids=[m[0][:40] for m in MESSAGES])
def test_messages(text: str, counts: dict[str, int], on_date: date) -> None:
    parsed = parse_activity(text, CATALOG, TODAY)
    assert parsed.counts == counts
    assert parsed.on_date == on_date


# (message, expected counts, fragments expected in ``unknown``)
PROBLEMS: list[tuple[str, dict[str, int], list[str]]] = [
    ("ho tro vai chuc nguoi cai vneid", {}, ["vai chuc nguoi"]),
    ("hỗ trợ -5 người cài VNeID và 150000 hồ sơ DVC", {}, ["-5 người", "150000 hồ sơ"]),
    ("hôm nay hỗ trợ 3-4 người cài vneid", {}, ["3-4 người"]),
    ("mở 2 lớp Bình dân học vụ số cho 40 người", {"skills": 2}, ["40 người"]),
    ("Thứ hai: tuyên truyền 2 buổi, phát tờ rơi cho 150 hộ", {"outreach": 2}, ["150 hộ"]),
    ("12 người cài VNeID, 3 người học online", {"vneid": 12}, ["3 người"]),
    ("ngày 31/02 hỗ trợ 5 người vneid", {"vneid": 5}, ["ngày không hợp lệ: 31/02"]),
    ("15/12/2026 cài VNeID 5 người", {"vneid": 5}, ["ngày trong tương lai: 15/12/2026"]),
    ("Đã có 25/30 hộ cài VNeID", {}, ["25/30 hộ"]),
    ("hướng dẫn nhiều hộ cài VNeID", {}, ["nhiều hộ"]),
    ("Đã hỗ trợ 2 cụ làm thủ tục cấp đổi CCCD online", {}, ["2 cụ"]),
]


@pytest.mark.parametrize(("text", "counts", "unknown"), PROBLEMS, ids=[p[0][:40] for p in PROBLEMS])
def test_problems_reported(text: str, counts: dict[str, int], unknown: list[str]) -> None:
    parsed = parse_activity(text, CATALOG, TODAY)
    assert parsed.counts == counts
    assert parsed.unknown == unknown


def test_result_fields() -> None:
    parsed = parse_activity("  Tuyên truyền về\u200b VNeID\n\n hỗ trợ 4 hồ sơ DVC  ", CATALOG, TODAY)
    assert parsed == ParsedLog(counts={"dvc": 4}, on_date=TODAY, note="Tuyên truyền về VNeID\nhỗ trợ 4 hồ sơ DVC",
                               unknown=[], uncounted=["outreach", "vneid"])


def test_future_or_invalid_date_falls_back_to_today() -> None:
    assert parse_activity("ngày 15/12/2026 cài VNeID 5 người", CATALOG, TODAY).on_date == TODAY


NUMBER_WORDS = [
    ("12", 12), ("1.234", 1234), ("1.234.567", 1234567), ("0", 0),
    ("một", 1), ("hai", 2), ("ba", 3), ("bốn", 4), ("tư", 4), ("năm", 5), ("sáu", 6), ("bảy", 7),
    ("tám", 8), ("chín", 9), ("mười", 10), ("mười hai", 12), ("mười lăm", 15), ("mười bốn", 14),
    ("hai mươi", 20), ("hai mươi mốt", 21), ("hai mươi lăm", 25), ("ba mươi tư", 34), ("chín mươi chín", 99),
    ("một trăm", 100), ("một trăm linh năm", 105), ("một trăm lẻ năm", 105), ("hai trăm ba mươi", 230),
    ("hai trăm mốt", 210), ("một nghìn", 1000), ("hai ngàn", 2000), ("một nghìn hai trăm", 1200),
    ("hai nghìn không trăm linh năm", 2005), ("một chục", 10), ("hai chục", 20), ("2 nghìn", 2000),
    ("hai muoi lam", 25), ("mot tram linh nam", 105), ("Mười Hai", 12), ("ba mươi tư.", 34),
    ("12 người", 12), ("mười hai hồ sơ", 12), ("năm nguoi", 5), ("3 tài khoản", 3),
    # not numbers
    ("vài chục", None), ("chục", None), ("lăm", None), ("mốt", None), ("mươi", None), ("năm 2026", None),
    ("bà", None), ("hai ba", None), ("-5", None), ("1,5", None), ("1.23", None), ("", None),
    ("trăm", None), ("nghìn", None), ("một mươi", None), ("mười mốt", None), ("người", None),
    ("năm ngoái", None),
]


@pytest.mark.parametrize(("text", "value"), NUMBER_WORDS, ids=[n[0] or "empty" for n in NUMBER_WORDS])
def test_parse_vi_number(text: str, value: int | None) -> None:
    assert parse_vi_number(text) == value


def test_hand_built_catalog_with_list_keywords() -> None:
    catalog = [ActivityType("ai", "Trợ lý ảo", "Virtual assistant", ["trợ lý ảo"])]  # type: ignore[arg-type]
    assert parse_activity("5 người dùng trợ lý ảo", catalog, TODAY).counts == {"ai": 5}


def test_default_catalog_codes() -> None:
    assert [a.code for a in CATALOG] == [
        "vneid", "dvc", "payment", "ehealth", "skills", "outreach", "ecommerce", "households"]


def test_load_catalog_and_custom_keywords() -> None:
    catalog = load_catalog([
        {"code": "ai", "label_vi": "Trợ lý ảo", "label_en": "Virtual assistant", "keywords": ["trợ lý ảo", "AI"]},
        {"code": "households", "label_vi": "Hộ", "label_en": "Households", "keywords": ["đến … hộ"]},
    ])
    assert catalog[0] == ActivityType("ai", "Trợ lý ảo", "Virtual assistant", ("trợ lý ảo", "AI"))
    assert parse_activity("hướng dẫn 6 người dùng tro ly ao, den 3 ho", catalog, TODAY).counts == {
        "ai": 6, "households": 3}


@pytest.mark.parametrize(("data", "message"), [
    ([], "non-empty list"),
    ([{"code": "X", "label_vi": "a", "label_en": "b", "keywords": ["k"]}], "'code'"),
    ([{"code": "a", "label_vi": "", "label_en": "b", "keywords": ["k"]}], "'label_vi'"),
    ([{"code": "a", "label_vi": "a", "label_en": "b", "keywords": "k"}], "'keywords'"),
    ([{"code": "a", "label_vi": "a", "label_en": "b", "keywords": []}], "must not be empty"),
    ([{"code": "a", "label_vi": "a", "label_en": "b", "keywords": ["…"]}], "no words"),
    ([{"code": "a", "label_vi": "a", "label_en": "b", "keywords": ["k"]}] * 2, "duplicate"),
    ([{"code": "a", "label_vi": "a", "label_en": "b", "keywords": ["k"], "x": 1}], "unknown fields"),
    (["vneid"], "mapping"),
])
def test_load_catalog_rejects(data: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_catalog(data)


_VOCAB = st.sampled_from([
    "hôm nay", "hom qua", "ngày 15/11", "thứ hai", "năm 2026", "mức 2", "12", "-5", "150000", "1.234", "3-4",
    "hai mươi lăm", "năm", "vài chục", "người", "hộ", "hồ sơ", "VNeID", "v neid", "DVC", "đến", "và", ",",
    "\n", "thôn 3", "0912345678", "\u200b", "🙂", "Ωμέγα", "中文", "…", "trong đó", "T2", "%", "ĐDĐT",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(_VOCAB, max_size=40).map(" ".join)))
def test_never_raises(text: str) -> None:
    parsed = parse_activity(text, CATALOG, TODAY)
    assert set(parsed.counts) <= CODES
    assert all(isinstance(v, int) and 0 <= v <= MAX_COUNT for v in parsed.counts.values())
    assert parsed.on_date <= TODAY
    assert isinstance(parse_vi_number(text), int | None)


@pytest.mark.parametrize("text", [
    "1" + ".000" * 2000 + " người VNeID", "ngày 1-" + "9" * 5000, "ngày " + "9" * 5000 + "/1", "1," + "1" * 5000,
    "9" * 5000 + "/" + "9" * 5000, "hộ 1 " * 2000, "\u200b" * 5000, "a\u0301" * 3000, "\ud800 VNeID 3",
])
def test_pathological_inputs(text: str) -> None:
    parsed = parse_activity(text, CATALOG, TODAY)
    assert all(0 <= v <= MAX_COUNT for v in parsed.counts.values())
    assert all(len(u) <= 60 for u in parsed.unknown)
    assert parse_vi_number(text) is None


def test_long_message() -> None:
    text = ("hỗ trợ 2 người cài VNeID, " * 400)[:10_000]
    parsed = parse_activity(text, CATALOG, TODAY)
    assert parsed.counts["vneid"] == 2 * text.count("VNeID")


# (message, expected counts, expected ``refused``): numbers that are no count are never summed or stored
REFUSED: list[tuple[str, dict[str, int], list[tuple[str, str]]]] = [
    ("hỗ trợ 1e309 người kích hoạt VNeID", {}, [("exponent", "1e309")]),  # was read as 1 + 309 = 310
    ("hỗ trợ 10^12 người kích hoạt VNeID", {}, [("exponent", "10^12")]),  # was 22
    ("hỗ trợ 1,5e3 người cài VNeID, 3 hồ sơ DVC", {"dvc": 3}, [("exponent", "1,5e3")]),
    ("hỗ trợ 2E5 người VNeID", {}, [("exponent", "2E5")]),
    ("hỗ trợ 10 mũ 12 người cài VNeID", {}, [("exponent", "10 mũ 12")]),
    ("hỗ trợ 8,5 người cài VNeID", {}, [("decimal", "8,5 người")]),
    ("hỗ trợ tám mươi lăm phẩy năm người cài VNeID", {}, [("decimal", "tám mươi lăm phẩy năm người")]),
    ("hỗ trợ 12 người cài VNeID mức 2,5", {"vneid": 12}, []),  # "mức 2,5" is no count
]


@pytest.mark.parametrize(("text", "counts", "refused"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_numbers_that_are_no_count(text: str, counts: dict[str, int], refused: list[tuple[str, str]]) -> None:
    parsed = parse_activity(text, CATALOG, TODAY)
    assert parsed.counts == counts and parsed.refused == refused
