# anomaly: real-time anomaly detection on streamed time series.
# `make` builds into build/; `make test` runs every test; `make bench` measures.

# The default goal, whatever rule comes first below
# (tests/packaging/build.sh).
.DEFAULT_GOAL := all

# The suite's version, printed by every command's --version.
VERSION	= 0.1
PREFIX	?= /usr/local
SHARED	?= ../shared
CC	?= cc

STD	= -std=c11 -D_DEFAULT_SOURCE -DANOMALY_VERSION='"$(VERSION)"'
WARN	= -Wall -Wextra -Werror
OPT	= -O2
SAN	= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
ALL_CFLAGS = $(STD) $(WARN) $(OPT) -MMD -MP -Ilib $(LIB_CFLAGS) $(CFLAGS)
SAN_CFLAGS = $(STD) $(WARN) $(SAN) -MMD -MP -Ilib $(LIB_CFLAGS) $(CFLAGS)

CMOCKA_CFLAGS != pkg-config --cflags cmocka 2>/dev/null || true
CMOCKA_LIBS   != pkg-config --libs cmocka 2>/dev/null || echo -lcmocka
# lib/ uses libwebsockets (LEJP, in proto) and sqlite3 (in store); a program
# links what it uses (anomaly-top and anomaly-export link lws for -u only).
LWS_CFLAGS    != pkg-config --cflags libwebsockets 2>/dev/null || true
LWS_LIBS      != pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets
SQLITE_CFLAGS != pkg-config --cflags sqlite3 2>/dev/null || true
SQLITE_LIBS   != pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3
CSV_LIBS      != pkg-config --libs libcsv 2>/dev/null || echo -lcsv
# anomalyd hashes client keys with SHA-256 (cmd/anomalyd/claim.c).
CRYPTO_CFLAGS != pkg-config --cflags libcrypto 2>/dev/null || true
CRYPTO_LIBS   != pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto
# anomalyd checks and reloads its TLS certificate, anomaly-send reads why a
# server certificate failed verification (cmd/anomalyd/tls.c, wire.c).
SSL_LIBS      != pkg-config --libs libssl 2>/dev/null || echo -lssl
LIB_CFLAGS = $(LWS_CFLAGS) $(SQLITE_CFLAGS)
LIB_LIBS   = $(LWS_LIBS) $(SQLITE_LIBS) $(CSV_LIBS) -lm

# Debian packages the build, the tests and the demo need (`make deps`).
# npm installs uPlot, the pages' chart (package-lock.json).  A package counts
# as present when it is installed or a command of its name is on the PATH
# (NodeSource's nodejs brings npm without Debian's npm package).
DEB_PACKAGES = gcc make pkg-config libc6-dev libcmocka-dev libsqlite3-dev \
	libwebsockets-dev libncurses-dev libcsv-dev libssl-dev python3 sqlite3 \
	nodejs npm
# Only the tests need these (`make start` does not install them): the
# browser tests drive headless Chromium from node (fonts for readable
# screenshots); anomaly-top's run in tmux; anomaly-export's test measures max
# RSS with GNU time; man pages are linted with mandoc; zsh and fish check
# their completions' syntax; the TLS test makes its certificates with openssl
# and fetches over https with curl; the cluster's test runs HAProxy.
DEB_TEST_PACKAGES = chromium fonts-liberation tmux time mandoc zsh fish \
	openssl curl haproxy
DEB_PACKAGES += $(DEB_TEST_PACKAGES)

