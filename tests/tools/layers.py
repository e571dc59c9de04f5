#!/usr/bin/env python3
"""layers.py: checks one rule of the suite's architecture on a source tree.

usage: layers.py ROOT RULE

ROOT is the top of a tree (its cmd/ and lib/ are read); RULE is one of
sqlite, curses, lib-cmd, detectors, cycles.  Exit status 0 when the rule
holds, 1 when it is broken, with one line per offence on stdout
(FILE:LINE: what).  tests/layers.sh runs each rule as one TAP line, and
again on copies of the tree with a violation put in, so that each rule is
seen to fail.  Comments and string literals are not code: they are blanked
before a name is looked for (an #include's name is read before that).

The rules, in the words of tests/README.md:
  sqlite     no name starting with sqlite3_ and no #include <sqlite3.h> in
             cmd/ or lib/ except in lib/store.c (tests may use SQLite).
  curses     no #include of <curses.h>, <ncurses.h>, <ncursesw/...>,
             <term.h>, <panel.h>, <menu.h>, <form.h>, no call of a curses
             function (CURSES_CALLS, unless the file defines a function of
             that name: anomaly-top's model.c has its own move()) and no
             curses name (CURSES_NAMES) in cmd/ or lib/ except in
             cmd/anomaly-top/crt.c.
  lib-cmd    a quoted #include in lib/ names a file of lib/ (so neither
             "../cmd/..." nor a header that only exists in cmd/), and an
             angle #include in lib/ names no header of cmd/.
  detectors  the detectors, every file of lib/ matching DETECTORS, and the
             pure helpers they may use (PURE: dd.h, le.h, rng.h, errmsg)
             include only the C headers of PURE_STD_HEADERS and quoted
             headers of that same set (so never clock.h); of <stdio.h>
             they use snprintf and vsnprintf only (error messages into a
             buffer): no name of IO_NAMES is called and stdin, stdout,
             stderr and FILE do not appear; no clock is read (CLOCK_NAMES).
  cycles     no include cycle among the modules of lib/, nor among those
             of one command (cmd/NAME/).  Module X is X.c and X.h; X
             depends on Y when X.c or X.h includes "Y.h" of the same
             directory, or includes a header that declares a function
             defined in Y.c (a shared header stands for the files it
             declares).  lib/ headers included by a command are a layer
             below it and make no edge.  A cycle is printed as
             dir: a -> b -> a, then why each edge exists.
"""
import glob
import os
import re
import sys

CURSES_HEADERS = re.compile(
    r'^(n?curses\.h|ncursesw?/.*|term\.h|panel\.h|menu\.h|form\.h)$')
CURSES_CALLS = set("""
initscr endwin newterm set_term delscreen newwin delwin subwin derwin
refresh wrefresh wnoutrefresh doupdate getch wgetch ungetch mvgetch
addstr addnstr waddstr waddnstr mvaddstr mvaddnstr mvwaddstr mvwaddnstr
addch waddch mvaddch mvwaddch printw wprintw mvprintw mvwprintw vw_printw
move wmove clear wclear erase werase clrtoeol wclrtoeol clrtobot wclrtobot
attron attroff attrset wattron wattroff wattrset attr_on attr_off
color_set start_color init_pair init_color has_colors use_default_colors
curs_set cbreak nocbreak raw noraw echo noecho nl nonl keypad nodelay
halfdelay timeout wtimeout intrflush clearok leaveok scrollok getmaxyx
getyx getbegyx mousemask getmouse set_escdelay resizeterm beep flash box
border hline vline whline wvline mvhline mvvline
""".split())
CURSES_NAMES = re.compile(
    r'\b(stdscr|curscr|LINES|COLS|WINDOW|SCREEN|MEVENT|COLOR_PAIR|'
    r'KEY_[A-Z0-9_]+|ACS_[A-Z0-9_]+|A_(NORMAL|BOLD|DIM|REVERSE|UNDERLINE|'
    r'BLINK|STANDOUT|ITALIC|INVIS)|COLOR_(BLACK|RED|GREEN|YELLOW|BLUE|'
    r'MAGENTA|CYAN|WHITE)|BUTTON[1-5]_[A-Z_]+)\b')

DETECTORS = ['detect*', 'deque*', 'iforest*', 'moves*', 'novelty*', 'ordstat*',
             'settings*']
