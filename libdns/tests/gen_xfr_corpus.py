#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/fuzz_dns_tsig.c and fuzz/fuzz_dns_ixfr.c
(run from the repository root)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_tsig_vectors import Key, name, hdr, rr, sign_first, sign_next, with_tsig, tsig_rr  # noqa: E402


def write(d, files):
    os.makedirs(d, exist_ok=True)
    for k, v in files.items():
        with open(os.path.join(d, k), 'wb') as f:
            f.write(v)


def tsig_seeds():
    k256 = Key('xfr-key.example.', 'hmac-sha256', bytes(range(32)))
    k512 = Key('big.key.', 'hmac-sha512', b'secret secret secret secret secret')
    T = 1700000000
    zone = name('example.test')
    q = hdr(0x1234, 0, 1, 0, 0, 0) + zone + struct.pack('>HH', 252, 1)
    req, mac = sign_first(k256, q, T, 300)
    req5, mac5 = sign_first(k512, q, T, 300)
    a = hdr(0x1234, 0x8400, 1, 1, 0, 0) + zone + struct.pack('>HH', 252, 1) + \
        rr(name('a.example.test'), 1, 1, 60, b'\xc0\x00\x02\x01')
    resp, m1 = sign_first(k256, a, T, 300, prior=mac)
    nxt, _ = sign_next(k256, [], a, T + 1, 300, m1)
    badtime, _ = sign_first(k256, q, T - 10000, 300)
    trunc = with_tsig(q, tsig_rr(k256, T, 300, mac[:16], 0x1234))
    badkey = with_tsig(q, tsig_rr(Key('nobody.', 'hmac-sha256', b'x'), T, 300, mac, 0x1234))
    sha1 = with_tsig(q, tsig_rr(Key('xfr-key.example.', 'hmac-sha1', b'x'), T, 300, mac[:20], 0x1234))
    err = with_tsig(hdr(0x1234, 0x8009, 1, 0, 0, 0) + zone + struct.pack('>HH', 252, 1),
                    tsig_rr(k256, T, 300, b'', 0x1234, error=17))
    kdig = bytes.fromhex(
        'dc2d01200001000000000001076578616d706c6504746573740000060001077866722d6b6579076578616d70'
        '6c650000fa00ff00000000003d0b686d61632d7368613235360000006b094420012c00208ac7ead8f902c5f0'
        '68af4659cd7e0b4f3c79b334b4f4052b7a77c24f029c2514dc2d00000000')
    write('fuzz/corpus/dns_tsig', {
        'request_sha256': req, 'request_sha512': req5, 'response_first': resp,
        'response_next': nxt, 'badtime': badtime, 'truncated_mac': trunc, 'badkey': badkey,
        'hmac_sha1': sha1, 'error_response': err, 'kdig_request': kdig,
        'unsigned': q,
        'keyfile_bind': b'key "xfr.key" {\n\talgorithm hmac-sha512;\n\tsecret "c2VjcmV0";\n};\n',
        'keyfile_knot': b'# c\nkey:\n  - id: knot-key\n    algorithm: hmac-sha256\n    secret: YWJj\n',
        'key_text': b'xfr-key:hmac-sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
    })


def soa(serial):
    return rr(name('example.test'), 6, 1, 3600,
              name('ns.example.test') + name('admin.example.test') +
              struct.pack('>IIIII', serial, 3600, 600, 86400, 300))


def a(host, last, ttl=300):
    return rr(name(host + '.example.test'), 1, 1, ttl, bytes([192, 0, 2, last]))


def msg(records, qtype, first=True, id_=0x0102, rcode=0):
    qd = name('example.test') + struct.pack('>HH', qtype, 1) if first else b''
    return hdr(id_, 0x8400 | rcode, 1 if first else 0, len(records), 0, 0) + qd + b''.join(records)


def frames(msgs, qtype):
    out = b''.join(struct.pack('>H', len(m)) + m for m in msgs)
    # The harness asks for AXFR on odd sizes, IXFR on even ones.
    want_odd = qtype == 252
    if (len(out) % 2 == 1) != want_odd:
        out += b'\0'
    return out


def ixfr_seeds():
    IX, AX = 251, 252
    inc = [soa(3), soa(1), a('a', 1), soa(2), a('c', 3), soa(2), a('b', 2), soa(3), a('d', 4), soa(3)]
    # A pointer to the question's name as owner: compression in transfers.
    ptr = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + bytes([192, 0, 2, 9])
    seeds = {
        'incremental': frames([msg(inc, IX)], IX),
        'incremental_split': frames([msg(inc[:3], IX), msg(inc[3:7], IX, False), msg(inc[7:], IX, False)], IX),
        'uptodate': frames([msg([soa(1)], IX)], IX),
        'axfr_form': frames([msg([soa(3), a('a', 1), a('x', 7), soa(3)], IX)], IX),
        'axfr': frames([msg([soa(5), a('a', 1)], AX), msg([a('z', 8), soa(5)], AX, False)], AX),
        'axfr_compressed': frames([msg([soa(5), ptr, soa(5)], AX)], AX),
        'ttl_change': frames([msg([soa(2), soa(1), a('a', 1), soa(2), a('a', 1, 99), soa(2)], IX)], IX),
        'bad_chain': frames([msg([soa(3), soa(1), soa(2), soa(7), soa(3)], IX)], IX),
        'bad_delete': frames([msg([soa(2), soa(1), a('q', 1), soa(2), soa(2)], IX)], IX),
        'bad_trailing': frames([msg([soa(2), soa(1), soa(2), soa(2), a('a', 1)], IX)], IX),
        'bad_outside': frames([msg([soa(3), rr(name('example.org'), 1, 1, 1, b'abcd'), soa(3)], AX)], AX),
        'bad_rcode': frames([msg([soa(3)], IX, rcode=5)], IX),
        'bad_incomplete': frames([msg([soa(3), soa(1), a('a', 1)], IX)], IX),
        'bad_last_soa': frames([msg([soa(5), a('a', 1), soa(6)], AX)], AX),
    }
    write('fuzz/corpus/dns_ixfr', seeds)


tsig_seeds()
ixfr_seeds()
