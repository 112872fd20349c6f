/*
 * status.h — the error codes every src/profile function returns.
 *
 * Functions of the profile stage return an int: SG_PROFILE_OK (0) on success
 * or one of the negative codes below; they never abort on bad input or on a
 * failed allocation. A failed call leaves its table in the state it had
 * before the call (rows are only published once every column has room), so
 * a caller may report the error and carry on with what it has.
 */
#ifndef SG_PROFILE_STATUS_H
#define SG_PROFILE_STATUS_H

enum sg_profile_status {
    SG_PROFILE_OK = 0,
    SG_PROFILE_ENOMEM = -1,  /* an allocation failed */
    SG_PROFILE_ELIMIT = -2,  /* a count or size would overflow its type, or a cap was hit */
    SG_PROFILE_EINVAL = -3,  /* an argument refers to a row that does not exist */
    SG_PROFILE_EIO = -4,     /* a read or write failed; errno says why */
    SG_PROFILE_EFORMAT = -5, /* the input is not a valid file of its format */
};

/* A short, static English description of a status code ("out of memory"). */
const char *sg_profile_strerror(int status);

#endif
