# Top-level build: GNU make, no autotools.
#
#   make              build every program (-Werror)
#   make check        build, then run unit and integration tests (prints "N passed, N failed")
#   make run          build, then start a local instance and show it working
#   make sanitize     rebuild with -fsanitize=address,undefined and run the tests
#   make fuzz         build libFuzzer targets (clang) and run each for FUZZ_TIME seconds
#   make install      install under DESTDIR/PREFIX
#
# Objects live beside their sources; the compiler flags are recorded in .build-flags so that
# switching SANITIZE=1 on or off rebuilds everything.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
DESTDIR    ?=
VERSION    := 0.1.0

CC       ?= gcc
PKGS     := nanomsg jansson libsodium munge libconfig libmicrohttpd libsystemd libpq
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
HARDEN   := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
OPT      ?= -O2 -g
CFLAGS   ?=
CFLAGS   += -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -I. -MMD -MP \
            -DFX_PREFIX='"$(PREFIX)"' -DFX_LIBEXECDIR='"$(LIBEXECDIR)"' \
            -DFX_SYSCONFDIR='"$(SYSCONFDIR)"' -DFX_VERSION='"$(VERSION)"' \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  ?=
LDFLAGS  += -pie -Wl,-z,relro,-z,now
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread -lm

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
OPT     := -O1 -g
endif

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

