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
	case HTTP_EMETHOD: return "HTTP_EMETHOD: method is not a token";
	case HTTP_ETARGET: return "HTTP_ETARGET: invalid byte in request-target";
	case HTTP_EREQLINE: return "HTTP_EREQLINE: malformed request-line";
	case HTTP_EVERSION: return "HTTP_EVERSION: malformed HTTP-version";
	case HTTP_EVERSIONUNSUP: return "HTTP_EVERSIONUNSUP: HTTP major version not supported";
	case HTTP_ESTATUS: return "HTTP_ESTATUS: malformed status-line or status code";
	case HTTP_EURITOOLONG: return "HTTP_EURITOOLONG: request-line too long";
	case HTTP_EHDRNAME: return "HTTP_EHDRNAME: field name is not a token";
	case HTTP_EHDRSPACE: return "HTTP_EHDRSPACE: whitespace before colon";
	case HTTP_EOBSFOLD: return "HTTP_EOBSFOLD: obs-fold or leading whitespace";
	case HTTP_EBARECR: return "HTTP_EBARECR: CR not followed by LF";
	case HTTP_EBARELF: return "HTTP_EBARELF: LF without CR";
	case HTTP_ECTL: return "HTTP_ECTL: control character in field value";
	case HTTP_EHEADTOOLARGE: return "HTTP_EHEADTOOLARGE: header section too large";
	case HTTP_ETOOMANYHDRS: return "HTTP_ETOOMANYHDRS: too many header fields";
	case HTTP_ECLTE: return "HTTP_ECLTE: both Content-Length and Transfer-Encoding";
	case HTTP_ECLINVALID: return "HTTP_ECLINVALID: invalid Content-Length";
	case HTTP_ECLCONFLICT: return "HTTP_ECLCONFLICT: conflicting Content-Length values";
	case HTTP_ETENOTCHUNKED: return "HTTP_ETENOTCHUNKED: final transfer coding is not chunked";
	case HTTP_ECHUNKEDTWICE: return "HTTP_ECHUNKEDTWICE: chunked applied twice";
	case HTTP_ETEUNSUP: return "HTTP_ETEUNSUP: unsupported transfer coding";
	case HTTP_ETEHTTP10: return "HTTP_ETEHTTP10: Transfer-Encoding in HTTP/1.0";
	case HTTP_ENOHOST: return "HTTP_ENOHOST: HTTP/1.1 request without Host";
	case HTTP_EDUPHOST: return "HTTP_EDUPHOST: more than one Host";
	case HTTP_EBADHOST: return "HTTP_EBADHOST: invalid Host value";
	case HTTP_EBODYTOOLARGE: return "HTTP_EBODYTOOLARGE: body larger than the limit";
	case HTTP_EEXPECT: return "HTTP_EEXPECT: unsupported expectation";
	case HTTP_ECHUNKSIZE: return "HTTP_ECHUNKSIZE: malformed chunk-size";
	case HTTP_ECHUNKOVERFLOW: return "HTTP_ECHUNKOVERFLOW: chunk-size overflows";
	case HTTP_ECHUNKEXT: return "HTTP_ECHUNKEXT: malformed or long chunk extension";
	case HTTP_ECHUNKDATA: return "HTTP_ECHUNKDATA: chunk data not followed by CRLF";
	case HTTP_ETRAILER: return "HTTP_ETRAILER: trailer section too large";
	case HTTP_ESTATE: return "HTTP_ESTATE: call not valid in this state";
	case HTTP_ERANGE: return "HTTP_ERANGE: range not satisfiable";
	case HTTP_EZLIB: return "HTTP_EZLIB: zlib error";
	default: break;
	}
	return err > 0 ? "HTTP_OK: count" : "HTTP_E?: unknown error";
}

const char *http_version(void)
{
	return HTTP_VERSION;
}

int http_err_status(int err)
{
	switch (err) {
	case HTTP_EURITOOLONG: return 414;
	case HTTP_EHEADTOOLARGE:
	case HTTP_ETOOMANYHDRS: return 431;
	case HTTP_EBODYTOOLARGE: return 413;
	case HTTP_EEXPECT: return 417;
	case HTTP_ETEUNSUP: return 501;
	case HTTP_EVERSIONUNSUP: return 505;
	default: break;
	}
	if (err <= HTTP_EMETHOD && err >= HTTP_ETRAILER)
		return 400;
	return 0;
}
