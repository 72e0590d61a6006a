"""The website, built and opened in a real (headless) browser, offline.

Builds the site with Jupyter Book 1 exactly as `make book` does, serves `_build/html` on localhost,
blocks every request that leaves this machine, and checks what a reader sees on the preface: the
title, a rendered figure, the chapter navigation and typeset (not raw) math; then that an exercise's
solution is collapsed until clicked and that a chapter lists its references. A screenshot is kept in
`_build/screenshots/preface.png`.
"""

from __future__ import annotations

import functools
import html
import re
import http.server
import shutil
import subprocess
import sys
import threading

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def _chromium() -> str | None:
    for path in CHROMIUM_CANDIDATES:
        if shutil.which(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(repo):
    result = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "book", "build"], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = repo / "_build" / "html"
    assert (html / "index.html").is_file()
    return html


def test_every_ready_chapter_has_a_page(site, repo):
    from jpegtutor.book import load_manifest

    for chapter in load_manifest(repo).ready:
        assert (site / f"{chapter.file}.html").is_file(), chapter.file
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax must be served locally"
    # launch buttons open the committed notebooks (with outputs) on Colab and Binder
    manifest = load_manifest(repo)
    owner_repo = manifest.repository.split("github.com/")[1]
    for chapter in manifest.ready:
        page = (site / f"{chapter.file}.html").read_text()
        assert (f"https://colab.research.google.com/github/{owner_repo}/blob/{manifest.branch}/"
                f"{chapter.file}.ipynb") in page
        assert f"mybinder.org/v2/gh/{owner_repo}/{manifest.branch}?urlpath=lab/tree/{chapter.file}.ipynb" in page


def test_the_instructor_and_visual_pages(site):
    instructors = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", (site / "chapters" / "A2_instructors.html").read_text())))
    for text in ("jpegtutor assign build", "jpegtutor assign grade", "otter-grader", "02_dct", "14_neural_operators"):
        assert text in instructors, text
    visual = (site / "chapters" / "15b_visual.html").read_text()
    assert visual.count("<img") >= 3 and "kodim23" in visual


@pytest.fixture(scope="module")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.browser
def test_preface_in_headless_chromium(server, repo):
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium here (Debian package `chromium`; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (jpegtutor[dev])")
    blocked: list[str] = []
    shots = repo / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def offline_only(route):
            if route.request.url.startswith(server):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        page.route("**/*", offline_only)
        page.goto(server + "/index.html")  # redirects to the preface
        page.wait_for_url("**/chapters/00_preface.html", timeout=30_000)
        page.wait_for_selector("mjx-container", timeout=30_000)
        page.wait_for_load_state("networkidle")

        assert "Preface" in page.title()
        assert page.locator("h1").first.inner_text().startswith("Preface")
        # a matplotlib figure from the committed outputs, actually decoded by the browser
        widths = page.eval_on_selector_all(
            "div.cell_output img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and max(widths) > 300, widths
        # chapter navigation and launch buttons
        assert page.locator("nav.bd-docs-nav, nav#bd-docs-nav, .bd-sidebar-primary").count() > 0
        from jpegtutor.book import load_manifest

        sidebar = page.inner_text(".bd-sidebar-primary")
        for chapter in load_manifest(repo).ready:
            assert chapter.title in sidebar, f"{chapter.title!r} missing from the navigation"
        assert page.locator(".bd-sidebar-primary a[href]").count() >= len(load_manifest(repo).ready)
        # the chapter map is rendered as a table listing the planned chapters too
        assert any("The 8x8 DCT" in table for table in page.locator("table").all_inner_texts())
        # math is typeset by MathJax, no raw TeX left in the text
        assert page.locator("mjx-container").count() >= 3
        body = page.inner_text("article")
        assert "\\frac" not in body and "$$" not in body
        page.screenshot(path=str(shots / "preface.png"), full_page=False)
        page.locator("mjx-container").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "preface-math.png"), full_page=False)
        # an exercise's solution is collapsed behind a toggle; a click shows it
        page.goto(server + "/chapters/02_dct.html")
        page.wait_for_load_state("networkidle")
        solution = page.locator("div.tag_hide-cell").first
        assert solution.count() == 1
        code, output = solution.locator("div.cell_input"), solution.locator("div.cell_output")
        assert not code.is_visible() and not output.is_visible(), "the solution must be hidden until asked for"
        solution.locator("summary").first.click()
        assert code.is_visible() and "BEGIN SOLUTION" in code.inner_text()
        # the chapter's references, with the citations linking to them
        page.goto(server + "/chapters/09_talebi.html")
        page.wait_for_load_state("networkidle")
        references = page.inner_text("article")
        assert "Better compression with deep pre-editing" in references and "Deformation aware image compression" in references
        assert page.locator("a[href^='#id'][title*='pre-editing']").count() >= 1
        # no code cell scrolls sideways (_static/jpegtutor.css wraps long lines inside the cell)
        wide = page.eval_on_selector_all("div.cell_input pre", "ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1).length")
        assert wide == 0, f"{wide} code cells of chapter 09 scroll sideways"
        browser.close()
    assert (shots / "preface.png").stat().st_size > 20_000
    assert not [u for u in blocked if "mathjax" in u.lower()], "MathJax must not come from the network"


@pytest.mark.browser
def test_leaderboard_page_sorts_in_headless_chromium(server):
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium here (Debian package `chromium`; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (jpegtutor[dev])")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
        page.goto(server + "/chapters/15a_leaderboard.html")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.inner_text().startswith("Leaderboard")
        table = page.locator("table.jpegtutor-sortable").first
        assert table.count() == 1
        names = table.locator("thead tr").last.locator("th")
        column = next(i for i in range(names.count()) if names.nth(i).inner_text().strip() == "PSNR")

        def values():
            cells = table.locator("tbody tr").evaluate_all(
                f"rows => rows.map(r => r.cells[{column}].dataset.sort)")
            return [float(v) for v in cells if v is not None and v not in ("nan",)]

        names.nth(column).click()  # ascending: the biggest saving first
        first = values()
        assert len(first) >= 3 and first == sorted(first)
        assert names.nth(column).get_attribute("aria-sort") == "ascending"
        names.nth(column).click()
        assert values() == sorted(first, reverse=True)
        method = table.locator("tbody tr").first.locator("td").first.inner_text()
        assert method, "the sorted rows keep their method names"
        widths = page.eval_on_selector_all("div.cell_output img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and max(widths) > 300, "the rate-difference figure is shown"
        browser.close()
