#!/usr/bin/env python3
"""Seeds for the protocol fuzz harnesses: fuzz/corpus/gitstore_{pktline,sideband,v2cmd,receive}/."""
import os, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'fuzz', 'corpus')

def pkt(s):
    if isinstance(s, str):
        s = s.encode()
    return b'%04x' % (len(s) + 4) + s

def put(target, name, data):
    d = os.path.join(root, 'gitstore_' + target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

A = '94e647c9cf7a0d047531b39a72c7313afa211901'
Z = '0' * 40
adv = pkt(A + ' HEAD\0multi_ack_detailed side-band-64k ofs-delta symref=HEAD:refs/heads/main agent=git/2.39\n') + \
    pkt(A + ' refs/heads/main\n') + b'0000'
put('pktline', 'advert', b'\x03' + adv)
put('pktline', 'v2caps', b'\x00' + pkt('version 2\n') + pkt('ls-refs=unborn\n') + pkt('fetch=shallow\n') + b'0000')
put('pktline', 'special', b'\x05' + b'0000000100020004')
put('pktline', 'bad_len3', b'\x01' + b'0003')
put('pktline', 'bad_hex', b'\x02' + b'00zz')
put('pktline', 'too_long', b'\x02' + b'fff1' + b'x' * 20)
put('pktline', 'truncated', b'\x07' + b'0100abc')
put('pktline', 'max', b'\x10' + b'fff0' + b'y' * 65516)

sb = pkt(b'\x02Enumerating objects: 3, done.\n') + pkt(b'\x01PACK\0\0\0\2\0\0\0\3') + pkt(b'\x01' + bytes(range(40))) + b'0000'
put('sideband', 'data_progress', pkt('packfile\n')[0:0] + sb)
put('sideband', 'error', pkt(b'\x03fatal: no such ref\n') + b'0000')
put('sideband', 'bad_band', pkt(b'\x04zz') + pkt(b'\x00') + b'0004' + b'0000')
put('sideband', 'big', pkt(b'\x01' + b'z' * 65515) + b'0000')

put('v2cmd', 'ls_refs', pkt('command=ls-refs\n') + pkt('agent=git/2.39.2\n') + pkt('object-format=sha1\n') + b'0001' +
    pkt('peel\n') + pkt('symrefs\n') + pkt('unborn\n') + pkt('ref-prefix HEAD\n') + pkt('ref-prefix refs/heads/\n') + b'0000')
put('v2cmd', 'fetch', pkt('command=fetch\n') + pkt('agent=git/2.39.2\n') + b'0001' + pkt('thin-pack\n') +
    pkt('no-progress\n') + pkt('ofs-delta\n') + pkt('include-tag\n') + pkt('want ' + A + '\n') + pkt('have ' + A + '\n') +
    pkt('done\n') + b'0000')
put('v2cmd', 'fetch_unsupported', pkt('command=fetch\n') + b'0001' + pkt('deepen 1\n') + pkt('filter blob:none\n') +
    pkt('want-ref refs/heads/main\n') + pkt('shallow ' + A + '\n') + b'0000')
put('v2cmd', 'no_args', pkt('command=ls-refs\n') + b'0000')
put('v2cmd', 'bad_section', pkt('command=fetch\n') + b'00010001' + b'0000')
put('v2cmd', 'bad_cap', pkt('command=fetch\n') + pkt('a b\n') + b'0000')
put('v2cmd', 'object_info', pkt('command=object-info\n') + b'0001' + pkt('size\n') + pkt('oid ' + A + '\n') + b'0000')

put('receive', 'create', pkt(Z + ' ' + A + ' refs/heads/main\0report-status side-band-64k atomic quiet ofs-delta agent=git/2.39\n') +
    b'0000PACK\0\0\0\2\0\0\0\0')
put('receive', 'update_delete', pkt(A + ' ' + A + ' refs/heads/main\0report-status delete-refs\n') +
    pkt(A + ' ' + Z + ' refs/tags/v1\n') + b'0000')
put('receive', 'bad', pkt(A + ' ' + A + ' HEAD\n') + pkt(A + ' ' + A + ' refs/a/../b\n') + pkt(A + 'x' + A + ' refs/x/y\n') +
    pkt(A[:-1] + 'g ' + A + ' refs/x/y\n') + b'0000')
S = 'a' * 64
put('receive', 'sha256', pkt('0' * 64 + ' ' + S + ' refs/heads/main\0report-status object-format=sha256\n') + b'0000')
