#!/usr/bin/env python3
"""Describe a pack and its .idx v2 as a reader sees them, for tests:

    packinfo.py FILE.idx  ->  objects=N commit=.. tree=.. blob=.. tag=..
                              ofs_delta=.. ref_delta=.. large_offsets=N

Reads the idx fan-out, ids, CRCs and (64-bit) offsets, then the type bits of
each entry's header in the pack. Exits 1 if the idx is not v2 or the
object count of idx and pack disagree.
"""
import struct
import sys

TYPES = {1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "ofs_delta", 7: "ref_delta"}


def main():
    idx_path = sys.argv[1]
    idx = open(idx_path, "rb").read()
    pack = open(idx_path[:-4] + ".pack", "rb").read()
    if idx[:8] != b"\377tOc\0\0\0\2":
        sys.exit("not an idx v2")
    n = struct.unpack(">I", idx[8 + 255 * 4:8 + 256 * 4])[0]
    if pack[:4] != b"PACK" or struct.unpack(">I", pack[8:12])[0] != n:
        sys.exit("pack header does not match the idx")
    off32 = 8 + 256 * 4 + n * 20 + n * 4
    large = 8 + 256 * 4 + n * 28
    counts = {v: 0 for v in TYPES.values()}
    nlarge = 0
    for i in range(n):
        o = struct.unpack(">I", idx[off32 + 4 * i:off32 + 4 * i + 4])[0]
        if o & 0x80000000:
            j = o & 0x7fffffff
            o = struct.unpack(">Q", idx[large + 8 * j:large + 8 * j + 8])[0]
            nlarge += 1
        counts[TYPES[(pack[o] >> 4) & 7]] += 1
    print("objects=%d %s large_offsets=%d" % (
        n, " ".join("%s=%d" % kv for kv in counts.items()), nlarge))


if __name__ == "__main__":
    main()
