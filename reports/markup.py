"""Markdown written by staff, turned into HTML that is safe to show the public, and that HTML read back as
the text a reader sees, for the personal-data check."""

from html.parser import HTMLParser

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "h3", "h4", "h5", "a", "code"}
# h1 and h2 are left out on purpose: a public page has one <h1>, and each theme section is an <h2>. The text
# of a heading they wrote stays; only its tag is dropped.
_BLOCK_TAGS = {"p", "br", "ul", "ol", "li", "blockquote", "h3", "h4", "h5", "div", "pre", "hr"}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        # A link's address is public too: shown on hover, and followed by whoever clicks it.
        for name, value in attrs:
            if name == "href" and value:
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees of sanitised HTML: character references decoded, comments and tags gone, each block
    on its own line (so two paragraphs never read as one number), and link addresses on lines of their own.
    Inline tags join their text: «۰۹۱۲<strong>۳۴۵</strong>۶۷۸۹» reads as one number, as it looks."""
    reader = _TextReader()
    reader.feed(html or "")
    reader.close()
    return "".join(reader.parts)
