/* Private declarations of libgitstore. */
#ifndef GITSTORE_INT_H
#define GITSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cloudlet/gitstore.h>

/* A name git refuses to check out as it would write into .git (fsck's has_dotgit). */
bool gitstore_int_name_is_dotgit(const uint8_t *s, size_t len);

#endif
