"""Every action in domain.yml is implemented, and every implemented action is in the domain."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import ActionExecutor

from lotsen.paths import ROOT


def test_domain_actions_and_registered_actions_agree() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) == set(executor.actions)


def test_every_topic_rule_intent_is_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((ROOT / "data" / "rules" / "topics.yml").read_text(encoding="utf-8"))
    intents = {step["intent"] for rule in rules["rules"] for step in rule["steps"] if "intent" in step}
    assert intents <= set(domain["intents"])
