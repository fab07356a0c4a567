/*
 * Protocol v2 requests: parsed, then every capability and argument line
 * walked and parsed as ls-refs and fetch arguments would be.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gitstore_v2_request r;
	int rc = gitstore_v2_request_parse(data, size, &r);
	if (rc < 0)
		return 0;
	if ((size_t)rc > size || r.command.len == 0)
		abort();
	const uint8_t *end = data + rc;
	if (r.caps.p + r.caps.len > end || r.args.p + r.args.len > end)
		abort();
	struct gitstore_slice sec = r.caps, line;
	while (gitstore_v2_next(&sec, &line))
		if (line.len == 0)
			abort();
	sec = r.args;
	while (gitstore_v2_next(&sec, &line)) {
		struct gitstore_v2_arg a;
		rc = gitstore_v2_arg_parse(GITSTORE_SHA1, r.command, line, &a);
		if (rc == 0 && (a.kind < GITSTORE_ARG_PEEL || a.kind > GITSTORE_ARG_WAIT_FOR_DONE))
			abort();
		if (rc == 0 && a.kind == GITSTORE_ARG_REF_PREFIX && (a.value.p < line.p || a.value.p + a.value.len > line.p + line.len))
			abort();
	}
	return 0;
}
