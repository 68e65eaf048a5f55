"""Is a free message a question (or a request) or an activity log? Decided by the sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Literal

from locales.textnorm import fold, normalize_name

__all__ = ["Kind", "detect", "has_marks", "words"]

Kind = Literal["question", "log", "unsure", "other"]

# Question words that settle it, folded (no diacritics). "mấy" and "ai" are only taken with their marks
# or from a message typed without any diacritics ("máy" = a device, "ải"...).
_STRONG = re.compile(r"\b(bao nhieu|the nao|ra sao|nhu the nao|the nao roi|nhung (?:ai|gi|don vi|thon)|"
                     r"(?:thon|don vi|phong|ban|ai|chi tieu|nhiem vu|ct|nv|cai|ky|thang|hoat dong) nao|"
                     r"nao (?:chua|da|cham|con|qua|tre|bi|duoc|dat|khong)|"
                     r"o dau|tai sao|vi sao|bao gio|khi nao|"
                     r"con (?:phai )?(?:nop|bao cao|gui|lam|thieu) gi|phai nop gi|nop gi|lam gi|"
                     r"duoc (?:bao nhieu|may)|tong (?:cong|so)|dat (?:bao nhieu|chua)|"
                     r"how many|how much|which|who|what|when|is there|are there|did|has|have)\b")
_MARKED = re.compile(r"(?:^|\s)(mấy|ai|gì|sao|đâu)(?=\s|$|[?.!,])")
_PLAIN = re.compile(r"\b(may|ai|gi)\b")
# A request for an action or a view, at the start of the sentence ("xuất báo cáo tháng 11").
_IMPERATIVE = re.compile(r"^(?:(?:anh|chi|ban|bot|em|oi|nho|vui long|lam on|hay|giup|cho)\s+)*"
                         r"(xuat|gui|nhac|nhac nho|cho (?:toi |minh |em )?(?:xem|biet)|xem|liet ke|thong ke|"
                         r"tong hop|kiem tra|bao (?:toi|minh|em)|ve|tinh hinh|tinh trang|danh sach|"
                         r"export|send|remind|show|list|give me|tell me|check)\b")
# Weak: "...chưa?", "...không?", "...chưa", "...rồi chưa" at the end of the sentence.
_TAIL = re.compile(r"\b(chua|khong|ko|k|hong|chua nhi|chua vay|khong nhi|roi chua|chua a|khong a)\s*$")


def words(text: str) -> str:
    """Folded words, punctuation as spaces."""
    return " ".join(re.findall(r"\w+", fold(text)))


def _spelled(text: str) -> str:
    from handlers.ask.entities import expand

    return expand(words(text))


def has_marks(text: str) -> bool:
    return fold(text) != normalize_name(text)


def _marked(text: str) -> bool:
    norm = normalize_name(text)
    if _MARKED.search(norm):
        return True
    return not has_marks(text) and bool(_PLAIN.search(words(text)))


def question_score(text: str) -> int:
    """2: certainly asks (a question word, "?", a request); 1: maybe ("… chưa" at the end); 0: no."""
    w = _spelled(text)
    if not w:
        return 0
    if text.strip().endswith("?") or _STRONG.search(w) or _IMPERATIVE.search(w) or _marked(text):
        return 2
    return 1 if _TAIL.search(w) else 0


def detect(text: str, catalog: Sequence, today: date, village_member: bool) -> Kind:
    """"question", "log", "unsure" (ask which) or "other" (neither: the old free-text behaviour).

    A log states what was done with counts ("hỗ trợ 12 người kích hoạt VNeID"); a question asks. A
    message with counts and only a weak question mark is unsure; for people who never log (not in a
    village team) anything that is not a log is read as a question."""
    from handlers.activity.parse import parse_activity

    score = question_score(text)
    counts = parse_activity(text, catalog, today).counts if village_member else {}
    if counts:  # numbers of things done: a question only when it plainly asks "how many", "?" or orders
        if score == 2 and _definite(text) and not _counted_statement(text):
            return "question"
        return "unsure" if score else "log"
    if score:
        return "question"
    return "other" if village_member else "question"


_DONE = re.compile(r"\b(hom nay|hom qua|sang nay|chieu nay|toi nay|da ho tro|ho tro duoc|da huong dan|"
                   r"huong dan duoc|da cai|cai duoc|da kich hoat|kich hoat duoc|da den|da tuyen truyen|"
                   r"to (?:em|toi|chung toi|minh) da)\b")


_HOW_MANY = re.compile(r"\b(bao nhieu|(?:duoc|co|la) may|the nao|ra sao|nhu the nao|how many|how much)\b")


def _definite(text: str) -> bool:
    w = _spelled(text)
    return text.strip().endswith("?") or bool(_HOW_MANY.search(w) or _IMPERATIVE.search(w))


def _counted_statement(text: str) -> bool:
    """A sentence that reports work done ("hôm nay đã hỗ trợ 5 người…") even if it ends with "?"."""
    w = words(text)
    return bool(_DONE.search(w)) and "bao nhieu" not in w and not _IMPERATIVE.search(w)
