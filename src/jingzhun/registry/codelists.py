"""The code lists of the whole product, as data (``data/codelists.toml``; docs/codelists.md).

Each list has the national codes and labels, the retired values of older forms (kept for history, never
offered for new entries) and the aliases seen in national exports, older forms and county sheets, each with
its source. Imports (the register's and the department loads'), exports, templates, forms and the logic
checks all read the lists from here, so a value is accepted, stored and written the same way everywhere:

* accepted: a code, a code without its leading zeros, a label or a listed alias (ignoring spaces and the
  width of brackets); an alias may mean "not filled" (its code is ``""``);
* refused: anything else, with the column and the allowed labels (``hint``) — never mapped silently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

DATA = Path(__file__).with_name("data") / "codelists.toml"


def normalise(text: object) -> str:
    """The form in which spellings are compared: no spaces, half-width brackets."""
    return (
        str(text)
        .strip()
        .replace("（", "(")
        .replace("）", ")")
        .replace(" ", "")
        .replace("\u3000", "")
        .replace("\t", "")
    )


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    name: str
    retired: bool = False
    note: str = ""


@dataclass(frozen=True)
class CodeList:
    key: str
    title: str
    table: str
    source: str
    unsure: str
    codes: tuple[Code, ...]
    aliases: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def current(self) -> tuple[Code, ...]:
        """The values offered for new entries (templates, drop-downs, forms)."""
        return tuple(c for c in self.codes if not c.retired)

    def label(self, code: str) -> str:
        for c in self.codes:
            if c.code == code:
                return c.label
        return code

    @cached_property
    def _spellings(self) -> dict[str, str]:
        return self._spelling_map()

    def spellings(self) -> dict[str, str]:
        """Normalised spelling → stored code, for every accepted spelling (``""``: not filled); a copy."""
        return dict(self._spellings)

    def _spelling_map(self) -> dict[str, str]:
        """Normalised spelling → stored code, for every accepted spelling (``""``: not filled)."""
        result: dict[str, str] = {}
        for c in self.codes:
            result[normalise(c.label)] = c.code
        for c in self.codes:
            result.setdefault(c.code, c.code)
            if c.code.isdigit() and c.code.lstrip("0"):
                result.setdefault(c.code.lstrip("0"), c.code)
        for spelling, code, _source in self.aliases:
            result.setdefault(normalise(spelling), code)
            result.setdefault(normalise(spelling).upper(), code)
        return result

    def parse(self, text: object) -> str | None:
        """The stored code of one cell's text, ``""`` for a documented "not filled", None if not accepted."""
        return self._spellings.get(normalise(text))

    def hint(self, limit: int = 14) -> str:
        labels = [c.label for c in self.current]
        if len(labels) <= limit:
            return "、".join(labels)
        return f"{'、'.join(labels[: limit - 4])} 等 {len(labels)} 项（代码或名称均可，见模板的代码表）"


def _codelist(key: str, raw: dict) -> CodeList:
    codes = [
        Code(f"{i:02d}", name, f"E{i:02d}") for i, name in enumerate(raw.get("names", "").split(), start=1)
    ]
    codes += [Code(str(c), str(label), str(name)) for c, label, name in raw.get("codes", [])]
    codes += [
        Code(str(c), str(label), str(name), True, str(note))
        for c, label, name, note in raw.get("retired", [])
    ]
    known = {c.code for c in codes}
    aliases = tuple((str(s), str(c), str(src)) for s, c, src in raw.get("aliases", []))
    for spelling, code, _ in aliases:
        if code and code not in known:
            raise ValueError(f"codelists.toml [{key}]: alias {spelling!r} names unknown code {code!r}")
    return CodeList(
        key,
        raw["title"],
        raw.get("table", ""),
        raw.get("source", ""),
        raw.get("unsure", ""),
        tuple(codes),
        aliases,
    )


@cache
def _raw() -> dict:
    with DATA.open("rb") as fh:
        return tomllib.load(fh)


@cache
def get(key: str) -> CodeList:
    """The code list ``key`` (``relation``, ``schooling`` …)."""
    return _codelist(key, _raw()[key])


def keys() -> list[str]:
    return list(_raw())


def members(key: str) -> list[tuple[str, tuple[str, str]]]:
    """(NAME, (code, label)) for Django's ``TextChoices`` functional API."""
    return [(c.name, (c.code, c.label)) for c in get(key).codes]
