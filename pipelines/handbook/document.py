"""A tiny document model and its two renderers: Markdown (GitHub flavour) and self-contained HTML.

The handbook's content is built once as a list of blocks (headings, paragraphs, lists, tables,
notes); :func:`render_markdown` and :func:`render_html` turn the same blocks into the two files,
so they can never say different things. Only what the handbook uses is supported.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

SpanStyle = Literal["text", "code", "strong", "em", "small", "link", "demo"]


@dataclass(frozen=True)
class Span:
    """A run of inline text. ``demo`` marks values from synthetic demo data."""

    text: str
    style: SpanStyle = "text"
    href: str | None = None  # link target: "#anchor" or an https:// address
    lang: str | None = None  # e.g. "en" for the English name


Inline = tuple[Span, ...]


def inline(*parts: str | Span | Iterable[Span]) -> Inline:
    """Join strings (plain text), spans and span sequences into one inline run."""
    spans: list[Span] = []
    for part in parts:
        if isinstance(part, str):
            if part:
                spans.append(Span(part))
        elif isinstance(part, Span):
            spans.append(part)
        else:
            spans.extend(part)
    return tuple(spans)


def code(text: str) -> Span:
    return Span(text, "code")


def strong(text: str) -> Span:
    return Span(text, "strong")


def em(text: str) -> Span:
    return Span(text, "em")


def small(text: str, lang: str | None = None) -> Span:
    return Span(text, "small", lang=lang)


def link(text: str, href: str) -> Span:
    return Span(text, "link", href=href)


def demo(text: str) -> Span:
    return Span(text, "demo")


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class Heading:
    level: int  # 1–4
    content: Inline
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    content: Inline
    css_class: str | None = None


@dataclass(frozen=True)
class Note:
    """A highlighted paragraph (the synthetic-data warning): a block quote in Markdown."""

    content: Inline


@dataclass(frozen=True)
class Item:
    content: Inline
    children: tuple[Item, ...] = ()
    anchor: str | None = None  # a link target on the item itself


@dataclass(frozen=True)
class BulletList:
    items: tuple[Item, ...]
    css_class: str | None = None


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned column positions
    caption: str | None = None


@dataclass(frozen=True)
class Figure:
    """An image in the handbook's own folder (``src`` relative to it) with its text alternative and
    a visible caption."""

    src: str
    alt: str
    caption: Inline


Block = Comment | Heading | Paragraph | Note | BulletList | Table | Figure


@dataclass(frozen=True)
class Document:
    title: str
    lang: str
    blocks: tuple[Block, ...]


# --- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")
# "_" inside a word (midlertidig_over_3_mnd) cannot start or end emphasis in GitHub Markdown, so it
# is left as it is; anywhere else it is escaped.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)](?=\s))")


def _md_text(text: str) -> str:
    return _MD_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", text))


def _md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_span(span: Span) -> str:
    if span.style == "code":
        return _md_code(span.text)
    text = _md_text(span.text)
    if span.style in ("strong", "demo"):
        return f"**{text}**"
    if span.style == "em":
        return f"*{text}*"
    if span.style == "small":
        lang = f' lang="{span.lang}"' if span.lang else ""
        return f"<small{lang}>{text}</small>"
    if span.style == "link":
        return f"[{text}]({span.href})"
    return text


def _md_inline(content: Inline) -> str:
    rendered = "".join(_md_span(span) for span in content)
    # A line that starts like a heading, quote or list marker would change meaning: escape it.
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), rendered, count=1)


def _md_items(items: Sequence[Item], depth: int) -> list[str]:
    lines: list[str] = []
    for item in items:
        anchor = f'<a id="{item.anchor}"></a>' if item.anchor else ""
        lines.append("  " * depth + "- " + anchor + _md_inline(item.content))
        lines.extend(_md_items(item.children, depth + 1))
    return lines


def _md_cell(content: Inline) -> str:
    return _md_inline(content).replace("\n", " ") or " "


def _md_block(block: Block) -> str:
    if isinstance(block, Comment):
        return f"<!-- {block.text} -->"
    if isinstance(block, Heading):
        return f'{"#" * block.level} <a id="{block.anchor}"></a>{_md_inline(block.content)}'
    if isinstance(block, Paragraph):
        return _md_inline(block.content)
    if isinstance(block, Note):
        return "> " + _md_inline(block.content)
    if isinstance(block, BulletList):
        return "\n".join(_md_items(block.items, 0))
    if isinstance(block, Table):
        header = "| " + " | ".join(_md_text(h) for h in block.header) + " |"
        rule = "|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.header))) + "|"
        rows = ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in block.rows]
        lines = [header, rule, *rows]
        if block.caption:
            lines = [_md_text(block.caption), "", *lines]
        return "\n".join(lines)
    if isinstance(block, Figure):
        alt = " ".join(block.alt.split())
        return f"![{_md_text(alt)}]({block.src})\n\n{_md_inline(block.caption)}"
    raise TypeError(f"unknown block {block!r}")


def render_markdown(document: Document) -> str:
    return "\n\n".join(_md_block(block) for block in document.blocks) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

CSS = """
:root { --text: #222222; --muted: #595959; --line: #DDDDDD; --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #FFFFFF;
  font-family: "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.5; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 24px 48px; }
h1 { font-size: 2rem; margin: 0 0 12px; }
h2 { font-size: 1.45rem; margin: 40px 0 12px; padding-top: 8px; border-top: 3px solid var(--accent); }
h3 { font-size: 1.2rem; margin: 32px 0 8px; padding-bottom: 2px; border-bottom: 1px solid var(--line); }
h4 { font-size: 1.02rem; margin: 28px 0 4px; }
a { color: var(--accent); }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.88em; background: #F3F3F3;
  padding: 0 3px; border-radius: 3px; word-break: break-all; }
