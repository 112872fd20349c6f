/*
 * top_view.c — ncurses drawing and keys for `spyglass top`; see top_view.h.
 *
 * Layout, top to bottom: three header lines, a note line, the column
 * titles, the rows, and a line of key help. Text is fitted by display
 * columns, not bytes (function and file names are UTF-8): a function name
 * too long keeps its head, a path too long keeps its tail (the file name is
 * the part worth reading). The screen is erased and redrawn whole each
 * time; ncurses sends only what changed, so a redraw does not flicker.
 */
#define NCURSES_WIDECHAR 1

#include "cli/top_view.h"

#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define SG_TOP_HEADER_LINES   5 /* three of header, a note, the column titles */
#define SG_TOP_FOOTER_LINES   1
#define SG_TOP_MIN_COLS       50
#define SG_TOP_FUNCTION_AT    35 /* after "SELF% TOTAL% SELF TOTAL" (see draw_row) */
#define SG_TOP_PRINT_NAME_MAX 40
#define SG_TOP_KEY_HELP       "q quit  t/T thread  s sort  r last second/since start  p pause"

struct sg_top_view {
    SCREEN *screen;
};

int sg_top_view_check_terminal(char *err, size_t cap)
{
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return 0;
    snprintf(err, cap,
             "top draws a live view and needs a terminal on stdin and stdout "
             "(for a profile of a process, use `spyglass record`)");
    return -1;
}

int sg_top_view_open(sg_top_view **view, char *err, size_t cap)
{
    *view = NULL;
    if (sg_top_view_check_terminal(err, cap) != 0)
        return -1;
    /* Function and file names are UTF-8: ncursesw needs the user's
     * character set to measure and draw them. Numbers keep the C locale. */
    setlocale(LC_CTYPE, "");
    sg_top_view *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    /* newterm, not initscr: initscr exits the process when TERM is unusable,
     * and we want to say so ourselves. */
    v->screen = newterm(NULL, stdout, stdin);
    if (!v->screen) {
        const char *term = getenv("TERM");
        snprintf(err, cap, "cannot drive the terminal (TERM=%s)", term ? term : "unset");
        free(v);
        return -1;
    }
    set_term(v->screen);
    cbreak(); /* keys one at a time; Ctrl-C stays a signal (cmd_top handles it) */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE); /* getch never waits: keys are polled between samples */
    intrflush(stdscr, FALSE);
    curs_set(0);
    *view = v;
    return 0;
}

void sg_top_view_close(sg_top_view *v)
{
    if (!v)
        return;
    endwin();
    delscreen(v->screen);
    free(v);
}

int sg_top_view_key(sg_top_view *v)
{
    (void)v;
    for (;;) {
        int c = getch();
        switch (c) {
        case ERR:
            return SG_TOP_NONE;
        case 'q':
        case 'Q':
            return SG_TOP_QUIT;
        case 't':
            return SG_TOP_NEXT_THREAD;
        case 'T':
            return SG_TOP_PREV_THREAD;
        case 's':
        case 'S':
            return SG_TOP_NEXT_SORT;
        case 'r':
        case 'R':
            return SG_TOP_TOGGLE_RANGE;
        case 'p':
        case 'P':
        case ' ':
            return SG_TOP_TOGGLE_PAUSE;
        case 12: /* Ctrl-L: the screen may hold garbage, repaint it all */
            clearok(curscr, TRUE);
            return SG_TOP_REDRAW;
        case KEY_RESIZE: /* ncurses has resized stdscr already (its SIGWINCH handler) */
            return SG_TOP_REDRAW;
        default:
            break; /* a key we do not use: look at the next one */
        }
    }
}

size_t sg_top_view_capacity(const sg_top_view *v)
{
    (void)v;
    int rows = LINES - SG_TOP_HEADER_LINES - SG_TOP_FOOTER_LINES;
    return rows > 0 && COLS >= SG_TOP_MIN_COLS ? (size_t)rows : 0;
}

