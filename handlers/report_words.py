"""The name of the report a stream collects, naming the stream's own recipient (one source for every view)."""

from __future__ import annotations

from locales.i18n import N_, _

__all__ = ["REPORT_LABELS", "report_label", "report_phrase", "steering_recipient"]

# As a line's label (capitalised in Vietnamese): /hanbaocao, /tinhtrang.
REPORT_LABELS = {"village_monthly": N_("village activity log"), "unit_monthly": N_("unit report (/baocao)"),
                 "lead_monthly": N_("compiled report to {recipient}"),  # the commune's: "UBND xã", "UBND phường"…
                 "steering_monthly": N_("monthly report to {recipient}"),
                 "steering_quarterly": N_("quarterly report to {recipient}"),
                 "steering_half_year": N_("half-year report to {recipient}"),
                 "steering_year": N_("annual report to {recipient}"),
                 "province_monthly": N_("compiled report to the province")}
# Inside a sentence ("Reminder: {what} for {period} is due …").
_PHRASES = {"village_monthly": N_("your village team's activity log"),
            "unit_monthly": N_("your unit's report (/baocao)"),
            "lead_monthly": N_("the compiled report to {recipient} (/xuat)"),
            "steering_monthly": N_("the monthly report to {recipient}"),
            "steering_quarterly": N_("the quarterly report to {recipient}"),
            "steering_half_year": N_("the half-year report to {recipient}"),
            "steering_year": N_("the annual report to {recipient}"),
            "province_monthly": N_("the compiled report to the province")}


def steering_recipient(recipient: str) -> str:
    """Who a steering stream's reports go to, as said in a sentence: the steering committee by its short name
    (the default recipient is "Ban Chỉ đạo 57 xã (qua Văn phòng Đảng ủy)"), any other as configured (seed 002:
    the half-year and annual reports go to "Ban Thường vụ Đảng ủy phường")."""
    named = recipient.strip()
    return _("the steering committee") if not named or "ban chỉ đạo" in named.casefold() else named


def _words(table: dict[str, str], stream: str, recipient: str) -> str:
    if stream not in table:
        return stream
    to = steering_recipient(recipient) if stream.startswith("steering_") else recipient
    return _(table[stream], recipient=to)


def report_label(stream: str, recipient: str) -> str:
    """The report of ``stream`` as a line's label, e.g. "Báo cáo 6 tháng gửi Ban Thường vụ Đảng ủy phường"."""
    return _words(REPORT_LABELS, stream, recipient)


def report_phrase(stream: str, recipient: str) -> str:
    """The report of ``stream`` inside a sentence, e.g. "báo cáo tháng gửi Ban Chỉ đạo"."""
    return _words(_PHRASES, stream, recipient)