PURE = ['dd.h', 'le.h', 'rng.h', 'errmsg.c', 'errmsg.h']
PURE_STD_HEADERS = set("""
assert.h ctype.h errno.h float.h inttypes.h limits.h math.h stdalign.h
stdarg.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h
""".split())
IO_NAMES = set("""
printf fprintf dprintf vprintf vfprintf vdprintf sprintf vsprintf asprintf
vasprintf scanf fscanf sscanf vscanf vfscanf vsscanf puts fputs putc fputc
putchar getc fgetc getchar gets fgets ungetc getline getdelim fopen fdopen
freopen fmemopen open_memstream fclose fflush fread fwrite fseek fseeko
ftell ftello rewind fgetpos fsetpos feof ferror clearerr perror remove
rename tmpfile tmpnam setbuf setvbuf fileno popen pclose
open openat creat close read write pread pwrite readv writev lseek fsync
fdatasync ftruncate truncate unlink mkdir rmdir stat fstat lstat access
opendir readdir closedir mmap munmap ioctl fcntl dup dup2 pipe
socket connect bind listen accept accept4 send recv sendto recvfrom
sendmsg recvmsg shutdown getaddrinfo poll select epoll_wait syslog system
getenv
""".split())
IO_OBJECTS = re.compile(r'\b(stdin|stdout|stderr|FILE)\b')
CLOCK_NAMES = set("""
time clock clock_gettime clock_getres gettimeofday timespec_get ftime
times localtime localtime_r mktime tzset clock_wall_ms clock_mono_us
clock_mono_ms clock_mono_s
""".split())

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
CALL = re.compile(r'(?<![\w.])(?<!->)([A-Za-z_]\w*)[ \t\n]*\(')
KEYWORDS = set("""
if for while switch return sizeof _Alignof alignof _Generic do else case
int char short long unsigned signed float double void bool _Bool struct
union enum const volatile static extern inline register restrict typedef
""".split())


