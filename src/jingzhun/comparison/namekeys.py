"""Names compared as people would: the key two spellings of one name share.

A department and the register often write the same person's name differently without either being wrong:
traditional characters on an old ID card (張偉) against simplified ones (张伟), the middle dot of a
Uyghur or Kazakh name typed as ·, •, ・, ．, ‧ or ･ (阿依古丽·买买提), a space a clerk put between surname and
given name, full-width letters. ``name_key`` folds all of these; the comparison rules compare keys, never
the stored values, which stay exactly as given.

The key of a name is, in this order:

1. Unicode NFKC (full-width letters and digits, the ideographic space, compatibility ideographs);
2. every whitespace and zero-width character removed;
3. every middle-dot variant (``DOTS``) written as U+00B7 ·;
4. each traditional character replaced by its simplified form from OpenCC's ``t2s`` conversion, character
   by character (a name is not a phrase: 乾 folds the same way wherever it stands).

Speed: the keys are computed once per distinct name, and only for the names that can change — a name of
plain CJK characters that are not traditional, with at most the standard ·, is its own key. ``MAY_CHANGE``
is that test as a regular expression both DuckDB (RE2) and Spark (Java) read, so an engine sends only those
few names to Python (``engine.run_catalogue`` builds the table ``name_keys`` from it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

DOT = "\u00b7"
# Middle dots people type between the parts of a name. NFKC has already turned U+FF0E ． into "." and
# U+FF65 ･ into U+30FB ・, so both the originals and their NFKC forms are listed.
DOTS = ".\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff0e\uff65"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# The blocks whose characters are NFKC-stable: CJK Unified Ideographs and Extension A.
PLAIN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
# Where OpenCC's traditional characters are (compatibility ideographs are unified by NFKC first).
CJK_BLOCKS = (*PLAIN_BLOCKS, (0x20000, 0x2A6DF), (0x2A700, 0x2EE5F), (0x30000, 0x323AF))


@cache
def _traditional() -> dict[str, str]:
    """Each traditional character and its simplified form, from OpenCC's t2s, one character at a time."""
    import opencc

    chars = [chr(code) for low, high in CJK_BLOCKS for code in range(low, high + 1)]
    # One call for all of them; a newline between characters so that no two form a phrase.
    converted = opencc.OpenCC("t2s.json").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC never merges lines
        converted = [opencc.OpenCC("t2s.json").convert(ch) for ch in chars]
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


@cache
def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(ch): ch2 for ch, ch2 in _traditional().items()}
    table.update({code: None for code in range(0x3001) if chr(code).isspace()})
    table.update({ord(ch): None for ch in INVISIBLE})
    table.update({ord(ch): DOT for ch in DOTS if ch != DOT})
    return table


def name_key(name: str | None) -> str | None:
    """The comparison key of one name (None stays None)."""
    if name is None:
        return None
    return unicodedata.normalize("NFKC", name).translate(_table())


def _ranges(chars: Iterable[str]) -> str:
    """Characters as a regular-expression class body with runs written as ranges (一-龥)."""
    codes = sorted({ord(ch) for ch in chars})
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(chr(codes[i]) if i == j else f"{chr(codes[i])}-{chr(codes[j])}")
        i = j + 1
    return "".join(parts)


@cache
def may_change() -> str:
    """A regular expression matching every name whose key may differ from it: any character outside the
    plain CJK blocks (other than ·), or a traditional character inside them. Only literal characters, no
    backslashes, so SQL string literals of both engines carry it unchanged."""
    plain = "".join(f"{chr(low)}-{chr(high)}" for low, high in PLAIN_BLOCKS)
    inside = [ch for ch in _traditional() if any(low <= ord(ch) <= high for low, high in PLAIN_BLOCKS)]
    return f"[^{plain}{DOT}]|[{_ranges(inside)}]"


def changed(names: Iterable[str | None]) -> dict[str, str]:
    """Name → key for the names whose key differs from the name (each name computed once)."""
    out: dict[str, str] = {}
    for name in set(names):
        if name is None:
            continue
        key = name_key(name)
        if key != name and key is not None:
            out[name] = key
    return out


def keys(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The key of every name of an Arrow string array (nulls stay null), computed once per distinct name
    and in Python only for the names ``may_change`` matches."""
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    if len(names) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(names)
    distinct = encoded.dictionary
    flagged = pc.match_substring_regex(distinct, may_change()).fill_null(False)
    if pc.any(flagged).as_py():
        folded = [name_key(name) for name in distinct.filter(flagged).to_pylist()]
        distinct = pc.replace_with_mask(distinct, flagged, pa.array(folded, pa.string()))
    return distinct.take(encoded.indices)
