#!/usr/bin/env python3
"""Writes the seed corpora of the transport fuzz harnesses:
fuzz/corpus/dns_trunc (2-octet limit + a response, from the dns_msg seeds
and a few large answers made here) and fuzz/corpus/dns_tcp (a seed octet +
framed queries, some with bad frames). Run from the repository root."""
import os
import struct

root = 'fuzz/corpus'


def name(n):
    out = b''
    for label in n.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def query(qid, n, qtype=1, edns=None):
    q = struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 1 if edns else 0) + name(n) + struct.pack('>HH', qtype, 1)
    if edns:
        q += b'\0' + struct.pack('>HHIH', 41, edns, 0, 0)
    return q


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack('>HHIH', rtype, 1, ttl, len(rdata)) + rdata


def response(sets, edns=True, flags=0x8400):
    """sets: (section, owner, type, [rdata...])"""
    counts = [1, 0, 0, 0]
    body = name('www.example.') + struct.pack('>HH', 16, 1)
    for sect, owner, rtype, rds in sets:
        for rd in rds:
            body += rr(name(owner), rtype, rd)
            counts[sect] += 1
    if edns:
        body += b'\0' + struct.pack('>HHIH', 41, 1232, 0, 0)
        counts[3] += 1
    return struct.pack('>HHHHHH', 0x1234, flags, *counts) + body


def txt(i, size):
    s = (b'%02d' % i) + b'x' * (size - 3)
    return bytes([len(s)]) + s


def write(d, fname, data):
    os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, d, fname), 'wb') as f:
        f.write(data)


big = response([(1, 'www.example.', 16, [txt(i, 100) for i in range(30)]),
                (2, 'example.', 2, [name('ns1.example.')]),
                (3, 'ns1.example.', 1, [bytes([192, 0, 2, 1])])])
write('dns_trunc', 'big_512', struct.pack('>H', 512) + big)
write('dns_trunc', 'big_1232', struct.pack('>H', 1232) + big)
write('dns_trunc', 'big_fits', struct.pack('>H', 65535) + big)
write('dns_trunc', 'big_tiny', struct.pack('>H', 20) + big)
many = response([(1, 'a%d.example.' % i, 1, [bytes([192, 0, 2, i])]) for i in range(60)], edns=False)
write('dns_trunc', 'many_sets_512', struct.pack('>H', 512) + many)
ref = response([(2, 'sub.example.', 2, [name('ns1.sub.example.'), name('ns.other.')]),
                (3, 'ns1.sub.example.', 28, [bytes(16)] * 20)], flags=0x8000)
write('dns_trunc', 'referral_glue', struct.pack('>H', 200) + ref)
for f in sorted(os.listdir(os.path.join(root, 'dns_msg')))[:12]:
    with open(os.path.join(root, 'dns_msg', f), 'rb') as fh:
        data = fh.read()
    write('dns_trunc', 'msg_' + f, struct.pack('>H', max(12, len(data) - 20)) + data)


def frame(m):
    return struct.pack('>H', len(m)) + m


write('dns_tcp', 'one', b'\1' + frame(query(1, 'www.example.')))
write('dns_tcp', 'pipeline', b'\2' + b''.join(frame(query(i, 'q%d.example.' % i, 1, 1232 if i % 2 else None)) for i in range(20)))
write('dns_tcp', 'short_frame', b'\3' + frame(query(1, 'www.example.')) + b'\0\5hello')
write('dns_tcp', 'long_frame', b'\4' + frame(query(1, 'www.example.')) + b'\x08\0' + b'a' * 100)
write('dns_tcp', 'eof_in_frame', b'\5' + frame(query(1, 'www.example.'))[:-3])
write('dns_tcp', 'garbage_query', b'\6' + frame(b'\0' * 12) + frame(b'\xff' * 40))
write('dns_tcp', 'empty', b'\7')
