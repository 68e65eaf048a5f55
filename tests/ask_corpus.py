"""Runs the question corpus (tests/data/ask_corpus.json) through the core call and checks each case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locales.textnorm import fold
from tests.ask_support import COMMUNE, HCC, NAPAI, NOW

CORPUS = json.loads((Path(__file__).resolve().parent / "data" / "ask_corpus.json").read_text("utf-8"))
UNIT_OF = {"member": NAPAI, "officer": HCC}


def check(case: dict[str, Any], out: dict[str, Any], text: str) -> list[str]:
    """What is wrong with one answer (empty when the case passes). ``text``: everything the person saw."""
    problems = []
    if case["intent"] != "*" and out["intent"] != case["intent"]:
        problems.append(f"intent {out['intent']} != {case['intent']}")
    for key, want in case["entities"].items():
        if want is None:
            continue
        got = out["entities"].get(key)
        if key == "ambiguous" and got is not None:
            got, want = sorted(got), sorted(want)
        if got != want:
            problems.append(f"{key} {got!r} != {want!r}")
    seen = fold(text)
    problems += [f"missing fact {f!r}" for f in case["facts"] if fold(f) not in seen]
    return problems


async def run_core(db: Any) -> tuple[int, list[str]]:
    from bot.cli.ask import ask_once

    failures = []
    for case in CORPUS:
        out = await ask_once(db, COMMUNE, case["role"], case["q"], UNIT_OF.get(case["role"]), now=NOW,
                             locale=case.get("locale", "vi"))
        text = "\n".join([out["answer"], *out["choices"], " ".join(out["facts"].get("files", []))])
        problems = check(case, out, text)
        if problems:
            failures.append(f"{case['q']!r} ({case['role']}): {'; '.join(problems)} → {out['answer'][:160]!r}")
    return len(CORPUS), failures
