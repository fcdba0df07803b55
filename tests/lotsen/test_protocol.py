"""lotsen.protocol: the payloads and directives between the actions and the gateway.

Payloads are read byte for byte by the trained model and the gateway, and arrive from
anyone who can type or forge a Telegram callback: every builder must round-trip, anything
malformed must parse as plain text (None), and every payload must fit Telegram's 64-byte
callback limit.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import yaml

from lotsen import protocol
from lotsen.languages import supported_codes
from lotsen.paths import DATA_DIR, ROOT
from lotsen.protocol import Directives, Payload, parse_directives, parse_payload

TELEGRAM_CALLBACK_BYTES = 64
OTHER_MUNICIPALITY = "other"  # the "another municipality" button (lotsen.municipalities.OTHER)
NONCE = secrets.token_urlsafe(16)  # 128 bits, the usual size of a one-time confirmation token


def _yaml(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def domain_intents() -> list[str]:
    return [next(iter(entry)) if isinstance(entry, dict) else str(entry) for entry in _yaml("domain.yml")["intents"]]


def municipality_ids() -> list[str]:
    return [str(entry["id"]) for entry in _yaml("data/municipalities.yml")] + [OTHER_MUNICIPALITY]


def interest_ids() -> list[str]:
    return [str(entry["id"]) for entry in _yaml("data/knowledge/interests.yml")["interests"]]


def test_the_data_the_size_test_reads_is_there() -> None:
    assert (DATA_DIR / "municipalities.yml").exists()
    assert {"ask_housing_queue", "ask_associations", "request_human"} <= set(domain_intents())
    assert len(municipality_ids()) > 1
    assert "language_cafe" in interest_ids()


# Byte-identical to what the trained model and the gateway were built with ----------------


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (protocol.intent_payload("ask_bankid"), "/ask_bankid"),
        (
            protocol.intent_payload("ask_housing_queue", **{protocol.KEY_MUNICIPALITY: "linkoping"}),
            '/ask_housing_queue{"municipality":"linkoping"}',
        ),
        (
            protocol.intent_payload("ask_associations", **{protocol.KEY_INTEREST: "language_cafe"}),
            '/ask_associations{"interest":"language_cafe"}',
        ),
        (protocol.request_human_intent(), "/request_human"),
        (protocol.language_choice("ar"), '/choose_language{"language":"ar"}'),
        (protocol.municipality_choice("upplands-vasby"), '/choose_municipality{"municipality":"upplands-vasby"}'),
        (protocol.human_request(), "/human"),
        (protocol.human_request("linkoping"), '/human{"municipality":"linkoping"}'),
        (protocol.forget_confirmation("abc"), '/forget_confirm{"nonce":"abc"}'),
        (protocol.payload("x", b="2", a="1"), '/x{"a":"1","b":"2"}'),  # sorted: one spelling per payload
    ],
)
def test_payloads_are_spelled_as_before(built: str, expected: str) -> None:
    assert built == expected


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (protocol.set_language("fa"), {"set_language": "fa"}),
        (protocol.set_municipality("bastad"), {"set_municipality": "bastad"}),
        (protocol.topic("ask_dental"), {"topic": "ask_dental"}),
        (protocol.unanswered(protocol.NOT_UNDERSTOOD), {"unanswered": "not_understood"}),
        (protocol.unanswered(protocol.OUT_OF_SCOPE), {"unanswered": "out_of_scope"}),
        (protocol.handoff_request(), {"handoff": "request"}),
    ],
)
def test_directives_are_spelled_as_before(built: dict[str, str], expected: dict[str, str]) -> None:
    assert built == expected


def test_an_unknown_unanswered_reason_is_a_bug() -> None:
    with pytest.raises(ValueError):
        protocol.unanswered("bored")


# Round trips ------------------------------------------------------------------------------


def built_payloads() -> list[tuple[str, Payload]]:
    """Every builder, each with the payload it should parse back as."""
    municipality, interest = "upplands-vasby", "language_cafe"
    return [
        (protocol.payload(protocol.START), Payload(protocol.START)),
        (protocol.intent_payload("ask_bankid"), Payload("ask_bankid")),
        (
            protocol.intent_payload("ask_sfi", **{protocol.KEY_MUNICIPALITY: municipality}),
            Payload("ask_sfi", {protocol.KEY_MUNICIPALITY: municipality}),
        ),
        (
            protocol.intent_payload("ask_associations", **{protocol.KEY_INTEREST: interest}),
            Payload("ask_associations", {protocol.KEY_INTEREST: interest}),
        ),
        (protocol.language_choice("ti"), Payload(protocol.CHOOSE_LANGUAGE, {protocol.KEY_LANGUAGE: "ti"})),
        (
            protocol.municipality_choice(municipality),
            Payload(protocol.CHOOSE_MUNICIPALITY, {protocol.KEY_MUNICIPALITY: municipality}),
        ),
        (protocol.human_request(), Payload(protocol.HUMAN)),
        (protocol.human_request(municipality), Payload(protocol.HUMAN, {protocol.KEY_MUNICIPALITY: municipality})),
        (protocol.forget_confirmation(NONCE), Payload(protocol.FORGET_CONFIRM, {protocol.KEY_NONCE: NONCE})),
        (protocol.request_human_intent(), Payload(protocol.REQUEST_HUMAN)),
    ]


@pytest.mark.parametrize(("text", "expected"), built_payloads())
def test_every_builder_parses_back(text: str, expected: Payload) -> None:
    parsed = parse_payload(text)
    assert parsed is not None and parsed == expected
    for key, value in expected.entities.items():
        assert parsed.get(key) == value
    assert protocol.is_payload_shaped(text)


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        (protocol.set_language("uk"), Directives(language="uk")),
        (protocol.set_municipality("skelleftea"), Directives(municipality="skelleftea")),
        (protocol.topic("ask_work"), Directives(topic="ask_work")),
        (protocol.unanswered(protocol.NOT_UNDERSTOOD), Directives(unanswered=protocol.NOT_UNDERSTOOD)),
        (protocol.unanswered(protocol.OUT_OF_SCOPE), Directives(unanswered=protocol.OUT_OF_SCOPE)),
        (protocol.handoff_request(), Directives(handoff=True)),
    ],
)
def test_every_directive_parses_back(directive: dict[str, str], expected: Directives) -> None:
    assert parse_directives([directive]) == expected


def test_not_understood_is_read_from_the_reason() -> None:
    assert parse_directives([protocol.unanswered(protocol.NOT_UNDERSTOOD)]).not_understood
    assert not parse_directives([protocol.unanswered(protocol.OUT_OF_SCOPE)]).not_understood


# Parsing what anyone can send -------------------------------------------------------------


@pytest.mark.parametrize("text", ["/start@lotsen_bot", "/start", " /start@Lotsen_Bot2 \n"])
def test_a_command_addressed_to_the_bot_is_the_command(text: str) -> None:
    assert parse_payload(text) == Payload(protocol.START)


@pytest.mark.parametrize(
    "text",
    [
        # not payload-shaped
        "hello",
        "start",
        "/",
        "/Start",
        "/1start",
        "/ask bankid",
        "/ask-bankid",
        "/start@",
        "/start@lotsen bot",
        # malformed entity JSON
        '/ask_bankid{"municipality":}',
        '/ask_bankid{"municipality":"linkoping"',
        "/ask_bankid{municipality:linkoping}",
        "/ask_bankid{'municipality':'linkoping'}",
        '/ask_bankid{"municipality":"linkoping"}}',
        '/ask_bankid{"municipality":"linkoping"} and more',
        "/ask_bankid" + '{"a":' * 100_000 + '"b"' + "}" * 100_000,  # deeper than the JSON parser goes
        # not a JSON object
        '/ask_bankid["linkoping"]',
        '/ask_bankid"linkoping"',
        "/ask_bankid{}[]",
        # values that are not strings
        '/choose_language{"language":[]}',
        '/ask_bankid{"municipality":{"a":1}}',
        '/ask_bankid{"municipality":1}',
        '/ask_bankid{"municipality":null}',
        '/ask_bankid{"municipality":true}',
        '/ask_bankid{"municipality":["linkoping"]}',
        # over-long values, too many keys
        '/ask_bankid{"municipality":"' + "a" * (protocol.MAX_ENTITY_CHARS + 1) + '"}',
        '/ask_bankid{"a":"1","b":"2","c":"3","d":"4","e":"5"}',
        # values with spaces, quotes or markup
        '/ask_bankid{"municipality":"upplands vasby"}',
        '/ask_bankid{"municipality":"a\\"b"}',
        '/ask_bankid{"municipality":"a\'b"}',
        '/ask_bankid{"municipality":"<b>"}',
        '/ask_bankid{"municipality":""}',
        '/ask_bankid{"municipality":"linköping"}',
        '/ask_bankid{"municipality":"a\\nb"}',
    ],
)
def test_anything_malformed_is_plain_text(text: str) -> None:
    assert parse_payload(text) is None


def test_the_longest_allowed_value_is_accepted() -> None:
    value = "a" * protocol.MAX_ENTITY_CHARS
    parsed = parse_payload(protocol.payload("ask_bankid", municipality=value))
    assert parsed is not None and parsed.get("municipality") == value


def test_an_empty_entity_object_is_a_bare_payload() -> None:
    assert parse_payload("/ask_bankid{}") == Payload("ask_bankid")


def test_parse_directives_ignores_wrong_types_and_keeps_valid_ones() -> None:
    customs: list[dict[str, Any]] = [
        {"set_language": "en"},
        {"set_language": ["sv"]},  # wrong type: the earlier valid one stands
        {"set_municipality": {"id": "linkoping"}},
        {"set_municipality": "linkoping"},
        {"set_municipality": 7},
        {"set_municipality": "not a place"},
        {"topic": "greet"},  # not a topic intent
        {"topic": "ask_dental"},
        {"topic": None},
        {"unanswered": "bored"},
        {"unanswered": True},
        {"handoff": True},
        {"handoff": "now"},
        {"text": "not a directive"},
        {},
    ]
    assert parse_directives(customs) == Directives(language="en", municipality="linkoping", topic="ask_dental")


def test_parse_directives_keeps_the_last_of_each_kind_and_reads_several_in_one_message() -> None:
    customs = [
        {**protocol.set_language("sv"), **protocol.handoff_request()},
        protocol.unanswered(protocol.OUT_OF_SCOPE),
        protocol.set_language("ru"),
        protocol.unanswered(protocol.NOT_UNDERSTOOD),
    ]
    assert parse_directives(customs) == Directives(language="ru", unanswered=protocol.NOT_UNDERSTOOD, handoff=True)


def test_no_directives() -> None:
    assert parse_directives([]) == Directives()


# Telegram's 64-byte callback limit ----------------------------------------------------------


def every_buildable_payload() -> list[str]:
    """Every payload the actions and the gateway can build from today's data."""
    intents, places, interests = domain_intents(), municipality_ids(), interest_ids()
    built = [protocol.payload(name) for name in intents]
    built += [protocol.intent_payload(i, **{protocol.KEY_MUNICIPALITY: m}) for i in intents for m in places]
    built += [protocol.intent_payload(i, **{protocol.KEY_INTEREST: k}) for i in intents for k in interests]
    built += [protocol.language_choice(code) for code in supported_codes()]
    built += [protocol.municipality_choice(m) for m in places]
    built += [protocol.human_request(m) for m in places]
    built += [protocol.human_request(), protocol.request_human_intent(), protocol.forget_confirmation(NONCE)]
    built += [
        protocol.payload(name)
        for name in (
            protocol.START,
            protocol.LANGUAGE,
            protocol.MUNICIPALITY,
            protocol.FORGET,
            protocol.HUMAN,
            protocol.LEAVE_MESSAGE,
            protocol.STOP_WAITING,
            protocol.CALLBACK,
            protocol.FEEDBACK,
        )
    ]
    return built


def test_every_payload_fits_a_telegram_callback() -> None:
    built = every_buildable_payload()
    assert len(built) > 300  # intents × municipalities × interests, not an empty list
    too_long = [p for p in built if len(p.encode("utf-8")) > TELEGRAM_CALLBACK_BYTES]
    assert too_long == []
    assert protocol.MAX_CALLBACK_BYTES == TELEGRAM_CALLBACK_BYTES


def test_every_payload_built_parses_back() -> None:
    for text in every_buildable_payload():
        assert parse_payload(text) is not None, text
