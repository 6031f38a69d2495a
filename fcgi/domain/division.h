/* Administrative divisions (GB/T 2260 six-digit codes) as Guangxi uses them:
 * region 450000, cities 45CC00, counties 45CCNN. */
#ifndef TB_DIVISION_H
#define TB_DIVISION_H

enum division_level { DIV_INVALID, DIV_REGION, DIV_CITY, DIV_COUNTY };

/* The level a code denotes by its form (whether it exists is the database's). */
enum division_level division_level_of(const char *code);
/* 1 when division lies in the subtree of scope (itself included). */
int division_covers(const char *scope, const char *division);

#endif
