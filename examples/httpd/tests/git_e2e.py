#!/usr/bin/env python3
"""httpd --repo over smart HTTP against the real git, on loopback: clone (v0
and v2) and fetch, push with the token (live at once, NOTIFY sent), every
refusal (wrong token 401, no token file 403, non-fast-forward, bad zone, bad
site tree) changing nothing, /_cloudlet/refresh, --no-git-serve, and pushes
killed on either side (client gone mid-pack, httpd SIGKILLed mid-push)
leaving `git fsck --full --strict` clean and the old commit serving.

usage: git_e2e.py HTTPD   (exit 77 when git is missing)
Each git command runs with GIT_TRACE_PACKET to a log printed on failure."""
import base64, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

HTTPD = sys.argv[1]
if not shutil.which('git'):
    print('git is missing: skipped')
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix='httpd-git-')
trace = os.path.join(tmp, 'trace.log')
procs = []
failed = []

ZONE = """$TTL 300
@	IN SOA ns1 admin 1 3600 600 86400 300
@	IN NS ns1
ns1	IN A 127.0.0.1
www	IN A 127.0.0.2
"""


def env(extra=None):
    e = dict(os.environ)
    e.update({'GIT_TERMINAL_PROMPT': '0', 'GIT_TRACE_PACKET': trace, 'GIT_AUTHOR_NAME': 't',
              'GIT_AUTHOR_EMAIL': 't@example.test', 'GIT_COMMITTER_NAME': 't',
              'GIT_COMMITTER_EMAIL': 't@example.test', 'GIT_CONFIG_NOSYSTEM': '1', 'HOME': tmp})
    if extra:
        e.update(extra)
    return e


