/* Roles of SPEC §1: who an account is. */
#ifndef CC_ROLE_H
#define CC_ROLE_H

enum role { ROLE_NONE = 0, ROLE_MEMBER = 1, ROLE_BRAND = 2 };

#endif
