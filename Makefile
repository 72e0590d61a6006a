# jpegtutor: the two main commands are `make book` and `make test` (see README.md).
# Every target creates .venv first when it is missing.

PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
JPEGTUTOR  := $(VENV)/bin/jpegtutor
# The CPU build of torch 2.13.0 (a local wheel on the project machines; on other machines pip
# fetches torch 2.13.0 from PyPI). Override, e.g. `make test TORCH_SPEC="torch==2.13.0" PIP_FLAGS=`.
TORCH_SPEC ?= torch==2.13.0
PIP_FLAGS  ?= --quiet --disable-pip-version-check
# Notebook validation runs every chapter listed as ready in book.toml.
NBVAL_FLAGS ?= --nbval --nbval-current-env --nbval-cell-timeout=900
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k lpips -x"`.
PYTEST_ARGS ?=
# Tests and notebooks never download anything and never draw progress bars.
TEST_ENV   := JPEGTUTOR_OFFLINE=1 JPEGTUTOR_PROGRESS=0 JPEGTUTOR_PROFILE=quick JPEGTUTOR_DEVICE=cpu PYTHONHASHSEED=0

.PHONY: book test notebooks lab sync check clean help

help:
	@echo "make book       build the website into _build/html (Jupyter Book 1, offline)"
	@echo "make test       unit tests + nbval on every chapter in book.toml + website check"
	@echo "make notebooks  re-execute the chapters on CPU (quick profile) and write their .ipynb"
	@echo "make lab        open JupyterLab on the chapters"
	@echo "make sync       regenerate _toc.yml and _config.yml from book.toml"
	@echo "make clean      remove _build and caches (keeps .venv)"

$(PY):
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-book: pyproject.toml | $(PY)
	@echo "==> installing $(TORCH_SPEC) and jpegtutor[book] into $(VENV)"
	$(PY) -m pip install $(PIP_FLAGS) "$(TORCH_SPEC)"
	$(PY) -m pip install $(PIP_FLAGS) -e ".[book]"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	@echo "==> installing $(TORCH_SPEC) and jpegtutor[dev] into $(VENV)"
	$(PY) -m pip install $(PIP_FLAGS) "$(TORCH_SPEC)"
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	@touch $@ $(VENV)/.installed-book

book: $(VENV)/.installed-book
	@echo "==> building the website from the committed notebook outputs"
	$(JPEGTUTOR) book build
	@echo "==> open _build/html/index.html"

test: $(VENV)/.installed-dev
	@echo "==> checking the book against book.toml"
	$(JPEGTUTOR) book check
	@echo "==> running the unit tests and nbval on: $$($(JPEGTUTOR) book list | tr '\n' ' ')"
	@$(TEST_ENV) $(PY) -m pytest tests $$($(JPEGTUTOR) book list) $(NBVAL_FLAGS) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "WARNING: pytest collected no tests (exit 5), e.g. a PYTEST_ARGS filter that matches nothing"; exit 0; fi; \
	exit $$rc

notebooks: $(VENV)/.installed-book
	@echo "==> executing every ready chapter on CPU in the quick profile"
	$(JPEGTUTOR) book sync
	$(JPEGTUTOR) book execute $(CHAPTERS)
	$(JPEGTUTOR) book check

lab: $(VENV)/.installed-book
	$(PY) -m pip install $(PIP_FLAGS) -e ".[lab]"
	$(VENV)/bin/jupyter lab chapters

sync: $(VENV)/.installed-book
	$(JPEGTUTOR) book sync

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
