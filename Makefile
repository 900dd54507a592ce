# relay: `make` builds relay-outer.jar and relay-inner.jar; `make test`, `make test-integration`, `make demo`,
# `make bench`, `make certs`.
# Needs a JDK >= 21: JAVA_HOME when it is one, else the newest under /usr/lib/jvm.

SHELL := /bin/bash
JDK := $(shell scripts/find-jdk)
ifeq ($(JDK),)
$(error no JDK 21 or newer found: set JAVA_HOME to one, or install one under /usr/lib/jvm)
endif
export JAVA_HOME := $(JDK)
export PATH := $(JDK)/bin:$(PATH)
MVN ?= mvn -B -q -ntp

.PHONY: all jars test test-integration demo bench certs clean
all: jars

jars: relay-outer.jar relay-inner.jar

SOURCES := $(shell find relay-core relay-outer relay-inner -path '*/target' -prune -o -type f \( -name "*.java" -o -name "*.properties" -o -name pom.xml \) -print) pom.xml

relay-outer.jar relay-inner.jar &: $(SOURCES)
	$(MVN) -DskipTests package
	cp relay-outer/target/relay-outer-app.jar relay-outer.jar
	cp relay-inner/target/relay-inner-app.jar relay-inner.jar

# Not quiet: Surefire's "Tests run: ..." summaries are what CI reads.
test:
	mvn -B -ntp verify

# Tests against real outside programs (headless Chromium, HAProxy, Prometheus); scripts/install-test-deps installs
# them. Only the *IT classes run here.
test-integration:
	mvn -B -ntp -Pintegration verify -Dspotless.check.skip

demo: jars
	scripts/demo

bench: jars
	scripts/bench $(ARGS)

# A self-signed certificate for the outer (relay.crt, relay.key) and the fingerprint to pin on the inner.
# NAMES: the host names or addresses the inner dials, e.g. make certs NAMES="relay.example.com 203.0.113.5"
NAMES ?= localhost
certs: relay-outer.jar
	"$(JAVA_HOME)/bin/java" -jar relay-outer.jar --gen-cert $(foreach n,$(NAMES),--name $(n))

clean:
	$(MVN) clean
	rm -f relay-outer.jar relay-inner.jar
