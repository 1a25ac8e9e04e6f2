# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: demo test install system-packages translations extract-messages bench lint format clean

demo: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (set PORT to change it; Ctrl+C stops)"
	PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install translations lint system-packages
	$(BIN)/pytest $(PYTEST_ARGS)

# Chromium for the browser tests, from Debian's packages when missing.
system-packages:
	bash .ci/install-system-packages

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Compiled catalogues (.mo) are build products, not kept in git.
translations: install
	$(BIN)/pybabel compile --statistics -d app/translations

# For developers: pull new strings out of the code and merge them into the catalogues.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --sort-output --project catf .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

# Performance measurements (figures printed; a missed target exits non-zero).
bench: install
	$(BIN)/python benchmarks/bench_library.py
	$(BIN)/python benchmarks/bench_autosave.py --database $(BENCH_DATABASE)
	$(BIN)/python benchmarks/bench_sections.py --database $(BENCH_DATABASE)
	$(BIN)/python benchmarks/bench_scoring.py
	$(BIN)/python benchmarks/bench_exports.py

BENCH_DATABASE ?= both

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
