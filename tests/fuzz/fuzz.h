/*
 * fuzz.h - what the libFuzzer harnesses share.
 *
 * A harness is one LLVMFuzzerTestOneInput.  Besides the sanitizers' own
 * findings, each checks what the code it drives promises and calls
 * FUZZ_ASSERT, which aborts (a finding) with the line that failed.
 */
#ifndef JXJY_FUZZ_H
#define JXJY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken promise: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
