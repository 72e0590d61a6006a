"""The book's table helper: HTML for the website, aligned text for a terminal and nbval."""

from __future__ import annotations

import pytest

from jpegtutor.viz import Table


def test_table_html_and_text():
    table = Table(["method", "PSNR", "LPIPS"], [["tables-searched", -17.31, None], ["a<b", 1.0, "x"]],
                  groups=[("", 1), ("0.1-0.6 bpp", 2)], caption="BD-rate (%)")
    html = table._repr_html_()
    assert '<th colspan="2">0.1-0.6 bpp</th>' in html and "<td>-17.3</td>" in html and "<td>n/a</td>" in html
    assert "a&lt;b" in html  # escaped
    lines = repr(table).splitlines()
    assert lines[0] == "BD-rate (%)" and lines[2].split() == ["method", "PSNR", "LPIPS"]
    assert lines[3].split() == ["tables-searched", "-17.3", "n/a"]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned
    with pytest.raises(ValueError, match="the groups span 2 columns, the table has 3"):
        Table(["a", "b", "c"], [], groups=[("x", 2)])
