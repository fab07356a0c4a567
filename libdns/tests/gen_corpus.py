#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/fuzz_dns_msg.c and fuzz/fuzz_dns_answer.c (run from the repo root)."""
import os
import struct

OUT = 'fuzz/corpus/dns_msg'


def name(s):
    out = b''
    for lab in s.strip('.').split('.'):
        if lab:
            out += bytes([len(lab)]) + lab.encode()
    return out + b'\0'


def hdr(id_, flags, qd, an, ns, ar):
    return struct.pack('>HHHHHH', id_, flags, qd, an, ns, ar)


def rr(owner, typ, cls, ttl, rdata):
    return owner + struct.pack('>HHIH', typ, cls, ttl, len(rdata)) + rdata


Q = name('www.Example.com') + struct.pack('>HH', 1, 1)
OPT = rr(b'\0', 41, 1232, 0x8000, b'')
seeds = {
    'query_a': hdr(0x1234, 0x0100, 1, 0, 0, 0) + Q,
    'query_edns_do': hdr(1, 0x0100, 1, 0, 0, 1) + Q + OPT,
    'query_edns_cookie': hdr(2, 0, 1, 0, 0, 1) + Q + rr(b'\0', 41, 4096, 0, struct.pack('>HH', 10, 8) + b'12345678'),
    'query_edns_v1': hdr(3, 0, 1, 0, 0, 1) + Q + rr(b'\0', 41, 512, 0x00010000, b''),
    'answer_compressed': hdr(4, 0x8400, 1, 2, 1, 1) + Q
        + rr(b'\xc0\x0c', 5, 1, 300, b'\x03web\xc0\x10')
        + rr(b'\x03web\xc0\x10', 1, 1, 300, b'\xc0\x00\x02\x01')
        + rr(b'\xc0\x10', 2, 1, 300, b'\x02ns\xc0\x10')
        + rr(b'\x02ns\xc0\x10', 28, 1, 300, bytes(15) + b'\x01'),
    'soa_mx_txt': hdr(5, 0x8400, 1, 3, 0, 0) + Q
        + rr(b'\xc0\x10', 6, 1, 3600, b'\x02ns\xc0\x10\x04host\xc0\x10' + struct.pack('>IIIII', 1, 2, 3, 4, 5))
        + rr(b'\xc0\x10', 15, 1, 3600, b'\x00\x0a\x04mail\xc0\x10')
        + rr(b'\xc0\x10', 16, 1, 3600, b'\x05hello\x00\x03a"b'),
    'dnssec': hdr(6, 0x8400, 1, 3, 0, 0) + Q
        + rr(b'\xc0\x10', 47, 1, 3600, name('a.example.com') + b'\x00\x06\x40\x01\x00\x00\x00\x03')
        + rr(b'\xc0\x10', 46, 1, 3600, struct.pack('>HBBIIIH', 47, 13, 2, 3600, 2000000000, 1900000000, 12345) + name('example.com') + bytes(range(64)))
        + rr(b'\xc0\x10', 50, 1, 3600, b'\x01\x00\x00\x0a\x02\xab\xcd\x14' + bytes(range(20)) + b'\x00\x01\x40'),
    'svcb_https': hdr(7, 0x8400, 1, 1, 0, 0) + Q
        + rr(b'\xc0\x0c', 65, 1, 300, b'\x00\x01\x00' + struct.pack('>HH', 1, 6) + b'\x02h2\x02h3'
             + struct.pack('>HHH', 3, 2, 443) + struct.pack('>HH', 4, 4) + b'\xc0\x00\x02\x01'),
    'caa_srv_naptr': hdr(8, 0x8400, 1, 3, 0, 0) + Q
        + rr(b'\xc0\x0c', 257, 1, 300, b'\x00\x05issueletsencrypt.org')
        + rr(b'\xc0\x0c', 33, 1, 300, struct.pack('>HHH', 1, 2, 443) + b'\xc0\x0c')
        + rr(b'\xc0\x0c', 35, 1, 300, struct.pack('>HH', 10, 20) + b'\x01U\x07E2U+sip\x00' + name('sip.example.com')),
    'unknown_type': hdr(9, 0x8400, 1, 1, 0, 0) + Q + rr(b'\xc0\x0c', 65280, 1, 300, b'\x01\x02\x03'),
    'bad_loop': hdr(10, 0, 1, 0, 0, 0) + b'\x01a\xc0\x0c' + struct.pack('>HH', 1, 1),
    'bad_forward': hdr(11, 0, 1, 0, 0, 0) + b'\xc0\x20' + struct.pack('>HH', 1, 1),
    'bad_self': hdr(12, 0, 1, 0, 0, 0) + b'\xc0\x0c' + struct.pack('>HH', 1, 1),
    'bad_opt_twice': hdr(13, 0, 1, 0, 0, 2) + Q + OPT + OPT,
    'bad_opt_answer': hdr(14, 0, 1, 1, 0, 0) + Q + OPT,
    'bad_count': hdr(15, 0, 1, 5, 0, 0) + Q,
    'bad_label': hdr(16, 0, 1, 0, 0, 0) + b'\x40' + b'a' * 64 + b'\0' + struct.pack('>HH', 1, 1),
    'update_delete': hdr(17, 0x2800, 1, 0, 1, 0) + name('example.com') + struct.pack('>HH', 6, 1)
        + rr(name('old.example.com'), 1, 255, 0, b''),
}


def query(id_, qn, qt, flags=0x0100, edns=None, ver=0, do=False, ar=None):
    nar = (1 if edns else 0) if ar is None else ar
    m = hdr(id_, flags, 1, 0, 0, nar) + name(qn) + struct.pack('>HH', qt, 1)
    if edns:
        m += rr(b'\0', 41, edns, (ver << 16) | (0x8000 if do else 0), b'')
    return m


# Queries against the zone inside fuzz_dns_answer.c, one per branch.
answers = {
    'www_a': query(1, 'www.example', 1), 'www_any': query(2, 'WWW.Example', 255),
    'nx': query(3, 'nothere.example', 1), 'nodata': query(4, 'www.example', 16),
    'ent': query(5, 'c.ent.example', 1), 'cname': query(6, 'alias.example', 1),
    'loop': query(7, 'loop1.example', 1), 'wild': query(8, 'foo.wild.example', 1),
    'wild_block': query(9, 'exists.wild.example', 1), 'referral': query(10, 'host.sub.example', 1),
    'ds': query(11, 'sub.example', 43, edns=1232, do=True), 'big_tc': query(12, 'big.example', 16),
    'big_edns': query(13, 'big.example', 16, edns=4096),
    'badvers': query(14, 'www.example', 1, edns=1232, ver=1),
    'refused': query(15, 'www.example.org', 1), 'notimp': query(16, 'example', 6, flags=0x2800),
    'srv': query(17, '_sip._udp.example', 33), 'mx': query(18, 'example', 15),
    'resp': query(19, 'www.example', 1, flags=0x8000),
    'formerr_loop': hdr(20, 0, 1, 0, 0, 0) + b'\x01a\xc0\x0c\x00\x01\x00\x01',
    'opt_twice': query(21, 'www.example', 1, edns=512, ar=2) + rr(b'\0', 41, 512, 0, b''),
}

for out, corpus in ((OUT, seeds), ('fuzz/corpus/dns_answer', answers)):
    os.makedirs(out, exist_ok=True)
    for k, v in corpus.items():
        with open(os.path.join(out, k), 'wb') as f:
            f.write(v)
