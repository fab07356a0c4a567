/* Error names and the version string of libxenfront. */
#include <cloudlet/xenfront.h>

const char *xenfront_strerror(int err)
{
	switch (err) {
	case XENFRONT_OK: return "XENFRONT_OK: success";
	case XENFRONT_EAGAIN: return "XENFRONT_EAGAIN: need more input or would block";
	case XENFRONT_ENOMEM: return "XENFRONT_ENOMEM: buffer, table or arena full";
	case XENFRONT_EINVAL: return "XENFRONT_EINVAL: invalid argument";
	case XENFRONT_EIO: return "XENFRONT_EIO: I/O error";
	case XENFRONT_EEOF: return "XENFRONT_EEOF: peer closed the stream";
	case XENFRONT_ETIMEDOUT: return "XENFRONT_ETIMEDOUT: deadline passed";
	default: break;
	}
	return err > 0 ? "XENFRONT_OK: count" : "XENFRONT_E?: unknown error";
}

const char *xenfront_version(void)
{
	return XENFRONT_VERSION;
}