/* ---- fitting UTF-8 text into columns ------------------------------------ */

/* s as wide characters (unprintable ones and invalid bytes as '?') with
 * their display widths; returns the count, or -1 when out of memory. */
static long widen(const char *s, wchar_t **chars, int **widths)
{
    size_t len = strlen(s);
    *chars = malloc((len + 1) * sizeof **chars);
    *widths = malloc((len + 1) * sizeof **widths);
    if (!*chars || !*widths) {
        free(*chars);
        free(*widths);
        return -1;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    long n = 0;
    for (size_t i = 0; i < len;) {
        wchar_t wc;
        size_t used = mbrtowc(&wc, s + i, len - i, &st);
        if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
            memset(&st, 0, sizeof st);
            wc = L'?';
            used = 1;
        }
        int w = wcwidth(wc);
        if (w < 0) {
            wc = L'?';
            w = 1;
        }
        (*chars)[n] = wc;
        (*widths)[n++] = w;
        i += used;
    }
    (*chars)[n] = L'\0';
    return n;
}

/* Draws s at (y, x) in at most `width` columns. Cut text is marked with an
 * ellipsis where the cut is: at the end, or at the start with keep_tail. */
static void put_fitted(int y, int x, const char *s, int width, bool keep_tail)
{
    if (width <= 0)
        return;
    wchar_t *chars;
    int *widths;
    long n = widen(s, &chars, &widths);
    if (n < 0)
        return;
    int total = 0;
    for (long i = 0; i < n; i++)
        total += widths[i];
    const wchar_t *mark = MB_CUR_MAX > 1 ? L"\u2026" : L"~";
    if (total <= width) {
        mvaddnwstr(y, x, chars, (int)n);
    } else if (keep_tail) {
        long start = n;
        int used = 1;
        while (start > 0 && used + widths[start - 1] <= width)
            used += widths[--start];
        mvaddwstr(y, x, mark);
        addnwstr(chars + start, (int)(n - start));
    } else {
        long end = 0;
        int used = 1;
        while (end < n && used + widths[end] <= width)
            used += widths[end++];
        mvaddnwstr(y, x, chars, (int)end);
        addwstr(mark);
    }
    free(chars);
    free(widths);
}

/* ---- the screen -------------------------------------------------------- */

static void header_lines(const sg_top_header *h, char lines[3][512])
{
    snprintf(lines[0], 512, "spyglass top  pid %d  %s", h->pid, h->command);
    snprintf(lines[1], 512, "Python %s, %s, %u thread%s, %.0f Hz (of %.0f), %.0f s, %llu error%s",
             h->python_version, h->mode, h->threads, h->threads == 1 ? "" : "s", h->rate_hz,
             h->rate_wanted, h->elapsed_s, (unsigned long long)h->errors,
             h->errors == 1 ? "" : "s");
    snprintf(lines[2], 512, "view: %s, %llu sample%s   thread: %s   sort: %s", h->range,
             (unsigned long long)h->samples, h->samples == 1 ? "" : "s", h->thread, h->sort);
}

static void format_numbers(const sg_top_row *r, char *out, size_t cap)
{
    snprintf(out, cap, "%6.1f%% %6.1f%% %8llu %8llu", r->self_pct, r->total_pct,
             (unsigned long long)r->self, (unsigned long long)r->total);
}

/* Widths of the function and file:line columns for this terminal width and
 * these rows: the function gets what its longest name needs, up to half
 * of the room; the file gets the rest. */
static void column_widths(const sg_top_row *rows, size_t count, int cols, int *fn_width,
                          int *file_width)
{
    int room = cols - SG_TOP_FUNCTION_AT;
    int longest = 8; /* "FUNCTION" */
    for (size_t i = 0; i < count; i++) {
        int len = (int)strlen(rows[i].function); /* bytes >= columns: a generous guess */
        if (len > longest)
            longest = len;
    }
    *fn_width = longest < room / 2 ? longest : room / 2;
    *file_width = room - *fn_width - 2;
    if (*file_width < 12) { /* too narrow for a useful path: the function takes it all */
        *fn_width = room;
        *file_width = 0;
    }
}

