#!/usr/bin/env python3
"""Send the same raw HTTP/1.x requests to nginx and to a second server and
compare what comes back.

Both servers serve the same document root. Each case is a byte string (or a
few, with pauses between them) sent on its own TCP connection; the answers
are parsed here, not by an HTTP library, so nothing is normalised away:
status line, headers, message framing (Content-Length, chunked, close, or
none for HEAD/1xx/204/304), every response of a pipeline in order, and
whether the server closed the connection afterwards. Per case we compare:

  status   the sequence of status codes (interim 1xx included)
  framing  how each response was delimited
  conn     open / closed / reset after the last response
  body     for 2xx answers: length and SHA-256 (multipart/byteranges by part)
  headers  for 2xx/304 answers: media type, Last-Modified, Content-Range,
           and Content-Length of HEAD answers

Error bodies differ between servers by design and are not compared.

Deliberate differences are listed in an allow file (--allow FILE), one per
line:   CASE-GLOB  FIELDS  REGEX  reason...
A difference in one of FIELDS (comma list, or '*' for all) of a case matching
CASE-GLOB is allowed when what the second server did, summarised as
"STATUSES FRAMINGS CONN" (e.g. "400 length closed", "100 405 none length
open"), matches REGEX as a whole (so write no spaces in REGEX: '.', '\s').
Every other difference fails the run (exit 1). Any response that carries the contents of the file
placed outside the root fails the run too.

Then curl fetches a 5 MB file from each server and its SHA-256 must match.

Python standard library only; every server runs on 127.0.0.1, started here
(except --server) with its config, pid and logs in a temp dir.
"""

import argparse
import concurrent.futures
import fnmatch
import hashlib
import ipaddress
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
SECRET = b"SECRET-OUTSIDE-ROOT-7f3a"
MTIME = 1705305600  # Mon, 15 Jan 2024 08:00:00 GMT
LM = "Mon, 15 Jan 2024 08:00:00 GMT"
LM_850 = "Monday, 15-Jan-24 08:00:00 GMT"
LM_ASC = "Mon Jan 15 08:00:00 2024"
IDLE = 0.6      # seconds of silence after which a connection counts as open
FIRST_BYTE = 2.0  # seconds to wait for the first byte of an answer
CASE_MAX = 8.0  # seconds a case may take
READ_MAX = 16 << 20
IGNORE_CHARSET = False  # --ignore-charset


# ---------------------------------------------------------------- content

def payload(n, seed):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (seed, i)).hexdigest().encode() + b"\n"
        i += 1
    return bytes(out[:n])


def make_root(base):
    """The document root (base/root) and a secret next to it (base/secret.txt)."""
    root = os.path.join(base, "root")
    os.makedirs(os.path.join(root, "sub"), exist_ok=True)
    files = {
        "2k.html": payload(2048, b"2k"),
        "index.html": b"<!doctype html><title>index</title><p>root index\n",
        "sub/index.html": b"<!doctype html><title>sub</title><p>sub index\n",
        "sub/a.html": b"<!doctype html><title>a</title><p>a\n",
        ".hidden": b"dotfile\n",
        "big.bin": payload(5 << 20, b"big"),
    }
    for name, data in files.items():
        path = os.path.join(root, name)
        if not os.path.exists(path) or open(path, "rb").read() != data:
            with open(path, "wb") as f:
                f.write(data)
        os.chmod(path, 0o644)
        os.utime(path, (MTIME, MTIME))
    with open(os.path.join(base, "secret.txt"), "wb") as f:
        f.write(SECRET + b"\n")
    os.chmod(os.path.join(base, "secret.txt"), 0o644)
    for d in (base, root, os.path.join(root, "sub")):
        os.chmod(d, 0o755)
    return root, files


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, name, port, proc=None, workdir=None):
        self.name, self.port, self.proc, self.workdir = name, port, proc, workdir
        self.host = HOST
        self.etag = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_nginx(binary, root, work):
    d = os.path.join(work, "nginx")
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    port = free_port()
    # Debian's nginx.conf as far as it concerns a static site; access log off.
    conf = f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  server {{
    listen {HOST}:{port};
    root {root};
  }}
}}
"""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    out = open(os.path.join(d, "stdout.log"), "wb")
    proc = subprocess.Popen([binary, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                            stdout=out, stderr=subprocess.STDOUT)
    return Server("nginx", port, proc, d)


def start_h2o(binary, root, work):
    d = os.path.join(work, "h2o")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    user = ""
    if os.geteuid() == 0:
        # h2o drops to this user before it writes its pid file.
        shutil.chown(d, "nobody")
        user = "user: nobody\n"
    conf = f"""num-threads: 1
listen:
  host: {HOST}
  port: {port}
pid-file: {d}/h2o.pid
error-log: {d}/error.log
{user}hosts:
  default:
    paths:
      /:
        file.dir: {root}
