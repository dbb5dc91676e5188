"""How the till looks, as plain data: the theme an owner may pick, and WCAG contrast between colours.

The contrast rule is WCAG 2.x's (relative luminance of sRGB): text needs 4.5:1 against what is
behind it, the edges that show where a control is (a tile, a field, a button, the focus ring) 3:1
against what is next to them. The theme's own test measures every pair it paints with this, and
a tile coloured from the catalog picks black or white text by it (`text_on`).
"""

from __future__ import annotations

from enum import StrEnum

from .errors import PosError

TEXT_CONTRAST = 4.5  # WCAG 1.4.3, text of normal size
BOUNDARY_CONTRAST = 3.0  # WCAG 1.4.11, what identifies a control or its state

BLACK = "#000000"
WHITE = "#ffffff"


class Theme(StrEnum):
    """The `theme` setting: the system's light or dark mode, or one the owner picked."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"
    HIGH_CONTRAST = "high-contrast"


class AppearanceError(PosError, ValueError):
    pass


def parse_theme(text: str) -> Theme:
    """The setting's value as a Theme, or AppearanceError in the owner's words."""
    try:
        return Theme(text.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in Theme)
        raise AppearanceError(f"The theme is one of: {choices}.") from None


def rgb(colour: str) -> tuple[int, int, int]:
    """#rrggbb (or #rgb) as three 0-255 channels."""
    digits = colour.strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(colour: str | tuple[int, int, int]) -> float:
    """WCAG's relative luminance: 0 for black, 1 for white."""
    channels = rgb(colour) if isinstance(colour, str) else colour

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str | tuple[int, int, int], b: str | tuple[int, int, int]) -> float:
    """WCAG's contrast ratio, 1 (the same) to 21 (black on white); the order does not matter."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on this background (a catalog colour on a tile)."""
    return BLACK if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background) else WHITE