static void draw_row(int y, const sg_top_row *r, int fn_width, int file_width)
{
    char text[128];
    format_numbers(r, text, sizeof text);
    mvaddstr(y, 0, text);
    put_fitted(y, SG_TOP_FUNCTION_AT, r->function, fn_width, false);
    if (file_width > 0) {
        char *where = malloc(strlen(r->file) + 16);
        if (where) {
            sprintf(where, "%s:%u", r->file, r->line);
            put_fitted(y, SG_TOP_FUNCTION_AT + fn_width + 2, where, file_width, true);
            free(where);
        }
    }
}

void sg_top_view_draw(sg_top_view *v, const sg_top_header *h, const sg_top_row *rows, size_t count)
{
    erase();
    if (sg_top_view_capacity(v) == 0) {
        put_fitted(0, 0, "spyglass top: the terminal is too small", COLS, false);
        refresh();
        return;
    }
    char lines[3][512];
    header_lines(h, lines);
    attron(A_BOLD);
    put_fitted(0, 0, lines[0], COLS, false);
    attroff(A_BOLD);
    put_fitted(1, 0, lines[1], COLS, false);
    put_fitted(2, 0, lines[2], COLS, false);
    if (h->paused) {
        attron(A_REVERSE | A_BOLD);
        mvaddstr(0, COLS - 8, " PAUSED ");
        attroff(A_REVERSE | A_BOLD);
    }
    if (h->note)
        put_fitted(3, 0, h->note, COLS, false);
    if (count > sg_top_view_capacity(v))
        count = sg_top_view_capacity(v);
    int fn_width, file_width;
    column_widths(rows, count, COLS, &fn_width, &file_width);
    attron(A_REVERSE);
    mvhline(4, 0, ' ', COLS);
    mvaddstr(4, 0, "  SELF%  TOTAL%     SELF    TOTAL");
    mvaddstr(4, SG_TOP_FUNCTION_AT, "FUNCTION");
    if (file_width > 0)
        mvaddstr(4, SG_TOP_FUNCTION_AT + fn_width + 2, "FILE:LINE");
    attroff(A_REVERSE);
    for (size_t i = 0; i < count; i++)
        draw_row(SG_TOP_HEADER_LINES + (int)i, &rows[i], fn_width, file_width);
    attron(A_DIM);
    put_fitted(LINES - 1, 0, SG_TOP_KEY_HELP, COLS, false);
    attroff(A_DIM);
    refresh();
}

void sg_top_view_print(FILE *out, const sg_top_header *h, const sg_top_row *rows, size_t count)
{
    char lines[3][512];
    header_lines(h, lines);
    fprintf(out, "%s\n%s\n%s\n", lines[0], lines[1], lines[2]);
    if (h->note)
        fprintf(out, "%s\n", h->note);
    /* Aligned for names up to SG_TOP_PRINT_NAME_MAX; a longer one only
     * pushes its own line's file to the right. */
    int fn_width = 8;
    for (size_t i = 0; i < count; i++) {
        int len = (int)strlen(rows[i].function);
        fn_width = len > fn_width && len <= SG_TOP_PRINT_NAME_MAX ? len : fn_width;
    }
    fprintf(out, "  SELF%%  TOTAL%%     SELF    TOTAL  %-*s  FILE:LINE\n", fn_width, "FUNCTION");
    for (size_t i = 0; i < count; i++) {
        char text[128];
        format_numbers(&rows[i], text, sizeof text);
        fprintf(out, "%s  %-*s  %s:%u\n", text, fn_width, rows[i].function, rows[i].file,
                rows[i].line);
    }
}
