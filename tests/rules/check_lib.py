#!/usr/bin/env python3
"""Check a cloudlet library's static archive against the rules of DESIGN.md.

  check_lib.py --name dns --archive libcloudlet-dns.a [--allow zlib] [--allow sodium]

Rules checked, each violation reported as "archive(member): rule: symbol":
  * undefined symbols must be in the allowlist (string.h functions, and the
    zlib/libsodium functions for the libraries DESIGN.md allows them);
  * no mutable data: no symbol and no bytes in .data, .bss, .tdata, .tbss or
    common (read-only-after-relocation .data.rel.ro is allowed);
  * every exported symbol starts with the library's prefix.

  --expect SYMBOL  invert: succeed only if the check fails and names SYMBOL
                   (used to show the checker catches each kind of violation).
Exit status 0 when the archive keeps every rule (or, with --expect, when the
expected violation was found), 1 otherwise.
"""
import argparse
import re
import subprocess
import sys

# <string.h> functions that neither allocate nor touch global state.
STRING_H = {
    'memcpy', 'memmove', 'memset', 'memcmp', 'memchr', 'memrchr',
    'strlen', 'strnlen', 'strcmp', 'strncmp', 'strchr', 'strrchr',
}
# Symbols the compiler itself may reference in freestanding code.
COMPILER = {'__stack_chk_fail', '__stack_chk_guard', '_GLOBAL_OFFSET_TABLE_'}

ZLIB = re.compile(r'^(inflate\w*|deflate\w*|crc32\w*|adler32\w*|zlibVersion|zError)$')
SODIUM = re.compile(r'^(crypto_\w+|sodium_(memcmp|memzero|bin2base64|base642bin|bin2hex|hex2bin|increment|compare|is_zero|init)|randombytes_buf_deterministic)$')

# Why a forbidden name is forbidden, for the message.
FORBIDDEN = [
    (re.compile(r'^(malloc|calloc|realloc|free|reallocarray|aligned_alloc|posix_memalign|strdup|strndup|mmap|sbrk|brk)$'), 'allocation'),
    (re.compile(r'^(printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsnprintf|puts|fputs|putchar|fputc|fwrite|fread|fopen|fclose|fflush|perror|stdin|stdout|stderr|getc|fgets|__printf_chk|__fprintf_chk|__snprintf_chk|__sprintf_chk|__vsnprintf_chk)$'), 'stdio'),
    (re.compile(r'^(time|clock|clock_gettime|gettimeofday|localtime\w*|gmtime\w*|mktime|strftime|timegm)$'), 'clock or time'),
    (re.compile(r'^(rand|rand_r|random|srand|srandom|drand48|lrand48|getrandom|arc4random\w*|getentropy)$'), 'randomness'),
    (re.compile(r'^(errno|__errno_location|__errno)$'), 'errno'),
]

MUTABLE_SECTIONS = re.compile(r'^(\.data|\.bss|\.tdata|\.tbss|\.sdata|\.sbss)(\..*)?$|^\*COM\*$')
READONLY_AFTER_RELOC = re.compile(r'^\.data\.rel\.ro(\..*)?$')

PREFIX = {'dns': 'dns_', 'http': 'http_', 'tcpip': 'tcpip_',
          'gitstore': 'gitstore_', 'xenfront': 'xenfront_'}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def members_symbols(archive):
    """objdump -t per member: yields (member, name, section, flags)."""
    member = '?'
    for line in run(['objdump', '-t', archive]).splitlines():
        m = re.match(r'^(\S+):\s+file format', line)
        if m:
            member = m.group(1)
            continue
        # 0000000000000000 l     O .bss	0000000000000004 counter
        m = re.match(r'^[0-9a-f]+ (.{7}) (\S+)\s+[0-9a-f]+\s+(.*)$', line)
        if m:
            # objdump writes a non-default visibility before the name; a
            # hidden global still lands in a static link, so it is checked.
            name = re.sub(r'^\.(hidden|protected|internal) ', '', m.group(3).strip())
            yield member, name, m.group(2), m.group(1)


def section_sizes(archive):
    member = '?'
    for line in run(['objdump', '-h', archive]).splitlines():
        m = re.match(r'^(\S+):\s+file format', line)
        if m:
            member = m.group(1)
            continue
        m = re.match(r'^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s', line)
        if m:
            yield member, m.group(1), int(m.group(2), 16)


def check(name, archive, allow):
    errors = []
    prefix = PREFIX.get(name, name + '_')
    allowed = set(STRING_H) | COMPILER
    syms = list(members_symbols(archive))
    # A reference from one member to another member's global is internal.
    allowed |= {sym.split('@')[0] for _, sym, section, flags in syms
                if section != '*UND*' and (flags[0] in 'gu!' or flags[1] == 'w')}
    for member, sym, section, flags in syms:
        base = sym.split('@')[0]
        if section == '*UND*':
            if base in allowed:
                continue
            if 'zlib' in allow and ZLIB.match(base):
                continue
            if 'sodium' in allow and SODIUM.match(base):
                continue
            why = 'not in the allowlist'
            for rx, what in FORBIDDEN:
                if rx.match(base):
                    why = what
                    break
            errors.append(f'{archive}({member}): undefined symbol {base} ({why})')
            continue
        # flags: [0] l/g/u/!  [1] w(eak)  [5] d(ebug)  [6] F(unc)/f(ile)/O(bject)
        if MUTABLE_SECTIONS.match(section) and not READONLY_AFTER_RELOC.match(section):
            if sym and flags[5] != 'd' and flags[6] != 'f' and sym != section:
                errors.append(f'{archive}({member}): mutable data symbol {base} in {section}')
        is_global = flags[0] in 'gu!' or flags[1] == 'w'
        if is_global and section not in ('*UND*',) and not base.startswith(prefix):
            errors.append(f'{archive}({member}): exported symbol {base} lacks the prefix {prefix}')
    for member, sect, size in section_sizes(archive):
        if size and MUTABLE_SECTIONS.match(sect) and not READONLY_AFTER_RELOC.match(sect):
            errors.append(f'{archive}({member}): {size} bytes of mutable data in section {sect}')
    # One line per finding, in a stable order.
    return sorted(set(errors))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--archive', required=True)
    ap.add_argument('--allow', action='append', default=[])
    ap.add_argument('--expect')
    a = ap.parse_args()
    errors = check(a.name, a.archive, a.allow)
    for e in errors:
        print(e)
    if a.expect:
        hit = [e for e in errors if re.search(r'\b' + re.escape(a.expect) + r'\b', e)]
        if hit:
            print(f'ok: the checker caught {a.expect}')
            return 0
        print(f'FAIL: the checker did not report {a.expect}')
        return 1
    if errors:
        print(f'{len(errors)} rule violation(s) in {a.archive}')
        return 1
    print(f'ok: {a.archive} keeps the rules')
    return 0


if __name__ == '__main__':
    sys.exit(main())
