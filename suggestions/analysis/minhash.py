"""MinHash signatures of character shingles of the match form.

A signature is 128 unsigned 32-bit values (512 bytes): small enough to store with
every suggestion and to rebuild any index from.
"""

from __future__ import annotations

import numpy as np

from .normalize import match_form

__all__ = [
    "NUM_PERM",
    "SHINGLE_SIZE",
    "estimated_jaccard",
    "shingle_hashes",
    "signature",
    "signature_from_bytes",
    "signature_of_match_form",
    "signature_to_bytes",
    "signatures_of_match_forms",
]

NUM_PERM = 128
SHINGLE_SIZE = 5
_EMPTY = np.uint32(0xFFFFFFFF)

# Fixed seed: signatures are stored in the database and must mean the same thing forever.
_rng = np.random.default_rng(20_210_618)
_A = _rng.integers(1, 2**63, size=(NUM_PERM, 1), dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=(NUM_PERM, 1), dtype=np.uint64)
_SHIFT = np.uint64(32)
_POWERS = np.array([0x100000001B3**i % 2**64 for i in range(SHINGLE_SIZE)], dtype=np.uint64)


def shingle_hashes(folded: str, size: int = SHINGLE_SIZE) -> np.ndarray:
    """Distinct 32-bit hashes of the character shingles of an already folded text."""
    if not folded:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < size:  # a very short text is its own single shingle
        codes = np.concatenate([codes, np.zeros(size - len(codes), dtype=np.uint64)])
    count = len(codes) - size + 1
    with np.errstate(over="ignore"):
        mixed = codes[:count] * _POWERS[0]
        for offset in range(1, size):
            mixed += codes[offset : offset + count] * _POWERS[offset]
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(32)
    hashes = np.sort(mixed & np.uint64(0xFFFFFFFF))  # sorted distinct values: np.unique's hashing is slower
    return hashes[np.concatenate([[True], hashes[1:] != hashes[:-1]])] if len(hashes) else hashes


def signature_of_match_form(folded: str) -> np.ndarray:
    """The MinHash signature (uint32[128]) of a text already in match form."""
    return signatures_of_match_forms([folded])[0]


# Shingles hashed at once by signatures_of_match_forms: a (128, n) uint64 work array of 4 MB, small
# enough to stay in cache (larger blocks measured slower).
_BLOCK_SHINGLES = 4_096


def signatures_of_match_forms(folded: list[str]) -> np.ndarray:
    """MinHash signatures (n, 128) uint32 of many texts already in match form, hashed in blocks.

    Multiply-shift hashing: the high 32 bits of (a*x + b) mod 2**64 with odd a is a universal
    family and needs no division.  The shift is monotone, so it is taken once, after the minimum.
    """
    out = np.full((len(folded), NUM_PERM), _EMPTY, dtype=np.uint32)
    # Shingle hashes are made block by block, never for the whole collection at once: held together they
    # were about 8 bytes per character of every text, more than the signatures themselves.
    block: list[np.ndarray] = []
    rows: list[int] = []
    size = 0
    for row, form in enumerate(folded):
        hashes = shingle_hashes(form)
        if not len(hashes):
            continue
        if block and size + len(hashes) > _BLOCK_SHINGLES:
            _fill(out, rows, block)
            block, rows, size = [], [], 0
        block.append(hashes)
        rows.append(row)
        size += len(hashes)
    if block:
        _fill(out, rows, block)
    return out


def _fill(out: np.ndarray, rows: list[int], block: list[np.ndarray]) -> None:
    """Write the signatures of one block of shingle-hash arrays into ``out``'s ``rows``."""
    lengths = np.array([len(h) for h in block])
    work = np.multiply(_A, np.concatenate(block)[None, :])  # wraps mod 2**64 by design
    work += _B
    minima = np.minimum.reduceat(work, np.concatenate([[0], np.cumsum(lengths)[:-1]]), axis=1)
    out[rows] = (minima >> _SHIFT).T.astype(np.uint32)


def signature(text: str) -> np.ndarray:
    """The MinHash signature of any text (it is folded to its match form first)."""
    return signature_of_match_form(match_form(text))


def signature_to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes | memoryview) -> np.ndarray:
    sig = np.frombuffer(bytes(data), dtype="<u4").astype(np.uint32)
    if sig.shape != (NUM_PERM,):
        raise ValueError(f"a signature is {NUM_PERM * 4} bytes, got {len(bytes(data))}")
    return sig


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal MinHash values: an unbiased estimate of the shingle-set Jaccard."""
    if a[0] == _EMPTY and (a == _EMPTY).all():
        return 0.0
    return float(np.count_nonzero(a == b)) / NUM_PERM
