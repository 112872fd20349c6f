/*
 * export_collapsed.h — write a profile as collapsed stacks ("folded"), the
 * text that flamegraph.pl, speedscope and most flame-graph tools open.
 *
 * One line per distinct stack: `frame;frame;...;frame COUNT`, oldest frame
 * first, each frame labelled `qualname (file:line)` as py-spy does, COUNT
 * the sum of the weights of the samples with that stack. Lines come in a
 * deterministic order (threads by name then tid; stacks compared frame by
 * frame from the root by name, file, then line), so the same profile always
 * gives the same bytes.
 * ';' and control characters inside a label are written as '_' because the
 * format has no escapes.
 */
#ifndef SG_PROFILE_EXPORT_COLLAPSED_H
#define SG_PROFILE_EXPORT_COLLAPSED_H

#include <stdio.h>

#include "profile/profile.h"

#define SG_COLLAPSED_THREADS     0x1u /* root each stack at `thread NAME (TID)` */
#define SG_COLLAPSED_ONLY_ON_CPU 0x2u /* keep only samples with SG_SAMPLE_ON_CPU */
#define SG_COLLAPSED_ONLY_GIL    0x4u /* keep only samples with SG_SAMPLE_HOLDS_GIL */

typedef struct sg_collapsed_options {
    unsigned flags; /* SG_COLLAPSED_* */
} sg_collapsed_options;

/* Write `p` to `out`. opts may be NULL (all samples, no thread roots).
 * Returns SG_PROFILE_EIO if writing fails, SG_PROFILE_ENOMEM. */
int sg_export_collapsed(const sg_profile *p, FILE *out, const sg_collapsed_options *opts);

#endif
