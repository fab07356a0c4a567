#!/usr/bin/env python3
"""A protocol v2 fetch for curl, to time a server without a git client.

A `git clone` spends most of its time indexing the pack it receives, so its
wall time says little about the server. The benchmark also POSTs the fetch
request a clone would send (every branch and tag wanted, no haves, `done`) with
curl, which only stores the answer; this makes that request and checks the
answer afterwards.

    v2fetch.py request REPO > REQUEST     the body for POST .../git-upload-pack
                                          (Git-Protocol: version=2)
    v2fetch.py check RESPONSE OBJECTS     the answer is a "packfile" section
                                          whose side-band 1 data is a pack of
                                          OBJECTS objects with a valid trailer
"""
import hashlib
import struct
import subprocess
import sys


def pkt(s):
    b = s.encode() if isinstance(s, str) else s
    return b"%04x" % (len(b) + 4) + b


def request(repo):
    out = subprocess.run(
        ["git", "--git-dir=" + repo, "for-each-ref", "--format=%(objectname)",
         "refs/heads", "refs/tags"], check=True, capture_output=True, text=True).stdout
    wants = sorted(set(out.split()))
    body = pkt("command=fetch\n") + pkt("object-format=sha1\n") + b"0001"
    body += pkt("thin-pack\n") + pkt("no-progress\n") + pkt("ofs-delta\n")
    for w in wants:
        body += pkt("want %s\n" % w)
    body += pkt("done\n") + b"0000"
    sys.stdout.buffer.write(body)


def check(path, objects):
    data = open(path, "rb").read()
    pos = 0
    pack = bytearray()
    section = None
    while True:
        if pos + 4 > len(data):
            sys.exit("truncated pkt-line at %d" % pos)
        n = int(data[pos:pos + 4], 16)
        if n == 0:
            pos += 4
            break
        if n < 4:
            sys.exit("unexpected special packet %04x at %d" % (n, pos))
        payload = data[pos + 4:pos + n]
        pos += n
        if section is None:
            section = payload.rstrip(b"\n")
            if section != b"packfile":
                sys.exit("first section is %r, not packfile" % section)
            continue
        band = payload[0]
        if band == 1:
            pack += payload[1:]
        elif band == 3:
            sys.exit("server error: %r" % payload[1:])
    if pack[:4] != b"PACK":
        sys.exit("no pack in the answer")
    n = struct.unpack(">I", pack[8:12])[0]
    if n != objects:
        sys.exit("pack holds %d objects, want %d" % (n, objects))
    if hashlib.sha1(pack[:-20]).digest() != bytes(pack[-20:]):
        sys.exit("pack trailer checksum is wrong")
    print("ok: %d objects, %d pack bytes" % (n, len(pack)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "request":
        request(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
