"""A log is never taken for a question: every activity-log example in the test suite still reads as a log."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from handlers.activity.catalog import default_catalog
from handlers.activity.parse import parse_activity
from handlers.ask.detect import detect

TESTS = Path(__file__).resolve().parent
TODAY = date(2026, 12, 10)
CATALOG = default_catalog()


def _log_examples() -> list[str]:
    """Every string literal of the other test modules that the activity parser reads as a log."""
    found: set[str] = set()
    for path in sorted(TESTS.glob("*.py")):
        if "ask" in path.name:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 3 < len(node.value) < 300:
                text = node.value
                if "\n" in text or "|" in text or "\t" in text or "{" in text or "e.g." in text:
                    continue
                if not text.startswith("/") and parse_activity(text, CATALOG, TODAY).counts:
                    found.add(text)
    return sorted(found)


EXAMPLES = _log_examples()


def test_there_are_many_log_examples() -> None:
    assert len(EXAMPLES) >= 40, EXAMPLES


@pytest.mark.parametrize("text", EXAMPLES)
def test_log_example_is_not_a_question(text: str) -> None:
    assert detect(text, CATALOG, TODAY, village_member=True) in ("log", "unsure"), text


@pytest.mark.parametrize("text", [
    "hôm nay hỗ trợ 12 người kích hoạt VNeID mức 2, 3 hồ sơ DVC trực tuyến, đến 20 hộ",
    "ho tro 5 nguoi cai vneid", "Tuyên truyền 2 buổi về chuyển đổi số", "hướng dẫn 3 hộ thanh toán không dùng tiền mặt",
    "đã hỗ trợ 4 người kích hoạt VNeID, chưa xong", "cài VNeID cho 6 người không có điện thoại thông minh",
])
def test_logs(text: str) -> None:
    assert detect(text, CATALOG, TODAY, village_member=True) == "log", text


@pytest.mark.parametrize("text", [
    "thôn mình tháng này được bao nhiêu?", "thon minh thang nay duoc bao nhieu", "tôi còn phải nộp gì?",
    "tháng 11 được bao nhiêu người kích hoạt VNeID?", "thôn nào chưa báo cáo?", "vneid thang nay bn",
    "how many VNeID activations this month?", "xuất báo cáo tháng 11", "nhắc các thôn chưa báo cáo",
])
def test_questions(text: str) -> None:
    assert detect(text, CATALOG, TODAY, village_member=True) == "question", text


@pytest.mark.parametrize("text", ["hỗ trợ 5 người cài VNeID rồi chưa", "hỗ trợ 5 người cài VNeID, ai cũng vui",
                                  "3 hồ sơ DVC, còn gì nữa không"])
def test_a_log_with_a_question_word_is_confirmed(text: str) -> None:
    assert detect(text, CATALOG, TODAY, village_member=True) == "unsure"
