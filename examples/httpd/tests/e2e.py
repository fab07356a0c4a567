#!/usr/bin/env python3
"""End to end: start httpd on a loopback port over a test tree and check it
with curl and raw sockets. Usage: e2e.py PATH/TO/httpd  (exit 0: all passed)."""

import gzip
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HTTPD = sys.argv[1]
if not shutil.which("curl"):
    print("curl not found: skipped")
    sys.exit(77)
HOST = "127.0.0.1"
SECRET = b"SECRET-OUTSIDE-THE-ROOT-51c2"
failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def raw(port, data, wait=0.3, pause=None, timeout=3.0):
    """Send data (bytes, or a list of bytes sent with pauses), read until
    the server closes or is silent for `wait` s. Returns (bytes, closed)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    parts = data if isinstance(data, list) else [data]
    for i, p in enumerate(parts):
        if i and pause:
            time.sleep(pause)
        s.sendall(p)
    out = b""
    closed = False
    s.settimeout(wait)
    end = time.time() + timeout
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not b:
            closed = True
            break
        out += b
    s.close()
    return out, closed


def responses(buf, head_only=()):
    """Split a byte stream into (status, headers dict, body) by Content-Length."""
    out = []
    i = 0
    n = 0
    while i < len(buf):
        j = buf.find(b"\r\n\r\n", i)
        if j < 0:
            break
        lines = buf[i:j].split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(b":", 1)
            hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
        i = j + 4
        blen = 0 if (n in head_only or status in (204, 304) or status < 200) else int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, buf[i:i + blen]))
        i += blen
        n += 1
    return out


def get(port, target, extra=b"", method=b"GET", version=b"HTTP/1.1"):
    req = method + b" " + target + b" " + version + b"\r\nHost: t\r\n" + extra + b"Connection: close\r\n\r\n"
    data, _ = raw(port, req)
    r = responses(data, head_only=(0,) if method == b"HEAD" else ())
    return r[0] if r else (0, {}, b"")


def curl(*args):
    return subprocess.run(["curl", "-s", "--max-time", "10"] + list(args), capture_output=True)


# ------------------------------------------------------------------ tree
base = tempfile.mkdtemp(prefix="httpd-e2e-")
root = os.path.join(base, "root")
os.makedirs(os.path.join(root, "sub", "deeper"))
os.makedirs(os.path.join(root, "noindex"))
os.makedirs(os.path.join(root, ".git"))
with open(os.path.join(base, "secret.txt"), "wb") as f:
    f.write(SECRET)
files = {
    "index.html": b"<!doctype html><title>root</title>\n",
    "a.txt": b"0123456789abcdefghijklmnopqrstuvwxyz\n",
    "sub/index.html": b"<p>sub</p>\n",
    "sub/deeper/x.css": b"body{}\n" * 400,
    "404.html": b"<!doctype html><title>not here</title><p>custom 404\n",
    ".env": b"PASSWORD=" + SECRET + b"\n",
    ".git/config": SECRET,
    "sub/.hidden": SECRET,
    "pre.js": b"var x = 1;\n" * 300,
    "%2e.txt": b"percent-two-e\n",
    "space name.txt": b"spaced\n",
}
for k, v in files.items():
    with open(os.path.join(root, k), "wb") as f:
        f.write(v)
with open(os.path.join(root, "pre.js.gz"), "wb") as f:
    f.write(gzip.compress(files["pre.js"], mtime=0))
big = os.urandom(5 * 1024 * 1024 + 123)
with open(os.path.join(root, "big.bin"), "wb") as f:
    f.write(big)
# Larger than the in-memory limit (sent from the file) and than the 128 KiB
# a pipelined response's file bytes are copied in at a time.
mid = os.urandom(300 * 1024 + 7)
with open(os.path.join(root, "mid.bin"), "wb") as f:
    f.write(mid)
os.symlink("../secret.txt", os.path.join(root, "out-link.txt"))
os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "abs-link.txt"))
os.symlink("a.txt", os.path.join(root, "in-link.txt"))
os.symlink("..", os.path.join(root, "up"))
os.utime(os.path.join(root, "a.txt"), (1705305600, 1705305600))

port = free_port()
logpath = os.path.join(base, "access.log")
args = [HTTPD, "--listen", "%s:%d" % (HOST, port), "--root", root, "--workers", "2",
        "--access-log", logpath, "--max-requests", "5", "--header-timeout", "1",
        "--cache-valid", "0.2"]
proc = subprocess.Popen(args, stderr=subprocess.PIPE)
for _ in range(100):
    try:
        socket.create_connection((HOST, port), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.05)

try:
    # --- normal
    st, h, body = get(port, b"/a.txt")
    check(st == 200 and body == files["a.txt"], "GET /a.txt is 200 with the file")
    check(h.get("content-type") == "text/plain; charset=utf-8", "text type with charset")
    etag = h.get("etag", "")
    check(re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\.[0-9a-f]+"', etag) is not None, "strong ETag " + etag)
    check(h.get("last-modified") == "Mon, 15 Jan 2024 08:00:00 GMT", "Last-Modified from mtime")
    check("date" in h, "Date present")
    st, h, body = get(port, b"/")
    check(st == 200 and body == files["index.html"], "/ serves index.html")
    st, h, body = get(port, b"/sub/")
    check(st == 200 and body == files["sub/index.html"], "/sub/ serves sub/index.html")
    st, h, body = get(port, b"/space%20name.txt")
    check(st == 200 and body == b"spaced\n", "percent-decoded space")
    st, h, body = get(port, b"/%252e.txt")
    check(st == 200 and body == b"percent-two-e\n", "decoded once: %252e is the file '%2e.txt'")
    st, h, body = get(port, b"/in-link.txt")
    check(st == 200 and body == files["a.txt"], "symlink inside the root is followed")
    st, h, body = get(port, b"http://elsewhere/a.txt")
    check(st == 200 and body == files["a.txt"], "absolute-form target")

    # --- HEAD
    st, h, body = get(port, b"/a.txt", method=b"HEAD")
    check(st == 200 and h.get("content-length") == str(len(files["a.txt"])) and body == b"", "HEAD: length, no body")
    data, _ = raw(port, b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    rs = responses(data, head_only=(0,))
    check(len(rs) == 2 and rs[1][2] == files["a.txt"], "HEAD then GET on one connection: no body after HEAD")

    # --- conditional
    st, h, _ = get(port, b"/a.txt", b"If-None-Match: " + etag.encode() + b"\r\n")
    check(st == 304 and h.get("etag") == etag, "If-None-Match match: 304 with ETag")
    st, _, _ = get(port, b"/a.txt", b'If-None-Match: "nope", W/' + etag.encode() + b"\r\n")
    check(st == 304, "If-None-Match list with weak form: 304")
    st, _, _ = get(port, b"/a.txt", b"If-Modified-Since: Mon, 15 Jan 2024 08:00:00 GMT\r\n")
    check(st == 304, "If-Modified-Since equal: 304")
    st, _, _ = get(port, b"/a.txt", b"If-Modified-Since: Sun Jan 14 08:00:00 2024\r\n")
    check(st == 200, "If-Modified-Since earlier (asctime): 200")
    st, _, _ = get(port, b"/a.txt", b'If-Match: "other"\r\n')
    check(st == 412, "If-Match mismatch: 412")

    # --- ranges
    st, h, body = get(port, b"/a.txt", b"Range: bytes=0-9\r\n")
    check(st == 206 and body == b"0123456789" and h.get("content-range") == "bytes 0-9/37", "single range")
    st, h, body = get(port, b"/a.txt", b"Range: bytes=-4\r\n")
    check(st == 206 and body == b"xyz\n", "suffix range")
    st, h, body = get(port, b"/a.txt", b"Range: bytes=0-1,10-11\r\n")
    check(st == 206 and h.get("content-type", "").startswith("multipart/byteranges; boundary=")
          and b"01" in body and b"ab" in body, "multiple ranges: multipart/byteranges")
    st, h, _ = get(port, b"/a.txt", b"Range: bytes=100-200\r\n")
    check(st == 416 and h.get("content-range") == "bytes */37", "unsatisfiable range: 416")
    st, h, body = get(port, b"/a.txt", b'Range: bytes=0-3\r\nIf-Range: "stale"\r\n')
    check(st == 200 and body == files["a.txt"], "If-Range mismatch: whole file")
    st, h, body = get(port, b"/big.bin", b"Range: bytes=4000000-4000099\r\n")
    check(st == 206 and body == big[4000000:4000100], "range of a large (sendfile) file")

    # --- pipelined, keep-alive
    data, closed = raw(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"HEAD /sub/ HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = responses(data, head_only=(2,))
    check([r[0] for r in rs] == [200, 404, 200] and not closed, "three pipelined requests answered in order, kept open")
    # File-backed responses behind which others wait go out copied, the
    # last one with sendfile: every byte must be the file's, in order
    # (five requests: the connection's --max-requests).
    data, closed = raw(port, b"GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"HEAD /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=10-20,3000000-3200000\r\n\r\n"
                       b"GET /mid.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=100000-\r\n\r\n", wait=1.0)
    rs = responses(data, head_only=(2,))
    check([r[0] for r in rs] == [200, 200, 200, 206, 206]
          and rs[0][2] == mid and rs[1][2] == files["a.txt"]
          and rs[2][1].get("content-length") == str(len(mid))
          and big[10:21] in rs[3][2] and big[3000000:3200001] in rs[3][2]
          and rs[4][2] == mid[100000:],
          "pipelined large files (copied while others wait, then sendfile): byte for byte")
    data, closed = raw(port, b"GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n" * 3, wait=1.0)
    rs = responses(data)
    check([r[0] for r in rs] == [200] * 3 and all(r[2] == mid for r in rs) and not closed,
          "three pipelined GETs of a 300 KB file: byte for byte, kept open")
    data, closed = raw(port, [b"GET /a.txt HTTP/1.1\r\nHo", b"st: t\r\n", b"\r\n"], pause=0.1)
    check(responses(data) and responses(data)[0][0] == 200, "head split over three writes")

    # --- HTTP/1.0
    data, closed = raw(port, b"GET /a.txt HTTP/1.0\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 200") and closed, "HTTP/1.0 without keep-alive: 200 then close")
    data, closed = raw(port, b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                       b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    rs = responses(data)
    check(len(rs) == 2 and rs[0][1].get("connection", "").lower() == "keep-alive" and not closed, "HTTP/1.0 keep-alive")

    # --- max requests per connection (5)
    data, closed = raw(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n" * 7)
    rs = responses(data)
    check(len(rs) == 5 and rs[4][1].get("connection") == "close" and closed,
          "--max-requests 5: fifth response says close, then the connection closes")

    # --- traversal: each refused (400) or contained (404), never the secret
    trav = [b"/../secret.txt", b"/sub/../../secret.txt", b"/%2e%2e/secret.txt", b"/%2E%2E/secret.txt",
            b"/.%2e/secret.txt", b"/..%2fsecret.txt", b"/sub/..%2f..%2fsecret.txt", b"/..\\secret.txt",
            b"/%5c..%5csecret.txt", b"/%252e%252e/secret.txt", b"http://h/../secret.txt",
            b"/a.txt%00.html", b"/out-link.txt", b"/abs-link.txt", b"/up/secret.txt", b"/sub/%2e%2e/%2e%2e/secret.txt",
            b"/%c0%ae%c0%ae/secret.txt", b"/a%zz", b"/a%2", b"secret.txt", b"/.env", b"/.git/config",
            b"/sub/.hidden", b"/%2eenv", b"/sub/%2ehidden"]
    for t in trav:
        data, _ = raw(port, b"GET " + t + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        st = int(data.split()[1]) if data[:5] == b"HTTP/" else 0
        check(st in (400, 404) and SECRET not in data, "traversal %r: %d, no secret" % (t, st))
    data, _ = raw(port, b"GET /a\x00b HTTP/1.1\r\nHost: t\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 400"), "raw NUL in the target: 400")
    st, _, body = get(port, b"/.env")
    check(st == 404 and body == files["404.html"], "dotfile: 404 with the site's 404.html")
    st, _, _ = get(port, b"/noindex/")
    check(st == 404, "directory without index.html: 404")

    # --- redirect, 404.html
    st, h, _ = get(port, b"/sub")
    check(st == 301 and h.get("location") == "/sub/", "/sub redirects to /sub/")
    st, h, _ = get(port, b"/sub/deeper?x=1")
    check(st == 301 and h.get("location") == "/sub/deeper/?x=1", "redirect keeps the query")
    st, h, _ = get(port, b"/sub/deeper?" + b"x" * 8100)
    check(st in (301, 500), "redirect whose Location does not fit the output buffer: answered (%d)" % st)
    data, _ = raw(port, b"GET /sub/deeper?" + b"x" * 8100 + b" HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    check(len(responses(data)) == 2, "... and the connection goes on")
    st, h, body = get(port, b"/missing.html")
    check(st == 404 and body == files["404.html"] and h.get("content-type", "").startswith("text/html"), "miss: 404.html")
    st, h, body = get(port, b"/missing.html", method=b"HEAD")
    check(st == 404 and body == b"", "HEAD of a miss: no body")

    # --- methods
    st, h, _ = get(port, b"/a.txt", method=b"POST")
    check(st == 405 and "GET" in h.get("allow", ""), "POST: 405 with Allow")
    data, _ = raw(port, b"OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 204") and b"Allow: GET, HEAD, OPTIONS" in data, "OPTIONS *: 204 with Allow")

    # --- gzip: precompressed variant, and compressed once from the cache
    st, h, body = get(port, b"/pre.js", b"Accept-Encoding: gzip\r\n")
    check(st == 200 and h.get("content-encoding") == "gzip" and gzip.decompress(body) == files["pre.js"]
          and h.get("vary") == "Accept-Encoding", "pre.js.gz served for Accept-Encoding: gzip")
    st, h, body = get(port, b"/pre.js")
    check(st == 200 and "content-encoding" not in h and body == files["pre.js"] and h.get("vary") == "Accept-Encoding",
          "pre.js identity without Accept-Encoding, with Vary")
    st, h, body = get(port, b"/sub/deeper/x.css", b"Accept-Encoding: gzip\r\n")
    check(st == 200 and h.get("content-encoding") == "gzip" and gzip.decompress(body) == files["sub/deeper/x.css"]
          and h.get("etag", "").startswith("W/"), "x.css compressed on the fly once, weak ETag")
    st, h, body = get(port, b"/a.txt", b"Accept-Encoding: gzip\r\n")
    check(st == 200 and "content-encoding" not in h, "small file not compressed")

    # --- big file with curl, checksum
    r = curl("-o", os.path.join(base, "big.out"), "-w", "%{http_code}", "http://%s:%d/big.bin" % (HOST, port))
    with open(os.path.join(base, "big.out"), "rb") as f:
        got = f.read()
    check(r.stdout == b"200" and hashlib.sha256(got).digest() == hashlib.sha256(big).digest(),
          "curl fetches the 5 MiB file, SHA-256 matches")
    r = curl("-o", "/dev/null", "-w", "%{http_code}", "--compressed", "-H", "If-None-Match: " + etag,
             "http://%s:%d/a.txt" % (HOST, port))
    check(r.stdout == b"304", "curl conditional: 304")

    # --- header timeout (1 s): 408, close
    t0 = time.time()
    data, closed = raw(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\n", wait=3, timeout=4)
    check(data.startswith(b"HTTP/1.1 408") and closed and time.time() - t0 < 2.5, "slow head: 408 after the header timeout")

    # --- malformed: status and close
    data, closed = raw(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 400") and closed, "CL+TE: 400 and close")
    data, closed = raw(port, b"GET /a.txt HTTP/1.1\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 400") and closed, "HTTP/1.1 without Host: 400")

    # --- content changes are seen (cache revalidation)
    with open(os.path.join(root, "a.txt"), "wb") as f:
        f.write(b"changed\n")
    time.sleep(0.3)
    st, h, body = get(port, b"/a.txt")
    check(body == b"changed\n" and h.get("etag") != etag, "changed file served after --cache-valid")

    # --- access log: combined format
    time.sleep(0.4)
    with open(logpath, "rb") as f:
        log = f.read().decode("latin-1").splitlines()
    pat = re.compile(r'^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /sub/ HTTP/1\.1" 200 11 "-" "-"$')
    check(any(pat.match(l) for l in log), "access log: combined line for GET /sub/")
    check(any('"HEAD /a.txt HTTP/1.1" 200 0' in l for l in log), "access log: HEAD with 0 bytes")
    check(any('" 304 0 ' in l for l in log), "access log: 304")
    check(any('"GET /missing.html HTTP/1.1" 404 %d' % len(files["404.html"]) in l for l in log), "access log: 404 with its size")
    check(any(re.search(r'"GET /big.bin HTTP/1.1" 200 %d "-" "curl/' % len(big), l) for l in log), "access log: user agent")
    check(any('"-" 400 0' in l for l in log), "access log: malformed request logged as 400")
    check(any('"-" 408 0' in l for l in log), "access log: header timeout logged as 408")

    # --- SIGHUP: the log is reopened (rotation)
    os.rename(logpath, logpath + ".1")
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    get(port, b"/?after-hup")
    time.sleep(0.4)
    check(os.path.exists(logpath) and b"after-hup" in open(logpath, "rb").read(), "SIGHUP reopens the access log")

    # --- SIGTERM: clean exit
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -9
    check(rc == 0, "SIGTERM: exit 0 (got %s)" % rc)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()

# --- flags
r = subprocess.run([HTTPD, "--help"], capture_output=True)
check(r.returncode == 0 and b"--listen" in r.stdout, "--help")
bad = [
    ([], b"--listen ADDR:PORT is required"),
    (["--listen", "127.0.0.1:1"], b"--root DIR is required"),
    (["--listen", "nope", "--root", root], b"--listen: expected"),
    (["--listen", "127.0.0.1:99999", "--root", root], b"--listen: expected"),
    (["--listen", "127.0.0.1:1", "--root", root, "--workers", "0"], b"out of range"),
    (["--listen", "127.0.0.1:1", "--root", root, "--workers", "x"], b"whole number"),
    (["--listen", "127.0.0.1:1", "--root", root, "--workers"], b"needs a value"),
    (["--listen", "127.0.0.1:1", "--root", root, "--header-timeout", "-1"], b"expected seconds"),
    (["--listen", "127.0.0.1:1", "--root", root, "--frobnicate"], b"unknown option"),
    (["--listen", "127.0.0.1:1", "--root", root, "stray"], b"unexpected argument"),
    (["--listen", "127.0.0.1:1", "--root", os.path.join(base, "nope")], b"No such file"),
    (["--listen", "127.0.0.1:1", "--root", os.path.join(root, "a.txt")], b"Not a directory"),
]
for a, msg in bad:
    r = subprocess.run([HTTPD] + a, capture_output=True, timeout=5)
    check(r.returncode in (1, 2) and msg in r.stderr, "bad flags %s: %r" % (a, msg))
# a port already in use: a clear error, exit 1
s = socket.socket()
s.bind((HOST, 0))
s.listen()
r = subprocess.run([HTTPD, "--listen", "%s:%d" % (HOST, s.getsockname()[1]), "--root", root],
                   capture_output=True, timeout=5)
s.close()
check(r.returncode == 1 and b"cannot listen" in r.stderr, "port in use: 'cannot listen', exit 1")

subprocess.run(["rm", "-rf", base])
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