LIB_SRC	= $(wildcard lib/*.c)
LIB_OBJ	= $(LIB_SRC:%.c=build/%.o)
LIB	= build/libanomaly.a
SAN_OBJ	= $(LIB_SRC:%.c=build/san/%.o)
SAN_LIB	= build/san/libanomaly.a

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/tests/%)
SAN_BIN  = $(UNIT_SRC:tests/unit/%.c=build/san/tests/%)
BENCH_BIN = build/bench/bench_detect
TOOL_BIN = build/tests/tools/vectors build/tests/tools/detcost
ANOMALYD_SRC = $(wildcard cmd/anomalyd/*.c)
ANOMALYD_OBJ = $(ANOMALYD_SRC:%.c=build/%.o)
ANOMALYD = build/anomalyd
WSRAW	= build/tests/tools/wsraw
SEND_SRC = $(wildcard cmd/anomaly-send/*.c)
SEND_OBJ = $(SEND_SRC:%.c=build/%.o)
SEND	= build/anomaly-send
# anomaly-top: curses only in crt.c; links the store, and lws for -u
# (lib/apiclient.c).
NCURSES_CFLAGS != pkg-config --cflags ncursesw 2>/dev/null || true
NCURSES_LIBS   != pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw
TOP_SRC	= $(wildcard cmd/anomaly-top/*.c)
TOP_OBJ	= $(TOP_SRC:%.c=build/%.o)
TOP_MODEL_OBJ = $(filter-out build/cmd/anomaly-top/main.o \
	build/cmd/anomaly-top/crt.o,$(TOP_OBJ))
TOP_SAN_OBJ = $(TOP_MODEL_OBJ:build/%=build/san/%)
TOP	= build/anomaly-top
TOP_UNIT = build/tests/test_top
TOP_SAN_UNIT = build/san/tests/test_top
# make bench, make soak: the load generator (also smoke-tested by make
# test) and the SQLite ceiling.
LOADGEN	= build/tests/tools/loadgen
# the hostile load of tests/reliability/siege.sh and make soak HOSTILE=1
SIEGE	= build/tests/tools/siege
WSCLIENT_OBJ = build/tests/tools/wsclient.o
BENCH_SQLITE = build/bench/bench_sqlite
SOAK_SECONDS ?= 300
SOAK_CLIENTS ?= 1000

# uPlot, the pages' chart, from the npm registry at the version locked in
# package-lock.json, copied under share/anomaly/www/uplot/ (not committed)
# so that anomalyd serves it from /static/uplot/ with no CDN.
UPLOT_DIR = share/anomaly/www/uplot
UPLOT	= $(UPLOT_DIR)/uPlot.iife.min.js $(UPLOT_DIR)/uPlot.min.css \
	  $(UPLOT_DIR)/LICENSE


node_modules/uplot/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UPLOT): node_modules/uplot/package.json
	@mkdir -p $(UPLOT_DIR)
	cp node_modules/uplot/$(if $(filter LICENSE,$(@F)),,dist/)$(@F) $@
# anomaly-export reads databases (sqlite3) and, with -u, anomalyd's JSON
# API through lws's HTTP client (lib/apiclient.c).
EXPORT_SRC = $(wildcard cmd/anomaly-export/*.c)
EXPORT_OBJ = $(EXPORT_SRC:%.c=build/%.o)
EXPORT	= build/anomaly-export

all: $(LIB) $(ANOMALYD) $(SEND) $(TOP) $(EXPORT) $(UPLOT)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(ANOMALYD): $(ANOMALYD_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -pthread -o $@ $(ANOMALYD_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) \
	    $(SSL_LIBS) $(CRYPTO_LIBS) -lm

# anomalyd commits on a writer thread (cmd/anomalyd/writer.c)
$(ANOMALYD_OBJ): ALL_CFLAGS += -pthread $(CRYPTO_CFLAGS)

$(SEND): $(SEND_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(SEND_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) $(CSV_LIBS) \
	    $(SSL_LIBS) $(CRYPTO_LIBS) -lm

$(TOP): $(TOP_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(TOP_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) \
	    $(NCURSES_LIBS) -lm

build/cmd/anomaly-top/crt.o: ALL_CFLAGS += $(NCURSES_CFLAGS)

# test_top links anomaly-top's model, views and queries (not crt.o).
$(TOP_UNIT): tests/unit/test_top.c $(TOP_MODEL_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icmd/anomaly-top $(CMOCKA_CFLAGS) -o $@ $< \
	    $(TOP_MODEL_OBJ) $(LIB) $(CMOCKA_LIBS) $(LWS_LIBS) $(SQLITE_LIBS) -lm

$(TOP_SAN_UNIT): tests/unit/test_top.c $(TOP_SAN_OBJ) $(SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Icmd/anomaly-top $(CMOCKA_CFLAGS) -o $@ $< \
	    $(TOP_SAN_OBJ) $(SAN_LIB) $(CMOCKA_LIBS) $(LWS_LIBS) $(SQLITE_LIBS) -lm

$(EXPORT): $(EXPORT_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(EXPORT_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) -lm

$(SAN_LIB): $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $(SAN_OBJ)

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(LIB) $(CMOCKA_LIBS) $(LIB_LIBS)

build/san/tests/%: tests/unit/%.c $(SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(SAN_LIB) $(CMOCKA_LIBS) $(LIB_LIBS)

build/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(CSV_LIBS) -lm

# loadgen and siege share a minimal WebSocket client: tests/tools/wsclient.h
$(LOADGEN) $(SIEGE): build/tests/tools/%: tests/tools/%.c $(WSCLIENT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(WSCLIENT_OBJ) $(LIB) $(CSV_LIBS) -lm

$(BENCH_SQLITE): tests/bench/bench_sqlite.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(SQLITE_LIBS) -lm

build/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) -lm

# The test scripts by what they test (tests/README.md says where the test
# of each behaviour lives).  The architecture: tests/layers.sh.
LAYER_TESTS = tests/layers.sh
# the test tools themselves, and the detectors against the golden vectors
TOOL_TESTS = tests/tools/wsraw-selftest.sh tests/tools/loadgen.sh
DETECTION_TESTS = tests/detection/refcheck.sh tests/detection/demo.sh
# anomalyd: the protocol, HTTP, where it listens, signals, its database
# file, client deletion, the writer thread's group commit, no stall of the
# loop by a locked database or a rebuild, large reads streamed, many
# clients paged, who may use a client id, the read token and the reload of
# the token files, TLS, alert delivery, three shards behind HAProxy
ANOMALYD_TESTS = tests/anomalyd/protocol.sh tests/anomalyd/http.sh \
	tests/anomalyd/listen.sh tests/anomalyd/signals.sh \
	tests/anomalyd/dbfile.sh tests/anomalyd/delete.sh \
	tests/anomalyd/writer.sh tests/anomalyd/stall.sh \
	tests/anomalyd/bigread.sh tests/anomalyd/manyclients.sh \
	tests/anomalyd/takeover.sh \
	tests/anomalyd/guard.sh tests/anomalyd/readtoken.sh \
	tests/anomalyd/tls.sh tests/anomalyd/alerts.sh \
	tests/anomalyd/cluster.sh tests/anomalyd/retain.sh \
	tests/anomalyd/prunerace.sh tests/anomalyd/streampace.sh
# the pages in headless Chromium
BROWSER_TESTS = tests/browser/pages.sh tests/browser/login.sh
# the client commands: anomaly-send, anomaly-top, anomaly-export
COMMAND_TESTS = tests/commands/send.sh tests/commands/top.sh \
	tests/commands/export.sh tests/commands/remote.sh
# the hostile-input matrix, crash, slow peers, disk full, the fuzz corpora
# replayed, the memory budget, long batches, and a hostile load beside
# well-behaved clients
RELIABILITY_TESTS = tests/reliability/hostile.sh tests/reliability/crash.sh \
	tests/reliability/fuzz-replay.sh tests/reliability/slowpeer.sh \
	tests/reliability/diskfull.sh tests/reliability/budget.sh \
	tests/reliability/longbatch.sh tests/reliability/siege.sh
# plain `make`, every example of README.md and the man pages run, the man
# pages, the demo of `make start`, completions, `make install`
PACKAGING_TESTS = tests/packaging/build.sh tests/packaging/examples.sh \
	tests/packaging/man.sh tests/packaging/start.sh \
	tests/packaging/completion.sh tests/packaging/install.sh
FUZZ_TARGETS = proto csvin timefmt
FUZZ_REPLAY = $(FUZZ_TARGETS:%=build/san/fuzz/replay_%)
# `make fuzz`: each target under libFuzzer for FUZZ_SECONDS, from a copy of
# its committed corpus in build/fuzz/corpus/ (new inputs stay there).
FUZZ_SECONDS ?= 60
FUZZ_CC = clang
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -g -O1 -Ilib $(LIB_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# Every test prints TAP; tests/run counts them and ends with the summary line.
# Unit tests, the same under ASan+UBSan, the architecture, the golden
# vectors checked by the exact reference, then the scripts group by group
# (tests/README.md).  Installs what is missing first, so that `make test`
# works on a fresh machine.
test: deps
	@$(MAKE) --no-print-directory check

check: $(UNIT_BIN) $(SAN_BIN) $(TOOL_BIN) $(ANOMALYD) $(WSRAW) $(SEND) \
	    $(TOP) $(EXPORT) $(UPLOT) $(LOADGEN) $(SIEGE) $(FUZZ_REPLAY)
	@ANOMALY_VECTORS=$(SHARED)/data/vectors \
	    ANOMALY_REFDETECT=$(SHARED)/tools/refdetect.py SHARED=$(SHARED) \
	    sh tests/run $(UNIT_BIN) $(SAN_BIN) $(LAYER_TESTS) \
	    $(DETECTION_TESTS) $(TOOL_TESTS) $(ANOMALYD_TESTS) \
	    $(COMMAND_TESTS) $(BROWSER_TESTS) $(RELIABILITY_TESTS) \
	    $(PACKAGING_TESTS)

# One table: the detector library, anomalyd end to end (tests/bench/bench.sh
# says what each row measures), memory, the SQLite ceiling.
bench: $(BENCH_BIN) $(BENCH_SQLITE) $(ANOMALYD) $(SEND) $(LOADGEN) $(WSRAW)
	@sh tests/bench/bench.sh

# SOAK_CLIENTS pipelining clients for SOAK_SECONDS against one anomalyd:
# verdicts, errors and anomalyd's RSS at the start and at the end.
# SOAK_SAN=1: against build/san/anomalyd (ASan+UBSan, leaks checked at exit).
# HOSTILE=1: with a hostile load beside (build/tests/tools/siege), whose
# figures the table adds (tests/bench/soak.sh).
SAN_ANOMALYD = build/san/anomalyd
$(SAN_ANOMALYD): $(ANOMALYD_SRC:%.c=build/san/%.o) $(SAN_LIB)
	$(CC) $(SAN_CFLAGS) -pthread -o $@ $(ANOMALYD_SRC:%.c=build/san/%.o) $(SAN_LIB) \
	    $(LWS_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) -lm
$(ANOMALYD_SRC:%.c=build/san/%.o): SAN_CFLAGS += -pthread

soak: $(ANOMALYD) $(LOADGEN) $(if $(SOAK_SAN),$(SAN_ANOMALYD)) \
	    $(if $(HOSTILE),$(SIEGE))
	@SOAK_SAN=$(SOAK_SAN) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CLIENTS=$(SOAK_CLIENTS) \
	    SOAK_HOSTILE=$(HOSTILE) sh tests/bench/soak.sh

build/san/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c \
	    $(SAN_LIB) $(LIB_LIBS)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LIB_LIBS)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus/$$t build/fuzz/crashes/$$t && \
	    cp tests/fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ && \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=4096 -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/crashes/$$t/ \
	        build/fuzz/corpus/$$t || exit 1; \
	done

# Detection quality: the default alert stream of every NAB file, scored by
# the project's scorer with a fixed threshold of 1 (SPEC §3.3): the scores
# per category, per fold (the files in sorted order, alternately to fold A
# and fold B: tune on one, check on the other) and on all files, then the
# scorer's summary line.  NAB_FLAGS passes other settings to the streaming
# tool (e.g. NAB_FLAGS='-p holdoff=50 -a vote'), to measure them.
NAB_DATA = $(SHARED)/data/nab
NAB_FLAGS =
nab: build/tests/tools/nab
	@rm -rf build/nab
	@build/tests/tools/nab $(NAB_FLAGS) build/nab $(NAB_DATA)/data/*/*.csv
	@python3 tests/tools/nab-report.py $(SHARED)/tools/nab-score \
	    $(NAB_DATA) build/nab

# Installs the missing Debian packages (as root), else says what to run.
deps:
	@missing=; for p in $(DEB_PACKAGES); do \
	    command -v $$p >/dev/null 2>&1 || \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	        grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all packages installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
	    echo "deps: missing Debian packages:$$missing" >&2; \
	    echo "deps: run: sudo apt-get install -y$$missing" >&2; exit 1; \
	fi

# `make install PREFIX=/usr/local DESTDIR=`: the programs of
# INSTALL_PROGRAMS, the man pages of man/, completions for bash, zsh and
# fish, and the whole share/anomaly tree (web assets, demo data, the
# systemd unit with the paths written in).  `make uninstall` removes them.
INSTALL_PROGRAMS = $(ANOMALYD) $(SEND) $(TOP) $(EXPORT)
INSTALL_MAN	= $(wildcard man/*.[1-8])
COMPLETION_CMDS	= anomalyd anomaly-send anomaly-top anomaly-export
BINDIR	= $(PREFIX)/bin
MANDIR	= $(PREFIX)/share/man
DATADIR	= $(PREFIX)/share/anomaly
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
INSTALL	?= install

install: $(INSTALL_PROGRAMS) $(UPLOT)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 0755 $(INSTALL_PROGRAMS) $(DESTDIR)$(BINDIR)
	@set -e; for p in $(INSTALL_MAN); do \
	    s=$${p##*.}; $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s; \
	    echo "$(INSTALL) -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s"; \
	    $(INSTALL) -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s; done
	@set -e; for c in $(COMPLETION_CMDS); do \
	    $(INSTALL) -m 0644 completions/anomaly.bash \
	        $(DESTDIR)$(BASHCOMPDIR)/$$c; \
	    $(INSTALL) -m 0644 completions/$$c.fish $(DESTDIR)$(FISHCOMPDIR); \
	done
	$(INSTALL) -m 0644 completions/_anomaly $(DESTDIR)$(ZSHCOMPDIR)
	@set -e; cd share/anomaly && find . -type f | while read -r f; do \
	    m=0644; [ -x "$$f" ] && m=0755; \
	    $(INSTALL) -D -m $$m "$$f" "$(DESTDIR)$(DATADIR)/$$f"; done
	sed -i -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	    $(DESTDIR)$(DATADIR)/anomalyd.service \
	    $(DESTDIR)$(DATADIR)/demo/start.sh \
	    $(DESTDIR)$(DATADIR)/cluster/anomalyd@.service \
	    $(DESTDIR)$(DATADIR)/cluster/cluster.sh

uninstall:
	@set -e; for p in $(INSTALL_PROGRAMS); do \
	    rm -f $(DESTDIR)$(BINDIR)/$${p##*/}; done
	@set -e; for p in $(INSTALL_MAN); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/}; done
	@set -e; for c in $(COMPLETION_CMDS); do \
	    rm -f $(DESTDIR)$(BASHCOMPDIR)/$$c $(DESTDIR)$(FISHCOMPDIR)/$$c.fish; \
	done
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_anomaly
	rm -rf $(DESTDIR)$(DATADIR)

