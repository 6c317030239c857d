"""The search index stage (site/search.py) on its own: Pagefind run on the source pages, which
are removed afterwards, every file it wrote in the manifest lines, and a failure as one line.
What the index finds, under the site's Content-Security-Policy, is test_browser.py's."""

from __future__ import annotations

import hashlib

import pytest

from reportgen.site import search
from reportgen.site.writer import OutputError


def test_index_from_source_pages_which_are_then_removed(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    search.write_source(root, "users/ann/page-1.html", "<html lang=en><body><main data-pagefind-body>"
                        "<h1>ann</h1><p>User id ann</p></main></body></html>")
    search.write_source(root, "index.html", "<html lang=en><body><main data-pagefind-body>"
                        "<h1>Spend by model</h1><p>Model gpt-4o</p></main></body></html>")
    index = search.index_site(root)
    assert not (root / search.SOURCE).exists()
    assert (root / search.FOLDER / "pagefind.js").is_file() and (root / search.FOLDER / "pagefind-ui.js").is_file()
    listed = dict(reversed(line.split("  ", 1)) for line in index.manifest.splitlines())
    written = {p.relative_to(root).as_posix(): p for p in (root / search.FOLDER).rglob("*") if p.is_file()}
    assert sorted(listed) == sorted(written) and index.files == len(written)
    assert all(hashlib.sha256(written[name].read_bytes()).hexdigest() == digest for name, digest in listed.items())
    assert index.bytes == sum(p.stat().st_size for p in written.values())
    fragments = list((root / search.FOLDER / "fragment").iterdir())
    assert len(fragments) == 2  # one per source page


def test_pagefind_failing_is_one_line(tmp_path):
    (tmp_path / search.SOURCE).mkdir()  # no page to index
    with pytest.raises(OutputError) as failed:
        search.index_site(tmp_path)
    message = str(failed.value)
    assert message.startswith("Pagefind could not write the search index: Error: ") and "\n" not in message
    assert not (tmp_path / search.SOURCE).exists()
