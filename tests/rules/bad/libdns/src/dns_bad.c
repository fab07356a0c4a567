/* A library source that is not standalone: stdio and another library's header. */
#include <stdio.h>
#include <cloudlet/http.h>
#include <cloudlet/dns.h>
#include "dns_missing_int.h"
