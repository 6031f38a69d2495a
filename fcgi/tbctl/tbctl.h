#ifndef TB_TBCTL_H
#define TB_TBCTL_H
#include <libpq-fe.h>

char *tbctl_repo_path(const char *rel);
/* Connection of the owner role, or NULL after saying why on stderr. */
PGconn *tbctl_connect(void);
struct keyring;
/* The data keys of TB_DATA_KEYS (default: var/keys/data.keys of the make
 * run stack): 0, or -1 after saying why on stderr. */
int tbctl_keys(struct keyring *kr);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif
