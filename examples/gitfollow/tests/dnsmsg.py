#!/usr/bin/env python3
"""A DNS query or NOTIFY over UDP, for remote_e2e.sh.

  dnsmsg.py txt PORT NAME       prints the TXT strings of NAME (one line), or
                                "rcode=N"
  dnsmsg.py notify PORT ZONE [NAME:ALG:BASE64]
                                sends a NOTIFY (opcode 4, SOA question, RFC
                                1996), TSIG-signed with the key when given
                                (RFC 8945), and prints
                                "qr=1 aa=1 opcode=4 rcode=0 tsig=0|1"
"""
import base64
import hashlib
import hmac
import random
import time
import socket
import struct
import sys


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ask(port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    for _ in range(3):
        s.sendto(msg, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(65535)
            if data[:2] == msg[:2]:
                return data
        except socket.timeout:
            continue
    sys.exit("no answer")


def skip_name(b, p):
    while True:
        n = b[p]
        if n & 0xC0 == 0xC0:
            return p + 2
        p += 1
        if n == 0:
            return p
        p += n


def tsig_sign(msg, key):
    """Appends a TSIG record (RFC 8945 4.2, MAC over 4.3.3's data)."""
    name, alg, secret = key.split(":", 2)
    kname, aname = qname(name.lower()), qname(alg.lower())
    digest = {"hmac-sha256": hashlib.sha256, "hmac-sha512": hashlib.sha512}[alg.lower()]
    now = int(time.time())
    timesig = struct.pack("!HI", now >> 32, now & 0xFFFFFFFF)
    variables = kname + struct.pack("!HI", 255, 0) + aname + timesig + struct.pack("!HHH", 300, 0, 0)
    mac = hmac.new(base64.b64decode(secret), msg + variables, digest).digest()
    rdata = aname + timesig + struct.pack("!HH", 300, len(mac)) + mac + msg[:2] + struct.pack("!HH", 0, 0)
    rr = kname + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
    ar = struct.unpack("!H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack("!H", ar) + msg[12:] + rr


def main():
    what, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    qid = random.randint(0, 65535)
    if what == "notify":
        hdr = struct.pack("!HHHHHH", qid, 4 << 11 | 0x0400, 1, 0, 0, 0)
        msg = hdr + qname(name) + struct.pack("!HH", 6, 1)
        if len(sys.argv) > 4:
            msg = tsig_sign(msg, sys.argv[4])
        r = ask(port, msg)
        f, ar = struct.unpack("!H", r[2:4])[0], struct.unpack("!H", r[10:12])[0]
        print("qr=%d aa=%d opcode=%d rcode=%d tsig=%d" % (f >> 15, (f >> 10) & 1, (f >> 11) & 15, f & 15,
                                                          1 if ar else 0))
        return
    hdr = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    r = ask(port, hdr + qname(name) + struct.pack("!HH", 16, 1))
    f, qd, an = struct.unpack("!HHH", r[2:8])
    if f & 15:
        print("rcode=%d" % (f & 15))
        return
    p = 12
    for _ in range(qd):
        p = skip_name(r, p) + 4
    txts = []
    for _ in range(an):
        p = skip_name(r, p)
        t, _c, _ttl, rdlen = struct.unpack("!HHIH", r[p:p + 10])
        p += 10
        if t == 16:
            q = p
            while q < p + rdlen:
                n = r[q]
                txts.append(r[q + 1:q + 1 + n].decode())
                q += 1 + n
        p += rdlen
    print(" ".join(txts))


main()
