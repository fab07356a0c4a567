#!/usr/bin/env python3
"""Compare the answers of two authoritative DNS servers for the same zone.

The reference is Knot DNS (knotd), started here on 127.0.0.1 at a free high
port with its own configuration and state in a temporary directory. The
other server is one of:
  --other HOST:PORT        a server that is already running
  --other-nsd              NSD, started the same way as Knot
  --other-cmd 'CMD ...'    any command; {port}, {origin}, {zone} and {dir} are
                           replaced, e.g. for dnsd:
                           --other-cmd 'dnsd --listen 127.0.0.1:{port} --zone {origin}={zone}'
Every query of the query list goes to both; the tool compares the rcode
(extended rcode included), the flags AA TC RD RA AD CD, the echoed question
(byte for byte, so the 0x20 case is checked), EDNS presence, version and DO,
and the RRsets of the answer, authority and additional sections as
multisets (order within a section is ignored; a TTL that differs is its own
difference). Each difference is printed; differences listed in an --allow
file are reported as allowed and do not fail the run.

Query list, one query per line ('#' starts a comment):
    NAME TYPE [FLAG ...]
FLAG: tcp  do  noedns  rd  cd  bufsize=N  ednsver=N  opcode=N  class=IN|CH|N
By default a query goes over UDP with EDNS0 (buffer 1232), RD clear.

Allow file, one difference per line:
    FIELD QUERY-GLOB  # why
FIELD is one of rcode aa tc rd ra ad cd question edns edns-size answer
authority additional timeout (shell glob allowed); QUERY-GLOB is matched
against the query line as written (words joined by one space).

Exit status: 0 no unexpected difference, 1 unexpected differences, 2 usage or
setup error, 77 knotd (or nsd for --other-nsd) is not installed (a skip for
meson).

Standard library only: the DNS wire encoder and decoder are below.
"""

import argparse
import fnmatch
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TYPES = {
    'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'HINFO': 13, 'MX': 15,
    'TXT': 16, 'AAAA': 28, 'SRV': 33, 'NAPTR': 35, 'DNAME': 39, 'OPT': 41,
    'DS': 43, 'SSHFP': 44, 'RRSIG': 46, 'NSEC': 47, 'DNSKEY': 48, 'NSEC3': 50,
    'NSEC3PARAM': 51, 'TLSA': 52, 'SVCB': 64, 'HTTPS': 65, 'AXFR': 252,
    'ANY': 255, 'CAA': 257,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {'IN': 1, 'CH': 3, 'HS': 4, 'ANY': 255}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED',
          'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE']
FLAG_BITS = {'aa': 0x0400, 'tc': 0x0200, 'rd': 0x0100, 'ra': 0x0080,
             'ad': 0x0020, 'cd': 0x0010}


def type_name(t):
    return TYPE_NAMES.get(t, 'TYPE%d' % t)


def type_value(s):
    s = s.upper()
    if s in TYPES:
        return TYPES[s]
    if s.startswith('TYPE') and s[4:].isdigit():
        return int(s[4:])
    raise ValueError('unknown type %r' % s)


def rcode_name(r):
    if r == 16:
        return 'BADVERS'
    return RCODES[r] if r < len(RCODES) else 'RCODE%d' % r


# ---------------------------------------------------------------- encoding

def encode_name(name):
    """Wire form of a name given as text; case kept, '\\.' not supported."""
    out = bytearray()
    name = name.rstrip('.') if name != '.' else ''
    if name:
        for label in name.split('.'):
            raw = label.encode('ascii')
            if not 0 < len(raw) <= 63:
                raise ValueError('bad label in %r' % name)
            out.append(len(raw))
            out += raw
    out.append(0)
    if len(out) > 255:
        raise ValueError('name too long: %r' % name)
    return bytes(out)


