#!/usr/bin/env python3
"""A TCP proxy that plays a server dying in the middle of its answer.

Every accepted connection is relayed to UPSTREAM. The bytes the upstream sends
back are counted per connection; once --cut-after bytes have gone to the
client, the proxy forwards exactly that many and then drops both sides (a FIN,
or an RST with --rst), as a server killed mid-pack would. The client's bytes
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
import socket
import struct
import sys
import threading


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class Conn:
    def __init__(self, num, client, args):
        self.num = num
        self.client = client
        self.args = args
        self.up = 0
        self.down = 0
        self.cut = False
        self.lock = threading.Lock()
        self.closed = False
        self.server = None

    def close_all(self, rst=False):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                if rst:
                    # SO_LINGER with a zero timeout makes close() send RST.
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def pump_up(self):
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    try:
                        self.server.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                self.up += len(data)
                self.server.sendall(data)
        except OSError:
            self.close_all()

    def pump_down(self):
        limit = self.args.cut_after if self.num >= self.args.first_cut else 0
        try:
            while True:
                data = self.server.recv(65536)
                if not data:
                    try:
                        self.client.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                if limit and self.down + len(data) >= limit:
                    keep = limit - self.down
                    if keep:
                        self.client.sendall(data[:keep])
                    self.down += keep
                    self.cut = True
                    self.close_all(rst=self.args.rst)
                    return
                self.down += len(data)
                self.client.sendall(data)
        except OSError:
            self.close_all()

    def run(self):
        host, port = self.args.upstream.rsplit(":", 1)
        try:
            self.server = socket.create_connection((host, int(port)))
        except OSError as e:
            log("conn %d upstream connect failed: %s" % (self.num, e))
            self.client.close()
            return
        t = threading.Thread(target=self.pump_up, daemon=True)
        t.start()
        self.pump_down()
        t.join()
        self.close_all()
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
