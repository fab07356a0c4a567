/* Error names and the version string of libdns. */
#include <cloudlet/dns.h>

const char *dns_strerror(int err)
{
	switch (err) {
	case DNS_OK: return "DNS_OK: success";
	case DNS_EAGAIN: return "DNS_EAGAIN: need more input or would block";
	case DNS_ENOMEM: return "DNS_ENOMEM: buffer, table or arena full";
	case DNS_EINVAL: return "DNS_EINVAL: invalid argument";
	case DNS_EIO: return "DNS_EIO: I/O error";
	case DNS_EEOF: return "DNS_EEOF: peer closed the stream";
	case DNS_ETIMEDOUT: return "DNS_ETIMEDOUT: deadline passed";
	default: break;
	}
	return err > 0 ? "DNS_OK: count" : "DNS_E?: unknown error";
}

const char *dns_version(void)
{
	return DNS_VERSION;
}
