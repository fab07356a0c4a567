#!/usr/bin/env python3
"""TCP checks of the dnsd end-to-end test (standard library only).

  tcpcheck.py pipeline HOST PORT      3 queries in one write, 3 answers in order
  tcpcheck.py limit HOST PORT N       N connections held open, one more is
                                      refused (EOF), the N still answer
  tcpcheck.py idle HOST PORT SECONDS  an idle connection is closed within
                                      SECONDS + 2, not before SECONDS - 0.5
  tcpcheck.py badframe HOST PORT      a frame shorter than a header closes
                                      that connection, after the answer before
                                      it; another connection is unharmed
Exit 0 if the check holds, 1 (with a message) if not.
"""
import socket
import struct
import sys
import time


def query(qid, name, qtype=1):
    q = struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 0)
    for label in name.rstrip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\0' + struct.pack('>HH', qtype, 1)


def frame(msg):
    return struct.pack('>H', len(msg)) + msg


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_answer(s):
    h = recv_exact(s, 2)
    if h is None:
        return None
    (n,) = struct.unpack('>H', h)
    return recv_exact(s, n)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=5)
    return s


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def check_answer(a, qid, rcode=0):
    if a is None:
        fail('connection closed, wanted the answer to %d' % qid)
    rid, flags = struct.unpack('>HH', a[:4])
    if rid != qid or not flags & 0x8000 or flags & 0xf != rcode:
        fail('answer id %d flags %#x, wanted id %d rcode %d' % (rid, flags, qid, rcode))


def pipeline(host, port):
    s = connect(host, port)
    names = ['www.example.test', 'nope.example.test', 'big.example.test']
    s.sendall(b''.join(frame(query(100 + i, n, 16 if i == 2 else 1)) for i, n in enumerate(names)))
    for i, rc in enumerate([0, 3, 0]):
        check_answer(read_answer(s), 100 + i, rc)
    s.close()


def limit(host, port, n):
    held = [connect(host, port) for _ in range(n)]
    for i, s in enumerate(held):  # each is really served
        s.sendall(frame(query(i, 'www.example.test')))
        check_answer(read_answer(s), i)
    extra = connect(host, port)
    extra.settimeout(3)
    try:
        extra.sendall(frame(query(999, 'www.example.test')))
        got = read_answer(extra)
    except (ConnectionResetError, BrokenPipeError):
        got = None
    if got is not None:
        fail('connection %d past the limit was answered' % (n + 1))
    for i, s in enumerate(held):
        s.sendall(frame(query(200 + i, 'www.example.test')))
        check_answer(read_answer(s), 200 + i)
    for s in held:
        s.close()


def idle(host, port, secs):
    s = connect(host, port)
    s.settimeout(secs + 3)
    t0 = time.monotonic()
    try:
        data = s.recv(1)
    except socket.timeout:
        fail('idle connection still open after %.1f s' % (time.monotonic() - t0))
    dt = time.monotonic() - t0
    if data:
        fail('unexpected data on an idle connection')
    if dt < secs - 0.5:
        fail('closed after %.2f s, before the idle timeout of %s s' % (dt, secs))


def badframe(host, port):
    other = connect(host, port)
    s = connect(host, port)
    s.sendall(frame(query(1, 'www.example.test')) + b'\x00\x05hello')
    check_answer(read_answer(s), 1)
    if read_answer(s) is not None:
        fail('the connection with a bad frame stayed open')
    other.sendall(frame(query(2, 'www.example.test')))
    check_answer(read_answer(other), 2)


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == 'pipeline':
        pipeline(host, port)
    elif cmd == 'limit':
        limit(host, port, int(sys.argv[4]))
    elif cmd == 'idle':
        idle(host, port, float(sys.argv[4]))
    elif cmd == 'badframe':
        badframe(host, port)
    else:
        fail('unknown check ' + cmd)
    print('ok: ' + ' '.join(sys.argv[1:]))


if __name__ == '__main__':
    main()
