#!/usr/bin/env python3
"""Check that a cloudlet shared library exports its API and nothing else.

  check_exports.py --so libcloudlet-dns.so --header libdns/include/cloudlet/dns.h [--expect SYMBOL]

Every symbol the shared library defines and exports (nm -D --defined-only)
must be named in the public header: what the library's files share among
themselves is declared in its private header under hidden visibility.
Each violation is reported as "LIB: exported but not in HEADER: SYMBOL".

  --expect SYMBOL  invert: succeed only if the check fails and names SYMBOL
                   (to show the checker catches a leaked internal).
"""
import argparse
import re
import subprocess
import sys


def exported(so):
    out = subprocess.run(['nm', '-D', '--defined-only', so], check=True, capture_output=True, text=True).stdout
    # "ADDRESS TYPE NAME[@VERSION]": every defined dynamic symbol, whatever its type
    return {line.split()[2].split('@')[0] for line in out.splitlines() if len(line.split()) >= 3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--so', required=True)
    ap.add_argument('--header', required=True)
    ap.add_argument('--expect')
    a = ap.parse_args()
    with open(a.header) as f:
        words = set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', f.read()))
    # the linker's own symbols are not the library's
    ignore = {'_init', '_fini', '_edata', '_end', '__bss_start'}
    bad = sorted(s for s in exported(a.so) - ignore if s not in words)
    for s in bad:
        print('%s: exported but not in %s: %s' % (a.so, a.header, s))
    if a.expect:
        if a.expect in bad:
            print('ok: the checker caught %s' % a.expect)
            return 0
        print('FAIL: expected %s to be caught' % a.expect)
        return 1
    if not bad:
        print('%s: every exported symbol is in %s' % (a.so, a.header))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