# The live demo: anomalyd on :$(DEMO_PORT) with ./demo.db (kept from one run
# to the next; DEMO_FRESH=1 deletes it first) and three clients streaming
# share/anomaly/demo/ for ever; Ctrl-C stops all of it.  `set -m` (when
# there is a terminal) runs the script as a job of its own that has the
# terminal: Ctrl-C reaches it (and its clients and server), not make, which
# would end with "*** Interrupt".
DEMO_PORT ?= 3000
DEMO_DB	?= ./demo.db
DEMO_FRESH ?=
start: DEB_TEST_PACKAGES =
start: deps
	@$(MAKE) --no-print-directory -j2 all
	@if (: </dev/tty) 2>/dev/null; then set -m; fi; \
	    PORT=$(DEMO_PORT) DB=$(DEMO_DB) FRESH=$(DEMO_FRESH) \
	    BIN=$(CURDIR)/build sh share/anomaly/demo/start.sh

# A cluster: SHARDS anomalyd shards behind HAProxy on :$(CLUSTER_PORT)
# (original protocol on the port after it, HAProxy's stats on the next),
# their databases under $(CLUSTER_STATE); Ctrl-C stops all of it
# (share/anomaly/cluster/cluster.sh).
SHARDS	?= 3
CLUSTER_PORT ?= 3000
CLUSTER_STATE ?= ./cluster
cluster: DEB_TEST_PACKAGES = haproxy
cluster: deps
	@$(MAKE) --no-print-directory -j2 all
	@if (: </dev/tty) 2>/dev/null; then set -m; fi; \
	    SHARDS=$(SHARDS) PORT=$(CLUSTER_PORT) STATE=$(CLUSTER_STATE) \
	    BIN=$(CURDIR)/build sh share/anomaly/cluster/cluster.sh

clean:
	rm -rf build $(UPLOT_DIR)


.PHONY: all test check bench soak nab deps start cluster clean install \
	uninstall fuzz

-include $(LIB_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(SAN_BIN:=.d) \
	$(TOOL_BIN:=.d) $(BENCH_BIN:=.d) $(ANOMALYD_OBJ:.o=.d) $(WSRAW:=.d) \
	$(SEND_OBJ:.o=.d) $(EXPORT_OBJ:.o=.d) $(LOADGEN:=.d) $(SIEGE:=.d) \
	$(WSCLIENT_OBJ:.o=.d) \
	$(BENCH_SQLITE:=.d)
-include $(TOP_OBJ:.o=.d) $(TOP_SAN_OBJ:.o=.d)
