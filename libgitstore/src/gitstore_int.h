/* Private declarations of libgitstore. */
#ifndef GITSTORE_INT_H
#define GITSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cloudlet/gitstore.h>

#endif
