#!/usr/bin/env python3
"""httpd --repo answers as httpd --root does on a checkout of the same tree:
the same status, Location, Content-Type and body for index.html, directory
redirects, 404.html, dotfiles, traversal attempts, symbolic links (inside,
outside, absolute, looping) and odd names. Only the validators differ (ETag
the blob id, no Last-Modified), and the directory source's gzip variants,
which the Git source does not make yet (no Accept-Encoding is sent here).

usage: compare_root.py HTTPD     (exit 77: git missing)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HTTPD = sys.argv[1]
if not shutil.which("git"):
    print("SKIP: git not found")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="compare-root-")
repo = os.path.join(tmp, "repo")
site = os.path.join(repo, "site")
ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.test",
           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.test",
           GIT_CONFIG_NOSYSTEM="1", HOME=tmp)


def write(path, data):
    full = os.path.join(site, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    open(full, "wb").write(data if isinstance(data, bytes) else data.encode())


os.makedirs(site)
write("index.html", "<p>root</p>\n")
write("a.txt", "A\n")
write("empty.txt", "")
write("404.html", "<p>not here</p>\n")
write("d/index.html", "dir d\n")
write("d/e/f.css", "body{}\n")
write("d/.x", "dotfile in d\n")
write(".hidden/x", "hidden\n")
write(".env", "SECRET=1\n")
write("e space.html", "space\n")
write("unicod\u00e9.txt", "utf8 name\n")
write("noindex/a.txt", "no index here\n")
write("x.sh", "#!/bin/sh\necho hi\n")
os.chmod(os.path.join(site, "x.sh"), 0o755)
write("big.bin", bytes(range(256)) * 400)
write("json.json", '{"a":1}\n')
write("text.txt", "".join("line %d of a compressible text\n" % i for i in range(300)))
write("d/page.html", "<p>" + "page " * 400 + "</p>\n")
write("pre.css", "p { color: red }\n" * 100)
import gzip as _gz
write("pre.css.gz", _gz.compress(b"precompressed\n"))
os.makedirs(os.path.join(repo, "outside"))
open(os.path.join(repo, "outside", "o.txt"), "w").write("outside the root\n")
for name, target in (("link-a", "a.txt"), ("link-d", "d"), ("sub/up", "../a.txt"), ("sub/deep/up2", "../../d/index.html"),
                     ("out", "../outside"), ("out-file", "../outside/o.txt"), ("abs", "/etc/passwd"),
                     ("loop", "loop"), ("dangling", "nothing"), ("link-css", "d/e/f.css"),
                     ("link-text.txt", "text.txt")):
    full = os.path.join(site, name)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.symlink(target, full)
subprocess.run(["git", "-C", repo, "init", "-q", "-b", "main"], env=ENV, check=True)
subprocess.run(["git", "-C", repo, "add", "-A"], env=ENV, check=True)
subprocess.run(["git", "-C", repo, "commit", "-q", "-m", "site"], env=ENV, check=True)

PATHS = ["/", "/index.html", "/a.txt", "/empty.txt", "/d", "/d/", "/d/index.html", "/d?x=1", "/d/?x=1",
         "/d/e", "/d/e/", "/d/e/f.css", "/nope", "/nope/", "/a.txt/", "/a.txt/x", "/.hidden", "/.hidden/x",
         "/.env", "/d/.x", "/%2e%2e/outside/o.txt", "/../a.txt", "/d/../a.txt", "/d/%2e%2e/a.txt",
         "/d/./index.html", "/link-a", "/link-d", "/link-d/", "/link-d/index.html", "/out", "/out/",
         "/out/o.txt", "/out-file", "/abs", "/loop", "/dangling", "/sub/up", "/sub/deep/up2", "/sub",
         "/sub/", "/link-css", "/x.sh", "/e%20space.html", "/unicod%C3%A9.txt", "/A.TXT", "/d//index.html",
         "//a.txt", "/a.txt?q=1", "/index.html%00", "/a%5c.txt", "/big.bin", "/json.json", "/noindex/",
         "/noindex", "/noindex/a.txt", "/%2fa.txt", "/d%2findex.html", "/text.txt", "/d/page.html",
         "/pre.css", "/pre.css.gz", "/link-text.txt"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fetch(port, path, method="GET", extra=""):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("%s %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n" % (method, path, extra)).encode())
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ")[1]
    hdr = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdr[k.strip().lower()] = v.strip()
    return status, hdr.get("location"), hdr.get("content-type"), hdr.get("content-length"), body, hdr


def main():
    procs = []
    failures = 0
    try:
        pr, pg = free_port(), free_port()
        for args in (["--root", site], ["--repo", repo, "--subdir", "site"]):
            port = pr if args[0] == "--root" else pg
            procs.append(subprocess.Popen([HTTPD, "--listen", "127.0.0.1:%d" % port, "--no-access-log", "--quiet"] + args))
        for port in (pr, pg):
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        for path in PATHS:
            for method, extra in (("GET", ""), ("HEAD", ""), ("GET", "Accept-Encoding: gzip\r\n")):
                a = fetch(pr, path, method, extra)
                b = fetch(pg, path, method, extra)
                for k in ("content-encoding", "vary"):
                    if a[5].get(k) != b[5].get(k):
                        failures += 1
                        print("DIFF %s %s %r: %s %r vs %r" % (method, path, extra, k, a[5].get(k), b[5].get(k)))
                if os.environ.get("SHOW"):
                    print(method, path, b[0], b[1], b[2], b[4][:20])
                if a[:5] != b[:5]:
                    failures += 1
                    print("DIFF %s %s\n  --root: %r\n  --repo: %r" % (method, path, a[:5], b[:5]))
                elif b[0] == "200" and not b[5].get("etag", "").startswith(
                        'W/"' if b[5].get("content-encoding") == "gzip" and path != "/pre.css" else '"'):
                    failures += 1
                    print("DIFF %s %s: --repo ETag %r" % (method, path, b[5].get("etag")))
        # The validators: ETag is the blob id; conditional and range
        # requests work on it.
        blob = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD:site/a.txt"], env=ENV, check=True,
                              stdout=subprocess.PIPE).stdout.decode().strip()
        for extra, want in (("", ("200", '"%s"' % blob, None)),
                            ('If-None-Match: "%s"\r\n' % blob, ("304", '"%s"' % blob, None)),
                            ('If-None-Match: "0000"\r\n', ("200", '"%s"' % blob, None)),
                            ('Range: bytes=1-\r\nIf-Range: "%s"\r\n' % blob, ("206", '"%s"' % blob, b"\n"))):
            r = fetch(pg, "/a.txt", "GET", extra)
            got = (r[0], r[5].get("etag"), r[4] if want[2] is not None else None)
            if got != want or "last-modified" in r[5]:
                failures += 1
                print("validators: %r: got %r (Last-Modified %r), want %r" % (extra, got, r[5].get("last-modified"), want))
    finally:
        for p in procs:
            p.terminate()
            if p.wait(10) != 0:
                failures += 1
                print("%s exited with %d" % (" ".join(p.args[3:]), p.returncode))
    print("%d paths, GET, HEAD and GET with gzip: %d differences" % (len(PATHS), failures))
    return failures


rc = main()
shutil.rmtree(tmp)
sys.exit(1 if rc else 0)
