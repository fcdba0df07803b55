"""A server-rendered form as a browser would submit it: read from the page's HTML (text,
hidden, date and other inputs with their values, ticked checkboxes, textareas, the
selected option), changed the way a person would, then posted. Tests of the editor's
office and association pages change one field and send everything else unchanged."""

from __future__ import annotations

from html.parser import HTMLParser

from starlette.testclient import TestClient


class _Fields(HTMLParser):
    def __init__(self, action: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False  # in the wanted <form>
        self.in_main = False  # the header's sign-out form is not the page's form
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.boxes: set[tuple[str, str]] = set()  # every checkbox (name, value), ticked or not
        self._textarea: str | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "main":
            self.in_main = True
        if tag == "form" and not self.done:
            self.inside = a.get("action", "") == self.action if self.action is not None else self.in_main
            return
        if not self.inside or "name" not in a:
            if tag == "option" and self.inside and self._select is not None and "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "checkbox":
                self.boxes.add((name, a.get("value", "on")))
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = name, []
        elif tag == "select":
            self._select = name

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


class Form:
    """The fields of the page's first form in <main> (or the one posting to `action`)."""

    def __init__(self, html: str, action: str | None = None) -> None:
        parser = _Fields(action)
        parser.feed(html)
        assert parser.fields, "no form on the page"
        self.fields = parser.fields
        self.boxes = parser.boxes

    def get(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    def set(self, name: str, value: str) -> Form:
        """Type into a field (the first of that name)."""
        for i, (key, _) in enumerate(self.fields):
            if key == name:
                self.fields[i] = (name, value)
                return self
        raise AssertionError(f"no field {name!r}")

    def tick(self, name: str, value: str) -> Form:
        assert (name, value) in self.boxes, f"no checkbox {name}={value}"
        if (name, value) not in self.fields:
            self.fields.append((name, value))
        return self

    def untick(self, name: str, value: str) -> Form:
        self.fields = [field for field in self.fields if field != (name, value)]
        return self

    def fill_rows(self, names: tuple[str, str], values: tuple[str, str]) -> Form:
        """Fill the first empty row of a table of inputs (e.g. a closed date and its note)."""
        first, second = names
        positions = [i for i, (key, _) in enumerate(self.fields) if key == first]
        seconds = [i for i, (key, _) in enumerate(self.fields) if key == second]
        for row, position in enumerate(positions):
            if not self.fields[position][1] and not self.fields[seconds[row]][1]:
                self.fields[position] = (first, values[0])
                self.fields[seconds[row]] = (second, values[1])
                return self
        raise AssertionError(f"no empty {first} row")

    def post(self, client: TestClient, url: str, **extra: str) -> object:
        data: dict[str, list[str]] = {}
        for key, value in [*self.fields, *extra.items()]:
            data.setdefault(key, []).append(value)
        return client.post(url, data=data, follow_redirects=False)