def build_query(qid, name, qtype, qclass=1, rd=False, cd=False, edns=True,
                do=False, bufsize=1232, ednsver=0, opcode=0):
    flags = (opcode & 15) << 11
    if rd:
        flags |= FLAG_BITS['rd']
    if cd:
        flags |= FLAG_BITS['cd']
    msg = struct.pack('!HHHHHH', qid, flags, 1, 0, 0, 1 if edns else 0)
    msg += encode_name(name) + struct.pack('!HH', qtype, qclass)
    if edns:
        # RFC 6891 6.1.2: OPT owner is root, CLASS is the UDP payload size,
        # TTL holds extended rcode, version and the DO bit.
        ttl = (ednsver & 0xff) << 16 | (0x8000 if do else 0)
        msg += b'\x00' + struct.pack('!HHIH', 41, bufsize, ttl, 0)
    return msg


# ---------------------------------------------------------------- decoding

class FormErr(Exception):
    pass


class Cursor:
    """Bounded reader over a message; every read checks its length."""

    def __init__(self, data, off=0, end=None):
        self.data = data
        self.off = off
        self.end = len(data) if end is None else end

    def take(self, n):
        if n < 0 or self.off + n > self.end:
            raise FormErr('read of %d octets at %d past end %d' % (n, self.off, self.end))
        b = self.data[self.off:self.off + n]
        self.off += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack('!H', self.take(2))[0]

    def u32(self):
        return struct.unpack('!I', self.take(4))[0]

    def name(self):
        """A name, following compression pointers only strictly backwards
        (RFC 1035 4.1.4), so a loop cannot happen."""
        labels = []
        pos = self.off
        jumped = False
        total = 1
        limit = pos
        while True:
            if pos >= len(self.data) or (not jumped and pos >= self.end):
                raise FormErr('name runs past the end')
            ln = self.data[pos]
            if ln & 0xc0 == 0xc0:
                if pos + 1 >= len(self.data):
                    raise FormErr('truncated pointer')
                ptr = ((ln & 0x3f) << 8) | self.data[pos + 1]
                if ptr >= limit:
                    raise FormErr('compression pointer not backwards')
                if not jumped:
                    self.off = pos + 2
                    jumped = True
                limit = ptr
                pos = ptr
                continue
            if ln & 0xc0:
                raise FormErr('bad label type 0x%02x' % ln)
            if ln == 0:
                if not jumped:
                    self.off = pos + 1
                break
            label = self.data[pos + 1:pos + 1 + ln]
            if len(label) != ln:
                raise FormErr('truncated label')
            total += ln + 1
            if total > 255:
                raise FormErr('name longer than 255 octets')
            labels.append(label)
            pos += 1 + ln
        return labels


def name_text(labels):
    if not labels:
        return '.'
    out = []
    for lab in labels:
        s = ''
        for b in lab:
            c = chr(b)
            if c in '.\\"();@$ ':
                s += '\\' + c
            elif 33 <= b <= 126:
                s += c
            else:
                s += '\\%03d' % b
        out.append(s)
    return '.'.join(out) + '.'


def char_string(c):
    n = c.u8()
    raw = c.take(n)
    s = ''
    for b in raw:
        ch = chr(b)
        if ch in '"\\':
            s += '\\' + ch
        elif 32 <= b <= 126:
            s += ch
        else:
            s += '\\%03d' % b
    return '"' + s + '"'


