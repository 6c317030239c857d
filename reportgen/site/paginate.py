"""Pages of a list: which rows a page holds and its first / previous / next / last neighbours."""

from __future__ import annotations

from dataclasses import dataclass


def page_count(total: int, page_size: int) -> int:
    """An empty list still has one (empty) page."""
    return max(1, -(-total // page_size))


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    pages: int
    total: int
    page_size: int

    @property
    def start(self) -> int:
        """Index (from 0) of the first row on this page."""
        return (self.number - 1) * self.page_size

    @property
    def stop(self) -> int:
        return min(self.start + self.page_size, self.total)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def pages(total: int, page_size: int) -> list[Page]:
    count = page_count(total, page_size)
    return [Page(n, count, total, page_size) for n in range(1, count + 1)]
