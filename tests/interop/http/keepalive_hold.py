#!/usr/bin/env python3
"""Hold many keep-alive connections on a loopback HTTP server at once.

Opens --conns connections (default 10000), sends one GET on each and reads
the answer, keeps every connection open and idle for --hold seconds, then
sends a second GET on every one of them: each must be answered on the same
connection. Meanwhile a normal client fetches over new connections, so the
report also says whether the server stayed responsive while holding them.
Exit 0 when every connection answered both requests (and the normal client
was served), else 1.

Issue 5's load test: "10,000 concurrent keep-alive connections held on one
worker". Bounded (--conns <= 20000, --hold <= 120 s, the whole run <= 300 s)
and loopback only. Without --server/--server-cmd it starts nginx with one
worker and --worker-connections (default conns * 9/8 + 64) in a temp dir.

Python standard library only.
"""

import argparse
import errno
import ipaddress
import os
import resource
import selectors
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

REQ = b"GET /2k.html HTTP/1.1\r\nHost: localhost\r\n\r\n"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_root(work):
    root = os.path.join(work, "root")
    os.makedirs(root)
    with open(os.path.join(root, "2k.html"), "wb") as f:
        f.write(b"x" * 2047 + b"\n")
    for p in (work, root):
        os.chmod(p, 0o755)
    os.chmod(os.path.join(root, "2k.html"), 0o644)
    return root


def wait_ready(proc, port, what):
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited at startup (rc {proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{what} did not start")


def start_nginx(binary, work, worker_connections):
    root = make_root(work)
    d = os.path.join(work, "nginx")
    os.makedirs(os.path.join(d, "tmp"))
    port = free_port()
    conf = f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile {worker_connections + 256};
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  sendfile on;
  keepalive_timeout 300;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  server {{ listen 127.0.0.1:{port} backlog=4096; root {root}; }}
}}
"""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    out = open(os.path.join(d, "stdout.log"), "wb")
    proc = subprocess.Popen([binary, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                            stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, port, "nginx")
    return proc, port


def start_cmd(template, work):
    root = make_root(work)
    port = free_port()
    argv = [a.replace("{port}", str(port)).replace("{root}", root).replace("{host}", "127.0.0.1")
            for a in shlex.split(template)]
    out = open(os.path.join(work, "server.log"), "wb")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, port, argv[0])
    return proc, port


class Conn:
    __slots__ = ("sock", "state", "buf", "out", "answered")

    def __init__(self, sock):
        self.sock, self.state, self.buf, self.out, self.answered = sock, "connecting", b"", b"", 0


def response_done(buf):
    """Length of the first complete response in buf (Content-Length framed),
    0 if incomplete, -1 if it cannot be parsed."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0
    if not buf.startswith(b"HTTP/1.1 200"):
        return -1
    cl = None
    for line in buf[:end].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            cl = int(v.strip())
    if cl is None:
        return -1
    total = end + 4 + cl
    return total if len(buf) >= total else 0


def drive(sel, conns, want, deadline, stats, until_done=True):
    """Run the selector until the deadline, or (until_done) until every
    connection has `want` answers or has failed."""
    pending = sum(1 for c in conns if c.state != "failed" and c.answered < want) if until_done else -1
    while True:
        now = time.monotonic()
        if now >= deadline or pending == 0:
            return
        for key, ev in sel.select(min(0.2, deadline - now)):
            c = key.data
            was_pending = c.answered < want
            try:
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    c.state = "sending"
                    c.out = REQ
                if c.state == "sending" and ev & selectors.EVENT_WRITE:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                    if not c.out:
                        c.state = "reading"
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                elif c.state == "reading" and ev & selectors.EVENT_READ:
                    data = c.sock.recv(65536)
                    if not data:
                        raise OSError("closed by the server")
                    c.buf += data
                    n = response_done(c.buf)
                    if n < 0:
                        raise OSError("bad response %r" % c.buf[:40])
                    if n:
                        c.buf = c.buf[n:]
                        c.answered += 1
                        c.state = "idle"
                elif c.state == "idle" and ev & selectors.EVENT_READ:
                    data = c.sock.recv(65536)
                    raise OSError("closed by the server while idle" if not data else "unexpected data")
            except OSError as e:
                why = str(e.strerror or e)[:60]
                stats[why] = stats.get(why, 0) + 1
                c.state = "failed"
                try:
                    sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass
                c.sock.close()
            if until_done and was_pending and (c.state == "failed" or c.answered >= want):
                pending -= 1


