"""Tests for storage.calendar.calendar / storage.calendar.streams: periods, due moments, working days, stages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.calendar.calendar import (
    DEFAULT_TZ,
    Frequency,
    Stage,
    Stream,
    classify,
    default_streams,
    due_stage,
    dump_streams,
    is_working_day,
    load_streams,
    next_period,
    next_working_day,
    period_by_key,
    period_for,
    periods_between,
    previous_period,
    previous_working_day,
    stage_moments,
)
from storage.calendar.period_ref import parse_period_ref

TZ = DEFAULT_TZ
STREAMS = {s.name: s for s in default_streams()}
UNIT, VILLAGE, LEAD = STREAMS["unit_monthly"], STREAMS["village_monthly"], STREAMS["lead_monthly"]
ST_M, ST_Q = STREAMS["steering_monthly"], STREAMS["steering_quarterly"]
ST_H, ST_Y = STREAMS["steering_half_year"], STREAMS["steering_year"]
CAL_M = dataclasses.replace(UNIT, name="cal_m", cutoff="calendar")
CAL_Q = dataclasses.replace(ST_Q, name="cal_q", cutoff="calendar")
CAL_H = dataclasses.replace(ST_H, name="cal_h", cutoff="calendar")
CAL_Y = dataclasses.replace(ST_Y, name="cal_y", cutoff="calendar")
DAY6_M = dataclasses.replace(ST_M, name="day6_m", cutoff="day-6", due_month_offset=0)
INCL = dataclasses.replace(UNIT, name="incl", inclusive=True)
END31 = dataclasses.replace(UNIT, name="end31", due_day=31)
NEXT5 = dataclasses.replace(ST_M, name="next5", due_month_offset=1)
WEEKLY = Stream("weekly_hcc", "unit_report", ("officer",), "Phòng Văn hóa - Xã hội", Frequency.WEEKLY, 1,
                due_month_offset=1)
ALL_STREAMS = [*default_streams(), CAL_M, CAL_Q, CAL_H, CAL_Y, DAY6_M, INCL, END31, NEXT5, WEEKLY]


def d(s: str) -> date:
    return date.fromisoformat(s)


def at(s: str, tz=TZ) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=tz)


def end_of(s: str) -> datetime:
    return datetime.combine(d(s), time.max, tzinfo=TZ)


# --- periods by key: windows, due moments, texts ----------------------------------------------
@pytest.mark.parametrize(
    ("stream", "key", "start", "end", "last_day", "due_vi", "label_vi"),
    [
        (UNIT, "2026-12", "2026-11-15", "2026-12-14", "2026-12-19", "trước ngày 20/12/2026", "tháng 12/2026"),
        (UNIT, "2026-01", "2025-12-15", "2026-01-14", "2026-01-19", "trước ngày 20/01/2026", "tháng 1/2026"),
        (UNIT, "2026-03", "2026-02-15", "2026-03-14", "2026-03-19", "trước ngày 20/03/2026", "tháng 3/2026"),
        (VILLAGE, "2026-12", "2026-11-15", "2026-12-14", "2026-12-19", "trước ngày 20/12/2026", "tháng 12/2026"),
        (LEAD, "2026-12", "2026-11-15", "2026-12-14", "2026-12-21", "trước ngày 22/12/2026", "tháng 12/2026"),
        # seed 001: the monthly report to the steering committee covers the month before ("trước ngày 06")
        (ST_M, "2026-11", "2026-10-15", "2026-11-14", "2026-12-05", "trước ngày 06/12/2026", "tháng 11/2026"),
        (ST_Q, "2026-Q1", "2025-12-15", "2026-03-14", "2026-03-05", "trước ngày 06/03/2026", "quý I/2026"),
        (ST_Q, "2026-Q4", "2026-09-15", "2026-12-14", "2026-12-05", "trước ngày 06/12/2026", "quý IV/2026"),
        (ST_H, "2026-H1", "2025-12-15", "2026-06-14", "2026-06-05", "trước ngày 06/06/2026",
         "6 tháng đầu năm 2026"),
        (ST_H, "2026-H2", "2026-06-15", "2026-12-14", "2026-12-05", "trước ngày 06/12/2026",
         "6 tháng cuối năm 2026"),
        (ST_Y, "2026", "2025-12-15", "2026-12-14", "2026-12-05", "trước ngày 06/12/2026", "năm 2026"),
        (CAL_M, "2026-12", "2026-12-01", "2026-12-31", "2026-12-19", "trước ngày 20/12/2026", "tháng 12/2026"),
        (CAL_M, "2028-02", "2028-02-01", "2028-02-29", "2028-02-19", "trước ngày 20/02/2028", "tháng 2/2028"),
        (CAL_Q, "2026-Q1", "2026-01-01", "2026-03-31", "2026-03-05", "trước ngày 06/03/2026", "quý I/2026"),
        (CAL_H, "2026-H2", "2026-07-01", "2026-12-31", "2026-12-05", "trước ngày 06/12/2026",
         "6 tháng cuối năm 2026"),
        (CAL_Y, "2026", "2026-01-01", "2026-12-31", "2026-12-05", "trước ngày 06/12/2026", "năm 2026"),
        (DAY6_M, "2026-12", "2026-11-06", "2026-12-05", "2026-12-05", "trước ngày 06/12/2026", "tháng 12/2026"),
        (INCL, "2026-12", "2026-11-15", "2026-12-14", "2026-12-20", "chậm nhất ngày 20/12/2026",
         "tháng 12/2026"),
        (END31, "2026-02", "2026-01-15", "2026-02-14", "2026-02-27", "trước ngày 28/02/2026", "tháng 2/2026"),
        (NEXT5, "2026-12", "2026-11-15", "2026-12-14", "2027-01-05", "trước ngày 06/01/2027", "tháng 12/2026"),
        (WEEKLY, "2026-W49", "2026-11-30", "2026-12-06", "2026-12-06", "trước ngày 07/12/2026", "tuần 49/2026"),
        (WEEKLY, "2026-W53", "2026-12-28", "2027-01-03", "2027-01-03", "trước ngày 04/01/2027", "tuần 53/2026"),
    ],
)
def test_period_by_key(stream, key, start, end, last_day, due_vi, label_vi):
    p = period_by_key(stream, key, TZ)
    assert (p.key, p.start, p.end) == (key, d(start), d(end))
    assert p.due == end_of(last_day)
    assert p.due.tzinfo is TZ and p.last_day == d(last_day)
    assert (p.due_text_vi, p.label_vi) == (due_vi, label_vi)
    assert p.due_text_en == due_vi.replace("trước ngày", "before").replace("chậm nhất ngày", "by")


@pytest.mark.parametrize(
    ("stream", "key", "label_en"),
    [(UNIT, "2026-12", "December 2026"), (ST_Q, "2026-Q4", "Q4 2026"), (ST_H, "2026-H1", "first half of 2026"),
     (ST_H, "2026-H2", "second half of 2026"), (ST_Y, "2026", "year 2026"), (WEEKLY, "2026-W49", "week 49 of 2026")],
)
def test_label_en(stream, key, label_en):
    assert period_by_key(stream, key).label_en == label_en


@pytest.mark.parametrize(
    ("stream", "key"),
    [(UNIT, "2026-13"), (UNIT, "2026-Q1"), (ST_Q, "2026-Q5"), (ST_H, "2026-H3"), (ST_Y, "26"), (WEEKLY, "2025-W53")],
)
def test_period_by_key_rejects(stream, key):
    with pytest.raises(ValueError, match="period key"):
        period_by_key(stream, key)


# --- the current period -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stream", "when", "key"),
    [
        (UNIT, at("2026-12-17T10:00"), "2026-12"),
        (UNIT, end_of("2026-12-19"), "2026-12"),
        (UNIT, at("2026-12-20T00:00"), "2027-01"),
        (UNIT, at("2026-12-19T17:30", UTC), "2027-01"),  # 00:30 on 20/12 in Hà Nội
        (UNIT, at("2026-12-19T16:59", UTC), "2026-12"),
        (UNIT, at("2026-01-05T09:00"), "2026-01"),
        (UNIT, at("2026-01-25T09:00"), "2026-02"),
        (INCL, at("2026-12-20T23:00"), "2026-12"),
        (INCL, at("2026-12-21T00:00"), "2027-01"),
        (LEAD, at("2026-12-21T12:00"), "2026-12"),
        (LEAD, at("2026-12-22T00:00"), "2027-01"),
        (ST_M, at("2026-12-10T09:00"), "2026-12"),
        (ST_M, at("2026-12-05T23:59"), "2026-11"),
        (ST_Q, at("2026-12-05T12:00"), "2026-Q4"),
        (ST_Q, at("2026-12-06T00:00"), "2027-Q1"),
        (ST_H, at("2026-06-01T08:00"), "2026-H1"),
        (ST_H, at("2026-06-06T08:00"), "2026-H2"),
        (ST_Y, at("2026-12-05T12:00"), "2026"),
        (ST_Y, at("2026-12-06T00:00"), "2027"),
        (WEEKLY, at("2026-12-06T20:00"), "2026-W49"),
        (WEEKLY, at("2026-12-07T00:00"), "2026-W50"),
    ],
)
def test_period_for(stream, when, key):
    p = period_for(stream, when, TZ)
    assert p.key == key
    assert p.due >= when > previous_period(p).due


def test_naive_datetimes_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        period_for(UNIT, datetime(2026, 12, 17, 10, 0))
    with pytest.raises(ValueError, match="now"):
        classify(period_by_key(UNIT, "2026-12"), None, datetime(2026, 12, 17))


def test_previous_next_and_between():
    dec = period_by_key(UNIT, "2026-12")
    assert previous_period(period_by_key(UNIT, "2027-01")) == dec == next_period(period_by_key(UNIT, "2026-11"))
    assert previous_period(period_by_key(ST_Q, "2027-Q1")).key == "2026-Q4"
    assert previous_period(period_by_key(WEEKLY, "2027-W01")).key == "2026-W53"
    keys = [p.key for p in periods_between(UNIT, d("2026-01-01"), d("2026-12-31"))]
    assert keys == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [p.key for p in periods_between(ST_H, d("2026-01-01"), d("2026-12-31"))] == ["2026-H1", "2026-H2"]
    assert [p.key for p in periods_between(ST_Y, d("2026-01-01"), d("2026-12-31"))] == ["2026"]
    assert [p.key for p in periods_between(UNIT, d("2026-12-19"), d("2026-12-19"))] == ["2026-12"]
    assert periods_between(UNIT, d("2026-12-20"), d("2027-01-18")) == []


# --- classify ---------------------------------------------------------------------------------
DEC = period_by_key(UNIT, "2026-12")


@pytest.mark.parametrize(
    ("submitted", "now", "status"),
    [
        (at("2026-12-10T09:00"), at("2026-12-10T09:00"), "on_time"),  # before the window closed
        (end_of("2026-12-19"), at("2027-02-01T00:00"), "on_time"),
        (at("2026-12-20T00:00"), at("2026-12-20T00:00"), "late"),
        (at("2026-12-19T17:00", UTC), at("2026-12-25T00:00"), "late"),
        (None, at("2026-12-19T23:00"), "pending"),
        (None, end_of("2026-12-19"), "pending"),
        (None, at("2026-12-20T00:00"), "missing"),
    ],
)
def test_classify(submitted, now, status):
    assert classify(DEC, submitted, now) == status


# --- working days (dates as returned by holidays 0.109 for VN) --------------------------------
@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-01-01", False), ("2026-01-02", True), ("2026-02-16", False), ("2026-02-20", False),
        ("2026-02-23", True), ("2026-04-27", False),  # Giỗ Tổ Hùng Vương 26/4 is a Sunday → observed Mon 27/4
        ("2026-04-29", True), ("2026-04-30", False), ("2026-05-01", False), ("2026-08-22", True),  # swapped Sat
        ("2026-08-31", False), ("2026-09-01", False), ("2026-09-02", False), ("2026-11-24", False),
        ("2026-12-18", True), ("2026-12-19", False), ("2026-12-20", False),
        ("2027-02-03", True), ("2027-02-04", False), ("2027-02-05", False), ("2027-02-08", False),
        ("2027-02-10", False), ("2027-02-11", True), ("2027-04-16", False), ("2027-05-03", False),
        ("2027-09-03", False),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(d(day)) is working


def test_previous_next_working_day():
    assert previous_working_day(d("2027-02-11")) == d("2027-02-03")  # across Tết Đinh Mùi
    assert next_working_day(d("2027-02-03")) == d("2027-02-11")
    assert previous_working_day(d("2026-05-04")) == d("2026-04-29")  # across 30/4–1/5 and the weekend
    assert previous_working_day(d("2026-09-03")) == d("2026-08-28")  # across 2/9 (31/8–2/9 off)
    assert previous_working_day(d("2026-08-24")) == d("2026-08-22")  # the swapped Saturday works
    assert previous_working_day(d("2026-12-18"), include_self=True) == d("2026-12-18")
    assert next_working_day(d("2026-12-19"), include_self=True) == d("2026-12-21")


# --- stages -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stream", "key", "wdo", "days"),
    [
        # Sat 19/12/2026 is the last day of the December unit report
        (UNIT, "2026-12", False, ("2026-12-16", "2026-12-18", "2026-12-19", "2026-12-20")),
        (UNIT, "2026-12", True, ("2026-12-16", "2026-12-17", "2026-12-18", "2026-12-21")),
        # Fri 5/2/2027 (steering report, before 06/02) falls in Tết 4–10/2/2027
        (ST_M, "2027-01", True, ("2027-02-01", "2027-02-02", "2027-02-03", "2027-02-11")),
        (ST_M, "2027-01", False, ("2027-02-02", "2027-02-04", "2027-02-05", "2027-02-06")),
        # Tue 5/5/2026: three days before is Sat 2/5, behind it 30/4 and 1/5
        (ST_M, "2026-04", True, ("2026-04-29", "2026-05-04", "2026-05-05", "2026-05-06")),
        # Sat 5/9/2026, with 31/8–2/9 off
        (ST_M, "2026-08", True, ("2026-08-28", "2026-09-03", "2026-09-04", "2026-09-07")),
        # Mon 21/12/2026 (lead report): 1 day before is Sunday → Fri 18, so 3 days before → Thu 17
        (LEAD, "2026-12", True, ("2026-12-17", "2026-12-18", "2026-12-21", "2026-12-22")),
        (LEAD, "2026-12", False, ("2026-12-18", "2026-12-20", "2026-12-21", "2026-12-22")),
    ],
)
def test_stage_moments(stream, key, wdo, days):
    moments = stage_moments(period_by_key(stream, key), working_days_only=wdo)
    assert list(moments) == [Stage.BEFORE_3D, Stage.BEFORE_1D, Stage.LAST_DAY, Stage.OVERDUE]
    assert tuple(moments.values()) == tuple(at(f"{day}T08:00") for day in days)


def test_stage_moments_defaults_and_sweeps():
    p = period_by_key(VILLAGE, "2026-12")  # weekend reminders allowed → no moves
    assert stage_moments(p)[Stage.LAST_DAY] == at("2026-12-19T08:00")
    assert stage_moments(period_by_key(UNIT, "2026-12"))[Stage.LAST_DAY] == at("2026-12-18T08:00")
    assert stage_moments(p, sweep_times=((16, 0), (9, 30)))[Stage.OVERDUE] == at("2026-12-20T09:30")


def test_stages_strictly_ordered_2025_2030():
    for stream in ALL_STREAMS:
        for p in periods_between(stream, d("2025-01-01"), d("2030-12-31")):
            for wdo in (True, False):
                m = list(stage_moments(p, working_days_only=wdo).values())
                assert m == sorted(set(m)), (p.key, wdo)
                assert m[2] <= p.due < m[3]
                if wdo:
                    assert all(is_working_day(x.date()) for x in m), (p.key, m)


@pytest.mark.parametrize(
    ("stream", "key", "now", "kwargs", "stage"),
    [
        (UNIT, "2026-12", "2026-12-16T07:59", {}, None),
        (UNIT, "2026-12", "2026-12-16T08:00", {}, Stage.BEFORE_3D),
        (UNIT, "2026-12", "2026-12-16T16:00", {}, Stage.BEFORE_3D),
        (UNIT, "2026-12", "2026-12-17T09:00", {}, Stage.BEFORE_1D),  # before_3d skipped after downtime
        (UNIT, "2026-12", "2026-12-18T20:59", {}, Stage.LAST_DAY),
        (UNIT, "2026-12", "2026-12-18T21:00", {}, None),  # quiet hours
        (UNIT, "2026-12", "2026-12-18T06:59", {}, None),
        (UNIT, "2026-12", "2026-12-18T07:00", {}, Stage.BEFORE_1D),
        (UNIT, "2026-12", "2026-12-18T23:30", {"quiet": None}, Stage.LAST_DAY),
        (UNIT, "2026-12", "2026-12-18T12:30", {"quiet": (time(12), time(13))}, None),
        (UNIT, "2026-12", "2026-12-19T10:00", {}, None),  # Saturday, working days only
        (UNIT, "2026-12", "2026-12-19T10:00", {"working_days_only": False}, Stage.LAST_DAY),
        (UNIT, "2026-12", "2026-12-20T10:00", {"working_days_only": False}, Stage.OVERDUE),
        (UNIT, "2026-12", "2026-12-21T07:30", {}, None),  # after the deadline: nothing until overdue
        (UNIT, "2026-12", "2026-12-21T08:00", {}, Stage.OVERDUE),
        (UNIT, "2026-12", "2026-12-24T08:00", {}, Stage.OVERDUE),
        (UNIT, "2026-12", "2026-12-24T08:01", {}, None),
        (UNIT, "2026-12", "2026-12-22T08:30", {"catch_up_window": timedelta(days=1)}, None),
        (UNIT, "2026-12", "2026-12-17T11:00", {"catch_up_window": timedelta(hours=2)}, None),
        (VILLAGE, "2026-12", "2026-12-19T10:00", {}, Stage.LAST_DAY),  # weekend reminders allowed
        (VILLAGE, "2026-12", "2026-12-20T07:30", {}, None),
        (VILLAGE, "2026-12", "2026-12-20T08:00", {}, Stage.OVERDUE),
        (ST_M, "2027-01", "2027-02-03T10:00", {}, Stage.LAST_DAY),  # Tết: last working day before 06/02
        (ST_M, "2027-01", "2027-02-04T10:00", {}, None),
        (ST_M, "2027-01", "2027-02-08T10:00", {}, None),
        (ST_M, "2027-01", "2027-02-11T08:00", {}, Stage.OVERDUE),  # first working day after Tết
        (ST_M, "2026-04", "2026-04-29T08:00", {}, Stage.BEFORE_3D),
        (ST_M, "2026-04", "2026-05-04T08:00", {}, Stage.BEFORE_1D),
    ],
)
def test_due_stage(stream, key, now, kwargs, stage):
    assert due_stage(period_by_key(stream, key), at(now), **kwargs) == stage


def test_due_stage_accepts_utc_now():
    assert due_stage(period_by_key(UNIT, "2026-12"), at("2026-12-17T01:00", UTC)) == Stage.BEFORE_1D


# --- what people type -------------------------------------------------------------------------
TODAY = d("2026-12-25")


@pytest.mark.parametrize(
    ("text", "stream", "key"),
    [
        ("tháng 10", UNIT, "2026-10"), ("thang 10", UNIT, "2026-10"), ("Tháng 10/2026", UNIT, "2026-10"),
        ("thang 10/2025", UNIT, "2025-10"), ("báo cáo tháng 12", UNIT, "2026-12"), ("T11", UNIT, "2026-11"),
        ("tháng 1", UNIT, "2026-01"), ("tháng 10 năm 2025", UNIT, "2025-10"), ("2026-10", UNIT, "2026-10"),
        ("10/2026", UNIT, "2026-10"), ("tháng trước", UNIT, "2026-11"), ("thang nay", UNIT, "2026-12"),
        ("tháng 10 năm trước", UNIT, "2025-10"), ("kỳ này", UNIT, "2027-01"), ("ky truoc", UNIT, "2026-12"),
        ("quý 3", ST_Q, "2026-Q3"), ("quy 3", ST_Q, "2026-Q3"), ("Quý III", ST_Q, "2026-Q3"),
        ("quy iii", ST_Q, "2026-Q3"), ("quý IV năm 2026", ST_Q, "2026-Q4"), ("quý 1/2027", ST_Q, "2027-Q1"),
        ("2026-Q2", ST_Q, "2026-Q2"), ("Q2 2025", ST_Q, "2025-Q2"), ("quý trước", ST_Q, "2026-Q3"),
        ("6 tháng", ST_H, "2026-H1"), ("6 thang", ST_H, "2026-H1"), ("6 tháng đầu năm", ST_H, "2026-H1"),
        ("06 tháng cuối năm", ST_H, "2026-H2"), ("6 thang cuoi nam 2025", ST_H, "2025-H2"),
        ("2026-H2", ST_H, "2026-H2"), ("nửa đầu năm 2027", ST_H, "2027-H1"),
        ("năm 2026", ST_Y, "2026"), ("nam 2025", ST_Y, "2025"), ("2026", ST_Y, "2026"),
        ("năm nay", ST_Y, "2026"), ("năm ngoái", ST_Y, "2025"), ("báo cáo năm", ST_Y, "2026"),
        ("cuối năm 2026", ST_Y, "2026"), ("tuần 49", WEEKLY, "2026-W49"), ("2026-W49", WEEKLY, "2026-W49"),
        ("tuan 2", WEEKLY, "2026-W02"),
    ],
)
def test_parse_period_ref(text, stream, key):
    p = parse_period_ref(text, stream, TODAY)
    assert p is not None and p.key == key


@pytest.mark.parametrize(
    ("text", "stream", "today", "key"),
    [
        ("tháng 12", UNIT, "2027-01-03", "2026-12"),
        ("tháng 1", UNIT, "2027-01-03", "2027-01"),
        ("quý IV", ST_Q, "2027-01-03", "2026-Q4"),
        ("6 tháng cuối năm", ST_H, "2027-05-01", "2026-H2"),
        ("tuần 53", WEEKLY, "2027-01-02", "2026-W53"),
    ],
)
def test_parse_period_ref_year_inference(text, stream, today, key):
    p = parse_period_ref(text, stream, d(today))
    assert p is not None and p.key == key


@pytest.mark.parametrize(
    ("text", "stream"),
    [("quý 3", UNIT), ("tháng 13", UNIT), ("tháng 0", UNIT), ("xin chào", UNIT), ("", UNIT), ("tháng 10", ST_Q),
     ("6 tháng", ST_Y), ("năm 2026", UNIT), ("quý 5", ST_Q), ("tuần 60", WEEKLY), ("2026-10", ST_Y)],
)
def test_parse_period_ref_none(text, stream):
    assert parse_period_ref(text, stream, TODAY) is None


# --- stream config ----------------------------------------------------------------------------
def test_default_streams():
    assert [(s.name, s.frequency, s.due_day, s.reporter_roles, s.weekend_reminders) for s in default_streams()] == [
        ("village_monthly", Frequency.MONTHLY, 20, ("member",), True),
        ("unit_monthly", Frequency.MONTHLY, 20, ("officer",), False),
        ("lead_monthly", Frequency.MONTHLY, 22, ("lead",), False),
        ("steering_monthly", Frequency.MONTHLY, 6, ("lead",), False),
        ("steering_quarterly", Frequency.QUARTERLY, 6, ("lead",), False),
        ("steering_half_year", Frequency.HALF_YEAR, 6, ("lead",), False),
        ("steering_year", Frequency.YEAR, 6, ("lead",), False),
    ]
    assert all(not s.inclusive and s.cutoff == "nd09" for s in default_streams())
    assert [s.name for s in default_streams() if s.due_month_offset] == ["steering_monthly"]
    assert UNIT.recipient == "Phòng Văn hóa - Xã hội" and LEAD.recipient == "UBND xã"


def test_dump_load_roundtrip():
    streams = [*default_streams(), WEEKLY, dataclasses.replace(CAL_M, notify_missing_to=None), DAY6_M]
    dumped = dump_streams(streams)
    assert all(None not in row.values() for row in dumped)
    assert dumped[0]["frequency"] == "monthly" and dumped[0]["reporter_roles"] == ["member"]
    assert load_streams(dumped) == streams


def test_load_minimal_defaults():
    (s,) = load_streams([{"name": "x", "kind": "unit_report", "reporter_roles": "officer",
                          "recipient": "UBND xã", "frequency": "quarterly", "due_day": 10}])
    assert (s.reporter_roles, s.frequency, s.inclusive, s.cutoff, s.notify_missing_to) == (
        ("officer",), Frequency.QUARTERLY, False, "nd09", "lead")


GOOD = {"name": "x", "kind": "unit_report", "reporter_roles": ["officer"], "recipient": "UBND xã",
        "frequency": "monthly", "due_day": 20}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"due_day": 40}, "due_day"), ({"due_day": True}, "due_day"), ({"due_day": "20"}, "due_day"),
        ({"frequency": "daily"}, "frequency"), ({"kind": "other"}, "kind"), ({"reporter_roles": []}, "reporter_roles"),
        ({"reporter_roles": ["boss"]}, "reporter_roles"), ({"cutoff": "day-31"}, "cutoff"), ({"cutoff": 15}, "cutoff"),
        ({"recipient": " "}, "recipient"), ({"name": "Bad Name"}, "name"), ({"inclusive": "yes"}, "inclusive"),
        ({"notify_missing_to": "boss"}, "notify_missing_to"), ({"due_month_offset": 13}, "due_month_offset"),
        ({"colour": "red"}, "colour"), ({"frequency": "weekly", "due_day": 8}, "due_day"),
    ],
)
def test_load_errors_name_the_field(patch, field):
    with pytest.raises(ValueError, match=rf"stream #1 .*'{field}'"):
        load_streams([{**GOOD, **patch}])


def test_load_errors_structure():
    with pytest.raises(ValueError, match="missing field 'due_day'"):
        load_streams([{k: v for k, v in GOOD.items() if k != "due_day"}])
    with pytest.raises(ValueError, match=r"stream #2 .*'name' duplicates"):
        load_streams([GOOD, GOOD])
    with pytest.raises(ValueError, match="list"):
        load_streams({"streams": []})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stream #1: must be an object"):
        load_streams(["x"])  # type: ignore[list-item]


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    stream=st.sampled_from(ALL_STREAMS),
    when=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59),
                      timezones=st.sampled_from([TZ, UTC])),
)
def test_period_for_properties(stream, when):
    p = period_for(stream, when, TZ)
    prev = previous_period(p)
    assert p.due >= when > prev.due
    assert prev.end + timedelta(days=1) == p.start and p.start <= p.end
    assert next_period(prev) == p == period_by_key(stream, p.key, TZ)
    assert parse_period_ref(p.key, stream, p.end, TZ) == p
    assert p.due.time() == time.max and p.due.utcoffset() == timedelta(hours=7)
