# OneTrip: every target installs what it needs itself (Debian 12, as root or with sudo).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := mosquitto mosquitto-clients postgresql xvfb xauth fonts-noto-cjk espeak-ng sox chromium libmtdev1 x11-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench deps apt venv clean

demo: deps
	$(VENV)/bin/onetrip demo $(DEMO_ARGS)

test: deps
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: deps
	$(VENV)/bin/python -m bench

deps: apt $(VENV)/.installed

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[terminal,kiosk,center,test]'
	touch $@

clean:
	rm -rf $(VENV) var build *.egg-info
