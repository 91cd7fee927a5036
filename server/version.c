/* The daemon's name and version as reported by `hello` and --help. */
#include "version.h"

const char *const cc_server_name = "cocreated";
const char *const cc_server_version = CC_VERSION;