small { color: var(--muted); }
p.english { margin: 0 0 6px; }
ul { padding-left: 22px; }
li { margin: 2px 0; }
ul.toc { columns: 2 360px; }
ul.toc > li { break-inside: avoid; }
ul.facts > li { margin: 4px 0; }
.note { padding: 8px 12px; background: #FFF3C4; border-left: 4px solid #E69F00; }
strong.demo { background: #FFF3C4; padding: 0 4px; border-radius: 3px; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
caption { text-align: left; padding: 4px 0; font-size: 0.85rem; color: var(--muted); }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #888888; vertical-align: bottom; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0 16px; max-width: 760px; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.85rem; color: var(--muted); padding-top: 4px; }
@media print {
  body { font-size: 10.5px; }
  main { max-width: none; padding: 0; }
  h2 { break-before: page; }
  h4 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  ul.toc { columns: 2; }
}
""".strip()


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _html_span(span: Span) -> str:
    text = _esc(span.text)
    if span.style == "code":
        return f"<code>{text}</code>"
    if span.style == "strong":
        return f"<strong>{text}</strong>"
    if span.style == "demo":
        return f'<strong class="demo">{text}</strong>'
    if span.style == "em":
        return f"<em>{text}</em>"
    if span.style == "small":
        lang = f' lang="{_esc(span.lang)}"' if span.lang else ""
        return f"<small{lang}>{text}</small>"
    if span.style == "link":
        return f'<a href="{_esc(span.href or "")}">{text}</a>'
    return text


def _html_inline(content: Inline) -> str:
    return "".join(_html_span(span) for span in content)


def _html_items(items: Sequence[Item], css_class: str | None, depth: int) -> list[str]:
    indent = "  " * depth
    attribute = f' class="{css_class}"' if css_class else ""
    lines = [f"{indent}<ul{attribute}>"]
    for item in items:
        li = f'<li id="{_esc(item.anchor)}">' if item.anchor else "<li>"
        if item.children:
            lines.append(f"{indent}  {li}{_html_inline(item.content)}")
            lines.extend(_html_items(item.children, None, depth + 2))
            lines.append(f"{indent}  </li>")
        else:
            lines.append(f"{indent}  {li}{_html_inline(item.content)}</li>")
    lines.append(f"{indent}</ul>")
    return lines


def _html_block(block: Block) -> str:
    if isinstance(block, Comment):
        return f"<!-- {_esc(block.text).replace('--', '- -')} -->"
    if isinstance(block, Heading):
        level = block.level
        return f'<h{level} id="{_esc(block.anchor)}">{_html_inline(block.content)}</h{level}>'
    if isinstance(block, Paragraph):
        attribute = f' class="{block.css_class}"' if block.css_class else ""
        return f"<p{attribute}>{_html_inline(block.content)}</p>"
    if isinstance(block, Note):
        return f'<p class="note" role="note">{_html_inline(block.content)}</p>'
    if isinstance(block, BulletList):
        return "\n".join(_html_items(block.items, block.css_class, 0))
    if isinstance(block, Table):

        def cell(tag: str, position: int, content: str) -> str:
            css = ' class="num"' if position in block.numeric else ""
            return f"<{tag}{css}>{content}</{tag}>"

        lines = ['<div class="table-wrap">', "<table>"]
        if block.caption:
            lines.append(f"<caption>{_esc(block.caption)}</caption>")
        header = "".join(cell("th", i, _esc(h)) for i, h in enumerate(block.header))
        lines += ["<thead>", f"<tr>{header}</tr>", "</thead>", "<tbody>"]
        for row in block.rows:
            lines.append(
                "<tr>" + "".join(cell("td", i, _html_inline(c)) for i, c in enumerate(row)) + "</tr>"
            )
        lines += ["</tbody>", "</table>", "</div>"]
        return "\n".join(lines)
    if isinstance(block, Figure):
        return (
            f'<figure><img src="{_esc(block.src)}" alt="{_esc(block.alt)}" loading="lazy">'
            f"<figcaption>{_html_inline(block.caption)}</figcaption></figure>"
        )
    raise TypeError(f"unknown block {block!r}")


def render_html(document: Document) -> str:
    """One HTML file that loads nothing from elsewhere: inline CSS, no scripts or fonts; its only
    images are the maps in its own folder (``kart/``), which the handbook writes beside it."""
    comments = [b for b in document.blocks if isinstance(b, Comment)]
    body = [b for b in document.blocks if not isinstance(b, Comment)]
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{_esc(document.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(document.title)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    parts = [*head, *(_html_block(c) for c in comments), "<main>", *(_html_block(b) for b in body)]
    return "\n".join([*parts, "</main>", "</body>", "</html>"]) + "\n"
