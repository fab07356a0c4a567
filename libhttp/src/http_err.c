/* Error names and the version string of libhttp. */
#include <cloudlet/http.h>

const char *http_strerror(int err)
{
	switch (err) {
	case HTTP_OK: return "HTTP_OK: success";
	case HTTP_EAGAIN: return "HTTP_EAGAIN: need more input or would block";
	case HTTP_ENOMEM: return "HTTP_ENOMEM: buffer, table or arena full";
	case HTTP_EINVAL: return "HTTP_EINVAL: invalid argument";
	case HTTP_EIO: return "HTTP_EIO: I/O error";
	case HTTP_EEOF: return "HTTP_EEOF: peer closed the stream";
	case HTTP_ETIMEDOUT: return "HTTP_ETIMEDOUT: deadline passed";
	default: break;
	}
	return err > 0 ? "HTTP_OK: count" : "HTTP_E?: unknown error";
}

const char *http_version(void)
{
	return HTTP_VERSION;
}
