"""How related the live «already proposed?» list is, at each score cut-off, on a labelled set.

Each labelled text is "typed"; its neighbours are ranked by the cosine of the engine's lexical vectors (what the live
look-up ranks by), one per duplicate group, at most five. Printed per cut-off: entries shown per text, the share of
them in the typed text's theme, and how often the typed text's own idea is still among them.

    python benchmarks/hint_relevance.py ../shared/data/dev_suggestions.jsonl
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suggestions.analysis import display_form  # noqa: E402
from suggestions.analysis.vectors import list_vectorizer  # noqa: E402

SHOWN = 5


def shown_entries(scores: np.ndarray, groups: list[str], i: int) -> list[int]:
    seen, top = set(), []
    for j in np.argsort(-scores[i], kind="stable"):
        if j == i or groups[j] in seen:
            continue
        seen.add(groups[j])
        top.append(int(j))
        if len(top) == SHOWN:
            break
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--cutoffs", default="0.2,0.25,0.3,0.35,0.4")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = list_vectorizer().fit_transform([display_form(row["text"]) for row in rows])
    scores = (vectors @ vectors.T).toarray()
    themes, groups = [row["theme"] for row in rows], [row["dup_group"] for row in rows]
    print(f"{len(rows)} texts")
    print(f"{'cut-off':>8} {'shown/text':>11} {'same theme':>11} {'own idea found':>15}")
    for cutoff in (float(value) for value in args.cutoffs.split(",")):
        shown = related = own_found = own_possible = 0
        for i in range(len(rows)):
            top = shown_entries(scores, groups, i)
            kept = [j for j in top if scores[i, j] >= cutoff]
            shown += len(kept)
            related += sum(themes[j] == themes[i] for j in kept)
            if any(groups[j] == groups[i] for j in top):
                own_possible += 1
                own_found += any(groups[j] == groups[i] for j in kept)
        per_text, share = shown / len(rows), related / max(shown, 1)
        print(f"{cutoff:>8.2f} {per_text:>11.2f} {share:>11.3f} {own_found:>7}/{own_possible}")


if __name__ == "__main__":
    main()
