"""Colours a shop owner picks (a product tile's): #rrggbb, and the text that stays readable on it.

Contrast is WCAG 2's: the relative luminance of each colour, and (L1 + 0.05) / (L2 + 0.05). On any
colour one of black or white text reaches at least 4.58:1, above the 4.5:1 asked of body text, so
a tile's text is whichever of the two contrasts more.
"""

from __future__ import annotations

import re

from .errors import PosError

BLACK = "#000000"
WHITE = "#ffffff"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


class ColourError(PosError, ValueError):
    pass


def parse_colour(text: str) -> str | None:
    """A colour as typed or in a file: "" is none; else #rrggbb (stored lower case)."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not _HEX.fullmatch(cleaned):
        raise ColourError(f"colour {cleaned!r} must be written #rrggbb, like #ffd54a (or left empty)")
    return cleaned.lower()


def relative_luminance(colour: str) -> float:
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_on(background: str) -> str:
    """Black or white: whichever contrasts more with `background` (never below 4.5:1)."""
    return BLACK if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE) else WHITE
