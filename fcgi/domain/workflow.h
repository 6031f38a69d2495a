/* The case workflow's states and their classes: the one list. SQL asks
 * cases.state_class() (sql/0017), and the intake worker refuses to start
 * unless that function and this list agree on every state of
 * cases.transition (intake/actions.c). */
#ifndef TB_WORKFLOW_H
#define TB_WORKFLOW_H
#include <stddef.h>

enum state_class {
	SC_UNKNOWN,	/* no state of the workflow */
	SC_DRAFT,	/* at the window, not yet received */
	SC_PENDING,	/* received and undecided: holds its place in the unit's queue (priority) */
	SC_DONE,	/* registered; fees, certificate and delivery follow */
	SC_TERMINAL,	/* nothing follows: closed, rejected, withdrawn */
};

struct workflow_state {
	const char *state;
	enum state_class cls;
};
extern const struct workflow_state workflow_states[];
extern const size_t workflow_nstates;

enum state_class workflow_state_class(const char *state);
/* "draft", "pending", "done", "terminal" (as cases.state_class() answers), or NULL */
const char *state_class_name(enum state_class c);
/* 1 when a case in the state holds the unit's priority (SC_PENDING) */
int workflow_state_pending(const char *state);

#endif
