/* taskexec.h - what flux-execd (execd/task.c) and the job shell (shell/flux-shell.c) share
 * about starting a task: the variables execd sets for every task, and the search of the
 * job's PATH with a shell's exit status and message when the command cannot be run.
 */
#ifndef FX_TASKEXEC_H
#define FX_TASKEXEC_H

#define FX_TASKEXEC_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin" /* when the job has no PATH */

/* 1 when key is a variable execd sets for each task (FLUX_JOB_ID, FLUX_TASK_RANK, ...,
 * CUDA_VISIBLE_DEVICES only when have_gpus): the jobspec's own value is dropped. */
int fx_taskexec_reserved (const char *key, int have_gpus);

/* Exec argv[0] (searched in path, a colon list where an empty entry is the working
 * directory, unless it holds a '/') with envp.  Never returns: when no exec succeeds it
 * writes "PREFIX: CMD: MESSAGE" on fd 2 and calls _exit(127) (not found) or _exit(126).
 * Async-signal-safe and allocation-free, for a vfork child. */
void fx_taskexec (char *const argv[], char *const envp[], const char *path, const char *prefix)
    __attribute__ ((noreturn));

#endif
