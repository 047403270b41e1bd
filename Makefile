# fcgipmd - a privilege-separated FastCGI process manager.
#
#   make            build the three programs in place
#   make check      install missing packages (as root), build, run the tests
#   make demo       install missing packages, run fcgipmd behind nginx
#   make install    PREFIX=/usr/local DESTDIR=
#   make O=build-asan SAN=1   a sanitizer build in its own tree

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/fcgipmd
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

O	?= .
CC	?= cc
YACC	?= byacc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	  -Wstrict-prototypes -Wpointer-arith
PKGS	= libbsd-overlay libevent libcap libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined -DFCGIPM_SANITIZE
LDFLAGS	+= -fsanitize=address,undefined
endif

ALL_CFLAGS = $(CFLAGS) $(WARN) $(PKG_CFLAGS) -Icommon -Ifcgipmd \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -D_GNU_SOURCE -MMD -MP

COMMON_SRCS = common/log.c common/logfwd.c common/imsg.c common/imsgev.c \
	common/fcgi.c common/util.c common/status.c
FCGIPMD_SRCS = fcgipmd/fcgipmd.c fcgipmd/config.c fcgipmd/parse.c \
	fcgipmd/listen.c fcgipmd/spawn.c fcgipmd/app.c fcgipmd/connector.c \
	fcgipmd/control.c fcgipmd/reload.c fcgipmd/stats.c fcgipmd/dynamic.c \
	fcgipmd/wrapper.c
CONNECTOR_SRCS = fcgi-connector/connector.c fcgi-connector/sandbox.c \
	fcgi-connector/front.c fcgi-connector/back.c fcgi-connector/route.c \
	fcgi-connector/pool.c fcgi-connector/conn.c fcgi-connector/status.c \
	fcgi-connector/dynamic.c
FCGIPMCTL_SRCS = fcgipmctl/fcgipmctl.c

COMMON_OBJS = $(COMMON_SRCS:%.c=$(O)/%.o)
FCGIPMD_OBJS = $(FCGIPMD_SRCS:%.c=$(O)/%.o)
CONNECTOR_OBJS = $(CONNECTOR_SRCS:%.c=$(O)/%.o)
FCGIPMCTL_OBJS = $(FCGIPMCTL_SRCS:%.c=$(O)/%.o)

PROGS	= $(O)/fcgipmd/fcgipmd $(O)/fcgi-connector/fcgi-connector \
	  $(O)/fcgipmctl/fcgipmctl

UNIT_TESTS = $(O)/regress/unit/test_imsg $(O)/regress/unit/test_fcgi \
	$(O)/regress/unit/test_status $(O)/regress/unit/test_wrapper \
	$(O)/regress/unit/test_log
TEST_APPS = $(O)/regress/apps/echo
TEST_TOOLS = $(O)/regress/tools/fcgi-client $(O)/regress/tools/idleconns \
	$(O)/regress/tools/fcgi-script $(O)/regress/tools/fake-connector

.PHONY: all regress check demo deps install clean bench
.SUFFIXES:

all: $(PROGS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

fcgipmd/parse.c: fcgipmd/parse.y
	$(YACC) -o $@ $<

$(O)/fcgipmd/parse.o: fcgipmd/parse.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-unused-but-set-variable -c -o $@ $<

$(O)/fcgipmd/fcgipmd: $(FCGIPMD_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/fcgi-connector/fcgi-connector: $(CONNECTOR_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/fcgipmctl/fcgipmctl: $(FCGIPMCTL_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# --- tests

regress: $(PROGS) $(UNIT_TESTS) $(TEST_APPS) $(TEST_TOOLS)

$(O)/regress/unit/test_%: regress/unit/test_%.c $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

$(O)/regress/unit/test_wrapper: regress/unit/test_wrapper.c \
    $(O)/fcgipmd/wrapper.o $(O)/fcgipmd/config.o $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

$(O)/regress/apps/%: regress/apps/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< -lfcgi

$(O)/regress/tools/%: regress/tools/%.c $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

# deps first, in its own make run: pkg-config above needs the packages.
check: deps
	$(MAKE) regress
	$(MAKE) O=build-asan SAN=1 all
	sh regress/run

demo: deps
	$(MAKE) all regress
	sh etc/demo.sh

bench: deps
	$(MAKE) all regress
	sh regress/bench.sh

deps:
	@sh etc/deps.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(O)/fcgipmd/fcgipmd $(DESTDIR)$(SBINDIR)/fcgipmd
	install -m 0755 $(O)/fcgipmctl/fcgipmctl $(DESTDIR)$(SBINDIR)/fcgipmctl
	install -m 0755 $(O)/fcgi-connector/fcgi-connector \
	    $(DESTDIR)$(LIBEXECDIR)/fcgi-connector
	install -m 0644 fcgipmd/fcgipmd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 fcgipmd/fcgipmd.8 fcgi-connector/fcgi-connector.8 \
	    fcgipmctl/fcgipmctl.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -f $(COMMON_OBJS) $(FCGIPMD_OBJS) $(CONNECTOR_OBJS) \
	    $(FCGIPMCTL_OBJS) $(PROGS)
	rm -f $(UNIT_TESTS) $(TEST_APPS) $(TEST_TOOLS) fcgipmd/parse.c
	find . -name '*.d' -not -path './.git/*' -delete
	rm -rf build-asan regress/work

-include $(shell find $(O) -type f -name '*.d' -not -path '*/.git/*' 2>/dev/null)
