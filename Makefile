# The two commands the README promises: `make demo` and `make test`.
# Every target (except clean) first runs scripts/bootstrap.sh, which is quick when nothing changed.
# Extra arguments: make test ARGS="-k engine -x"   (passed to pytest; to the benchmarks for bench)

NOX := .venv/bin/nox
ARGS ?=

.PHONY: demo test lint typecheck bench clean bootstrap

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	$(NOX) -s demo -- $(ARGS)

test: bootstrap
	$(NOX) -s lint typecheck tests -- $(ARGS)

lint: bootstrap
	$(NOX) -s lint

typecheck: bootstrap
	$(NOX) -s typecheck

bench: bootstrap
	$(NOX) -s bench -- $(ARGS)

# Removes the virtualenv and tool caches; the DynamoDB Local download in the user cache is kept.
clean:
	rm -rf .venv .nox .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