"""
    with open(os.path.join(d, "h2o.conf"), "w") as f:
        f.write(conf)
    out = open(os.path.join(d, "stdout.log"), "wb")
    proc = subprocess.Popen([binary, "-m", "worker", "-c", d + "/h2o.conf"],
                            stdout=out, stderr=subprocess.STDOUT)
    return Server("h2o", port, proc, d)


def start_cmd(template, name, root, work):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    port = free_port()
    argv = [a.replace("{port}", str(port)).replace("{root}", root).replace("{host}", HOST)
            for a in shlex.split(template)]
    out = open(os.path.join(d, "stdout.log"), "wb")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, proc, d)


def wait_ready(srv, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if srv.proc and srv.proc.poll() is not None:
            raise SystemExit(f"{srv.name} exited at startup (rc {srv.proc.returncode}); "
                             f"logs in {srv.workdir}")
        try:
            with socket.create_connection((srv.host, srv.port), 0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{srv.name} not accepting on port {srv.port} after {timeout} s")


# ---------------------------------------------------------------- exchange

def exchange(addr, steps):
    """Send steps (bytes, or a float: seconds to wait while reading) on one
    connection; read until EOF, an error, IDLE seconds of silence or
    CASE_MAX. Returns (received bytes, 'closed'|'reset'|'open'|'timeout', note)."""
    data = bytearray()
    note = ""
    start = time.monotonic()
    try:
        s = socket.create_connection(addr, 3)
    except OSError as e:
        return bytes(data), "refused", str(e)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read_for(secs, until_idle, until_data=False):
        """Read for secs; with until_idle, stop after secs of silence; with
        until_data, as soon as something arrived."""
        deadline = time.monotonic() + secs
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or time.monotonic() - start > CASE_MAX:
                return "open" if until_idle else None
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return "open" if until_idle else None
            except ConnectionResetError:
                return "reset"
            except OSError as e:
                return "error " + e.__class__.__name__
            if not chunk:
                return "closed"
            data.extend(chunk)
            if len(data) > READ_MAX:
                return "toolong"
            if until_data:
                return None
            if until_idle:
                deadline = time.monotonic() + secs

    state = None
    try:
        for st in steps:
            if isinstance(st, (int, float)):
                state = read_for(st, False)
                if state:
                    break
                continue
            s.settimeout(3)
            try:
                s.sendall(st)
            except (BrokenPipeError, ConnectionResetError) as e:
                note = "send failed: " + e.__class__.__name__
                break
            except socket.timeout:
                note = "send timed out"
                break
        if not state:
            # A loaded machine may take a while to answer at all; after
            # the first bytes, IDLE seconds of silence mean "kept open".
            if not data:
                state = read_for(FIRST_BYTE, False, True)
            if not state:
                state = read_for(IDLE, True)
    finally:
        s.close()
    return bytes(data), state, note


class Resp:
    def __init__(self):
        self.status = None
        self.version = ""
        self.headers = []
        self.framing = ""
        self.body = b""
        self.problem = ""

    def h(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]


def parse_responses(data, methods, eof):
    """Split data into responses. methods[i] is the method of the i-th
    request (HEAD answers have no body); 1xx answers do not consume one."""
    out = []
    pos = 0
    idx = 0
    while pos < len(data):
        r = Resp()
        out.append(r)
        if not out[:-1] and not data.startswith(b"HTTP/"):
            # An HTTP/0.9 answer: the body alone, delimited by close.
            r.status, r.version, r.framing, r.body = 0, "HTTP/0.9", "close", data
            break
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            r.problem = "truncated head"
            r.body = data[pos:pos + 80]
            break
        lines = data[pos:end].split(b"\r\n")
        pos = end + 4
        m = re.fullmatch(rb"(HTTP/\d\.\d) (\d{3})(?: .*)?", lines[0])
        if not m:
            r.problem = "bad status line %r" % lines[0][:60]
            break
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        for ln in lines[1:]:
            k, sep, v = ln.partition(b":")
            if not sep:
                r.problem = "bad header line %r" % ln[:60]
                continue
            r.headers.append((k.decode("latin-1").strip().lower(), v.decode("latin-1").strip()))
        method = methods[idx] if idx < len(methods) else "GET"
        if 100 <= r.status < 200:
            r.framing = "none"
            continue
        idx += 1
        te = ",".join(r.h("transfer-encoding")).lower()
        cl = r.h("content-length")
        if method == "HEAD" or r.status in (204, 304):
            r.framing = "none"
        elif "chunked" in te:
            r.framing = "chunked"
            body = bytearray()
            while True:
                le = data.find(b"\r\n", pos)
                if le < 0:
                    r.problem = "truncated chunk size"
                    pos = len(data)
                    break
                size_s = data[pos:le].split(b";")[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    r.problem = "bad chunk size %r" % size_s[:20]
                    pos = len(data)
                    break
                pos = le + 2
                if size == 0:
                    # Trailer section up to the empty line.
                    te_end = data.find(b"\r\n", pos)
                    while te_end > pos:
                        pos = te_end + 2
                        te_end = data.find(b"\r\n", pos)
                    if te_end < 0:
                        r.problem = "truncated trailers"
                        pos = len(data)
                    else:
                        pos = te_end + 2
                    break
                if pos + size + 2 > len(data):
                    r.problem = "truncated chunk"
                    body += data[pos:]
                    pos = len(data)
                    break
                body += data[pos:pos + size]
                pos += size + 2
            r.body = bytes(body)
        elif cl:
            r.framing = "length"
            try:
                n = int(cl[0])
            except ValueError:
                r.problem = "bad content-length %r" % cl[0]
                break
            if len(set(cl)) > 1:
                r.problem = "conflicting content-length"
            r.body = data[pos:pos + n]
            if len(r.body) < n:
                r.problem = "truncated body (%d of %d)" % (len(r.body), n)
            pos += n
        else:
            r.framing = "close"
            r.body = data[pos:]
            pos = len(data)
            if not eof:
                r.problem = "close-delimited body but connection still open"
    return out


def multipart_parts(r):
    ct = ",".join(r.h("content-type"))
    m = re.search(r"boundary=\"?([^\";]+)\"?", ct)
    if not m:
        return None
    delim = b"--" + m.group(1).encode()
    parts = []
    for chunk in r.body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, body = chunk.partition(b"\r\n\r\n")
        cr = re.search(rb"(?i)content-range:\s*([^\r\n]*)", head)
        if body.endswith(b"\r\n"):
            body = body[:-2]
        parts.append("%s:%s" % (cr.group(1).decode() if cr else "?",
                                hashlib.sha256(body).hexdigest()[:10]))
    return parts


def summarize(data, state, note, methods):
    """The fields compared between servers, as strings."""
    eof = state in ("closed", "reset")
    rs = parse_responses(data, methods, eof)
    f = {}
    f["status"] = " ".join("0.9" if r.version == "HTTP/0.9" else str(r.status) if r.status else "?"
                           for r in rs) or "-"
    f["framing"] = " ".join(r.framing or "?" for r in rs) or "-"
    f["conn"] = state + (" (%s)" % note if note else "")
    bodies, heads = [], []
    for r in rs:
        if r.status and 200 <= r.status < 300 and r.framing != "none":
            ct = ",".join(r.h("content-type")).lower()
            if r.status == 206 and ct.startswith("multipart/byteranges"):
                bodies.append("parts[%s]" % " ".join(multipart_parts(r) or ["?"]))
            else:
                bodies.append("%d:%s" % (len(r.body), hashlib.sha256(r.body).hexdigest()[:10]))
        if r.status == 304:
            heads.append("etag=" + ("yes" if r.h("etag") else "no"))
        elif r.status and 200 <= r.status < 300:
            ct = ",".join(r.h("content-type")).lower().replace(" ", "")
            if r.status == 206 and ct.startswith("multipart/byteranges"):
                ct = "multipart/byteranges"
            if IGNORE_CHARSET and ct.endswith(";charset=utf-8"):
                ct = ct[:-len(";charset=utf-8")]
            hs = ["type=" + ct, "lm=" + ",".join(r.h("last-modified"))]
            if r.h("content-range"):
                hs.append("range=" + ",".join(r.h("content-range")))
            if r.framing == "none" and r.status != 304:
                hs.append("cl=" + ",".join(r.h("content-length")))
            heads.append(" ".join(hs))
    f["body"] = " | ".join(bodies) or "-"
    f["headers"] = " | ".join(heads) or "-"
    problems = [p for p in (r.problem for r in rs) if p]
    leak = SECRET in data
    return f, problems, leak


# ---------------------------------------------------------------- cases

def R(*lines):
    """Join header lines with CRLF and end the head."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def get(path="/2k.html", *extra, method="GET", version="HTTP/1.1"):
    return R(f"{method} {path} {version}", "Host: localhost", *extra)


