/* Error names and the version string of libtcpip. */
#include <cloudlet/tcpip.h>

const char *tcpip_strerror(int err)
{
	switch (err) {
	case TCPIP_OK: return "TCPIP_OK: success";
	case TCPIP_EAGAIN: return "TCPIP_EAGAIN: need more input or would block";
	case TCPIP_ENOMEM: return "TCPIP_ENOMEM: buffer, table or arena full";
	case TCPIP_EINVAL: return "TCPIP_EINVAL: invalid argument";
	case TCPIP_EIO: return "TCPIP_EIO: I/O error";
	case TCPIP_EEOF: return "TCPIP_EEOF: peer closed the stream";
	case TCPIP_ETIMEDOUT: return "TCPIP_ETIMEDOUT: deadline passed";
	default: break;
	}
	return err > 0 ? "TCPIP_OK: count" : "TCPIP_E?: unknown error";
}

const char *tcpip_version(void)
{
	return TCPIP_VERSION;
}