def rdata_text(rtype, msg, off, rdlen):
    """Presentation form of RDATA, names lowercased (RFC 4034 6.2 canonical
    form for the types that carry names), so two servers that compress
    differently compare equal."""
    end = off + rdlen
    c = Cursor(msg, off, end)

    def nm():
        return name_text(c.name()).lower()

    try:
        if rtype == 1 and rdlen == 4:
            out = socket.inet_ntop(socket.AF_INET, c.take(4))
        elif rtype == 28 and rdlen == 16:
            out = socket.inet_ntop(socket.AF_INET6, c.take(16))
        elif rtype in (2, 5, 12, 39):
            out = nm()
        elif rtype == 6:
            out = '%s %s %d %d %d %d %d' % ((nm(), nm()) + struct.unpack('!5I', c.take(20)))
        elif rtype == 15:
            out = '%d %s' % (c.u16(), nm())
        elif rtype == 33:
            out = '%d %d %d %s' % (c.u16(), c.u16(), c.u16(), nm())
        elif rtype in (16, 13):
            parts = []
            while c.off < end:
                parts.append(char_string(c))
            out = ' '.join(parts)
        elif rtype == 257:
            flags = c.u8()
            tag = c.take(c.u8()).decode('ascii', 'replace')
            out = '%d %s "%s"' % (flags, tag, c.take(end - c.off).decode('ascii', 'replace'))
        elif rtype == 43:
            out = '%d %d %d %s' % (c.u16(), c.u8(), c.u8(), c.take(end - c.off).hex())
        elif rtype == 44:
            out = '%d %d %s' % (c.u8(), c.u8(), c.take(end - c.off).hex())
        else:
            out = '\\# %d %s' % (rdlen, c.take(rdlen).hex())
        if c.off != end:
            raise FormErr('RDATA has %d octets left over' % (end - c.off))
        return out
    except FormErr as e:
        return '\\# %d %s (undecodable: %s)' % (rdlen, msg[off:end].hex(), e)


def parse_msg(data):
    c = Cursor(data)
    qid, flags, qd, an, ns, ar = struct.unpack('!HHHHHH', c.take(12))
    m = {'id': qid, 'flags': flags, 'rcode': flags & 15, 'opcode': (flags >> 11) & 15,
         'qr': bool(flags & 0x8000), 'question': [], 'answer': [], 'authority': [],
         'additional': [], 'opt': None, 'size': len(data)}
    for _ in range(qd):
        start = c.off
        labels = c.name()
        qtype, qclass = c.u16(), c.u16()
        m['question'].append((name_text(labels), qtype, qclass, data[start:c.off]))
    for sec, count in (('answer', an), ('authority', ns), ('additional', ar)):
        for _ in range(count):
            owner = name_text(c.name())
            rtype, rclass, ttl, rdlen = c.u16(), c.u16(), c.u32(), c.u16()
            roff = c.off
            c.take(rdlen)
            if rtype == 41:
                if sec != 'additional' or m['opt'] is not None:
                    raise FormErr('OPT outside additional or twice')
                m['opt'] = {'udp': rclass, 'ext_rcode': ttl >> 24,
                            'version': (ttl >> 16) & 0xff, 'do': bool(ttl & 0x8000),
                            'options': data[roff:roff + rdlen].hex()}
                continue
            m[sec].append((owner.lower(), rtype, rclass, ttl,
                           rdata_text(rtype, data, roff, rdlen)))
    if m['opt'] is not None:
        m['rcode'] |= m['opt']['ext_rcode'] << 4
    return m


def rr_text(rr):
    owner, rtype, rclass, ttl, rdata = rr
    return '%s %d %s %s %s' % (owner, ttl, CLASS_NAMES.get(rclass, 'CLASS%d' % rclass),
                               type_name(rtype), rdata)


# ---------------------------------------------------------------- transport

def ask(addr, wire, tcp, timeout=2.0, tries=3):
    host, port = addr
    if tcp:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack('!H', len(wire)) + wire)
            buf = b''
            while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    raise ConnectionError('TCP connection closed mid-answer')
                buf += chunk
            return buf[2:2 + struct.unpack('!H', buf[:2])[0]]
    qid = wire[:2]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout / tries)
        for _ in range(tries):
            s.sendto(wire, (host, port))
            deadline = time.monotonic() + timeout / tries
            while time.monotonic() < deadline:
                try:
                    data, peer = s.recvfrom(65535)
                except socket.timeout:
                    break
                if peer[1] == port and data[:2] == qid:
                    return data
        raise TimeoutError('no answer from %s:%d' % (host, port))


