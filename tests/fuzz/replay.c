/*
 * replay: a main() for a libFuzzer target without libFuzzer, so that
 * `make test` (gcc, ASan and UBSan) runs every seed of its corpus.
 *
 * usage: replay FILE...	prints one TAP line per file
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	FILE *fp;
	uint8_t *buf;
	size_t len, cap;
	int i;

	printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL) {
			printf("not ok %d - %s: cannot open\n", i, argv[i]);
			continue;
		}
		cap = 4096;
		len = 0;
		if ((buf = malloc(cap)) == NULL)
			abort();
		for (;;) {
			len += fread(buf + len, 1, cap - len, fp);
			if (len < cap)
				break;
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		fclose(fp);
		/* an abort() or a sanitizer report ends the run here */
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
		fflush(stdout);
	}
	return 0;
}
