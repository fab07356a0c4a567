/* Private declarations of platform/sim. */
#ifndef CLOUDLET_PLATFORM_SIM_INT_H
#define CLOUDLET_PLATFORM_SIM_INT_H

#include "cl_sim.h"

/* Schedule an event of the harness itself: it is not traced as "ev", the
 * handler traces what it does. */
uint64_t cl_sim_at_quiet(struct cl_sim *sim, uint64_t at_ms, cl_sim_fn fn, void *arg, uint64_t tag);

/* A number for the next object (stream pair, link) to name it in traces. */
uint32_t cl_sim_obj_id(struct cl_sim *sim);

/* Formatting a trace line costs; skip the call when tracing is off. */
#define CL_TRACE(sim, ...)                                                                         \
	do {                                                                                       \
		if ((sim)->priv.tracing)                                                           \
			cl_sim_tracef((sim), __VA_ARGS__);                                         \
	} while (0)

#endif
