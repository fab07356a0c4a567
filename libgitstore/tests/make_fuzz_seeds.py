#!/usr/bin/env python3
"""Write the seed corpora of libgitstore's fuzz harnesses (run from the repo root).

fuzz/corpus/gitstore_object: trees, commits, tags, idents, headers (first byte picks the parser)
fuzz/corpus/gitstore_pack:   small packs made by git (with deltas) without their trailer (the
                             harness appends it), and deltas (odd first byte)
fuzz/corpus/gitstore_idx:    the .idx files of those packs, one with 64-bit offsets
"""
import hashlib, os, subprocess, tempfile, zlib, struct

root = 'fuzz/corpus'
def put(target, name, data):
    d = os.path.join(root, 'gitstore_' + target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

h = bytes.fromhex
tree = (b'100644 foo.c\0' + h('ce013625030ba8dba906f756967f9e9ca394464a') +
        b'40000 foo\0' + h('4b825dc642cb6eb9a060e54bf8d69288fbee4904') +
        b'120000 link\0' + h('8d14cbf983b3fad683171c9418998d9f68340823') +
        b'160000 sub\0' + h('1111111111111111111111111111111111111111'))
put('object', 'tree', b'\x00' + tree)
put('object', 'tree-dotgit', b'\x00' + b'40000 .g\xe2\x80\x8cit\0' + b'\x11' * 20)
put('object', 'tree-dup', b'\x00' + b'100644 x\0' + b'\x11' * 20 + b'100644 x.1\0' + b'\x11' * 20 + b'40000 x\0' + b'\x11' * 20)
put('object', 'tree-gitmodules', b'\x00' + b'120000 GITMOD~1\0' + b'\x11' * 20)
put('object', 'tree-sha256', b'\x80' + b'100644 a\0' + b'\x22' * 32)
commit = (b'tree 82477e33442918c9a966a28d530b2eea316a2e3e\n'
          b'parent 1111111111111111111111111111111111111111\n'
          b'parent 2222222222222222222222222222222222222222\n'
          b'author A U Thor <a@example.org> 1700000000 +0100\n'
          b'committer C O Mitter <c@example.org> 1700000001 -0530\n'
          b'gpgsig -----BEGIN PGP SIGNATURE-----\n x\n -----END PGP SIGNATURE-----\n'
          b'\nMerge two\n')
put('object', 'commit', b'\x01' + commit)
put('object', 'commit-nul', b'\x01' + commit.replace(b'Mitter', b'Mi\0ter'))
tag = (b'object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\ntype commit\ntag v1.0\n'
       b'tagger T Agger <t@example.org> 1700000002 +0000\n\nRelease\n')
put('object', 'tag', b'\x02' + tag)
put('object', 'tag-old', b'\x02' + b'object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\ntype blob\ntag x\n')
for i, ident in enumerate([b'A <a@b> 1 +0000', b'A <a@b> 01 +0000', b'A <a@b>  +5 -1200',
                           b'A<a@b> 1 +0000', b'A <a@b> 99999999999999999999 +0000']):
    put('object', 'ident%d' % i, b'\x03' + ident)
put('object', 'header', b'\x04blob 12\0hello world\n')
put('object', 'header-bad', b'\x04blob 012\0')
put('object', 'check-tree', b'\x0d' + tree)

# packs and indexes made by git
env = dict(os.environ, HOME=tempfile.mkdtemp(), GIT_CONFIG_NOSYSTEM='1',
           GIT_AUTHOR_NAME='A', GIT_AUTHOR_EMAIL='a@b', GIT_COMMITTER_NAME='C', GIT_COMMITTER_EMAIL='c@d',
           GIT_AUTHOR_DATE='1700000000 +0000', GIT_COMMITTER_DATE='1700000000 +0000')
with tempfile.TemporaryDirectory() as t:
    def git(*a):
        return subprocess.run(['git', '-C', t] + list(a), env=env, check=True, capture_output=True).stdout
    git('init', '-q', '-b', 'main')
    text = ''.join('line %d of a file that changes a little each commit\n' % i for i in range(60))
    for i in range(4):
        text = text.replace('line %d ' % (i * 7), 'LINE %d ' % (i * 7))
        with open(os.path.join(t, 'f.txt'), 'w') as f:
            f.write(text)
        git('add', '-A')
        git('commit', '-qm', 'c%d' % i)
    git('tag', '-a', 'v1', '-m', 'tag')
    git('gc', '-q', '--aggressive')
    pd = os.path.join(t, '.git/objects/pack')
    for fn in sorted(os.listdir(pd)):
        data = open(os.path.join(pd, fn), 'rb').read()
        if fn.endswith('.pack'):
            put('pack', 'git-ofs-delta.pack', b'\x00' + data[:-20])
            # first byte 0x0e: through the storage ops' window, with a cache
            put('pack', 'window-git-ofs-delta.pack', b'\x0e' + data[:-20])
        if fn.endswith('.idx'):
            put('idx', 'git.idx', data)
    # the same objects with REF_DELTA bases (no ofs-delta)
    out = subprocess.run(['git', '-C', t, 'pack-objects', '--stdout', '--all', '--no-reuse-delta'],
                         env=env, check=True, capture_output=True, input=b'').stdout
    revs = git('rev-list', '--objects', '--all')
    ids = b'\n'.join(l.split(b' ')[0] for l in revs.splitlines()) + b'\n'
    ref = subprocess.run(['git', '-C', t, '-c', 'repack.useDeltaBaseOffset=false', 'pack-objects', '--stdout'],
                         env=env, check=True, capture_output=True, input=ids).stdout
    put('pack', 'git-ref-delta.pack', b'\x00' + ref[:-20])

def sha(b): return hashlib.sha1(b).digest()
def ofs(rel):
    out = [rel & 127]
    rel >>= 7
    while rel:
        rel -= 1
        out.insert(0, 128 | (rel & 127))
        rel >>= 7
    return bytes(out)
def pack(entries):
    body = b'PACK' + struct.pack('>II', 2, len(entries))
    for typ, size, extra, raw in entries:
        if typ == 6:
            extra = ofs(len(body) - 12)   # base: the first entry
        c = (typ << 4) | (size & 15); size >>= 4; hdr = b''
        while size:
            hdr += bytes([c | 0x80]); c = size & 0x7f; size >>= 7
        hdr += bytes([c])
        body += hdr + extra + zlib.compress(raw)
    return body
put('pack', 'one-blob.pack', b'\x00' + pack([(3, 6, b'', b'hello\n')]))
put('pack', 'lying-size.pack', b'\x00' + pack([(3, 5, b'', b'hello\n')]))
blob = b'The quick brown fox jumps over the lazy dog\n'
delta = bytes([44, 44, 0x90, 16, 0x03]) + b'cat' + bytes([0x91, 19, 25])
put('pack', 'ofs-delta.pack', b'\x00' + pack([(3, len(blob), b'', blob), (6, len(delta), b'', delta)]))
bid = sha(b'blob %d\0' % len(blob) + blob)
put('pack', 'ref-delta.pack', b'\x00' + pack([(7, len(delta), bid, delta), (3, len(blob), b'', blob)]))
put('pack', 'window-ref-delta.pack', b'\x0e' + pack([(7, len(delta), bid, delta), (3, len(blob), b'', blob)]))
put('pack', 'cycle.pack', b'\x00' + pack([(7, 4, b'\xaa' * 20, b'\x01\x01\x01x'), (7, 4, b'\xbb' * 20, b'\x01\x01\x01x')]))
put('pack', 'delta-copy-insert', b'\x01' + bytes([72, 12, 0x91, 10, 4, 0x03]) + b'abc' + bytes([0xb0, 0x05, 0x00]))
put('pack', 'delta-size0', b'\x01' + bytes([72, 0x80, 0x80, 0x04, 0x80]))
put('pack', 'delta-bomb', b'\x01' + bytes([72, 0x80, 0x80, 0x80, 0x80, 0x08, 0x91, 0, 1]))

# an .idx with 64-bit offsets, written by hand
ids = sorted([b'\x11' * 20, b'\x22' * 20, b'\x33' * 20])
offs = {ids[0]: 12, ids[1]: 0x80000000, ids[2]: 0x123456789}
fan = [sum(1 for i in ids if i[0] <= b) for b in range(256)]
body = b'\xfftOc' + struct.pack('>I', 2) + b''.join(struct.pack('>I', f) for f in fan) + b''.join(ids)
body += b''.join(struct.pack('>I', n) for n in (1, 2, 3))
big = []
for i in ids:
    o = offs[i]
    if o >= 0x80000000:
        body += struct.pack('>I', 0x80000000 | len(big)); big.append(o)
    else:
        body += struct.pack('>I', o)
body += b''.join(struct.pack('>Q', o) for o in big) + b'\x99' * 20
put('idx', 'offsets64.idx', body + sha(body))
put('idx', 'empty.idx', (lambda b: b + sha(b))(b'\xfftOc' + struct.pack('>I', 2) + b'\0' * 1024 + b'\x99' * 20))
