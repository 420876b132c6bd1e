#ifndef CFUZZER_H
#define CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for a program with its own `main` (compiler-rt FuzzerInterface.h). Defined
/// only when linked with `-sanitize=fuzzer`: call it only in builds with `-DFUZZING`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
