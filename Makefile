# anomaly: real-time anomaly detection on streamed time series.
# `make` builds into build/; `make test` runs every test; `make bench` measures.

PREFIX	?= /usr/local
SHARED	?= ../shared
CC	?= cc

STD	= -std=c11 -D_DEFAULT_SOURCE
WARN	= -Wall -Wextra -Werror
OPT	= -O2
SAN	= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
ALL_CFLAGS = $(STD) $(WARN) $(OPT) -MMD -MP -Ilib $(LIB_CFLAGS) $(CFLAGS)
SAN_CFLAGS = $(STD) $(WARN) $(SAN) -MMD -MP -Ilib $(LIB_CFLAGS) $(CFLAGS)

CMOCKA_CFLAGS != pkg-config --cflags cmocka 2>/dev/null || true
CMOCKA_LIBS   != pkg-config --libs cmocka 2>/dev/null || echo -lcmocka
# lib/ uses libwebsockets (LEJP, in proto) and sqlite3 (in store); a program
# links what it uses (anomaly-top and anomaly-export never link lws).
LWS_CFLAGS    != pkg-config --cflags libwebsockets 2>/dev/null || true
LWS_LIBS      != pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets
SQLITE_CFLAGS != pkg-config --cflags sqlite3 2>/dev/null || true
SQLITE_LIBS   != pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3
CSV_LIBS      != pkg-config --libs libcsv 2>/dev/null || echo -lcsv
LIB_CFLAGS = $(LWS_CFLAGS) $(SQLITE_CFLAGS)
LIB_LIBS   = $(LWS_LIBS) $(SQLITE_LIBS) $(CSV_LIBS) -lm

# Debian packages the build, the tests and the demo need (`make deps`).
DEB_PACKAGES = gcc make pkg-config libc6-dev libcmocka-dev libsqlite3-dev \
	libwebsockets-dev libncurses-dev libcsv-dev python3 sqlite3

LIB_SRC	= $(wildcard lib/*.c)
LIB_OBJ	= $(LIB_SRC:%.c=build/%.o)
LIB	= build/libanomaly.a
SAN_OBJ	= $(LIB_SRC:%.c=build/san/%.o)
SAN_LIB	= build/san/libanomaly.a

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/tests/%)
SAN_BIN  = $(UNIT_SRC:tests/unit/%.c=build/san/tests/%)
BENCH_BIN = build/bench/bench_detect
TOOL_BIN = build/tests/tools/vectors
ANOMALYD_SRC = $(wildcard cmd/anomalyd/*.c)
ANOMALYD_OBJ = $(ANOMALYD_SRC:%.c=build/%.o)
ANOMALYD = build/anomalyd
WSRAW	= build/tests/tools/wsraw
SEND_SRC = $(wildcard cmd/anomaly-send/*.c)
SEND_OBJ = $(SEND_SRC:%.c=build/%.o)
SEND	= build/anomaly-send

all: $(LIB) $(ANOMALYD) $(SEND)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(ANOMALYD): $(ANOMALYD_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(ANOMALYD_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) -lm

$(SEND): $(SEND_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(SEND_OBJ) $(LIB) $(LWS_LIBS) $(SQLITE_LIBS) $(CSV_LIBS) -lm

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

build/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) -lm

# Reliability (issue 8): the hostile-input matrix, crash, slow peers, disk
# full, and the fuzz corpora replayed.
REL_TESTS = tests/hostile.sh tests/crash.sh tests/fuzz-replay.sh \
	tests/slowpeer.sh tests/diskfull.sh
FUZZ_TARGETS = proto csvin timefmt
FUZZ_REPLAY = $(FUZZ_TARGETS:%=build/san/fuzz/replay_%)
# `make fuzz`: each target under libFuzzer for FUZZ_SECONDS, from a copy of
# its committed corpus in build/fuzz/corpus/ (new inputs stay there).
FUZZ_SECONDS ?= 60
FUZZ_CC = clang
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -g -O1 -Ilib $(LIB_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# Every test prints TAP; tests/run counts them and ends with the summary line.
# Unit tests, the same under ASan+UBSan, then the golden vectors checked by
# the exact reference.  Installs what is missing first, so that `make test`
# works on a fresh machine.
test: deps
	@$(MAKE) --no-print-directory check

check: $(UNIT_BIN) $(SAN_BIN) $(TOOL_BIN) $(ANOMALYD) $(WSRAW) $(SEND) \
	    $(FUZZ_REPLAY)
	@ANOMALY_VECTORS=$(SHARED)/data/vectors \
	    ANOMALY_REFDETECT=$(SHARED)/tools/refdetect.py \
	    sh tests/run $(UNIT_BIN) $(SAN_BIN) tests/refcheck.sh \
	    tests/wsraw-selftest.sh tests/anomalyd.sh tests/http.sh tests/send.sh \
	    $(REL_TESTS)

bench: $(BENCH_BIN) $(ANOMALYD) $(SEND)
	@$(BENCH_BIN)
	@sh tests/bench/bench_e2e.sh

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
# the project's scorer with a fixed threshold of 1 (SPEC §3.3).
NAB_DATA = $(SHARED)/data/nab
nab: build/tests/tools/nab
	@rm -rf build/nab
	@build/tests/tools/nab build/nab $(NAB_DATA)/data/*/*.csv
	@$(SHARED)/tools/nab-score --data $(NAB_DATA)/data \
	    --windows $(NAB_DATA)/labels/combined_windows.json \
	    --threshold 1 --profile all build/nab

# Installs the missing Debian packages (as root), else says what to run.
deps:
	@missing=; for p in $(DEB_PACKAGES); do \
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

start: deps
	@echo "make start: the demo (demo data, anomalyd and three streaming clients) is not"
	@echo "make start: built yet; run the server by hand as README.md shows."

clean:
	rm -rf build

.PHONY: all test check bench nab deps start clean fuzz

-include $(LIB_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(SAN_BIN:=.d) \
	$(TOOL_BIN:=.d) $(BENCH_BIN:=.d) $(ANOMALYD_OBJ:.o=.d) $(WSRAW:=.d) \
	$(SEND_OBJ:.o=.d)
