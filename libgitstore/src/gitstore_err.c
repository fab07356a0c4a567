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
	default: break;
	}
	return err > 0 ? "GITSTORE_OK: count" : "GITSTORE_E?: unknown error";
}

const char *gitstore_version(void)
{
	return GITSTORE_VERSION;
}