def build_cases():
    """(id, group, steps, methods): steps are bytes (may hold {etag}) or
    pauses in seconds; methods are those of the pipelined requests."""
    C = []

    def add(cid, group, steps, methods=("GET",)):
        if isinstance(steps, (bytes, str)):
            steps = [steps]
        C.append((cid, group, [s.encode("latin-1") if isinstance(s, str) else s for s in steps],
                  list(methods)))

    # Normal requests.
    add("get", "normal", get())
    add("get-index", "normal", get("/"))
    add("get-subdir-index", "normal", get("/sub/"))
    add("get-dir-redirect", "normal", get("/sub"))
    add("get-missing", "normal", get("/missing.html"))
    add("head", "normal", get(method="HEAD"), ["HEAD"])
    add("get-query", "normal", get("/2k.html?a=1&b=%20"))
    add("get-absolute-form", "normal", R("GET http://localhost/2k.html HTTP/1.1", "Host: localhost"))
    add("get-absolute-form-other-host", "normal", R("GET http://other.example/2k.html HTTP/1.1", "Host: localhost"))
    add("get-dotfile", "normal", get("/.hidden"))
    add("get-dot-segment", "normal", get("/sub/./a.html"))
    add("get-dotdot-inside", "normal", get("/sub/../2k.html"))
    add("get-pct-normal", "normal", get("/%32k.html"))
    add("get-host-empty", "normal", R("GET /2k.html HTTP/1.1", "Host:"))
    add("get-host-port", "normal", R("GET /2k.html HTTP/1.1", "Host: localhost:80"))
    add("get-obs-text-value", "normal", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Name: caf\xc3\xa9"))
    add("get-leading-crlf", "normal", b"\r\n" + get())
    add("get-bare-lf", "normal", b"GET /2k.html HTTP/1.1\nHost: localhost\n\n")
    add("options", "normal", get(method="OPTIONS"))
    add("options-star", "normal", R("OPTIONS * HTTP/1.1", "Host: localhost"))
    add("post-static", "normal", R("POST /2k.html HTTP/1.1", "Host: localhost", "Content-Length: 5") + b"hello")
    add("delete-static", "normal", get(method="DELETE"))
    add("unknown-method", "normal", get(method="BREW"))
    add("get-with-body", "normal", R("GET /2k.html HTTP/1.1", "Host: localhost", "Content-Length: 5") + b"hello")

    # Conditional requests (RFC 9110 13).
    add("inm-match", "conditional", get("/2k.html", "If-None-Match: {etag}"))
    add("inm-list", "conditional", get("/2k.html", 'If-None-Match: "x", {etag}'))
    add("inm-weak", "conditional", get("/2k.html", "If-None-Match: W/{etag}"))
    add("inm-star", "conditional", get("/2k.html", "If-None-Match: *"))
    add("inm-nomatch", "conditional", get("/2k.html", 'If-None-Match: "nope"'))
    add("inm-head", "conditional", get("/2k.html", "If-None-Match: {etag}", method="HEAD"), ["HEAD"])
    add("ims-equal", "conditional", get("/2k.html", "If-Modified-Since: " + LM))
    add("ims-rfc850", "conditional", get("/2k.html", "If-Modified-Since: " + LM_850))
    add("ims-asctime", "conditional", get("/2k.html", "If-Modified-Since: " + LM_ASC))
    add("ims-newer", "conditional", get("/2k.html", "If-Modified-Since: Tue, 16 Jan 2024 00:00:00 GMT"))
    add("ims-older", "conditional", get("/2k.html", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"))
    add("ims-invalid", "conditional", get("/2k.html", "If-Modified-Since: yesterday"))
    add("inm-beats-ims", "conditional", get("/2k.html", 'If-None-Match: "nope"', "If-Modified-Since: " + LM))
    add("im-match", "conditional", get("/2k.html", "If-Match: {etag}"))
    add("im-mismatch", "conditional", get("/2k.html", 'If-Match: "nope"'))
    add("ius-older", "conditional", get("/2k.html", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"))
    add("ius-equal", "conditional", get("/2k.html", "If-Unmodified-Since: " + LM))
    add("304-keeps-conn", "conditional",
        get("/2k.html", "If-None-Match: {etag}") + get(), ["GET", "GET"])

    # Ranges (RFC 9110 14).
    add("range-first", "range", get("/2k.html", "Range: bytes=0-99"))
    add("range-suffix", "range", get("/2k.html", "Range: bytes=-100"))
    add("range-open", "range", get("/2k.html", "Range: bytes=2000-"))
    add("range-past-end", "range", get("/2k.html", "Range: bytes=2000-9999"))
    add("range-multi", "range", get("/2k.html", "Range: bytes=0-9,100-109"))
    add("range-multi-overlap", "range", get("/2k.html", "Range: bytes=0-99,50-149"))
    add("range-multi-partly-unsat", "range", get("/2k.html", "Range: bytes=0-9,5000-5010"))
    add("range-unsatisfiable", "range", get("/2k.html", "Range: bytes=4000-5000"))
    add("range-bad-unit", "range", get("/2k.html", "Range: items=0-9"))
    add("range-bad-syntax", "range", get("/2k.html", "Range: bytes=abc"))
    add("range-reversed", "range", get("/2k.html", "Range: bytes=100-9"))
    add("range-head", "range", get("/2k.html", "Range: bytes=0-99", method="HEAD"), ["HEAD"])
    add("if-range-etag", "range", get("/2k.html", "Range: bytes=0-99", "If-Range: {etag}"))
    add("if-range-etag-mismatch", "range", get("/2k.html", "Range: bytes=0-99", 'If-Range: "nope"'))
    add("if-range-weak", "range", get("/2k.html", "Range: bytes=0-99", "If-Range: W/{etag}"))
    add("if-range-date", "range", get("/2k.html", "Range: bytes=0-99", "If-Range: " + LM))
    add("if-range-date-mismatch", "range",
        get("/2k.html", "Range: bytes=0-99", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT"))

    # Pipelining (RFC 9112 9.3.2): answers strictly in order.
    add("pipeline-3", "pipeline", get() + get("/missing.html") + get(method="HEAD"), ["GET", "GET", "HEAD"])
    add("pipeline-10", "pipeline", get() * 10, ["GET"] * 10)
    add("pipeline-close", "pipeline",
        get() + get("/2k.html", "Connection: close") + get(), ["GET"] * 3)
    add("pipeline-after-post", "pipeline",
        R("POST /2k.html HTTP/1.1", "Host: localhost", "Content-Length: 5") + b"hello" + get(),
        ["POST", "GET"])
    add("split-head", "pipeline", [b"GET /2k.html HT", 0.2, b"TP/1.1\r\nHost: loc", 0.2, b"alhost\r\n\r\n"])

    # HTTP/1.0 and connection handling (RFC 9112 9.3).
    add("http10", "http10", R("GET /2k.html HTTP/1.0"))
    add("http10-host", "http10", R("GET /2k.html HTTP/1.0", "Host: localhost"))
    add("http10-keepalive", "http10", R("GET /2k.html HTTP/1.0", "Connection: keep-alive"))
    add("http10-keepalive-pipeline", "http10",
        R("GET /2k.html HTTP/1.0", "Connection: keep-alive") * 2, ["GET", "GET"])
    add("http10-head", "http10", R("HEAD /2k.html HTTP/1.0"), ["HEAD"])
    add("http09", "http10", b"GET /2k.html\r\n")
    add("http11-close", "http10", get("/2k.html", "Connection: close"))

    # Expect (RFC 9110 10.1.1).
    add("expect-100", "expect",
        [R("POST /2k.html HTTP/1.1", "Host: localhost", "Content-Length: 5", "Expect: 100-continue"),
         0.5, b"hello"], ["POST"])
    add("expect-100-put", "expect",
        [R("PUT /new.html HTTP/1.1", "Host: localhost", "Content-Length: 5", "Expect: 100-continue"),
         0.5, b"hello"], ["PUT"])
    add("expect-unknown", "expect", get("/2k.html", "Expect: bogus"))

    # Framing of request bodies (RFC 9112 6).
    body5 = b"5\r\nhello\r\n0\r\n\r\n"
    post = ("POST /2k.html HTTP/1.1", "Host: localhost")
    add("cl-te", "framing", R(*post, "Content-Length: 5", "Transfer-Encoding: chunked") + body5 + get(),
        ["POST", "GET"])
    add("te-cl", "framing", R(*post, "Transfer-Encoding: chunked", "Content-Length: 5") + body5 + get(),
        ["POST", "GET"])
    add("cl-dup-same", "framing", R(*post, "Content-Length: 5", "Content-Length: 5") + b"hello")
    add("cl-dup-diff", "framing", R(*post, "Content-Length: 5", "Content-Length: 6") + b"hello!")
    add("cl-list", "framing", R(*post, "Content-Length: 5, 5") + b"hello")
    add("cl-invalid", "framing", R(*post, "Content-Length: 5x") + b"hello")
    add("cl-negative", "framing", R(*post, "Content-Length: -1"))
    add("cl-plus", "framing", R(*post, "Content-Length: +5") + b"hello")
    add("cl-huge", "framing", R(*post, "Content-Length: 99999999999999999999999"))
    add("te-gzip", "framing", R(*post, "Transfer-Encoding: gzip") + b"hello")
    add("te-chunked-gzip", "framing", R(*post, "Transfer-Encoding: chunked, gzip") + body5)
    add("te-chunked-twice", "framing", R(*post, "Transfer-Encoding: chunked, chunked") + body5)
    add("te-http10", "framing",
        R("POST /2k.html HTTP/1.0", "Transfer-Encoding: chunked", "Connection: keep-alive") + body5)
    add("te-get", "framing", R("GET /2k.html HTTP/1.1", "Host: localhost", "Transfer-Encoding: chunked")
        + body5 + get(), ["GET", "GET"])
    add("chunk-ext", "framing", R(*post, "Transfer-Encoding: chunked") + b"5;a=b\r\nhello\r\n0\r\n\r\n" + get(),
        ["POST", "GET"])
    add("chunk-bad-size", "framing", R(*post, "Transfer-Encoding: chunked") + b"zz\r\nhello\r\n0\r\n\r\n")
    add("chunk-overflow", "framing",
        R(*post, "Transfer-Encoding: chunked") + b"fffffffffffffffff1\r\nhello\r\n0\r\n\r\n")
    add("chunk-missing-crlf", "framing", R(*post, "Transfer-Encoding: chunked") + b"5\r\nhelloX0\r\n\r\n")

    # Header syntax (RFC 9112 2, 5; RFC 9110 5).
    add("obs-fold", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo: a", " b"))
    add("ws-before-colon", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo : bar"))
    add("ws-before-colon-host", "syntax", R("GET /2k.html HTTP/1.1", "Host : localhost"))
    add("ws-before-first-header", "syntax", R("GET /2k.html HTTP/1.1", " X-Foo: bar", "Host: localhost"))
    add("bare-cr-value", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo: a\rb"))
    add("bare-cr-eol", "syntax", b"GET /2k.html HTTP/1.1\rHost: localhost\r\n\r\n")
    add("nul-value", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo: a\0b"))
    add("ctl-value", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo: a\x01b"))
    add("del-value", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo: a\x7fb"))
    add("bad-name-char", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X(Foo): bar"))
    add("empty-name", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", ": bar"))
    add("no-colon", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Foo bar"))
    add("missing-host", "syntax", R("GET /2k.html HTTP/1.1"))
    add("dup-host", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "Host: localhost"))
    add("dup-host-diff", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "Host: other.example"))
    add("host-invalid", "syntax", R("GET /2k.html HTTP/1.1", "Host: local host"))
    add("host-slash", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost/x"))
    add("version-bad", "syntax", get(version="HTTP/1.x"))
    add("version-lowercase", "syntax", get(version="http/1.1"))
    add("version-2", "syntax", get(version="HTTP/2.0"))
    add("version-3", "syntax", get(version="HTTP/3.0"))
    add("version-1-2", "syntax", get(version="HTTP/1.2"))
    add("version-two-digits", "syntax", get(version="HTTP/10.1"))
    add("version-short", "syntax", get(version="HTTP/1."))
    add("method-lowercase", "syntax", get(method="get"))
    add("method-bad-char", "syntax", get(method="G(T"))
    add("rl-double-space", "syntax", R("GET  /2k.html HTTP/1.1", "Host: localhost"))
    add("rl-tab", "syntax", R("GET\t/2k.html HTTP/1.1", "Host: localhost"))
    add("rl-trailing-space", "syntax", R("GET /2k.html HTTP/1.1 ", "Host: localhost"))
    add("rl-no-target", "syntax", R("GET HTTP/1.1", "Host: localhost"))
    add("target-star-get", "syntax", get("*"))
    add("target-fragment", "syntax", get("/2k.html#frag"))
    add("target-space", "syntax", get("/2k .html"))
    add("huge-header", "syntax", R("GET /2k.html HTTP/1.1", "Host: localhost", "X-Big: " + "a" * 65536))
    add("many-headers", "syntax",
        R("GET /2k.html HTTP/1.1", "Host: localhost", *["X-H%d: v" % i for i in range(300)]))
    add("long-url-7k", "syntax", get("/2k.html?q=" + "a" * 7000))
    add("long-url-16k", "syntax", get("/2k.html?q=" + "a" * 16384))
    add("long-url-100k", "syntax", get("/2k.html?q=" + "a" * 100000))

    # Paths that must not leave the root.
    add("trav-dotdot", "path", get("/../secret.txt"))
    add("trav-dotdot-deep", "path", get("/sub/../../secret.txt"))
    add("trav-pct-dots", "path", get("/%2e%2e/secret.txt"))
    add("trav-pct-dots-upper", "path", get("/%2E%2E/secret.txt"))
    add("trav-mixed-dots", "path", get("/.%2e/secret.txt"))
    add("trav-pct-slash", "path", get("/..%2fsecret.txt"))
    add("trav-sub-pct-slash", "path", get("/sub/..%2f..%2fsecret.txt"))
    add("trav-backslash", "path", get("/..\\secret.txt"))
    add("trav-pct-backslash", "path", get("/..%5csecret.txt"))
    add("trav-double-encoded", "path", get("/%252e%252e/secret.txt"))
    add("trav-absolute-form", "path", R("GET http://localhost/../secret.txt HTTP/1.1", "Host: localhost"))
    add("pct-slash", "path", get("/sub%2fa.html"))
    add("pct-nul", "path", get("/2k.html%00.txt"))
    add("raw-nul", "path", b"GET /2k.html\0.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
    add("pct-bad", "path", get("/%zz.html"))
    add("pct-truncated", "path", get("/2k.html%2"))
    add("no-leading-slash", "path", get("2k.html"))
    return C


# ---------------------------------------------------------------- compare

def load_allow(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) < 3:
                raise SystemExit(f"{path}:{n}: want CASE-GLOB FIELDS REGEX [reason]")
            fields = FIELDS if parts[1] == "*" else tuple(parts[1].split(","))
            for fld in fields:
                if fld not in FIELDS:
                    raise SystemExit(f"{path}:{n}: unknown field {fld!r} (one of {', '.join(FIELDS)} or *)")
            rules.append((parts[0], fields, re.compile(parts[2]), parts[3] if len(parts) > 3 else "",
                          f"{path}:{n}"))
    return rules


def allowed(rules, cid, field, other):
    """Why a difference in field is allowed, given what the second server
    did (its summary dict), or None."""
    for glob, fields, rx, reason, where in rules:
        if fnmatch.fnmatchcase(cid, glob) and field in fields and rx.fullmatch(brief(other)):
            return reason or where
    return None


def run_case(srv, case):
    cid, _group, steps, methods = case
    real = [s.replace(b"{etag}", (srv.etag or '"none"').encode()) if isinstance(s, bytes) else s
            for s in steps]
    data, state, note = exchange((srv.host, srv.port), real)
    return summarize(data, state, note, methods)


def fetch_etag(srv):
    data, state, _ = exchange((srv.host, srv.port), [get(method="HEAD")])
    rs = parse_responses(data, ["HEAD"], True)
    if rs and rs[0].h("etag"):
        srv.etag = rs[0].h("etag")[0]


def curl_check(srv, expect_sha, path="/big.bin"):
    curl = shutil.which("curl")
    if not curl:
        return "curl not found"
    p = subprocess.run([curl, "-sS", "--http1.1", "--max-time", "30", "-o", "-",
                        f"http://{srv.host}:{srv.port}{path}"], capture_output=True)
    if p.returncode != 0:
        return "curl failed: " + p.stderr.decode(errors="replace").strip()
    got = hashlib.sha256(p.stdout).hexdigest()
    if got != expect_sha:
        return f"sha256 {got[:16]} ({len(p.stdout)} bytes) != {expect_sha[:16]}"
    return None


FIELDS = ("status", "framing", "conn", "body", "headers")


def brief(f):
    return f"{f['status']} {f['framing']} {short(f['conn'], 30)}"


def short(v, n=58):
    return v if len(v) <= n else v[:n - 3] + "..."


def self_test():
    """The response reader on crafted answers, without any server."""
    def one(data, methods, eof=True):
        f, problems, _ = summarize(data, "closed" if eof else "open", "", methods)
        return f["status"], f["framing"], f["body"], problems

    ok = True

    def check(name, got, want):
        nonlocal ok
        if got != want:
            ok = False
            print(f"self-test {name}: got {got!r}, want {want!r}")

    h = hashlib.sha256
    check("length", one(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", ["GET"], False),
          ("200", "length", "5:" + h(b"hello").hexdigest()[:10], []))
    check("chunked+ext+trailer", one(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     b"3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n", ["GET"], False),
          ("200", "chunked", "5:" + h(b"hello").hexdigest()[:10], []))
    check("close", one(b"HTTP/1.0 200 OK\r\n\r\nhello", ["GET"]),
          ("200", "close", "5:" + h(b"hello").hexdigest()[:10], []))
    check("close-not-closed", one(b"HTTP/1.0 200 OK\r\n\r\nhello", ["GET"], False)[3],
          ["close-delimited body but connection still open"])
    check("head+1xx+304 pipeline",
          one(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
              b"HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n"
              b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", ["HEAD", "GET", "GET"], False),
          ("100 200 304 404", "none none none length", "-", []))
    check("truncated", one(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", ["GET"])[3],
          ["truncated body (3 of 9)"])
    mp = (b"HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=XX\r\n"
          b"Content-Length: 999\r\n\r\n")
    body = (b"\r\n--XX\r\nContent-Type: text/html\r\nContent-Range: bytes 0-1/10\r\n\r\nab"
            b"\r\n--XX\r\nContent-Range: bytes 5-5/10\r\n\r\nf\r\n--XX--\r\n")
    mp = mp.replace(b"999", str(len(body)).encode()) + body
    check("multipart", one(mp, ["GET"], False)[2],
          "parts[bytes 0-1/10:%s bytes 5-5/10:%s]" % (h(b"ab").hexdigest()[:10], h(b"f").hexdigest()[:10]))
    check("http09", one(b"<html>", ["GET"])[:2], ("0.9", "close"))
    check("cases", len({c[0] for c in build_cases()}), len(build_cases()))
    print("self-test " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx",
                    help="nginx binary (the reference; default: from PATH)")
    other = ap.add_mutually_exclusive_group()
    other.add_argument("--server", metavar="HOST:PORT",
                       help="compare with a server already running on HOST:PORT that serves --root")
    other.add_argument("--server-cmd", metavar="CMD",
                       help="start the second server with CMD ({port}, {root} and {host} are replaced), "
                            "e.g. 'httpd --listen {host}:{port} --root {root} --workers 1'")
    other.add_argument("--h2o", nargs="?", const=shutil.which("h2o") or "/usr/bin/h2o", metavar="PATH",
                       help="start h2o as the second server")
    ap.add_argument("--name", help="label of the second server (default: h2o, httpd or HOST:PORT)")
    ap.add_argument("--root", help="document root base dir to create/reuse (default: a temp dir); the "
                                   "root itself is ROOT/root, the file outside it ROOT/secret.txt")
    ap.add_argument("--allow", help="file of allowed differences (CASE-GLOB FIELD REGEX reason)")
    ap.add_argument("--only", help="run only cases whose id matches this glob")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case, not only differences")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    ap.add_argument("--ignore-charset", action="store_true",
                    help="compare media types without a ';charset=utf-8' parameter (httpd adds it to text types)")
    ap.add_argument("--skip-missing", action="store_true",
                    help="exit 77 (skipped, for meson test) when nginx or h2o is not installed")
    ap.add_argument("--self-test", action="store_true",
                    help="only check the response reader on crafted answers (alone on the command line)")
    args = ap.parse_args()
    global IGNORE_CHARSET
    IGNORE_CHARSET = args.ignore_charset
    for need in [args.nginx] + ([args.h2o] if args.h2o else []):
        if args.skip_missing and not os.access(need, os.X_OK):
            print(f"skipped: {need} not installed")
            return 77

    work = tempfile.mkdtemp(prefix="httpcompare.")
    os.chmod(work, 0o755)
    base = os.path.abspath(args.root) if args.root else os.path.join(work, "site")
    os.makedirs(base, exist_ok=True)
    root, files = make_root(base)
    rules = load_allow(args.allow)
    servers = []
    try:
        if not os.access(args.nginx, os.X_OK):
            raise SystemExit(f"nginx not found at {args.nginx} (apt-get install nginx-light)")
        servers.append(start_nginx(args.nginx, root, work))
        if args.h2o:
            servers.append(start_h2o(args.h2o, root, work))
        elif args.server_cmd:
            servers.append(start_cmd(args.server_cmd, args.name or "httpd", root, work))
        elif args.server:
            host, _, port = args.server.rpartition(":")
            host = host.strip("[]") or HOST
            if not ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0]).is_loopback:
                raise SystemExit(f"{args.server} is not a loopback address; refusing")
            servers.append(Server(args.name or args.server, int(port)))
            servers[-1].host = host
        if args.name and len(servers) > 1:
            servers[1].name = args.name
        for s in servers:
            wait_ready(s)
            fetch_etag(s)

        cases = [c for c in build_cases() if not args.only or fnmatch.fnmatchcase(c[0], args.only)]
        results = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
            futs = {pool.submit(run_case, s, c): (s.name, c[0]) for s in servers for c in cases}
            for fut in concurrent.futures.as_completed(futs):
                results[futs[fut]] = fut.result()

        failures = 0
        n_diff = n_allowed = 0
        a = servers[0]
        b = servers[1] if len(servers) > 1 else None
        print(f"# httpcompare: {a.name} (port {a.port})" + (f" vs {b.name} (port {b.port})" if b else ""))
        print(f"ETag of /2k.html: {a.name} {a.etag}" + (f", {b.name} {b.etag}" if b else ""))
        print()
        if b:
            print(f"| case | {a.name} | {b.name} | differs in | verdict |")
        else:
            print(f"| case | {a.name} | headers |")
        print("|---|---|---|---|---|" if b else "|---|---|---|")
        notes = []
        for cid, group, _steps, _m in cases:
            fa = results[(a.name, cid)][0]
            for srv in servers:
                _f, probs, leak = results[(srv.name, cid)]
                if leak:
                    notes.append(f"LEAK: {srv.name} served the file outside the root in case {cid}")
                    failures += 1
                for p in probs:
                    notes.append(f"note: {srv.name} {cid}: unparseable response: {p}")
            if not b:
                print(f"| {cid} | {brief(fa)} | {short(fa['headers'], 70)} |")
                continue
            fb = results[(b.name, cid)][0]
            differs = [f for f in FIELDS if fa[f] != fb[f]]
            if not differs:
                if args.verbose:
                    print(f"| {cid} | {brief(fa)} | same | | |")
                continue
            whys, bad = [], []
            for field in differs:
                why = allowed(rules, cid, field, fb)
                if why:
                    whys.append(why)
                else:
                    bad.append(field)
            detail = ", ".join(differs)
            for field in ("body", "headers"):
                if field in differs and fa["status"] == fb["status"]:
                    detail += f"<br>{field}: {short(fa[field], 50)} / {short(fb[field], 50)}"
            if bad:
                n_diff += 1
                failures += 1
                verdict = "**DIFF** (" + ", ".join(bad) + ")"
            else:
                n_allowed += 1
                verdict = "allowed: " + "; ".join(dict.fromkeys(whys))
            print(f"| {cid} | {brief(fa)} | {brief(fb)} | {detail} | {verdict} |")

        print()
        big_sha = hashlib.sha256(files["big.bin"]).hexdigest()
        for s in servers:
            err = curl_check(s, big_sha)
            if err:
                failures += 1
                print(f"curl {s.name} /big.bin (5 MiB): FAIL {err}")
            else:
                print(f"curl {s.name} /big.bin (5 MiB): sha256 {big_sha[:16]} ok")
        for n in notes:
            print(n)
        if b:
            print(f"\n{len(cases)} cases: {len(cases) - n_diff - n_allowed} same, {n_allowed} differ as allowed, "
                  f"{n_diff} differ unexplained.")
        if args.keep:
            print(f"kept {work}")
        return 1 if failures else 0
    finally:
        for s in servers:
            s.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
