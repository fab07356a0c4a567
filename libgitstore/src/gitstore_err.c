/* Error names and the version string of libgitstore. */
#include <cloudlet/gitstore.h>

const char *gitstore_strerror(int err)
{
	switch (err) {
	case GITSTORE_OK: return "GITSTORE_OK: success";
	case GITSTORE_EAGAIN: return "GITSTORE_EAGAIN: need more input or would block";
	case GITSTORE_ENOMEM: return "GITSTORE_ENOMEM: buffer, table or arena full";
	case GITSTORE_EINVAL: return "GITSTORE_EINVAL: invalid argument";
	case GITSTORE_EIO: return "GITSTORE_EIO: I/O error";
	case GITSTORE_EEOF: return "GITSTORE_EEOF: peer closed the stream";
	case GITSTORE_ETIMEDOUT: return "GITSTORE_ETIMEDOUT: deadline passed";
	case GITSTORE_ENOENT: return "GITSTORE_ENOENT: no such object or file";
	case GITSTORE_EEXIST: return "GITSTORE_EEXIST: file already exists";
	case GITSTORE_EHEX: return "GITSTORE_EHEX: bad hexadecimal object id";
	case GITSTORE_ETOOBIG: return "GITSTORE_ETOOBIG: object larger than the caller's limit";
	case GITSTORE_EOBJ_HEADER: return "GITSTORE_EOBJ_HEADER: bad object header (type, size, NUL)";
	case GITSTORE_EOBJ_TYPE: return "GITSTORE_EOBJ_TYPE: unknown object type";
	case GITSTORE_EOBJ_SIZE: return "GITSTORE_EOBJ_SIZE: object size header disagrees with its content";
	case GITSTORE_EZLIB: return "GITSTORE_EZLIB: corrupt zlib stream";
	case GITSTORE_EZLIB_RATIO: return "GITSTORE_EZLIB_RATIO: inflate ratio over the caller's limit (zlib bomb)";
	case GITSTORE_EZLIB_TRAILING: return "GITSTORE_EZLIB_TRAILING: data after the end of a zlib stream";
	case GITSTORE_ETRUNCATED: return "GITSTORE_ETRUNCATED: input ends inside a structure";
	case GITSTORE_ETREE_FORMAT: return "GITSTORE_ETREE_FORMAT: tree cannot be parsed";
	case GITSTORE_ETREE_MODE_PAD: return "GITSTORE_ETREE_MODE_PAD: tree entry mode has a leading zero";
	case GITSTORE_ETREE_MODE: return "GITSTORE_ETREE_MODE: tree entry mode is not a mode git writes";
	case GITSTORE_ETREE_EMPTY_NAME: return "GITSTORE_ETREE_EMPTY_NAME: tree entry with an empty name";
	case GITSTORE_ETREE_SLASH: return "GITSTORE_ETREE_SLASH: tree entry name contains '/'";
	case GITSTORE_ETREE_DOT: return "GITSTORE_ETREE_DOT: tree entry named '.'";
	case GITSTORE_ETREE_DOTDOT: return "GITSTORE_ETREE_DOTDOT: tree entry named '..'";
	case GITSTORE_ETREE_DOTGIT: return "GITSTORE_ETREE_DOTGIT: tree entry named .git or a variant of it";
	case GITSTORE_ETREE_NULL_ID: return "GITSTORE_ETREE_NULL_ID: tree entry points to the null id";
	case GITSTORE_ETREE_DUP: return "GITSTORE_ETREE_DUP: duplicate tree entries";
	case GITSTORE_ETREE_ORDER: return "GITSTORE_ETREE_ORDER: tree entries not sorted";
	case GITSTORE_ETREE_GITMODULES_LINK: return "GITSTORE_ETREE_GITMODULES_LINK: .gitmodules is a symbolic link";
	case GITSTORE_EHDR_NUL: return "GITSTORE_EHDR_NUL: NUL byte in an object header";
	case GITSTORE_EHDR_UNTERMINATED: return "GITSTORE_EHDR_UNTERMINATED: object header not terminated";
	case GITSTORE_ECOMMIT_NO_TREE: return "GITSTORE_ECOMMIT_NO_TREE: commit lacks its tree line";
	case GITSTORE_ECOMMIT_TREE_ID: return "GITSTORE_ECOMMIT_TREE_ID: commit tree line has a bad id";
	case GITSTORE_ECOMMIT_PARENT_ID: return "GITSTORE_ECOMMIT_PARENT_ID: commit parent line has a bad id";
	case GITSTORE_ECOMMIT_NO_AUTHOR: return "GITSTORE_ECOMMIT_NO_AUTHOR: commit lacks its author line";
	case GITSTORE_ECOMMIT_AUTHORS: return "GITSTORE_ECOMMIT_AUTHORS: commit has several author lines";
	case GITSTORE_ECOMMIT_NO_COMMITTER: return "GITSTORE_ECOMMIT_NO_COMMITTER: commit lacks its committer line";
	case GITSTORE_EIDENT_NO_NAME: return "GITSTORE_EIDENT_NO_NAME: ident: missing name before email";
	case GITSTORE_EIDENT_BAD_NAME: return "GITSTORE_EIDENT_BAD_NAME: ident: bad name";
	case GITSTORE_EIDENT_NO_EMAIL: return "GITSTORE_EIDENT_NO_EMAIL: ident: missing email";
	case GITSTORE_EIDENT_SPACE_EMAIL: return "GITSTORE_EIDENT_SPACE_EMAIL: ident: missing space before email";
	case GITSTORE_EIDENT_BAD_EMAIL: return "GITSTORE_EIDENT_BAD_EMAIL: ident: bad email";
	case GITSTORE_EIDENT_SPACE_DATE: return "GITSTORE_EIDENT_SPACE_DATE: ident: missing space before date";
	case GITSTORE_EIDENT_DATE_PAD: return "GITSTORE_EIDENT_DATE_PAD: ident: zero-padded date";
	case GITSTORE_EIDENT_DATE_OVERFLOW: return "GITSTORE_EIDENT_DATE_OVERFLOW: ident: date overflows";
	case GITSTORE_EIDENT_DATE: return "GITSTORE_EIDENT_DATE: ident: bad date";
	case GITSTORE_EIDENT_TZ: return "GITSTORE_EIDENT_TZ: ident: bad time zone";
	case GITSTORE_ETAG_NO_OBJECT: return "GITSTORE_ETAG_NO_OBJECT: tag lacks its object line";
	case GITSTORE_ETAG_OBJECT_ID: return "GITSTORE_ETAG_OBJECT_ID: tag object line has a bad id";
	case GITSTORE_ETAG_NO_TYPE: return "GITSTORE_ETAG_NO_TYPE: tag lacks its type line";
	case GITSTORE_ETAG_TYPE: return "GITSTORE_ETAG_TYPE: tag type is not an object type";
	case GITSTORE_ETAG_NO_NAME: return "GITSTORE_ETAG_NO_NAME: tag lacks its tag line";
	case GITSTORE_EDELTA_HEADER: return "GITSTORE_EDELTA_HEADER: delta size header malformed";
	case GITSTORE_EDELTA_BASE_SIZE: return "GITSTORE_EDELTA_BASE_SIZE: delta base size disagrees with the base";
	case GITSTORE_EDELTA_OPCODE: return "GITSTORE_EDELTA_OPCODE: delta uses the reserved opcode 0";
	case GITSTORE_EDELTA_COPY: return "GITSTORE_EDELTA_COPY: delta copy outside the base";
	case GITSTORE_EDELTA_INSERT: return "GITSTORE_EDELTA_INSERT: delta insert runs past the delta";
	case GITSTORE_EDELTA_RESULT: return "GITSTORE_EDELTA_RESULT: delta result size disagrees with its header";
	case GITSTORE_EPACK_SIGNATURE: return "GITSTORE_EPACK_SIGNATURE: not a pack (no PACK signature)";
	case GITSTORE_EPACK_VERSION: return "GITSTORE_EPACK_VERSION: pack version not 2 or 3";
	case GITSTORE_EPACK_COUNT: return "GITSTORE_EPACK_COUNT: pack object count disagrees";
	case GITSTORE_EPACK_ENTRY: return "GITSTORE_EPACK_ENTRY: bad pack entry header";
	case GITSTORE_EPACK_OFFSET: return "GITSTORE_EPACK_OFFSET: pack offset outside the pack or not before its entry";
	case GITSTORE_EPACK_CHECKSUM: return "GITSTORE_EPACK_CHECKSUM: pack trailer checksum mismatch";
	case GITSTORE_EPACK_CRC: return "GITSTORE_EPACK_CRC: pack entry CRC32 mismatch";
	case GITSTORE_EPACK_BASE: return "GITSTORE_EPACK_BASE: delta base not found";
	case GITSTORE_EPACK_DEPTH: return "GITSTORE_EPACK_DEPTH: delta chain longer than the caller's limit";
	case GITSTORE_EPACK_CYCLE: return "GITSTORE_EPACK_CYCLE: delta chain is cyclic";
	case GITSTORE_EIDX_SIGNATURE: return "GITSTORE_EIDX_SIGNATURE: not a version 2 .idx";
	case GITSTORE_EIDX_SIZE: return "GITSTORE_EIDX_SIZE: idx size disagrees with its object count";
	case GITSTORE_EIDX_FANOUT: return "GITSTORE_EIDX_FANOUT: idx fan-out table not monotonic";
	case GITSTORE_EIDX_ORDER: return "GITSTORE_EIDX_ORDER: idx object ids not sorted";
	case GITSTORE_EIDX_OFFSET: return "GITSTORE_EIDX_OFFSET: idx offset out of range";
	case GITSTORE_EIDX_CHECKSUM: return "GITSTORE_EIDX_CHECKSUM: idx trailer checksum mismatch";
	case GITSTORE_EIDX_PACK: return "GITSTORE_EIDX_PACK: idx names another pack (pack checksum differs)";
	case GITSTORE_EOBJ_ID: return "GITSTORE_EOBJ_ID: object content does not hash to its id";
	case GITSTORE_EREF_NAME: return "GITSTORE_EREF_NAME: bad ref name";
	case GITSTORE_EREF_FORMAT: return "GITSTORE_EREF_FORMAT: ref file or packed-refs malformed";
	case GITSTORE_EREF_DEPTH: return "GITSTORE_EREF_DEPTH: symbolic refs nested too deep";
	case GITSTORE_EREF_STALE: return "GITSTORE_EREF_STALE: ref moved: its old value differs";
	case GITSTORE_EREF_LOCKED: return "GITSTORE_EREF_LOCKED: ref locked by another update";
	case GITSTORE_EKV_PATH: return "GITSTORE_EKV_PATH: bad key-value path";
	case GITSTORE_EKV_NOTDIR: return "GITSTORE_EKV_NOTDIR: a path component is a file";
	case GITSTORE_EKV_ISDIR: return "GITSTORE_EKV_ISDIR: path is a directory";
	case GITSTORE_ECOMMIT_NUL: return "GITSTORE_ECOMMIT_NUL: NUL byte in a commit";
	case GITSTORE_EPKT_HEX: return "GITSTORE_EPKT_HEX: pkt-line length is not four hex digits";
	case GITSTORE_EPKT_LEN: return "GITSTORE_EPKT_LEN: pkt-line length 0003 (reserved)";
	case GITSTORE_EPKT_TOOLONG: return "GITSTORE_EPKT_TOOLONG: pkt-line longer than 65520 bytes";
	case GITSTORE_ESIDEBAND_EMPTY: return "GITSTORE_ESIDEBAND_EMPTY: side-band packet without its band byte";
	case GITSTORE_ESIDEBAND_BAND: return "GITSTORE_ESIDEBAND_BAND: side-band packet on an unknown band";
	case GITSTORE_EREMOTE: return "GITSTORE_EREMOTE: the peer reported a fatal error";
	case GITSTORE_EV2_COMMAND: return "GITSTORE_EV2_COMMAND: v2 request lacks command=NAME";
	case GITSTORE_EV2_SECTION: return "GITSTORE_EV2_SECTION: v2 request has a packet of the wrong kind";
	case GITSTORE_EV2_ARG: return "GITSTORE_EV2_ARG: v2 argument malformed or unknown";
	case GITSTORE_EV2_UNSUPPORTED: return "GITSTORE_EV2_UNSUPPORTED: v2 feature not offered";
	case GITSTORE_EPROTO_LINE: return "GITSTORE_EPROTO_LINE: protocol line malformed";
	case GITSTORE_EPROTO_STATE: return "GITSTORE_EPROTO_STATE: packet not expected here";
	case GITSTORE_EPROTO_WANT: return "GITSTORE_EPROTO_WANT: want of an object the server lacks";
	case GITSTORE_ERECV_CMD: return "GITSTORE_ERECV_CMD: receive-pack command malformed";
	default: break;
	}
	return err > 0 ? "GITSTORE_OK: count" : "GITSTORE_E?: unknown error";
}

const char *gitstore_version(void)
{
	return GITSTORE_VERSION;
}
