"""Markdown written by staff, turned into HTML that is safe to show the public."""

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "h3", "h4", "h5", "a", "code"}
# h1 and h2 are left out on purpose: a public page has one <h1>, and each theme section is an <h2>. The text
# of a heading they wrote stays; only its tag is dropped.


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
