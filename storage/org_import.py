"""Import the commune's org list (units, villages, people) from CSV or XLSX, idempotently."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales.textnorm import fold
from storage.errors import ImportFailed
from storage.models import ROLES, Commune, Person
from storage.people import move_post, people_in_unit_by_name
from storage.units import created_moment, get_or_create_unit

__all__ = ["OrgImportResult", "import_org", "read_org_rows"]

_COLUMNS = {
    "unit": ("unit", "don vi", "ten don vi", "thon", "co quan", "to", "don vi/thon"),
    "kind": ("kind", "loai", "loai don vi", "phan loai"),
    "parent": ("parent", "don vi cha", "truc thuoc", "cap tren"),
    "name": ("name", "ho ten", "ho va ten", "ten", "nguoi"),
    "phone": ("phone", "so dien thoai", "sdt", "dien thoai", "so dt"),
    "role": ("role", "vai tro", "chuc nang"),
}
_KINDS = {"office": "office", "phong": "office", "co quan": "office", "village": "village",
          "thon": "village", "ban": "village", "to dan pho": "village", "party": "party",
          "dang": "party", "external": "external", "group": "group"}
_ROLE_ALIASES = {"member": "member", "thanh vien": "member", "to vien": "member",
                 "officer": "officer", "can bo": "officer", "chuyen vien": "officer",
                 "lead": "lead", "dau moi": "lead", "lanh dao": "lead", "admin": "admin",
                 "quan tri": "admin"}


@dataclass
class OrgImportResult:
    units_created: int = 0
    people_created: int = 0
    people_updated: int = 0
    errors: list[str] = field(default_factory=list)


def _map_header(header: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for idx, cell in enumerate(header):
        key = fold(str(cell or ""))
        for col, aliases in _COLUMNS.items():
            if key in aliases and col not in mapping:
                mapping[col] = idx
    if "unit" not in mapping:
        raise ImportFailed("org file: no 'unit' column (expected unit,kind,parent,name,phone,role)")
    return mapping


def read_org_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: value}); raises ImportFailed when the file cannot be read."""
    if not path.is_file():
        raise ImportFailed(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            rows = [list(r) for r in csv.reader(io.StringIO(text), _dialect(text))]
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            rows = [["" if c is None else str(c) for c in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
            wb.close()
        else:
            raise ImportFailed(f"{path.name}: unsupported file type (use .csv or .xlsx)")
    except ImportFailed:
        raise
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name}: not UTF-8 text (in Excel: Save As 'CSV UTF-8'), or save it as .xlsx") from exc
    except csv.Error as exc:
        raise ImportFailed(f"{path.name}: cannot read as CSV ({exc})") from exc
    except Exception as exc:  # openpyxl raises many kinds on a corrupt file
        raise ImportFailed(f"{path.name}: cannot open as a spreadsheet ({exc.__class__.__name__})") from exc
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise ImportFailed(f"{path.name}: the file is empty")
    mapping = _map_header(rows[0])
    width = len(rows[0])
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = {col: str(row[i]).strip() if i < len(row) else "" for col, i in mapping.items()}
        if len(row) > width and any(str(c).strip() for c in row[width:]):  # "Phòng Kinh tế, Hạ tầng…" unquoted
            cells[OVERFULL] = f"{len(row)} cells where the header has {width}"
        out.append((n, cells))
    return out


OVERFULL = "_overfull"  # a row with more cells than the header: its values cannot be trusted


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The file's delimiter: sniffed, or when rows disagree (a name with an unquoted comma makes the sniffer give
    up) the one the header line uses most, so that the other rows still import and the odd one is named."""
    if not text.strip():
        return csv.excel
    try:
        return csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        header = text.splitlines()[0]

        class _Header(csv.excel):
            delimiter = max(",;\t", key=header.count)

        return _Header


async def import_org(session: AsyncSession, commune: Commune, path: Path, at: datetime | None = None) -> OrgImportResult:
    """Create or update units and people. Bad rows are reported by row number and skipped. ``at`` (default
    now): when the units it creates came to be (``storage.units.created_moment``), the people it adds joined
    and those it moves changed post (``storage.people.move_post``)."""
    rows = read_org_rows(path)
    result = OrgImportResult()
    cache: dict = {}
    for n, row in rows:
        problems = []  # every problem of the row in its one error line; a bad row writes nothing
        if row.get(OVERFULL):
            result.errors.append(f"row {n}: {row[OVERFULL]}; a name that contains a comma must be in quotes "
                                 f"(\"Phòng Kinh tế, Hạ tầng và Đô thị\"), or save the list as .xlsx")
            continue
        unit_name = row.get("unit", "")
        if not unit_name:
            problems.append("unit is empty")
        kind_raw = fold(row.get("kind", ""))
        kind = _KINDS.get(kind_raw) if kind_raw else None
        if kind_raw and not kind:
            problems.append(f"unknown kind {row['kind']!r} (office or village)")
        role_raw = fold(row.get("role", ""))
        role = _ROLE_ALIASES.get(role_raw, role_raw) if role_raw else None
        if role and role not in ROLES:
            problems.append(f"unknown role {row['role']!r} ({', '.join(ROLES)})")
        phone = clean_phone(row.get("phone", ""))
        if row.get("phone") and phone is None:
            problems.append(f"phone {row['phone']!r} is not a Vietnamese phone number")
        if problems:
            result.errors.append(f"row {n}: " + "; ".join(problems))
            continue
        parent = None
        if row.get("parent"):
            parent, made = await get_or_create_unit(session, commune, row["parent"], cache=cache, at=at)
            result.units_created += made
        unit, made = await get_or_create_unit(session, commune, unit_name, kind, parent, cache, at)
        result.units_created += made
        for listed in (unit, parent):
            if listed is not None and listed.from_plan:
                listed.from_plan = False  # on the org list now: a real unit
                session.add(listed)
        name = " ".join(row.get("name", "").split())
        if not name:
            continue
        role = role or ("member" if unit.kind == "village" else "officer")
        person = await _find_person(session, commune, name, phone, unit.id)
        if person is None:
            session.add(Person(commune_id=commune.id, unit_id=unit.id, name=name, phone=phone, role=role,
                               joined_at=created_moment(commune, at)))
            result.people_created += 1
        else:  # a move to another unit or role keeps the post they held until ``at`` (``storage.people.move_post``)
            changed = move_post(session, commune, person, unit.id, role, at) or phone not in (None, person.phone)
            person.phone = phone or person.phone
            result.people_updated += int(changed)
        await session.flush()
    return result


async def _find_person(session: AsyncSession, commune: Commune, name: str, phone: str | None,
                       unit_id: int | None) -> Person | None:
    if phone:
        found = (await session.exec(select(Person).where(
            Person.commune_id == commune.id, Person.phone == phone,
            Person.anonymised_at.is_(None)))).first()  # type: ignore[union-attr]
        if found:
            return found
    same = await people_in_unit_by_name(session, commune.id, unit_id, name)  # type: ignore[arg-type]
    return same[0] if same else None  # "Lo Thi Bich" on the list is the "Lò Thị Bích" who joined


def clean_phone(raw: str) -> str | None:
    """Normalise to 0xxxxxxxxx; +84 / 84 prefixes accepted. None if not a phone number."""
    digits = "".join(c for c in raw if c.isdigit() or c == "+")
    if not digits:
        return None
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not digits.isdigit() or len(digits) != 10 or not digits.startswith("0"):
        return None
    return digits
