#!/usr/bin/env python3
"""dnsd --repo and httpd --repo follow a Git repository through commits
while clients keep querying: every answer must come from exactly one commit.

Each commit k writes zones whose records name k (example.test: serial 100+k,
v CNAME tK, tK TXT "k=K serial=S"; other.test: serial 100+k, v TXT "k=K") and
a site whose pages name k (index.html, k.txt, big.txt of ~1 MB of "K" lines,
404.html, pages/pK.html, dK/index.html). Clients (a DNS client over UDP, two
HTTP clients, one of them reading a large body slowly) check every answer:
its parts agree on one k, k was a head of the branch, ETag is the git blob
id of the body, a 404 never comes from the commit that has the page, and on
one socket or connection the version never goes back until the branch is
reset. Then: a commit with a broken zone is not served by dnsd (the log
names the commit, file and line) while httpd takes its site; git gc packs
the repository under the servers; a commit of the site alone leaves dnsd's
zones as they are; the branch moves back (reset --hard).

usage: follow_e2e.py DNSD HTTPD     (exit 77: git missing)
"""
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import http.client

DNSD, HTTPD = sys.argv[1], sys.argv[2]
if not shutil.which("git"):
    print("SKIP: git not found")
    sys.exit(77)

failures = []
lock = threading.Lock()


def fail(msg):
    with lock:
        if len(failures) < 30:
            failures.append(msg)
    print("FAIL:", msg, flush=True)


tmp = tempfile.mkdtemp(prefix="follow-e2e-")
repo = os.path.join(tmp, "repo")
ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.test",
           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.test",
           GIT_CONFIG_NOSYSTEM="1", HOME=tmp)


def git(*args):
    return subprocess.run(["git", "-C", repo] + list(args), env=ENV, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.decode().strip()


BROKEN_LINE = 9


def write_version(k, broken=False, site_only=False):
    z = os.path.join(repo, "zones")
    s = os.path.join(repo, "site")
    for d in (s,) if site_only else (z, s):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    if not site_only:
        write_zones(z, k, broken)
    write_site(s, k)
    git("add", "-A")
    git("commit", "-q", "-m", "version %d%s" % (k, " (broken zone)" if broken else ""))
    return git("rev-parse", "HEAD")


def write_zones(z, k, broken):
    serial = 100 + k
    ex = ["$ORIGIN example.test.", "$TTL 60",
          "@ IN SOA ns1 hostmaster %d 3600 600 86400 60" % serial,
          "@ IN NS ns1", "ns1 IN A 127.0.0.1",
          "v IN CNAME t%d" % k,
          't%d IN TXT "k=%d serial=%d"' % (k, k, serial),
          "www IN A 192.0.2.%d" % k]
    if broken:
        ex.append("this is not a record")  # line BROKEN_LINE
    open(os.path.join(z, "example.test.zone"), "w").write("\n".join(ex) + "\n")
    open(os.path.join(z, "other.test.zone"), "w").write("\n".join([
        "$ORIGIN other.test.", "$TTL 60",
        "@ IN SOA ns1 hostmaster %d 3600 600 86400 60" % serial,
        "@ IN NS ns1", "ns1 IN A 127.0.0.1", 'v IN TXT "k=%d"' % k]) + "\n")
    open(os.path.join(z, "README"), "w").write("not a zone\n")


def write_site(s, k):
    open(os.path.join(s, "index.html"), "w").write("<p>commit %d</p>\n" % k)
    open(os.path.join(s, "k.txt"), "w").write("%d\n" % k)
    open(os.path.join(s, "big.txt"), "w").write(("%d\n" % k) * 300000)
    open(os.path.join(s, "404.html"), "w").write("404 of commit %d\n" % k)
    os.makedirs(os.path.join(s, "pages"))
    open(os.path.join(s, "pages", "p%d.html" % k), "w").write("page %d\n" % k)
    os.makedirs(os.path.join(s, "d%d" % k))
    open(os.path.join(s, "d%d" % k, "index.html"), "w").write("dir %d\n" % k)
    open(os.path.join(s, ".secret"), "w").write("hidden %d\n" % k)


def blob_id(body):
    return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()


def free_port():
    for _ in range(50):
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
            u.close()
            t.close()
    raise RuntimeError("no free port")


# ---- versions: what was a head of the branch, and when
heads_dns = set()   # versions whose zones load
heads_http = set()
reset_at = [None]   # seq number (per client) when the branch went back

# ---- a DNS client over UDP


def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"


def read_name(msg, off):
    labels = []
    jumped = False
    end = off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode().lower())
        off += n
    return ".".join(labels), (end if jumped else off)