LIBFX      := services/libfx.a
LIBFX_SRC  := $(wildcard services/*.c)
LIBFX_OBJ  := $(LIBFX_SRC:.c=.o)

DAEMON_DIRS := overlayd kvsd resourced jobd schedd execd
DAEMONS     := $(foreach d,$(DAEMON_DIRS),$(d)/flux-$(d))

CLI_SRC  := $(wildcard cli/flux-*.c)
CLI_CMDS := cli/flux $(CLI_SRC:.c=)

UNIT_SRC   := $(wildcard test/unit/check_*.c)
UNIT_TESTS := $(UNIT_SRC:.c=)
HELPER_SRC := $(wildcard test/helpers/*.c)
HELPERS    := $(HELPER_SRC:.c=) $(patsubst %.c,%.so,$(wildcard test/plugins/*.c))
BENCH_SRC  := $(wildcard test/bench/bench_*.c)
BENCHES    := $(BENCH_SRC:.c=)

# flux-imp is not a daemon (flux start does not launch it); flux-imp-test is its build-tree
# variant (doc/imp.md), never installed.
IMP_SRC      := $(wildcard imp/*.c)
IMP_PROGRAMS := imp/flux-imp imp/flux-imp-test
IMP_CFLAGS   := -fstack-clash-protection
IMP_LDFLAGS  := -Wl,-z,noexecstack

# The job shell: run by the IMP as the job's user (not a daemon: no service, no loop).
JOB_SHELL := shell/flux-shell

PROGRAMS := $(DAEMONS) $(CLI_CMDS) $(IMP_PROGRAMS) $(JOB_SHELL)
# Job-manager plugins shipped with jobd (jobd/plugins/NAME.c -> NAME.so, doc/jobtap.md).
JOBD_PLUGINS := $(patsubst %.c,%.so,$(wildcard jobd/plugins/*.c))

.SECONDARY:
.PHONY: all check run sanitize fuzz install clean deps unit integration bench format cppcheck FORCE
all: $(PROGRAMS) $(JOBD_PLUGINS)

.build-flags: FORCE
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@

V ?= 0
ifeq ($(V),0)
Q := @
QCC = @echo "  CC    $@";
QLD = @echo "  LD    $@";
endif

%.o: %.c .build-flags
	$(QCC)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBFX): $(LIBFX_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# A daemon is every object in its folder linked with the services library.
define daemon_rule
$(1)/flux-$(1): $(patsubst %.c,%.o,$(wildcard $(1)/*.c)) $(LIBFX)
	$$(QLD)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(DAEMON_DIRS),$(eval $(call daemon_rule,$(d))))

imp/%.o: imp/%.c .build-flags
	$(QCC)$(CC) $(CFLAGS) $(IMP_CFLAGS) -c -o $@ $<
imp/%.test.o: imp/%.c .build-flags
	$(QCC)$(CC) $(CFLAGS) $(IMP_CFLAGS) -DFX_IMP_TEST -c -o $@ $<
imp/flux-imp: $(IMP_SRC:.c=.o) $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) $(IMP_LDFLAGS) -o $@ $^ $(LDLIBS)
imp/flux-imp-test: $(IMP_SRC:.c=.test.o) $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) $(IMP_LDFLAGS) -o $@ $^ $(LDLIBS)

$(JOB_SHELL): $(patsubst %.c,%.o,$(wildcard shell/*.c)) $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

cli/flux: cli/flux.o $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# A command in several files: cli/flux-NAME.c with cli/NAME-*.c (flux-kvs with kvs-*.c).
.SECONDEXPANSION:
cli/flux-%: cli/flux-%.o $$(subst .c,.o,$$(wildcard cli/$$*-*.c)) $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# flux run shares flux submit's option parsing and submission.
cli/flux-run: cli/flux-run.o $(subst .c,.o,$(wildcard cli/submit-*.c)) $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the services library (never a daemon's main.c); a test of a daemon module
# names the objects it needs in UNIT_EXTRA_<name>.
# The peer library is tested against the real router, in-process.
OVERLAYD_LIB_OBJ := $(filter-out overlayd/main.o,$(patsubst %.c,%.o,$(wildcard overlayd/*.c)))
UNIT_EXTRA_peer  := $(OVERLAYD_LIB_OBJ)
test/unit/check_peer: $(OVERLAYD_LIB_OBJ)
UNIT_EXTRA_kvs   := kvsd/schema.o kvsd/key.o
test/unit/check_kvs: kvsd/schema.o kvsd/key.o
UNIT_EXTRA_sched := schedd/pool.o schedd/skiplist.o schedd/queue.o
test/unit/check_sched: schedd/pool.o schedd/skiplist.o schedd/queue.o

test/unit/check_%: test/unit/check_%.o $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $< $(UNIT_EXTRA_$*) $(LIBFX) $(CHECK_LIBS) $(LDLIBS)

# Job-manager plugins call back into jobd (services/jobtap.h): jobd exports those symbols.
jobd/flux-jobd: private LDFLAGS += -Wl,--export-dynamic-symbol=fx_jobtap_*
jobd/plugins/%.so: jobd/plugins/%.c .build-flags
	$(QLD)$(CC) $(filter-out -fPIE,$(CFLAGS)) -fPIC -shared -o $@ $< -ljansson
test/plugins/%.so: test/plugins/%.c .build-flags
	$(QLD)$(CC) $(filter-out -fPIE,$(CFLAGS)) -fPIC -shared -o $@ $< -ljansson

test/helpers/%: test/helpers/%.o $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test/bench/bench_%: test/bench/bench_%.o $(LIBFX)
	$(QLD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@deploy/install-deps.sh

unit: deps $(UNIT_TESTS)
	@test/run-tests.sh unit

integration: deps $(PROGRAMS) $(JOBD_PLUGINS) $(HELPERS)
	@test/run-tests.sh integration

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(HELPERS)
	@test/run-tests.sh all

sanitize:
	@$(MAKE) --no-print-directory SANITIZE=1 check

run: deps
	@$(MAKE) --no-print-directory all
	@deploy/run-demo.sh

bench: $(PROGRAMS) $(BENCHES)
	@test/bench/run.sh

# libFuzzer targets: the services library is rebuilt with clang and the fuzzer
# instrumentation into test/fuzz/obj/.
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer-no-link,address,undefined \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC    := $(wildcard test/fuzz/fuzz_*.c)
FUZZERS     := $(FUZZ_SRC:.c=)
FUZZ_OBJ    := $(patsubst services/%.c,test/fuzz/obj/%.o,$(LIBFX_SRC))
FUZZ_TIME   ?= 10

test/fuzz/obj/%.o: services/%.c
	@mkdir -p test/fuzz/obj
	$(QCC)$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

# A fuzzer of a daemon's module names its objects, rebuilt the same way.
test/fuzz/obj/kvsd-%.o: kvsd/%.c
	@mkdir -p test/fuzz/obj
	$(QCC)$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
test/fuzz/fuzz_kvs_op: test/fuzz/obj/kvsd-txn.o test/fuzz/obj/kvsd-key.o

test/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(QLD)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: deps $(FUZZERS)
	@test/fuzz/run.sh $(FUZZ_TIME) $(FUZZERS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/flux/cmd
	install -m 0755 cli/flux $(DESTDIR)$(BINDIR)/flux
	install -m 0755 $(filter-out cli/flux,$(CLI_CMDS)) $(DESTDIR)$(LIBEXECDIR)/flux/cmd/
	install -m 0755 $(DAEMONS) $(JOB_SHELL) $(DESTDIR)$(LIBEXECDIR)/flux/
	install -m 4755 imp/flux-imp $(DESTDIR)$(LIBEXECDIR)/flux/flux-imp
	install -d $(DESTDIR)$(LIBEXECDIR)/flux/plugins
	install -m 0644 $(JOBD_PLUGINS) $(DESTDIR)$(LIBEXECDIR)/flux/plugins/

format:
	clang-format -i $(wildcard services/*.[ch] */*.[ch] test/*/*.c jobd/plugins/*.c)

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --std=c11 \
	    --suppress=missingIncludeSystem --include=test/cppcheck-macros.h -I. \
	    services $(DAEMON_DIRS) imp shell cli test/helpers

clean:
	rm -f $(PROGRAMS) $(JOBD_PLUGINS) $(UNIT_TESTS) $(HELPERS) $(BENCHES) $(FUZZERS) $(LIBFX) .build-flags
	find . -name '*.o' -delete -o -name '*.d' -delete
	rm -rf test/fuzz/obj

-include $(wildcard services/*.d */*.d test/*/*.d jobd/plugins/*.d)
