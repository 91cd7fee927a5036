#ifndef CC_VERSION_H
#define CC_VERSION_H
extern const char *const cc_server_name;
extern const char *const cc_server_version;
#endif
