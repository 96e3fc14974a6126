"""How long `assistant review` takes on a long question log: `python -m benchmarks.review_scale [--lines N]`.

Writes a synthetic log of N questions (default 100,000) over the default FAQ: wordings from the eval
sets, each in a few spoken variants, asked repeatedly by many sessions with the outcome the Retriever
gave them, then times `review` (read, embed, cluster, diagnose) and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("{q}", "hi, {q}", "{q} thanks", "quick question: {q}", "{q} please", "{q}??")


def wordings() -> list[str]:
    rows = [json.loads(line) for path in sorted((ROOT / "eval").rglob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted({r["query"] for r in rows if isinstance(r.get("query"), str)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    from assistant import Retriever
    from assistant.app.jsonlog import json_line
    from assistant.app.questionlog import LoggedQuestion, new_id
    from assistant.review.run import review

    retriever = Retriever.load()
    queries = wordings()
    # Each wording is asked once; its spoken variants share its outcome (asking them all would time the
    # Retriever, not the review).
    records = []
    for answer in retriever.batch_answer(queries):
        for variant in VARIANTS:
            record = LoggedQuestion.of(answer)
            record.question = variant.format(q=answer.question)
            records.append(record)
    rng = random.Random(0)
    sessions = [new_id() for _ in range(args.lines // 3)]
    log = Path(tempfile.mkdtemp()) / "questions.jsonl"
    with open(log, "wb") as out:
        for _ in range(args.lines):
            record = rng.choice(records)
            record.session, record.id = rng.choice(sessions), new_id()
            out.write(json_line(record.to_record()))
    ends: dict[str, float] = {}
    start = time.perf_counter()
    result = review(retriever, [log], progress=lambda stage, done, total: ends.__setitem__(stage, time.perf_counter()))
    seconds = time.perf_counter() - start
    marks = [("read", ends.get("read", start)), ("embed", ends.get("embed", start)),
             ("cluster + diagnose", start + seconds)]
    previous, parts = start, []
    for name, end in marks:
        parts.append(f"{name} {end - previous:.1f} s")
        previous = end
    print("; ".join(parts))
    print(f"{result.questions:,} questions ({len(records):,} distinct wordings in the pool), {result.reviewed:,} "
          f"reviewed, {result.wordings:,} wordings, {len(result.topics):,} topics: {seconds:.1f} s")


if __name__ == "__main__":
    main()
