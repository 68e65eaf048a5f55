"""The question corpus over a seeded commune: at least 150 questions, at least 95 % answered right."""

from __future__ import annotations

from storage.db import Database
from tests.ask_corpus import CORPUS, run_core
from tests.ask_support import seed_commune


async def test_corpus_core(db: Database) -> None:
    assert len(CORPUS) >= 150
    await seed_commune(db)
    total, failures = await run_core(db)
    rate = 1 - len(failures) / total
    print(f"\nask corpus: {total - len(failures)}/{total} passed ({rate:.1%})")
    for f in failures:
        print("  FAIL", f)
    assert rate >= 0.95, "\n".join(failures)


async def test_cli_ask(db: Database, db_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    import asyncio
    import json

    from bot.cli import main

    await seed_commune(db)
    monkeypatch.setenv("DATABASE_URL", db_url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["ask", "--commune", "Thiện Tân", "--as", "lead", "--at",
                                          "2026-12-10T10:00+07:00", "thon nao chua bc?", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert code == 0 and out["intent"] == "not_reported" and out["entities"]["scope"] == "villages"
    assert "Thôn Khuổi Luông" in out["answer"]
    code = await asyncio.to_thread(main, ["ask", "--commune", "Thiện Tân", "--as", "member", "--unit", "Nà Pài",
                                          "--at", "2026-12-10T10:00+07:00", "thôn mình tháng này được bao nhiêu?"])
    text = capsys.readouterr().out
    assert code == 0 and "intent: activity_totals" in text and "12" in text
    code = await asyncio.to_thread(main, ["ask", "--commune", "Thiện Tân", "--as", "member", "--unit", "Nowhere",
                                          "hi"])
    assert code == 2 and "Nowhere" in capsys.readouterr().err
