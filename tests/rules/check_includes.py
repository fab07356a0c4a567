#!/usr/bin/env python3
"""Check that a library is standalone (DESIGN.md rule 1).

  check_includes.py --name dns --dir libdns [--allow zlib] [--allow sodium] [--expect HEADER]

Every #include in the library's include/ and src/ trees must be one of:
  <stddef.h> <stdint.h> <stdbool.h> <string.h> <limits.h>, its own public
  header <cloudlet/NAME.h>, a quoted header of its own src/, and <zlib.h> or
  <sodium.h> where allowed. Another library's header is always a violation.
Each violation is printed as "file:line: includes <header> (why)".
"""
import argparse
import os
import re
import sys

FREESTANDING = {'stddef.h', 'stdint.h', 'stdbool.h', 'string.h', 'limits.h'}
LIBS = {'dns', 'http', 'tcpip', 'gitstore', 'xenfront'}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def check(name, root, allow):
    errors = []
    own_src = set()
    for sub in ('src', 'include'):
        for dp, _, fns in os.walk(os.path.join(root, sub)):
            for fn in fns:
                own_src.add(os.path.relpath(os.path.join(dp, fn), os.path.join(root, sub)))
    for sub in ('src', 'include'):
        for dp, _, fns in sorted(os.walk(os.path.join(root, sub))):
            for fn in sorted(fns):
                if not fn.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dp, fn)
                with open(path, encoding='utf-8', errors='replace') as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, hdr = m.groups()
                        why = None
                        other = re.match(r'^cloudlet/(\w+)\.h$', hdr)
                        if other:
                            if other.group(1) != name:
                                why = f'another library\'s header (lib{other.group(1)})'
                        elif kind == '"':
                            if hdr not in own_src and os.path.basename(hdr) not in {os.path.basename(s) for s in own_src}:
                                why = 'not a header of this library'
                        elif hdr in FREESTANDING:
                            pass
                        elif hdr == 'zlib.h' and 'zlib' in allow:
                            pass
                        elif hdr == 'sodium.h' and 'sodium' in allow:
                            pass
                        else:
                            why = 'not a freestanding header DESIGN.md allows'
                        if why:
                            lt, gt = ('"', '"') if kind == '"' else ('<', '>')
                            errors.append(f'{path}:{lineno}: includes {lt}{hdr}{gt} ({why})')
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--allow', action='append', default=[])
    ap.add_argument('--expect')
    a = ap.parse_args()
    errors = check(a.name, a.dir, a.allow)
    for e in errors:
        print(e)
    if a.expect:
        if any(a.expect in e for e in errors):
            print(f'ok: the checker caught {a.expect}')
            return 0
        print(f'FAIL: the checker did not report {a.expect}')
        return 1
    if errors:
        print(f'{len(errors)} include violation(s) in {a.dir}')
        return 1
    print(f'ok: {a.dir} is standalone')
    return 0


if __name__ == '__main__':
    sys.exit(main())
