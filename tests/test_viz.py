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


def test_a_sortable_table_carries_the_numbers_it_sorts_by():
    from jpegtutor import viz

    html = viz.Table(["method", "BD"], [["a", -1.25], ["b", None], ["<c>", 3]], sortable=True)._repr_html_()
    assert 'class="jpegtutor-table jpegtutor-sortable"' in html
    assert '<td data-sort="-1.25">-1.2</td>' in html and '<td data-sort="3">3</td>' in html
    assert "<td>n/a</td>" in html and "&lt;c&gt;" in html  # n/a has no number; text is escaped
    assert "data-sort" not in viz.Table(["x"], [[1.0]])._repr_html_()
