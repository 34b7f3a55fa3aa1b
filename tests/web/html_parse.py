"""A tiny HTML reader for the page tests (standard library only): elements with their
attributes, the text inside each element that has an id, and label targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Element", "Page", "parse"]

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    """One start tag: its name, attributes, and the ids of the elements around it."""

    tag: str
    attrs: dict[str, str]
    parents: list[str] = field(default_factory=list)  # "tag#id" or "tag.class" of ancestors

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)


@dataclass
class Page:
    """Everything :func:`parse` found."""

    elements: list[Element]
    text_by_id: dict[str, str]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return any(e.get("id") == element_id for e in self.elements)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def text(self, element_id: str) -> str:
        return " ".join(self.text_by_id.get(element_id, "").split())

    @property
    def label_targets(self) -> set[str]:
        return {e.attrs["for"] for e in self.all("label") if "for" in e.attrs}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[tuple[str, str | None, str]] = []  # (tag, id, description)
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v if v is not None else "") for k, v in attrs}
        parents = [d for _, _, d in self.stack]
        self.elements.append(Element(tag, values, parents))
        if tag in _VOID:
            return
        element_id = values.get("id")
        description = f"{tag}#{element_id}" if element_id else f"{tag}.{values.get('class', '')}"
        self.stack.append((tag, element_id, description))
        if element_id:
            self.text.setdefault(element_id, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append(Element(tag, values, [d for _, _, d in self.stack]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for _, element_id, _ in self.stack:
            if element_id:
                self.text[element_id].append(data)


def parse(html: str) -> Page:
    """Read ``html``."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Page(reader.elements, {k: "".join(v) for k, v in reader.text.items()})