def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError('no free port')


# ---------------------------------------------------------------- servers

def find_prog(name):
    return shutil.which(name) or shutil.which(name, path='/usr/sbin:/usr/local/sbin:/sbin')


class Server:
    """A server process started here, with its own directory, on loopback."""

    def __init__(self, label, argv, port, workdir, log):
        self.label = label
        self.port = port
        self.workdir = workdir
        self.logpath = log
        self.logf = open(log, 'wb')
        # Its own process group, so NSD's children go down with it.
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, origin, timeout=15.0):
        deadline = time.monotonic() + timeout
        wire = build_query(0x5151, origin, 6)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                m = parse_msg(ask(('127.0.0.1', self.port), wire, False, timeout=0.3, tries=1))
                if m['rcode'] == 0 and m['answer']:
                    return
            except (OSError, TimeoutError, FormErr):
                pass
            time.sleep(0.1)
        self.stop()
        with open(self.logpath, 'rb') as f:
            sys.stderr.write(f.read().decode('utf-8', 'replace'))
        raise RuntimeError('%s did not come up serving %s on port %d' % (self.label, origin, self.port))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Reap any straggler of the group (NSD's server children).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.logf.close()


def knot_config(d, port, origin, zone):
    return f'''server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "{d}/db"
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: {origin}
    file: "{zone}"
'''


def nsd_config(d, port, origin, zone, extra=()):
    extra_lines = ''.join('    %s\n' % x for x in extra)
    # minimal-responses: NSD otherwise adds the apex NS RRset and its glue to
    # every answer; Knot does not, and neither should the comparison.
    return f'''server:
    ip-address: 127.0.0.1@{port}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    verbosity: 1
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
{extra_lines}remote-control:
    control-enable: no
zone:
    name: {origin}
    zonefile: "{zone}"
'''


def start_knot(base, origin, zone):
    knotd = find_prog('knotd')
    d = os.path.join(base, 'knot')
    os.mkdir(d)
    port = free_port()
    with open(os.path.join(d, 'knot.conf'), 'w') as f:
        f.write(knot_config(d, port, origin, zone))
    return Server('knot', [knotd, '-c', os.path.join(d, 'knot.conf')], port, d,
                  os.path.join(d, 'log'))


def start_nsd(base, origin, zone, extra=()):
    nsd = find_prog('nsd')
    d = os.path.join(base, 'nsd')
    os.mkdir(d)
    port = free_port()
    with open(os.path.join(d, 'nsd.conf'), 'w') as f:
        f.write(nsd_config(d, port, origin, zone, extra))
    return Server('nsd', [nsd, '-d', '-c', os.path.join(d, 'nsd.conf')], port, d,
                  os.path.join(d, 'log'))


def start_cmd(base, origin, zone, cmd):
    d = os.path.join(base, 'other')
    os.mkdir(d)
    port = free_port()
    argv = [a.format(port=port, origin=origin.rstrip('.'), zone=zone, dir=d)
            for a in shlex.split(cmd)]
    return Server(os.path.basename(argv[0]), argv, port, d, os.path.join(d, 'log'))


# ---------------------------------------------------------------- comparing

class Query:
    def __init__(self, line, lineno):
        words = line.split()
        if len(words) < 2:
            raise ValueError('line %d: expected NAME TYPE [FLAG ...]' % lineno)
        self.key = ' '.join(words)
        self.name = words[0]
        self.qtype = type_value(words[1])
        self.qclass = 1
        self.tcp = False
        self.opts = {'rd': False, 'cd': False, 'edns': True, 'do': False,
                     'bufsize': 1232, 'ednsver': 0, 'opcode': 0}
        for w in words[2:]:
            k, _, v = w.partition('=')
            k = k.lower()
            if k == 'tcp':
                self.tcp = True
            elif k in ('do', 'rd', 'cd'):
                self.opts[k] = True
            elif k == 'noedns':
                self.opts['edns'] = False
            elif k in ('bufsize', 'ednsver', 'opcode') and v.isdigit():
                self.opts[k] = int(v)
            elif k == 'class':
                self.qclass = CLASSES[v.upper()] if v.upper() in CLASSES else int(v)
            else:
                raise ValueError('line %d: unknown flag %r' % (lineno, w))

    def wire(self, qid):
        return build_query(qid, self.name, self.qtype, self.qclass, **self.opts)


def load_queries(path):
    out = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if line:
                out.append(Query(line, i))
    return out


def load_allow(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for i, line in enumerate(f, 1):
            text, _, why = line.partition('#')
            words = text.split()
            if not words:
                continue
            if len(words) < 2:
                raise ValueError('%s:%d: expected FIELD QUERY-GLOB  # why' % (path, i))
            rules.append((words[0], ' '.join(words[1:]), why.strip(), '%s:%d' % (path, i)))
    return rules


def allowed(rules, field, key):
    for f, q, why, where in rules:
        if fnmatch.fnmatchcase(field, f) and fnmatch.fnmatch(key, q):
            return why or where
    return None


def compare(ref, oth, q):
    """List of (field, text) differences between two parsed answers."""
    diffs = []
    if ref['rcode'] != oth['rcode']:
        diffs.append(('rcode', '%s vs %s' % (rcode_name(ref['rcode']), rcode_name(oth['rcode']))))
    for f, bit in FLAG_BITS.items():
        a, b = bool(ref['flags'] & bit), bool(oth['flags'] & bit)
        if a != b:
            diffs.append((f, '%d vs %d' % (a, b)))
    rq = [x[3] for x in ref['question']]
    oq = [x[3] for x in oth['question']]
    if rq != oq:
        diffs.append(('question', '%s vs %s' % ([x[0] for x in ref['question']],
                                                [x[0] for x in oth['question']])))
    ro, oo = ref['opt'], oth['opt']
    if (ro is None) != (oo is None):
        diffs.append(('edns', 'OPT %s vs %s' % ('present' if ro else 'absent',
                                                 'present' if oo else 'absent')))
    elif ro and oo:
        for k in ('version', 'do'):
            if ro[k] != oo[k]:
                diffs.append(('edns', '%s %s vs %s' % (k, ro[k], oo[k])))
        if ro['udp'] != oo['udp']:
            diffs.append(('edns-size', 'udp payload %d vs %d' % (ro['udp'], oo['udp'])))
    for sec in ('answer', 'authority', 'additional'):
        a = {}
        b = {}
        for rr, d in ((x, a) for x in ref[sec]):
            d.setdefault((rr[0], rr[1], rr[2], rr[4]), []).append(rr[3])
        for rr, d in ((x, b) for x in oth[sec]):
            d.setdefault((rr[0], rr[1], rr[2], rr[4]), []).append(rr[3])
        lines = []
        for k in sorted(set(a) | set(b), key=lambda k: (k[0], k[1], k[3])):
            ta, tb = sorted(a.get(k, [])), sorted(b.get(k, []))
            if ta == tb:
                continue
            if len(ta) == len(tb):
                lines.append('ttl %s vs %s: %s' % (ta, tb, rr_text((k[0], k[1], k[2], 0, k[3]))[0:200]))
                continue
            extra_a = len(ta) - len(tb)
            for t in (ta if extra_a > 0 else tb)[:abs(extra_a)]:
                side = 'only reference' if extra_a > 0 else 'only other    '
                lines.append('%s: %s' % (side, rr_text((k[0], k[1], k[2], t, k[3]))))
        if lines:
            diffs.append((sec, '\n'.join(lines)))
    return diffs


def show(m):
    out = ['  %s flags=%s %s' % (rcode_name(m['rcode']),
                                ' '.join(f for f, b in FLAG_BITS.items() if m['flags'] & b),
                                'edns=%s' % (m['opt'] and '%d%s' % (m['opt']['udp'], ' do' if m['opt']['do'] else '')))]
    for sec in ('answer', 'authority', 'additional'):
        for rr in m[sec]:
            out.append('  %-10s %s' % (sec, rr_text(rr)))
    return '\n'.join(out)


def self_test():
    """Checks of the wire code on hand-made messages; returns 0 or 1."""
    fails = 0

    def check(what, ok):
        nonlocal fails
        if not ok:
            fails += 1
            print('self-test FAIL: %s' % what)

    q = build_query(0xabcd, 'WwW.Example.test', 1, do=True)
    m = parse_msg(q)
    check('query round trip', m['id'] == 0xabcd and m['question'][0][0] == 'WwW.Example.test.'
          and m['opt']['do'] and m['opt']['udp'] == 1232)
    hdr = struct.pack('!HHHHHH', 1, 0x8400, 1, 1, 0, 0)
    qsec = encode_name('a.example') + struct.pack('!HH', 1, 1)
    rr = b'\xc0\x0c' + struct.pack('!HHIH', 5, 1, 60, 4) + b'\x01b\xc0\x0e'
    m = parse_msg(hdr + qsec + rr)
    check('backward pointers', m['answer'][0][4] == 'b.example.' and m['answer'][0][0] == 'a.example.')
    for what, bad in (('pointer to itself', b'\xc0\x1b'), ('pointer forward', b'\xc0\x40'),
                      ('truncated rr', b'\xc0\x0c\x00\x01')):
        try:
            parse_msg(hdr + qsec + bad + struct.pack('!HHIH', 1, 1, 0, 4) + b'1234'
                      if what != 'truncated rr' else hdr + qsec + bad)
            check(what + ' rejected', False)
        except FormErr:
            pass
    ref = {'flags': 0x8400, 'rcode': 0, 'question': [], 'opt': None,
           'answer': [('a.', 1, 1, 60, '192.0.2.1'), ('a.', 1, 1, 60, '192.0.2.2')],
           'authority': [], 'additional': []}
    oth = dict(ref, answer=list(reversed(ref['answer'])))
    check('order ignored', compare(ref, oth, None) == [])
    oth = dict(ref, answer=[('a.', 1, 1, 30, '192.0.2.1'), ('a.', 1, 1, 60, '192.0.2.2')])
    check('ttl difference seen', [f for f, _ in compare(ref, oth, None)] == ['answer'])
    oth = dict(ref, flags=0x8000, rcode=3)
    check('rcode and aa seen', [f for f, _ in compare(ref, oth, None)] == ['rcode', 'aa'])
    print('self-test: %s' % ('ok' if not fails else '%d failed' % fails))
    return 1 if fails else 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n', 2)[2])
    ap.add_argument('--zone', required=True, help='zone file both servers serve')
    ap.add_argument('--origin', required=True, help='zone origin, e.g. example.test')
    ap.add_argument('--queries', required=True, help='query list file')
    ap.add_argument('--allow', help='file of allowed (deliberate) differences')
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--other', help='HOST:PORT of a running server')
    g.add_argument('--other-nsd', action='store_true', help='start NSD as the other server')
    g.add_argument('--other-cmd', help="start this command as the other server ({port} {origin} {zone} {dir})")
    ap.add_argument('--nsd-option', action='append', default=[], metavar='LINE',
                    help="extra line for NSD's server: clause, e.g. 'minimal-responses: no'")
    ap.add_argument('--show-all', action='store_true', help="print the reference's answer to every query")
    ap.add_argument('--reference', help='HOST:PORT of a running reference instead of starting Knot')
    ap.add_argument('-v', '--verbose', action='store_true', help='print both answers of every differing query')
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (logs, configs)')
    args = ap.parse_args()

    zone = os.path.abspath(args.zone)
    origin = args.origin.rstrip('.') + '.'
    try:
        queries = load_queries(args.queries)
        rules = load_allow(args.allow)
    except (OSError, ValueError, KeyError) as e:
        print('dnscompare: %s' % e, file=sys.stderr)
        return 2
    if not args.reference and not find_prog('knotd'):
        print('dnscompare: knotd not installed, skipping')
        return 77
    if args.other_nsd and not find_prog('nsd'):
        print('dnscompare: nsd not installed, skipping')
        return 77

    base = tempfile.mkdtemp(prefix='dnscompare-')
    servers = []
    try:
        if args.reference:
            h, _, p = args.reference.rpartition(':')
            ref_addr, ref_label = (h, int(p)), 'reference'
        else:
            s = start_knot(base, origin, zone)
            servers.append(s)
            ref_addr, ref_label = ('127.0.0.1', s.port), 'knot'
        if args.other:
            h, _, p = args.other.rpartition(':')
            oth_addr, oth_label = (h, int(p)), args.other
        else:
            s = start_nsd(base, origin, zone, args.nsd_option) if args.other_nsd else start_cmd(base, origin, zone, args.other_cmd)
            servers.append(s)
            oth_addr, oth_label = ('127.0.0.1', s.port), s.label
        for s in servers:
            s.wait_ready(origin)
        print('dnscompare: reference %s at %s:%d, other %s at %s:%d, %d queries' %
              (ref_label, ref_addr[0], ref_addr[1], oth_label, oth_addr[0], oth_addr[1], len(queries)))

        same = allowed_n = unexpected_n = 0
        for i, q in enumerate(queries):
            wire = q.wire(0x1000 + i)
            res = []
            for addr in (ref_addr, oth_addr):
                try:
                    res.append(parse_msg(ask(addr, wire, q.tcp)))
                except (OSError, TimeoutError, ConnectionError) as e:
                    res.append(str(e) or type(e).__name__)
                except FormErr as e:
                    res.append('unparsable answer: %s' % e)
            if isinstance(res[0], str) or isinstance(res[1], str):
                if isinstance(res[0], str) and isinstance(res[1], str):
                    diffs = []  # both silent (e.g. a query both drop)
                else:
                    diffs = [('timeout', '%s vs %s' % (res[0] if isinstance(res[0], str) else 'answered',
                                                         res[1] if isinstance(res[1], str) else 'answered'))]
            else:
                diffs = compare(res[0], res[1], q)
            if args.show_all and not isinstance(res[0], str):
                print('%s\n%s' % (q.key, show(res[0])))
            if not diffs:
                same += 1
                continue
            bad = [(f, t) for f, t in diffs if not allowed(rules, f, q.key)]
            print('%s %s' % ('DIFF' if bad else 'diff (allowed)', q.key))
            for f, t in diffs:
                why = allowed(rules, f, q.key)
                if why:
                    print('    %s [allowed: %s]:' % (f, why))
                else:
                    print('    %s:' % f)
                print('\n'.join('        ' + x for x in t.split('\n')))
            if args.verbose and not any(isinstance(r, str) for r in res):
                print('  %s:\n%s\n  %s:\n%s' % (ref_label, show(res[0]), oth_label, show(res[1])))
            if bad:
                unexpected_n += 1
            else:
                allowed_n += 1
        print('dnscompare: %d queries: %d identical, %d with allowed differences, %d with unexpected differences'
              % (len(queries), same, allowed_n, unexpected_n))
        return 1 if unexpected_n else 0
    except RuntimeError as e:
        print('dnscompare: %s' % e, file=sys.stderr)
        return 2
    finally:
        for s in servers:
            s.stop()
        if args.keep:
            print('dnscompare: kept %s' % base)
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
