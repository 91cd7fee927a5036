/* What the fuzz targets of tests/fuzz share (docs/testing.md, "Fuzzing"): libFuzzer's
 * entry points, the check that turns a broken promise into a crash libFuzzer reports
 * (and saves the input of), and a check of the PNGs the renderers make. */
#ifndef CC_FUZZ_H
#define CC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer calls these (the second, when a target has it, once before any input). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A promise of the code under test that the input broke: prints what and where, then
 * aborts, so libFuzzer reports a crash and writes the input to crash-<sha1>. */
#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond))                                                                         \
            fuzz_fail(__FILE__, __LINE__, #cond);                                            \
    } while (0)
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* Checks that png (len bytes) is a whole PNG that shared/png_io.c decodes, of width w
 * and height h (0: any). */
void fuzz_check_png(const uint8_t *png, size_t len, uint32_t w, uint32_t h);

#endif
