#!/usr/bin/env python3
"""demo/check: scripts/demo.sh on the daemons of this build, in fresh state
directories, on free loopback ports.

1. `--check`: the whole walk-through, unattended (its own report says what
   passed); exit status 0.
2. The interactive run: it prints the walk-through for its ports, answers
   dig and curl, and a Ctrl-C (SIGINT to its process group, as a terminal
   sends it) stops both daemons and exits 0. The same with SIGTERM to the
   script alone.
3. A port held by another program: exit status 1, a message naming the
   port problem, and no daemon left behind.
4. A bad flag: exit status 2.

usage: test_demo.py DEMO_SH DNSD HTTPD
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

demo, dnsd, httpd = sys.argv[1:4]
for tool in ("dig", "curl", "git"):
    if not shutil.which(tool):
        print(f"skipped: {tool} is missing")
        sys.exit(77)

failures = []


def check(cond, what, detail=""):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("      " + detail.replace("\n", "\n      "))


def free_port():
    """A port free for TCP and UDP on 127.0.0.1 (the DNS port needs both)."""
    while True:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()


def children_of(pid):
    """Processes whose parent is pid (the daemons the script started)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    out.append((int(p), f.read().split(b"\0")[0].decode(errors="replace")))
        except OSError:
            pass
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def demo_cmd(state, http_port, dns_port, *extra):
    return ["bash", demo, "--no-build", "--state", state, "--http-port", str(http_port),
            "--dns-port", str(dns_port), "--dnsd", dnsd, "--httpd", httpd, *extra]


with tempfile.TemporaryDirectory() as tmp:
    # 1. The walk-through, unattended.
    hp, dp = free_port(), free_port()
    cmd = demo_cmd(os.path.join(tmp, "check"), hp, dp, "--check", "--fresh")
    print("$ " + " ".join(cmd), flush=True)
    try:
        r = subprocess.run(cmd, timeout=45)
        check(r.returncode == 0, f"demo.sh --check: exit status {r.returncode}")
    except subprocess.TimeoutExpired:
        check(False, "demo.sh --check: did not finish in 45 s")

    # 2. The interactive run, stopped as a terminal's Ctrl-C does, then by
    # SIGTERM to the script alone.
    for how in ("SIGINT to the process group", "SIGTERM to the script"):
        hp, dp = free_port(), free_port()
        out_path = os.path.join(tmp, "interactive.out")
        with open(out_path, "w") as out:
            p = subprocess.Popen(demo_cmd(os.path.join(tmp, "run"), hp, dp), stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        text = ""
        while time.monotonic() < deadline and p.poll() is None:
            with open(out_path) as f:
                text = f.read()
            if "Ctrl-C stops both servers" in text:
                break
            time.sleep(0.1)
        started = "Ctrl-C stops both servers" in text
        check(started, f"interactive ({how}): the walk-through is printed", text[-2000:])
        for line in (f"dig @127.0.0.1 -p {dp} www.example.test", f"curl http://127.0.0.1:{hp}/"):
            check(line in text, f"interactive: prints `{line}`")
        daemons = children_of(p.pid)
        names = sorted(os.path.basename(c) for _, c in daemons)
        check({"dnsd", "httpd"} <= set(names), f"interactive: dnsd and httpd run ({names})")
        if started:
            dig = subprocess.run(["dig", "+short", "@127.0.0.1", "-p", str(dp), "www.example.test", "A"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
            check(dig == "127.0.0.1", f"interactive: dig www.example.test A answers 127.0.0.1 ({dig!r})")
            page = subprocess.run(["curl", "-s", "--max-time", "5", f"http://127.0.0.1:{hp}/about.html"],
                                  capture_output=True, text=True).stdout
            check("About this demo" in page, "interactive: curl /about.html gives the about page")
        if how.startswith("SIGINT"):
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "none (killed after 15 s)"
        with open(out_path) as f:
            text = f.read()
        check(rc == 0, f"interactive ({how}): exit status {rc}", text[-1500:])
        check("httpd stopped (exit status 0)" in text and "dnsd stopped (exit status 0)" in text,
              f"interactive ({how}): both daemons stopped with exit status 0", text[-800:])
        left = [pid for pid, _ in daemons if alive(pid)]
        check(not left, f"interactive ({how}): no daemon left running {left}")
        for pid in left:
            os.kill(pid, signal.SIGKILL)

    # 3. The HTTP port held by someone else.
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    hp, dp = holder.getsockname()[1], free_port()
    r = subprocess.run(demo_cmd(os.path.join(tmp, "busy"), hp, dp), capture_output=True, text=True, timeout=30)
    holder.close()
    check(r.returncode == 1, f"port in use: exit status {r.returncode}", r.stderr[-800:])
    check("holds that port" in r.stderr, "port in use: says another program holds the port", r.stderr[-800:])

    # 4. A bad flag.
    r = subprocess.run(["bash", demo, "--no-such-flag"], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "--no-such-flag" in r.stderr, f"bad flag: exit status {r.returncode}, named")

if failures:
    print(f"demo test: {len(failures)} failed: " + "; ".join(failures))
    sys.exit(1)
print("demo test: all passed")