def dns_query(sock, name, qtype):
    qid = random.randrange(65536)
    sock.send(struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + qname(name) + struct.pack(">HH", qtype, 1))
    while True:
        msg = sock.recv(4096)
        if struct.unpack(">H", msg[:2])[0] == qid:
            break
    _, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    rrs = []
    for _ in range(an + ns):
        owner, off = read_name(msg, off)
        t, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        if t == 5:
            val = read_name(msg, off)[0]
        elif t == 16:
            val = rd[1:1 + rd[0]].decode()
        elif t == 6:
            _, o2 = read_name(msg, off)
            _, o2 = read_name(msg, o2)
            val = struct.unpack(">I", msg[o2:o2 + 4])[0]
        else:
            val = rd
        rrs.append((owner, t, val))
        off += rdlen
    return flags & 15, rrs


dns_seen = []   # (seq, k) in order, on one socket: one worker
dns_last = [0]
stop = threading.Event()


def dns_client(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(2)
    seq = 0
    while not stop.is_set():
        seq += 1
        time.sleep(0.0003)  # thousands of queries a second, not a whole core
        try:
            which = seq % 3
            if which == 0:
                rc, rrs = dns_query(sock, "v.example.test", 16)
                cn = [v for o, t, v in rrs if t == 5 and o == "v.example.test"]
                tx = [(o, v) for o, t, v in rrs if t == 16]
                if rc != 0 or len(cn) != 1 or len(tx) != 1:
                    fail("dns: v.example.test TXT: rcode %d, records %r" % (rc, rrs))
                    continue
                k = int(cn[0].split(".")[0][1:])
                owner, txt = tx[0]
                if owner != cn[0] or txt != "k=%d serial=%d" % (k, 100 + k):
                    fail("dns: a mixed answer: CNAME %s, TXT %s %r" % (cn[0], owner, txt))
                    continue
            elif which == 1:
                rc, rrs = dns_query(sock, "v.other.test", 16)
                tx = [v for o, t, v in rrs if t == 16]
                if rc != 0 or len(tx) != 1:
                    fail("dns: v.other.test TXT: rcode %d, records %r" % (rc, rrs))
                    continue
                k = int(tx[0].split("=")[1])
            else:
                rc, rrs = dns_query(sock, "nx%d.example.test" % seq, 1)
                soa = [v for o, t, v in rrs if t == 6]
                if rc != 3 or len(soa) != 1:
                    fail("dns: nx: rcode %d, records %r" % (rc, rrs))
                    continue
                k = soa[0] - 100
        except socket.timeout:
            fail("dns: no answer in 2 s")
            continue
        with lock:
            if k not in heads_dns:
                fail("dns: version %d was never a head with good zones (%s)" % (k, sorted(heads_dns)))
            dns_seen.append((time.monotonic(), k))
            dns_last[0] = k


http_last = {}


def http_client(port, name, keepalive):
    conn = None
    seq = 0
    last = 0
    while not stop.is_set():
        seq += 1
        if conn is None or not keepalive:
            if conn:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        g = last + (seq % 2)
        path = ["/", "/k.txt", "/pages/p%d.html" % g, "/d%d" % g, "/.secret", "/d%d/" % g][seq % 6]
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            fail("http %s: %s: %s" % (name, path, e))
            conn = None
            continue
        etag = r.getheader("ETag")
        k = None
        if r.status == 200:
            if etag != '"%s"' % blob_id(body):
                fail("http %s: %s: ETag %s is not the blob id of the body %r" % (name, path, etag, body[:40]))
            text = body.decode()
            if path == "/":
                k = int(text.split("commit ")[1].split("<")[0])
            elif path == "/k.txt":
                k = int(text)
            elif path.startswith("/pages/"):
                k = int(text.split()[1])
                if k != g:
                    fail("http %s: %s answered %r" % (name, path, text))
            elif path.startswith("/d"):
                k = int(text.split()[1])
                if k != g:
                    fail("http %s: %s answered %r" % (name, path, text))
            else:
                fail("http %s: %s served: %r" % (name, path, text))
        elif r.status == 404:
            text = body.decode()
            if not text.startswith("404 of commit "):
                fail("http %s: %s: 404 without the site's page: %r" % (name, path, text))
                continue
            k = int(text.split()[3])
            if k == g and path != "/.secret":
                fail("http %s: %s: 404 from commit %d, which has it (a mix)" % (name, path, k))
        elif r.status == 301 and path == "/d%d" % g:
            if r.getheader("Location") != "/d%d/" % g:
                fail("http %s: %s: Location %s" % (name, path, r.getheader("Location")))
        else:
            fail("http %s: %s: status %d" % (name, path, r.status))
        if k is not None:
            with lock:
                if k not in heads_http:
                    fail("http %s: version %d was never a head (%s)" % (name, k, sorted(heads_http)))
                if keepalive and reset_at[0] is None and k < last:
                    fail("http %s: went back from %d to %d on one connection" % (name, last, k))
                last = k
                http_last[name] = k


big_checked = [0]


def big_reader(port):
    """Reads big.txt slowly: the body must be one version whatever commits
    land meanwhile."""
    while not stop.is_set():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET /big.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            time.sleep(0.01)
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        etag = [l.split(b": ", 1)[1].decode() for l in head.split(b"\r\n") if l.lower().startswith(b"etag:")]
        lines = set(body.split(b"\n")[:-1])
        if len(lines) != 1 or not etag or etag[0] != '"%s"' % blob_id(body):
            fail("http big: a body of %d bytes with %d different lines, ETag %s" % (len(body), len(lines), etag))
        else:
            with lock:
                big_checked[0] += 1


def wait_for(what, cond, secs=10):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        if cond():
            return True
        time.sleep(0.05)
    fail("timed out waiting for " + what)
    return False


def main():
    os.makedirs(repo)
    git("init", "-q", "-b", "main")
    commits = {}
    commits[1] = write_version(1)
    heads_dns.add(1)
    heads_http.add(1)
    # Refusals at start: exit 2 for bad flags, 1 for nothing to serve.
    bad = os.path.join(tmp, "bad")
    for name, files in (("dup", ("Example.test.zone", "example.test.zone")), ("name", ("a..b.zone",))):
        os.makedirs(os.path.join(bad, name, "zones"))
        for f in files:
            open(os.path.join(bad, name, "zones", f), "w").write(open(os.path.join(repo, "zones", "other.test.zone")).read())
        subprocess.run(["git", "-C", os.path.join(bad, name), "init", "-q", "-b", "main"], env=ENV, check=True)
        subprocess.run(["git", "-C", os.path.join(bad, name), "add", "-A"], env=ENV, check=True)
        subprocess.run(["git", "-C", os.path.join(bad, name), "commit", "-q", "-m", "bad"], env=ENV, check=True)
    for cmd, code, msg in (
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", os.path.join(bad, "dup")], 1, "also in zones/"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", os.path.join(bad, "name")], 1,
             "zones/a..b.zone: the file name is no domain name"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", repo, "--zone", "a=b"], 2, "exclude each other"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", repo, "--branch", "a..b"], 2, "not a branch name"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", repo, "--zones-dir", "../x"], 2, "--zones-dir"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", os.path.join(tmp, "none")], 1, "cannot open the repository"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", repo, "--branch", "nope"], 1, "refs/heads/nope"),
            ([DNSD, "--listen", "127.0.0.1:1", "--repo", repo, "--zones-dir", "site"], 1, "site/: no ORIGIN.zone file"),
            ([HTTPD, "--listen", "127.0.0.1:1", "--repo", repo, "--root", tmp], 2, "exclude each other"),
            ([HTTPD, "--listen", "127.0.0.1:1", "--repo", repo, "--subdir", "nope"], 1, "nope/: no such directory"),
            ([HTTPD, "--listen", "127.0.0.1:1", "--repo", repo, "--subdir", "site/index.html"], 1,
             "site/index.html/: not a directory")):
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        if r.returncode != code or msg.encode() not in r.stdout:
            fail("%s: exit %d, want %d with %r: %r" % (" ".join(cmd[1:]), r.returncode, code, msg, r.stdout))
    dport, hport = free_port(), free_port()
    dlog = open(os.path.join(tmp, "dnsd.log"), "w+")
    hlog = open(os.path.join(tmp, "httpd.log"), "w+")
    # dnsd follows on its timer; httpd (long poll) on SIGHUP.
    dnsd = subprocess.Popen([DNSD, "--listen", "127.0.0.1:%d" % dport, "--repo", repo, "--branch", "main",
                             "--poll", "300ms", "--workers", "2"], stdout=dlog, stderr=dlog)
    httpd = subprocess.Popen([HTTPD, "--listen", "127.0.0.1:%d" % hport, "--repo", repo, "--subdir", "site",
                              "--poll", "600", "--workers", "2", "--no-access-log"], stdout=hlog, stderr=hlog)
    try:
        for p, port, proto in ((dnsd, dport, socket.SOCK_DGRAM), (httpd, hport, socket.SOCK_STREAM)):
            def up():
                if proto == socket.SOCK_STREAM:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        return True
                    except OSError:
                        return False
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(0.2)
                s.connect(("127.0.0.1", port))
                try:
                    return dns_query(s, "v.other.test", 16)[0] == 0
                except OSError:
                    return False
                finally:
                    s.close()
            if not wait_for("a server to start", up):
                return
        threads = [threading.Thread(target=dns_client, args=(dport,)),
                   threading.Thread(target=http_client, args=(hport, "keepalive", True)),
                   threading.Thread(target=http_client, args=(hport, "close", False)),
                   threading.Thread(target=big_reader, args=(hport,))]
        for t in threads:
            t.start()

        def step(k, broken=False, site_only=False):
            with lock:
                if not broken and not site_only:
                    heads_dns.add(k)
                heads_http.add(k)
            commits[k] = write_version(k, broken, site_only)
            httpd.send_signal(signal.SIGHUP)
            wait_for("httpd to serve version %d" % k, lambda: min(http_last.values() or [0]) == k
                     and len(http_last) == 2)
            if not broken and not site_only:
                wait_for("dnsd to serve version %d" % k, lambda: dns_last[0] == k)

        for k in (2, 3, 4):
            step(k)
        # git gc packs everything and deletes the loose objects the servers
        # were reading: they must find them in the new pack.
        git("gc", "-q", "--prune=now")
        step(5)
        # A broken zone: httpd takes the site, dnsd keeps version 5.
        step(6, broken=True)
        time.sleep(1.2)   # four of dnsd's polls
        if dns_last[0] != 5:
            fail("dnsd serves version %d after the broken commit, not 5" % dns_last[0])
        dlog.flush()
        log = open(dlog.name).read()
        want = "commit %s not taken, commit %s keeps serving: zones/example.test.zone:%d" % (
            commits[6], commits[5], BROKEN_LINE)
        if want not in log:
            fail("dnsd's log lacks %r:\n%s" % (want, log))
        if log.count("commit %s not taken" % commits[6]) != 1:
            fail("dnsd logged the broken commit %d times, not once" % log.count(
                "commit %s not taken" % commits[6]))
        step(7)
        # A commit of the site alone: dnsd takes it without reloading.
        step(8, site_only=True)
        wait_for("dnsd to take the site-only commit", lambda: ("zones: zones/ unchanged" in open(dlog.name).read()
                 and "now serving commit %s" % commits[8] in open(dlog.name).read()))
        if dns_last[0] != 7:
            fail("dnsd serves version %d after a site-only commit, not 7" % dns_last[0])
        # The branch moves back.
        with lock:
            reset_at[0] = time.monotonic()
        git("reset", "-q", "--hard", commits[3])
        httpd.send_signal(signal.SIGHUP)
        wait_for("httpd to serve version 3 after the reset", lambda: set(http_last.values()) == {3})
        wait_for("dnsd to serve version 3 after the reset", lambda: dns_last[0] == 3)
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        # On one UDP socket (one worker), versions never go back before the
        # reset, across both zones: they move together.
        prev = 0
        for t, k in dns_seen:
            if reset_at[0] is not None and t >= reset_at[0]:
                break
            if k < prev:
                fail("dns: went back from version %d to %d (zones not switched together?)" % (prev, k))
                break
            prev = k
        if big_checked[0] < 2:
            fail("the slow reader finished only %d bodies" % big_checked[0])
        print("dns answers %d, slow big bodies %d, versions seen by dns %s" % (
            len(dns_seen), big_checked[0], sorted(set(k for _, k in dns_seen))))
    finally:
        stop.set()
        for p in (dnsd, httpd):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p, name in ((dnsd, "dnsd"), (httpd, "httpd")):
            try:
                rc = p.wait(10)
                if rc != 0:
                    fail("%s exited with %d" % (name, rc))
            except subprocess.TimeoutExpired:
                p.kill()
                fail(name + " did not stop on SIGTERM")
    if failures:
        for name in ("dnsd.log", "httpd.log"):
            print("---- " + name)
            print(open(os.path.join(tmp, name)).read()[-6000:])


main()
if failures:
    print("%d failure(s); repository and logs kept in %s" % (len(failures), tmp))
    sys.exit(1)
shutil.rmtree(tmp)
print("ok")
