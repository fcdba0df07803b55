"""Offices on the web (`/editor/offices`): contact details, hours per weekday with several
intervals, closed days and half days saved into the YAML (comments kept) and live in the
hot-reloaded bank; mistakes refused at the field in the console language with nothing
changed; "verified" clearing check-data's warning; the chat preview in users' languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from html import escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import KnowledgeRevision
from bot.editor import offices
from bot.staff.i18n import gettext
from lotsen.check_data import report
from lotsen.i18n import t
from lotsen.knowledge.editing import with_office
from lotsen.office_hours import STOCKHOLM, days_off, format_opening
from lotsen.paths import ROOT
from tests.helpers.forms import Form
from tests.helpers.staff import add_account, sign_in

PAGE = "/editor/offices/upplands-vasby/vasby-direkt"
SATURDAY_ELEVEN = datetime(2026, 11, 21, 11, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def editor(client: TestClient) -> TestClient:
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik", area="/editor") == 303
    return client


@pytest.fixture
def vasby(knowledge_dir: Path) -> Iterator[Path]:
    yield knowledge_dir / "offices" / "upplands-vasby.yml"


def revisions(client: TestClient) -> list[KnowledgeRevision]:
    async def load() -> list[KnowledgeRevision]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list((await session.scalars(select(KnowledgeRevision).order_by(KnowledgeRevision.id))).all())

    return client.portal.call(load)  # type: ignore[union-attr]


def office_in_file(path: Path, office_id: str = "vasby-direkt") -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(o for o in data["offices"] if o["id"] == office_id)


def field_error(html: str, name: str) -> str:
    """The refusal shown under a field (the field points to it with aria-describedby)."""
    assert f'aria-describedby="{name}-error"' in html, f"{name} is not marked invalid"
    found = re.search(rf'<p class="error" id="{re.escape(name)}-error"[^>]*>([^<]*)</p>', html)
    assert found, f"no error under {name}"
    return found.group(1)


def test_office_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    for url in ("/editor/offices", PAGE):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/editor/login")
    response = client.post(PAGE, data={"phone": "08-1"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara", area="/editor") == 303
    assert client.get("/editor/offices").status_code == 403
    assert client.post(PAGE, data={"phone": "08-1"}).status_code == 403


def test_offices_are_listed_with_their_unconfirmed_details(editor: TestClient) -> None:
    page = editor.get("/editor/offices").text
    assert f'href="{PAGE}"' in page
    assert 'href="/editor/offices/stockholm/welcome-house"' in page
    assert 'href="/editor/offices"' in editor.get("/editor").text  # in the editor's navigation


def test_saved_details_and_hours_change_the_yaml_keep_comments_and_reach_the_bank(
    editor: TestClient, vasby: Path
) -> None:
    before = vasby.read_text(encoding="utf-8")
    form = Form(editor.get(PAGE).text)
    form.set("phone", "08-590 970 01").set("address", "Dragonvägen 86")
    form.set("chat_hours.mon", "8-12, 13:00–16:30").set("visit_hours.sat", "10:00-12:00")
    form.fill_rows(("closed.date", "closed.note"), ("2026-12-28", "Personaldag"))
    form.fill_rows(("half_days.date", "half_days.closes"), ("2026-04-30", "12:00"))
    response = form.post(editor, PAGE, action="save", summary="New lunch closure")
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"{PAGE}?saved={revision.id}"  # type: ignore[attr-defined]
    assert (revision.actor, revision.path, revision.summary) == (
        "erik",
        "offices/upplands-vasby.yml",
        "New lunch closure",
    )

    after = vasby.read_text(encoding="utf-8")
    assert after.splitlines()[:4] == before.splitlines()[:4]  # the comments
    assert '      mon: ["08:00-12:00", "13:00-16:30"]' in after  # written like the lines around it
    assert '      tue: ["08:00-17:00"]' in after  # the untouched days stay as they were
    office = office_in_file(vasby)
    assert office["phone"] == "08-590 970 01" and office["address"] == "Dragonvägen 86"
    assert office["closed"] == [{"date": date(2026, 12, 28), "note": "Personaldag"}]
    assert office["half_days"] == [{"date": date(2026, 4, 30), "closes": "12:00"}]  # a string, not 720 minutes

    served = editor.app.state.store.get().handoff_office("upplands-vasby")  # type: ignore[attr-defined]
    assert served.chat_hours.mon == ["08:00-12:00", "13:00-16:30"]
    assert served.visit_hours.sat == ["10:00-12:00"]
    assert served.phone == "08-590 970 01"
    assert f'href="/editor/revisions/{revision.id}"' in editor.get(response.headers["location"]).text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "typed", "refusal"),
    [
        ("chat_hours.mon", "25:00-26:00", ("“%(value)s” is not a time of day (00:00–23:59).", {"value": "25:00"})),
        ("chat_hours.tue", "16:00-08:00", ("%(value)s closes before it opens.", {"value": "16:00-08:00"})),
        (
            "phone",
            "ring oss",
            ("“%(value)s” is not a phone number. Write it like 08-590 970 00.", {"value": "ring oss"}),
        ),
        ("other_languages", "qq", ("Unknown language code: %(codes)s.", {"codes": "qq"})),
    ],
)
def test_a_mistake_is_refused_at_its_field_in_swedish_and_changes_nothing(
    editor: TestClient, vasby: Path, field: str, typed: str, refusal: tuple[str, dict[str, str]]
) -> None:
    before = vasby.read_text(encoding="utf-8")
    response = Form(editor.get(PAGE).text).set(field, typed).post(editor, PAGE, action="save")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    message, params = refusal
    shown = field_error(html, "languages" if field == "other_languages" else field)
    assert shown == escape(gettext("sv", message, **params), quote=False)
    assert shown != escape(message % params, quote=False)  # in Swedish, not the English source
    assert f'value="{typed}"' in html  # what was typed is still in the form
    assert vasby.read_text(encoding="utf-8") == before
    assert revisions(editor) == []


def test_the_handoff_office_cannot_lose_its_chat_hours(editor: TestClient, vasby: Path) -> None:
    before = vasby.read_text(encoding="utf-8")
    form = Form(editor.get(PAGE).text)
    for day in ("mon", "tue", "wed", "thu", "fri"):
        form.set(f"chat_hours.{day}", "")
    response = form.post(editor, PAGE, action="save")
    assert response.status_code == 422  # type: ignore[attr-defined]
    field_error(response.text, "chat_hours")  # type: ignore[attr-defined]
    assert vasby.read_text(encoding="utf-8") == before


def test_verified_removes_the_field_from_unverified_and_the_check_data_warning(editor: TestClient, vasby: Path) -> None:
    def vasby_warnings() -> list[str]:
        found = report(vasby.parent.parent, ROOT / "domain.yml", date.today())
        return [w for w in found.warnings if w.startswith("office vasby-direkt:")]

    assert vasby_warnings() == [
        "office vasby-direkt: confirm phone, phone_hours, chat_hours, languages with the municipality"
    ]
    form = Form(editor.get(PAGE).text).tick("verified", "phone").tick("verified", "languages")
    assert form.post(editor, PAGE, action="save").status_code == 303  # type: ignore[attr-defined]
    assert office_in_file(vasby)["unverified"] == ["phone_hours", "chat_hours"]
    assert vasby_warnings() == ["office vasby-direkt: confirm phone_hours, chat_hours with the municipality"]

    form = Form(editor.get(PAGE).text).tick("verified", "phone_hours").tick("verified", "chat_hours")
    assert form.post(editor, PAGE, action="save").status_code == 303  # type: ignore[attr-defined]
    assert "unverified" not in office_in_file(vasby)
    assert vasby_warnings() == []
    assert not [box for box in Form(editor.get(PAGE).text).boxes if box[0] == "verified"]  # nothing left to tick


def test_preview_tells_open_now_or_next_opening_in_users_languages_without_saving(
    editor: TestClient, vasby: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offices, "now", lambda: SATURDAY_ELEVEN)
    before = vasby.read_text(encoding="utf-8")
    closed = editor.get(PAGE).text  # no Saturday hours: the next opening is Monday 08:00
    opens = datetime(2026, 11, 23, 8, 0, tzinfo=STOCKHOLM)
    for language in ("sv", "en", "ar", "ti"):
        expected = t(language, "Chat opens next: {when}", when=format_opening(opens, language))
        assert escape(expected, quote=False) in closed
    form = Form(closed).set("chat_hours.sat", "10:00-12:00")
    response = form.post(editor, PAGE, action="preview")
    assert response.status_code == 200  # type: ignore[attr-defined]
    for language in ("sv", "en", "ar", "ti"):
        assert escape(t(language, "Chat is open now."), quote=False) in response.text  # type: ignore[attr-defined]
    assert re.search(r'<td lang="ar" dir="rtl">', response.text)  # type: ignore[attr-defined]
    assert vasby.read_text(encoding="utf-8") == before
    assert revisions(editor) == []


def test_the_holidays_of_the_coming_30_days_are_listed(editor: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offices, "now", lambda: datetime(2026, 12, 10, 9, 0, tzinfo=STOCKHOLM))
    page = editor.get(PAGE).text
    for day in (date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1), date(2027, 1, 6)):
        assert days_off(day.year)[day] in page
    assert days_off(2027)[date(2027, 3, 26)] not in page  # långfredagen is further off


def test_a_stale_form_or_a_forged_one_changes_nothing(editor: TestClient, vasby: Path) -> None:
    before = vasby.read_text(encoding="utf-8")
    form = Form(editor.get(PAGE).text).set("phone", "08-590 970 02")
    assert form.set("fingerprint", "0" * 64).post(editor, PAGE, action="save").status_code == 409  # type: ignore[attr-defined]
    form = Form(editor.get(PAGE).text).set("phone", "08-590 970 02")
    assert form.set("csrf", "forged").post(editor, PAGE, action="save").status_code == 400  # type: ignore[attr-defined]
    assert vasby.read_text(encoding="utf-8") == before


def test_saving_an_unchanged_form_records_nothing(editor: TestClient, vasby: Path) -> None:
    before = vasby.read_text(encoding="utf-8")
    response = Form(editor.get(PAGE).text).post(editor, PAGE, action="save")
    assert response.headers["location"] == f"{PAGE}?unchanged=1"  # type: ignore[attr-defined]
    assert vasby.read_text(encoding="utf-8") == before and revisions(editor) == []


def test_unknown_office_or_municipality_is_404(editor: TestClient) -> None:
    assert editor.get("/editor/offices/upplands-vasby/nothing").status_code == 404
    assert editor.get("/editor/offices/malmo/vasby-direkt").status_code == 404


def test_removing_the_last_detail_of_an_office_keeps_the_comments_after_it() -> None:
    text = """# Stockholm's offices.
municipality: stockholm
review_by: 2027-02-23
offices:
  - id: contact-centre
    name: Kontaktcenter
    phone: 08-508 00 508  # the switchboard
    unverified: [phone]
  # Welcome House is a drop-in office.
  - id: welcome-house
    name: Welcome House
    address: Medborgarplatsen
    unverified: [address]  # from an old page
# Hours are checked every spring.
"""
    first = with_office(text, "contact-centre", {"unverified": [], "phone": "08-508 00 500"})
    assert first == text.replace("    unverified: [phone]\n", "").replace("508 00 508", "508 00 500")
    last = with_office(text, "welcome-house", {"unverified": []})
    assert last == text.replace("    unverified: [address]  # from an old page\n", "")
