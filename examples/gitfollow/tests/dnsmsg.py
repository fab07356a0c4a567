#!/usr/bin/env python3
"""A DNS query or NOTIFY over UDP, for remote_e2e.sh.

  dnsmsg.py txt PORT NAME       prints the TXT strings of NAME (one line), or
                                "rcode=N"
  dnsmsg.py notify PORT ZONE    sends a NOTIFY (opcode 4, SOA question, RFC
                                1996) and prints "qr=1 aa=1 opcode=4 rcode=0"
"""
import random
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


def main():
    what, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    qid = random.randint(0, 65535)
    if what == "notify":
        hdr = struct.pack("!HHHHHH", qid, 4 << 11 | 0x0400, 1, 0, 0, 0)
        r = ask(port, hdr + qname(name) + struct.pack("!HH", 6, 1))
        f = struct.unpack("!H", r[2:4])[0]
        print("qr=%d aa=%d opcode=%d rcode=%d" % (f >> 15, (f >> 10) & 1, (f >> 11) & 15, f & 15))
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
