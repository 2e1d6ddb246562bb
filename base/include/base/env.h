/* Switches read from the environment. */
#ifndef BASE_ENV_H
#define BASE_ENV_H

/* Whether the variable name is set to something other than "" and "0" (PIX2PIX_PROFILE=1). */
int env_flag(const char *name);

#endif