def strip(text, strings=True):
    """The text with comments (and string and character literals when
    strings is true) replaced by spaces, newlines kept: same lines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(text[i:j] if not strings else
                       c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def no_preprocessor(code):
    """The code with its preprocessor lines (and their continuations)
    blanked."""
    lines = code.split('\n')
    cont = False
    for k, line in enumerate(lines):
        if cont or line.lstrip().startswith('#'):
            cont = line.rstrip().endswith('\\')
            lines[k] = ''
    return '\n'.join(lines)


def lineno(text, pos):
    return text.count('\n', 0, pos) + 1


class Source:
    """One file: its path relative to the root, its includes as (kind,
    name, line), and its code with comments and strings blanked."""

    def __init__(self, root, rel):
        self.rel = rel
        with open(os.path.join(root, rel), encoding='utf-8',
                  errors='replace') as f:
            raw = f.read()
        nocomment = strip(raw, strings=False)
        self.includes = [(m.group(1), m.group(2), lineno(nocomment, m.start()))
                         for m in INCLUDE.finditer(nocomment)]
        self.code = strip(raw)

    def calls(self):
        """(name, line) of every NAME( not after . or -> (in macros too)."""
        return [(m.group(1), lineno(self.code, m.start()))
                for m in CALL.finditer(self.code)]

    def names(self, pattern):
        """(text, line) of every match of PATTERN (in macros too)."""
        return [(m.group(0), lineno(self.code, m.start()))
                for m in pattern.finditer(self.code)]


def sources(root, pattern):
    return [Source(root, os.path.relpath(p, root))
            for p in sorted(glob.glob(os.path.join(root, pattern)))]


def tree(root):
    return sources(root, 'cmd/*/*.[ch]') + sources(root, 'lib/*.[ch]')


def rule_sqlite(root):
    bad = []
    for s in tree(root):
        if s.rel == 'lib/store.c':
            continue
        for kind, name, line in s.includes:
            if name == 'sqlite3.h':
                bad.append('%s:%d: #include <sqlite3.h>' % (s.rel, line))
        for m in re.finditer(r'\bsqlite3_\w*', s.code):
            bad.append('%s:%d: %s' % (s.rel, lineno(s.code, m.start()),
                                      m.group(0)))
    return bad


def rule_curses(root):
    bad = []
    for s in tree(root):
        if s.rel == 'cmd/anomaly-top/crt.c':
            continue
        for kind, name, line in s.includes:
            if CURSES_HEADERS.match(name):
                bad.append('%s:%d: #include %s' % (s.rel, line, name))
        own = {function_name(d) for d, end in top_level(s.code) if end == '{'}
        for name, line in s.calls():
            if name in CURSES_CALLS and name not in own:
                bad.append('%s:%d: curses call %s()' % (s.rel, line, name))
        for name, line in s.names(CURSES_NAMES):
            bad.append('%s:%d: curses name %s' % (s.rel, line, name))
    return bad


def rule_lib_cmd(root):
    cmd_headers = {os.path.basename(p)
                   for p in glob.glob(os.path.join(root, 'cmd/*/*.h'))}
    bad = []
    for s in sources(root, 'lib/*.[ch]'):
        for kind, name, line in s.includes:
            inlib = os.path.isfile(os.path.join(root, 'lib', name))
            if kind == '"' and ('..' in name.split('/') or 'cmd/' in name or
                                not inlib):
                bad.append('%s:%d: #include "%s" is not a file of lib/' %
                           (s.rel, line, name))
            elif kind == '<' and name in cmd_headers and not inlib:
                bad.append('%s:%d: #include <%s> is a header of cmd/' %
                           (s.rel, line, name))
    return bad


def rule_detectors(root):
    files = set()
    for g in DETECTORS + PURE:
        files |= {os.path.basename(p)
                  for p in glob.glob(os.path.join(root, 'lib', g))
                  if p.endswith(('.c', '.h'))}
    bad = []
    for f in sorted(files):
        s = Source(root, 'lib/' + f)
        for kind, name, line in s.includes:
            if kind == '<' and name not in PURE_STD_HEADERS:
                bad.append('%s:%d: #include <%s>' % (s.rel, line, name))
            elif kind == '"' and name not in files:
                bad.append('%s:%d: #include "%s" (not a detector nor a pure '
                           'helper)' % (s.rel, line, name))
        for name, line in s.calls():
            if name in IO_NAMES:
                bad.append('%s:%d: I/O: %s()' % (s.rel, line, name))
            elif name in CLOCK_NAMES:
                bad.append('%s:%d: clock: %s()' % (s.rel, line, name))
        for name, line in s.names(IO_OBJECTS):
            bad.append('%s:%d: I/O: %s' % (s.rel, line, name))
    return bad


def no_attributes(code):
    """The code with every __attribute__((...)) blanked."""
    while True:
        m = re.search(r'__attribute__\s*\(', code)
        if not m:
            return code
        depth, j = 0, m.end() - 1
        while j < len(code):
            depth += {'(': 1, ')': -1}.get(code[j], 0)
            j += 1
            if depth == 0:
                break
        code = code[:m.start()] + re.sub(r'[^\n]', ' ',
                                         code[m.start():j]) + code[j:]


def top_level(code):
    """(text, end) of each top-level declaration of the code: text is
    what comes before a ';' or '{' at brace depth 0, end that character."""
    code = no_attributes(no_preprocessor(code))
    out, depth, start = [], 0, 0
    for i, c in enumerate(code):
        if c == '{':
            if depth == 0:
                out.append((code[start:i], '{'))
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                start = i + 1
        elif c == ';' and depth == 0:
            out.append((code[start:i], ';'))
            start = i + 1
    return out


def function_name(decl):
    """The name of the function DECL declares or defines, else None."""
    for m in re.finditer(r'([A-Za-z_]\w*)\s*\(', decl):
        if m.group(1) in KEYWORDS:
            continue
        if '=' in decl[:m.start()]:
            return None
        depth, j = 0, m.end() - 1
        while j < len(decl):
            depth += {'(': 1, ')': -1}.get(decl[j], 0)
            j += 1
            if depth == 0:
                break
        return m.group(1) if decl[j:].strip() == '' else None
    return None


def graph(root, d, files):
    """The module graph of directory D: {X: {Y: [why...]}}."""
    here = {s.rel.split('/')[-1]: s for s in files}
    module = lambda f: f.rsplit('.', 1)[0]
    defined = {}
    for f, s in here.items():
        if f.endswith('.c'):
            for decl, end in top_level(s.code):
                name = function_name(decl)
                if end == '{' and name and not re.search(r'\bstatic\b',
                                                         decl):
                    defined[name] = module(f)
    declares = {}
    for f, s in here.items():
        if f.endswith('.h'):
            declares[f] = {}
            for decl, end in top_level(s.code):
                name = function_name(decl)
                if end == ';' and name in defined:
                    declares[f].setdefault(defined[name], name)
    edges = {}
    for f, s in here.items():
        x = module(f)
        for kind, name, line in s.includes:
            if kind != '"' or name not in here:
                continue
            to = {module(name): None}
            to.update({y: fn for y, fn in declares.get(name, {}).items()
                       if y != module(name)})
            for y, fn in to.items():
                if y == x:
                    continue
                why = '%s/%s:%d includes "%s"' % (d, f, line, name)
                if fn:
                    why += ", which declares %s.c's %s()" % (y, fn)
                edges.setdefault(x, {}).setdefault(y, []).append(why)
    return edges


def cycles_of(edges):
    """One cycle (a list of modules, first repeated last) per strongly
    connected component of more than one module (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(set(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    out = []
    for comp in comps:
        start = min(comp)
        path, seen = [start], {start}
        while True:
            nxt = sorted(w for w in edges[path[-1]] if w in comp)
            back = [w for w in nxt if w == start]
            if back and len(path) > 1:
                out.append(path + [start])
                break
            fresh = [w for w in nxt if w not in seen]
            w = fresh[0] if fresh else nxt[0]
            if w in seen:
                out.append(path[path.index(w):] + [w])
                break
            path.append(w)
            seen.add(w)
    return out


def rule_cycles(root):
    bad = []
    dirs = ['lib'] + sorted(os.path.relpath(p, root) for p in
                            glob.glob(os.path.join(root, 'cmd/*/')))
    for d in dirs:
        files = sources(root, d + '/*.[ch]')
        edges = graph(root, d, files)
        for cyc in cycles_of(edges):
            bad.append('%s: %s' % (d, ' -> '.join(cyc)))
            for a, b in zip(cyc, cyc[1:]):
                for why in edges[a][b][:2]:
                    bad.append('  %s -> %s: %s' % (a, b, why))
    return bad


RULES = {'sqlite': rule_sqlite, 'curses': rule_curses,
         'lib-cmd': rule_lib_cmd, 'detectors': rule_detectors,
         'cycles': rule_cycles}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in RULES:
        sys.stderr.write('usage: layers.py ROOT %s\n' % '|'.join(RULES))
        return 2
    bad = RULES[sys.argv[2]](sys.argv[1])
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
