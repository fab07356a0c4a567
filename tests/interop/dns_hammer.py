#!/usr/bin/env python3
"""A DNS server hammered with malformed queries keeps answering good ones.

  dns_hammer.py --server-cmd 'dnsd --listen 127.0.0.1:{port} --zone {origin}={zone}' \
      --zone FILE --origin example.test [--rounds N]

Starts the server on a free loopback port, then sends, round after round, a
corpus of malformed queries (issue 3's list: compression loops, pointers
forward and into themselves, label and name overflows, counts that exceed
the message, truncated records, OPT twice, OPT outside additional, queries
with QR set, garbage) over UDP, and after each round one good query.

Asserts, printing the case that broke it:
  * every malformed query gets FORMERR or no answer at all (RFC 1035 4.1.1;
    a query with QR set is never answered, RFC 1035 4.1.1 / RFC 5452);
  * an answer to a malformed query, when there is one, echoes its id;
  * every good query is answered correctly (NOERROR, AA, the A record), so
    the server kept serving through the flood;
  * the server is still running at the end.
Exit 0 when all hold, 1 otherwise, 77 when the server cannot start.
"""
import argparse
import os
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import time


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def opt(payload=1232):
    return b"\0" + struct.pack(">HHIH", 41, payload, 0, 0)


def corpus(qid):
    """(label, wire) for each malformed query, all with id qid."""
    q = struct.pack(">HH", 1, 1)
    www = name("www.example.test")
    cases = [
        # The question's name is a pointer to itself (offset 12).
        ("pointer into itself", header(qid) + b"\xc0\x0c" + q),
        # A pointer to a later offset (forward).
        ("pointer forward", header(qid) + b"\xc0\x20" + q + b"\0" * 20),
        # Two labels pointing at each other: a loop.
        ("compression loop", header(qid) + b"\x01a\xc0\x0e" + b"\x01b\xc0\x0c" + q),
        # A pointer into the header.
        ("pointer into header", header(qid) + b"\xc0\x02" + q),
        # A label of 64 octets (RFC 1035 2.3.4: 63 at most).
        ("label of 64", header(qid) + b"\x40" + b"a" * 64 + b"\0" + q),
        # A name of more than 255 octets.
        ("name over 255", header(qid) + (b"\x3f" + b"a" * 63) * 4 + b"\x05aaaaa\0" + q),
        # The reserved label types 0x40 and 0x80.
        ("label type 01", header(qid) + b"\x41a\0" + q),
        ("label type 10", header(qid) + b"\x81a\0" + q),
        # Counts that exceed the message.
        ("qdcount 5", header(qid, qd=5) + www + q),
        ("ancount 3 without records", header(qid, an=3) + www + q),
        ("arcount 1 without record", header(qid, ar=1) + www + q),
        # A question cut short.
        ("question truncated", header(qid) + www + b"\x00"),
        ("name truncated", header(qid) + b"\x03ww"),
        # A record whose RDLENGTH runs past the end.
        ("rdlength past end", header(qid, ar=1) + www + q + b"\0" + struct.pack(">HHIH", 1, 1, 0, 40) + b"\x7f\0\0\x01"),
        # OPT twice.
        ("opt twice", header(qid, ar=2) + www + q + opt() + opt()),
        # OPT in the answer section.
        ("opt in answer", header(qid, an=1) + www + q + opt()),
        # OPT with a non-root owner.
        ("opt owner not root", header(qid, ar=1) + www + q + b"\x01x\0" + struct.pack(">HHIH", 41, 1232, 0, 0)),
        # An EDNS option running past the OPT record.
        ("opt option past end", header(qid, ar=1) + www + q + b"\0" + struct.pack(">HHIH", 41, 1232, 0, 4) + b"\0\x0a\0\x08"),
        # Only a header, and less than a header.
        ("header only", header(qid, qd=0)),
        ("short header", struct.pack(">HH", qid, 0x0100)),
        # Garbage after the question (trailing octets).
        ("garbage after question", header(qid) + www + q + os.urandom(13)),
        # Random garbage with the right id.
        ("garbage", struct.pack(">H", qid) + os.urandom(40)),
    ]
    return cases


QR_SET = "QR set"


def parse_answer(data):
    if len(data) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
    return qid, flags, an


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def good_query(sock, addr, qid):
    msg = header(qid) + name("www.example.test") + struct.pack(">HH", 1, 1)
    for _ in range(3):
        sock.sendto(msg, addr)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data, _ = sock.recvfrom(4096)
            except socket.timeout:
                break
            a = parse_answer(data)
            if a and a[0] == qid:
                return data
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-cmd", required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--origin", required=True)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()

    port = free_port()
    cmd = args.server_cmd.format(port=port, origin=args.origin, zone=args.zone)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(shlex.split(cmd), stdout=log, stderr=subprocess.STDOUT)
    addr = ("127.0.0.1", port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    failures = []
    try:
        up = None
        for _ in range(50):
            up = good_query(sock, addr, 1) if proc.poll() is None else None
            if up:
                break
            time.sleep(0.1)
        if not up:
            log.seek(0)
            print("server did not start:", log.read().decode(errors="replace"))
            return 77
        sent = answered = formerr = 0
        good_ok = 0
        for r in range(args.rounds):
            qid = 0x1000 + (r % 0xe000)
            cases = corpus(qid)
            # A query with QR set: a response, never answered.
            cases.append((QR_SET, header(qid, flags=0x8100) + name("www.example.test") + struct.pack(">HH", 1, 1)))
            for label, wire in cases:
                bad_sock.sendto(wire, addr)
                sent += 1
            # Collect what came back for this round.
            bad_sock.settimeout(0.02)
            while True:
                try:
                    data, _ = bad_sock.recvfrom(65535)
                except socket.timeout:
                    break
                a = parse_answer(data)
                answered += 1
                if a is None:
                    failures.append(f"round {r}: an answer shorter than a header: {data.hex()}")
                    continue
                aid, flags, _an = a
                rcode = flags & 0xF
                if aid != qid:
                    failures.append(f"round {r}: answer id {aid:#x}, sent {qid:#x}")
                if not flags & 0x8000:
                    failures.append(f"round {r}: answer without QR")
                if rcode == 1:
                    formerr += 1
                else:
                    # Which case? Replay each alone to name it.
                    for label, wire in cases:
                        bad_sock.sendto(wire, addr)
                        try:
                            d2, _ = bad_sock.recvfrom(65535)
                        except socket.timeout:
                            continue
                        a2 = parse_answer(d2)
                        if a2 and (a2[1] & 0xF) != 1:
                            failures.append(f"case '{label}' got rcode {a2[1] & 0xF}, not FORMERR: "
                                            f"query {wire.hex()}")
                            break
                    else:
                        failures.append(f"round {r}: an answer with rcode {rcode}")
                    break
            g = good_query(sock, addr, 0xF000 + (r % 0x0fff))
            if g is None:
                failures.append(f"round {r}: the good query was not answered")
            else:
                _, flags, an = parse_answer(g)
                if (flags & 0xF) != 0 or not flags & 0x0400 or an < 1:
                    failures.append(f"round {r}: the good query got flags {flags:#06x}, {an} answers")
                else:
                    good_ok += 1
            if len(failures) > 10:
                break
        if proc.poll() is not None:
            failures.append(f"the server exited with status {proc.returncode}")
        print(f"dns_hammer: {sent} malformed queries, {answered} answers ({formerr} FORMERR), "
              f"{good_ok}/{args.rounds} good queries answered")
        for f in failures[:20]:
            print("FAIL:", f)
        return 1 if failures else 0
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
