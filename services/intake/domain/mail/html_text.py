"""HTML bodies: a sanitised copy for display and a plain-text rendering for the ticket.

Agents read tickets as text and search indexes text, so an HTML-only message is rendered to
lines (blocks become lines, `<blockquote>` becomes "> " quoting so the quote stripper sees it,
scripts and styles vanish). The HTML itself is only ever kept after nh3 cleaned it: a ticket
viewer must never receive the sender's raw markup.
"""

from __future__ import annotations

import re
import warnings
from html import escape

import nh3
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag
from bs4 import ProcessingInstruction as BsProcessingInstruction
from bs4.exceptions import ParserRejectedMarkup

from .charsets import normalize_text

_SKIP = frozenset(
    {"script", "style", "head", "title", "meta", "link", "noscript", "template", "object"}
)
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "tfoot", "thead", "tr", "ul", "body", "html",
    }
)  # fmt: skip
_NOT_TEXT = (Comment, Declaration, Doctype, BsProcessingInstruction)
_META = re.compile(r"<meta\b[^>]*>?", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")

#: Tags whose content is dropped, not just the tag (a <title> is not part of the message).
_CLEAN_CONTENT = {"script", "style", "title", "template"}
#: `cid:` keeps inline images pointing at their attachment; everything else is nh3's list.
_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


def sanitize_html(html: str) -> str:
    """nh3 (ammonia) with its safe defaults; relative URLs are dropped, they mean nothing here.

    `<meta>` is removed first: nh3 0.3.7's html5ever panics on some truncated meta charsets
    (`content="text/html; charset"`, found by fuzzing), and nh3 drops meta tags anyway. A
    panic surfaces as pyo3's PanicException, a BaseException, so it is caught as such; the
    fallback is the escaped text rendering, which is safe by construction.
    """
    try:
        return nh3.clean(
            _META.sub("", html),
            clean_content_tags=_CLEAN_CONTENT,
            url_schemes=_URL_SCHEMES,
            url_relative="deny",
        ).strip()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException:
        return plain_to_html(html_to_text(html))


class _Lines:
    """Accumulates text into lines, collapsing HTML whitespace and prefixing quote depth."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.line_depth = 0
        self.space = False

    def text(self, value: str, pre: bool) -> None:
        if pre:
            first, *rest = value.split("\n")
            self._words(first, keep=True)
            for piece in rest:
                self.end_line(force=True)
                self._words(piece, keep=True)
            return
        if value[:1].isspace():
            self.space = True
        collapsed = _SPACES.sub(" ", value).strip()
        if collapsed:
            self._words(collapsed, keep=False)
        if value[-1:].isspace():
            self.space = True

    def _words(self, value: str, keep: bool) -> None:
        if not value:
            return
        if not self.current:
            self.line_depth = self.depth
        elif self.space and not keep:
            self.current.append(" ")
        self.current.append(value)
        self.space = False

    def end_line(self, force: bool = False) -> None:
        if self.current or force:
            line = "".join(self.current).rstrip()
            depth = self.line_depth if self.current else self.depth
            prefix = "> " * depth
            self.lines.append((prefix + line).rstrip() if depth else line)
        self.current = []
        self.space = False

    def result(self) -> str:
        self.end_line()
        text = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; iterative, so thousands of nested divs cannot recurse."""
    soup = _soup(html)
    out = _Lines()
    pre = 0
    stack: list[tuple[object, bool]] = [(soup, True)]
    while stack:
        node, entering = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, _NOT_TEXT):
                out.text(str(node), pre > 0)
            continue
        if not isinstance(node, Tag):
            continue
        name = (node.name or "").lower()
        if entering:
            if name in _SKIP:
                continue
            if name == "br":
                out.end_line(force=True)
                continue
            if name in _BLOCK:
                out.end_line()
            if name == "blockquote":
                out.depth += 1
            elif name == "pre":
                pre += 1
            elif name == "li":
                out.text("- ", pre=True)
            elif name in ("td", "th"):
                out.space = True
            stack.append((node, False))
            stack.extend((child, True) for child in reversed(node.contents))
            continue
        if name == "blockquote":
            out.depth -= 1
        elif name == "pre":
            pre -= 1
        elif name == "a":
            _link_target(node, out)
        elif name in ("td", "th"):
            out.space = True
        if name in _BLOCK:
            out.end_line()
    return normalize_text(out.result())


def _soup(html: str) -> BeautifulSoup:
    """The stdlib HTML parser rejects some broken markup (an Outlook `<![endif]>` cut short);
    nh3's HTML5 parser accepts anything, so its clean output is parsed instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return BeautifulSoup(html, "html.parser")
        except ParserRejectedMarkup:
            return BeautifulSoup(sanitize_html(html), "html.parser")


def _link_target(anchor: Tag, out: _Lines) -> None:
    """Keep a link's address in the text when its label hides it ("bấm vào đây")."""
    href = anchor.get("href")
    if not isinstance(href, str) or not href.lower().startswith(("http://", "https://")):
        return
    label = anchor.get_text(" ", strip=True)
    if label and label.rstrip("/") != href.strip().rstrip("/"):
        out.text(f" <{href.strip()}>", pre=False)


def plain_to_html(text: str) -> str:
    """Escaped text as HTML, for the plain parts of a message whose other parts are HTML."""
    return "<div>" + escape(text).replace("\n", "<br>\n") + "</div>"
