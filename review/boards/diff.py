"""Word-level differences between two display forms, for showing duplicate-group members side by side.

Segments carry plain text only; the template escapes it and wraps changed words in <ins>/<del>."""

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "added", "removed"]
_TOKENS = re.compile(r"\n|[^\s]+")  # words, and line breaks as tokens of their own so a title stays on its line


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str


def word_diff(base: str, other: str) -> list[Segment]:
    """How `other` differs from `base`, word by word: runs of kept, added and removed words in reading order."""
    old, new = _TOKENS.findall(base), _TOKENS.findall(other)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", " ".join(old[i1:i2])))
            continue
        # A replacement reads as the removed words, then the words written instead.
        if tag in ("delete", "replace"):
            segments.append(Segment("removed", " ".join(old[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(Segment("added", " ".join(new[j1:j2])))
    return segments


def changed_word_count(segments: list[Segment]) -> int:
    """How many words differ; a moved line break is no word."""
    return sum(len(segment.text.split()) for segment in segments if segment.kind != "same")
