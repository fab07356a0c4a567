#!/usr/bin/env python3
"""A TCP proxy that plays a server dying in the middle of its answer.

Every accepted connection is relayed to UPSTREAM. The bytes the upstream sends
back are counted per connection; once --cut-after bytes have gone to the
client, the proxy forwards exactly that many and then drops both sides (a FIN,
or an RST with --rst), as a server killed mid-pack would; with --stall it sends
nothing more but keeps the client's connection open, as a hung server would
(the client's timeout is then what ends it). The client's bytes
are relayed untouched. With --cut-after 0 (the default, "never") it is a plain
relay that logs how many bytes each connection carried, so a test can first
measure a whole transfer and then cut it at, say, half.

Only connections numbered --first-cut and later (1-based, in accept order) are
cut, so a smart HTTP client's small ref advertisement can pass and its pack
request be the one that dies.

It binds --listen (port 0 picks a free one), prints the bound port on one line
on standard output once it accepts connections, then logs one line per
connection on standard error:  conn N up=BYTES down=BYTES cut=yes|no
"""
import argparse
import select
import socket
import struct
import sys
import threading


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class Conn:
    """One client connection and its upstream, relayed by one thread with
    select, so the cut happens where the bytes are counted and no other thread
    is blocked on a socket being closed (which would keep it open)."""

    def __init__(self, num, client, args):
        self.num = num
        self.client = client
        self.args = args
        self.up = 0
        self.down = 0
        self.cut = False

    def run(self):
        host, port = self.args.upstream.rsplit(":", 1)
        try:
            server = socket.create_connection((host, int(port)))
        except OSError as e:
            log("conn %d upstream connect failed: %s" % (self.num, e))
            self.client.close()
            return
        limit = self.args.cut_after if self.num >= self.args.first_cut else 0
        client = self.client
        open_in = {client, server}
        try:
            while open_in:
                ready, _, _ = select.select(list(open_in), [], [])
                for s in ready:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    other = server if s is client else client
                    if not data:
                        open_in.discard(s)
                        try:
                            other.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    if s is client:
                        self.up += len(data)
                        server.sendall(data)
                        continue
                    if limit and self.down + len(data) >= limit:
                        data = data[:limit - self.down]
                        self.cut = True
                    if data:
                        client.sendall(data)
                        self.down += len(data)
                    if self.cut:
                        raise StopIteration
        except (OSError, StopIteration):
            pass
        if self.cut and self.args.stall:
            # A server that hangs instead of dying: nothing more is sent, the
            # client's connection stays open until the client gives up.
            try:
                server.close()
                while client.recv(65536):
                    pass
            except OSError:
                pass
        if self.cut and self.args.rst:
            # SO_LINGER with a zero timeout makes close() send RST.
            for s in (client, server):
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                except OSError:
                    pass
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass
        log("conn %d up=%d down=%d cut=%s" %
            (self.num, self.up, self.down, "yes" if self.cut else "no"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to bind")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the real server")
    ap.add_argument("--cut-after", type=int, default=0,
                    help="bytes of the server's answer to pass before dropping (0: never)")
    ap.add_argument("--first-cut", type=int, default=1,
                    help="first connection number (1-based) that is cut")
    ap.add_argument("--rst", action="store_true", help="drop with RST instead of FIN")
    ap.add_argument("--stall", action="store_true",
                    help="instead of dropping, stop sending and hold the connection open")
    args = ap.parse_args()

    host, port = args.listen.rsplit(":", 1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(16)
    print(ls.getsockname()[1], flush=True)
    num = 0
    while True:
        client, _ = ls.accept()
        num += 1
        c = Conn(num, client, args)
        threading.Thread(target=c.run, daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
