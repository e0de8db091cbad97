// libedit's readline-compatible API (line editing, history, completion)
// for profiles-cli's interactive mode. Debian: libedit-dev.
#include <stdio.h>
#include <stdlib.h>
#include <editline/readline.h>

// Swift 6 refuses to touch C's mutable globals directly (not
// concurrency-safe), so the few that the client sets or reads go through
// these functions. The client calls them from its one thread only.
static inline void profiles_rl_set_name(const char *name) { rl_readline_name = name; }
static inline void profiles_rl_set_completion(rl_completion_func_t *function) {
    rl_attempted_completion_function = function;
}
// No fallback to file-name completion for the current attempt.
static inline void profiles_rl_completion_over(void) { rl_attempted_completion_over = 1; }
static inline const char *profiles_rl_line_buffer(void) { return rl_line_buffer; }
// Reads keys for readline() (set before libedit initializes). libedit
// stores what it returns as one wide character, so it returns whole
// Unicode scalars, not bytes.
static inline void profiles_rl_set_getc(int (*function)(FILE *)) { rl_getc_function = function; }
