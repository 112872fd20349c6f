/*
 * status.c — names for the status codes of src/profile (see status.h).
 */
#include "profile/status.h"

const char *sg_profile_strerror(int status)
{
    switch (status) {
    case SG_PROFILE_OK:
        return "success";
    case SG_PROFILE_ENOMEM:
        return "out of memory";
    case SG_PROFILE_ELIMIT:
        return "size limit exceeded";
    case SG_PROFILE_EINVAL:
        return "reference to a row that does not exist";
    case SG_PROFILE_EIO:
        return "input/output error";
    case SG_PROFILE_EFORMAT:
        return "invalid file format";
    default:
        return "unknown error";
    }
}