def git(*args, cwd=None, check=True, extra=None):
    r = subprocess.run(['git'] + list(args), cwd=cwd, env=env(extra), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError('git %s failed (%d):\n%s' % (' '.join(args), r.returncode, r.stdout))
    return r


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(port, *flags, access_log=None):
    log = open(os.path.join(tmp, 'httpd-%d.log' % port), 'a')
    alog = ['--access-log', access_log] if access_log else ['--no-access-log']
    p = subprocess.Popen([HTTPD, '--listen', '127.0.0.1:%d' % port, '--repo', bare, '--subdir', 'site',
                          '--poll', '600'] + alog + list(flags), stdout=log, stderr=log)
    procs.append(p)
    for _ in range(200):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return p
        except OSError:
            if p.poll() is not None:
                raise AssertionError('httpd exited: %d' % p.returncode)
            time.sleep(0.02)
    raise AssertionError('httpd did not start')


def get(port, path, method='GET', auth=None):
    req = urllib.request.Request('http://127.0.0.1:%d%s' % (port, path), method=method)
    if auth:
        req.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def head_of():
    return git('rev-parse', 'refs/heads/main', cwd=bare).stdout.strip()


def fsck(path):
    git('fsck', '--full', '--strict', cwd=path)


def check(name, fn):
    try:
        open(trace, 'w').close()
        fn()
        print('ok   ' + name)
    except Exception as e:  # noqa: BLE001 - every failure is reported with the packet trace
        failed.append(name)
        print('FAIL ' + name + ': ' + str(e))
        try:
            print('---- GIT_TRACE_PACKET\n' + open(trace).read()[-6000:])
        except OSError:
            pass


def commit(work, msg, files=None, remove=None):
    for path in remove or []:
        git('rm', '-rq', path, cwd=work)
    for path, text in (files or {}).items():
        full = os.path.join(work, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)
    git('add', '-A', cwd=work)
    git('commit', '-qm', msg, cwd=work)
    return git('rev-parse', 'HEAD', cwd=work).stdout.strip()


# ---- a bare repository with a site and a zone
bare = os.path.join(tmp, 'site.git')
seed = os.path.join(tmp, 'seed')
git('init', '-q', '--bare', '-b', 'main', bare)
git('init', '-q', '-b', 'main', seed)
for k in range(20):  # history with deltas, packed by gc, refs in packed-refs
    commit(seed, 'c%d' % k, {'site/page.html': ''.join('line %d of %d\n' % (i, k) for i in range(400))})
commit(seed, 'first', {'site/index.html': 'one\n', 'zones/example.test.zone': ZONE})
git('push', '-q', bare, 'main', cwd=seed)
git('tag', '-a', '-m', 'a tag', 'v1', cwd=seed)
git('push', '-q', bare, 'v1', cwd=seed)
git('gc', '-q', '--aggressive', cwd=bare)
assert os.path.exists(os.path.join(bare, 'packed-refs'))
token = os.path.join(tmp, 'token')
with open(token, 'w') as f:
    f.write('s3cret-token\n')
notify = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
notify.bind(('127.0.0.1', 0))
notify.settimeout(3)
port = free_port()
access_log = os.path.join(tmp, 'access.log')
httpd = start(port, '--push-token-file', token, '--notify-dns', '127.0.0.1:%d' % notify.getsockname()[1],
              access_log=access_log)
url = 'http://127.0.0.1:%d/site.git' % port
push_url = 'http://anyone:s3cret-token@127.0.0.1:%d/site.git' % port
work = os.path.join(tmp, 'work')


def t_clone():
    for v in ('2', '0'):
        d = os.path.join(tmp, 'clone-v' + v)
        git('-c', 'protocol.version=' + v, 'clone', '-q', url, d)
        fsck(d)
        assert git('rev-parse', 'HEAD', cwd=d).stdout.strip() == head_of()
        if v == '2':
            assert 'version 2' in open(trace).read(), 'no protocol v2 in the trace'
    git('clone', '-q', url, work)


def pkt(line):
    return b'%04x' % (len(line) + 4) + line


def t_gzip_chunked():
    """What git sends for a large upload-pack request: the body gzipped, and
    chunked; here a v2 ls-refs by hand."""
    import gzip
    body = gzip.compress(pkt(b'command=ls-refs\n') + pkt(b'object-format=sha1\n') + b'0001' +
                         pkt(b'ref-prefix refs/heads/\n') + b'0000')
    chunks = b''.join(b'%x\r\n' % len(body[i:i + 7]) + body[i:i + 7] + b'\r\n' for i in range(0, len(body), 7))
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(b'POST /site.git/git-upload-pack HTTP/1.1\r\nHost: x\r\nGit-Protocol: version=2\r\n'
              b'Content-Type: application/x-git-upload-pack-request\r\nContent-Encoding: gzip\r\n'
              b'Transfer-Encoding: chunked\r\n\r\n' + chunks + b'0\r\n\r\n')
    data = b''
    while True:
        k = s.recv(65536)
        if not k:
            break
        data += k
    s.close()
    assert data.startswith(b'HTTP/1.1 200'), data[:200]
    assert (head_of() + ' refs/heads/main').encode() in data, data


def t_push():
    old = head_of()
    new = commit(work, 'two', {'site/index.html': 'two\n',
                               'zones/example.test.zone': ZONE.replace(' 1 3600', ' 2 3600')})
    git('push', '-q', push_url, 'main', cwd=work)
    st, body = get(port, '/index.html')
    assert st == 200 and body == b'two\n', 'after the push: %d %r' % (st, body)
    assert head_of() == new != old
    fsck(bare)
    msg, _ = notify.recvfrom(512)
    assert (msg[2] >> 3) & 15 == 4, 'not a NOTIFY'
    assert b'\x07example\x04test\x00' in msg, 'NOTIFY for another zone'
    # a push that leaves zones/ as it was sends none
    notify.settimeout(0.05)
    try:
        while True:
            notify.recvfrom(512)  # the retry of the first one
    except socket.timeout:
        pass
    commit(work, 'site only', {'site/index.html': 'two\n', 'site/more.html': 'more\n'})
    git('push', '-q', push_url, 'main', cwd=work)
    st, body = get(port, '/more.html')
    assert st == 200 and body == b'more\n', 'a second push within a second: %d %r' % (st, body)
    try:
        notify.recvfrom(512)
        raise AssertionError('NOTIFY after a push that left zones/ alone')
    except socket.timeout:
        pass
    notify.settimeout(3)


def t_fetch():
    d = os.path.join(tmp, 'clone-v2')
    for v in ('2', '0'):
        git('-c', 'protocol.version=' + v, 'fetch', '-q', 'origin', cwd=d)
        assert git('rev-parse', 'origin/main', cwd=d).stdout.strip() == head_of()
    fsck(d)
    # a pack added behind httpd's back (git pushing to the directory itself):
    # the upload-pack engines httpd keeps between requests take the packs again
    git('config', 'receive.unpackLimit', '1', cwd=bare)
    commit(work, 'pushed around httpd', {'site/around.html': 'around\n'})
    git('push', '-q', bare, 'main', cwd=work)
    git('config', '--unset', 'receive.unpackLimit', cwd=bare)
    git('fetch', '-q', 'origin', cwd=d)
    assert git('rev-parse', 'origin/main', cwd=d).stdout.strip() == head_of()
    fsck(d)


def refused(name, expect, url_=None, files=None, remove=None, force=False):
    before = head_of()
    git('reset', '-q', '--hard', before, cwd=work)
    commit(work, name, files, remove)
    args = ['push', url_ or push_url, 'main'] + (['--force'] if force else [])
    r = git(*args, cwd=work, check=False)
    assert r.returncode != 0, 'the push was accepted:\n' + r.stdout
    assert expect in r.stdout, 'expected %r in:\n%s' % (expect, r.stdout)
    assert head_of() == before, 'the branch moved'
    st, body = get(port, '/index.html')
    assert body == b'two\n', 'served %r' % body
    fsck(bare)
    git('reset', '-q', '--hard', before, cwd=work)


def t_wrong_token():
    refused('wrong token', 'Authentication failed', url_='http://x:nope@127.0.0.1:%d/site.git' % port,
            files={'site/index.html': 'bad\n'})
    refused('no credentials', 'terminal prompts disabled', url_=url, files={'site/index.html': 'bad\n'})
    req = urllib.request.Request(url + '/info/refs?service=git-receive-pack')
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError('receive-pack advertised without the token')
    except urllib.error.HTTPError as e:
        assert e.code == 401 and e.headers.get('WWW-Authenticate', '').startswith('Basic '), e.code


def t_bad_zone():
    refused('bad zone', '(zones/example.test.zone:6:8: expected an IPv4 address', files={'zones/example.test.zone': ZONE + 'x IN A nope\n'})


def t_bad_tree():
    refused('no site', 'site/: no such directory', remove=['site'])
    refused('site a file', 'site/: not a directory', remove=['site'], files={'site': 'a file\n'})


def t_non_ff():
    git('reset', '-q', '--hard', 'HEAD~1', cwd=work)
    r = git('push', '--force', push_url, 'main', cwd=work, check=False)
    assert r.returncode != 0 and 'non-fast-forward' in r.stdout, r.stdout
    git('reset', '-q', '--hard', head_of(), cwd=work)
    assert get(port, '/index.html')[1] == b'two\n'


def t_refresh():
    assert get(port, '/_cloudlet/refresh', 'POST')[0] == 401
    assert get(port, '/_cloudlet/refresh', 'POST', auth='x:wrong')[0] == 401
    # a commit put in place behind httpd's back serves on refresh, not on the 600 s poll
    other = os.path.join(tmp, 'other')
    git('clone', '-q', bare, other)
    commit(other, 'three', {'site/index.html': 'three\n'})
    git('push', '-q', 'origin', 'main', cwd=other)
    assert get(port, '/index.html')[1] == b'two\n'
    assert get(port, '/_cloudlet/refresh', 'POST', auth='x:s3cret-token')[0] == 204
    for _ in range(100):
        if get(port, '/index.html')[1] == b'three\n':
            break
        time.sleep(0.02)
    assert get(port, '/index.html')[1] == b'three\n'
    git('pull', '-q', 'origin', 'main', cwd=work)


def t_no_token_file():
    p2 = free_port()
    start(p2)
    r = git('push', 'http://x:s3cret-token@127.0.0.1:%d/site.git' % p2, 'main', cwd=work, check=False)
    assert r.returncode != 0 and '403' in r.stdout, r.stdout
    assert get(p2, '/site.git/info/refs?service=git-upload-pack')[0] == 200
    p3 = free_port()
    start(p3, '--no-git-serve', '--git-name', 'other')
    assert get(p3, '/other.git/info/refs?service=git-upload-pack')[0] == 404
    r = git('clone', '-q', 'http://127.0.0.1:%d/other.git' % p3, os.path.join(tmp, 'nope'), check=False)
    assert r.returncode != 0


def packs_in(path):
    return len([f for f in os.listdir(os.path.join(path, 'objects', 'pack')) if f.endswith('.pack')])


def t_many_pushes():
    # each accepted push stores a pack; past 16 the small ones are merged
    # (examples/gitfollow/repack.c) once the client has its answer
    first = packs_in(bare)
    for i in range(15):
        commit(work, 'push %d' % i, {'site/index.html': 'push %d\n' % i})
        git('push', '-q', push_url, 'main', cwd=work)
    st, body = get(port, '/index.html')
    assert st == 200 and body == b'push 14\n', (st, body)
    for _ in range(100):
        if packs_in(bare) <= 17:
            break
        time.sleep(0.05)
    n = packs_in(bare)
    assert n <= 17, '%d packs after 15 pushes (%d before)' % (n, first)
    assert 'packs merged into one' in open(os.path.join(tmp, 'httpd-%d.log' % port)).read(), 'no merge logged'
    fsck(bare)
    d = os.path.join(tmp, 'clone-after-merge')
    git('clone', '-q', url, d)
    fsck(d)
    assert git('rev-parse', 'HEAD', cwd=d).stdout.strip() == head_of()
    print('     (%d packs before, %d after 15 pushes)' % (first, n))


def t_access_log():
    # the Git requests leave the event loop for a thread of their own; they
    # are logged there, in the same combined format as the files
    lines = open(access_log).read().splitlines()
    def has(request, status):
        want = '"%s" %d ' % (request, status)
        return any(want in l and l.startswith('127.0.0.1 - - [') for l in lines)
    for request, status in (('GET /site.git/info/refs?service=git-upload-pack HTTP/1.1', 200),
                            ('POST /site.git/git-upload-pack HTTP/1.1', 200),
                            ('GET /site.git/info/refs?service=git-receive-pack HTTP/1.1', 401),
                            ('POST /site.git/git-receive-pack HTTP/1.1', 200),
                            ('POST /_cloudlet/refresh HTTP/1.1', 204),
                            ('GET /index.html HTTP/1.1', 200)):
        assert has(request, status), 'no "%s" %d in the access log:\n%s' % (request, status, '\n'.join(lines[-20:]))
    # a clone's pack is counted in the bytes
    sizes = [int(l.split('" ')[1].split()[1]) for l in lines if '"POST /site.git/git-upload-pack' in l]
    assert max(sizes) > 1000, sizes


def raw_push_start(p, pack_len):
    """A push by hand: the command and the start of a pack of pack_len
    bytes that never completes."""
    old = head_of()
    line = ('%s %s refs/heads/main\0report-status side-band-64k' % (old, '1' * 40)).encode()
    body = b'%04x' % (len(line) + 4) + line + b'0000' + b'PACK\x00\x00\x00\x02\x00\x00\x00\x05'
    s = socket.create_connection(('127.0.0.1', p))
    auth = base64.b64encode(b'x:s3cret-token').decode()
    s.sendall(('POST /site.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n'
               'Content-Type: application/x-git-receive-pack-request\r\nContent-Length: %d\r\n\r\n'
               % (auth, len(body) + pack_len)).encode() + body + os.urandom(65536))
    return s


def t_client_gone():
    before, served = head_of(), get(port, '/index.html')[1]
    s = raw_push_start(port, 1 << 20)
    time.sleep(0.1)
    s.close()
    # and a real git push whose client is killed while it sends a large pack
    commit(work, 'big', {'site/big.bin': base64.b64encode(os.urandom(6 << 20)).decode()})
    # git push runs git-remote-http as a child: kill them all
    p = subprocess.Popen(['git', 'push', '-q', push_url, 'main'], cwd=work, env=env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(0.15)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(0.3)
    fsck(bare)
    h = head_of()
    print('     (the killed git push %s)' % ('changed nothing' if h == before else 'had landed whole'))
    if h == before:
        assert get(port, '/index.html')[1] == served
    git('reset', '-q', '--hard', h, cwd=work)
    assert get(port, '/index.html')[0] == 200


def t_server_killed():
    global httpd, port, push_url
    before, served = head_of(), get(port, '/index.html')[1]
    s = raw_push_start(port, 1 << 20)
    time.sleep(0.1)
    httpd.send_signal(signal.SIGKILL)
    httpd.wait()
    s.close()
    fsck(bare)
    assert head_of() == before, 'the branch moved'
    # real pushes, httpd killed at different moments: while the pack
    # arrives, while it is checked, while it is stored, after
    # how long such a push takes, whole
    port = free_port()
    push_url = 'http://anyone:s3cret-token@127.0.0.1:%d/site.git' % port
    httpd = start(port, '--push-token-file', token)
    git('reset', '-q', '--hard', head_of(), cwd=work)
    commit(work, 'big', {'site/big.bin': base64.b64encode(os.urandom(4 << 20)).decode()})
    t0 = time.monotonic()
    git('push', '-q', push_url, 'main', cwd=work)
    whole = time.monotonic() - t0
    httpd.terminate()
    httpd.wait()
    for i, delay in enumerate(whole * f for f in (0.3, 0.6, 0.8, 0.9, 0.97)):
        port = free_port()
        push_url = 'http://anyone:s3cret-token@127.0.0.1:%d/site.git' % port
        httpd = start(port, '--push-token-file', token)
        before, served = head_of(), get(port, '/index.html')[1]
        git('reset', '-q', '--hard', before, cwd=work)
        commit(work, 'big%d' % i, {'site/big%d.bin' % i: base64.b64encode(os.urandom(4 << 20)).decode(),
                                   'site/index.html': 'big %d\n' % i})
        p = subprocess.Popen(['git', 'push', '-q', push_url, 'main'], cwd=work, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        httpd.send_signal(signal.SIGKILL)
        httpd.wait()
        p.wait()
        fsck(bare)
        h = head_of()
        print('     (killed after %.2f s: the push %s)' % (delay, 'changed nothing' if h == before else 'had landed whole'))
        httpd = start(port, '--push-token-file', token)
        st, body = get(port, '/index.html')
        assert st == 200, st
        assert body == (served if h == before else b'big %d\n' % i), body


check('clone v2 and v0, fsck clean', t_clone)
check('upload-pack request gzipped and chunked', t_gzip_chunked)
check('push with the token: served at once, NOTIFY sent', t_push)
check('fetch v2 and v0', t_fetch)
check('wrong or missing token: 401, nothing changes', t_wrong_token)
check('bad zone refused with file:line', t_bad_zone)
check('bad site tree refused', t_bad_tree)
check('non-fast-forward refused', t_non_ff)
check('POST /_cloudlet/refresh', t_refresh)
check('no token file: 403; --no-git-serve: 404', t_no_token_file)
check('15 pushes: packs merged, fsck clean, clone of the result', t_many_pushes)
check('Git requests in the access log', t_access_log)
check('client gone mid-push: fsck clean, old commit serving', t_client_gone)
check('httpd SIGKILLed mid-push: fsck clean, old commit serving', t_server_killed)

for p in procs:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
for f in os.listdir(tmp):
    if f.startswith('httpd-'):
        text = open(os.path.join(tmp, f)).read()
        if 'Sanitizer' in text or 'runtime error' in text:
            failed.append('sanitizer report in ' + f)
if failed:
    for f in os.listdir(tmp):
        if f.startswith('httpd-'):
            print('---- ' + f + '\n' + open(os.path.join(tmp, f)).read()[-4000:])
    print('%d failed: %s' % (len(failed), ', '.join(failed)))
    sys.exit(1)
shutil.rmtree(tmp, ignore_errors=True)
