"""WCAG contrast as the theme's test and a catalog-coloured tile use it, and the theme setting's rule."""

from __future__ import annotations

import pytest

from pos.domain.appearance import AppearanceError, Theme, contrast_ratio, parse_theme, relative_luminance, text_on


def test_contrast_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777", "#777777") == pytest.approx(1.0)
    # #767676 on white is the lightest grey WCAG's own examples pass at 4.5:1; #777777 just fails.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#ffffff", "#777777") < 4.5
    # The old theme: a white tile on the grid, its 1 px edge on the grid, the disabled Pay's text.
    assert contrast_ratio("#ffffff", "#f6f4f0") == pytest.approx(1.10, abs=0.01)
    assert contrast_ratio("#cfc8bb", "#f6f4f0") == pytest.approx(1.51, abs=0.01)
    assert contrast_ratio("#ffffff", "#9fb8aa") == pytest.approx(2.12, abs=0.01)
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "background,text", [("#ffffff", "#000000"), ("#ffd54a", "#000000"), ("#2f6f4f", "#ffffff"), ("#1f5f8b", "#ffffff")]
)
def test_a_tile_colour_gets_the_text_that_reads_on_it(background, text):
    assert text_on(background) == text
    assert contrast_ratio(text_on(background), background) >= 4.5


def test_the_theme_setting_takes_the_four_names_and_refuses_the_rest():
    assert parse_theme(" High-Contrast ") is Theme.HIGH_CONTRAST
    assert [parse_theme(t.value) for t in Theme] == list(Theme)
    with pytest.raises(AppearanceError, match=r"^The theme is one of: system, light, dark, high-contrast\.$"):
        parse_theme("purple")
