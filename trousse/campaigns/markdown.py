"""Markdown written by teachers, rendered then sanitised before any page shows it."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

# What a class project page needs; no images (pictures go through the upload
# service, which strips EXIF), no raw HTML, no tables or headings above h3.
ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre", "h3", "h4", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html disabled: raw tags are shown as text, never parsed.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to mark_safe: nh3 removes anything not on the allow-list.

    Headings # and ## become h3 (the page owns h1/h2); links open with
    rel="noopener noreferrer nofollow ugc" so a donor is never handed to a tracker as a referrer.
    """
    if not text:
        return ""
    html = _parser().render(text)
    for level in ("1", "2"):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    for level in ("5", "6"):
        html = html.replace(f"<h{level}>", "<h4>").replace(f"</h{level}>", "</h4>")
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS) | {"s", "del"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow ugc",
    ).strip()


def normalise_newlines(text: str) -> str:
    """Line breaks as \n: browsers send a textarea's as \r\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
