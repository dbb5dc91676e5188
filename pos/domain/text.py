"""Text that is printed or shown holds no control characters.

A receipt printer reads some bytes as commands, not letters: ESC p kicks the cash drawer,
GS V cuts the paper. A product name, the store's name, the footer or a cashier's name that
carries such bytes would drive the printer (a drawer opened on a card sale, with nothing
recorded). So every door that takes text (CSV import, catalog edits, settings, cashiers,
what comes down from the shop) refuses a control character with `check_text`, and what is
printed or rendered is passed through `printable` again, for text an older database already
holds. Control characters are Unicode's category Cc: C0 (U+0000–U+001F), DEL (U+007F) and
C1 (U+0080–U+009F). The only one a receipt keeps is the line break between its lines, which
the receipt builder writes itself (and which a multi-line field, the address, may hold).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import PosError

# The names a person may know from a printer manual; the rest are shown as U+XXXX.
_NAMES = {0x00: "NUL", 0x09: "a tab", 0x0A: "a line break", 0x0D: "a line break", 0x1B: "ESC", 0x1D: "GS", 0x7F: "DEL"}


# Exactly Unicode's category Cc, as a character class (a 2 KB receipt is cleaned in ~30 µs, ~20× faster
# than asking unicodedata character by character).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAK = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class TextError(PosError, ValueError):
    """Text that cannot be printed as it is; the message names the field and the character."""


def _lines(text: str) -> str:
    """Windows and old-Mac line ends as the one the receipt builder writes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_control(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in `text` (a line break counts only in single-line text)."""
    found = (_CONTROL_BUT_LINE_BREAK if multiline else _CONTROL).search(_lines(text) if multiline else text)
    return found.group() if found else None


def describe(char: str) -> str:
    return _NAMES.get(ord(char), f"U+{ord(char):04X}")


def check_text(text: str, what: str, *, multiline: bool = False) -> str:
    """`text` (line ends made \\n when multi-line), or TextError saying which character `what` holds."""
    char = first_control(text, multiline=multiline)
    if char is not None:
        raise TextError(
            f"{what} holds a control character ({describe(char)}) that a receipt printer would take as a command"
        )
    return _lines(text) if multiline else text


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character taken out: what a printer or a screen is given.

    A tab, and in single-line text a line end, becomes a space (the words stay apart);
    every other control character is dropped.
    """
    if multiline:
        text = _lines(text)
    return (_CONTROL_BUT_LINE_BREAK if multiline else _CONTROL).sub(_replacement, text)


def _replacement(found: re.Match[str]) -> str:
    return " " if found.group() in "\t\n\r" else ""


def first_invisible(text: str) -> str | None:
    """The first character that shows nothing yet makes two names differ: Unicode's format characters
    (zero-width space, bidi overrides, word joiner, BOM …) and the line and paragraph separators. The
    zero-width joiner and non-joiner are let through: Persian and Indic names and emoji need them.
    For names that identify someone or something (a cashier, a till), where "T1" and "T1\u200b"
    would read as one."""
    return next((c for c in text if unicodedata.category(c) in ("Cf", "Zl", "Zp") and c not in "\u200c\u200d"), None)


def quoted_short(typed: str, most: int = 40) -> str:
    """What someone typed (or pasted, or a scanner sent), as a one-line message quotes it back: a
    pasted page would make the message a page."""
    return typed if len(typed) <= most else typed[: most - 1] + "…"


def columns(text: str) -> int:
    """The columns `text` takes on a receipt printer or any fixed-width line: a wide or full-width
    character (CJK, kana, hangul, most emoji) two, a combining mark or a format character none, the
    rest one. A receipt laid out by `len` pushed a Chinese or Japanese name's price past the paper's
    edge, where the printer wraps it onto a line of its own."""
    return sum(_char_columns(c) for c in text)


def _char_columns(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def fit(text: str, most: int) -> str:
    """`text` cut to at most `most` columns (never half of a wide character)."""
    if columns(text) <= most:
        return text
    used, kept = 0, []
    for char in text:
        used += _char_columns(char)
        if used > most:
            break
        kept.append(char)
    return "".join(kept)


def center(text: str, width: int) -> str:
    """As str.center, counting columns: the same line as str.center gives where every character is one
    column wide."""
    return text.center(width - (columns(text) - len(text)))


def ljust(text: str, width: int) -> str:
    """As str.ljust, counting columns."""
    return text.ljust(width - (columns(text) - len(text)))
