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
