"""How well themes can match a labelled set's with the vectors this product can build offline.

    python benchmarks/theme_ceiling.py ../shared/data/dev_suggestions.jsonl

Theme NMI counts two kinds of error: copies and paraphrases of one idea found apart (the idea
units), and ideas grouped into the wrong themes.  This script takes the first away.  It clusters
the labelled ideas themselves, each idea's texts summed to one unit vector as ``cluster_themes``
does with idea units, in each vector space below.  For each it prints the NMI against the
labelled themes:
- at several theme counts, for average, complete and Ward linkage;
- with the significance cut the product uses when it picks the number itself.

Two reference partitions frame the figures: every idea a theme of its own, and every labelled
subtheme a theme of its own.  A space in which no linkage and no count beats the first by much
cannot separate topics beyond single ideas, whatever the clustering on top of it.  The figures end
with a table of them all (`--json PATH` writes them as JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize as l2_normalize

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.figures import add_json_option, report  # noqa: E402
from suggestions.analysis import ThemeSpace, display_form  # noqa: E402
from suggestions.analysis.themes import significant_average_linkage  # noqa: E402
from suggestions.analysis.vectors import main_clauses, semantic_vectors, surface_phrases  # noqa: E402

COUNTS = (8, 11, 14, 18, 22)
LINKAGES = ("average", "complete", "ward")


def nmi(truth: list[str], found) -> float:
    # Arithmetic mean of the entropies: the shared scorer's 2·I / (H(a) + H(b)).
    return float(normalized_mutual_info_score(truth, [str(x) for x in found], average_method="arithmetic"))


def centred(vectors: np.ndarray) -> np.ndarray:
    """e5 vectors minus their mean: raw cosines between any two Persian texts sit near 0.8."""
    return l2_normalize(vectors - vectors.mean(axis=0))


def word_average(displays: list[str]) -> np.ndarray:
    """Each main clause as the idf-weighted sum of its content words' own e5 vectors (centred)."""
    docs = [{stem: word for stem, word in surface_phrases(main_clauses(d)) if " " not in stem} for d in displays]
    written = {stem: word for doc in docs for stem, word in doc.items()}
    stems = sorted(written)
    column = {stem: i for i, stem in enumerate(stems)}
    words = centred(semantic_vectors([written[s] for s in stems]))
    document_frequency = Counter(stem for doc in docs for stem in doc)
    out = np.zeros((len(docs), words.shape[1]), dtype=np.float32)
    for row, doc in enumerate(docs):
        for stem in doc:
            out[row] += math.log(len(docs) / document_frequency[stem]) * words[column[stem]]
    return centred(out)


def spaces(displays: list[str]) -> dict[str, np.ndarray]:
    whole = semantic_vectors(displays)
    lexical = ThemeSpace().fit_transform(displays).toarray()
    return {
        "lexical, main clauses (no e5)": lexical,
        "e5, whole text": centred(whole),
        "e5, main clauses": centred(semantic_vectors([main_clauses(d) for d in displays])),
        "e5, average of its words": word_average(displays),
        "lexical + e5 (the product's)": ThemeSpace().fit_transform(displays, whole).toarray(),
        "lexical + word average": np.hstack([lexical, word_average(displays)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    add_json_option(parser)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.labels.open(encoding="utf-8")]
    themes = [r["theme"] for r in rows]
    ideas = list(dict.fromkeys(r["dup_group"] for r in rows))
    idea_of = np.array([ideas.index(r["dup_group"]) for r in rows])
    membership = np.zeros((len(ideas), len(rows)), dtype=np.float32)
    membership[idea_of, np.arange(len(rows))] = 1.0

    subthemes = [r.get("subtheme", r["theme"]) for r in rows]
    figures = {
        "texts": len(rows),
        "ideas": len(ideas),
        "labelled_themes": len(set(themes)),
        "nmi_every_idea_its_own_theme": round(nmi(themes, idea_of), 3),
        "nmi_every_subtheme_its_own_theme": round(nmi(themes, subthemes), 3),
        "subthemes": len(set(subthemes)),
        "counts": list(COUNTS),
        "spaces": {},
    }
    print(f"{len(rows)} texts, {len(ideas)} ideas, {len(set(themes))} labelled themes")
    print(f"every idea its own theme:     NMI {figures['nmi_every_idea_its_own_theme']:.3f} ({len(ideas)} themes)")
    print(
        f"every subtheme its own theme: NMI {figures['nmi_every_subtheme_its_own_theme']:.3f} "
        f"({len(set(subthemes))} themes)"
    )
    print(f"NMI at {', '.join(map(str, COUNTS))} themes; 'cut': the product's own choice of the number")
    best = 0.0
    for name, vectors in spaces([display_form(r["text"]) for r in rows]).items():
        points = l2_normalize(membership @ vectors)
        distances = np.clip(pdist(points, "cosine"), 0.0, 2.0)
        space = figures["spaces"][name] = {}
        for method in LINKAGES:
            tree = linkage(points, "ward") if method == "ward" else linkage(distances, method)
            found = [nmi(themes, fcluster(tree, k, "maxclust")[idea_of]) for k in COUNTS]
            best = max(best, *found)
            space[method] = [round(x, 3) for x in found]
        cut = significant_average_linkage(points)
        space["cut"] = round(nmi(themes, cut[idea_of]), 3)
        space["cut_themes"] = int(cut.max() + 1)
        by_linkage = " | ".join(f"{method} " + " ".join(f"{x:.3f}" for x in space[method]) for method in LINKAGES)
        print(f"  {name:<30} {by_linkage} | cut {space['cut']:.3f} ({space['cut_themes']})")
    figures["best_nmi"] = round(best, 3)
    print(f"best NMI of any space, linkage and count, with the ideas given: {best:.3f}")
    report(figures, args.json, title="theme ceiling figures")


if __name__ == "__main__":
    main()
