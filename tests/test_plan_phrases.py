"""Table tests for plan-cell phrase readers: deadlines, targets, unit lists, unit keys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.plan_import import phrases
from storage.plan_import.model import Due, Target
from storage.plan_import.phrases import parse_due, parse_target, split_units, unit_key

Y = 2026


def dated(text: str, end: date, start: date | None = None) -> Due:
    return Due(text=text, date=end, kind="dated", start=start)


def every_quarter(text: str, start: date, end: date) -> Due:
    return Due(text=text, date=end, recurring=True, kind="recurring", start=start, every="quarter")


def ongoing(text: str, every: str | None = None, end: date | None = None) -> Due:
    return Due(text=text, date=end, recurring=True, kind="recurring", every=every)


def external(text: str) -> Due:
    return Due(text=text, kind="external")


# (cell, plan year, expected). Every deadline phrasing of domain.md §7 plus spelling variants.
DUE_CASES: list[tuple[str, int, Due]] = [
    # quarters with a year (000, 004)
    ("Quý II năm 2026", Y, dated("Quý II năm 2026", date(2026, 6, 30))),
    ("Quý III năm 2026", Y, dated("Quý III năm 2026", date(2026, 9, 30))),
    ("Quý IV năm 2026", Y, dated("Quý IV năm 2026", date(2026, 12, 31))),
    ("Quý I/2026", Y, dated("Quý I/2026", date(2026, 3, 31))),
    ("Quý II/2026", Y, dated("Quý II/2026", date(2026, 6, 30))),
    ("trong Quý II năm 2026", Y, dated("trong Quý II năm 2026", date(2026, 6, 30))),
    ("trong quý II/2026", Y, dated("trong quý II/2026", date(2026, 6, 30))),
    # quarters without a year take the plan's year (002)
    ("Quý I", Y, dated("Quý I", date(2026, 3, 31))),
    ("Quý II", Y, dated("Quý II", date(2026, 6, 30))),
    ("Quý III", Y, dated("Quý III", date(2026, 9, 30))),
    ("Quý IV", Y, dated("Quý IV", date(2026, 12, 31))),
    ("Quý II", 2027, dated("Quý II", date(2027, 6, 30))),
    # spelling: no diacritics, case, arabic numbers, stray spaces, wrapped cells
    ("quý 2", Y, dated("quý 2", date(2026, 6, 30))),
    ("Quy 3/2026", Y, dated("Quy 3/2026", date(2026, 9, 30))),
    ("QUY II NAM 2026", Y, dated("QUY II NAM 2026", date(2026, 6, 30))),
    ("  Quý   IV  năm  2026 ", Y, dated("Quý   IV  năm  2026", date(2026, 12, 31))),
    ("Quý II\nnăm 2026", Y, dated("Quý II\nnăm 2026", date(2026, 6, 30))),
    # a span from one quarter to another is one dated window
    (
        "Từ quý II đến quý III năm 2026",
        Y,
        dated("Từ quý II đến quý III năm 2026", date(2026, 9, 30), date(2026, 4, 1)),
    ),
    (
        "Tu quy II den quy III nam 2026",
        Y,
        dated("Tu quy II den quy III nam 2026", date(2026, 9, 30), date(2026, 4, 1)),
    ),
    # months
    ("Tháng 12/2026", Y, dated("Tháng 12/2026", date(2026, 12, 31))),
    ("Tháng 6/2026", Y, dated("Tháng 6/2026", date(2026, 6, 30))),
    ("tháng 6 năm 2026", Y, dated("tháng 6 năm 2026", date(2026, 6, 30))),
    ("Thang 2/2028", Y, dated("Thang 2/2028", date(2028, 2, 29))),
    ("12/2026", Y, dated("12/2026", date(2026, 12, 31))),
    (
        "Từ tháng 3 đến tháng 6/2026",
        Y,
        dated("Từ tháng 3 đến tháng 6/2026", date(2026, 6, 30), date(2026, 3, 1)),
    ),
    # days: the date is kept as written; the inclusive/exclusive reading is a setting elsewhere
    # "trước ngày N": by the end of day N−1, as the reporting calendar reads "before the 20th" (README)
    ("Trước ngày 30/4/2026", Y, dated("Trước ngày 30/4/2026", date(2026, 4, 29))),
    ("Truoc ngay 30/4/2026", Y, dated("Truoc ngay 30/4/2026", date(2026, 4, 29))),
    ("đến ngày 15/5/2026", Y, dated("đến ngày 15/5/2026", date(2026, 5, 15))),
    ("30/4/2026", Y, dated("30/4/2026", date(2026, 4, 30))),
    ("30/04/2026.", Y, dated("30/04/2026.", date(2026, 4, 30))),
    ("ngày 30 tháng 4 năm 2026", Y, dated("ngày 30 tháng 4 năm 2026", date(2026, 4, 30))),
    ("Trước ngày 20/5", Y, dated("Trước ngày 20/5", date(2026, 5, 19))),
    # whole year, half year, multi-year period
    ("Năm 2026", Y, dated("Năm 2026", date(2026, 12, 31))),
    ("Trong năm 2026", Y, dated("Trong năm 2026", date(2026, 12, 31))),
    ("Cả năm 2026", Y, dated("Cả năm 2026", date(2026, 12, 31))),
    ("nam 2026", Y, dated("nam 2026", date(2026, 12, 31))),
    ("6 tháng đầu năm 2026", Y, dated("6 tháng đầu năm 2026", date(2026, 6, 30), date(2026, 1, 1))),
    ("Giai đoạn 2026 - 2030", Y, dated("Giai đoạn 2026 - 2030", date(2030, 12, 31), date(2026, 1, 1))),
    # quarter ranges repeat every quarter (003): en dash, hyphen, "đến"
    ("Quý I–IV/2026", Y, every_quarter("Quý I–IV/2026", date(2026, 1, 1), date(2026, 12, 31))),
    ("Quý II–IV/2026", Y, every_quarter("Quý II–IV/2026", date(2026, 4, 1), date(2026, 12, 31))),
    ("Quý II–III/2026", Y, every_quarter("Quý II–III/2026", date(2026, 4, 1), date(2026, 9, 30))),
    ("Quý III–IV/2026", Y, every_quarter("Quý III–IV/2026", date(2026, 7, 1), date(2026, 12, 31))),
    ("Quý II-III/2026", Y, every_quarter("Quý II-III/2026", date(2026, 4, 1), date(2026, 9, 30))),
    ("Quý II đến IV/2026", Y, every_quarter("Quý II đến IV/2026", date(2026, 4, 1), date(2026, 12, 31))),
    ("quý 1-4/2026", Y, every_quarter("quý 1-4/2026", date(2026, 1, 1), date(2026, 12, 31))),
    ("Quý I - IV", 2027, every_quarter("Quý I - IV", date(2027, 1, 1), date(2027, 12, 31))),
    # open-ended repetition
    ("Thường xuyên", Y, ongoing("Thường xuyên")),
    ("Thực hiện thường xuyên", Y, ongoing("Thực hiện thường xuyên")),
    ("Thực hiện thường xuyên.", Y, ongoing("Thực hiện thường xuyên.")),
    ("thuc hien thuong xuyen", Y, ongoing("thuc hien thuong xuyen")),
    ("(*Thường xuyên*)", Y, ongoing("(*Thường xuyên*)")),
    ("Hằng năm", Y, ongoing("Hằng năm", "year")),
    ("Hàng năm", Y, ongoing("Hàng năm", "year")),
    ("Hàng tháng", Y, ongoing("Hàng tháng", "month")),
    ("Định kỳ hằng tháng", Y, ongoing("Định kỳ hằng tháng", "month")),
    ("Hằng quý", Y, ongoing("Hằng quý", "quarter")),
    ("Thường xuyên trong năm 2026", Y, ongoing("Thường xuyên trong năm 2026", None, date(2026, 12, 31))),
    # set by someone else
    ("Theo kế hoạch của tỉnh", Y, external("Theo kế hoạch của tỉnh")),
    (
        "Theo kế hoạch của Sở Khoa học và Công nghệ",
        Y,
        external("Theo kế hoạch của Sở Khoa học và Công nghệ"),
    ),
    ("Theo hướng dẫn của Sở KH&CN", Y, external("Theo hướng dẫn của Sở KH&CN")),
    (
        "Theo Kế hoạch số 41-KH/TU ngày 15/01/2026",
        Y,
        external("Theo Kế hoạch số 41-KH/TU ngày 15/01/2026"),
    ),
    ("Khi có yêu cầu", Y, external("Khi có yêu cầu")),
    # finished, empty, unknown, impossible
    ("Đã thực hiện xong", Y, Due(text="Đã thực hiện xong", kind="done")),
    ("Đã thực hiện xong.", Y, Due(text="Đã thực hiện xong.", kind="done")),
    ("Da thuc hien xong", Y, Due(text="Da thuc hien xong", kind="done")),
    ("Đã hoàn thành", Y, Due(text="Đã hoàn thành", kind="done")),
    ("", Y, Due(text="", kind="none")),
    ("   \n ", Y, Due(text="", kind="none")),
    ("Đột xuất", Y, external("Đột xuất")),
    ("Sớm nhất có thể", Y, external("Sớm nhất có thể")),
    ("Trước ngày 31/2/2026", Y, external("Trước ngày 31/2/2026")),
    # "trước" a month, quarter or year, read literally like "trước ngày N": by the day before it begins
    ("Trước Quý III năm 2026", Y, Due(text="Trước Quý III năm 2026", date=date(2026, 6, 30), kind="dated")),
    ("Trước quý 3/2026", Y, Due(text="Trước quý 3/2026", date=date(2026, 6, 30), kind="dated")),
    ("trước quý I/2027", Y, Due(text="trước quý I/2027", date=date(2026, 12, 31), kind="dated")),
    ("Trước tháng 6/2026", Y, Due(text="Trước tháng 6/2026", date=date(2026, 5, 31), kind="dated")),
    ("Trước năm 2027", Y, Due(text="Trước năm 2027", date=date(2026, 12, 31), kind="dated")),
    ("Trước hết quý II", Y, Due(text="Trước hết quý II", date=date(2026, 6, 30), kind="dated")),
    ("Chậm nhất Quý III/2026", Y, Due(text="Chậm nhất Quý III/2026", date=date(2026, 9, 30), kind="dated")),
]


@pytest.mark.parametrize(("text", "year", "expected"), DUE_CASES, ids=[c[0] or "<empty>" for c in DUE_CASES])
def test_parse_due(text: str, year: int, expected: Due) -> None:
    assert parse_due(text, year) == expected


def num(text: str, op: str, value: str, unit: str | None) -> Target:
    return Target(text=text, op=op, value=Decimal(value), unit=unit)


def yes_no(text: str, boolean: bool) -> Target:
    return Target(text=text, op="bool", boolean=boolean)


# (cell, "Đơn vị tính" column, expected). Every target phrasing of domain.md §7.
TARGET_CASES: list[tuple[str, str | None, Target]] = [
    # bare numbers with a unit column (000/002)
    ("90", "%", num("90", "=", "90", "%")),
    ("100", "%", num("100", "=", "100", "%")),
    ("80", "%", num("80", "=", "80", "%")),
    (">95", "%", num(">95", ">", "95", "%")),
    (">70", "%", num(">70", ">", "70", "%")),
    ("≥80", "%", num("≥80", ">=", "80", "%")),
    ("≥90", "%", num("≥90", ">=", "90", "%")),
    (">=80", None, num(">=80", ">=", "80", None)),
    ("02", "IoT", num("02", "=", "2", "IoT")),
    # percent in the cell (001)
    ("100%", None, num("100%", "=", "100", "%")),
    ("15%", None, num("15%", "=", "15", "%")),
    ("5%", None, num("5%", "=", "5", "%")),
    ("99%", None, num("99%", "=", "99", "%")),
    ("8,05 %", None, num("8,05 %", "=", "8.05", "%")),
    ("98", None, num("98", "=", "98", None)),
    ("01", None, num("01", "=", "1", None)),
    # qualitative
    ("Đạt", None, yes_no("Đạt", True)),
    ("Có", None, yes_no("Có", True)),
    ("Dat", None, yes_no("Dat", True)),
    ("đạt.", None, yes_no("đạt.", True)),
    ("Không", None, yes_no("Không", False)),
    ("Chưa đạt", None, yes_no("Chưa đạt", False)),
    # outputs as text, and empty cells (001 has four)
    ("", None, Target(text="")),
    ("", "%", Target(text="")),
    ("Báo cáo đúng hạn", None, Target(text="Báo cáo đúng hạn")),
    ("Danh sách học viên", None, Target(text="Danh sách học viên")),
    ("Quy chế ATTT, nhật ký sao lưu", None, Target(text="Quy chế ATTT, nhật ký sao lưu")),
    (
        "Quyết định kiện toàn, kế hoạch hoạt động",
        None,
        Target(text="Quyết định kiện toàn, kế hoạch hoạt động"),
    ),
    (
        "Triển khai các công nghệ số trong trường học",
        None,
        Target(text="Triển khai các công nghệ số trong trường học"),
    ),
    ("Báo cáo 6 tháng", None, Target(text="Báo cáo 6 tháng")),
    # embedded quantities (003)
    ("≥2 đợt tuyên truyền/năm", None, num("≥2 đợt tuyên truyền/năm", ">=", "2", "đợt tuyên truyền/năm")),
    (
        "≥02 hộ có gian hàng trực tuyến",
        None,
        num("≥02 hộ có gian hàng trực tuyến", ">=", "2", "hộ có gian hàng trực tuyến"),
    ),
    ("≥01 hộ hoạt động ổn định", None, num("≥01 hộ hoạt động ổn định", ">=", "1", "hộ hoạt động ổn định")),
    (
        "≥80% giao dịch không dùng tiền mặt",
        None,
        num("≥80% giao dịch không dùng tiền mặt", ">=", "80", "%"),
    ),
    ("≥70% người dân có hồ sơ điện tử", None, num("≥70% người dân có hồ sơ điện tử", ">=", "70", "%")),
    ("75% dân cư có định danh điện tử", None, num("75% dân cư có định danh điện tử", "=", "75", "%")),
    ("100% CBCC sử dụng thành thạo", None, num("100% CBCC sử dụng thành thạo", "=", "100", "%")),
    ("≥100% hồ sơ giải quyết trực tuyến", None, num("≥100% hồ sơ giải quyết trực tuyến", ">=", "100", "%")),
    (
        r"Website hoạt động, $\geq 100$ tin/năm",
        None,
        num(r"Website hoạt động, $\geq 100$ tin/năm", ">=", "100", "tin/năm"),
    ),
    (r"Cập nhật tin bài $\geq 1$ /ngày", None, num(r"Cập nhật tin bài $\geq 1$ /ngày", ">=", "1", "/ngày")),
    # prose results (004)
    ("Tối thiểu 90%", None, num("Tối thiểu 90%", ">=", "90", "%")),
    ("Tối thiểu 6%", None, num("Tối thiểu 6%", ">=", "6", "%")),
    ("tối thiểu 01 mô hình", None, num("tối thiểu 01 mô hình", ">=", "1", "mô hình")),
    (
        "Hình thành tối thiểu 01 mô hình có thể nhân rộng (theo chuỗi giá trị).",
        None,
        num(
            "Hình thành tối thiểu 01 mô hình có thể nhân rộng (theo chuỗi giá trị).",
            ">=",
            "1",
            "mô hình có thể nhân rộng",
        ),
    ),
    ("Có 5 sáng kiến", None, num("Có 5 sáng kiến", "=", "5", "sáng kiến")),  # "Có" states a count
    (
        "100% văn bản quy phạm pháp luật được rà soát định kỳ hằng năm.",
        None,
        num("100% văn bản quy phạm pháp luật được rà soát định kỳ hằng năm.", "=", "100", "%"),
    ),
    # 2025 results (003)
    ("Đạt 100%", None, num("Đạt 100%", "=", "100", "%")),
    ("Đạt 90%", None, num("Đạt 90%", "=", "90", "%")),
    ("Đạt 917/917 đảng viên = 100%", None, num("Đạt 917/917 đảng viên = 100%", "=", "100", "%")),
    # number formats and other comparators
    ("1.234", None, num("1.234", "=", "1234", None)),
    ("1.234,5 triệu đồng", None, num("1.234,5 triệu đồng", "=", "1234.5", "triệu đồng")),
    ("0,5%", None, num("0,5%", "=", "0.5", "%")),
    ("≤ 5 ngày", None, num("≤ 5 ngày", "<=", "5", "ngày")),
    ("<=5", "ngày", num("<=5", "<=", "5", "ngày")),
    ("Không quá 3 ngày", None, num("Không quá 3 ngày", "<=", "3", "ngày")),
    ("Ít nhất 2 lần", None, num("Ít nhất 2 lần", ">=", "2", "lần")),
    ("<10", "%", num("<10", "<", "10", "%")),
]


@pytest.mark.parametrize(
    ("text", "unit", "expected"), TARGET_CASES, ids=[c[0] or "<empty>" for c in TARGET_CASES]
)
def test_parse_target(text: str, unit: str | None, expected: Target) -> None:
    assert parse_target(text, unit) == expected


def test_parse_target_value_is_decimal_with_plain_exponent() -> None:
    assert str(parse_target("01").value) == "1"
    assert str(parse_target("8,05 %").value) == "8.05"
    assert str(parse_target("100").value) == "100"


# (cell as it stands in the seed, lead units, partner units). Every distinct "chủ trì",
# "phối hợp", "theo dõi" and "hướng dẫn/kiểm tra" cell of the five seeds, plus spelling variants.
UNIT_CELLS: list[tuple[str, list[str], list[str]]] = [
    # 000 and 002: chủ trì / phối hợp columns
    ("Phòng Văn hóa - Xã hội", ["Phòng Văn hóa - Xã hội"], []),
    ("Các cơ quan, đơn vị", ["Các cơ quan, đơn vị"], []),
    ("Các cơ quan, đơn vị liên quan", ["Các cơ quan, đơn vị liên quan"], []),
    ("Các cơ quan, đơn vị có liên quan", ["Các cơ quan, đơn vị có liên quan"], []),
    ("Văn phòng HĐND và UBND xã", ["Văn phòng HĐND và UBND xã"], []),
    ("Văn phòng HĐND và UBND", ["Văn phòng HĐND và UBND"], []),
    ("Phòng Kinh tế", ["Phòng Kinh tế"], []),
    ("Phòng Kinh tế, Hạ tầng và Đô thị", ["Phòng Kinh tế, Hạ tầng và Đô thị"], []),
    ("Trung tâm Phục vụ hành chính công", ["Trung tâm Phục vụ hành chính công"], []),
    ("Phòng Văn hóa - Xã hội; các xóm", ["Phòng Văn hóa - Xã hội", "các xóm"], []),
    ("Công an xã", ["Công an xã"], []),
    ("Công an phường", ["Công an phường"], []),
    ("Trạm y tế xã", ["Trạm y tế xã"], []),
    ("Trạm Y tế phường", ["Trạm Y tế phường"], []),
    (
        "Phòng Văn hóa - Xã hội; Phòng Kinh tế, Hạ tầng và Đô thị",
        ["Phòng Văn hóa - Xã hội", "Phòng Kinh tế, Hạ tầng và Đô thị"],
        [],
    ),
    ("Các doanh nghiệp viễn\nthông", ["Các doanh nghiệp viễn thông"], []),  # 002 wrapped cell
    ("Các doanh nghiệp viễn\n\t\t\tthông", ["Các doanh nghiệp viễn thông"], []),
    ("Các trường học trên địa bàn", ["Các trường học trên địa bàn"], []),
    # 001: Cơ quan chủ trì / Cơ quan thực hiện, phối hợp
    ("UBND xã", ["UBND xã"], []),
    ("Đảng ủy", ["Đảng ủy"], []),
    ("Đảng ủy xã", ["Đảng ủy xã"], []),
    ("Văn phòng Đảng ủy", ["Văn phòng Đảng ủy"], []),
    ("Văn phòng Đảng ủy xã", ["Văn phòng Đảng ủy xã"], []),
    ("Đảng ủy, UBND xã", ["Đảng ủy", "UBND xã"], []),
    ("Đảng ủy UBND xã", ["Đảng ủy", "UBND xã"], []),
    ("Đảng ủy, HĐND, UBND UBMTTQVN", ["Đảng ủy", "HĐND", "UBND", "UBMTTQVN"], []),
    ("HĐND xã", ["HĐND xã"], []),
    ("BCĐ", ["BCĐ"], []),
    ("Ủy ban kiểm tra Đảng ủy", ["Ủy ban kiểm tra Đảng ủy"], []),
    ("Phòng Văn hóa - xã hội", ["Phòng Văn hóa - xã hội"], []),
    ("Viễn thông", ["Viễn thông"], []),
    ("Viễn thông, UBND xã", ["Viễn thông", "UBND xã"], []),
    ("UBND xã, Viễn thông", ["UBND xã", "Viễn thông"], []),
    ("Cơ quan, đơn vị liên quan", ["Cơ quan, đơn vị liên quan"], []),
    ("Công an tỉnh, Sở, ban ngành tỉnh, UBND xã", ["Công an tỉnh", "Sở, ban ngành tỉnh", "UBND xã"], []),
    (
        "Trung tâm dịch vụ Sự nghiệp công, UBND xã",
        ["Trung tâm dịch vụ Sự nghiệp công", "UBND xã"],
        [],
    ),
    (
        "Công an xã, UBND xã; Các cơ quan, đơn vị có liên quan",
        ["Công an xã", "UBND xã", "Các cơ quan, đơn vị có liên quan"],
        [],
    ),
    (
        "Các cơ quan, đơn vị có liên quan, UBND xã",
        ["Các cơ quan, đơn vị có liên quan", "UBND xã"],
        [],
    ),
    (
        "Đảng ủy, HĐND, UBND, MTTQ và các TCCT-XH xã",
        ["Đảng ủy", "HĐND", "UBND", "MTTQ", "các TCCT-XH xã"],
        [],
    ),
    ("Các đơn vị có liên quan", ["Các đơn vị có liên quan"], []),
    ("Các đơn vị có liên quan, UBND xã", ["Các đơn vị có liên quan", "UBND xã"], []),
    (
        "Trạm y tế xã, các cơ quan, đơn vị có liên quan, UBND xã",
        ["Trạm y tế xã", "các cơ quan, đơn vị có liên quan", "UBND xã"],
        [],
    ),
    (
        "Phòng Văn hoá – xã hội; các cơ quan, đơn vị có liên quan, UBND xã",
        ["Phòng Văn hoá – xã hội", "các cơ quan, đơn vị có liên quan", "UBND xã"],
        [],
    ),
    ("Phòng Kinh tế; Công an xã; UBND xã", ["Phòng Kinh tế", "Công an xã", "UBND xã"], []),
    ("Trạm Y tế, UBND xã", ["Trạm Y tế", "UBND xã"], []),
    ("Công an xã, UBND cấp xã", ["Công an xã", "UBND cấp xã"], []),
    ("Các Doanh nghiệp", ["Các Doanh nghiệp"], []),
    ("Phòng Kinh tế; các doanh nghiệp; UBND xã", ["Phòng Kinh tế", "các doanh nghiệp", "UBND xã"], []),
    ("Phòng Kinh tế, UBND xã", ["Phòng Kinh tế", "UBND xã"], []),
    ("Phòng Văn hoá – Xã hội; UBND xã", ["Phòng Văn hoá – Xã hội", "UBND xã"], []),
    ("Phòng Văn hoá – Xã hội; UBND cấp xã", ["Phòng Văn hoá – Xã hội", "UBND cấp xã"], []),
    (
        "Các đơn vị có liên quan, UBND xã; các tổ chức đoàn thể - chính trị xã",
        ["Các đơn vị có liên quan", "UBND xã", "các tổ chức đoàn thể - chính trị xã"],
        [],
    ),
    ("Các đơn vị có liên quan; UBND xã", ["Các đơn vị có liên quan", "UBND xã"], []),
    (
        "Các cơ quan, đơn vị có liên quan; UBND xã",
        ["Các cơ quan, đơn vị có liên quan", "UBND xã"],
        [],
    ),
    ("Sở, ban, ngành tỉnh, UBND cấp xã", ["Sở, ban, ngành tỉnh", "UBND cấp xã"], []),
    (
        "UBND xã và các cơ quan, đơn vị có liên quan",
        ["UBND xã", "các cơ quan, đơn vị có liên quan"],
        [],
    ),
    (
        "UBND xã; Các cơ quan, đơn vị có liên quan",
        ["UBND xã", "Các cơ quan, đơn vị có liên quan"],
        [],
    ),
    (
        "Phòng Văn hoá – xã hội; UBND xã; các cơ quan, đơn vị có liên quan",
        ["Phòng Văn hoá – xã hội", "UBND xã", "các cơ quan, đơn vị có liên quan"],
        [],
    ),
    ("Công an xã; UBND xã", ["Công an xã", "UBND xã"], []),
    ("UBND xã và cơ quan, đơn vị có liên quan", ["UBND xã", "cơ quan, đơn vị có liên quan"], []),
    ("Phòng Văn hoá - Xã hội, UBND xã", ["Phòng Văn hoá - Xã hội", "UBND xã"], []),
    ("Các ngành, đơn vị có liên quan", ["Các ngành, đơn vị có liên quan"], []),
    # 003: Người/Đơn vị chủ trì, Cơ quan hướng dẫn/kiểm tra, Theo dõi
    ("Trung tâm phục vụ Hành chính công xã", ["Trung tâm phục vụ Hành chính công xã"], []),
    (
        "Trung tâm phục vụ Hành chính công, Công an xã",
        ["Trung tâm phục vụ Hành chính công", "Công an xã"],
        [],
    ),
    ("Trung tâm Dịch vụ công", ["Trung tâm Dịch vụ công"], []),
    ("Toàn thể CBCC xã", ["Toàn thể CBCC xã"], []),
    (
        "Văn thư – Lưu trữ, Công chức phụ trách chuyển đổi số",
        ["Văn thư – Lưu trữ", "Công chức phụ trách chuyển đổi số"],
        [],
    ),
    ("Phòng Kinh tế xã, Đoàn Thanh niên xã", ["Phòng Kinh tế xã", "Đoàn Thanh niên xã"], []),
    (
        "Trung tâm PV HCC/ Phòng Kinh tế, Hội LHPN xã",
        ["Trung tâm PV HCC", "Phòng Kinh tế", "Hội LHPN xã"],
        [],
    ),
    (
        "Trung tâm Dịch vụ công, Tổ CDS cộng đồng",
        ["Trung tâm Dịch vụ công", "Tổ CDS cộng đồng"],
        [],
    ),
    ("Sở KH&CN /VPUBND tỉnh", ["Sở KH&CN", "VPUBND tỉnh"], []),
    ("Sở KH&CN/VPUBND tỉnh", ["Sở KH&CN", "VPUBND tỉnh"], []),
    ("Công an tỉnh, Sở KH&CN", ["Công an tỉnh", "Sở KH&CN"], []),
    ("Sở KH&CN, sở VH TT &DL tỉnh", ["Sở KH&CN", "sở VH TT &DL tỉnh"], []),
    ("VP UBND tỉnh", ["VP UBND tỉnh"], []),
    ("Sở Nội vụ/Sở KH&CN", ["Sở Nội vụ", "Sở KH&CN"], []),
    ("Sở KH&CN / Sở Công Thương", ["Sở KH&CN", "Sở Công Thương"], []),
    ("Sở KH&CN / NHNN chi nhánh tỉnh", ["Sở KH&CN", "NHNN chi nhánh tỉnh"], []),
    ("Sở Y tế", ["Sở Y tế"], []),
    ("Sở Giáo dục và Đào tạo", ["Sở Giáo dục và Đào tạo"], []),
    ("Phòng Văn hóa – Xã hội xã", ["Phòng Văn hóa – Xã hội xã"], []),
    (
        "Phòng Kinh tế xã, Phòng Văn hóa – Xã hội xã",
        ["Phòng Kinh tế xã", "Phòng Văn hóa – Xã hội xã"],
        [],
    ),
    ("Phòng Kinh tế, Phòng Văn hóa – Xã hội xã", ["Phòng Kinh tế", "Phòng Văn hóa – Xã hội xã"], []),
    # 004: prose "Cơ quan, đơn vị (chủ trì / phối hợp) thực hiện: …" values
    (
        "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã.",
        ["Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã"],
        [],
    ),
    (
        "Phòng Văn hoá – Xã hội chủ trì, phối hợp với các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã.",
        ["Phòng Văn hoá – Xã hội"],
        ["các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã"],
    ),
    ("Phòng Văn hoá – Xã hội.", ["Phòng Văn hoá – Xã hội"], []),
    ("Phòng Văn hoá – Xã hội..", ["Phòng Văn hoá – Xã hội"], []),
    ("Văn phòng HĐND&UBND xã.", ["Văn phòng HĐND&UBND xã"], []),
    (
        "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã; các thôn; các cơ quan, đơn vị liên quan.",
        [
            "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã",
            "các thôn",
            "các cơ quan, đơn vị liên quan",
        ],
        [],
    ),
    (
        "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã; các cơ quan, đơn vị liên quan.",
        ["Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã", "các cơ quan, đơn vị liên quan"],
        [],
    ),
    (
        "Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã; cơ quan, đơn vị liên quan.",
        ["Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã", "cơ quan, đơn vị liên quan"],
        [],
    ),
    (
        "Các phòng, ban chuyên môn, trung tâm trực\n\nthuộc UBND xã; cơ quan, đơn vị liên quan.",
        ["Các phòng, ban chuyên môn, trung tâm trực thuộc UBND xã", "cơ quan, đơn vị liên quan"],
        [],
    ),
    ("Trung tâm phục vụ hành chính công xã.", ["Trung tâm phục vụ hành chính công xã"], []),
    (
        "Công an xã, các phòng, ban chuyên môn, các cơ quan, đơn vị liên quan.",
        ["Công an xã", "các phòng, ban chuyên môn", "các cơ quan, đơn vị liên quan"],
        [],
    ),
    ("Công an xã.", ["Công an xã"], []),
    (
        "Các phòng, ban chuyên môn; các đơn vị sự nghiệp trực thuộc UBND xã.",
        ["Các phòng, ban chuyên môn", "các đơn vị sự nghiệp trực thuộc UBND xã"],
        [],
    ),
    ("Các đơn vị trường học trên địa bàn xã.", ["Các đơn vị trường học trên địa bàn xã"], []),
    ("Phòng Kinh tế xã.", ["Phòng Kinh tế xã"], []),
    # 004 lines passed whole, label included
    ("Cơ quan, đơn vị thực hiện: Phòng Văn hoá – Xã hội.", ["Phòng Văn hoá – Xã hội"], []),
    ("Cơ quan, đơn vị chủ trì thực hiện: Công an xã.", ["Công an xã"], []),
    ("Cơ quan, đơn vị phối hợp thực hiện: Văn phòng HĐND&UBND xã.", [], ["Văn phòng HĐND&UBND xã"]),
    ("Cơ quan phối hợp thực hiện: Phòng Văn hoá – Xã hội.", [], ["Phòng Văn hoá – Xã hội"]),
    # roles inside one cell
    (
        "Phòng Văn hóa - Xã hội chủ trì; Công an xã, Trạm Y tế xã phối hợp",
        ["Phòng Văn hóa - Xã hội"],
        ["Công an xã", "Trạm Y tế xã"],
    ),
    (
        "Phòng Kinh tế chủ trì, phối hợp với Công an xã, Hội LHPN xã",
        ["Phòng Kinh tế"],
        ["Công an xã", "Hội LHPN xã"],
    ),
    ("Chủ trì: Phòng Kinh tế; Phối hợp: Công an xã", ["Phòng Kinh tế"], ["Công an xã"]),
    ("Phòng Kinh tế; Phối hợp: Công an xã", ["Phòng Kinh tế"], ["Công an xã"]),
    ("Phòng VH-XH (chủ trì), Công an xã", ["Phòng VH-XH"], ["Công an xã"]),
    ("Phối hợp với Công an xã", [], ["Công an xã"]),
    ("Phong Kinh te chu tri, phoi hop voi Cong an xa", ["Phong Kinh te"], ["Cong an xa"]),
    # separators and joins from the brief and domain.md §7
    ("Phòng Kinh tế và Trung tâm PV HCC", ["Phòng Kinh tế", "Trung tâm PV HCC"], []),
    ("Đảng ủy và UBND xã", ["Đảng ủy", "UBND xã"], []),
    (
        "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã",
        ["Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã"],
        [],
    ),
    ("- Phòng Kinh tế\n- Công an xã", ["Phòng Kinh tế", "Công an xã"], []),
    ("Phòng Kinh tế\nCông an xã", ["Phòng Kinh tế", "Công an xã"], []),
    ("  Phòng   Kinh   tế ;  ", ["Phòng Kinh tế"], []),
    ("Công an xã/phường", ["Công an xã/phường"], []),
    ("Phòng VH/XH", ["Phòng VH/XH"], []),
    ("Bưu điện/HTX", ["Bưu điện", "HTX"], []),
    ("Các cơ quan, đơn vị, thôn", ["Các cơ quan, đơn vị, thôn"], []),
    ("các phòng, ban, đơn vị", ["các phòng, ban, đơn vị"], []),
    ("UBND xã; UBND xã", ["UBND xã"], []),
    ("Phòng VH-XH; Phòng Văn hóa - Xã hội", ["Phòng VH-XH"], []),
    ("", [], []),
    ("  \n ", [], []),
    (";;, /", [], []),
]


@pytest.mark.parametrize(
    ("cell", "leads", "partners"), UNIT_CELLS, ids=[c[0][:60] or "<empty>" for c in UNIT_CELLS]
)
def test_split_units(cell: str, leads: list[str], partners: list[str]) -> None:
    assert split_units(cell) == (leads, partners)


# Spellings of one unit that must share a key, and the key they share.
UNIT_KEY_GROUPS: list[tuple[str, list[str]]] = [
    (
        "phòng văn hóa - xã hội",
        [
            "Phòng Văn hóa - Xã hội",
            "Phòng Văn hoá – Xã hội",
            "Phòng Văn hóa – Xã hội xã",
            "Phòng Văn hoá - xã hội",
            "Phòng VH-XH",
            "Phòng VHXH",
            "Phòng VH - XH",
            "phòng văn hóa xã hội",
            "Phòng Văn hoá – Xã hội..",
        ],
    ),
    (
        "trung tâm phục vụ hành chính công",
        [
            "Trung tâm Phục vụ hành chính công",
            "Trung tâm Phục vụ hành chính công (xã)",
            "Trung tâm PV HCC",
            "TT Phục vụ HCC",
            "Trung tâm phục vụ Hành chính công xã",
        ],
    ),
    ("ủy ban nhân dân", ["UBND", "UBND xã", "UBND cấp xã", "Ủy ban nhân dân xã", "Uỷ ban nhân dân phường"]),
    ("hội đồng nhân dân", ["HĐND", "HĐND xã", "Hội đồng nhân dân xã"]),
    (
        "văn phòng hội đồng nhân dân và ủy ban nhân dân",
        ["Văn phòng HĐND và UBND", "Văn phòng HĐND và UBND xã", "Văn phòng HĐND&UBND xã"],
    ),
    ("công an", ["Công an xã", "Công an phường", "Công an xã/phường", "công an xã"]),
    ("trạm y tế", ["Trạm Y tế", "Trạm y tế xã", "Trạm Y tế phường", "Trạm Y tế (xã)"]),
    ("sở khoa học và công nghệ", ["Sở KH&CN", "Sở Khoa học và Công nghệ", "Sở KHCN"]),
    ("hội liên hiệp phụ nữ", ["Hội LHPN xã", "Hội Liên hiệp Phụ nữ xã"]),
    (
        "ủy ban mặt trận tổ quốc",
        ["UBMTTQVN", "UBMTTQ xã", "Ủy ban MTTQ xã", "Ủy ban Mặt trận Tổ quốc Việt Nam xã"],
    ),
    ("văn phòng ủy ban nhân dân tỉnh", ["VP UBND tỉnh", "VPUBND tỉnh", "Văn phòng UBND tỉnh"]),
    ("hợp tác xã", ["Hợp tác xã", "HTX"]),
    ("phòng kinh tế", ["Phòng Kinh tế", "Phòng Kinh tế xã"]),
    ("ban chỉ đạo", ["BCĐ"]),
    ("công an tỉnh", ["Công an tỉnh"]),
    ("", ["", "  ", "."]),
]


@pytest.mark.parametrize(("name", "key"), [(name, key) for key, names in UNIT_KEY_GROUPS for name in names])
def test_unit_key(name: str, key: str) -> None:
    assert unit_key(name) == key


def test_unit_key_keeps_different_units_apart() -> None:
    keys = [unit_key(n) for n in ("Công an xã", "Công an tỉnh", "Phòng Kinh tế", "Phòng Văn hóa - Xã hội")]
    assert len(set(keys)) == 4


def test_phrases_reexports() -> None:
    assert set(phrases.__all__) == {"parse_due", "parse_target", "split_units", "unit_key"}


# Arbitrary text, and text built from the words these cells are made of.
_VOCABULARY = (
    "Quý|quy|I|II|III|IV|–|-|/|đến|từ|năm|tháng|ngày|2026|30|4|0|13|99|31/2|thường xuyên|hằng|Đạt|Có|"
    "Không|≥|>|<=|%|,|.|;|\n|$\\geq|Tối thiểu|chủ trì|phối hợp|với|và|Phòng|UBND|xã|Đảng ủy|các|"
    "Các cơ quan|đơn vị|(|)|:|1.234,5|Theo"
)
_PIECES = st.sampled_from(_VOCABULARY.split("|"))
_CELLS = st.one_of(st.text(), st.lists(_PIECES, max_size=30).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(text=_CELLS, year=st.integers(min_value=-(10**6), max_value=10**6))
def test_parse_due_never_raises(text: str, year: int) -> None:
    due = parse_due(text, year)
    assert due.text == text.strip()
    assert due.kind in {"dated", "recurring", "external", "done", "none"}
    assert due.recurring == (due.kind == "recurring")
    assert due.date is not None or due.kind != "dated"


@settings(max_examples=300, deadline=None)
@given(text=_CELLS, unit=st.one_of(st.none(), st.text(max_size=10)))
def test_parse_target_never_raises(text: str, unit: str | None) -> None:
    target = parse_target(text, unit)
    assert target.op in {"=", ">", ">=", "<", "<=", "bool", "text"}
    assert (target.value is not None) == (target.op not in {"bool", "text"})


@settings(max_examples=300, deadline=None)
@given(cell=_CELLS)
def test_split_units_never_raises(cell: str) -> None:
    leads, partners = split_units(cell)
    keys = [unit_key(u) for u in leads + partners]
    assert len(keys) == len(set(keys))
    assert all(u == u.strip() and u for u in leads + partners)
