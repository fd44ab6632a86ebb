/* Replays every file of the corpus directories (or single files) given on the
 * command line through LLVMFuzzerTestOneInput, so that CTest runs the fuzz
 * corpora as regression tests in every build, with or without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  uint8_t *buf = malloc(1 << 20);
  size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  if (buf == NULL)
    return -1;
  /* Copy to an exactly sized buffer so that ASan sees over-reads. */
  uint8_t *exact = malloc(n ? n : 1);
  if (exact == NULL) {
    free(buf);
    return -1;
  }
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 0;
}

static int replay_path(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: no such corpus %s\n", path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return replay_file(path);
  }
  DIR *d = opendir(path);
  if (d == NULL)
    return -1;
  struct dirent *e;
  int rv = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
    if (replay_path(p, count) != 0)
      rv = -1;
  }
  closedir(d);
  return rv;
}

int main(int argc, char **argv) {
  int count = 0, rv = 0;
  for (int i = 1; i < argc; i++)
    if (replay_path(argv[i], &count) != 0)
      rv = 1;
  printf("replayed %d inputs\n", count);
  if (count == 0) {
    fprintf(stderr, "replay: empty corpus\n");
    return 1;
  }
  return rv;
}
