"""Language-identification accuracy of the gateway's detector on the NLU examples.

Runs in the app environment (it uses bot.language). Counts messages of three or more
words, as the target does, and reports native-script messages separately from all of
them: transliterated Arabic, Persian, Russian or Ukrainian in Latin letters is real
user input, but no detector can be expected to name its language reliably.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language import LanguageDetector  # noqa: E402
from lotsen.languages import languages  # noqa: E402

# The script each language is normally written in; a message mostly in Latin letters
# in a language written otherwise is transliterated.
NATIVE_SCRIPT_LATIN = {"sv", "en", "so"}


def examples(nlu_dir: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(nlu_dir.glob("*/*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    found.append((path.parent.name, line.strip()[2:].strip()))
    return found


def is_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) / len(letters) > 0.8


def main() -> int:
    detector = LanguageDetector(languages())
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "ok": 0, "native_n": 0, "native_ok": 0})
    misses: dict[str, list[str]] = defaultdict(list)
    for lang, text in examples(ROOT / "data" / "nlu"):
        if len([w for w in text.split() if any(ch.isalpha() for ch in w)]) < 3:
            continue
        detection = detector.detect(text)
        correct = detection is not None and detection.code == lang
        native = lang in NATIVE_SCRIPT_LATIN or not is_latin(text)
        row = totals[lang]
        row["n"] += 1
        row["ok"] += correct
        row["native_n"] += native
        row["native_ok"] += correct and native
        if not correct and native and len(misses[lang]) < 8:
            misses[lang].append(f"{text} → {detection.code or detection.other if detection else 'none'}")
    report = {
        lang: {
            "messages": row["n"],
            "accuracy": round(row["ok"] / row["n"], 4),
            "native_script_messages": row["native_n"],
            "native_script_accuracy": round(row["native_ok"] / row["native_n"], 4) if row["native_n"] else None,
            "examples_of_misses": misses[lang],
        }
        for lang, row in totals.items()
    }
    all_n = sum(r["n"] for r in totals.values())
    native_n = sum(r["native_n"] for r in totals.values())
    report["overall"] = {
        "messages": all_n,
        "accuracy": round(sum(r["ok"] for r in totals.values()) / all_n, 4),
        "native_script_messages": native_n,
        "native_script_accuracy": round(sum(r["native_ok"] for r in totals.values()) / native_n, 4),
    }
    out = ROOT / "reports" / "nlu" / "langid.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(report["overall"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
