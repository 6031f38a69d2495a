#include "workflow.h"

#include <string.h>

const struct workflow_state workflow_states[] = {
	{ "draft", SC_DRAFT },
	{ "submitted", SC_PENDING },
	{ "accepted", SC_PENDING },
	{ "supplement_requested", SC_PENDING },
	{ "approved", SC_PENDING },
	{ "registered", SC_DONE },
	{ "fees_set", SC_DONE },
	{ "paid", SC_DONE },
	{ "issued", SC_DONE },
	{ "delivered", SC_DONE },
	{ "closed", SC_TERMINAL },
	{ "rejected", SC_TERMINAL },
	{ "withdrawn", SC_TERMINAL },
};
const size_t workflow_nstates = sizeof(workflow_states) / sizeof(workflow_states[0]);

enum state_class workflow_state_class(const char *state)
{
	for (size_t i = 0; state && i < workflow_nstates; i++)
		if (strcmp(workflow_states[i].state, state) == 0)
			return workflow_states[i].cls;
	return SC_UNKNOWN;
}

const char *state_class_name(enum state_class c)
{
	switch (c) {
	case SC_DRAFT: return "draft";
	case SC_PENDING: return "pending";
	case SC_DONE: return "done";
	case SC_TERMINAL: return "terminal";
	case SC_UNKNOWN: break;
	}
	return NULL;
}

int workflow_state_pending(const char *state)
{
	return workflow_state_class(state) == SC_PENDING;
}
