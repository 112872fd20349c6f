/*
 * top_view.h — the screen of `spyglass top`: a header and a table of rows it
 * is given, drawn with ncurses, and the keys that drive it.
 *
 * The view computes nothing: cmd_top.c asks the analysis engine for the
 * numbers and hands them over as rows of text and numbers, already in the
 * order to show. The view only lays them out to the terminal's current size
 * and turns key presses into actions.
 *
 * Invariants: between sg_top_view_open and sg_top_view_close the terminal
 * is in curses mode (alternate screen, no echo, keys read one at a time,
 * never blocking); sg_top_view_close always gives the terminal back as it
 * was, and may be called on every exit path (NULL and a second call are
 * fine). Nothing but the view may write to the terminal while it is open.
 *
 * Ownership: sg_top_view_open returns a view that sg_top_view_close frees.
 * Rows and header strings are borrowed for the duration of one call.
 */
#ifndef SG_CLI_TOP_VIEW_H
#define SG_CLI_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sg_top_row {
    double self_pct, total_pct; /* of the samples the view covers */
    uint64_t self, total;       /* samples */
    const char *function;       /* qualified name */
    const char *file;
    uint32_t line; /* the function's first line */
} sg_top_row;

typedef struct sg_top_header {
    int pid;
    const char *command;        /* the target's command line ("" if unknown) */
    const char *python_version; /* e.g. "3.12.1" */
    const char *mode;           /* what is sampled: "wall", "cpu", "wall, GIL holder" */
    uint32_t threads;           /* threads seen since the start */
    double rate_hz, rate_wanted;
    double elapsed_s;
    uint64_t samples;   /* samples in the view (its 100 %) */
    uint64_t errors;    /* stacks the sampler dropped (torn or failed reads) */
    const char *range;  /* "last second" or "since start" */
    const char *thread; /* "all" or "NAME (TID)" */
    const char *sort;   /* "self", "total" or "name" */
    bool paused;
    const char *note; /* one line under the header, or NULL */
} sg_top_header;

enum sg_top_action {
    SG_TOP_NONE = 0,     /* no key waiting */
    SG_TOP_QUIT,         /* q */
    SG_TOP_NEXT_THREAD,  /* t: all → each thread → all */
    SG_TOP_PREV_THREAD,  /* T */
    SG_TOP_NEXT_SORT,    /* s: self → total → name */
    SG_TOP_TOGGLE_RANGE, /* r: last second ↔ since start */
    SG_TOP_TOGGLE_PAUSE, /* p or space */
    SG_TOP_REDRAW,       /* the terminal was resized, or Ctrl-L */
};

typedef struct sg_top_view sg_top_view;

/* 0 when stdin and stdout are a terminal the view can take over, else -1
 * with the reason in err (checked before launching or attaching anything). */
int sg_top_view_check_terminal(char *err, size_t cap);

/* Takes over the terminal (see sg_top_view_check_terminal). Returns 0, or
 * -1 with a message in err. */
int sg_top_view_open(sg_top_view **view, char *err, size_t cap);

/* Gives the terminal back as it was. */
void sg_top_view_close(sg_top_view *view);

/* The next key's action, without waiting (SG_TOP_NONE if none). */
int sg_top_view_key(sg_top_view *view);

/* How many rows the table has room for at the terminal's current size. */
size_t sg_top_view_capacity(const sg_top_view *view);

/* Redraws the whole screen: the header, then up to capacity rows. */
void sg_top_view_draw(sg_top_view *view, const sg_top_header *header, const sg_top_row *rows,
                      size_t count);

/* The same screen as plain text (no truncation), for after the view has
 * closed: what the user saw last stays in the terminal's scrollback. */
void sg_top_view_print(FILE *out, const sg_top_header *header, const sg_top_row *rows,
                       size_t count);

#endif