def normal_client(addr, stop, results):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with socket.create_connection(addr, 2) as s:
                s.settimeout(2)
                s.sendall(b"GET /2k.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            results.append((data.startswith(b"HTTP/1.1 200"), time.monotonic() - t0))
        except OSError:
            results.append((False, time.monotonic() - t0))
        stop.wait(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    who = ap.add_mutually_exclusive_group()
    who.add_argument("--server", metavar="HOST:PORT", help="a running loopback server serving /2k.html")
    who.add_argument("--server-cmd", metavar="CMD",
                     help="start the server with CMD ({host}, {port}, {root} replaced)")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--worker-connections", type=int, help="nginx's limit (default conns * 9/8 + 64)")
    ap.add_argument("--conns", type=int, default=10000, help="connections to hold (default 10000)")
    ap.add_argument("--open-rate", type=float, default=2000.0, help="connections opened per second")
    ap.add_argument("--hold", type=float, default=5.0, help="seconds every connection stays idle (default 5)")
    ap.add_argument("--skip-missing", action="store_true", help="exit 77 when nginx is needed and missing")
    args = ap.parse_args()
    if not 1 <= args.conns <= 20000 or not 0 <= args.hold <= 120 or args.open_rate <= 0:
        ap.error("--conns 1..20000, --hold 0..120, --open-rate > 0")
    if args.skip_missing and not (args.server or args.server_cmd) and not os.access(args.nginx, os.X_OK):
        print(f"skipped: {args.nginx} not installed")
        return 77

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns + 64
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise SystemExit(f"need {need} file descriptors, hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    proc, work = None, None
    t_end = time.monotonic() + 300
    try:
        if args.server:
            host, _, port = args.server.rpartition(":")
            host = host.strip("[]") or "127.0.0.1"
            info = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
            if not ipaddress.ip_address(info[4][0]).is_loopback:
                raise SystemExit(f"{args.server} is not a loopback address; refusing")
            family, addr, name = info[0], info[4], args.server
        else:
            work = tempfile.mkdtemp(prefix="kahold.")
            family = socket.AF_INET
            if args.server_cmd:
                proc, port = start_cmd(args.server_cmd, work)
                name = f"{shlex.split(args.server_cmd)[0]} on port {port}"
            else:
                # nginx closes idle keep-alive connections once fewer than
                # 1/16 of worker_connections are free (ngx_drain_connections).
                wc = args.worker_connections or args.conns + args.conns // 8 + 64
                proc, port = start_nginx(args.nginx, work, wc)
                name = f"nginx (1 worker, worker_connections {wc}) on port {port}"
            addr = ("127.0.0.1", port)
        print(f"keepalive_hold: {name}")

        stop = threading.Event()
        normal = []
        nt = threading.Thread(target=normal_client, args=(addr, stop, normal), daemon=True)
        nt.start()

        sel = selectors.DefaultSelector()
        conns, fails = [], {}
        t0 = time.monotonic()
        for i in range(args.conns):
            # Pace the opening and serve what is ready in between.
            due = t0 + i / args.open_rate
            if time.monotonic() < due:
                drive(sel, conns, 1, due, fails, until_done=False)
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex(addr)
            if rc not in (0, errno.EINPROGRESS):
                fails[os.strerror(rc)] = fails.get(os.strerror(rc), 0) + 1
                s.close()
                continue
            c = Conn(s)
            conns.append(c)
            sel.register(s, selectors.EVENT_WRITE, c)
        drive(sel, conns, 1, min(t_end, time.monotonic() + 60), fails)
        first = sum(1 for c in conns if c.answered >= 1)
        t_open = time.monotonic() - t0
        print(f"  opened {len(conns)} of {args.conns} connections in {t_open:.1f} s; "
              f"{first} answered their first request")

        # Idle: only watch for closes.
        drive(sel, conns, 2, min(t_end, time.monotonic() + args.hold), fails)
        held = sum(1 for c in conns if c.state == "idle")
        print(f"  after {args.hold:g} s idle: {held} still open")

        t1 = time.monotonic()
        for c in conns:
            if c.state == "idle":
                c.state, c.out = "sending", REQ
                sel.modify(c.sock, selectors.EVENT_WRITE, c)
        drive(sel, conns, 2, min(t_end, time.monotonic() + 60), fails)
        second = sum(1 for c in conns if c.answered >= 2)
        print(f"  second request on the same connections: {second} of {args.conns} answered "
              f"in {time.monotonic() - t1:.1f} s")
        stop.set()
        nt.join(5)
        for c in conns:
            if c.state != "failed":
                c.sock.close()
        if fails:
            print("  failures: " + ", ".join(f"{v} {k}" for k, v in sorted(fails.items())))
        ok_n = sum(1 for ok, _ in normal if ok)
        lat = sorted(t for ok, t in normal if ok)
        if lat:
            print(f"  normal client (new connections, every 0.2 s): {ok_n}/{len(normal)} served, "
                  f"p50 {lat[len(lat) // 2] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
        else:
            print(f"  normal client: 0/{len(normal)} served")
        good = second == args.conns and normal and ok_n == len(normal)
        print(f"  verdict: {'held' if good else 'NOT held'} {args.conns} keep-alive connections")
        return 0 if good else 1
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
