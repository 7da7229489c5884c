"""Words for people that depend on a number, for pages (the `plural` filter), emails and messages."""

from __future__ import annotations


def plural(count: int, singular: str, plural: str | None = None, *, with_count: bool = True) -> str:
    """A count with its noun (or phrase) in the right number: '1 fan', '2 fans', '0 fans'.

    `plural` is for words and phrases that do not just take an s ('1 refund needs attention',
    '2 refunds need attention'); with_count=False gives the words alone, for a page that shows
    the number apart.
    """
    words = singular if count == 1 else plural or f"{singular}s"
    return f"{count} {words}" if with_count else words
